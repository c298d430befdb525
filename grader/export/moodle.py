"""Moodle XML: a question category per problem key, each holding N Cloze variants.

Each variant is one Cloze (``multianswer``) question: the statement and part prompts as
HTML (math for Moodle's MathJax filter), and one embedded sub-question per gradable entry,
written from the part's ``ForeignEntry`` list:

* numeric: ``{w:NUMERICAL:=value:tolerance#feedback}`` (tolerance is Moodle's absolute
  error; vectors and matrices get one per component, a matrix laid out as a table), with
  each misconception's value for the variant as a wrong alternative carrying its feedback;
* choice: ``{w:MULTICHOICE:=right~wrong…}`` listing option ids (the option texts, with
  their math, are in the question text above), ``MULTIRESPONSE`` for any-subset parts;
* manual (expressions, matrix expressions, property checks): the prompt with a note that
  it is graded by hand; listed in the report, with the model answer in the general feedback.

Weights ``w`` are Moodle's integers, proportional to the parts' points. Text inside a
sub-question is escaped as Moodle's Cloze parser reads it (``cloze_escape``). Instructors
import the file in Question bank > Import > Moodle XML, then add "random question from
category" slots to a quiz, one per category, so each student draws a variant.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

from ..bank.model import ProblemSet
from .html import inline, tex_math, to_html
from .pool import ExportReport, PoolVariant, export_pool, manual_parts

TEXT = {
    "en": {"variant": "variant", "manual": "graded by hand: Moodle cannot check this kind of answer",
           "reference": "Reference answers", "right": "Correct.", "pts": "pt", "entry": "entry",
           "options": "Options"},
    "ru": {"variant": "вариант", "manual": "проверяется вручную: Moodle не умеет проверять такой ответ",
           "reference": "Эталонные ответы", "right": "Верно.", "pts": "б.", "entry": "элемент",
           "options": "Варианты"},
}


_CLOZE = str.maketrans({"&": "&#38;", "<": "&lt;", ">": "&gt;", "\\": "&#92;", "~": "&#126;",
                        "}": "\\}", "#": "\\#"})


def cloze_escape(text: str) -> str:
    """Text safe inside a Cloze sub-question, as Moodle's parser reads it.

    An alternative ends at an unescaped ``~``, ``#`` or ``}``; the parser then decodes HTML
    entities and unescapes ``\\}`` and ``\\#``. So ``}`` and ``#`` get a backslash, and
    ``~``, ``\\`` and the HTML specials become numeric entities (``&amp;`` itself would
    hide a following separator: the parser looks back for it)."""
    return text.translate(_CLOZE)


def number_text(x: float) -> str:
    """A number as Moodle's NUMBER_REGEX reads it (no '+', no 'inf'): shortest exact repr."""
    if not math.isfinite(x):
        raise ValueError(f"a non-finite reference {x!r} cannot be exported")
    text = repr(float(x))
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace("e+", "e")


def tolerance_text(t: float) -> str:
    # rounded up, so the printed tolerance never rejects what ours accepts
    if t <= 0:
        return "0"
    text = format(t, ".6g")
    return text if float(text) >= t else format(t * (1 + 1e-6), ".6g")


