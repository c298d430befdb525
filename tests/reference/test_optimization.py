"""Reference solvers of the gradient-descent families (C1, C2), checked against
hand computations, closed forms, linear recurrences and finite differences."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bank_yaml import assert_visible_lists_match
from reference import Reject
from reference import optimization as opt
from reference.optimization import (ADAPTIVE_VISIBLE, EPS, GD_VISIBLE, LOGREG_VISIBLE,
                                    logreg_gradient_step, lsq_adaptive_two_steps,
                                    lsq_gd_two_steps)


# The seed's numbers (004 §3 ex. 1): x = (1, 2), y = (2, 3), w0 = 0, eta = 0.1, alpha = 0.9.
SEED_GD = dict(x1=1, x2=2, y1=2, y2=3, w0=0, eta=0.1, alpha=0.9, order=[1, 2])
SEED_ADAPTIVE = dict(x1=1, x2=2, y1=2, y2=3, w0=0, eta=0.1, rho=0.9, beta1=0.9, beta2=0.9)

common = dict(x1=st.integers(1, 3), x2=st.integers(1, 4), y1=st.integers(-2, 6),
              y2=st.integers(-2, 6), w0=st.integers(-1, 2))
gd_params = st.fixed_dictionaries(dict(
    common, eta=st.sampled_from([0.02, 0.05, 0.1]), alpha=st.sampled_from([0.5, 0.9]),
    order=st.sampled_from([[1, 2], [2, 1]]))).filter(
    lambda p: p["x1"] != p["x2"] and p["eta"] * (p["x1"] ** 2 + p["x2"] ** 2) <= 0.61)
adaptive_params = st.fixed_dictionaries(dict(
    common, eta=st.sampled_from([0.1, 0.2]), rho=st.sampled_from([0.9, 0.99]),
    beta1=st.sampled_from([0.8, 0.9]), beta2=st.sampled_from([0.9, 0.999]))).filter(
    lambda p: p["x1"] != p["x2"])
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much])


def solve_or_skip(solver, p):
    try:
        return solver(p)
    except Reject:
        assume(False)


def loss(p, w):
    """The sheet's loss, written out: the mean of the two squared errors."""
    return ((w * p["x1"] - p["y1"]) ** 2 + (w * p["x2"] - p["y2"]) ** 2) / 2


def numeric_derivative(f, w, h=1e-4):
    return (f(w + h) - f(w - h)) / (2 * h)


class TestGdSheetOnSeedNumbers:
    """By hand: L(w) = ((w-2)^2 + (2w-3)^2)/2, L'(w) = 5w - 8, l1' = 2(w-2), l2' = 4(2w-3)."""

    def test_least_squares_estimate(self):
        assert lsq_gd_two_steps(SEED_GD)["ols"] == F(8, 5)

    def test_gd_mean_loss_convention(self):
        """w1 = 0 - 0.1*(-8) = 0.8; w2 = 0.8 - 0.1*(4 - 8) = 1.2."""
        r = lsq_gd_two_steps(SEED_GD)
        assert (r["gd_w1"], r["gd_w2"]) == (F(4, 5), F(6, 5))

    def test_sum_loss_doubles_the_first_step(self):
        """The seed leaves sum vs mean open: with the sum, L' = 10w - 16 and w1 = 1.6."""
        assert lsq_gd_two_steps(SEED_GD, bug="sum-loss")["gd_w1"] == F(8, 5)

    def test_sgd(self):
        """w1 = 0 - 0.1*2*(0-2) = 0.4; w2 = 0.4 - 0.1*4*(0.8-3) = 1.28."""
        r = lsq_gd_two_steps(SEED_GD)
        assert (r["sgd_w1"], r["sgd_w2"]) == (F(2, 5), F(32, 25))

    def test_sgd_other_order(self):
        """Point 2 first: w1 = 0 - 0.1*4*(0-3) = 1.2; w2 = 1.2 - 0.1*2*(1.2-2) = 1.36."""
        r = lsq_gd_two_steps(dict(SEED_GD, order=[2, 1]))
        assert (r["sgd_w1"], r["sgd_w2"]) == (F(6, 5), F(34, 25))

    def test_momentum(self):
        """v1 = -0.8, w1 = 0.8; v2 = 0.9*(-0.8) + 0.1*(4-8) = -1.12, w2 = 1.92."""
        r = lsq_gd_two_steps(SEED_GD)
        assert (r["momentum_w1"], r["momentum_w2"]) == (F(4, 5), F(48, 25))

    def test_nesterov(self):
        """Look-ahead 0.8 + 0.72 = 1.52, L'(1.52) = -0.4: v2 = -0.72 - 0.04, w2 = 1.56."""
        r = lsq_gd_two_steps(SEED_GD)
        assert (r["nesterov_w1"], r["nesterov_w2"]) == (F(4, 5), F(39, 25))


