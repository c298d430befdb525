"""Tests for reference.em (family G), each against an independent derivation.

Independent means: scipy densities and Bayes' rule written out, numpy's weighted
mean/covariance, numeric maximisation of the M-step objective, finite differences,
numeric integration, Monte Carlo, or numbers worked out by hand in the comments.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import sympy
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from reference import Reject, em

PROBLEMS = Path(__file__).resolve().parents[2] / "problems" / "em"
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


def _sig(t):
    return 1.0 / (1.0 + math.exp(-t))


def _expr(text, **values):
    """Evaluate one of *our* reference strings (never student input) at a point."""
    names = {k: sympy.Symbol(k) for k in values}
    names["sigmoid"] = sympy.Lambda(sympy.Symbol("t"), 1 / (1 + sympy.exp(-sympy.Symbol("t"))))
    tree = parse_expr(text, local_dict=names, transformations=standard_transformations + (convert_xor,))
    return float(tree.subs({names[k]: v for k, v in values.items()}))


# Draws that the public solvers accept (taken from the YAML parameter specs).
DRAWS = {
    "gmm_em_1d": [
        {"x": [1, 0, 6, 3, 1], "mu1": 0, "mu2": 3, "var1": 4, "var2": 2, "pi1": 0.6},
        {"x": [5, 0, 0, 0, 2], "mu1": 1, "mu2": 3, "var1": 4, "var2": 2, "pi1": 0.4},
        {"x": [2, -1, -1, 1, 3], "mu1": 2, "mu2": 4, "var1": 1, "var2": 2, "pi1": 0.3},
    ],
    "gmm_em_2d": [
        {"X": [[3, 4], [3, 3], [4, 4], [1, 1]], "m1": [4, 3], "m2": [4, 1], "pi1": 0.2},
        {"X": [[3, 2], [1, 0], [4, 0], [4, 3]], "m1": [3, 4], "m2": [1, 4], "pi1": 0.2},
        {"X": [[4, 1], [2, 3], [0, 0], [3, 2]], "m1": [3, 4], "m2": [0, 2], "pi1": 0.4},
    ],
    "coins_em": [
        {"tosses": 10, "heads": [6, 6, 6, 1, 9], "theta_a": 0.6, "theta_b": 0.4, "pi_a": 0.6},
        {"tosses": 8, "heads": [4, 5, 0, 6, 1], "theta_a": 0.6, "theta_b": 0.3, "pi_a": 0.3},
        {"tosses": 10, "heads": [4, 2, 10, 9, 3], "theta_a": 0.6, "theta_b": 0.4, "pi_a": 0.7},
    ],
    "noisy_labels": [
        {"labels": [[1, 1, 1], [0, 0, 1]], "alpha": [2, 1.5, -0.5], "beta": [0.5, 1.5], "pi1": 0.6, "j": 1, "i": 1,
         "wrt": "alpha"},
        {"labels": [[0, 1, 1], [0, 0, 0]], "alpha": [-1, -1, -0.5], "beta": [0.5, 2], "pi1": 0.3, "j": 2, "i": 2,
         "wrt": "beta"},
        {"labels": [[1, 0, 0], [1, 1, 0]], "alpha": [2, -1, 1], "beta": [2, 1.5], "pi1": 0.7, "j": 3, "i": 1,
         "wrt": "alpha"},
    ],
    "elbo_kl_facts": [
        {"q": [0.1, 0.7, 0.2], "r": [0.5, 0.1, 0.4], "loglik": -8.58, "elbo": -9.1},
        {"q": [0.2, 0.5, 0.3], "r": [0.1, 0.7, 0.2], "loglik": -5.75, "elbo": -6.88},
        {"q": [0.7, 0.2, 0.1], "r": [0.5, 0.2, 0.3], "loglik": -4.52, "elbo": -5.79},
    ],
    "mean_field_gaussian": [
        {"mu1": 3, "mu2": 0, "l11": 5, "l22": 8, "l12": 2, "a0": 3, "b0": -2, "ask": "smaller"},
        {"mu1": 1, "mu2": -2, "l11": 5, "l22": 8, "l12": -3, "a0": 2, "b0": -3, "ask": "larger"},
        {"mu1": 0, "mu2": 2, "l11": 2, "l22": 4, "l12": 2, "a0": 3, "b0": -3, "ask": "smaller"},
    ],
    "gaussian_kl_reparam": [
        {"m": -0.2, "s": 1.5, "eps": 1.7, "c": 0},
        {"m": -0.2, "s": 2.2, "eps": -1.24, "c": 3},
        {"m": 1.3, "s": 0.6, "eps": 0.15, "c": 2},
    ],
    "kmeans_step": [
        {"X": [[0, 1], [1, 0], [0, 6], [5, 2], [4, 4], [2, 0]], "c1": [0, 0], "c2": [4, 2], "sigma_limit": "zero"},
        {"X": [[7, 8], [7, 7], [8, 3], [2, 8], [7, 2], [1, 7]], "c1": [4, 2], "c2": [1, 8], "sigma_limit": "infinity"},
        {"X": [[8, 1], [6, 8], [7, 3], [1, 6], [0, 1], [1, 3]], "c1": [4, 7], "c2": [6, 8], "sigma_limit": "zero"},
    ],
}


def _problems():
    for path in sorted(PROBLEMS.glob("*.yaml")):
        yield path.name, yaml.safe_load(path.read_text(encoding="utf-8"))


def _solver(doc):
    return getattr(em, doc["solver"].split(":")[1])


def _misconception_cases():
    for name, doc in _problems():
        for part in doc["parts"]:
            for m in part.get("misconceptions", []):
                yield pytest.param(doc, part, m["bug"], id=f"{name}:{part['id']}:{m['bug']}")


def _within(ref, ans, tol):
    """The part's tolerance as docs/problem-format.md defines it."""
    a_tol = tol.get("abs", 0.0 if "rel" in tol else 1e-9)
    r_tol = tol.get("rel", 0.0 if "abs" in tol else 0.005)
    ref, ans = np.asarray(ref, dtype=float), np.asarray(ans, dtype=float)
    return ref.shape == ans.shape and bool(np.all(np.abs(ans - ref) <= np.maximum(a_tol, r_tol * np.abs(ref))))


