"""to_sympy: sympy objects built from our tree, compared with expressions written by hand."""

import sympy as sp
import sympy.parsing.sympy_parser as sympy_parser
import pytest

from grader.lang import parse, to_sympy

x, y, t = sp.symbols("x y t", real=True)
SCALARS = {"x": x, "y": y, "t": t}


@pytest.mark.parametrize("text, expected", [
    ("2x + 1/3", 2 * x + sp.Rational(1, 3)),
    ("0.1 x", sp.Rational(1, 10) * x),
    ("1e-3", sp.Rational(1, 1000)),
    ("sigmoid(t)", 1 / (1 + sp.exp(-t))),
    ("ln(x) + exp(-y)", sp.log(x) + sp.exp(-y)),
    ("sqrt(x^2)", sp.sqrt(x ** 2)),
    ("abs(x) - tanh(t)", sp.Abs(x) - sp.tanh(t)),
    ("max(0, x, y)", sp.Max(0, x, y)),
    ("x^-2", x ** -2),
    ("e^pi", sp.E ** sp.pi),
    ("sin(x) cos(y) tan(t)", sp.sin(x) * sp.cos(y) * sp.tan(t)),
])
def test_scalar_expressions(text, expected):
    assert to_sympy(parse(text, names={"x": (), "y": (), "t": ()}), SCALARS) == expected


def test_matrix_symbols():
    a = sp.MatrixSymbol("A", 3, 3)
    v = sp.MatrixSymbol("v", 3, 1)
    symbols = {"A": a, "v": v}
    names = {"A": (3, 3), "v": (3, 1)}
    assert to_sympy(parse("A^T v", names=names), symbols) == a.T * v
    assert to_sympy(parse("(A + I)^{-1}", names=names), symbols) == (a + sp.Identity(3)) ** -1
    assert to_sympy(parse("det(A) tr(A)", names=names), symbols) == sp.det(a) * sp.trace(a)


def test_explicit_matrices_and_one_by_one_results():
    """With explicit matrices, I is eye(n) and x^T A x becomes a scalar expression."""
    a = sp.Matrix(2, 2, sp.symbols("a:4", real=True))
    v = sp.Matrix(sp.symbols("v:2", real=True))
    symbols = {"A": a, "v": v}
    names = {"A": (2, 2), "v": (2, 1)}
    quad = to_sympy(parse("v^T A v", names=names), symbols)
    assert not isinstance(quad, sp.MatrixBase)
    assert sp.expand(quad - (v.T * a * v)[0, 0]) == 0
    assert to_sympy(parse("A + 2I", names=names), symbols) == a + 2 * sp.eye(2)
    assert to_sympy(parse("(v^T v) v", names=names), symbols) == (v.T * v)[0, 0] * v
    assert to_sympy(parse("sigmoid(v)", names=names), symbols) == v.applyfunc(
        lambda z: 1 / (1 + sp.exp(-z)))
    assert to_sympy(parse("A .* A", names=names), symbols) == a.multiply_elementwise(a)
    assert to_sympy(parse("[1, 1/2]"), {}) == sp.Matrix([1, sp.Rational(1, 2)])


def test_no_string_reaches_sympy(monkeypatch):
    """sympify(str) goes through parse_expr; it must never be called."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"parse_expr called with {args!r}")

    monkeypatch.setattr(sympy_parser, "parse_expr", refuse)
    a = sp.Matrix(2, 2, sp.symbols("a:4"))
    names = {"x": (), "A": (2, 2)}
    for text in ["2x^2 + 0.5", "sigmoid(x) (1 - sigmoid(x))", "inv(A) + I", "max(x, 0)",
                 "log(det(A)) + tr(A^T A)", "[[x, 1], [2, 3]] A", "sqrt(abs(x)) / pi"]:
        to_sympy(parse(text, names=names), {"x": x, "A": a})
