"""Any subset of the options (which functions are kernels); partial credit per option when declared."""

from __future__ import annotations

from ..i18n import t

from ..fields import Field
from ..lang import AnswerError
from .base import AnswerType, Comparison, Reading
from .choice import OPTIONS_FIELD, check_options, match_option, option_ids


class MultiChoiceAnswer(AnswerType):
    name = "multi-choice"
    few_answers = True
    fields = (OPTIONS_FIELD,
              Field("partial", "bool", "Credit the share of options classified correctly.", default=False))

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
        score = right / len(ids) if self.options.get("partial") else 0.0
        return Comparison(score, "exact", message)

    def key_value(self, ref_value):
        return list(ref_value)

    def hint(self, lang):
        ids = option_ids(self.options)
        return t("hint.multi_choice", lang, ids=", ".join(ids), example="[" + ", ".join(ids[:2]) + "]")

    def sheet_note(self, lang):
        head = "Options (choose all that apply)" if lang == "en" else "Варианты (выберите все подходящие)"
        return head + ": " + "; ".join(f"`{o['id']}`: {o['text'][lang]}" for o in self.options["options"]) + "."
