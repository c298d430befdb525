"""Equivalence: tables of known identities and non-identities, rewrites made by sympy
on the test side, perturbations, matrix identities, and the sympy/timeout fallback."""

import time

import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from grader.lang import AnswerError, parse
from grader.lang.equivalence import MatVarSpec, Outcome, VarSpec, compare_matrix, compare_scalar

X = {"x": VarSpec()}
XY = {"x": VarSpec(), "y": VarSpec()}
T = {"t": VarSpec((-4.0, 4.0))}
POSITIVE = {"x": VarSpec((0.1, 3.0)), "y": VarSpec((0.1, 3.0))}


def scalar(ref: str, ans: str, variables, **kwargs) -> Outcome:
    names = {name: () for name in variables}
    return compare_scalar(parse(ref, names=names), parse(ans, names=names), variables, **kwargs)


def matrix(ref: str, ans: str, variables, **kwargs) -> Outcome:
    names = {n: s.shape if isinstance(s, MatVarSpec) else () for n, s in variables.items()}
    return compare_matrix(parse(ref, names=names), parse(ans, names=names), variables, **kwargs)


@pytest.mark.parametrize("ref, ans, variables, equal", [
    # sigmoid and tanh facts
    ("tanh(t)", "2*sigmoid(2t) - 1", T, True),
    ("tanh(t)", "2*sigmoid(t) - 1", T, False),
    ("sigmoid(-t)", "1 - sigmoid(t)", T, True),
    ("sigmoid(t)*(1 - sigmoid(t))", "exp(-t)/(1 + exp(-t))^2", T, True),
    ("sigmoid(t)*(1 - sigmoid(t))", "sigmoid(t)^2", T, False),
    ("1 - tanh(t)^2", "4 sigmoid(2t)(1 - sigmoid(2t))", T, True),
    ("log(1 + exp(t))", "t + log(1 + exp(-t))", T, True),
    ("log(1 + exp(t))", "-log(sigmoid(-t))", T, True),
    ("log(sigmoid(t))", "-log(1 + e^(-t))", T, True),
    ("log(sigmoid(t))", "log(1 + e^(-t))", T, False),
    # algebra
    ("x*(x + 1)", "x^2 + x", X, True), ("(x + y)^2", "x^2 + 2 x y + y^2", XY, True),
    ("(x + y)^2", "x^2 + y^2", XY, False), ("x/x", "1", X, True),
    ("(x^2 - 1)/(x - 1)", "x + 1", X, True), ("1/(1/x)", "x", X, True),
    ("exp(x) exp(y)", "exp(x + y)", XY, True), ("exp(x)^2", "exp(2x)", X, True),
    ("exp(20 x)", "exp(10 x)^2", {"x": VarSpec((-3.0, 3.0))}, True),
    ("sin(x)^2 + cos(x)^2", "1", X, True), ("sin(x) - x", "-(x - sin(x))", X, True),
    ("sin(x) - x", "x - sin(x)", X, False),
    # piecewise-like functions
    ("max(0, x)", "(x + abs(x))/2", X, True), ("min(x, y)", "(x + y - abs(x - y))/2", XY, True),
    ("max(0, x)", "abs(x)", X, False), ("sqrt(x^2)", "abs(x)", X, True),
    ("sqrt(x^2)", "x", X, False),
    # logs and roots: skip points outside the real domain, never crash
    ("log(x y)", "log(x) + log(y)", POSITIVE, True), ("log(x y)", "log(x) + log(y)", XY, True),
    ("log(x^2)", "2 log(abs(x))", X, True), ("exp(log(x))", "x", POSITIVE, True),
    ("sqrt(x) sqrt(y)", "sqrt(x y)", POSITIVE, True), ("log(x)", "log(x) + 1", POSITIVE, False),
    # numbers only
    ("3/4", "0.75", {}, True), ("1/3", "0.333333", {}, False), ("sqrt(8)", "2 sqrt(2)", {}, True),
    ("exp(2)/(1 + exp(2))", "sigmoid(2)", {}, True), ("0", "x*(x + 1) - x^2 - x", X, True),
    ("1e-12 x", "0", X, False),
])
def test_scalar_table(ref, ans, variables, equal):
    """Identities are recognised and non-identities refuted, by sampling (two constants:
    compared exactly, without sampling)."""
    outcome = scalar(ref, ans, variables)
    check = "sampling" if variables else "exact"
    assert (outcome.equal, outcome.check) == (equal, check), outcome.detail