class TestGdSheetByOtherMethods:
    @SETTINGS
    @given(gd_params)
    def test_gd_matches_closed_form(self, p):
        """On a quadratic, w_t - w* = (1 - eta*Sxx)^t (w0 - w*)."""
        r = solve_or_skip(lsq_gd_two_steps, p)
        sxx = p["x1"] ** 2 + p["x2"] ** 2
        w_star = F(p["x1"] * p["y1"] + p["x2"] * p["y2"], sxx)
        q = 1 - F(str(p["eta"])) * sxx
        assert r["ols"] == w_star
        assert r["gd_w1"] == w_star + q * (p["w0"] - w_star)
        assert r["gd_w2"] == w_star + q ** 2 * (p["w0"] - w_star)

    @SETTINGS
    @given(gd_params)
    def test_momentum_and_nesterov_match_linear_recurrences(self, p):
        """(w - w*, v) evolves by a fixed 2x2 matrix; apply its powers with numpy."""
        r = solve_or_skip(lsq_gd_two_steps, p)
        sxx = p["x1"] ** 2 + p["x2"] ** 2
        w_star = (p["x1"] * p["y1"] + p["x2"] * p["y2"]) / sxx
        h, a = p["eta"] * sxx, p["alpha"]
        momentum = np.array([[1 - h, -a], [h, a]])
        nesterov = np.array([[1 - h, -a * (1 - h)], [h, a * (1 - h)]])
        start = np.array([p["w0"] - w_star, 0.0])
        for name, m in (("momentum", momentum), ("nesterov", nesterov)):
            for t in (1, 2):
                e = np.linalg.matrix_power(m, t) @ start
                assert float(r[f"{name}_w{t}"]) == pytest.approx(w_star + e[0], abs=1e-12)

    @SETTINGS
    @given(gd_params)
    def test_sgd_with_numeric_derivatives(self, p):
        """SGD steps with the one-point loss differentiated numerically."""
        r = solve_or_skip(lsq_gd_two_steps, p)
        w = float(p["w0"])
        for t, i in enumerate(p["order"], start=1):
            x, y = p[f"x{i}"], p[f"y{i}"]
            w -= p["eta"] * numeric_derivative(lambda u: (u * x - y) ** 2, w)
            assert float(r[f"sgd_w{t}"]) == pytest.approx(w, abs=1e-6)

    @SETTINGS
    @given(gd_params)
    def test_gd_with_numeric_derivatives(self, p):
        r = solve_or_skip(lsq_gd_two_steps, p)
        w = float(p["w0"])
        for t in (1, 2):
            w -= p["eta"] * numeric_derivative(lambda u: loss(p, u), w)
            assert float(r[f"gd_w{t}"]) == pytest.approx(w, abs=1e-6)


