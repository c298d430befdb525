"""Reference solvers of family E (building blocks), against independently derived values."""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import product

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.integrate import quad
from scipy.optimize import minimize_scalar

from reference import Reject
from reference.building_blocks import dropout, initialisation, ridge_constant


def formula(text: str, **values) -> float:
    """Evaluate one of *our* reference formulas (never student input); `lambda` is renamed
    because it is a Python keyword."""
    text = text.replace("^", "**").replace("lambda", "lam")
    names = {("lam" if n == "lambda" else n): v for n, v in values.items()}
    expr = sympy.parse_expr(text, local_dict={n: sympy.Symbol(n) for n in names})
    return float(expr.subs({sympy.Symbol(n): v for n, v in names.items()}))


def within_sigfigs(ref: float, ans: float, n: int) -> bool:
    """The sheet's `sigfigs` tolerance, restated."""
    return abs(ans - ref) <= 0.5 * 10.0 ** (math.floor(math.log10(abs(ref))) - n + 1)


# ------------------------------------------------------------------ E1

Y_GRID = [list(y) for y in product(range(-6, 11), repeat=3)]


def accepted(solver, params):
    try:
        return solver(params)
    except Reject:
        return None


def ridge_fit(y, lam) -> float:
    """Ridge through its normal equation with a column of ones: (X'X + lam) b = X'y."""
    X = np.ones((len(y), 1))
    return float(np.linalg.solve(X.T @ X + lam * np.eye(1), X.T @ np.asarray(y, float))[0])


def loo_error(y, lam) -> float:
    return sum((y[i] - ridge_fit(y[:i] + y[i + 1:], lam)) ** 2 for i in range(len(y)))


class TestRidgeConstant:
    """E1: ridge on a constant model and its leave-one-out lambda."""

    def test_seed_data_by_hand(self):
        """y = 6, 6, 10: S_{-i} = 16, 16, 12; c* = 312/656 = 39/82; lambda = 82/39 - 2 = 4/39;
        beta = 22 / (3 + 4/39) = 78/11."""
        got = ridge_constant({"y": [6, 6, 10]})
        assert got["beta0"] == Fraction(22, 3)
        assert got["lambda_cv"] == Fraction(4, 39)
        assert got["beta_cv"] == Fraction(78, 11)
        assert got["decreasing"] is True

    @pytest.mark.parametrize("y", Y_GRID[::97])
    def test_against_normal_equations_and_numeric_search(self, y):
        got = accepted(ridge_constant, {"y": y})
        if got is None:
            return
        for lam in (0.0, 0.5, 2.0, 7.0):
            assert math.isclose(formula(got["beta_lambda"], **{"lambda": lam}), ridge_fit(y, lam))
            assert math.isclose(formula(got["cv_error"], **{"lambda": lam}), loo_error(y, lam),
                                rel_tol=1e-9, abs_tol=1e-9)
        best = minimize_scalar(lambda l: loo_error(y, l), bounds=(0, 200), method="bounded",
                               options={"xatol": 1e-10})
        assert math.isclose(float(got["lambda_cv"]), best.x, abs_tol=1e-5)
        assert math.isclose(float(got["beta_cv"]), ridge_fit(y, best.x), abs_tol=1e-5)
        assert got["beta0"] == Fraction(sum(y), 3)
        assert got["decreasing"] == (ridge_fit(y, 1.0) < ridge_fit(y, 0.0))

    def test_rejects_draws_without_an_interior_minimum(self):
        with pytest.raises(Reject):
            ridge_constant({"y": [5, 5, 5]})  # every fold predicts exactly: lambda = 0 is best
        with pytest.raises(Reject):
            ridge_constant({"y": [-2, 1, 1]})  # zero sum

    def test_accepted_answers_are_hand_friendly(self):
        for y in Y_GRID:
            got = accepted(ridge_constant, {"y": y})
            if got is not None:
                assert got["lambda_cv"] > 0 and got["lambda_cv"].denominator <= 100
                assert got["beta_cv"].denominator <= 200

    def test_follow_through_from_the_students_lambda(self):
        got = ridge_constant({"y": [6, 6, 10]}, given={"lambda_cv": 1.0})
        assert math.isclose(got["beta_cv"], 22 / 4)

    BUGS = {"one-residual": ["beta0", "beta_lambda", "beta_cv"], "mean-loss": ["beta_lambda", "beta_cv"],
            "confused-shrinkage": ["decreasing"], "fit-on-all": ["cv_error", "lambda_cv", "beta_cv"],
            "n-in-fold": ["lambda_cv"]}

    @pytest.mark.parametrize("bug", sorted(BUGS))
    def test_every_bug_changes_its_parts_on_every_accepted_draw(self, bug):
        for y in Y_GRID[::7]:
            ref = accepted(ridge_constant, {"y": y})
            if ref is None:
                continue
            wrong = ridge_constant({"y": y}, bug=bug)
            for part in self.BUGS[bug]:
                if isinstance(ref[part], str):
                    at = {"lambda": 1.3}
                    assert abs(formula(ref[part], **at) - formula(wrong[part], **at)) > 1e-3, (bug, part, y)
                elif isinstance(ref[part], bool):
                    assert ref[part] != wrong[part]
                else:
                    assert abs(float(ref[part]) - float(wrong[part])) > 0.002 * abs(float(ref[part])) + 5e-4


