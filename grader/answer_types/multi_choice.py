"""Any subset of the options (which functions are kernels); partial credit when declared.

Partial credit (``partial: true``) is the share of the right options chosen minus the share
of the wrong options chosen, floored at 0:

    score = max(0, right_chosen / right_total - wrong_chosen / wrong_total)

so an empty selection and a selection of every option both score 0 (unless every option is
right, when choosing all is the answer), and guessing more never pays on average.
"""

from __future__ import annotations

from ..fields import Field
from ..lang import AnswerError
from .base import AnswerType, Comparison, ForeignEntry, Reading
from .choice import OPTIONS_FIELD, check_options, match_option, option_ids, option_texts


class MultiChoiceAnswer(AnswerType):
    name = "multi-choice"
    few_answers = True
    fields = (OPTIONS_FIELD,
              Field("partial", "bool", "Partial credit: share of right options chosen minus share of "
                    "wrong options chosen, floored at 0.", default=False))

    def check_config(self, doc, path):
        check_options(doc, path, self.options)

    def read(self, raw, ctx):
        if isinstance(raw, str):
            raw = [p for p in raw.replace(";", ",").split(",") if p.strip()] if raw.strip() else []
        if not isinstance(raw, list):
            raise AnswerError("expected a list of option ids, e.g. [a, c] (or [] for none)")
        ids = option_ids(self.options)
        chosen = sorted({match_option(x, ids) for x in raw}, key=ids.index)
        text = "[" + ", ".join(chosen) + "]"
        return Reading(frozenset(chosen), text, r"\{" + ", ".join(chosen) + r"\}")

    def read_reference(self, value, ctx):
        return self.read(list(value), ctx)

    def compare(self, ref, ans, ctx):
        if ref.value == ans.value:
            return Comparison(1.0, "exact")
        ids = option_ids(self.options)
        right = sum((i in ref.value) == (i in ans.value) for i in ids)
        message = f"{len(ids) - right} of {len(ids)} options are classified wrongly."
        score = partial_score(ref.value, ans.value, ids) if self.options.get("partial") else 0.0
        return Comparison(score, "exact", message)

    def key_value(self, ref_value):
        return list(ref_value)

    def foreign_entries(self, ref_value):
        return [ForeignEntry("choice", options=option_texts(self.options),
                             correct=frozenset(str(v) for v in ref_value), multiple=True)]

    def hint(self, lang):
        # the example names no real options: a real pair could be this variant's answer
        ids = ", ".join(option_ids(self.options))
        return (f"a list of option ids from: {ids} (written like [id1, id2], or [] for none)" if lang == "en"
                else f"список вариантов из: {ids} (в виде [id1, id2], или [], если ни один)")

    def sheet_note(self, lang):
        head = "Options (choose all that apply)" if lang == "en" else "Варианты (выберите все подходящие)"
        note = head + ": " + "; ".join(f"`{o['id']}`: {o['text'][lang]}" for o in self.options["options"]) + "."
        return note + " " + PARTIAL_RULE[lang] if self.options.get("partial") else note


PARTIAL_RULE = {
    "en": "Partial credit: the share of the right options you chose minus the share of the wrong "
          "options you chose (never below 0); choosing nothing or everything earns nothing.",
    "ru": "Частичный балл: доля выбранных верных вариантов минус доля выбранных неверных "
          "(не меньше 0); пустой выбор или выбор всех вариантов баллов не приносит.",
}


def partial_score(right: frozenset, chosen: frozenset, ids: list[str]) -> float:
    """The rule in the module docstring; an exact match is scored before this is asked."""
    wrong = [i for i in ids if i not in right]
    if not right:
        return 0.0   # "none of them" was the answer, and something was chosen
    found = sum(i in chosen for i in right) / len(right)
    false = sum(i in chosen for i in wrong) / len(wrong) if wrong else 0.0
    return max(0.0, found - false)