A = MatVarSpec((3, 3))
M = {"A": A, "B": MatVarSpec((3, 3)), "x": MatVarSpec((3, 1))}
SYM = {"A": MatVarSpec((3, 3), "symmetric"), "x": MatVarSpec((3, 1))}
SPD = {"S": MatVarSpec((3, 3), "spd"), "B": MatVarSpec((3, 3), "invertible")}
RIDGE = {"X": MatVarSpec((6, 3)), "y": MatVarSpec((6, 1)), "lambda": VarSpec((0.1, 2.0))}


@pytest.mark.parametrize("ref, ans, variables, equal", [
    ("(A + A^T) x", "A x + A^T x", M, True),
    ("(A + A^T) x", "2 A x", M, False),           # gradient of x^T A x for a general A
    ("(A + A^T) x", "2 A x", SYM, True),          # ... and for a symmetric one
    ("inv(A B)", "inv(B) inv(A)", M, True), ("inv(A B)", "inv(A) inv(B)", M, False),
    ("(A B)^T", "B^T A^T", M, True), ("(A B)^T", "A^T B^T", M, False),
    ("det(A B)", "det(A) det(B)", M, True), ("det(A^T)", "det(A)", M, True),
    ("det(inv(A))", "1/det(A)", M, True), ("det(2A)", "8 det(A)", M, True),
    ("det(2A)", "2 det(A)", M, False), ("tr(A B)", "tr(B A)", M, True),
    ("tr(A B)", "tr(A) tr(B)", M, False), ("tr(A + B)", "tr(A) + tr(B)", M, True),
    ("tr(A^T B)", "tr(A B^T)", M, True), ("x^T A x", "tr(A x x^T)", M, True),
    ("inv(A)^T", "inv(A^T)", M, True), ("A^2", "A A", M, True), ("A^{-2}", "inv(A A)", M, True),
    ("A + I", "I + A", M, True), ("(A + I)^2", "A^2 + 2A + I", M, True),
    ("log(det(S^2))", "2 log(det(S))", SPD, True), ("inv(B) S B", "S", SPD, False),
    ("(X^T X + lambda I)^{-1} X^T y", "inv(X' X + λ I) X' y", RIDGE, True),
    ("(X^T X + lambda I)^{-1} X^T y", "inv(X' X) X' y", RIDGE, False),
    ("2 X^T (X inv(X^T X) X^T y - y)", "0 y^T X", RIDGE, None),   # shapes 3×1 vs 1×3
    ("x / sqrt(x^T x)", "x / sqrt(tr(x x^T))", M, True),
    ("sigmoid(A x) .* (1 - sigmoid(A x))", "exp(-A x) .* sigmoid(A x) .* sigmoid(A x)", M, True),
])
def test_matrix_table(ref, ans, variables, equal):
    """Matrix identities by random instantiation of the declared matrices."""
    if equal is None:
        with pytest.raises(AnswerError, match="expected a 3×1 vector, got a 1×3 vector"):
            matrix(ref, ans, variables)
        return
    outcome = matrix(ref, ans, variables)
    assert (outcome.equal, outcome.check) == (equal, "sampling"), outcome.detail


# -- rewrites produced by sympy (an independent CAS), perturbations ------------------

sx, sy = sp.symbols("x y")
coefficients = st.integers(-5, 5)
linear = st.builds(lambda a, b, c: a * sx + b * sy + c, coefficients, coefficients, coefficients)
polynomials = st.lists(linear, min_size=1, max_size=3).map(lambda fs: sp.Mul(*fs))


@settings(max_examples=60, deadline=None)
@given(polynomials)
def test_expanded_and_factored_forms_agree(poly):
    """sympy's expand() and factor() of the same polynomial compare equal."""
    assert scalar(str(sp.expand(poly)), str(sp.factor(poly)), XY).equal is True


@settings(max_examples=40, deadline=None)
@given(polynomials, st.randoms(use_true_random=False))
def test_reordered_terms_agree(poly, random):
    """Terms in any order compare equal."""
    terms = sp.Add.make_args(sp.expand(poly))
    shuffled = list(terms)
    random.shuffle(shuffled)
    ans = " + ".join(f"({term})" for term in shuffled)
    assert scalar(str(sp.expand(poly)), ans, XY).equal is True


@settings(max_examples=40, deadline=None)
@given(polynomials, polynomials)
def test_distributing_agrees(a, b):
    """x*(a + b) equals x*a + x*b."""
    assert scalar(f"x*(({a}) + ({b}))", f"x*({a}) + x*({b})", XY).equal is True


