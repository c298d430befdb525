"""Errors a student may read, and the limits every answer is held to."""

from __future__ import annotations

from dataclasses import dataclass


class AnswerError(Exception):
    """An answer cannot be read: syntax, an unknown name, a wrong shape or a broken limit.

    ``message`` is written for the student; ``position`` is the 0-based offset in the
    text as typed when one applies, else ``None``.
    """

    def __init__(self, message: str, position: int | None = None, *, ru: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.ru = ru                    # the message in Russian, where one is written

    def text(self, lang: str) -> str:
        """The message in ``lang`` ("en" or "ru"); English where no translation exists."""
        return self.ru if lang == "ru" and self.ru else self.message

    def __repr__(self) -> str:
        return f"AnswerError({self.message!r}, position={self.position!r})"


@dataclass(frozen=True)
class Limits:
    """Caps on one answer; breaking any gives an ``AnswerError`` with a message."""

    max_length: int = 2000           # characters as typed
    max_depth: int = 60              # nesting of brackets (), [], {}
    max_tree_depth: int = 250        # nesting of operators, e.g. x^x^x^...
    max_exponent: int = 1000         # |constant exponent|, so exact arithmetic stays small
    max_matrix_entries: int = 400
    max_digits: int = 60             # digits in one number
    time_budget_s: float = 2.0       # per comparison (sympy fallback)

    def __hash__(self) -> int:
        # Limits key the parse cache; a generated hash would rebuild a tuple per answer.
        try:
            return self._hash
        except AttributeError:
            value = hash(tuple(getattr(self, f) for f in self.__dataclass_fields__))
            object.__setattr__(self, "_hash", value)
            return value


DEFAULT_LIMITS = Limits()


FLOAT_MAX = 1.7976931348623157e308


def too_large(what: str = "the number", position: int | None = None) -> AnswerError:
    """A value outside the float range: every reader of numbers says the same."""
    return AnswerError(f"{what} is too large: at most {FLOAT_MAX:.4g} in absolute value",
                       position, ru=f"слишком большое число: по модулю не более {FLOAT_MAX:.4g}")
