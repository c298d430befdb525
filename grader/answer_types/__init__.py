"""Answer types: how each kind of answer is read, compared and explained (see ``base``)."""