class TestGdSheetFollowThrough:
    def test_later_step_recomputed_from_given_weight(self):
        """From a student's w1 = 1: GD w2 = 1 - 0.1*(5 - 8) = 1.3; SGD w2 = 1 - 0.1*4*(2-3) = 1.4;
        Momentum v1 = -1, v2 = -0.9 - 0.3, w2 = 2.2;
        Nesterov L'(1.9) = 1.5, v2 = -0.75, w2 = 1.75."""
        r = lsq_gd_two_steps(SEED_GD, given={"gd_w1": 1, "sgd_w1": 1, "momentum_w1": 1,
                                             "nesterov_w1": 1})
        assert r["gd_w2"] == F(13, 10)
        assert r["sgd_w2"] == F(7, 5)
        assert r["momentum_w2"] == F(11, 5)
        assert r["nesterov_w2"] == F(7, 4)

    def test_given_true_weight_reproduces_reference(self):
        ref = lsq_gd_two_steps(SEED_GD)
        again = lsq_gd_two_steps(SEED_GD, given={k: float(ref[k]) for k in
                                                 ("gd_w1", "sgd_w1", "momentum_w1", "nesterov_w1")})
        assert again == ref


def slow_gd_sheet(p, given):
    """The C1 sheet's recurrences written out in Fractions, one method at a time
    (a given w1 replaces the computed one and, for Momentum and Nesterov, sets v1)."""
    x, y = {1: F(p["x1"]), 2: F(p["x2"])}, {1: F(p["y1"]), 2: F(p["y2"])}
    eta, alpha, w0 = F(str(p["eta"])), F(str(p["alpha"])), F(p["w0"])
    w1 = {k: F(str(v)) if isinstance(v, float) else F(v) for k, v in given.items()}

    def dL(w):
        return sum(x[i] * (w * x[i] - y[i]) for i in (1, 2))

    def dl(w, i):
        return 2 * x[i] * (w * x[i] - y[i])

    out = {"ols": (x[1] * y[1] + x[2] * y[2]) / (x[1] ** 2 + x[2] ** 2)}
    g1 = w1.get("gd_w1", w0 - eta * dL(w0))
    out.update(gd_w1=g1, gd_w2=g1 - eta * dL(g1))
    i, j = p["order"]
    s1 = w1.get("sgd_w1", w0 - eta * dl(w0, i))
    out.update(sgd_w1=s1, sgd_w2=s1 - eta * dl(s1, j))
    for name, look in (("momentum", 0), ("nesterov", alpha)):
        m1 = w1.get(f"{name}_w1", w0 - eta * dL(w0))
        v1 = w0 - m1
        v2 = alpha * v1 + eta * dL(m1 - look * v1)
        out.update({f"{name}_w1": m1, f"{name}_w2": m1 - v2})
    return out


given_weight = st.one_of(st.integers(-3, 5),
                         st.sampled_from([0.35, -1.25, 0.1, 2.5, 1 / 3, 1e-7, 1e-45]),
                         st.fractions(min_value=-5, max_value=5, max_denominator=30))
gd_givens = st.dictionaries(st.sampled_from(["gd_w1", "sgd_w1", "momentum_w1", "nesterov_w1"]),
                            given_weight)


