"""Reference solvers of the backpropagation families (D1, D2), checked against sympy
differentiation, hand computations and finite differences."""

from __future__ import annotations


import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bank_yaml import assert_visible_lists_match
from reference import Reject
from reference.backprop import (GRAPH_VISIBLE, MLP_VISIBLE, _linear, _sgd_step, graph_partials,
                                mlp_backprop_two_steps)

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much])
X, Y = sympy.symbols("x y")


def solve_or_skip(solver, p):
    try:
        return solver(p)
    except Reject:
        assume(False)


# --- D1 ------------------------------------------------------------------------------------

nonzero = st.sampled_from([-3, -2, -1, 1, 2, 3])
graph_params = st.fixed_dictionaries(dict(
    a=nonzero, b=nonzero, c=nonzero, d=st.sampled_from([-2, -1, 2, 3]),
    x0=st.integers(-2, 2), y0=st.integers(-2, 2))).filter(lambda p: p["x0"] + p["d"] * p["y0"])


def f_of(p):
    return p["a"] * X ** 2 + p["b"] * X * Y + p["c"] * (X + p["d"] * Y) ** 2


def reference_formula(text):
    """Our own reference strings (trusted, linear in x and y) as sympy expressions."""
    return sympy.sympify(text, locals={"x": X, "y": Y})


class TestGraphPartials:
    def test_by_hand(self):
        """f = x^2 + xy + 3(x + 2y)^2: df/dx = 2x + y + 6(x + 2y) = 8x + 13y,
        df/dy = x + 12(x + 2y) = 13x + 24y; at (1, -1): s = -1, df/ds = 6s = -6."""
        r = graph_partials(dict(a=1, b=1, c=3, d=2, x0=1, y0=-1))
        assert r["df_dx"] == "8*x + 13*y"
        assert r["df_dy"] == "13*x + 24*y"
        assert r["df_ds"] == -6
        assert r["grad"] == [-5, -11]

    @SETTINGS
    @given(graph_params)
    def test_formulas_match_symbolic_derivatives(self, p):
        r = solve_or_skip(graph_partials, p)
        f = f_of(p)
        assert sympy.expand(reference_formula(r["df_dx"]) - sympy.diff(f, X)) == 0
        assert sympy.expand(reference_formula(r["df_dy"]) - sympy.diff(f, Y)) == 0

    @SETTINGS
    @given(graph_params)
    def test_values_match_finite_differences(self, p):
        r = solve_or_skip(graph_partials, p)

        def f(x, y, s=None):
            s = x + p["d"] * y if s is None else s
            return p["a"] * x * x + p["b"] * x * y + p["c"] * s * s

        x0, y0, h = p["x0"], p["y0"], 1e-4
        s0 = x0 + p["d"] * y0
        assert r["grad"][0] == pytest.approx((f(x0 + h, y0) - f(x0 - h, y0)) / (2 * h), abs=1e-6)
        assert r["grad"][1] == pytest.approx((f(x0, y0 + h) - f(x0, y0 - h)) / (2 * h), abs=1e-6)
        assert r["df_ds"] == pytest.approx((f(x0, y0, s0 + h) - f(x0, y0, s0 - h)) / (2 * h),
                                           abs=1e-6)

    @SETTINGS
    @given(graph_params)
    def test_every_formula_misconception_is_a_different_function(self, p):
        r = solve_or_skip(graph_partials, p)
        visible = {"df_dx": ("missed-path", "no-power-factor"),
                   "df_dy": ("missed-path", "no-chain-factor", "no-power-factor")}
        for part, bugs in visible.items():
            for bug in bugs:
                wrong = reference_formula(graph_partials(p, bug=bug)[part])
                assert sympy.expand(wrong - reference_formula(r[part])) != 0, (part, bug)

    @SETTINGS
    @given(graph_params)
    def test_every_listed_bug_changes_its_value(self, p):
        r = solve_or_skip(graph_partials, p)
        for part, (bugs, abs_tol, _) in GRAPH_VISIBLE.items():
            for bug in bugs:
                diff = np.subtract(graph_partials(p, bug=bug)[part], r[part])
                assert np.max(np.abs(diff)) > 2 * abs_tol

    def test_bug_formulas_by_hand(self):
        """Same f as above: without the s-path df/dx = 2x + y; without ds/dy = 2,
        df/dy = x + 6(x + 2y); with d(t^2)/dt = t, df/dx = x + y + 3(x + 2y)."""
        p = dict(a=1, b=1, c=3, d=2, x0=1, y0=-1)
        assert graph_partials(p, bug="missed-path")["df_dx"] == "2*x + y"
        assert graph_partials(p, bug="no-chain-factor")["df_dy"] == "7*x + 12*y"
        assert graph_partials(p, bug="no-power-factor")["df_dx"] == "4*x + 7*y"

    @pytest.mark.parametrize("cx, cy, text", [(1, 0, "x"), (-1, 0, "-x"), (0, 0, "0"),
                                              (3, -1, "3*x - y"), (0, -2, "-2*y")])
    def test_linear_formatting(self, cx, cy, text):
        assert _linear(cx, cy) == text

    def test_function_without_x_is_rejected(self):
        """a = -c and b = -2cd make f = -c y^2 ... free of x: df/dx = 0."""
        with pytest.raises(Reject):
            graph_partials(dict(a=-1, b=-4, c=1, d=2, x0=1, y0=1))