@settings(max_examples=60, deadline=None)
@given(polynomials)
def test_adding_a_thousandth_is_caught(poly):
    assert scalar(str(sp.factor(poly)), f"{sp.expand(poly)} + 0.001", XY).equal is False


@settings(max_examples=60, deadline=None)
@given(polynomials, st.data())
def test_changing_a_coefficient_is_caught(poly, data):
    """Adding k times one of the monomials (k a non-zero integer) is a different function."""
    expanded = sp.expand(poly)
    assume(expanded != 0)
    term = data.draw(st.sampled_from(sp.Add.make_args(expanded)))
    k = data.draw(st.integers(-3, 3).filter(bool))
    monomial = term / sp.Poly(term, sx, sy).coeffs()[0]
    changed = sp.expand(expanded + k * monomial)
    assert scalar(str(expanded), str(changed), XY).equal is False


# -- declarations, errors, determinism -----------------------------------------------

def test_dependent_variable_stands_for_an_expression():
    """A part may declare s = sigma(t); then s*(1-s) equals sigma(t)*(1-sigma(t))."""
    variables = {"t": VarSpec(), "s": VarSpec(equals="sigmoid(t)")}
    assert scalar("s*(1 - s)", "sigma(t)*(1 - sigma(t))", variables).equal is True
    assert scalar("s*(1 - s)", "s - sigma(t)", variables).equal is False


def test_yaml_style_dict_declarations():
    """Plain dicts from problem files work like the spec objects."""
    names = {"t": ()}
    outcome = compare_scalar(parse("t^2", names=names), parse("t t", names=names),
                             {"t": {"domain": [-3, 3]}})
    assert outcome.equal is True
    variables = {"S": {"shape": [2, 2], "kind": "spd"}, "c": {"shape": [], "kind": "general"}}
    names = {"S": (2, 2), "c": ()}
    outcome = compare_matrix(parse("c inv(S) S", names=names), parse("c I", names=names),
                             variables)
    assert outcome.equal is True


def test_same_seed_same_outcome_and_other_seeds_agree():
    first = scalar("tanh(t)", "2*sigmoid(2t) - 1.001", T, seed=3)
    assert scalar("tanh(t)", "2*sigmoid(2t) - 1.001", T, seed=3) == first
    assert all(scalar("(x+1)^2", "x^2 + 2x + 1", X, seed=s).equal for s in range(10))


def test_answer_problems_raise_answer_error():
    with pytest.raises(AnswerError, match="expected a scalar, got a 3×1 vector"):
        matrix("x^T x", "x", M)
    with pytest.raises(AnswerError, match="unknown name"):
        compare_scalar(parse("x"), parse("q"), X)


def test_reference_and_declaration_problems_raise_value_error():
    with pytest.raises(ValueError, match="reference"):
        compare_scalar(parse("q"), parse("x"), X)
    with pytest.raises(ValueError, match="unknown kind"):
        matrix("A", "A", {"A": MatVarSpec((2, 2), "orthogonal")})
    with pytest.raises(ValueError, match="must be square"):
        matrix("A", "A", {"A": MatVarSpec((2, 3), "spd")})
    with pytest.raises(ValueError, match="low < high"):
        scalar("x", "x", {"x": VarSpec((1.0, 1.0))})
    with pytest.raises(ValueError, match="cycle"):
        scalar("a", "b", {"a": VarSpec(equals="b"), "b": VarSpec(equals="a")})


def test_a_difference_at_rounding_level_is_weighed_against_the_magnitudes():
    """The plain values differ beyond RTOL here; only the magnitude bound shows that the
    difference is cancellation noise (the terms are a billion times the result)."""
    assert scalar("(1000000000 + x) - 1000000000", "x", X).equal is True
    assert scalar("(1000000000 + x) - 1000000000", "2 x", X).equal is False


def test_agreeing_values_need_no_rounding_bound():
    """sqrt(0) has no finite first-order bound, but where the values agree none is needed."""
    outcome = scalar("x + sqrt(0)", "x", X)
    assert (outcome.equal, outcome.check) == (True, "sampling")


def test_one_reference_against_other_declarations_and_seeds():
    """The reference's values are remembered per declarations and seed, never across them."""
    ref = parse("s", names={"s": (), "t": ()})
    ans = parse("sigmoid(t)", names={"s": (), "t": ()})
    as_sigmoid = {"t": VarSpec(), "s": VarSpec(equals="sigmoid(t)")}
    as_tanh = {"t": VarSpec(), "s": VarSpec(equals="tanh(t)")}
    for seed in (0, 1):
        assert compare_scalar(ref, ans, as_sigmoid, seed=seed).equal is True
        assert compare_scalar(ref, ans, as_tanh, seed=seed).equal is False
    x = parse("x", names={"x": ()})
    assert compare_scalar(x, parse("abs(x)", names={"x": ()}), {"x": VarSpec((0.5, 2.0))}).equal
    assert not compare_scalar(x, parse("abs(x)", names={"x": ()}), {"x": VarSpec((-2.0, -0.5))}).equal


