"""Jinja filters for statements: numbers, vectors and matrices typeset as LaTeX."""

from __future__ import annotations

from fractions import Fraction

from ..answer_types.numeric import format_number


def num(x) -> str:
    """A number for LaTeX: trimmed floats, fractions as \\frac."""
    if isinstance(x, Fraction) and x.denominator != 1:
        sign = "-" if x < 0 else ""
        return rf"{sign}\frac{{{abs(x.numerator)}}}{{{x.denominator}}}"
    if isinstance(x, str):
        return x
    return format_number(x)


def _entries(v):
    return [num(x) for x in v]


def vec(v) -> str:
    return r"\begin{pmatrix} " + r" \\ ".join(_entries(v)) + r" \end{pmatrix}"


def row(v) -> str:
    return r"\begin{pmatrix} " + " & ".join(_entries(v)) + r" \end{pmatrix}"


def mat(m) -> str:
    return r"\begin{pmatrix} " + r" \\ ".join(" & ".join(_entries(r)) for r in m) + r" \end{pmatrix}"


def as_list(v) -> str:
    """As a student would type it: [1, 2, 3] or [[1, 2], [3, 4]]."""
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(as_list(x) for x in v) + "]"
    return format_number(v) if not isinstance(v, str) else v


FILTERS = {"num": num, "vec": vec, "row": row, "mat": mat, "list": as_list}
