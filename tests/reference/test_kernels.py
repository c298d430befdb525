"""Reference solvers for kernels, SVM and duality (family H).

Independent checks: polynomial-kernel coefficients against sympy's expansion and monomial
counts by enumeration; kernel verdicts against Gram matrices (a witness with a negative
eigenvalue or an asymmetry for every "no", positive semidefinite Gram matrices of random
points for every "yes"); Gram matrices through an explicit tensor-power feature map; every
SVM configuration of the bank against the KKT conditions and scipy's solution of the
primal; the Lagrange dual against sympy's minimisation of the Lagrangian and scipy's
constrained minimiser; random Fourier features against cos/sin products and a Monte Carlo
average. Where the seed prints a wrong formula, a test pins the right one.
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction
from functools import reduce
from pathlib import Path

import numpy as np
import pytest
import sympy
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from grader.bank.params import draw_params
from reference import Reject
from reference import kernels
from reference.kernels import (feature_dimension, gram_matrices, kernel_facts, lagrange_dual,
                               monomial_coefficient, random_fourier_features, svm_dual)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
FILES = {
    "kernel-validity": (kernel_facts, None),
    "kernel-gram": (gram_matrices, "GRAM_VISIBLE"),
    "svm-dual-reading": (svm_dual, "SVM_VISIBLE"),
    "lagrange-dual-halfplane": (lagrange_dual, "DUAL_VISIBLE"),
    "random-fourier-features": (random_fourier_features, "RFF_VISIBLE"),
}


# ------------------------------------------------------------------ helpers

def problem(name: str) -> dict:
    return yaml.safe_load((ROOT / "problems" / "kernels" / f"{name}.yaml").read_text("utf-8"))


def draws(name: str, count: int, seed: int = 0):
    """Parameter draws of a bank problem that its solver accepts (as the grader draws them)."""
    doc = problem(name)
    solve = FILES[name][0]
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        p = draw_params(doc["params"], doc.get("constraints", []), rng)
        try:
            solve(p)
        except Reject:
            continue
        out.append(p)
    return out


def as_array(value) -> np.ndarray:
    return np.asarray(value, dtype=float)


def lang_value(expr: str, **env) -> float:
    """Evaluate an answer-language formula (through the grader's engine)."""
    from grader.lang import evaluate, parse
    out = evaluate(parse(expr, names={k: () for k in env}), env)
    return float(np.real(complex(out)))


def min_eig(G: np.ndarray) -> float:
    return float(np.linalg.eigvalsh((G + G.T) / 2).min())


# ------------------------------------------------------------------ bank-wide

def _bug_cases():
    for name in FILES:
        for part in problem(name)["parts"]:
            for m in part.get("misconceptions", []):
                yield name, part["id"], m["bug"]


@pytest.mark.parametrize("name,part,bug", list(_bug_cases()))
def test_every_bug_changes_its_part(name, part, bug):
    """Each listed misconception gives a different answer on most draws."""
    solve = FILES[name][0]
    ps = draws(name, 12, seed=1)
    changed = sum(solve(p, bug=bug)[part] != solve(p)[part] for p in ps)
    assert changed >= 8, f"{bug} changed {part} on {changed} of {len(ps)} draws"


@pytest.mark.parametrize("name", [n for n, (_, table) in FILES.items() if table])
def test_visible_tables_match_yaml_tolerances(name):
    """The require_distinct tables use the tolerances and bugs the YAML declares."""
    table = getattr(kernels, FILES[name][1])
    parts = {p["id"]: p for p in problem(name)["parts"]}
    for part_id, (bugs, abs_tol, rel_tol) in table.items():
        tol = parts[part_id].get("tolerance", {})
        assert (tol.get("abs", 0), tol.get("rel", 0)) == (abs_tol, rel_tol), part_id
        assert set(bugs) == {m["bug"] for m in parts[part_id]["misconceptions"]}, part_id


# ------------------------------------------------------------------ H1

class TestMonomials:
    @SETTINGS
    @given(d=st.integers(3, 4), m=st.integers(2, 5), R=st.integers(1, 3),
           pw=st.lists(st.integers(0, 3), min_size=3, max_size=3))
    def test_coefficient_matches_sympy_expansion(self, d, m, R, pw):
        """The coefficient of prod (x_i z_i)^a_i equals sympy's expanded polynomial."""
        assume(sum(pw) <= m)
        x = sympy.symbols(f"x1:{d + 1}")
        z = sympy.symbols(f"z1:{d + 1}")
        poly = sympy.Poly(sympy.expand((sum(a * b for a, b in zip(x, z)) + R) ** m), *x, *z)
        mono = sympy.prod([(x[i] * z[i]) ** pw[i] for i in range(3)])
        assert monomial_coefficient(pw, m, R) == poly.coeff_monomial(mono)

    def test_seed_weight_formula_misses_the_multinomial_factor(self):
        """Seed: weight^2 of a degree-i monomial is C(m,i) R^(m-i). For x1 x2 z1 z2 in
        (<x,z> + 2)^3 that gives 6, but 3 * 2 * (x1z1 + x2z2)^2 holds 2 x1z1 x2z2: 12."""
        assert monomial_coefficient([1, 1, 0], 3, 2) == 12
        assert monomial_coefficient([1, 1, 0], 3, 2, bug="no-multinomial") == 6

    @pytest.mark.parametrize("d,m", [(d, m) for d in range(1, 7) for m in range(1, 6)])
    def test_dimension_counts_monomials(self, d, m):
        """C(d+m, m) = number of exponent tuples of length d with sum <= m."""
        count = sum(1 for e in itertools.product(range(m + 1), repeat=d) if sum(e) <= m)
        assert feature_dimension(d, m) == count

    def test_dimension_by_hand(self):
        """d = 2, m = 2: 1, x1, x2, x1^2, x1x2, x2^2."""
        assert feature_dimension(2, 2) == 6
        assert feature_dimension(2, 2, bug="no-constant") == 5
        assert feature_dimension(2, 2, bug="top-degree-only") == 3
        assert feature_dimension(2, 2, bug="ordered-products") == 7


def _candidates(p):
    """The five functions of the sheet, written out in numpy."""
    def dot(x, z):
        return float(np.dot(x, z))

    def g(x):
        return float(np.dot(x, x)) + p["g_c"]

    forms = {"product": lambda x, z: g(x) * g(z), "sum": lambda x, z: g(x) + g(z),
             "difference": lambda x, z: g(x) - g(z), "max": lambda x, z: max(g(x), g(z)),
             "ratio": lambda x, z: g(x) / g(z)}
    A = np.array([[p["a11"], p["a12"]], [p["a12"], p["a22"]]], dtype=float)
    return {
        "K1": lambda x, z: p["q2"] * dot(x, z) ** 2 + p["q1"] * dot(x, z) + p["q0"],
        "K2": lambda x, z: math.exp(p["e_sign"] * dot(x, z) / p["e_t"]),
        "K3": forms[p["g_form"]],
        "K4": lambda x, z: float(x @ A @ z),
        "K5": lambda x, z: p["c_lin"] * dot(x, z) + p["c_rbf"] * math.exp(-dot(x - z, x - z) / 2),
    }


def _gram(K, pts):
    return np.array([[K(a, b) for b in pts] for a in pts])


def _witness_sets():
    e1, e2 = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    sets = [[np.zeros(2)], [np.array([3.0, 0.0])], [e1, e2], [np.zeros(2), e1], [e1, 2 * e2]]
    sets += [[s * e1, -s * e1] for s in (0.2, 0.5, 1.0, 2.0)]
    rng = np.random.default_rng(0)
    sets += [list(rng.normal(size=(4, 2))) for _ in range(5)]
    return sets


kernel_params = st.fixed_dictionaries({
    "q2": st.integers(1, 3), "q1": st.sampled_from([-3, -2, -1, 1, 2]),
    "q0": st.sampled_from([-3, -2, -1, 1, 2]), "e_sign": st.sampled_from([-1, 1]),
    "e_t": st.integers(2, 5), "g_form": st.sampled_from(["product", "sum", "difference", "max", "ratio"]),
    "g_c": st.integers(1, 3), "a11": st.integers(1, 4), "a22": st.integers(1, 4),
    "a12": st.sampled_from([-3, -2, -1, 1, 2, 3]), "c_lin": st.sampled_from([-3, -2, -1, 1, 2]),
    "c_rbf": st.sampled_from([-3, -2, -1, 1, 2]),
    "d": st.just(3), "m": st.just(3), "R": st.just(2), "pw": st.just([1, 1, 0]),
})


class TestKernelVerdicts:
    @SETTINGS
    @given(p=kernel_params)
    def test_every_no_has_a_witness(self, p):
        """A function called "not a kernel" is asymmetric or has a Gram matrix with a
        negative eigenvalue on one of a few point sets."""
        yes = set(kernel_facts(p)["kernels"])
        for name, K in _candidates(p).items():
            if name in yes:
                continue
            worst = min(min_eig(_gram(K, pts)) for pts in _witness_sets())
            asym = max(np.abs(_gram(K, pts) - _gram(K, pts).T).max() for pts in _witness_sets())
            assert worst < -1e-9 or asym > 1e-9, name

    @SETTINGS
    @given(p=kernel_params)
    def test_every_yes_gives_psd_gram_matrices(self, p):
        """A function called a kernel gives symmetric PSD Gram matrices on random points."""
        yes = set(kernel_facts(p)["kernels"])
        rng = np.random.default_rng(1)
        for name, K in _candidates(p).items():
            if name not in yes:
                continue
            for _ in range(5):
                G = _gram(K, list(rng.normal(size=(6, 2))))
                assert np.allclose(G, G.T)
                assert min_eig(G) >= -1e-9 * max(1.0, np.abs(G).max()), name

    def test_by_hand(self):
        """2t^2 - t + 1 no; exp(<x,z>/3) yes; g(x) + g(z) no; A = [[2,-1],[-1,2]] yes;
        <x,z> + 2 Gaussian yes."""
        p = {"q2": 2, "q1": -1, "q0": 1, "e_sign": 1, "e_t": 3, "g_form": "sum", "g_c": 1,
             "a11": 2, "a22": 2, "a12": -1, "c_lin": 1, "c_rbf": 2, "d": 3, "m": 3, "R": 2,
             "pw": [1, 1, 0]}
        assert kernel_facts(p)["kernels"] == ["K2", "K4", "K5"]
        assert kernel_facts(p, bug="needs-minus")["kernels"] == ["K4", "K5"]
        assert kernel_facts(p, bug="entrywise-positive")["kernels"] == ["K2", "K5"]

    def test_bank_constraints_set_the_k4_trap(self):
        """On every draw K4 is positive definite exactly when its off-diagonal is negative."""
        for p in draws("kernel-validity", 60):
            pd = p["a11"] * p["a22"] > p["a12"] ** 2
            assert pd == (p["a12"] < 0)


# ------------------------------------------------------------------ H2

def _tensor_features(x, R, m):
    """(<x,z> + R)^m = <psi(x)^(x)m, psi(z)^(x)m> with psi(x) = (x, sqrt(R))."""
    psi = np.append(np.asarray(x, dtype=float), math.sqrt(R))
    return reduce(np.kron, [psi] * m)


class TestGram:
    def test_by_hand(self):
        """x = (1,0), (0,1), (1,1); R = 1, m = 2, sigma = 2."""
        p = {"X": [[1, 0], [0, 1], [1, 1]], "R": 1, "m": 2, "sigma": 2}
        out = gram_matrices(p)
        assert out["G_lin"] == [[1, 0, 1], [0, 1, 1], [1, 1, 2]]
        assert out["G_poly"] == [[4, 1, 4], [1, 4, 4], [4, 4, 9]]
        q, e = math.exp(-2 / 8), math.exp(-1 / 8)
        np.testing.assert_allclose(out["G_rbf"], [[1, q, e], [q, 1, e], [e, e, 1]])
        assert out["dist2"] == pytest.approx(2 - 2 * q)

    @SETTINGS
    @given(X=st.lists(st.lists(st.integers(-2, 2), min_size=2, max_size=2), min_size=3, max_size=3),
           R=st.integers(1, 2), m=st.integers(2, 3), sigma=st.sampled_from([1.5, 2, 2.5, 3]))
    def test_against_feature_maps(self, X, R, m, sigma):
        """Polynomial Gram = Phi Phi^T with the tensor-power features; Gaussian Gram =
        exp(<x,z>/s^2) exp(-|x|^2/(2s^2)) exp(-|z|^2/(2s^2)), a symmetric PSD matrix."""
        try:
            out = gram_matrices({"X": X, "R": R, "m": m, "sigma": sigma})
        except Reject:  # a draw where a misconception would be invisible
            return
        Phi = np.array([_tensor_features(x, R, m) for x in X])
        np.testing.assert_allclose(out["G_poly"], Phi @ Phi.T, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(out["G_lin"], np.array(X) @ np.array(X).T)
        Xf = np.array(X, dtype=float)
        s2 = float(sigma) ** 2
        norms = np.exp(-(Xf ** 2).sum(axis=1) / (2 * s2))
        expected = np.exp(Xf @ Xf.T / s2) * np.outer(norms, norms)
        np.testing.assert_allclose(out["G_rbf"], expected, rtol=1e-9)
        assert min_eig(np.array(out["G_rbf"])) >= -1e-12

    def test_seed_factorisation_without_the_2_is_wrong(self):
        """The seed divides |x|^2 and |z|^2 by sigma^2 instead of 2 sigma^2; for x = (1, 0),
        z = (0, 0) the kernel is exp(-1/(2 sigma^2)), not the seed's exp(-1/sigma^2)."""
        G = gram_matrices({"X": [[1, 0], [0, 0], [0, 1]], "R": 1, "m": 2, "sigma": 1.5})["G_rbf"]
        assert G[0][1] == pytest.approx(math.exp(-1 / (2 * 1.5 ** 2)))
        assert G[0][1] != pytest.approx(math.exp(-1 / 1.5 ** 2))

    def test_dist2_follows_the_students_gram(self):
        p = {"X": [[1, 0], [0, 1], [1, 1]], "R": 1, "m": 2, "sigma": 2}
        G = [[1, 0.5, 0.2], [0.5, 1, 0.2], [0.2, 0.2, 1]]
        assert gram_matrices(p, given={"G_rbf": G})["dist2"] == pytest.approx(1.0)


# ------------------------------------------------------------------ H3

def _kkt_report(X, y, lam, C):
    """w, b and slacks from the KKT conditions, asserting that they hold exactly."""
    X = [[Fraction(str(v)) for v in row] for row in X]
    lam = [Fraction(str(v)) for v in lam]
    C = Fraction(C)
    assert all(0 <= v <= C for v in lam)
    assert sum(l * t for l, t in zip(lam, y)) == 0
    w = [sum(l * t * x[k] for l, t, x in zip(lam, y, X)) for k in range(2)]
    on_margin = [i for i, v in enumerate(lam) if 0 < v < C]
    b = y[on_margin[0]] - (w[0] * X[on_margin[0]][0] + w[1] * X[on_margin[0]][1])
    margins = [t * (w[0] * x[0] + w[1] * x[1] + b) for t, x in zip(y, X)]
    for v, mg in zip(lam, margins):
        if v == 0:
            assert mg > 1          # strictly outside: the type is unambiguous
        elif v == C:
            assert mg < 1          # a real violator, xi > 0
        else:
            assert mg == 1
    return w, b, [max(Fraction(0), 1 - mg) for mg in margins]


def _primal_by_scipy(X, y, C):
    X, y = np.array(X, float), np.array(y, float)
    n = len(y)

    def objective(v):
        return 0.5 * v[0] ** 2 + 0.5 * v[1] ** 2 + C * v[3:].sum()

    cons = [{"type": "ineq", "fun": lambda v: y * (X @ v[:2] + v[2]) - 1 + v[3:]},
            {"type": "ineq", "fun": lambda v: v[3:]}]
    start = np.concatenate([np.zeros(3), np.ones(n)])  # w = 0, b = 0, xi = 1 is feasible
    res = minimize(objective, start, constraints=cons, method="SLSQP",
                   options={"ftol": 1e-12, "maxiter": 500})
    assert res.success
    return res.x


CONFIGS = problem("svm-dual-reading")["params"]["cfg"]["options"]


class TestSvm:
    @pytest.mark.parametrize("cfg", CONFIGS, ids=[f"cfg{i}" for i in range(len(CONFIGS))])
    def test_every_configuration_is_an_exact_dual_solution(self, cfg):
        """KKT holds exactly, the primal optimum found by scipy agrees, C > 1 and some
        margin multiplier is at least 1 (so the seed's 0 < lambda < 1 slip shows)."""
        w, b, xi = _kkt_report(cfg["X"], cfg["y"], cfg["lam"], cfg["C"])
        assert cfg["C"] > 1 and any(1 <= v < cfg["C"] for v in cfg["lam"])
        v = _primal_by_scipy(cfg["X"], cfg["y"], cfg["C"])
        np.testing.assert_allclose(v[:2], [float(t) for t in w], atol=1e-5)
        assert v[2] == pytest.approx(float(b), abs=1e-5)
        np.testing.assert_allclose(v[3:], [float(t) for t in xi], atol=1e-5)

    def test_drawn_variants_stay_optimal(self):
        """The grid symmetries, label flips and shifts of the bank keep KKT; the solver's
        w, b and slacks are the KKT ones."""
        for p in draws("svm-dual-reading", 40):
            w, b, xi = _kkt_report(p["X"], p["y"], p["lam"], p["C"])
            out = svm_dual(p)
            assert out["w"] == w and out["b"] == b and out["xi"] == xi

    def test_by_hand(self):
        """w = .75(-1,2) + 1.75(1,2) - .5(2,0) - 2(0,2) = (0,1); b = 1 - 2 = -1;
        object 5 = (0,2) of class -1 has y f = -1, so xi = 2."""
        p = {"X": [[3, 3], [-1, 2], [1, 2], [2, 0], [0, 2], [-2, -1]],
             "y": [1, 1, 1, -1, -1, -1], "lam": [0, 0.75, 1.75, 0.5, 2, 0], "C": 2}
        out = svm_dual(p)
        assert out["margin"] == [2, 3, 4] and out["violators"] == [5]
        assert out["w"] == [0, 1] and out["b"] == -1 and out["xi"] == [0, 0, 0, 0, 2, 0]
        # The seed's 0 < lambda < 1 would drop object 3 (lambda = 1.75 < C = 2) from the margin.
        assert svm_dual(p, bug="C-is-one")["margin"] == [2, 4]
        assert svm_dual(p, bug="from-violator")["b"] == -1 - 2  # y5 - <w, x5> = -1 - 2
        assert svm_dual(p, bug="no-clip")["xi"] == [-1, 0, 0, 0, 2, -1]

    def test_follow_through_from_the_students_w(self):
        """b is the mean of y_i - <w, x_i> over margin SVs; slacks use the student's w, b."""
        p = {"X": [[3, 3], [-1, 2], [1, 2], [2, 0], [0, 2], [-2, -1]],
             "y": [1, 1, 1, -1, -1, -1], "lam": [0, 0.75, 1.75, 0.5, 2, 0], "C": 2}
        # w = (1, 0): 1 - (-1), 1 - 1, -1 - 2 -> mean (2 + 0 - 3) / 3 = -1/3
        assert svm_dual(p, given={"w": np.array([1.0, 0.0])})["b"] == Fraction(-1, 3)
        xi = svm_dual(p, given={"w": np.array([0.0, 1.0]), "b": -2.0})["xi"]
        assert xi == [0, 1, 1, 0, 1, 0]  # f = x2 - 2


# ------------------------------------------------------------------ H4

def _dual_params(u, a, s, candA=(0.5, 1), candB=(0, 0)):
    """The bank's parameters with candidate kinds [alpha, beta]: x = u + alpha l* a, l = beta l*."""
    c = a[0] * u[0] + a[1] * u[1] + s
    lstar = 2 * s / (a[0] ** 2 + a[1] ** 2)

    def point(alpha):
        return [round(u[k] + alpha * lstar * a[k], 6) for k in range(2)]

    return {"u": list(u), "a": list(a), "s": s, "c": c, "lstar": lstar,
            "xA": point(candA[0]), "lA": round(candA[1] * lstar, 6),
            "xB": point(candB[0]), "lB": round(candB[1] * lstar, 6)}


small = st.integers(-2, 2)


class TestLagrangeDual:
    def test_by_hand(self):
        """u = (1, 0), a = (1, 1), c = 3: L = (x-1)^2 + y^2 + l(3 - x - y) is minimal at
        x = 1 + l/2, y = l/2, g = 2l - l^2/2, l* = 2, (x*, y*) = (2, 1), value 2."""
        out = lagrange_dual(_dual_params((1, 0), (1, 1), 2))
        assert out["lam"] == 2 and out["value"] == 2 and out["z"] == [2, 1]
        assert lang_value(out["g"], **{"lambda": 1.0}) == pytest.approx(1.5)
        assert out["kkt"] == ["A_stat", "A_primal", "A_dual", "A_slack",
                              "B_stat", "B_dual", "B_slack"]

    @SETTINGS
    @given(u=st.tuples(small, small), a=st.tuples(small, small), s=st.integers(1, 4))
    def test_against_sympy_and_scipy(self, u, a, s):
        """g from sympy's minimisation of L; lambda* and the value from sympy's maximisation;
        the primal solution from scipy's SLSQP."""
        if a == (0, 0):
            return
        p = _dual_params(u, a, s)
        try:
            out = lagrange_dual(p)
        except Reject:  # u on the line through 0 along a: forget-centre would be right
            return
        x, y, lam = sympy.symbols("x y lam", real=True)
        L = (x - u[0]) ** 2 + (y - u[1]) ** 2 + lam * (p["c"] - a[0] * x - a[1] * y)
        crit = sympy.solve([sympy.diff(L, x), sympy.diff(L, y)], [x, y], dict=True)[0]
        g = sympy.expand(L.subs(crit))
        for t in (0.0, 0.7, 2.5):
            assert lang_value(out["g"], **{"lambda": t}) == pytest.approx(float(g.subs(lam, t)))
        lam_star = sympy.solve(sympy.diff(g, lam), lam)[0]
        assert out["lam"] == Fraction(str(lam_star)) and lam_star > 0
        assert out["value"] == Fraction(str(g.subs(lam, lam_star)))
        res = minimize(lambda v: (v[0] - u[0]) ** 2 + (v[1] - u[1]) ** 2, np.zeros(2),
                       constraints=[{"type": "ineq", "fun": lambda v: a[0] * v[0] + a[1] * v[1] - p["c"]}],
                       method="SLSQP", options={"ftol": 1e-12})
        np.testing.assert_allclose([float(v) for v in out["z"]], res.x, atol=1e-5)
        assert res.fun == pytest.approx(float(out["value"]), abs=1e-6)

    @SETTINGS
    @given(u=st.tuples(small, small), a=st.tuples(small, small), s=st.integers(1, 4),
           kinds=st.permutations(problem("lagrange-dual-halfplane")["params"]["candA"]["options"]))
    def test_kkt_against_finite_differences(self, u, a, s, kinds):
        """Stationarity by central differences of L, the other conditions in floats."""
        if a == (0, 0):
            return
        p = _dual_params(u, a, s, kinds[0], kinds[1])
        expected = []
        for name in ("A", "B"):
            xh, lh = np.array(p["x" + name]), p["l" + name]

            def L(v):
                return (v[0] - u[0]) ** 2 + (v[1] - u[1]) ** 2 + lh * (p["c"] - a[0] * v[0] - a[1] * v[1])

            h = 1e-5
            grad = [(L(xh + h * e) - L(xh - h * e)) / (2 * h) for e in np.eye(2)]
            f1 = p["c"] - a[0] * xh[0] - a[1] * xh[1]
            holds = {"stat": max(map(abs, grad)) < 1e-6, "primal": f1 <= 1e-9,
                     "dual": lh >= 0, "slack": abs(lh * f1) < 1e-9}
            expected += [f"{name}_{k}" for k in ("stat", "primal", "dual", "slack") if holds[k]]
        try:
            assert lagrange_dual(p)["kkt"] == expected
        except Reject:
            return

    def test_candidate_kinds_give_seven_different_verdicts(self):
        kinds = problem("lagrange-dual-halfplane")["params"]["candA"]["options"]
        seen = {tuple(lagrange_dual(_dual_params((1, -1), (2, 1), 3, k, kinds[0]))["kkt"])
                for k in kinds}
        assert len(seen) == len(kinds) == 7

    def test_follow_through_from_the_students_lambda(self):
        """z = u + lambda a / 2 with the student's lambda."""
        out = lagrange_dual(_dual_params((1, 0), (1, 1), 2), given={"lam": 1.0})
        assert out["z"] == [Fraction(3, 2), Fraction(1, 2)]


# ------------------------------------------------------------------ H5

RFF_HAND = {"sigma": 2.0, "x": [1, 0], "z": [0, 1],
            "W": [[0.5, 0.0], [0.0, -1.0], [1.0, 1.0]], "b": [0.5, 1.5, 3.0]}


class TestRandomFourierFeatures:
    def test_by_hand(self):
        """Wx = (.5, 0, 1), Wz = (0, -1, 1): phi(x) = sqrt(2/3)(cos 1, cos 1.5, cos 4),
        phi(z) = sqrt(2/3)(cos .5, cos .5, cos 4); W(x - z) = (.5, 1, 0), so
        pairs = (cos .5 + cos 1 + 1) / 3; K = exp(-2/8)."""
        out = random_fourier_features(RFF_HAND)
        k = math.sqrt(2 / 3)
        px = [k * math.cos(1.0), k * math.cos(1.5), k * math.cos(4.0)]
        pz = [k * math.cos(0.5), k * math.cos(0.5), k * math.cos(4.0)]
        np.testing.assert_allclose(out["phi_x"], px)
        np.testing.assert_allclose(out["phi_z"], pz)
        assert out["approx"] == pytest.approx(sum(a * b for a, b in zip(px, pz)))
        assert out["pairs"] == pytest.approx((math.cos(0.5) + math.cos(1.0) + 1.0) / 3)
        assert out["exact"] == pytest.approx(math.exp(-0.25))
        assert out["var"] == pytest.approx(0.25)

    @SETTINGS
    @given(data=st.data())
    def test_pairs_is_the_inner_product_of_cos_sin_features(self, data):
        """<psi(x), psi(z)> with psi = (cos, sin) / sqrt(D), built as vectors."""
        p = data.draw(st.sampled_from(draws("random-fourier-features", 30)))
        W, x, z = np.array(p["W"]), np.array(p["x"], float), np.array(p["z"], float)
        def psi(v):
            return np.concatenate([np.cos(W @ v), np.sin(W @ v)]) / math.sqrt(len(W))

        assert random_fourier_features(p)["pairs"] == pytest.approx(float(psi(x) @ psi(z)))

    @pytest.mark.parametrize("sigma", [0.8, 1.7, 2.5])
    def test_monte_carlo_confirms_variance_and_scaling(self, sigma):
        """With w ~ N(0, var I) for the solver's var, b ~ U[0, 2pi], both estimators average
        to K. The seed's N(0, I) misses K for sigma != 1, and its 1/n feature scale makes the
        pair estimate D times too small."""
        p = {"sigma": sigma, "x": [1, 0], "z": [0, 1], "W": [[0.1, 0.2]] * 3, "b": [1.0] * 3}
        out = random_fourier_features(p)
        rng = np.random.default_rng(2)
        n = 400_000
        x, z = np.array([1.0, 0.0]), np.array([0.0, 1.0])
        w = rng.normal(scale=math.sqrt(out["var"]), size=(n, 2))
        b = rng.uniform(0, 2 * math.pi, size=n)
        offset_form = np.mean(2 * np.cos(w @ x + b) * np.cos(w @ z + b))
        pair_form = np.mean(np.cos(w @ (x - z)))
        assert offset_form == pytest.approx(out["exact"], abs=0.01)
        assert pair_form == pytest.approx(out["exact"], abs=0.01)
        w_seed = rng.normal(size=(n, 2))
        assert abs(np.mean(np.cos(w_seed @ (x - z))) - out["exact"]) > 0.05
        seed_pairs = random_fourier_features(p, bug="one-over-D")["pairs"]
        assert seed_pairs == pytest.approx(out["pairs"] / 3)

    def test_follow_through_from_the_students_features(self):
        out = random_fourier_features(RFF_HAND, given={"phi_x": np.array([1.0, 0.0, 0.5]),
                                                       "phi_z": np.array([0.2, 0.3, 0.4])})
        assert out["approx"] == pytest.approx(0.4)