class TestBank:
    """Every YAML file of the topic against its solver."""

    @pytest.mark.parametrize("doc", [d for _, d in _problems()], ids=[n for n, _ in _problems()])
    def test_solver_answers_every_part(self, doc):
        """The solver returns exactly the parts the YAML declares."""
        for p in DRAWS[doc["solver"].split(":")[1]]:
            assert set(_solver(doc)(dict(p))) == {part["id"] for part in doc["parts"]}

    @pytest.mark.parametrize("doc,part,bug", list(_misconception_cases()))
    def test_each_misconception_changes_its_part(self, doc, part, bug):
        """A listed slip gives an answer the part's own comparison rejects, on every sample draw."""
        solve = _solver(doc)
        for p in DRAWS[doc["solver"].split(":")[1]]:
            ref, wrong = solve(dict(p))[part["id"]], solve(dict(p), bug=bug)[part["id"]]
            if part["type"] == "expression":
                point = {name: 0.37 * (k + 1) for k, name in enumerate(part["variables"])}
                assert abs(_expr(ref, **point) - _expr(wrong, **point)) > 1e-6
            elif part["type"] in ("number", "vector", "matrix"):
                assert not _within(ref, wrong, part["tolerance"])
            elif part["type"] == "multi-choice":
                assert sorted(ref) != sorted(wrong)
            else:
                assert ref != wrong

    @pytest.mark.parametrize("doc", [d for _, d in _problems()], ids=[n for n, _ in _problems()])
    def test_visibility_table_matches_the_yaml(self, doc):
        """The solver redraws hidden slips with the tolerances and bugs the YAML declares."""
        visible = getattr(_solver(doc), "visible", {})
        for part in doc["parts"]:
            if part["id"] not in visible:
                assert part["type"] not in ("number", "vector", "matrix"), part["id"]
                continue
            bugs, abs_tol, rel_tol = visible[part["id"]]
            assert bugs == [m["bug"] for m in part["misconceptions"]]
            assert (abs_tol, rel_tol) == (part["tolerance"].get("abs", 0.0), part["tolerance"].get("rel", 0.0))

    @pytest.mark.parametrize("doc", [d for _, d in _problems()], ids=[n for n, _ in _problems()])
    def test_follow_through_from_the_reference_reproduces_it(self, doc):
        """given = the reference's own earlier answers leaves every later part unchanged."""
        solve = _solver(doc)
        for p in DRAWS[doc["solver"].split(":")[1]]:
            ref = solve(dict(p))
            for part in doc["parts"]:
                if part.get("follows"):
                    again = solve(dict(p), given={k: ref[k] for k in part["follows"]})
                    assert np.allclose(again[part["id"]], ref[part["id"]], atol=1e-12)


# ---------------------------------------------------------------- G1, 1-D

def _loglik_1d(x, pi, mu, var):
    dens = sum(pi[k] * stats.norm.pdf(x, mu[k], math.sqrt(var[k])) for k in range(2))
    return float(np.sum(np.log(dens)))


