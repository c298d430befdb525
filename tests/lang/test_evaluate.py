"""Numeric evaluation: values checked against hand-computed numbers and numpy formulas."""

import cmath
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lang_strategies import small_numbers

from grader.lang import AnswerError, evaluate, parse, to_number
from grader.lang import tree as t
from grader.lang.evaluate import BatchEvaluator, _scalar
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
    assert evaluate(parse("10^400 / 10^400"), {}) != evaluate(parse("10^400 / 10^400"), {})  # nan


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
    ("[1, 2]", "expected a single number, got a 2×1 vector"), ("exp(1000)", "too large: at most 1.798e+308"),
])
def test_to_number_errors(text, fragment):
    with pytest.raises(AnswerError) as caught:
        to_number(parse(text))
    assert fragment in caught.value.message


# -- constants in plain Python -------------------------------------------------------

_SCALAR_FUNCTIONS = ("exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid")
_constant_trees = st.recursive(
    st.one_of(small_numbers, st.sampled_from([t.Const("e"), t.Const("pi")])),
    lambda ch: st.one_of(
        st.builds(t.Neg, ch), st.builds(t.Add, ch, ch), st.builds(t.Sub, ch, ch),
        st.builds(t.Mul, ch, ch), st.builds(t.Div, ch, ch), st.builds(t.Pow, ch, ch),
        st.builds(lambda f, a: t.Call(f, (a,)), st.sampled_from(_SCALAR_FUNCTIONS), ch),
        st.builds(lambda f, a: t.Call(f, tuple(a)), st.sampled_from(["max", "min"]),
                  st.lists(ch, min_size=2, max_size=3))),
    max_leaves=12)


def _huge_phase(node) -> bool:
    """A periodic function of a huge argument: sin, cos or tan of a huge number, or
    exp, tanh, sigmoid or a power turning by a huge imaginary phase. One ulp of the
    argument moves the result there by far more than any fixed tolerance, so two
    correct evaluators (cmath and numpy) may disagree."""
    return any(_turns_far(current) for current in t.subtrees(node))


def _turns_far(node) -> bool:
    if isinstance(node, t.Call) and node.func in ("sin", "cos", "tan", "exp", "tanh", "sigmoid"):
        z = _scalar(node.args[0])
        if z is None:
            return True
        return (abs(z) if node.func in ("sin", "cos", "tan") else abs(z.imag)) > 1e4
    if isinstance(node, t.Pow):
        base, exp = _scalar(node.base), _scalar(node.exp)
        if base is None or exp is None:
            return True
        return base != 0 and abs((exp * cmath.log(base)).imag) > 1e4
    return False


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(_constant_trees)
@example(t.Pow(t.Call("max", (t.Const("e"), t.Const("e"))),     # e^(i·1.8e6): found by CI
               t.Call("sqrt", (t.Neg(t.Pow(t.Num(Fraction(9481)), t.Const("pi"))),))))
def test_plain_python_constants_match_numpy(node):
    """The plain-Python path for constants gives numpy's value (same branches, same
    sigmoid), or declines and leaves the case to numpy."""
    fast = _scalar(node)
    if fast is None or _huge_phase(node):
        return
    with np.errstate(all="ignore"):
        slow = complex(BatchEvaluator({}).run(with_sizes(node, {})[0])[0, 0, 0])
    assert abs(fast - slow) <= 1e-9 * max(1.0, abs(slow))


@pytest.mark.parametrize("text, expected", [
    ("exp(2)/(1 + exp(2))", math.exp(2) / (1 + math.exp(2))), ("sqrt(-4)", 2j),
    ("log(-1)", complex(0, math.pi)), ("sigmoid(-800)", 0.0), ("2^10", 1024.0),
    ("max(1, 2) - min(-1, 3)", 3.0), ("-(2)^0.5", -math.sqrt(2)),
])
def test_plain_python_constants_by_hand(text, expected):
    z = _scalar(parse(text))
    assert z is not None and abs(z - expected) <= 1e-12 * max(1.0, abs(expected))


@pytest.mark.parametrize("text", ["x + 1", "det([[1, 2], [3, 4]])", "1/0", "exp(1000)",
                                  "log(0)", "0^-1", "[1, 2]"])
def test_plain_python_constants_decline(text):
    """Names, matrices and anything non-finite are left to numpy (which gives inf/nan)."""
    assert _scalar(parse(text)) is None


def test_constant_values_are_memoised_per_tree_but_never_shared():
    """A part's reference is evaluated once; a caller that changes the array it got
    changes neither the memo nor what the next caller gets."""
    node = parse("[1, 2; 3, 4]/2")
    first = evaluate(node, {})
    first[0, 0] = 99.0
    again = evaluate(node, {})
    assert again is not first and again.tolist() == [[0.5, 1.0], [1.5, 2.0]]
    number = parse("2^10 - 24")
    assert to_number(number) == to_number(number) == 1000.0
