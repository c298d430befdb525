"""Per-student sheets, blank answer files and the private key for a set."""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from pathlib import Path

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..bank.model import ProblemSet
from ..errors import AuthorError
from ..fsio import atomic_open
from ..grading.reports import fmt_points
from ..variants import Variant, draw_variant, variant_seed
from .filters import FILTERS
from .markup import to_html, to_tex

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                     keep_trailing_newline=True)
_env.filters.update(FILTERS)

LABELS = {
    "en": {"problem": "Problem", "points": "points", "pt": "pt", "student": "Student",
           "parts": "Answer in `answers.yaml` under", "set": "Set"},
    "ru": {"problem": "Задача", "points": "баллов", "pt": "б.", "student": "Студент",
           "parts": "Ответ в `answers.yaml` в разделе", "set": "Набор"},
}


@lru_cache(maxsize=2048)
def _template(source: str):
    return _env.from_string(source)


def render_text(source: str, params: dict) -> str:
    return _template(source).render(**params)


def problem_markdown(key: str, points: float, variant: Variant, lang: str, number: int) -> str:
    """One problem of a sheet: title, statement, then the parts with points and notes."""
    try:
        return _problem_markdown(key, points, variant, lang, number)
    except AuthorError:
        raise
    except Exception as exc:  # a template that fails on this draw: the author's file, line, params
        from ..bank.loader import template_line
        line = template_line(exc)
        raise AuthorError(variant.problem.file, f"the {lang} template"
                          + (f", line {line}" if line else "") + f" does not render: {exc} "
                          f"(params: {variant.params})") from None


def _problem_markdown(key: str, points: float, variant: Variant, lang: str, number: int) -> str:
    L = LABELS[lang]
    problem = variant.problem
    scale = points / problem.points if problem.points else 0
    lines = [f"## {L['problem']} {number} ({key}): {problem.title[lang]} "
             f"[{fmt_points(points)} {L['points']}]", "",
             render_text(problem.statement[lang], variant.params).strip(), ""]
    if problem.figure is not None:
        lines += [figure_markdown(problem, variant.params, lang), ""]
    lines += [f"{L['parts']} `{key}`:", ""]
    for part in problem.parts:
        prompt = " ".join(render_text(part.prompt[lang], variant.params).split())
        note = part.answer.sheet_note(lang)
        lines.append(f"- **`{part.id}`** ({fmt_points(part.points * scale)} {L['pt']}): {prompt}"
                     + (f" *{note}*" if note and "*" not in note else (f" {note}" if note else "")))
    return "\n".join(lines) + "\n"


def figure_markdown(problem, params: dict, lang: str) -> str:
    """The problem's figure, drawn from this variant's parameters (see render/figures)."""
    from ..bank.params import compile_expression
    from ..errors import AuthorError
    from .figures import FigureError, markdown
    try:
        return markdown(problem.figure, params, lang, render_text, compile_expression)
    except FigureError as exc:
        raise AuthorError(problem.file, str(exc), field="figure") from None


def sheet_markdown(pset: ProblemSet, student: dict, variants: list[tuple], lang: str) -> str:
    L = LABELS[lang]
    who = student["student_id"] + (f" ({student['name']})" if student.get("name") else "")
    head = [f"# {pset.title[lang]}", "", f"{L['set']}: `{pset.id}` · {L['student']}: {who} · "
            f"{fmt_points(pset.points)} {L['points']}", "", ""]
    body = [problem_markdown(entry.key, entry.points, variant, lang, i + 1)
            for i, (entry, variant) in enumerate(variants)]
    return "\n".join(head) + "\n".join(body)