class TestGmmEm1d:
    P = DRAWS["gmm_em_1d"][0]

    def test_responsibilities_are_bayes_posteriors(self):
        """gamma_ik = pi_k N(x_i) / sum_l pi_l N(x_i), with scipy's density (sd = sqrt(var))."""
        x, pi = np.array(self.P["x"], float), [0.6, 0.4]
        joint = np.column_stack([pi[0] * stats.norm.pdf(x, 0, 2.0), pi[1] * stats.norm.pdf(x, 3, math.sqrt(2))])
        np.testing.assert_allclose(em.gmm_em_1d(self.P)["resp"], joint / joint.sum(1, keepdims=True), atol=1e-12)

    def test_m_step_is_weighted_mean_and_variance(self):
        """Means and variances equal numpy's weighted average and biased weighted covariance."""
        out = em.gmm_em_1d(self.P)
        x, g = np.array(self.P["x"], float), np.array(out["resp"])
        for k in range(2):
            assert out["mu"][k] == pytest.approx(np.average(x, weights=g[:, k]))
            assert out["var"][k] == pytest.approx(float(np.cov(x, aweights=g[:, k], bias=True)))
        np.testing.assert_allclose(out["pi"], g.mean(axis=0))

    def test_m_step_maximises_expected_complete_loglik(self):
        """A numeric optimiser of Q(pi, mu, var) lands on the closed-form M-step."""
        out = em.gmm_em_1d(self.P)
        x, g = np.array(self.P["x"], float), np.array(out["resp"])

        def neg_q(theta):
            a, m1, m2, lv1, lv2 = theta
            pi1 = _sig(a)
            logs = [np.log(pi1) + stats.norm.logpdf(x, m1, math.exp(lv1 / 2)),
                    np.log(1 - pi1) + stats.norm.logpdf(x, m2, math.exp(lv2 / 2))]
            return -float(np.sum(g[:, 0] * logs[0] + g[:, 1] * logs[1]))

        best = optimize.minimize(neg_q, [0.0, 0.0, 3.0, 0.0, 0.0], method="BFGS", options={"gtol": 1e-9}).x
        assert _sig(best[0]) == pytest.approx(out["pi"][0], abs=1e-5)
        assert best[1:3] == pytest.approx(out["mu"], abs=1e-4)
        assert np.exp(best[3:]) == pytest.approx(out["var"], abs=1e-4)

    @PROPERTY
    @given(x=st.lists(st.integers(-1, 7), min_size=5, max_size=5), mu1=st.integers(0, 3),
           gap=st.integers(2, 3), v=st.permutations([1, 2, 4]),
           pi1=st.sampled_from([0.2, 0.3, 0.4, 0.6, 0.7, 0.8]))
    def test_one_step_never_lowers_the_likelihood(self, x, mu1, gap, v, pi1):
        """The EM guarantee: log p(x | new) >= log p(x | old)."""
        p = {"x": x, "mu1": mu1, "mu2": mu1 + gap, "var1": v[0], "var2": v[1], "pi1": pi1}
        try:
            out = em.gmm_em_1d.__wrapped__(p)
        except Reject:
            assume(False)
        old = _loglik_1d(np.array(x, float), [pi1, 1 - pi1], [mu1, mu1 + gap], v[:2])
        assert _loglik_1d(np.array(x, float), out["pi"], out["mu"], out["var"]) >= old - 1e-9

    def test_follows_the_students_responsibilities(self):
        """Uniform responsibilities: both means are the sample mean, both variances the sample variance."""
        x = self.P["x"]  # [1, 0, 6, 3, 1]: mean 11/5; squared deviations sum to 22.8, variance 114/25
        out = em.gmm_em_1d(self.P, given={"resp": [[0.5, 0.5]] * 5})
        assert out["pi"] == pytest.approx([0.5, 0.5])
        assert out["mu"] == pytest.approx([11 / 5, 11 / 5])
        assert out["var"] == pytest.approx([114 / 25, 114 / 25])
        assert np.var(x) == pytest.approx(114 / 25)

    def test_variance_follows_the_students_mean(self):
        """With given mu the variance is the weighted mean square around that mu."""
        ref = em.gmm_em_1d(self.P)
        out = em.gmm_em_1d(self.P, given={"resp": ref["resp"], "mu": [0.0, 0.0]})
        g, x = np.array(ref["resp"]), np.array(self.P["x"], float)
        assert out["var"] == pytest.approx((g * x[:, None] ** 2).sum(0) / g.sum(0))

    def test_given_of_wrong_shape_cannot_seed(self):
        with pytest.raises(Reject):
            em.gmm_em_1d(self.P, given={"resp": [0.5, 0.5]})

    def test_all_points_far_from_the_boundary_is_rejected(self):
        """Every responsibility at 0 or 1 makes a trivial E-step."""
        with pytest.raises(Reject):
            em.gmm_em_1d({"x": [-1, -1, 7, 7, 7], "mu1": 0, "mu2": 6, "var1": 1, "var2": 2, "pi1": 0.4})