# ------------------------------------------------------------------ E2

SIZES = range(2, 6)
DROP = [0.2, 0.25, 0.3, 0.4, 0.6]


def simulate_dropout(d, hs, p, n=200_000, seed=1):
    """Monte Carlo: masks for each pass, parameters counted from the mask products."""
    rng = np.random.default_rng(seed)
    masks = [(rng.random((n, h)) >= p).astype(int) for h in hs]  # 1 = switched on
    h1, h2, h3 = hs
    active = (d * masks[0].sum(1) + masks[0].sum(1)                                   # W1 rows, b1
              + np.einsum("ni,nj->n", masks[1], masks[0]) + masks[1].sum(1)           # W2, b2
              + np.einsum("ni,nj->n", masks[2], masks[1]) + masks[2].sum(1)           # W3, b3
              + masks[2].sum(1) + 1)                                                  # output w, b
    layer_off = [m.sum(1) == 0 for m in masks]
    on = sum(m.sum(1) for m in masks)
    return active, np.any(layer_off, axis=0), on, layer_off[0]


class TestDropout:
    """E2: dropout probabilities, the active-neuron count and the expected active parameters."""

    def test_by_hand(self):
        """d = 3, h = 2, 3, 4, p = 1/4: E P = 4*2*(3/4) + (6 + 12)(9/16) + (3 + 8)(3/4) + 1 = 203/8."""
        got = dropout({"d": 3, "h1": 2, "h2": 3, "h3": 4, "p": 0.25, "thin": 25})
        assert got["p_layer_off"] == 1 / 16
        assert math.isclose(got["p_any_off"], 1 - (15 / 16) * (63 / 64) * (255 / 256))
        assert got["mean_active"] == Fraction(27, 4) and got["var_active"] == Fraction(27, 16)
        assert got["p_thin"] == Fraction(1, 4) and got["exp_params"] == Fraction(203, 8)

    @pytest.mark.parametrize("d, hs, p", [(3, (2, 3, 4), 0.25), (6, (5, 2, 3), 0.6), (2, (4, 4, 2), 0.3)])
    def test_against_simulation(self, d, hs, p):
        got = dropout({"d": d, "h1": hs[0], "h2": hs[1], "h3": hs[2], "p": p, "thin": 10})
        active, any_off, on, first_off = simulate_dropout(d, hs, p)
        n = len(active)
        assert abs(active.mean() - float(got["exp_params"])) < 4 * active.std() / math.sqrt(n)
        assert abs(on.mean() - float(got["mean_active"])) < 4 * on.std() / math.sqrt(n)
        assert math.isclose(on.var(), float(got["var_active"]), rel_tol=0.02)
        for freq, prob in ((any_off.mean(), got["p_any_off"]), (first_off.mean(), got["p_layer_off"])):
            prob = float(prob)
            assert abs(freq - prob) < 4 * math.sqrt(prob * (1 - prob) / n) + 1e-5

    def test_against_scipy_binomial(self):
        got = dropout({"d": 2, "h1": 3, "h2": 5, "h3": 4, "p": 0.4, "thin": 30})
        N = stats.binom(12, 0.6)
        assert math.isclose(float(got["mean_active"]), N.mean())
        assert math.isclose(float(got["var_active"]), N.var())

    BUGS = {"p-as-keep": ["p_layer_off", "p_any_off", "mean_active", "exp_params"],
            "layer-drop": ["p_layer_off"], "union-sum": ["p_any_off"], "all-layers": ["p_any_off"],
            "poisson-variance": ["var_active"], "variance-times-h": ["var_active"],
            "keep-fraction": ["p_thin"], "independent-params": ["exp_params"]}

    @pytest.mark.parametrize("bug", sorted(BUGS))
    def test_every_bug_changes_its_parts_on_every_draw(self, bug):
        """Off by more than twice the sheet's tolerance (4 significant figures, or 0.1%)."""
        for h1, h2, h3, p, thin in product(SIZES, SIZES, SIZES, DROP, [5, 10, 15, 20, 25, 30, 35, 40, 45]):
            params = {"d": 4, "h1": h1, "h2": h2, "h3": h3, "p": p, "thin": thin}
            ref, wrong = dropout(params), dropout(params, bug=bug)
            for part in self.BUGS[bug]:
                r, w = float(ref[part]), float(wrong[part])
                if part.startswith("p_") and part != "p_thin":
                    assert not within_sigfigs(r, r + (w - r) / 2, 4), (bug, part, params)
                else:
                    assert abs(w - r) > 0.002 * abs(r), (bug, part, params)