class TestGdSheetExactArithmetic:
    """The steps run in scaled integers, and in Fractions when a value is not a whole
    multiple of their unit (a given 1/3, or 1e-45): both must give the exact answers."""

    @SETTINGS
    @given(gd_params, gd_givens)
    def test_every_answer_matches_the_recurrences_in_fractions(self, p, given_w1):
        try:
            r = lsq_gd_two_steps(p, given=given_w1)
        except Reject:
            assume(False)
        assert r == slow_gd_sheet(p, given_w1)
        assert all(type(v) is F for v in r.values())

    @SETTINGS
    @given(gd_params, gd_givens, st.sampled_from(
        [None] + sorted({b for bugs, _, _ in GD_VISIBLE.values() for b in bugs})))
    def test_scaled_integers_and_fractions_agree_on_every_slip(self, p, given_w1, bug):
        data = [p[k] for k in ("x1", "x2", "y1", "y2", "w0")]
        try:
            scaled = opt._gd_steps(data, p, bug, given_w1, opt._SCALED)
        except opt._Inexact:
            assume(False)
        assert scaled == opt._gd_steps(data, p, bug, given_w1, opt._FRACTIONS)
        assert all(type(v) is F for v in scaled.values())

    def test_drawn_sheets_stay_in_scaled_integers(self):
        """Speed, not correctness: the slowest slips on the longest-denominator draw."""
        p = dict(SEED_GD, eta=0.02, alpha=0.9, w0=-1)
        data = [p[k] for k in ("x1", "x2", "y1", "y2", "w0")]
        for bug in (None, "extra-step", "ema-momentum", "no-factor-2", "lookahead-sign"):
            opt._gd_steps(data, p, bug, {}, opt._SCALED)   # raises _Inexact otherwise

    def test_thirds_fall_back_to_fractions(self):
        """A student's GD w1 = 1/3: w2 = 1/3 - 0.1*(5/3 - 8) = 29/30."""
        with pytest.raises(opt._Inexact):
            opt._scaled(F(1, 3))
        assert lsq_gd_two_steps(SEED_GD, given={"gd_w1": F(1, 3)})["gd_w2"] == F(29, 30)

    def test_ema_slip_from_a_given_weight(self):
        """EMA form from a student's w1 = 1: v1 = (0 - 1)/0.1 = -10; L'(1) = -3,
        v2 = 0.9*(-10) + 0.1*(-3) = -9.3, w2 = 1 - 0.1*(-9.3) = 1.93."""
        r = lsq_gd_two_steps(SEED_GD, bug="ema-momentum", given={"momentum_w1": 1})
        assert r["momentum_w2"] == F(193, 100)

    def test_float_parameters_are_taken_exactly(self):
        """Not a drawn sheet (x1 = 1.0, w0 = 0.5): worked in Fractions, the same numbers."""
        p = dict(SEED_GD, x1=1.0, w0=0.5)
        assert lsq_gd_two_steps(p) == slow_gd_sheet(p, {})


class TestGdSheetMisconceptions:
    def test_bug_values_on_seed_numbers(self):
        """Each slip by hand on the seed's numbers."""
        def run(bug, part):
            return lsq_gd_two_steps(SEED_GD, bug=bug)[part]
        assert run("ascent", "gd_w1") == F(-4, 5)
        assert run("no-factor-2", "gd_w1") == F(2, 5)          # L' = (5w - 8)/2
        assert run("extra-step", "gd_w2") == F(7, 5)          # 1.2 - 0.1*(6 - 8)
        assert run("full-batch", "sgd_w1") == F(4, 5)
        assert run("wrong-order", "sgd_w1") == F(6, 5)
        assert run("ema-momentum", "momentum_w1") == F(2, 25)  # 0 - 0.1 * 0.1*(-8)
        assert run("momentum-for-nesterov", "nesterov_w2") == F(48, 25)
        assert run("lookahead-sign", "nesterov_w2") == F(57, 25)  # L'(0.8 - 0.72) = -7.6
        assert run("ratio-of-means", "ols") == F(5, 3)
        assert run("mean-of-ratios", "ols") == F(7, 4)

    @SETTINGS
    @given(gd_params)
    def test_every_listed_bug_changes_its_part(self, p):
        ref = solve_or_skip(lsq_gd_two_steps, p)
        for part, (bugs, abs_tol, _) in GD_VISIBLE.items():
            for bug in bugs:
                assert float(abs(lsq_gd_two_steps(p, bug=bug)[part] - ref[part])) > 2 * abs_tol

    def test_most_draws_are_accepted(self):
        """A miswired bug would make every draw look ambiguous and be rejected."""
        accepted = total = 0
        for x1 in (1, 2, 3):
            for x2 in (1, 2, 3, 4):
                for y1 in range(-2, 7, 2):
                    for y2 in range(-2, 7, 3):
                        p = dict(x1=x1, x2=x2, y1=y1, y2=y2, w0=1, eta=0.02, alpha=0.9,
                                 order=[2, 1])
                        if x1 == x2:
                            continue
                        total += 1
                        try:
                            lsq_gd_two_steps(p)
                            accepted += 1
                        except Reject:
                            pass
        assert accepted >= 0.6 * total

    def test_start_at_minimum_is_rejected(self):
        with pytest.raises(Reject):
            lsq_gd_two_steps(dict(SEED_GD, y1=1, y2=2, w0=1))

    def test_invisible_sign_slip_is_rejected(self):
        """w0 = 2 = y1/x1: the first SGD step on point 1 does not move, so the sign slip hides."""
        with pytest.raises(Reject):
            lsq_gd_two_steps(dict(SEED_GD, w0=2, eta=0.05))