# ---------------------------------------------------------------- G1, 2-D

class TestGmmEm2d:
    P = DRAWS["gmm_em_2d"][2]

    def test_responsibilities_match_scipy(self):
        X = np.array(self.P["X"], float)
        a = 0.4 * stats.multivariate_normal.pdf(X, self.P["m1"], np.eye(2))
        b = 0.6 * stats.multivariate_normal.pdf(X, self.P["m2"], np.eye(2))
        np.testing.assert_allclose(em.gmm_em_2d(self.P)["resp"], a / (a + b), atol=1e-12)

    def test_m_step_is_numpys_weighted_mean_and_covariance(self):
        out = em.gmm_em_2d(self.P)
        X, g = np.array(self.P["X"], float), np.array(out["resp"])
        np.testing.assert_allclose(out["mu1"], np.average(X, axis=0, weights=g))
        np.testing.assert_allclose(out["mu2"], np.average(X, axis=0, weights=1 - g))
        np.testing.assert_allclose(out["sigma1"], np.cov(X.T, aweights=g, bias=True))
        assert out["pi1"] == pytest.approx(g.mean())

    def test_follows_the_students_responsibilities(self):
        """Responsibilities [1, 1, 0, 0]: component 1 is just points 1-2 (hand values)."""
        out = em.gmm_em_2d(self.P, given={"resp": [1, 1, 0, 0]})
        # points (4, 1), (2, 3): mean (3, 2), deviations (1, -1), (-1, 1)
        assert out["pi1"] == pytest.approx(0.5)
        assert out["mu1"] == pytest.approx([3, 2])
        assert out["mu2"] == pytest.approx([1.5, 1])
        np.testing.assert_allclose(out["sigma1"], [[1, -1], [-1, 1]])


# ---------------------------------------------------------------- G2

def _coin_loglik(heads, n, ta, tb, pa):
    return float(np.sum(np.log(pa * stats.binom.pmf(heads, n, ta) + (1 - pa) * stats.binom.pmf(heads, n, tb))))


class TestCoinsEm:
    def test_classic_two_coin_example(self):
        """The textbook example (heads 5, 9, 8, 4, 7 of 10; 0.6 / 0.5; equal prior) gives 0.71 and 0.58.

        With pi_A = 1/2 the no-prior slip is invisible, so the public solver redraws it;
        the unwrapped solver still computes it."""
        p = {"heads": [5, 9, 8, 4, 7], "tosses": 10, "theta_a": 0.6, "theta_b": 0.5, "pi_a": 0.5}
        out = em.coins_em.__wrapped__(p)
        assert round(out["theta_a"], 2) == 0.71
        assert round(out["theta_b"], 2) == 0.58
        with pytest.raises(Reject):
            em.coins_em(p)

    def test_posteriors_from_binomial_pmf(self):
        p = DRAWS["coins_em"][1]
        a = 0.3 * stats.binom.pmf(p["heads"], 8, 0.6)
        b = 0.7 * stats.binom.pmf(p["heads"], 8, 0.3)
        np.testing.assert_allclose(em.coins_em(p)["resp"], a / (a + b), atol=1e-12)

    def test_m_step_maximises_expected_complete_loglik(self):
        p = DRAWS["coins_em"][0]
        out = em.coins_em(p)
        w, h = np.array(out["resp"]), np.array(p["heads"], float)
        for weights, key in ((w, "theta_a"), (1 - w, "theta_b")):
            res = optimize.minimize_scalar(
                lambda t: -np.sum(weights * (h * np.log(t) + (10 - h) * np.log(1 - t))),
                bounds=(1e-6, 1 - 1e-6), method="bounded", options={"xatol": 1e-10})
            assert res.x == pytest.approx(out[key], abs=1e-6)
        assert out["pi_a"] == pytest.approx(w.mean())

    @PROPERTY
    @given(heads=st.lists(st.integers(0, 10), min_size=5, max_size=5),
           ta=st.sampled_from([0.5, 0.6, 0.7, 0.8]), tb=st.sampled_from([0.2, 0.3, 0.4]),
           pa=st.sampled_from([0.3, 0.4, 0.6, 0.7]))
    def test_one_iteration_never_lowers_the_likelihood(self, heads, ta, tb, pa):
        try:
            out = em.coins_em.__wrapped__({"heads": heads, "tosses": 10, "theta_a": ta, "theta_b": tb, "pi_a": pa})
        except Reject:
            assume(False)
        before = _coin_loglik(np.array(heads), 10, ta, tb, pa)
        assert _coin_loglik(np.array(heads), 10, out["theta_a"], out["theta_b"], out["pi_a"]) >= before - 1e-9

    def test_follows_the_students_posteriors(self):
        """w = [1, 0, 1, 0, 0] on heads [4, 2, 10, 9, 3]: theta_A = 14/20, theta_B = 14/30."""
        out = em.coins_em(DRAWS["coins_em"][2], given={"resp": [1, 0, 1, 0, 0]})
        assert out["theta_a"] == pytest.approx(14 / 20)
        assert out["theta_b"] == pytest.approx(14 / 30)
        assert out["pi_a"] == pytest.approx(2 / 5)


