"""The answer-type contract.

An answer type is one module in this package defining a subclass of ``AnswerType``
and registering it in ``registry.py``. To add one, implement:

* ``fields``: the extra part fields it accepts (tolerance, shape, variables, ...);
* ``read(raw, ctx)``: turn what a student wrote (a YAML scalar, list or string) into a
  ``Reading``, or raise ``grader.lang.AnswerError`` with a message the student can act on;
* ``read_reference(value, ctx)``: the same for the solver's value (trusted input);
* ``compare(ref, ans, ctx)``: a ``Comparison`` (score 0..1 or None when undecided,
  the check that decided, a message);
* ``hint(lang)``: how to write the answer (goes into the blank answer file);
* ``key_value(ref)``: the reference written as a student could write it (key.json);
* ``foreign_entries(ref)``: how the part is written to a foreign format (Moodle, QTI):
  numeric entries with their tolerance, a choice, or "manual" (the default) for answers
  only our engine can judge. Exports read these, so none branches on answer kinds.

The core never branches on the kind of answer; everything kind-specific lives here.
"""

from __future__ import annotations

from typing import NamedTuple

from ..fields import Field


# Small immutable records, one or more per answer graded: named tuples, which are
# built in half the time of frozen dataclasses.

class Reading(NamedTuple):
    """An answer as understood: the value to compare and how it was read."""

    value: object
    plain: str
    latex: str = ""


class Comparison(NamedTuple):
    """The outcome of comparing an answer with a reference.

    ``score`` is 1 for a match, 0 for a mismatch, a fraction for partial credit, and
    ``None`` when the checks could not settle it (undecided).
    """

    score: float | None
    check: str
    message: str = ""


class ForeignEntry(NamedTuple):
    """One gradable entry of a part as a foreign format sees it (see ``AnswerType.foreign_entries``).

    ``kind`` is "numeric" (``value`` within ``tolerance``, an absolute error), "choice"
    (``options`` as ``(id, text by language)`` pairs, ``correct`` the right ids, ``multiple``
    for any subset) or "manual" (``model`` is one correct answer, for the grader's eyes).
    ``label`` tells the entries of one part apart ("" for a single entry, "(1, 2)" for a
    matrix entry); ``weight`` is the entry's share of the part's points.
    """

    kind: str
    label: str = ""
    value: float | None = None
    tolerance: float | None = None
    options: tuple = ()
    correct: frozenset = frozenset()
    multiple: bool = False
    model: str = ""
    weight: float = 1.0


class Context(NamedTuple):
    """What a comparison may need besides the two values."""

    params: dict
    seed: int = 0
    lang: str = "en"
    reference: Reading | None = None   # the part's reference, when known (e.g. to size an `I`)


class AnswerType:
    name: str = ""
    fields: tuple[Field, ...] = ()
    few_answers: bool = False   # a handful of possible answers (choice, yes/no): repetition is expected
    reads_params: bool = False  # compare() looks at the drawn parameters (property checks)

    def __init__(self, options: dict):
        self.options = options

    def read(self, raw, ctx: Context) -> Reading:
        raise NotImplementedError

    def read_reference(self, value, ctx: Context) -> Reading:
        return self.read(value, ctx)

    def compare(self, ref: Reading, ans: Reading, ctx: Context) -> Comparison:
        raise NotImplementedError

    def hint(self, lang: str) -> str:
        raise NotImplementedError

    def key_value(self, ref_value):
        return ref_value

    def foreign_entries(self, ref_value) -> list[ForeignEntry]:
        """How a foreign format (Moodle, QTI) can check this part; by default it cannot:
        one entry graded by hand, with the key's answer as the model."""
        return [ForeignEntry("manual", model=_model_text(self.key_value(ref_value)))]

    def rewrites(self, written) -> list:
        """Other ways a student could correctly write the reference (validate grades them too)."""
        return []

    def sheet_note(self, lang: str) -> str:
        """A sentence for the sheet (tolerance, form); empty when nothing to say."""
        return ""

    def plausible(self, ans: Reading, ref: Reading) -> bool:
        """Is a student's earlier answer sound enough to re-run later parts from it?"""
        return True

    def solver_value(self, reading: Reading):
        """The student's value in the form a solver's ``given=`` expects."""
        return reading.value

    def check_config(self, doc, path) -> None:
        """Validate options beyond their types (raise doc.error)."""


def _model_text(value) -> str:
    """A key value as one line of text (numbers, lists, mappings, formulas)."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_model_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_model_text(v) for v in value) + "]"
    return str(value)