class TestAdaptiveSheet:
    def test_rmsprop_on_seed_numbers(self):
        """g1 = -8, s1 = 6.4, w1 = 0.8/sqrt(6.4); g2 = 5 w1 - 8, s2 = 0.9 s1 + 0.1 g2^2."""
        r = lsq_adaptive_two_steps(SEED_ADAPTIVE)
        w1 = 0.1 * 8 / (math.sqrt(6.4) + EPS)
        g2 = 5 * w1 - 8
        s2 = 0.9 * 6.4 + 0.1 * g2 ** 2
        assert r["grad0"] == -8
        assert r["rmsprop_s1"] == F(32, 5)
        assert r["rmsprop_w1"] == pytest.approx(0.316228, abs=1e-6)
        assert r["rmsprop_w2"] == pytest.approx(w1 - 0.1 * g2 / (math.sqrt(s2) + EPS), abs=1e-12)
        assert r["rmsprop_w2"] == pytest.approx(0.520437, abs=1e-5)

    def test_adam_on_seed_numbers(self):
        """Step 1 moves by eta exactly; step 2: g = 5*0.1 - 8 = -7.5,
        m2 = 0.9*(-0.8) + 0.1*(-7.5) = -1.47, v2 = 0.9*6.4 + 0.1*56.25 = 11.385, both / 0.19."""
        r = lsq_adaptive_two_steps(SEED_ADAPTIVE)
        assert (r["adam_m1"], r["adam_v1"]) == (F(-4, 5), F(32, 5))
        assert r["adam_w1"] == pytest.approx(0.1, abs=1e-9)
        expected = 0.1 + 0.1 * (1.47 / 0.19) / math.sqrt(11.385 / 0.19)
        assert r["adam_w2"] == pytest.approx(expected, abs=1e-8)
        assert r["adam_w2"] == pytest.approx(0.199947, abs=1e-6)

    def test_adam_without_bias_correction_on_seed_numbers(self):
        """m1 / sqrt(v1) = -0.8 / sqrt(6.4): the first step is 0.1 * 0.316, not 0.1."""
        r = lsq_adaptive_two_steps(SEED_ADAPTIVE, bug="no-bias-correction")
        assert r["adam_w1"] == pytest.approx(0.1 * 0.8 / math.sqrt(6.4), abs=1e-9)

    @SETTINGS
    @given(adaptive_params)
    def test_first_step_lengths(self, p):
        """Adam's first step is eta, RMSprop's eta / sqrt(1 - rho), both against the gradient."""
        r = solve_or_skip(lsq_adaptive_two_steps, p)
        direction = -math.copysign(1, r["grad0"])
        assert r["adam_w1"] - p["w0"] == pytest.approx(direction * p["eta"], abs=1e-7)
        assert r["rmsprop_w1"] - p["w0"] == pytest.approx(
            direction * p["eta"] / math.sqrt(1 - p["rho"]), abs=1e-6)

    @SETTINGS
    @given(adaptive_params)
    def test_second_steps_with_numeric_derivatives(self, p):
        r = solve_or_skip(lsq_adaptive_two_steps, p)
        for name in ("rmsprop", "adam"):
            w1 = r[f"{name}_w1"]
            g1 = numeric_derivative(lambda u: loss(p, u), float(p["w0"]))
            g2 = numeric_derivative(lambda u: loss(p, u), w1)
            if name == "rmsprop":
                s = p["rho"] * (1 - p["rho"]) * g1 ** 2 + (1 - p["rho"]) * g2 ** 2
                step = p["eta"] * g2 / math.sqrt(s)
            else:
                b1, b2 = p["beta1"], p["beta2"]
                m = (b1 * (1 - b1) * g1 + (1 - b1) * g2) / (1 - b1 ** 2)
                v = (b2 * (1 - b2) * g1 ** 2 + (1 - b2) * g2 ** 2) / (1 - b2 ** 2)
                step = p["eta"] * m / math.sqrt(v)
            assert r[f"{name}_w2"] == pytest.approx(w1 - step, abs=1e-5)

    @SETTINGS
    @given(adaptive_params)
    def test_gradient_scale_slips_do_not_move_the_weights(self, p):
        """Why sum-vs-mean is graded on grad0 and the moments only."""
        r = solve_or_skip(lsq_adaptive_two_steps, p)
        for bug in ("sum-loss", "no-factor-2"):
            b = lsq_adaptive_two_steps(p, bug=bug)
            for part in ("rmsprop_w1", "rmsprop_w2", "adam_w1", "adam_w2"):
                assert b[part] == pytest.approx(r[part], abs=1e-6)

    @SETTINGS
    @given(adaptive_params)
    def test_every_listed_bug_changes_its_part(self, p):
        ref = solve_or_skip(lsq_adaptive_two_steps, p)
        for part, (bugs, abs_tol, rel_tol) in ADAPTIVE_VISIBLE.items():
            allowed = max(abs_tol, rel_tol * abs(float(ref[part])))
            for bug in bugs:
                wrong = lsq_adaptive_two_steps(p, bug=bug)[part]
                assert abs(float(wrong - ref[part])) > 2 * allowed

    def test_follow_through(self):
        """A student's grad0 = -16 (sum loss) gives s1 = 25.6; a student's Adam w1 = 0.2 gives
        g = -7, m2 = -0.72 - 0.7, v2 = 5.76 + 4.9."""
        r = lsq_adaptive_two_steps(SEED_ADAPTIVE, given={"grad0": -16, "adam_w1": 0.2})
        assert r["rmsprop_s1"] == F(128, 5)
        assert r["adam_m1"] == F(-8, 5)
        expected = 0.2 + 0.1 * (1.42 / 0.19) / math.sqrt(10.66 / 0.19)
        assert r["adam_w2"] == pytest.approx(expected, abs=1e-8)

    def test_zero_gradient_after_first_step_is_rejected(self):
        """L'(w) = 5w - 5; RMSprop's first step from -1 is 0.2 / sqrt(0.01) = 2, onto w = 1."""
        with pytest.raises(Reject):
            lsq_adaptive_two_steps(dict(SEED_ADAPTIVE, y1=1, y2=2, w0=-1, eta=0.2, rho=0.99))