# ---------------------------------------------------------------- G3

def _labels_q(p, post):
    """Q(alpha, beta) exactly as the sheet writes it: indicators, both classes, log sigmoid."""
    labels, alpha, beta = p["labels"], p["alpha"], p["beta"]
    total = 0.0
    for i in range(len(beta)):
        for t, weight in ((1, post[i]), (0, 1 - post[i])):
            for j in range(len(alpha)):
                arg = alpha[j] * beta[i]
                total += weight * (math.log(_sig(arg)) if labels[i][j] == t else math.log(_sig(-arg)))
    return total


class TestNoisyLabels:
    @pytest.mark.parametrize("p", DRAWS["noisy_labels"])
    def test_posterior_by_enumerating_the_joint(self, p):
        """p(Z_i = 1 | l_i) from the joint p(Z_i) prod_j p(l_ij | Z_i) for both classes (seed 000
        garbles this normalisation; the sum over Z_i in the denominator is what Bayes' rule says)."""
        expected = []
        for i, row in enumerate(p["labels"]):
            joint = {}
            for z in (0, 1):
                prob = p["pi1"] if z == 1 else 1 - p["pi1"]
                for j, label in enumerate(row):
                    right = _sig(p["alpha"][j] * p["beta"][i])
                    prob *= right if label == z else 1 - right
                joint[z] = prob
            expected.append(joint[1] / (joint[0] + joint[1]))
        assert em.noisy_labels(p)["post"] == pytest.approx(expected, abs=1e-12)

    @pytest.mark.parametrize("p", DRAWS["noisy_labels"])
    def test_gradients_match_finite_differences(self, p):
        out = em.noisy_labels(p)
        j, i, h = p["j"] - 1, p["i"] - 1, 1e-6

        def shifted(key, idx, delta):
            moved = {**p, key: list(p[key])}
            moved[key][idx] += delta
            return _labels_q(moved, out["post"])

        assert out["grad_alpha"] == pytest.approx(
            (shifted("alpha", j, h) - shifted("alpha", j, -h)) / (2 * h), abs=1e-6)
        assert out["grad_beta"] == pytest.approx(
            (shifted("beta", i, h) - shifted("beta", i, -h)) / (2 * h), abs=1e-6)

    @pytest.mark.parametrize("p", DRAWS["noisy_labels"][:2])
    def test_expression_is_the_derivative(self, p):
        """The reference equals sympy's d/dw of q ln s(ab) + (1 - q) ln s(-ab), w = alpha or beta."""
        q, a, b = sympy.symbols("q alpha beta")
        s = lambda t: 1 / (1 + sympy.exp(-t))  # noqa: E731
        term = q * sympy.log(s(a * b)) + (1 - q) * sympy.log(s(-a * b))
        deriv = sympy.lambdify((q, a, b), sympy.diff(term, a if p["wrt"] == "alpha" else b))
        text = em.noisy_labels(p)["grad_expr"]
        for point in [(0.2, -1.3, 0.4), (0.9, 0.7, 1.8), (0.5, 1.9, 0.3)]:
            assert _expr(text, q=point[0], alpha=point[1], beta=point[2]) == pytest.approx(deriv(*point))

    def test_follows_the_students_posteriors(self):
        """With q = [1, 0] every label's 'correct' probability is 0 or 1 (hand check of one term)."""
        p = DRAWS["noisy_labels"][2]  # labels [[1, 0, 0], [1, 1, 0]], alpha [2, -1, 1], beta [2, 1.5]
        out = em.noisy_labels(p, given={"post": [1, 0]})
        # expert 3: image 1 label 0 with Z=1 (a = 0), image 2 label 0 with Z=0 (a = 1)
        expected = 2 * (0 - _sig(2)) + 1.5 * (1 - _sig(1.5))
        assert out["grad_alpha"] == pytest.approx(expected)