# --- D2 ------------------------------------------------------------------------------------

point = st.lists(st.integers(1, 5), min_size=2, max_size=2)
mlp_params = st.fixed_dictionaries(dict(
    x1=point, y1=st.integers(0, 2), x2=point, y2=st.integers(0, 2),
    w3=st.lists(st.integers(-2, 2), min_size=2, max_size=2),
    v=st.lists(st.sampled_from([-2, -1, 1, 2]), min_size=2, max_size=2),
    eta=st.sampled_from([0.5, 1]), order=st.sampled_from([[1, 2], [2, 1]]))).filter(
    lambda p: p["y1"] != p["y2"] and p["w3"][0] != p["w3"][1]
    and p["w3"][0] * p["v"][0] + p["w3"][1] * p["v"][1] != 0)


def start_weights(p):
    """W1 = 0, W2 = [[v], [-v]] as the sheet states, w3 drawn; flattened as mlp_loss reads them."""
    v = np.array(p["v"], float)
    return flat(np.zeros((2, 2)), np.vstack([v, -v]), p["w3"]).astype(float)


def mlp_loss(weights, x, y):
    """The sheet's network written out unit by unit; weights = W1 (4), W2 (4), w3 (2)."""
    w = list(weights)
    sig = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    o1 = [sig(x[0] * w[0] + x[1] * w[2]), sig(x[0] * w[1] + x[1] * w[3])]
    o2 = [sig(o1[0] * w[4] + o1[1] * w[6]), sig(o1[0] * w[5] + o1[1] * w[7])]
    return 0.5 * (o2[0] * w[8] + o2[1] * w[9] - y) ** 2


def flat(W1, W2, w3):
    return np.concatenate([np.ravel(W1), np.ravel(W2), np.ravel(w3)])


def fd_step(weights, x, y, eta, h=1e-6):
    """One gradient-descent step with the gradient from central differences."""
    grad = np.zeros_like(weights)
    for k in range(len(weights)):
        e = np.zeros_like(weights)
        e[k] = h
        grad[k] = (mlp_loss(weights + e, x, y) - mlp_loss(weights - e, x, y)) / (2 * h)
    return weights - eta * grad