def weights(variant: PoolVariant) -> dict[tuple[str, int], int]:
    """Integer Cloze weights per (part, entry), proportional to the points they carry."""
    shares = {}
    for part in variant.parts:
        for i, e in enumerate(part.entries):
            if e.kind != "manual":
                shares[(part.id, i)] = Fraction(repr(part.points)).limit_denominator(10_000) * \
                    Fraction(repr(e.weight)).limit_denominator(10_000)
    if not shares:
        return {}
    lcm = math.lcm(*(s.denominator for s in shares.values()))
    ints = {k: int(s * lcm) for k, s in shares.items()}
    g = math.gcd(*[v for v in ints.values() if v]) or 1
    return {k: max(v // g, 0) for k, v in ints.items()}


def subquestion(entry, weight: int, lang: str, mistakes=()) -> str:
    """One Cloze sub-question; ``mistakes`` are (entry for the buggy value, feedback, credit)
    for this entry, written as wrong alternatives carrying the misconception's feedback."""
    right = cloze_escape(TEXT[lang]["right"])
    if entry.kind == "numeric":
        alts = [f"={number_text(entry.value)}:{tolerance_text(entry.tolerance)}#{right}"]
        taken = [(entry.value, entry.tolerance)]
        for wrong, feedback, credit in mistakes:
            # only a value no earlier alternative's margin covers can be told apart (Moodle takes the first match)
            if wrong.kind == "numeric" and all(abs(wrong.value - v) > t + wrong.tolerance for v, t in taken):
                taken.append((wrong.value, wrong.tolerance))
                alts.append(f"%{round(credit * 100)}%{number_text(wrong.value)}:{tolerance_text(wrong.tolerance)}"
                            f"#{cloze_escape(feedback_text(feedback))}")
        return f"{{{weight}:NUMERICAL:" + "~".join(alts) + "}"
    hints = {}
    for wrong, feedback, _ in mistakes:
        if wrong.kind == "choice" and not wrong.multiple and wrong.correct != entry.correct:
            for oid in wrong.correct:
                hints.setdefault(oid, feedback_text(feedback))
    kind = "MULTIRESPONSE" if entry.multiple else "MULTICHOICE"
    alts = [("=" if oid in entry.correct else "") + cloze_escape(oid)
            + (f"#{cloze_escape(hints[oid])}" if oid in hints else "") for oid, _ in entry.options]
    return f"{{{weight}:{kind}:" + "~".join(alts) + "}"


def feedback_text(markdown: str) -> str:
    """A misconception's feedback (Markdown with $math$) as inline HTML for MathJax."""
    return inline(markdown, tex_math)


def _entries_html(part, variant, ws, lang) -> str:
    auto = [(i, e) for i, e in enumerate(part.entries) if e.kind != "manual"]
    if not auto:
        return f"<em>({TEXT[lang]['manual']})</em>"
    subs = {i: subquestion(e, ws[(part.id, i)], lang,
                           [(m[i], feedback, credit) for m, feedback, credit in part.mistakes if len(m) == len(part.entries)])
            for i, e in auto}
    if len(auto) == 1:
        return subs[auto[0][0]]
    labels = [e.label for _, e in auto]
    if labels and labels[0].startswith("("):          # a matrix: a table of entries
        rows: dict[int, list] = {}
        for (i, e) in auto:
            r = int(e.label.strip("()").split(",")[0])
            rows.setdefault(r, []).append(subs[i])
        body = "".join("<tr>" + "".join(f"<td>{s}</td>" for s in cells) + "</tr>" for cells in rows.values())
        return f"<table>{body}</table>"
    return " ".join(f"[{e.label}] {subs[i]}" for i, e in auto)


def question_html(variant: PoolVariant, lang: str) -> str:
    ws = weights(variant)
    L = TEXT[lang]
    out = [to_html(variant.statement, tex_math), "<ol>"]
    for part in variant.parts:
        note = f" <em>{inline(part.note, tex_math)}</em>" if part.note else ""
        out.append(f"<li><p><strong>{part.id}</strong> ({_pts(part.points)} {L['pts']}): "
                   f"{inline(part.prompt, tex_math)}{note}</p><p>{_entries_html(part, variant, ws, lang)}</p></li>")
    out.append("</ol>")
    return "\n".join(out)


def feedback_html(variant: PoolVariant, lang: str) -> str:
    L = TEXT[lang]
    items = []
    for part in variant.parts:
        values = []
        for e in part.entries:
            if e.kind == "numeric":
                values.append((f"{e.label}: " if e.label else "") + number_text(e.value))
            elif e.kind == "choice":
                values.append(", ".join(sorted(e.correct)) or "—")
            else:
                values.append(e.model)
        items.append(f"<li><strong>{part.id}</strong>: <code>" + "; ".join(
            v.replace("&", "&amp;").replace("<", "&lt;") for v in values) + "</code></li>")
    return f"<p>{L['reference']}:</p><ul>{''.join(items)}</ul>"


def _pts(x: float) -> str:
    return f"{round(x, 2):g}"


def _text(parent, tag, text, fmt=None):
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = text
    return el


def category_path(pset: ProblemSet, key: str, title: str, lang: str) -> str:
    # Moodle separates categories with '/' and reads '//' as a literal slash
    parts = [pset.title[lang], f"{key}: {title}"]
    return "$course$/top/" + "/".join(p.replace("/", "//") for p in parts)


def moodle_xml(pset: ProblemSet, variants: dict[str, list[PoolVariant]], lang: str) -> str:
    quiz = ET.Element("quiz")
    L = TEXT[lang]
    for entry in pset.entries:
        vs = variants[entry.key]
        cat = ET.SubElement(quiz, "question", {"type": "category"})
        _text(cat, "category", category_path(pset, entry.key, entry.problem.title[lang], lang))
        _text(cat, "info", "", "html")
        for v in vs:
            q = ET.SubElement(quiz, "question", {"type": "cloze"})
            _text(q, "name", f"{entry.key} · {v.title} · {L['variant']} {v.number}")
            _text(q, "questiontext", question_html(v, lang), "html")
            _text(q, "generalfeedback", feedback_html(v, lang), "html")
            ET.SubElement(q, "penalty").text = "0.3333333"
            ET.SubElement(q, "hidden").text = "0"
            ET.SubElement(q, "idnumber").text = f"{pset.id}:{entry.key}:{v.name}"
    ET.indent(quiz, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def write_moodle(pset: ProblemSet, secret: bytes, n: int, out: Path, *, lang: str | None = None,
                    students: list[str] | None = None) -> ExportReport:
    """N pool variants per key, or with ``students`` each roster student's own variant."""
    lang = lang or pset.lang
    variants = export_pool(pset, secret, n, lang, students)
    out = Path(out)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(moodle_xml(pset, variants, lang), encoding="utf-8")
    tmp.chmod(0o600)          # the file holds every variant's reference answers
    tmp.replace(out)
    return ExportReport("Moodle", str(out), sum(len(v) for v in variants.values()), manual_parts(variants))