# ---------------------------------------------------------------- G4

class TestElboKl:
    @pytest.mark.parametrize("p", DRAWS["elbo_kl_facts"])
    def test_kl_matches_scipy_entropy(self, p):
        out = em.elbo_kl_facts(p)
        assert out["kl_qr"] == pytest.approx(stats.entropy(p["q"], p["r"]))
        assert out["kl_rq"] == pytest.approx(stats.entropy(p["r"], p["q"]))

    def test_symmetric_pair_is_rejected(self):
        """q = (1/2, 1/4, 1/4), r = (1/4, 1/2, 1/4): both directions are ln(2)/4 by hand."""
        assert stats.entropy([0.5, 0.25, 0.25], [0.25, 0.5, 0.25]) == pytest.approx(math.log(2) / 4)
        with pytest.raises(Reject):
            em.elbo_kl_facts({"q": [0.5, 0.25, 0.25], "r": [0.25, 0.5, 0.25], "loglik": -3.0, "elbo": -4.0})

    def test_gap_is_loglik_minus_elbo(self):
        assert em.elbo_kl_facts(DRAWS["elbo_kl_facts"][1])["gap"] == pytest.approx(1.13)

    def test_identity_is_log_evidence_plus_kl_on_a_random_model(self):
        """On a random discrete model, ln p(X) = L(q) + KL(q || p(Z|X)); seed 003 drops the ln.

        So 'plus' is the reference and 'no-log' (the seed's version) is not."""
        rng = np.random.default_rng(5)
        joint = rng.random(4) * 0.1  # p(X, Z = k) for the observed X, k = 1..4
        q = rng.dirichlet(np.ones(4))
        post = joint / joint.sum()
        elbo = float(np.sum(q * np.log(joint / q)))
        kl = float(np.sum(q * np.log(q / post)))
        assert math.log(joint.sum()) == pytest.approx(elbo + kl)
        assert joint.sum() != pytest.approx(elbo + kl)
        assert elbo <= math.log(joint.sum())
        assert float(np.sum(post * np.log(joint / post))) == pytest.approx(math.log(joint.sum()))  # E-step is tight
        out = em.elbo_kl_facts(DRAWS["elbo_kl_facts"][0])
        assert out["identity"] == "plus"
        assert set(out["facts"]) == {"kl-nonneg", "kl-zero", "elbo-bound", "estep-tight"}


def _gauss_kl(m_q, cov_q, m_p, cov_p):
    """KL(N(m_q, cov_q) || N(m_p, cov_p)), the standard closed form."""
    inv_p = np.linalg.inv(cov_p)
    d = m_p - m_q
    return 0.5 * (np.trace(inv_p @ cov_q) + d @ inv_p @ d - len(d)
                  + math.log(np.linalg.det(cov_p) / np.linalg.det(cov_q)))


