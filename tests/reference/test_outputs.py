"""Reference solvers of family B (what a network outputs), against independently derived values."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from itertools import combinations, permutations, product

import numpy as np
import pytest
import sympy
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog, minimize
from scipy.special import expit, log_softmax, logit, softmax

from reference import Reject, outputs

OUTPUT_LAYERS = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "problems" / "outputs" / "output-layers.yaml").read_text(encoding="utf-8"))


def close(a, b, tol=1e-9):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), atol=tol, rtol=0)


def formula(text: str, **values) -> float:
    """Evaluate one of *our* reference formulas (never student input) at the given point."""
    expr = sympy.parse_expr(text.replace("^", "**"), local_dict={n: sympy.Symbol(n) for n in values})
    return float(expr.subs({sympy.Symbol(n): v for n, v in values.items()}))


def slope(f, t, h=1e-5):
    """Central finite difference: an independent check of analytic derivatives."""
    return (f(t + h) - f(t - h)) / (2 * h)


# ------------------------------------------------------------------ B3


class TestSoftmaxTemperature:
    """B3: softmax at three temperatures and its two limits."""

    SEED = {"z": [1, 2, 5], "T_hi": 10, "T_lo": 0.1}
    TOL = 0.002  # the YAML tolerance of the probability parts
    # the YAML's draws: distinct logits in [-3, 5], the top one ahead of the next by at most 4
    DISTINCT = [list(z) for z in permutations(range(-3, 6), 3) if sorted(z)[2] - sorted(z)[1] <= 4]

    def test_seed_logits_by_hand(self):
        """The seed's logits 1, 2, 5 at T = 10, 1, 0.1, each exponential written out."""
        got = outputs.softmax_temperature(self.SEED)
        for key, T in (("p_hi", 10), ("p_one", 1), ("p_lo", 0.1)):
            e = [math.exp(1 / T), math.exp(2 / T), math.exp(5 / T)]
            assert close(got[key], [x / sum(e) for x in e])
        # T = 10 by hand: e^0.1, e^0.2, e^0.5 over their sum 1.1052 + 1.2214 + 1.6487
        assert close(got["p_hi"], [0.2779, 0.3071, 0.4146], 5e-4)
        assert close(got["p_one"], [0.0171, 0.0466, 0.9362], 5e-4)
        assert close(got["p_lo"], [0, 0, 1], 1e-12)  # e^-30 and e^-40 are below 1e-12

    def test_limits_are_exact(self):
        got = outputs.softmax_temperature({"z": [4, -1, 2], "T_hi": 5, "T_lo": 0.5})
        assert got["lim_zero"] == [1, 0, 0]
        assert got["lim_inf"] == [Fraction(1, 3)] * 3
        assert got["diverse"] == "raise"

    @given(st.sampled_from(DISTINCT), st.sampled_from([5, 10, 20]), st.sampled_from([0.1, 0.2, 0.5]))
    def test_matches_scipy_and_limits_numerically(self, z, T_hi, T_lo):
        """Against scipy's softmax; the limits against tiny and huge temperatures."""
        got = outputs.softmax_temperature({"z": z, "T_hi": T_hi, "T_lo": T_lo})
        zz = np.array(z, dtype=float)
        assert close(got["p_hi"], softmax(zz / T_hi))
        assert close(got["p_one"], softmax(zz))
        assert close(got["p_lo"], softmax(zz / T_lo))
        assert close(got["lim_zero"], softmax(zz / 1e-3), 1e-6)
        assert close(got["lim_inf"], softmax(zz / 1e7), 1e-6)
        for key in ("p_hi", "p_one", "p_lo"):
            assert math.isclose(sum(got[key]), 1.0)

    @pytest.mark.parametrize("bug, parts", [
        ("temperature-multiplied", ["p_hi", "p_lo", "lim_zero", "lim_inf", "diverse"]),
        ("temperature-outside-exp", ["p_hi", "p_lo"]),
        ("sigmoid-per-logit", ["p_one"]),
    ])
    def test_every_bug_changes_its_parts_on_every_draw(self, bug, parts):
        """Whole parameter space: each listed bug is off by more than the tolerance."""
        for z, T_hi, T_lo in product(self.DISTINCT, [5, 10, 20], [0.1, 0.2, 0.5]):
            p = {"z": z, "T_hi": T_hi, "T_lo": T_lo}
            ref, wrong = outputs.softmax_temperature(p), outputs.softmax_temperature(p, bug=bug)
            for part in parts:
                if part == "diverse":
                    assert ref[part] != wrong[part]
                else:
                    gap = np.max(np.abs(np.asarray(ref[part], float) - np.asarray(wrong[part], float)))
                    assert gap > 2 * self.TOL, (bug, part, p)

    def test_multiplied_bug_by_hand(self):
        """z * T at T = 10 on the seed logits: e^10, e^20, e^50 normalised is one-hot to 1e-13."""
        got = outputs.softmax_temperature(self.SEED, bug="temperature-multiplied")
        assert close(got["p_hi"], [0, 0, 1], 1e-12)
        assert got["lim_zero"] == [Fraction(1, 3)] * 3 and got["lim_inf"] == [0, 0, 1]

    def test_sigmoid_bug_by_hand(self):
        got = outputs.softmax_temperature(self.SEED, bug="sigmoid-per-logit")
        assert close(got["p_one"], expit(np.array([1.0, 2.0, 5.0])))


