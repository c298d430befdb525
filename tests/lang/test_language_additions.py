"""Functions, exponents and characters a careful student expects to work.

Values are checked against independently known identities and constants (math's
own functions at one point, textbook identities across the domain), never against
the engine itself.
"""

from __future__ import annotations

import math

import pytest

from grader.lang import AnswerError, evaluate, parse, to_latex, to_number, to_plain, to_sympy
from grader.lang.equivalence import VarSpec, compare_scalar

X = {"x": ()}


@pytest.mark.parametrize("text, expected", [
    ("cosh(0.7)", math.cosh(0.7)), ("sinh(0.7)", math.sinh(0.7)),
    ("sech(0.7)", 1 / math.cosh(0.7)), ("arctan(0.7)", math.atan(0.7)),
    ("atan(0.7)", math.atan(0.7)), ("arcsin(0.7)", math.asin(0.7)),
    ("arccos(0.7)", math.acos(0.7)), ("atanh(0.7)", math.atanh(0.7)),
    ("asinh(0.7)", math.asinh(0.7)), ("acosh(1.7)", math.acosh(1.7)),
    ("log2(8)", 3.0), ("log10(1000)", 3.0), ("log(81, 3)", 4.0),
    ("softplus(0.7)", math.log1p(math.exp(0.7))), ("softplus(800)", 800.0),
    ("relu(-0.7)", 0.0), ("relu(0.7)", 0.7), ("erf(0.7)", math.erf(0.7)),
    ("e^-1", math.exp(-1)), ("2^-3", 0.125), ("e⁻¹", math.exp(-1)),
    ("½", 0.5), ("¾ + ¼", 1.0), ("⅓*3", 1.0), ("4^½", 2.0), ("⅛", 0.125),
])
def test_values(text, expected):
    assert to_number(parse(text)) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("ref, ans, domain", [
    ("1", "cosh(x)^2 - sinh(x)^2", (-2, 2)),
    ("sech(x)", "2/(exp(x) + exp(-x))", (-2, 2)),
    ("pi/2", "asin(x) + acos(x)", (-0.99, 0.99)),
    ("sqrt(1 - x^2)", "cos(arcsin(x))", (-0.99, 0.99)),
    ("atanh(x)", "log((1 + x)/(1 - x))/2", (-0.9, 0.9)),
    ("acosh(x)", "log(x + sqrt(x^2 - 1))", (1.1, 4)),
    ("asinh(x)", "log(x + sqrt(x^2 + 1))", (-3, 3)),
    ("softplus(x) - softplus(-x)", "x", (-30, 30)),
    ("relu(x)", "max(0, x)", (-2, 2)),
    ("erf(x)", "-erf(-x)", (-2, 2)),
    ("log2(x)", "log(x)/log(2)", (0.1, 5)),
    ("log10(x)", "log(x, 10)", (0.1, 5)),
    ("e^-x", "exp(-x)", (-2, 2)),
    ("e⁻ˣ", "1/exp(x)", (-2, 2)),
    ("x^½", "sqrt(x)", (0.1, 4)),
])
def test_identities(ref, ans, domain):
    spec = {"x": VarSpec(tuple(map(float, domain)))}
    assert compare_scalar(parse(ref, names=X), parse(ans, names=X), spec).equal is True
    wrong = parse(f"({ans}) + x/10", names=X)
    assert compare_scalar(parse(ref, names=X), wrong, spec).equal is False


def test_domains_are_respected():
    """Outside a real domain the value is complex and the point is not used: asin on
    [-2, 2] is compared only where |x| <= 1, never judged by a complex value."""
    spec = {"x": VarSpec((-2.0, 2.0))}
    outcome = compare_scalar(parse("asin(x)", names=X), parse("atan(x/sqrt(1 - x^2))", names=X),
                             spec)
    assert outcome.equal is True
    assert isinstance(evaluate(parse("acosh(0.5)"), {}), complex)
    assert isinstance(evaluate(parse("atanh(2)"), {}), complex)
    with pytest.raises(AnswerError, match="not a real number"):
        to_number(parse("arcsin(2)"))


@pytest.mark.parametrize("text", [
    "cosh(x)", "sinh(x)", "sech(x)", "atan(x)", "asin(x)", "acos(x)", "atanh(x)", "asinh(x)",
    "acosh(x)", "log2(x)", "log10(x)", "softplus(x)", "relu(x)", "erf(x)",
])
def test_printers_round_trip(text):
    node = parse(text, names=X)
    assert parse(to_plain(node), names=X) == node
    assert parse(f"${to_latex(node)}$", names=X) == node


def test_latex_commands():
    assert parse(r"$\arctan(x) + \cosh(x)$", names=X) == parse("atan(x) + cosh(x)", names=X)
    assert parse(r"$\operatorname{softplus}(x)$", names=X) == parse("softplus(x)", names=X)
    assert parse(r"$e^{-x}$", names=X) == parse("e^(-x)", names=X)


def test_sympy_mapping():
    import sympy
    xs = sympy.Symbol("x")
    built = to_sympy(parse("atanh(x) + log2(x) + relu(x) + erf(x)", names=X), {"x": xs})
    assert built.has(sympy.atanh) and built.has(sympy.erf) and built.has(sympy.Max)


def test_mixed_numbers_and_superscript_letters():
    with pytest.raises(AnswerError, match="mixed number"):
        parse("2½")
    assert parse("x²ʸ", names={"x": (), "y": ()}) == parse("x^(2y)", names={"x": (), "y": ()})
    assert parse("log(8, 2)") == parse("log(8)/log(2)")
