"""One option out of several (output layers, losses, kernel or not)."""

from __future__ import annotations

import difflib

from ..fields import Field
from ..lang import AnswerError
from .base import AnswerType, Comparison, ForeignEntry, Reading

OPTIONS_FIELD = Field("options", "list",
                      "The options: `[{id: softmax, text: {en: ..., ru: ...}}, ...]`; students answer with the id.",
                      required=True)


def option_ids(options: dict) -> list[str]:
    return [str(o["id"]) for o in options.get("options") or []]


def option_texts(options: dict) -> tuple:
    """(id, {lang: text}) per option, in order (what foreign formats show)."""
    return tuple((str(o["id"]), dict(o["text"])) for o in options.get("options") or [])


def check_options(doc, path, options):
    seen = set()
    for i, opt in enumerate(options.get("options") or []):
        if not isinstance(opt, dict) or "id" not in opt or "text" not in opt:
            raise doc.error(path + ("options", i), "bad option", expected="{id: ..., text: {en, ru}}", got=opt)
        from ..fields import check_text
        check_text(doc, path + ("options", i, "text"), opt["text"])
        if str(opt["id"]) in seen:
            raise doc.error(path + ("options", i, "id"), "duplicate option id", got=opt["id"])
        seen.add(str(opt["id"]))


def match_option(raw, ids: list[str]) -> str:
    """Map a student's text to an option id, case-insensitively, with a hint when it is close."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise AnswerError("expected one of: " + ", ".join(ids))
    text = str(raw).strip()
    lowered = {i.lower(): i for i in ids}
    if text.lower() in lowered:
        return lowered[text.lower()]
    close = difflib.get_close_matches(text.lower(), list(lowered), n=1)
    hint = f"; did you mean '{lowered[close[0]]}'?" if close else ""
    raise AnswerError(f"'{text[:40]}' is not an option{hint} Options: " + ", ".join(ids))


class ChoiceAnswer(AnswerType):
    name = "choice"
    few_answers = True
    fields = (OPTIONS_FIELD,)

    def check_config(self, doc, path):
        check_options(doc, path, self.options)

    def read(self, raw, ctx):
        choice = match_option(raw, option_ids(self.options))
        return Reading(choice, choice, rf"\text{{{choice}}}")

    def compare(self, ref, ans, ctx):
        return Comparison(float(ref.value == ans.value), "exact")

    def hint(self, lang):
        return ("one of: " if lang == "en" else "одно из: ") + ", ".join(option_ids(self.options))

    def foreign_entries(self, ref_value):
        return [ForeignEntry("choice", options=option_texts(self.options), correct=frozenset([str(ref_value)]))]

    def sheet_note(self, lang):
        head = "Options" if lang == "en" else "Варианты"
        return head + ": " + "; ".join(f"`{o['id']}`: {o['text'][lang]}" for o in self.options["options"]) + "."
