"""An exact integer (counts, sizes). A float that is not a whole number is invalid, not wrong."""

from __future__ import annotations

from ..lang import AnswerError
from .base import AnswerType, Comparison, ForeignEntry, Reading
from .numeric import read_scalar


class IntegerAnswer(AnswerType):
    name = "integer"

    def read(self, raw, ctx):
        value, plain, latex = read_scalar(raw, "a whole number")
        if abs(value) > 2 ** 53:
            raise AnswerError("the number is too large to be an exact count")
        if value != round(value):
            raise AnswerError(f"expected a whole number, got {plain}")
        return Reading(int(round(value)), str(int(round(value))), str(int(round(value))))

    def compare(self, ref, ans, ctx):
        if ref.value == ans.value:
            return Comparison(1.0, "exact")
        return Comparison(0.0, "exact")

    def hint(self, lang):
        return "a whole number, e.g. 42" if lang == "en" else "целое число, например 42"

    def key_value(self, ref_value):
        return int(ref_value)

    def foreign_entries(self, ref_value):
        return [ForeignEntry("numeric", value=float(int(ref_value)), tolerance=0.0)]
