"""Numeric evaluation: values checked against hand-computed numbers and numpy formulas."""

import math

import numpy as np
import pytest

from grader.lang import AnswerError, evaluate, parse, to_number
from grader.lang.evaluate import BatchEvaluator
from grader.lang.shapes import with_sizes


@pytest.mark.parametrize("text, env, expected", [
    ("2x + 1", {"x": 3}, 7.0), ("x^2 - 2x", {"x": -1.5}, 5.25), ("3/4", {}, 0.75),
    ("sigmoid(0)", {}, 0.5), ("tanh(0) + cos(0)", {}, 1.0), ("max(1, 2, -3)", {}, 2.0),
    ("min(1, 2, -3)", {}, -3.0), ("abs(-2.5)", {}, 2.5), ("sqrt(16)", {}, 4.0),
    ("log(e^3)", {}, 3.0), ("2^10", {}, 1024.0), ("x y / 4", {"x": 2, "y": 6}, 3.0),
    ("det([[1, 2], [3, 4]])", {}, -2.0), ("tr([[1, 2], [3, 4]])", {}, 5.0),
])
def test_scalar_values(text, env, expected):
    """Scalars come back as floats with the value worked out by hand."""
    value = evaluate(parse(text), env)
    assert isinstance(value, float) and value == pytest.approx(expected, rel=1e-12)


def test_sigmoid_is_stable_far_out():
    """No overflow warning, no nan: sigmoid saturates to exactly 0 and 1."""
    with np.errstate(all="raise"):
        assert evaluate(parse("sigmoid(1000)"), {}) == 1.0
        assert evaluate(parse("sigmoid(-1000)"), {}) == 0.0
        assert evaluate(parse("sigmoid(-30)"), {}) == pytest.approx(math.exp(-30), rel=1e-12)


def test_overflow_gives_inf_not_an_exception():
    assert evaluate(parse("exp(1000)"), {}) == math.inf
    assert evaluate(parse("10^400"), {}) == math.inf
    assert evaluate(parse("1e400 / 1e400"), {}) != evaluate(parse("1e400 / 1e400"), {})  # nan


def test_negative_logs_and_roots_are_complex():
    assert evaluate(parse("sqrt(-4)"), {}) == pytest.approx(2j)
    assert evaluate(parse("log(-1)"), {}) == pytest.approx(math.pi * 1j)


def test_matrix_values():
    """Matrices as 2-D float arrays; vectors as columns; I sized from context."""
    a = np.array([[2.0, 1.0], [0.0, 4.0]])
    x = np.array([1.0, -1.0])
    env = {"A": a, "x": x}
    np.testing.assert_allclose(evaluate(parse("A^{-1}"), env), [[0.5, -0.125], [0.0, 0.25]])
    np.testing.assert_allclose(evaluate(parse("A^2"), env), [[4.0, 6.0], [0.0, 16.0]])
    np.testing.assert_allclose(evaluate(parse("A + 3I"), env), [[5.0, 1.0], [0.0, 7.0]])
    np.testing.assert_allclose(evaluate(parse("A x"), env), [[1.0], [-4.0]])
    np.testing.assert_allclose(evaluate(parse("x^T A x"), env), [[5.0]])   # 2 - 1 + 0 + 4
    np.testing.assert_allclose(evaluate(parse("A .* A"), env), a * a)
    np.testing.assert_allclose(evaluate(parse("[1, 2]"), {}), [[1.0], [2.0]])
    np.testing.assert_allclose(evaluate(parse("(x^T x) x"), env), [[2.0], [-2.0]])


def test_singular_inverse_is_nan():
    value = evaluate(parse("inv([[1, 2], [2, 4]])"), {})
    assert np.isnan(value).all()


def test_batch_matches_numpy_formulas():
    """One vectorised pass over many points agrees with numpy written by hand."""
    rng = np.random.default_rng(7)
    a = rng.normal(size=(20, 3, 3))
    x = rng.normal(size=(20, 3, 1))
    t = rng.normal(size=(20, 1, 1))
    names = {"A": (3, 3), "x": (3, 1), "t": ()}
    node, _ = with_sizes(parse("t x^T A x + sigmoid(t)", names=names), names)
    got = BatchEvaluator({"A": a + 0j, "x": x + 0j, "t": t + 0j}).run(node)
    quad = np.einsum("pi,pij,pj->p", x[:, :, 0], a, x[:, :, 0])
    want = t[:, 0, 0] * quad + 1 / (1 + np.exp(-t[:, 0, 0]))
    np.testing.assert_allclose(got[:, 0, 0].real, want, rtol=1e-12)


@pytest.mark.parametrize("text, expected", [
    ("3/4", 0.75), ("-2.5", -2.5), ("exp(2)/(1+exp(2))", math.exp(2) / (1 + math.exp(2))),
    ("1e-3", 0.001), ("pi/2", math.pi / 2), ("σ(0)", 0.5), ("$\\frac{3}{4}$", 0.75),
    ("[[0.5]]", 0.5),
])
def test_to_number(text, expected):
    assert to_number(parse(text)) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("text, fragment", [
    ("x + 1", "contains 'x'"), ("1/0", "not a finite number"), ("sqrt(-1)", "not a real number"),
    ("[1, 2]", "expected a single number, got a 2×1 vector"), ("exp(1000)", "not a finite"),
])
def test_to_number_errors(text, fragment):
    with pytest.raises(AnswerError) as caught:
        to_number(parse(text))
    assert fragment in caught.value.message
