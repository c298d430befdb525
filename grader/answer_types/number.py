"""A real number, within a tolerance; exact expressions such as `3/4` or `exp(2)/(1+exp(2))` are accepted."""

from __future__ import annotations

import math

from ..lang import AnswerError, too_large
from .base import AnswerType, Comparison, Context, ForeignEntry, Reading
from .numeric import TOLERANCE_FIELD, format_number, read_scalar, rounded_within, tolerance_from


class NumberAnswer(AnswerType):
    name = "number"
    fields = (TOLERANCE_FIELD,)

    def __init__(self, options):
        super().__init__(options)
        self.tolerance = tolerance_from(options)

    def check_config(self, doc, path):
        tolerance_from(self.options, doc, path)

    def read(self, raw, ctx: Context) -> Reading:
        value, plain, latex = read_scalar(raw)
        return Reading(value, plain, latex)

    def read_reference(self, value, ctx):
        # never shown: the value is enough
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:
                raise too_large("the reference") from None
            if not math.isfinite(number):
                raise too_large("the reference") if math.isinf(number) else \
                    AnswerError(f"the reference is not a number: {value!r}")
            return Reading(number, "")
        return Reading(read_scalar(value, printed=False)[0], "")

    def compare(self, ref, ans, ctx):
        if self.tolerance.accepts(ref.value, ans.value):
            return Comparison(1.0, "tolerance")
        return Comparison(0.0, "tolerance", _off_message(ref.value, ans.value))

    def rewrites(self, written):
        """Exact forms as decimals, and the value rounded as far as the tolerance allows."""
        value = read_scalar(written)[0]
        forms = [format(value, ".12g")] if isinstance(written, str) else []
        return forms + [rounded_within(value, self.tolerance)]

    def plausible(self, ans, ref):
        return not (ans.value == 0 and ref.value != 0)

    def hint(self, lang):
        return ("a number, e.g. 0.25, 1/4 or exp(1)/(1+exp(1))" if lang == "en"
                else "число, например 0.25, 1/4 или exp(1)/(1+exp(1))")

    def key_value(self, ref_value):
        if isinstance(ref_value, (int, float)) and not isinstance(ref_value, bool):
            return ref_value
        return format_number(ref_value) if not isinstance(ref_value, str) else ref_value

    def sheet_note(self, lang):
        return ("Accepted " if lang == "en" else "Принимается ") + self.tolerance.describe(lang) + "."

    def foreign_entries(self, ref_value):
        value = read_scalar(ref_value, printed=False)[0]
        return [ForeignEntry("numeric", value=value, tolerance=self.tolerance.allowed(value))]


def _off_message(ref: float, ans: float) -> str:
    """Say how the answer is off without revealing the reference."""
    if ref != 0 and abs(ans + ref) <= 1e-9 * max(1.0, abs(ref)):
        return "The sign is wrong."
    if ref != 0 and ans != 0:
        ratio = ans / ref
        for factor, text in ((2, "twice"), (0.5, "half")):
            if abs(ratio - factor) < 1e-6:
                return f"Your value is {text} what it should be."
    return ""
