"""Printers: to_plain round-trips through the parser; to_latex reads back the same."""

from fractions import Fraction

import pytest
from hypothesis import given, settings

from grader.lang import parse, to_latex, to_plain
from grader.lang.printing import format_decimal

from lang_strategies import NAMES, UNARY, small_numbers, trees


@pytest.mark.parametrize("value, text", [
    (Fraction(0), "0"), (Fraction(3), "3"), (Fraction(1, 2), "0.5"), (Fraction(1, 1000), "0.001"),
    (Fraction(10 ** 20), "1e20"), (Fraction(25, 10 ** 11), "2.5e-10"),
    (Fraction(1234567890), "1234567890"), (Fraction(3, 8), "0.375"), (Fraction(120), "120"),
    (Fraction(123, 10 ** 9), "1.23e-7"), (Fraction(5 * 10 ** 12), "5e12"), (Fraction(10 ** 6), "1000000"),
])
def test_format_decimal(value, text):
    """Exact decimals, switching to e-notation when zeros would pile up."""
    assert format_decimal(value) == text
    assert parse(text).value == value


def test_format_decimal_refuses_a_repeating_fraction():
    with pytest.raises(ValueError):
        format_decimal(Fraction(1, 3))


@pytest.mark.parametrize("text, latex", [
    ("x/(1 + y)", r"\frac{x}{1 + y}"), ("2*x", r"2 \cdot x"), ("A^T", r"{A}^{\top}"),
    ("inv(A)", r"{A}^{-1}"), ("sigmoid(x)", r"\sigma\left(x\right)"), ("sqrt(x)", r"\sqrt{x}"),
    ("abs(x)", r"\left|x\right|"), ("tr(A)", r"\operatorname{tr}\left(A\right)"),
    ("lambda*w_1", r"\lambda \cdot w_{1}"), ("pi", r"\pi"), ("1e20", r"1 \cdot 10^{20}"),
    ("(x + y)^2", r"{\left(x + y\right)}^{2}"), ("x - (-y)", r"x - \left(-y\right)"),
    ("[1, 2]", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"), ("A .* B", r"A \odot B"),
    ("[[1, 2], [3, 4]]", r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"),
])
def test_to_latex(text, latex):
    """LaTeX for the "how your answer was read" echo."""
    assert to_latex(parse(text, names=NAMES)) == latex


@settings(max_examples=300, deadline=None)
@given(trees())
def test_plain_round_trip(tree):
    """parse(to_plain(t)) == t for any tree."""
    assert parse(to_plain(tree), names=NAMES) == tree


@settings(max_examples=200, deadline=None)
@given(trees(numbers=small_numbers.filter(lambda n: "e" not in format_decimal(n.value)),
             functions=tuple(f for f in UNARY if f != "inv"), vectors=False))
def test_latex_round_trip(tree):
    """The LaTeX printer and the LaTeX reader agree: $to_latex(t)$ parses back to t."""
    assert parse("$" + to_latex(tree) + "$", names=NAMES) == tree