# ------------------------------------------------------------------ B1


class TestSigmoidFacts:
    """B1: sigmoid and tanh facts, checked by finite differences and direct evaluation."""

    S0 = [0.05, 0.1, 0.12, 0.15, 0.18, 0.2, 0.22, 0.25, 0.28, 0.3, 0.32, 0.35, 0.4, 0.42, 0.45,
          0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    U0 = [-0.9, -0.85, -0.8, -0.7, -0.6, -0.5, -0.45, -0.4, -0.3, -0.25, -0.2,
          0.15, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.65, 0.7, 0.8, 0.9]
    K = [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20]
    GRID = np.linspace(-3, 3, 13)

    def solve(self, s0=0.2, u0=0.5, k=10, bug=None):
        return outputs.sigmoid_facts({"s0": s0, "u0": u0, "k": k}, bug=bug)

    def test_constants(self):
        got = self.solve()
        assert got["limits"] == [1, 0] and got["tanh_limits"] == [1, -1]
        assert close(got["at_zero"], [0.5, 0.25, math.log(0.5)])
        assert got["max_dsig"] == Fraction(1, 4) and got["max_dtanh"] == 1

    def test_limits_and_maxima_numerically(self):
        assert close([expit(40.0), expit(-40.0)], self.solve()["limits"], 1e-12)
        assert close([math.tanh(40.0), math.tanh(-40.0)], self.solve()["tanh_limits"], 1e-12)
        t = np.linspace(-10, 10, 200001)
        assert math.isclose(np.max(expit(t) * (1 - expit(t))), float(self.solve()["max_dsig"]), rel_tol=1e-9)
        assert math.isclose(np.max(slope(np.tanh, t)), float(self.solve()["max_dtanh"]), rel_tol=1e-6)

    @pytest.mark.parametrize("t", GRID)
    def test_formulas_against_finite_differences(self, t):
        got, s, u = self.solve(), expit(t), math.tanh(t)
        assert math.isclose(formula(got["sig_neg"], s=s), expit(-t), rel_tol=1e-12)
        assert math.isclose(formula(got["dtanh_u"], u=u), slope(math.tanh, t), rel_tol=1e-7)

    @pytest.mark.parametrize("t", GRID / 3)
    @pytest.mark.parametrize("k", [2, 7])
    def test_formulas_of_sigma_kt_against_finite_differences(self, t, k):
        """The formula parts are asked for sigma(k t): derivative, inverse, d ln / dt."""
        got, s = self.solve(k=k), expit(k * t)
        assert math.isclose(formula(got["dsig_s"], s=s), slope(lambda x: expit(k * x), t), rel_tol=1e-6)
        assert math.isclose(formula(got["inverse"], s=s), t, abs_tol=1e-9)
        dlog = formula(got["dlog"], t=t)
        assert math.isclose(dlog, slope(lambda x: math.log(expit(k * x)), t), rel_tol=1e-6)
        assert math.isclose(dlog, k * expit(-k * t), rel_tol=1e-12)  # the seed's relation, times k

    @given(st.sampled_from(S0), st.sampled_from(U0), st.sampled_from(K))
    def test_values_at_drawn_points(self, s0, u0, k):
        """a and b are recovered with scipy's logit and arctanh, then everything evaluated directly."""
        got = self.solve(s0, u0, k)
        a, b = logit(s0), math.atanh(u0)
        assert math.isclose(got["a_value"], a, rel_tol=1e-12)
        assert math.isclose(float(got["sig_neg_a"]), expit(-a), rel_tol=1e-12)
        assert math.isclose(float(got["dsig_neg_a"]), slope(expit, -a), rel_tol=1e-7)
        assert math.isclose(float(got["dtanh_b"]), slope(math.tanh, b), rel_tol=1e-7)
        assert math.isclose(float(got["slope_k"]), slope(lambda t: expit(k * t), 0.0, 1e-7), rel_tol=1e-5)

    def test_exact_values_by_hand(self):
        """sigma(a) = 0.8: sigma(-a) = 0.2, sigma'(-a) = 0.16, a = ln 4; tanh(b) = 0.6: 0.64."""
        got = self.solve(s0=0.8, u0=0.6, k=20)
        assert got["sig_neg_a"] == Fraction(1, 5) and got["dsig_neg_a"] == Fraction(4, 25)
        assert math.isclose(got["a_value"], math.log(4))
        assert got["dtanh_b"] == Fraction(16, 25) and got["slope_k"] == 5

    BUGS = {
        "limits-swapped": ["limits"], "odd-symmetry": ["sig_neg", "sig_neg_a"],
        "derivative-odd": ["dsig_neg_a"], "derivative-is-itself": ["dsig_s", "at_zero"],
        "tanh-derivative-form": ["dsig_s"], "sigmoid-derivative-form": ["dtanh_u", "dtanh_b"],
        "log-sign": ["at_zero"], "reciprocal-not-inverse": ["inverse"],
        "inverse-flipped": ["inverse", "a_value"], "forgot-inner-derivative": ["dlog", "slope_k"],
        "sigmoid-instead-of-complement": ["dlog"], "sup-of-sigmoid": ["max_dsig"],
        "tanh-like-sigmoid": ["tanh_limits"], "same-as-sigmoid": ["max_dtanh"],
    }
    VARIABLE = {"sig_neg": "s", "dsig_s": "s", "inverse": "s", "dlog": "t", "dtanh_u": "u"}
    POINT = {"s": 0.3, "t": 0.7, "u": 0.4}

    @pytest.mark.parametrize("bug", sorted(BUGS))
    def test_every_bug_changes_its_parts_on_every_draw(self, bug):
        """Formula parts do not depend on the draw: one point of them settles it."""
        ref, wrong = self.solve(), self.solve(bug=bug)
        for part in set(self.BUGS[bug]) & set(self.VARIABLE):
            point = {self.VARIABLE[part]: self.POINT[self.VARIABLE[part]]}
            assert abs(formula(ref[part], **point) - formula(wrong[part], **point)) > 0.004, (bug, part)
        for s0, u0, k in product(self.S0, self.U0, self.K):
            ref, wrong = self.solve(s0, u0, k), self.solve(s0, u0, k, bug=bug)
            for part in set(self.BUGS[bug]) - set(self.VARIABLE):
                gap = np.max(np.abs(np.asarray(ref[part], float) - np.asarray(wrong[part], float)))
                assert gap > 0.004, (bug, part, s0, u0, k)


# ------------------------------------------------------------------ B2


HALVES = [x / 2 for x in range(-4, 5)]
logits = st.lists(st.sampled_from(HALVES), min_size=3, max_size=3)
classes = st.integers(0, 2)


class TestSoftmaxLogloss:
    """B2: softmax of two observations, their summed log-loss, sigmoid vs two-way softmax."""

    SEED = {"z1": [1, -2, 0], "z2": [0.5, -1, 0], "c1": 0, "c2": 2}

    def test_seed_numbers_by_hand(self):
        """The seed's logits; true classes 1 and 3: each exponential written out."""
        got = outputs.softmax_logloss(self.SEED)
        e1 = [math.e, math.exp(-2), 1.0]
        e2 = [math.exp(0.5), math.exp(-1), 1.0]
        assert close(got["p1"], [x / sum(e1) for x in e1])
        assert close(got["p2"], [x / sum(e2) for x in e2])
        assert close(got["p1"], [0.7054, 0.0351, 0.2595], 5e-5)
        assert close(got["p2"], [0.5465, 0.1220, 0.3315], 5e-5)
        assert math.isclose(got["loss"], -math.log(e1[0] / sum(e1)) - math.log(e2[2] / sum(e2)))
        assert math.isclose(got["loss"], 1.4531, abs_tol=5e-4)

    @given(logits, logits, classes, classes)
    def test_against_scipy_log_softmax(self, z1, z2, c1, c2):
        got = outputs.softmax_logloss({"z1": z1, "z2": z2, "c1": c1, "c2": c2})
        assert close(got["p1"], softmax(z1)) and close(got["p2"], softmax(z2))
        assert math.isclose(got["loss"], -log_softmax(z1)[c1] - log_softmax(z2)[c2], rel_tol=1e-12)

    @pytest.mark.parametrize("a, b", [(0.0, 0.0), (1.5, -2.0), (-3.0, 2.5), (4.0, 4.0)])
    def test_sigmoid_matches_two_way_softmax(self, a, b):
        w = formula(outputs.softmax_logloss(self.SEED)["relation"], a=a, b=b)
        assert math.isclose(expit(w), softmax([a, b])[0], rel_tol=1e-12)

    def test_follow_through_uses_students_probabilities(self):
        """A student's rounded p1 = [0.7, 0.04, 0.26]: the loss is -ln 0.7 - ln p2[3]."""
        got = outputs.softmax_logloss(self.SEED, given={"p1": np.array([0.7, 0.04, 0.26])})
        e2 = [math.exp(0.5), math.exp(-1), 1.0]
        assert math.isclose(got["loss"], -math.log(0.7) - math.log(e2[2] / sum(e2)))

    def test_follow_through_refuses_an_impossible_probability(self):
        with pytest.raises(ValueError):
            outputs.softmax_logloss(self.SEED, given={"p1": np.array([0.0, 0.5, 0.5])})

    def test_binary_per_class_bug_by_hand(self):
        got = outputs.softmax_logloss(self.SEED, bug="binary-per-class")
        p1, p2 = softmax([1, -2, 0]), softmax([0.5, -1, 0])
        expected = (-math.log(p1[0]) - math.log(1 - p1[1]) - math.log(1 - p1[2])
                    - math.log(1 - p2[0]) - math.log(1 - p2[1]) - math.log(p2[2]))
        assert math.isclose(got["loss"], expected)

    @given(logits, logits, classes, classes)
    @settings(max_examples=200)
    def test_every_bug_changes_its_part(self, z1, z2, c1, c2):
        p = {"z1": z1, "z2": z2, "c1": c1, "c2": c2}
        ref = outputs.softmax_logloss(p)
        for bug in ("sigmoid-per-logit",):
            wrong = outputs.softmax_logloss(p, bug=bug)
            for part in ("p1", "p2"):
                assert np.max(np.abs(np.subtract(ref[part], wrong[part]))) > 0.004
        for bug in ("mean-not-sum", "log10", "binary-per-class"):
            wrong = outputs.softmax_logloss(p, bug=bug)["loss"]
            assert abs(wrong - ref["loss"]) > 0.02 * ref["loss"]
        for bug in ("reversed-difference", "first-logit-only"):
            wrong = outputs.softmax_logloss(p, bug=bug)["relation"]
            assert formula(wrong, a=1.3, b=-0.4) != pytest.approx(formula(ref["relation"], a=1.3, b=-0.4))


# ------------------------------------------------------------------ B4


class TestOutputLayers:
    """B4: output layer, loss and output size per task type."""

    # by hand: the layer whose likelihood the loss is, task by task
    EXPECTED = {
        "binary_layer": "sigmoid", "binary_loss": "bce",
        "multi_layer": "softmax", "multi_loss": "ce",
        "rating_layer": "scaled-sigmoid", "rating_loss": "mse",
        "labels_layer": "sigmoids", "labels_loss": "sum-bce",
        "box_layer": "box-softmax", "box_loss": "mse-ce",
        "count_layer": "exp", "count_loss": "poisson",
    }
    P = {"K": 7, "L": 4, "K2": 3, "lo": 0, "hi": 10}

    def test_choices(self):
        got = outputs.output_layers(self.P)
        assert {k: v for k, v in got.items() if not k.endswith("_units")} == self.EXPECTED

    def test_units_by_hand(self):
        got = outputs.output_layers(self.P)
        assert (got["multi_units"], got["labels_units"], got["box_units"]) == (7, 4, 7)

    def test_answers_are_options_of_the_sheet(self):
        """Every reference and bug answer of a choice part is an option id in the YAML."""
        doc = OUTPUT_LAYERS
        options = {part["id"]: {o["id"] for o in part["options"]}
                   for part in doc["parts"] if "options" in part}
        bugs = {m["bug"] for part in doc["parts"] for m in part.get("misconceptions", [])}
        for bug in [None, *bugs]:
            got = outputs.output_layers(self.P, bug=bug)
            for part, ids in options.items():
                assert got[part] in ids, (bug, part)

    @given(st.integers(3, 12), st.integers(2, 9), st.integers(2, 10))
    def test_every_listed_bug_changes_its_part(self, K, L, K2):
        doc = OUTPUT_LAYERS
        p = {"K": K, "L": L, "K2": K2, "lo": 1, "hi": 5}
        ref = outputs.output_layers(p)
        for part in doc["parts"]:
            for m in part.get("misconceptions", []):
                assert outputs.output_layers(p, bug=m["bug"])[part["id"]] != ref[part["id"]], m["bug"]


# ------------------------------------------------------------------ B5


XS = [list(x) for x in combinations(range(-3, 4), 4)]
LABELS = [list(y) for y in product([0, 1], repeat=4) if 0 < sum(y) < 4]


def strictly_separable(x, y) -> bool:
    """Independent test via a linear programme: is there (a, b) with (2y-1)(a + b x) >= 1?"""
    s = 2 * np.asarray(y) - 1
    A = -np.column_stack([s, s * np.asarray(x)])
    res = linprog(c=[0, 0], A_ub=A, b_ub=-np.ones(len(x)), bounds=[(None, None)] * 2)
    return res.status == 0


class TestLogisticLoss:
    """B5: the summed log-loss of a 1-D logistic regression and whether it has a minimiser."""

    P = {"x": [-1, 0, 1, 2], "y": [1, 0, 1, 0], "a0": 0, "b0": 1}

    def test_value_by_hand(self):
        """z = -1, 0, 1, 2: ln(1+e) + ln 2 + ln(1+1/e) + ln(1+e^2)."""
        got = outputs.logistic_loss(self.P)
        by_hand = math.log(1 + math.e) + math.log(2) + math.log(1 + 1 / math.e) + math.log(1 + math.e ** 2)
        assert math.isclose(got["loss_value"], by_hand)
        assert math.isclose(got["loss_value"], 4.4466, abs_tol=1e-4)

    @pytest.mark.parametrize("a, b", [(0.0, 0.0), (0.3, -1.2), (-1.5, 2.0)])
    def test_formula_against_the_definition(self, a, b):
        got = outputs.logistic_loss(self.P)["loss_formula"]
        prob = expit(a + b * np.array(self.P["x"], dtype=float))
        y = np.array(self.P["y"])
        assert math.isclose(formula(got, a=a, b=b), -np.sum(y * np.log(prob) + (1 - y) * np.log(1 - prob)))

    def test_seed_data_has_no_finite_minimum(self):
        """The seed's whale-and-ants data (x = 1, 2, 3; y = 1, 0, 0) is separable."""
        p = {"x": [1, 2, 3], "y": [1, 0, 0], "a0": 0, "b0": 1}
        assert outputs.logistic_loss(p)["finite_min"] is False

    @pytest.mark.parametrize("x", XS[::5])
    def test_finite_minimum_iff_not_separable(self, x):
        for y in LABELS:
            p = {"x": x, "y": y, "a0": 1, "b0": -1}
            try:
                got = outputs.logistic_loss(p)["finite_min"]
            except Reject:
                continue
            assert got == (not strictly_separable(x, y)), (x, y)

    @pytest.mark.parametrize("x, y, finite", [([-2, 0, 1, 3], [0, 1, 0, 1], True),
                                              ([-2, 0, 1, 3], [0, 0, 1, 1], False)])
    def test_minimiser_numerically(self, x, y, finite):
        """BFGS converges to a stationary point only when a finite minimiser exists."""
        def loss(v):
            z = v[0] + v[1] * np.asarray(x, dtype=float)
            return np.sum(np.logaddexp(0, np.where(np.asarray(y) == 1, -z, z)))
        res = minimize(loss, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10, "maxiter": 10000})
        assert (np.linalg.norm(res.x) < 50) == finite
        assert outputs.logistic_loss({"x": x, "y": y, "a0": 1, "b0": 1})["finite_min"] is finite

    def test_every_bug_changes_its_part_on_every_accepted_draw(self):
        for x, y, a0, b0 in product(XS, LABELS, (-1, 0, 1), (-1, 1)):
            p = {"x": x, "y": y, "a0": a0, "b0": b0}
            try:
                ref = outputs.logistic_loss(p)
            except Reject:
                continue
            for bug in ("labels-swapped", "mean-not-sum", "log10", "missing-minus"):
                wrong = outputs.logistic_loss(p, bug=bug)["loss_value"]
                assert abs(wrong - ref["loss_value"]) > 0.01, (bug, p)
            assert outputs.logistic_loss(p, bug="confused-separability")["finite_min"] != ref["finite_min"]

    @pytest.mark.parametrize("bug", ["labels-swapped", "missing-minus"])
    def test_formula_bugs_change_the_function(self, bug):
        ref = outputs.logistic_loss(self.P)["loss_formula"]
        wrong = outputs.logistic_loss(self.P, bug=bug)["loss_formula"]
        assert abs(formula(wrong, a=0.4, b=0.9) - formula(ref, a=0.4, b=0.9)) > 0.1