HTML_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }}
.display {{ text-align: center; margin: 0.8rem 0; }}
table {{ border-collapse: collapse; }} td {{ border: 1px solid #999; padding: 0.2rem 0.6rem; }}
code {{ background: #f3f3f3; padding: 0 0.2rem; }}
.figures {{ display: flex; flex-wrap: wrap; justify-content: center; gap: 1rem 2rem; margin: 1rem 0; }}
.figure {{ margin: 0; text-align: center; }} .figure svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""

TEX_PAGE = r"""\documentclass[11pt]{article}
\usepackage[T2A,T1]{fontenc}
\usepackage[utf8]{inputenc}
%% vector fonts: Latin Modern (T1); Cyrillic (T2A) falls back to the cm-super Type 1 fonts
\IfFileExists{lmodern.sty}{\usepackage{lmodern}}{}
\usepackage[russian,english]{babel}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
%% symbols that statements and notes may type directly in text
\DeclareUnicodeCharacter{2212}{\ensuremath{-}}
\DeclareUnicodeCharacter{00B7}{\ensuremath{\cdot}}
\DeclareUnicodeCharacter{00D7}{\ensuremath{\times}}
\DeclareUnicodeCharacter{2026}{\ldots}
\DeclareUnicodeCharacter{2248}{\ensuremath{\approx}}
\DeclareUnicodeCharacter{2264}{\ensuremath{\le}}
\DeclareUnicodeCharacter{2265}{\ensuremath{\ge}}
\DeclareUnicodeCharacter{2192}{\ensuremath{\to}}
\DeclareUnicodeCharacter{221E}{\ensuremath{\infty}}
\DeclareUnicodeCharacter{03C3}{\ensuremath{\sigma}}
\DeclareUnicodeCharacter{03BB}{\ensuremath{\lambda}}
\DeclareUnicodeCharacter{1D40}{\ensuremath{^{\top}}}
\begin{document}
\selectlanguage{%(babel)s}
%(body)s
\end{document}
"""


def sheet_html(markdown: str, title: str, lang: str) -> str:
    return HTML_PAGE.format(lang=lang, title=escape(title), body=to_html(markdown, lang))


def sheet_tex(markdown: str, lang: str) -> str:
    page = TEX_PAGE % {"babel": "russian" if lang == "ru" else "english", "body": to_tex(markdown, lang)}
    if r"\begin{tikzpicture}" in page:   # figures: TikZ only in sheets that draw one
        page = page.replace("\\begin{document}", "\\usepackage{tikz}\n\\begin{document}", 1)
    return page


def answers_template(pset: ProblemSet, student_id: str, lang: str) -> str:
    """The blank answer file: one empty field per part, each with a hint of the expected form."""
    en = lang == "en"
    lines = ["# " + ("Answers" if en else "Ответы") + f": {pset.title[lang]}",
             "# " + ("Fill in each field (keep the indentation); check with: grader check answers.yaml --set "
                     if en else "Заполните поля (не меняя отступов); проверка: grader check answers.yaml --set ")
             + Path(pset.file).name,
             f"student: {student_id}", f"set: {pset.id}", "answers:"]
    for entry in pset.entries:
        lines.append(f"  {entry.key}:   # {entry.problem.title[lang]}")
        for part in entry.problem.parts:
            lines.append(f"    # {part.answer.hint(lang)}")
            lines.append(f"    {part.id}:")
    return "\n".join(lines) + "\n"


def student_variants(pset: ProblemSet, secret: bytes, student_id: str) -> list[tuple]:
    return [(entry, draw_variant(entry.problem, variant_seed(secret, pset.id, student_id, entry.key)))
            for entry in pset.entries]


def key_entry(variants: list[tuple]) -> dict:
    out = {}
    for entry, variant in variants:
        out[entry.key] = {
            "problem": entry.problem.id,
            "params": _jsonable(variant.params),
            "answers": {p.id: _jsonable(p.answer.key_value(variant.answers[p.id])) for p in entry.problem.parts},
        }
    return out


def _jsonable(value):
    from fractions import Fraction
    import numpy as np
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Fraction):
        return str(value) if value.denominator != 1 else value.numerator
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _key_student(sid: str, entry: dict) -> str:
    """One student's member of key.json's "students", exactly as ``json.dumps(key, indent=2)``
    would write it: the key is streamed one student at a time, so memory stays flat."""
    body = json.dumps(entry, indent=2, ensure_ascii=False).replace("\n", "\n    ")
    return f"    {json.dumps(sid, ensure_ascii=False)}: {body}"


def render_set(pset: ProblemSet, roster: list[dict], out: Path, secret: bytes, *,
               lang: str | None = None, formats=("md",)) -> Path:
    """Render every student's sheet(s) and answer file, and key.json. Returns the key path.

    Students are rendered one at a time (memory does not grow with the class). key.json
    holds every reference answer: it is written to a private temporary file (mode 0600),
    forced to disk and renamed over the old key only when complete, so an interrupted
    render leaves the previous key intact and no one else can read it at any moment.
    """
    lang = lang or pset.lang
    engine = None
    if "pdf" in formats:
        from .pdf import require_engine
        engine = require_engine()   # before any file is written
    key_path = out / "key.json"
    out.mkdir(parents=True, exist_ok=True)
    with atomic_open(key_path, private=True) as key:
        key.write("{\n" + f'  "set": {json.dumps(pset.id, ensure_ascii=False)},\n  "students": {{')
        for i, student in enumerate(roster):
            sid = student["student_id"]
            variants = student_variants(pset, secret, sid)
            md = sheet_markdown(pset, student, variants, lang)
            folder = out / "students" / sid
            if "md" in formats:
                write_text(folder / "sheet.md", md)
            if "html" in formats:
                write_text(folder / "sheet.html", sheet_html(md, f"{pset.title[lang]} — {sid}", lang))
            if "tex" in formats:
                write_text(folder / "sheet.tex", sheet_tex(md, lang))
            if engine:
                from .pdf import tex_to_pdf
                tex_to_pdf(sheet_tex(md, lang), folder / "sheet.pdf", engine)
            write_text(folder / "answers.yaml", answers_template(pset, sid, lang))
            key.write(("," if i else "") + "\n" + _key_student(sid, key_entry(variants)))
        key.write("\n  }\n}\n" if roster else "}\n}\n")
    return key_path