# ------------------------------------------------------------------ E3

XB = [([1, 2, 2], 3), ([2, 3, 6], 7), ([1, 4, 8], 9), ([4, 4, 7], 9), ([2, 6, 9], 11), ([2, 10, 11], 15)]
ZQ = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2]


def init_params(**over):
    p = {"n_in": 100, "n_out": 50, "c": 1, "depth": 10, "s": 0.1, "x": [1, -2, 2], "sw": 0.2,
         "b0": 0.6, "m": 3}
    p.update(over)
    return p


class TestInitialisation:
    """E3: variance through a layer, Xavier and He scales, and a ReLU unit's zero output."""

    def test_seed_uniform_shrinks_variance_threefold(self):
        """U[-1/sqrt(n), 1/sqrt(n)]: n * (1/n) / 3 = 1/3 per layer, 3^-10 after ten."""
        got = initialisation(init_params())
        assert got["ratio_uniform"] == Fraction(1, 3)
        assert math.isclose(got["ratio_depth"], 3.0 ** -10)

    @pytest.mark.parametrize("n_in, c", [(64, 0.5), (100, 1), (256, 2)])
    def test_ratio_by_simulating_a_layer(self, n_in, c):
        rng = np.random.default_rng(7)
        a = c / math.sqrt(n_in)
        x = rng.normal(0, 1.5, size=(20_000, n_in))            # v = 2.25
        w = rng.uniform(-a, a, size=(20_000, n_in))
        ratio = np.var(np.sum(w * x, axis=1)) / 2.25
        got = initialisation(init_params(n_in=n_in, c=c))["ratio_uniform"]
        assert math.isclose(ratio, float(got), rel_tol=0.05)

    @given(st.sampled_from([50, 64, 80, 100, 128, 150, 200, 256, 300, 400, 500, 512]),
           st.sampled_from([10, 32, 50, 64, 100, 128, 256]), st.sampled_from([0.02, 0.05, 0.1, 0.2]))
    def test_scales_through_scipy_distributions(self, n_in, n_out, s):
        got = initialisation(init_params(n_in=n_in, n_out=n_out, s=s))
        assert math.isclose(n_in * stats.uniform(-got["a_keep"], 2 * got["a_keep"]).var(), 1.0)
        assert math.isclose(stats.uniform(-got["xavier"], 2 * got["xavier"]).var(), 2 / (n_in + n_out))
        assert math.isclose(float(got["ratio_normal"]), n_in * stats.norm(0, s).var())
        assert math.isclose(n_in * stats.norm(0, got["s_keep"]).var(), 1.0)
        # He: the next layer sees E[relu(z)^2] of z ~ N(0, 1), integrated numerically
        second_moment = quad(lambda t: t * t * stats.norm.pdf(t), 0, np.inf)[0]
        assert math.isclose(n_in * got["he_std"] ** 2 * second_moment, 1.0, rel_tol=1e-9)

    @pytest.mark.parametrize("xb, zq, sw", [(XB[0], 1, 0.2), (XB[1], 0.5, 0.1), (XB[5], 2, 0.5),
                                            (XB[3], 0.25, 0.2)])
    def test_relu_zero_output_by_simulation_and_scipy(self, xb, zq, sw):
        x, norm = xb
        b0 = round(zq * sw * norm, 4)
        got = initialisation(init_params(x=x, sw=sw, b0=b0, m=3))
        assert math.isclose(got["p_zero_bias"], stats.norm.cdf(-zq), rel_tol=1e-9)
        rng = np.random.default_rng(3)
        w = rng.normal(0, sw, size=(400_000, 3, 3))            # 3 units per draw
        zero = (w @ np.asarray(x, float) + b0) <= 0
        assert abs(zero[:, 0].mean() - got["p_zero_bias"]) < 0.004
        assert abs(zero.all(axis=1).mean() - got["p_dead_layer"]) < 0.003
        assert abs(((w[:, 0] @ np.asarray(x, float)) <= 0).mean() - float(got["p_zero_nobias"])) < 0.004

    def test_follow_through(self):
        got = initialisation(init_params(m=4), given={"ratio_uniform": 0.5, "p_zero_bias": 0.2})
        assert math.isclose(got["ratio_depth"], 0.5 ** 10) and math.isclose(got["p_dead_layer"], 0.2 ** 4)
        with pytest.raises(ValueError):
            initialisation(init_params(), given={"p_zero_bias": 1.5})

    BUGS = {"uniform-variance-a2": ["ratio_uniform"], "forgot-n": ["ratio_uniform"],
            "linear-in-depth": ["ratio_depth"], "forgot-3": ["a_keep"], "bound-squared": ["a_keep"],
            "he-instead": ["xavier"], "normal-std-instead": ["xavier"], "std-not-variance": ["ratio_normal"],
            "variance-not-std": ["s_keep", "he_std"], "lecun-for-relu": ["he_std"],
            "all-terms-negative": ["p_zero_nobias"], "bias-ignored": ["p_zero_bias"],
            "variance-for-std": ["p_zero_bias"], "sign": ["p_zero_bias"], "at-least-one": ["p_dead_layer"]}
    ABS = {"p_zero_nobias": 0.002, "p_zero_bias": 0.003}

    @pytest.mark.parametrize("bug", sorted(BUGS))
    def test_every_bug_changes_its_parts_on_every_draw(self, bug):
        # the layer parts and the ReLU parts use disjoint parameters: vary each group in full
        layer = [init_params(n_in=n_in, n_out=n_out, c=c, depth=depth, s=s)
                 for n_in, n_out, c, depth, s in product([50, 100, 256, 512], [10, 100, 256],
                                                         [0.5, 0.8, 1, 1.2, 1.5, 2, 2.5],
                                                         [5, 10, 20], [0.02, 0.2])
                 if 5 * n_out >= n_in]  # the YAML's constraint
        relu = [init_params(x=x, sw=sw, b0=round(zq * sw * norm, 4), m=m)
                for (x, norm), zq, sw, m in product(XB, ZQ, [0.1, 0.2, 0.5], [2, 5])]
        for params in layer + relu:
            ref, wrong = initialisation(params), initialisation(params, bug=bug)
            for part in self.BUGS[bug]:
                r, w = float(ref[part]), float(wrong[part])
                allowed = self.ABS.get(part, 0.005 * abs(r))
                if part == "ratio_depth":
                    allowed = 0.5 * 10.0 ** (math.floor(math.log10(abs(r))) - 2)
                if part == "p_dead_layer":
                    allowed = 0.02 * r
                assert abs(w - r) > 2 * allowed, (bug, part, params)