class TestMeanField:
    @pytest.mark.parametrize("p", DRAWS["mean_field_gaussian"])
    def test_updates_are_conditional_means_in_covariance_form(self, p):
        """m1 = E[z1 | z2 = b0] = mu1 + S12/S22 (b0 - mu2), written with the covariance S = inv(Lambda)."""
        lam = np.array([[p["l11"], p["l12"]], [p["l12"], p["l22"]]], float)
        S = np.linalg.inv(lam)
        out = em.mean_field_gaussian(p)
        m1 = p["mu1"] + S[0, 1] / S[1, 1] * (p["b0"] - p["mu2"])
        m2 = p["mu2"] + S[0, 1] / S[0, 0] * (m1 - p["mu1"])
        assert out["m1"] == pytest.approx(m1)
        assert out["m2"] == pytest.approx(m2)
        assert out["var_q"] == pytest.approx([S[0, 0] - S[0, 1] ** 2 / S[1, 1], S[1, 1] - S[0, 1] ** 2 / S[0, 0]])
        assert out["var_pq"] == pytest.approx(S[0, 0])
        assert out["compare"] is (bool(out["var_q"][0] < S[0, 0]) == (p["ask"] == "smaller"))

    @pytest.mark.parametrize("p", DRAWS["mean_field_gaussian"])
    def test_sweeps_converge_to_the_stated_fixed_point(self, p):
        lam = np.array([[p["l11"], p["l12"]], [p["l12"], p["l22"]]], float)
        S = np.linalg.inv(lam)
        e1, e2 = float(p["a0"]), float(p["b0"])
        for _ in range(500):
            e1 = p["mu1"] + S[0, 1] / S[1, 1] * (e2 - p["mu2"])
            e2 = p["mu2"] + S[0, 1] / S[0, 0] * (e1 - p["mu1"])
        assert em.mean_field_gaussian(p)["fixed_point"] == pytest.approx([e1, e2], abs=1e-9)

    def test_both_kl_directions_by_numeric_minimisation(self):
        """Minimising KL(q||p) over diagonal Gaussians gives variances 1/L_kk; KL(p||q) gives S_kk."""
        p = DRAWS["mean_field_gaussian"][1]
        lam = np.array([[p["l11"], p["l12"]], [p["l12"], p["l22"]]], float)
        S, mu = np.linalg.inv(lam), np.array([p["mu1"], p["mu2"]], float)

        def objective(theta, forward):
            m, v = theta[:2], np.diag(np.exp(theta[2:]))
            return _gauss_kl(m, v, mu, S) if forward else _gauss_kl(mu, S, m, v)

        out = em.mean_field_gaussian(p)
        qp = optimize.minimize(objective, np.zeros(4), args=(True,), method="BFGS").x
        pq = optimize.minimize(objective, np.zeros(4), args=(False,), method="BFGS").x
        assert qp[:2] == pytest.approx(out["fixed_point"], abs=1e-4)
        assert np.exp(qp[2:]) == pytest.approx(out["var_q"], abs=1e-4)
        assert np.exp(pq[2]) == pytest.approx(out["var_pq"], abs=1e-4)

    def test_m2_follows_the_students_m1(self):
        p = DRAWS["mean_field_gaussian"][0]  # mu (3, 0), L22 = 8, L12 = 2
        assert em.mean_field_gaussian(p, given={"m1": 5})["m2"] == pytest.approx(0 - 2 / 8 * (5 - 3))


# ---------------------------------------------------------------- G5

class TestGaussianKlReparam:
    @pytest.mark.parametrize("p", DRAWS["gaussian_kl_reparam"])
    def test_kl_by_numeric_integration(self, p):
        m, s = p["m"], p["s"]
        integrand = lambda z: stats.norm.pdf(z, m, s) * (stats.norm.logpdf(z, m, s) - stats.norm.logpdf(z))  # noqa: E731
        value, _ = integrate.quad(integrand, m - 12 * s, m + 12 * s)
        out = em.gaussian_kl_reparam(p)
        assert out["kl_value"] == pytest.approx(value, abs=1e-8)
        assert _expr(out["kl_expr"], m=m, s=s) == pytest.approx(value, abs=1e-8)

    @pytest.mark.parametrize("p", DRAWS["gaussian_kl_reparam"])
    def test_kl_gradient_by_finite_differences(self, p):
        text, h = em.gaussian_kl_reparam(p)["kl_expr"], 1e-6
        m, s = p["m"], p["s"]
        fd = [(_expr(text, m=m + h, s=s) - _expr(text, m=m - h, s=s)) / (2 * h),
              (_expr(text, m=m, s=s + h) - _expr(text, m=m, s=s - h)) / (2 * h)]
        assert em.gaussian_kl_reparam(p)["kl_grad"] == pytest.approx(fd, abs=1e-6)

    def test_sample_has_mean_m_not_the_seeds_data_mean(self):
        """z = m + s eps: eps = 0 gives m (seed 001 writes x-bar), and z ~ N(m, s^2) over many eps."""
        p = DRAWS["gaussian_kl_reparam"][2]
        assert em.gaussian_kl_reparam.__wrapped__({**p, "eps": 0.0})["z_sample"] == pytest.approx(p["m"])
        eps = np.random.default_rng(0).standard_normal(20000)
        z = np.array([em.gaussian_kl_reparam.__wrapped__({**p, "eps": float(e), "c": 100})["z_sample"]
                      for e in eps[:2000]])
        assert z.mean() == pytest.approx(p["m"], abs=0.05)
        assert z.std() == pytest.approx(p["s"], abs=0.05)

    @pytest.mark.parametrize("p", DRAWS["gaussian_kl_reparam"])
    def test_sample_gradient_by_finite_differences(self, p):
        h, eps, a = 1e-6, p["eps"], p["c"]
        f = lambda m, s: (m + s * eps - a) ** 2  # noqa: E731
        fd = [(f(p["m"] + h, p["s"]) - f(p["m"] - h, p["s"])) / (2 * h),
              (f(p["m"], p["s"] + h) - f(p["m"], p["s"] - h)) / (2 * h)]
        assert em.gaussian_kl_reparam(p)["f_grad"] == pytest.approx(fd, abs=1e-5)

    def test_sample_gradient_is_unbiased(self):
        """Averaged over eps it tends to the gradient of E(z - a)^2 = (m - a)^2 + s^2, i.e. [2(m - a), 2s].

        With m = -0.2, s = 1.5, a = 0 each entry has standard deviation below 5, so the mean of
        4000 samples is within 0.3 of its limit with overwhelming probability (fixed seed anyway)."""
        p = DRAWS["gaussian_kl_reparam"][0]
        grads = []
        for e in np.random.default_rng(1).standard_normal(4000):
            try:
                grads.append(em.gaussian_kl_reparam.__wrapped__({**p, "eps": float(e)})["f_grad"])
            except Reject:  # z within 0.05 of a: a vanishing gradient, a negligible slice of eps
                continue
        assert np.mean(grads, axis=0) == pytest.approx([2 * (p["m"] - p["c"]), 2 * p["s"]], abs=0.3)

    def test_gradient_follows_the_students_sample(self):
        out = em.gaussian_kl_reparam(DRAWS["gaussian_kl_reparam"][0], given={"z_sample": 2.0})
        assert out["f_grad"] == pytest.approx([4.0, 4.0 * 1.7])


