"""Yes or no, in either language."""

from __future__ import annotations

from ..lang import AnswerError
from .base import AnswerType, Comparison, ForeignEntry, Reading

WORDS = {
    True: {"yes", "true", "y", "1", "да", "верно", "истина"},
    False: {"no", "false", "n", "0", "нет", "неверно", "ложь"},
}


class BooleanAnswer(AnswerType):
    name = "boolean"
    few_answers = True

    def read(self, raw, ctx):
        if isinstance(raw, bool):
            value = raw
        else:
            text = str(raw).strip().lower() if isinstance(raw, (str, int)) else None
            matches = [v for v, words in WORDS.items() if text in words]
            if not matches:
                raise AnswerError("expected yes or no (also true/false, да/нет)")
            value = matches[0]
        return Reading(value, "yes" if value else "no", r"\text{" + ("yes" if value else "no") + "}")

    def compare(self, ref, ans, ctx):
        return Comparison(float(ref.value == ans.value), "exact")

    def hint(self, lang):
        return "yes or no" if lang == "en" else "да или нет (yes/no)"

    def foreign_entries(self, ref_value):
        options = (("yes", {"en": "yes", "ru": "да"}), ("no", {"en": "no", "ru": "нет"}))
        return [ForeignEntry("choice", options=options, correct=frozenset(["yes" if self.read(ref_value, None).value else "no"]))]
