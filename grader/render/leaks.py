"""Does a file a student receives before grading contain one of their reference answers?

``grader validate`` runs this on every family over the first ``LEAK_SEEDS`` (6) of its
seeds, fewer than the full run because rendering is the dear part; the HTML sheet, whose
MathML costs most and whose text repeats the Markdown's, on the first ``HTML_SEEDS`` (2).
What counts as a reference answer's text (its "needles"):

* **numbers** (number, integer, vector and matrix parts, entry by entry): the value as
  key.json writes it, the shortest decimal its tolerance accepts, and its roundings to 2
  and 3 decimals. A needle must have at least three significant digits (``0.476``, ``125``,
  ``3/17``): ``0``, ``1``, ``2``, ``0.5``, ``12`` or ``1/4`` occur on every sheet and say
  nothing. A value that equals a drawn parameter is given in the statement anyway and is
  skipped. A needle matches a whole number in the text, not a piece of a longer one.
* **formulas** (expression and matrix-expression parts): the reference in plain text
  (as written and as the printer writes it) and in LaTeX, compared after removing what
  differs between the two ways of writing (white space, braces, ``*`` and ``\\cdot``,
  ``\\left``/``\\right``, ``^\\top`` for ``^T``); a formula shorter than four characters
  (``A^T``, ``2x``) is too common to count.

Sheets are read as the student reads them (:func:`as_read`): HTML without its tags, and
LaTeX with each TikZ picture reduced to its labels, since a drawing's coordinates are
markup and would otherwise match answers by chance.

Choices, yes/no and property answers have no needles (their options are on the sheet by
design). Misconception feedback is checked the same way against its own part's reference,
except in variants where that slip happens to give the right answer (then it is never shown).
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

import numpy as np

LEAK_SEEDS = 6
HTML_SEEDS = 2
MIN_SIGNIFICANT = 3
MIN_FORMULA_CHARS = 4
_NUMERIC_TYPES = ("number", "integer", "vector", "matrix")
_FORMULA_TYPES = ("expression", "matrix-expression")


def _significant(text: str) -> int:
    digits = re.sub(r"\D", "", text).lstrip("0")
    return len(digits)


def _entries(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _entries(v)
    elif isinstance(value, (list, tuple, np.ndarray)):
        for v in value:
            yield from _entries(v)
    elif isinstance(value, (int, float, Fraction, np.number)) and not isinstance(value, bool):
        yield value
    elif isinstance(value, str):
        try:
            yield Fraction(value)
        except (ValueError, ZeroDivisionError):
            pass


def _decimal(x: float, places: int) -> str:
    text = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _number_forms(x, answer) -> set[str]:
    from ..answer_types.numeric import format_number, rounded_within
    forms = {format_number(x)}
    f = float(x)
    forms |= {_decimal(f, 2), _decimal(f, 3)}
    tolerance = getattr(answer, "tolerance", None)
    if tolerance is not None:
        try:
            forms.add(str(rounded_within(f, tolerance)))
        except (TypeError, ValueError):
            pass
    if isinstance(x, Fraction) and x.denominator != 1:
        forms.add(f"{x.numerator}/{x.denominator}")
    return {t.lstrip("-") for t in forms if _significant(t) >= MIN_SIGNIFICANT}


def _param_values(params) -> set[float]:
    return {round(float(v), 9) for v in _entries(params)}


_LATEX_NOISE = re.compile(r"\\left|\\right|\\[,;!]|\\cdot|\\operatorname|\\mathrm|[{}*]")
# A formula counts where it stands alone: after the start, white space, `$`, a backtick, a
# quote, `=` or `:`, and before the end, white space, `$`, a backtick, a quote or punctuation.
# Inside a longer product (the density's (x - mu)^T Sigma^{-1} (x - mu)) it is not the answer.
_BEFORE = set(" $`'\"=:")
_AFTER = set(" $`'\",.;:=")


@functools.lru_cache(maxsize=16)   # a sheet is searched once per part: squashed once
def _squash(text: str, *, spaces: bool = False) -> str:
    """A formula with the differences between plain and LaTeX writing taken out: braces,
    ``*``/``\\cdot``, ``\\left``/``\\right``, ``^\\top`` read as ``^T``; white space removed
    (or, with ``spaces``, kept as single spaces, to find where a formula stands alone)."""
    for escaped, char in (("\\textasciicircum{}", "^"), ("\\textasciitilde{}", "~"), ("\\_", "_"),
                          ("\\&", "&"), ("\\#", "#"), ("\\%", "%")):
        text = text.replace(escaped, char)                          # TeX escapes in code spans
    text = re.sub(r"\\texttt\{([^{}]*)\}", r"`\1`", text)   # TeX code spans delimit like Markdown's
    text = _LATEX_NOISE.sub("", text.replace("\\top", "T").replace("\\intercal", "T"))
    return re.sub(r"\s+", " " if spaces else "", text)


def _formula_at(text: str, needle: str) -> bool:
    pattern = re.compile(r"\s?".join(re.escape(c) for c in needle))
    for m in pattern.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        if before in _BEFORE and after in _AFTER:
            return True
    return False


def needles(part, value, params, given: set[float] | None = None) -> tuple[set[str], set[str]]:
    """(number needles, formula needles) of one part's reference value; ``given`` is
    ``_param_values(params)`` when the caller has it already."""
    if part.type in _NUMERIC_TYPES:
        given = _param_values(params) if given is None else given
        out: set[str] = set()
        for x in _entries(value):
            if round(float(x), 9) in given:
                continue
            out |= _number_forms(x, part.answer)
        return out, set()
    if part.type in _FORMULA_TYPES and isinstance(value, str):
        from ..lang import parse, to_latex, to_plain
        forms = {value}
        try:
            node = parse(value, names=getattr(part.answer, "names", None))
            forms |= {to_plain(node), to_latex(node)}
        except Exception:  # noqa: BLE001 -- trusted text the printer cannot redo: keep the raw form
            pass
        return set(), {s for s in map(_squash, forms) if len(s) >= MIN_FORMULA_CHARS}
    return set(), set()


def _number_pattern(needle: str) -> re.Pattern:
    return re.compile(r"(?<![\d.,/])" + re.escape(needle) + r"(?![\d]|[.,/]\d)")


def find(text: str, numbers: set[str], formulas: set[str]) -> str | None:
    """The first needle the text contains, or None."""
    for n in sorted(numbers):
        if n in text and _number_pattern(n).search(text):
            return n
    if formulas:
        squashed, spaced = _squash(text), _squash(text, spaces=True)
        for f in sorted(formulas):
            if f in squashed and _formula_at(spaced, f):
                return f
    return None


def rendered_files(problem, variant, lang: str, *, html: bool = True) -> dict[str, str]:
    """What a student gets for this problem before grading: sheet (md, tex, html) and hints."""
    from .sheets import problem_markdown, sheet_html, sheet_tex
    md = problem_markdown("q1", problem.points or 1, variant, lang, 1)
    hints = "\n".join(f"# {part.answer.hint(lang)}" for part in problem.parts)
    files = {"sheet.md": md, "sheet.tex": as_read(sheet_tex(md, lang), html=False), "answers.yaml": hints}
    if html:
        files["sheet.html"] = as_read(sheet_html(md, problem.title[lang], lang), html=True)
    return files


_TIKZ = re.compile(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.S)
_TIKZ_NODE = re.compile(r"^\\node\[[^\]]*\] at \([^)]*\) \{(.*)\};$", re.M)


def as_read(text: str, *, html: bool) -> str:
    """A sheet as the student reads it: markup is not text. In HTML the tags, their
    attributes (``width="0.167em"``, SVG coordinates) go; in LaTeX a TikZ picture keeps only
    its labels, so that a coordinate such as ``(1.81,-0.64)`` is never taken for an answer."""
    if html:   # the style sheet (``max-width: 100%``) and scripts are not text either
        text = re.sub(r"<(style|script)\b.*?</\1\s*>", " ", text, flags=re.S | re.I)
        return re.sub(r"<[^>]*>", " ", text)
    return _TIKZ.sub(lambda m: " " + " ".join(_TIKZ_NODE.findall(m.group(0))) + " ", text)


def check_variant(problem, variant, tag: str, error, *, html: bool = True) -> None:
    """Report (through ``error(text)``) each student file that contains a reference answer."""
    given = _param_values(variant.params)
    refs = {p.id: needles(p, variant.answers[p.id], variant.params, given) for p in problem.parts}
    if not any(n or f for n, f in refs.values()):
        return
    for lang in ("en", "ru"):
        for name, text in rendered_files(problem, variant, lang, html=html).items():
            for pid, (numbers, formulas) in refs.items():
                hit = find(text, numbers, formulas)
                if hit is not None:
                    error(f"{tag}: the student's {name} ({lang}) contains the reference of part "
                          f"{pid}: {hit!r}")
    for part in problem.parts:
        numbers, formulas = refs[part.id]
        for m in part.misconceptions:
            try:
                slip = needles(part, variant.solve(bug=m.bug).get(part.id), variant.params, given)
            except Exception:  # noqa: BLE001 -- validate reports failing bugs on its own
                continue
            if (slip[0] & numbers) or (slip[1] & formulas):
                continue   # in this variant the slip gives the right answer: its feedback is never shown
            for lang, text in m.feedback.items():
                hit = find(text, numbers, formulas)
                if hit is not None:
                    error(f"{tag}: part {part.id}, feedback of bug={m.bug} ({lang}) gives the "
                          f"reference away: {hit!r}")