# ---------------------------------------------------------------- G6

class TestKmeans:
    P = DRAWS["kmeans_step"][0]

    def test_worked_example(self):
        """Centres (0,0), (4,2). Squared distances: (0,6) is 36 vs 32, so cluster 2, although its
        Manhattan distances (6 vs 8) point to cluster 1. New centres (1, 1/3) and (3, 4);
        J = (1 + 4/9) + 1/9 + (1 + 1/9) + 13 + 8 + 1 = 74/3; with the old centres J = 43."""
        out = em.kmeans_step(self.P)
        assert out["assign"] == [1, 1, 2, 2, 2, 1]
        np.testing.assert_allclose(out["centres"], [[1, 1 / 3], [3, 4]])
        assert out["objective"] == pytest.approx(74 / 3)
        assert em.kmeans_step(self.P, bug="l1")["assign"] == [1, 1, 1, 2, 2, 1]
        assert em.kmeans_step(self.P, bug="old-centres")["objective"] == pytest.approx(43)
        assert out["limit"] is True
        assert em.kmeans_step({**self.P, "sigma_limit": "infinity"})["limit"] is False

    @pytest.mark.parametrize("p", DRAWS["kmeans_step"])
    def test_assignment_matches_scipy_vq(self, p):
        from scipy.cluster.vq import vq
        codes, _ = vq(np.array(p["X"], float), np.array([p["c1"], p["c2"]], float))
        assert em.kmeans_step(p)["assign"] == (codes + 1).tolist()

    @PROPERTY
    @given(X=st.lists(st.lists(st.integers(0, 8), min_size=2, max_size=2), min_size=6, max_size=6),
           c1=st.lists(st.integers(0, 8), min_size=2, max_size=2),
           c2=st.lists(st.integers(0, 8), min_size=2, max_size=2))
    def test_update_never_raises_the_objective(self, X, c1, c2):
        p = {"X": X, "c1": c1, "c2": c2, "sigma_limit": "zero"}
        try:
            out = em.kmeans_step.__wrapped__(p)
        except Reject:
            assume(False)
        old = em.kmeans_step.__wrapped__(p, bug="old-centres")["objective"]
        assert out["objective"] <= old + 1e-9

    def test_tie_is_rejected(self):
        """(2, 1) is at squared distance 5 from both (0, 0) and (4, 2)."""
        X = [[2, 1], [0, 1], [1, 0], [5, 2], [4, 4], [0, 6]]
        with pytest.raises(Reject):
            em.kmeans_step({"X": X, "c1": [0, 0], "c2": [4, 2]})

    def test_empty_cluster_is_rejected(self):
        with pytest.raises(Reject):
            em.kmeans_step({"X": [[0, 0], [1, 0], [0, 1], [1, 1], [2, 0], [0, 2]], "c1": [1, 1], "c2": [8, 8]})

    def test_follows_the_students_assignment(self):
        out = em.kmeans_step(self.P, given={"assign": [1, 1, 1, 2, 2, 1]})
        np.testing.assert_allclose(out["centres"], [[0.75, 1.75], [4.5, 3.0]])
        with pytest.raises(Reject):
            em.kmeans_step(self.P, given={"assign": [1, 1, 1, 1, 1, 3]})