logreg_params = st.fixed_dictionaries(dict(
    x=st.lists(st.sampled_from([-3, -2, -1, 1, 2, 3]), min_size=2, max_size=2),
    w0=st.lists(st.sampled_from([-1.5, -1, -0.5, 0, 0.5, 1, 1.5]), min_size=2, max_size=2),
    y=st.sampled_from([0, 1]), eta=st.sampled_from([0.1, 0.2, 0.5]))).filter(
    lambda p: _logreg_constraints(np.dot(p["w0"], p["x"]), p["y"]))


def _logreg_constraints(z0, y):
    return z0 != 0 and -3 <= z0 <= 3 and ((y == 1 and z0 <= 1) or (y == 0 and z0 >= -1))


def logloss(w, x, y):
    p = 1 / (1 + math.exp(-float(np.dot(w, x))))
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


class TestLogisticRegression:
    def test_by_hand(self):
        """x = (1, 2), w0 = (1, -1), y = 1: z = -1, p = 1/(1+e), gradient (p - 1)(1, 2)."""
        p = dict(x=[1, 2], w0=[1, -1], y=1, eta=0.5)
        r = logreg_gradient_step(p)
        p0 = 1 / (1 + math.e)
        assert r["p0"] == pytest.approx(0.268941, abs=1e-6)
        assert r["grad0"] == pytest.approx([p0 - 1, 2 * (p0 - 1)], abs=1e-12)
        w1 = [1 - 0.5 * (p0 - 1), -1 - 0.5 * 2 * (p0 - 1)]
        assert r["w1"] == pytest.approx(w1, abs=1e-12)
        assert r["p1"] == pytest.approx(1 / (1 + math.exp(-(w1[0] + 2 * w1[1]))), abs=1e-12)
        assert r["dl_dw"] == "(sigmoid(w*x) - y)*x"

    @SETTINGS
    @given(logreg_params)
    def test_gradient_matches_finite_differences(self, p):
        r = solve_or_skip(logreg_gradient_step, p)
        w0 = np.array(p["w0"], dtype=float)
        for j in range(2):
            e = np.eye(2)[j] * 1e-6
            fd = (logloss(w0 + e, p["x"], p["y"]) - logloss(w0 - e, p["x"], p["y"])) / 2e-6
            assert r["grad0"][j] == pytest.approx(fd, abs=1e-6)

    @SETTINGS
    @given(logreg_params)
    def test_one_step_lowers_the_loss_and_moves_p_towards_y(self, p):
        """On one observation the step changes z by -eta (p - y)|x|^2: always towards y."""
        r = solve_or_skip(logreg_gradient_step, p)
        assert logloss(r["w1"], p["x"], p["y"]) < logloss(p["w0"], p["x"], p["y"])
        assert abs(r["p1"] - p["y"]) < abs(r["p0"] - p["y"])

    @SETTINGS
    @given(logreg_params)
    def test_every_listed_bug_changes_its_part(self, p):
        ref = solve_or_skip(logreg_gradient_step, p)
        for part, (bugs, abs_tol, _) in LOGREG_VISIBLE.items():
            for bug in bugs:
                got = np.asarray(logreg_gradient_step(p, bug=bug)[part])
                assert np.max(np.abs(got - np.asarray(ref[part]))) > 2 * abs_tol

    def test_formula_misconceptions_differ_from_reference(self):
        ref = logreg_gradient_step(dict(x=[1, 2], w0=[1, -1], y=1, eta=0.5))["dl_dw"]
        for bug in ("loglik-sign", "no-x", "squared-error"):
            assert logreg_gradient_step(dict(x=[1, 2], w0=[1, -1], y=1, eta=0.5),
                                        bug=bug)["dl_dw"] != ref

    def test_follow_through_from_a_wrong_gradient(self):
        """A student's gradient (1, 1) gives w1 = (1, -1) - 0.5 (1, 1) = (0.5, -1.5)."""
        r = logreg_gradient_step(dict(x=[1, 2], w0=[1, -1], y=1, eta=0.5),
                                 given={"grad0": [1, 1]})
        assert r["w1"] == pytest.approx([0.5, -1.5])

    def test_zero_score_is_rejected(self):
        with pytest.raises(Reject):
            logreg_gradient_step(dict(x=[1, 1], w0=[1, -1], y=1, eta=0.5))


@pytest.mark.parametrize("name, visible", [("lsq-gd-two-steps.yaml", GD_VISIBLE),
                                           ("lsq-adaptive-two-steps.yaml", ADAPTIVE_VISIBLE),
                                           ("logreg-gradient-step.yaml", LOGREG_VISIBLE)])
def test_yaml_lists_the_misconceptions_the_solver_keeps_visible(name, visible):
    assert_visible_lists_match("optimization", name, visible)