class TestMlpBackprop:
    def test_seed_sign_pinned(self):
        """Seed network, all zeros, x = (1, 1), y = 1, eta = 1: yhat = 0 and
        dL/dw3 = (yhat - y) o2 = (-0.5, -0.5), so w3 becomes (0.5, 0.5). The seed's
        d = -(yhat - y) would give (-0.5, -0.5)."""
        zeros = np.zeros((2, 2))
        x = np.array([1.0, 1.0])
        yhat, W1, W2, w3 = _sgd_step(x, 1.0, zeros, zeros, np.zeros(2), 1.0, None)
        assert yhat == 0
        assert w3.tolist() == [0.5, 0.5]
        assert not W1.any() and not W2.any()
        assert _sgd_step(x, 1.0, zeros, zeros, np.zeros(2), 1.0, "sign-slip")[3].tolist() == \
            [-0.5, -0.5]

    def test_seed_example_finished(self):
        """The seed's unfinished example: all zeros, eta = 1, observation 2 = ((5, 2), 0) first.
        Step 1: yhat = 0 = y, nothing moves (the seed's loss 0.5 (1 - 0)^2 uses the wrong y).
        Step 2 on ((1, 1), 1): yhat = 0, w3 += (0.5, 0.5); delta2 = e w3 ... = 0 since w3 was 0,
        so W2 and W1 stay zero."""
        zeros, w3 = np.zeros((2, 2)), np.zeros(2)
        yhat, W1, W2, w3 = _sgd_step(np.array([5.0, 2.0]), 0.0, zeros, zeros, w3, 1.0, None)
        assert yhat == 0 and not W1.any() and not W2.any() and not w3.any()
        yhat, W1, W2, w3 = _sgd_step(np.array([1.0, 1.0]), 1.0, W1, W2, w3, 1.0, None)
        assert yhat == 0
        assert w3.tolist() == [0.5, 0.5]
        assert not W1.any() and not W2.any()

    HAND = dict(x1=[1, 1], y1=1, x2=[5, 2], y2=0, w3=[2, 1], v=[1, -1], eta=1, order=[2, 1])

    def test_first_step_by_hand(self):
        """Observation 2 first: x = (5, 2), y = 0, w3 = (2, 1), W2 = [[1, -1], [-1, 1]]:
        o1 = (1/2, 1/2), h2 = 0, o2 = (1/2, 1/2), yhat = 1.5, e = 1.5; w3 -= 1.5 (1/2, 1/2);
        delta2 = 1.5 (2, 1) / 4 = (0.75, 0.375); W2 -= (1/2, 1/2)^T delta2;
        delta1 = delta2 W2^T / 4 = (0.375, -0.375) / 4; W1 = -x^T delta1."""
        r = mlp_backprop_two_steps(self.HAND)
        assert r["w3_1"] == [1.25, 0.25]
        assert r["W2_1"] == [[0.625, -1.1875], [-1.375, 0.8125]]
        assert r["W1_1"] == [[-0.46875, 0.46875], [-0.1875, 0.1875]]

    def test_second_step_by_hand(self):
        """Step 2 on observation 1, x = (1, 1), y = 1, from the weights above."""
        r = mlp_backprop_two_steps(self.HAND)
        sig = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
        o1 = sig(np.array([-0.46875 - 0.1875, 0.46875 + 0.1875]))   # x W1 with x = (1, 1)
        W2 = np.array([[0.625, -1.1875], [-1.375, 0.8125]])
        o2 = sig(np.array([o1[0] * 0.625 - o1[1] * 1.375, -o1[0] * 1.1875 + o1[1] * 0.8125]))
        yhat = 1.25 * o2[0] + 0.25 * o2[1]
        e = yhat - 1
        delta2 = e * np.array([1.25, 0.25]) * o2 * (1 - o2)
        delta1 = (delta2 @ W2.T) * o1 * (1 - o1)
        assert r["yhat2"] == pytest.approx(yhat, abs=1e-12)
        assert r["w3_2"] == pytest.approx((np.array([1.25, 0.25]) - e * o2).tolist(), abs=1e-12)
        assert np.allclose(r["W2_2"], W2 - np.outer(o1, delta2), atol=1e-12)
        W1 = np.array([[-0.46875, 0.46875], [-0.1875, 0.1875]])
        assert np.allclose(r["W1_2"], W1 - np.outer([1, 1], delta1), atol=1e-12)

    @SETTINGS
    @given(mlp_params)
    def test_both_steps_match_finite_difference_gradients(self, p):
        r = solve_or_skip(mlp_backprop_two_steps, p)
        data = {1: (p["x1"], p["y1"]), 2: (p["x2"], p["y2"])}
        w0 = start_weights(p)
        w1 = flat(r["W1_1"], r["W2_1"], r["w3_1"])
        w2 = flat(r["W1_2"], r["W2_2"], r["w3_2"])
        assert np.allclose(w1, fd_step(w0, *data[p["order"][0]], p["eta"]), atol=1e-7)
        assert np.allclose(w2, fd_step(w1, *data[p["order"][1]], p["eta"]), atol=1e-7)

    @SETTINGS
    @given(mlp_params)
    def test_each_step_lowers_the_loss_on_its_observation(self, p):
        r = solve_or_skip(mlp_backprop_two_steps, p)
        x, y = (p["x1"], p["y1"]) if p["order"][0] == 1 else (p["x2"], p["y2"])
        before = mlp_loss(start_weights(p), x, y)
        after = mlp_loss(flat(r["W1_1"], r["W2_1"], r["w3_1"]), x, y)
        assert after < before

    @SETTINGS
    @given(mlp_params)
    def test_every_listed_bug_changes_its_part(self, p):
        r = solve_or_skip(mlp_backprop_two_steps, p)
        for part, (bugs, abs_tol, _) in MLP_VISIBLE.items():
            for bug in bugs:
                diff = np.subtract(mlp_backprop_two_steps(p, bug=bug)[part], r[part])
                assert np.max(np.abs(diff)) > 2 * abs_tol, (part, bug)

    @SETTINGS
    @given(mlp_params, st.lists(st.integers(-4, 4), min_size=10, max_size=10))
    def test_follow_through_runs_step_two_from_given_weights(self, p, raw):
        """The second step from a student's (arbitrary) step-1 weights is a plain FD step."""
        solve_or_skip(mlp_backprop_two_steps, p)
        w = np.array(raw, dtype=float) / 4
        given_weights = {"W1_1": w[:4].reshape(2, 2).tolist(),
                         "W2_1": w[4:8].reshape(2, 2).tolist(), "w3_1": w[8:].tolist()}
        r = mlp_backprop_two_steps(p, given=given_weights)
        x, y = (p["x1"], p["y1"]) if p["order"][1] == 1 else (p["x2"], p["y2"])
        w2 = flat(r["W1_2"], r["W2_2"], r["w3_2"])
        assert np.allclose(w2, fd_step(w, x, y, p["eta"]), atol=1e-7)

    def test_exact_first_prediction_is_rejected(self):
        """w3 = (2, 0) predicts sigma(0) * 2 = 1 = y on the first observation."""
        with pytest.raises(Reject):
            mlp_backprop_two_steps(dict(x1=[1, 1], y1=1, x2=[5, 2], y2=0, w3=[2, 0], v=[1, 1],
                                        eta=1, order=[1, 2]))

    def test_error_that_cannot_reach_W1_is_rejected(self):
        """w3 . v = 0 cancels delta1 at the first step: W1 after it would be zero for all."""
        with pytest.raises(Reject):
            mlp_backprop_two_steps(dict(self.HAND, w3=[1, 1], v=[1, -1]))


@pytest.mark.parametrize("name, visible", [("graph-partial-derivatives.yaml", GRAPH_VISIBLE),
                                           ("mlp-backprop-two-steps.yaml", MLP_VISIBLE)])
def test_yaml_lists_the_misconceptions_the_solver_keeps_visible(name, visible):
    assert_visible_lists_match("backprop", name, visible)