# -- the sympy fallback and its budget --------------------------------------------------

NOWHERE_REAL = "log(-1 - x^2)"      # no real value anywhere: sampling cannot decide


def test_inconclusive_sampling_goes_to_sympy():
    outcome = scalar(NOWHERE_REAL, f"{NOWHERE_REAL} + sin(x)^2 + cos(x)^2 - 1", X)
    assert (outcome.equal, outcome.check) == (True, "sympy")
    outcome = scalar(NOWHERE_REAL, f"2 {NOWHERE_REAL}", X)
    assert (outcome.equal, outcome.check) == (False, "sympy")


def test_sympy_over_budget_is_undecided_not_wrong():
    started = time.monotonic()
    outcome = scalar(NOWHERE_REAL, f"{NOWHERE_REAL} + sin(x)^2 + cos(x)^2 - 1", X,
                     budget_s=0.001)
    assert (outcome.equal, outcome.check) == (None, "timeout")
    assert time.monotonic() - started < 30       # interpreter start-up is not budgeted


def test_sampling_decides_without_any_budget():
    """tanh(x) vs 2 sigmoid(2x) - 1 is settled by sampling, never marked wrong."""
    outcome = scalar("tanh(t)", "2*sigmoid(2t) - 1", T, budget_s=0)
    assert (outcome.equal, outcome.check) == (True, "sampling")
    outcome = scalar(NOWHERE_REAL, NOWHERE_REAL, X, budget_s=0)
    assert (outcome.equal, outcome.check) == (None, "timeout")


def test_sympy_fallback_keeps_the_size_of_a_lone_identity():
    """An answer `c I` is sized from the reference, also in the sympy worker."""
    variables = {"c": VarSpec((-3.0, -1.0)), "A": MatVarSpec((2, 2), "diagonal")}
    ref = "sqrt(c) inv(A) A"          # sqrt of a negative: no real sample point
    outcome = matrix(ref, "sqrt(c) I", variables)
    assert (outcome.equal, outcome.check) == (True, "sympy")


def test_declarations_built_once_give_the_same_outcomes():
    """A part's frozen declarations compare exactly as the mapping they came from."""
    from grader.lang.equivalence import Declarations
    variables = {"x": VarSpec((-3.0, 3.0)), "s": VarSpec((0.1, 2.0))}
    declared = Declarations(variables)
    assert declared == Declarations(dict(variables)) and hash(declared) == hash(Declarations(variables))
    assert declared != Declarations({"x": VarSpec()})
    for ref, ans in (("x*s + x", "x*(s + 1)"), ("log(s)", "log(2*s)")):
        a = compare_scalar(parse(ref), parse(ans), variables, seed=3)
        b = compare_scalar(parse(ref), parse(ans), declared, seed=3)
        assert (a.equal, a.detail) == (b.equal, b.detail)


def test_a_differences_detail_is_written_when_first_read():
    calls = []

    def detail():
        calls.append(1)
        return "differs at 3 of 16 usable sample points"

    outcome = Outcome(False, "sampling", detail)
    assert calls == []
    assert outcome.detail == outcome.detail == "differs at 3 of 16 usable sample points"
    assert calls == [1]
    assert outcome == Outcome(False, "sampling", "differs at 3 of 16 usable sample points")
    wrong = scalar("x^2", "x^3", X)
    assert wrong.equal is False and wrong.detail.startswith("differs at ") and "x=" in wrong.detail


def test_sample_points_are_the_seeded_generators_stream():
    """Building the seed sequence once changes no sample: the points are those of
    numpy.random.default_rng([seed, batch])."""
    import numpy as np

    from grader.lang import equivalence
    declared = equivalence.Declarations({"a": VarSpec((0.0, 1.0)), "b": VarSpec((-3.0, 3.0))})
    for seed, batch in ((0, 0), (7, 1)):
        equivalence.clear_cache()
        env = equivalence._environment(declared, seed, batch, 16)
        rng = np.random.default_rng([seed, batch])
        assert np.array_equal(env["a"].real, rng.uniform(0.0, 1.0, (16, 1, 1)))
        assert np.array_equal(env["b"].real, rng.uniform(-3.0, 3.0, (16, 1, 1)))
