"""Reference solvers for matrix calculus (family F).

Every formula the solvers return is checked against central finite differences of
the function written out in numpy; numeric answers against hand calculations,
numpy/scipy (np.cov, lstsq, optimizers) or finite differences. Where a seed prints a
wrong result (004 §8 ex. 1(d) and ex. 6), a test pins the right one.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.stats import multivariate_normal

from reference import Reject
from reference.matrix_calculus import (gaussian_mle, logistic_l2, matrix_differentials,
                                       nearest_symmetric, ridge_matrix, vector_gradients)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


# ------------------------------------------------------------------ helpers

def value(expr: str, env: dict) -> np.ndarray:
    """Evaluate an answer-language formula at numpy values (through the grader's engine)."""
    from grader.lang import evaluate, parse
    names = {k: (() if np.ndim(v) == 0 else np.shape(v)) for k, v in env.items()}
    out = evaluate(parse(expr, names=names), env)
    return np.real(np.asarray(out, dtype=complex))


def num_grad(f, X, h=1e-6):
    """Central differences of a scalar function, entry by entry (same shape as X)."""
    G = np.zeros_like(X, dtype=float)
    for idx in np.ndindex(X.shape):
        E = np.zeros_like(X, dtype=float)
        E[idx] = h
        G[idx] = (f(X + E) - f(X - E)) / (2 * h)
    return G


def num_jac(f, x, h=1e-6):
    """Jacobian of a column-valued function of a column: J[i, j] = d f_i / d x_j."""
    cols = []
    for j in range(x.shape[0]):
        e = np.zeros_like(x, dtype=float)
        e[j] = h
        cols.append(((f(x + e) - f(x - e)) / (2 * h)).ravel())
    return np.array(cols).T


def rng_for(seed):
    return np.random.default_rng(seed)


def general(rng, r, c=None):
    return rng.normal(size=(r, c or r))


def symmetric(rng, n):
    B = rng.normal(size=(n, n))
    return (B + B.T) / 2


def spd(rng, n):
    B = rng.normal(size=(n, n))
    return B @ B.T + n * np.eye(n)


def col(rng, n):
    return rng.normal(size=(n, 1))


def as_float(v):
    return np.array(v, dtype=float)


def misconceptions(problem_file):
    """(part id, bug) pairs listed in a problem file."""
    doc = yaml.safe_load((ROOT / "problems" / "matrix-calculus" / problem_file).read_text())
    return [(part["id"], m["bug"]) for part in doc["parts"] for m in part.get("misconceptions", [])]


def differs(ref, wrong, env_for):
    """Two answers of one part differ (formulas: at a random point of their symbols)."""
    if isinstance(ref, str):
        env = env_for()
        return not np.allclose(value(ref, env), value(wrong, env), rtol=1e-6, atol=1e-9)
    return not np.allclose(as_float(ref), as_float(wrong), rtol=1e-9, atol=1e-12)


# ======================================================== F1 vector gradients

F1_GENERAL = dict(lin_form="aBx", sym=False, M="A", fX="aXAXa",
                  Mv=[[1, 2, 0], [-1, 2, 1], [0, 1, 2]], x0=[1, -1, 2], c=2)
F1_SYMMETRIC = dict(lin_form="xBa", sym=True, M="S", fX="aXtAXa",
                    Mv=[[2, 1, 0], [1, 1, -1], [0, -1, 3]], x0=[1, 0, -1], c=-3)


def f1(**changes):
    return {**F1_GENERAL, **changes}


def f1_env(seed=0):
    rng = rng_for(seed)
    return {"a": col(rng, 3), "B": general(rng, 3), "x": col(rng, 3), "A": general(rng, 3),
            "S": symmetric(rng, 3), "X": general(rng, 3)}


class TestVectorGradients:
    """F1: gradients by a vector, by a matrix, and a Jacobian."""

    @pytest.mark.parametrize("scale", [1, "0.5"])
    def test_numbers_at_the_point_are_exact_by_hand(self, scale):
        """M = diag(2, 1, 1), x0 = (1, 1, 0): M x0 = (2, 1, 0), q = 3; grad of ln(x^T M x) at x0 is
        2 M x0 / q = (4/3, 2/3, 0) and the Jacobian of x (x^T x) is 2 I + 2 x0 x0^T. Integer data stay
        exact ints and Fractions (never floats); decimal data (M halved, as the text "0.5" x) give
        the same exact numbers worked in Fractions (2 M x0 / q does not change when M is scaled)."""
        k = Fraction(scale)
        Mv = [[2 * k, 0, 0], [0, k, 0], [0, 0, k]]
        if k != 1:
            Mv = [[float(v) for v in row] for row in Mv]
        got = vector_gradients(dict(F1_SYMMETRIC, Mv=Mv, x0=[1, 1, 0]))
        assert got["grad_log_at"] == [Fraction(4, 3), Fraction(2, 3), 0]
        assert [type(v) for v in got["grad_log_at"]] == [Fraction, Fraction, int]
        assert got["jac_at"] == [[4, 2, 0], [2, 4, 0], [0, 0, 2]]
        assert all(type(v) is int for row in got["jac_at"] for v in row)

    @pytest.mark.parametrize("form", ["aBx", "xBa"])
    def test_linear_gradient_matches_differences(self, form):
        """The gradient of a^T B x (or x^T B a) is B^T a (or B a)."""
        env = f1_env(1)
        a, B = env["a"], env["B"]
        f = (lambda x: (a.T @ B @ x).item()) if form == "aBx" else (lambda x: (x.T @ B @ a).item())
        got = value(vector_gradients(f1(lin_form=form))["grad_lin"], env)
        assert np.allclose(got, 2 * num_grad(f, env["x"]), atol=1e-5)   # c = 2 in F1_GENERAL

    @pytest.mark.parametrize("params", [F1_GENERAL, F1_SYMMETRIC])
    def test_quadratic_form_gradient_hessian_and_log(self, params):
        """x^T M x: gradient, Hessian, and the gradient of its logarithm."""
        env = f1_env(2)
        M = env[params["M"]]
        x = env["x"]
        if (x.T @ M @ x).item() < 0:  # the logarithm needs a positive form
            M = -M
            env[params["M"]] = M
        ans, c = vector_gradients(params), params["c"]
        quad = lambda v: (v.T @ M @ v).item()  # noqa: E731
        assert np.allclose(value(ans["grad_quad"], env), c * num_grad(quad, x), atol=1e-5)
        hess = num_jac(lambda v: num_grad(quad, v, 1e-4), x, 1e-4)
        assert np.allclose(value(ans["hess_quad"], env), c * hess, atol=1e-3)
        assert np.allclose(value(ans["grad_log"], env), c * num_grad(lambda v: math.log(quad(v)), x),
                           atol=1e-5)

    @pytest.mark.parametrize("fX", ["aXAXa", "aXtAXa"])
    def test_gradient_by_matrix_matches_differences(self, fX):
        """a^T X A X a and a^T X^T A X a, differentiated entry by entry."""
        env = f1_env(3)
        a, A = env["a"], env["A"]
        if fX == "aXAXa":
            f = lambda X: (a.T @ X @ A @ X @ a).item()  # noqa: E731
        else:
            f = lambda X: (a.T @ X.T @ A @ X @ a).item()  # noqa: E731
        got = value(vector_gradients(f1(fX=fX))["grad_X"], env)
        assert np.allclose(got, 2 * num_grad(f, env["X"]), atol=1e-4)

    def test_seed_gradient_of_aXAXa_is_wrong(self):
        """Regression (seed 004 §8 ex. 1(d)): the second term is A^T X^T a a^T, not A^T X a a^T."""
        env = f1_env(4)
        a, A, X = env["a"], env["A"], env["X"]
        truth = num_grad(lambda Y: (a.T @ Y @ A @ Y @ a).item(), X)
        seed_printed = a @ a.T @ X.T @ A.T + A.T @ X @ a @ a.T
        assert not np.allclose(seed_printed, truth, atol=1e-3)
        assert np.allclose(value(vector_gradients(F1_GENERAL)["grad_X"], env), 2 * truth, atol=1e-4)

    def test_jacobian_matches_differences(self):
        """J of x (x^T x) is (x^T x) I + 2 x x^T."""
        env = f1_env(5)
        got = value(vector_gradients(F1_GENERAL)["jac"], env)
        assert np.allclose(got, 2 * num_jac(lambda v: v * (v.T @ v).item(), env["x"]), atol=1e-5)

    def test_numeric_instance_by_hand(self):
        """M x0 = (-1, -1, 3), M^T x0 = (2, 2, 3), x0^T M x0 = 6: gradient (1/6, 1/6, 1)."""
        ans = vector_gradients(F1_GENERAL)
        assert ans["grad_log_at"] == [Fraction(1, 6), Fraction(1, 6), 1]
        # |x0|^2 = 6 on the diagonal plus 2 x0 x0^T
        assert ans["jac_at"] == [[8, -2, 4], [-2, 8, -4], [4, -4, 14]]

    @SETTINGS
    @given(d=st.lists(st.integers(-2, 3), min_size=3, max_size=3),
           u=st.lists(st.integers(-2, 2), min_size=3, max_size=3),
           low=st.lists(st.integers(-2, 2), min_size=3, max_size=3),
           x0=st.lists(st.integers(-2, 2), min_size=3, max_size=3),
           sym=st.booleans())
    def test_numeric_parts_match_differences(self, d, u, low, x0, sym):
        """At any accepted draw the numeric answers equal finite differences."""
        lo = u if sym else low
        Mv = [[d[0], u[0], u[1]], [lo[0], d[1], u[2]], [lo[1], lo[2], d[2]]]
        p = f1(sym=sym, M="S" if sym else "A", Mv=Mv, x0=x0)
        try:
            ans = vector_gradients(p)
        except Reject:
            assume(False)
        M, x = as_float(Mv), as_float(x0).reshape(3, 1)
        grad = num_grad(lambda v: math.log((v.T @ M @ v).item()), x)
        assert np.allclose(as_float(ans["grad_log_at"]), grad.ravel(), atol=1e-6)
        jac = num_jac(lambda v: v * (v.T @ v).item(), x)
        assert np.allclose(as_float(ans["jac_at"]), jac, atol=1e-5)

    def test_symmetric_matrix_required_for_symmetric_kind(self):
        """A draw whose matrix does not match the declared kind is rejected."""
        with pytest.raises(Reject):
            vector_gradients(f1(sym=True, M="S"))

    @pytest.mark.parametrize("part,bug", misconceptions("matrix-gradients.yaml"))
    def test_every_bug_changes_its_part(self, part, bug):
        """Each listed misconception gives a different answer on a general draw."""
        ref = vector_gradients(F1_GENERAL)[part]
        wrong = vector_gradients(F1_GENERAL, bug=bug)[part]
        assert differs(ref, wrong, f1_env)

    def test_one_term_bug_changes_symmetric_draws_too(self):
        """Forgetting a product-rule term is wrong whatever the kind of matrix."""
        for part in ("grad_quad", "hess_quad", "grad_log", "grad_log_at"):
            assert differs(vector_gradients(F1_SYMMETRIC)[part],
                           vector_gradients(F1_SYMMETRIC, bug="one-term")[part], f1_env)

    def test_two_s_x_is_right_for_symmetric_s(self):
        """With S symmetric, 2 S x is the gradient (the kind of S decides)."""
        env = f1_env(6)
        assert np.allclose(value(vector_gradients(F1_SYMMETRIC)["grad_quad"], env),
                           value("-3 (S + S^T) x", env))


# ===================================================== F2 matrix differentials

F2_BASE = dict(sym=False, M="A", ft="AXB", Xn=[[2, 1, 0], [0, 1, -1], [1, 0, 2]], c=-3)
C = -3  # the drawn factor of items 1-7: every expected value below is scaled by hand


def f2(**changes):
    return {**F2_BASE, **changes}


def f2_env(seed=0):
    rng = rng_for(seed)
    return {"X": general(rng, 3) + 3 * np.eye(3), "dX": general(rng, 3), "A": general(rng, 3),
            "B": general(rng, 3), "S": symmetric(rng, 3), "x": col(rng, 3), "b": col(rng, 3)}


class TestMatrixDifferentials:
    """F2: differentials and gradients of inverse, determinant, traces."""

    def test_differential_of_inverse(self):
        """c (inv(X + tH) - inv(X - tH)) / 2t tends to -c inv(X) H inv(X)."""
        env = f2_env(1)
        X, H, t = env["X"], env["dX"], 1e-6
        diff = C * (np.linalg.inv(X + t * H) - np.linalg.inv(X - t * H)) / (2 * t)
        assert np.allclose(value(matrix_differentials(F2_BASE)["d_inv"], env), diff, atol=1e-6)

    def test_determinant_and_log_determinant(self):
        """Gradients of det X and ln det X by finite differences."""
        env = f2_env(2)
        X = env["X"]
        assert np.linalg.det(X) > 0
        ans = matrix_differentials(F2_BASE)
        assert np.allclose(value(ans["grad_det"], env), C * num_grad(np.linalg.det, X), atol=1e-5)
        logdet = lambda Y: math.log(np.linalg.det(Y))  # noqa: E731
        assert np.allclose(value(ans["grad_logdet"], env), C * num_grad(logdet, X), atol=1e-5)

    @pytest.mark.parametrize("ft", ["AXB", "BXtA"])
    def test_trace_of_product(self, ft):
        """tr(A X B) and tr(B X^T A)."""
        env = f2_env(3)
        A, B = env["A"], env["B"]
        f = (lambda X: np.trace(A @ X @ B)) if ft == "AXB" else (lambda X: np.trace(B @ X.T @ A))
        got = value(matrix_differentials(f2(ft=ft))["grad_trace"], env)
        assert np.allclose(got, C * num_grad(f, env["X"]), atol=1e-5)

    @pytest.mark.parametrize("sym", [False, True])
    def test_trace_of_M_XtX_for_a_tall_X(self, sym):
        """tr(M X^T X) with X 4x2 and M 2x2 (general or symmetric)."""
        rng = rng_for(4)
        name = "S" if sym else "A"
        M = symmetric(rng, 2) if sym else general(rng, 2)
        env = {name: M, "X": general(rng, 4, 2)}
        got = value(matrix_differentials(f2(sym=sym, M=name))["grad_trXtX"], env)
        assert np.allclose(got, C * num_grad(lambda X: np.trace(M @ X.T @ X), env["X"]), atol=1e-5)

    @pytest.mark.parametrize("sym", [False, True])
    def test_det_of_XtMX_for_a_tall_X(self, sym):
        """det(X^T M X) with X 3x2 has no det(M) det(X)^2 shortcut."""
        rng = rng_for(5)
        name = "S" if sym else "A"
        M = symmetric(rng, 3) if sym else general(rng, 3)
        env = {name: M, "X": general(rng, 3, 2)}
        got = value(matrix_differentials(f2(sym=sym, M=name))["grad_detXtMX"], env)
        f = lambda X: np.linalg.det(X.T @ M @ X)  # noqa: E731
        assert np.allclose(got, C * num_grad(f, env["X"]), atol=1e-4)

    def test_bilinear_form_by_vector_and_by_matrix(self):
        """x^T A b: gradient A b by x and x b^T by A."""
        env = f2_env(6)
        x, A, b = env["x"], env["A"], env["b"]
        ans = matrix_differentials(F2_BASE)
        assert np.allclose(value(ans["grad_xAb_x"], env),
                           C * num_grad(lambda v: (v.T @ A @ b).item(), x), atol=1e-5)
        assert np.allclose(value(ans["grad_xAb_A"], env),
                           C * num_grad(lambda M: (x.T @ M @ b).item(), A), atol=1e-5)

    def test_numeric_instance_by_hand(self):
        """X0 has det 3; its cofactor matrix is worked out entry by entry."""
        ans = matrix_differentials(F2_BASE)
        cof = [[2, -1, -1], [-2, 4, 1], [-1, 2, 2]]
        assert ans["grad_det_at"] == cof
        assert ans["grad_logdet_at"] == [[Fraction(c, 3) for c in r] for r in cof]

    @SETTINGS
    @given(Xn=st.lists(st.lists(st.integers(-2, 2), min_size=3, max_size=3), min_size=3, max_size=3))
    def test_numeric_parts_match_differences(self, Xn):
        """At any accepted X0: det and ln det gradients by finite differences."""
        try:
            ans = matrix_differentials(f2(Xn=Xn))
        except Reject:
            assume(False)
        X = as_float(Xn)
        assert np.allclose(as_float(ans["grad_det_at"]), num_grad(np.linalg.det, X), atol=1e-5)
        logdet = lambda Y: math.log(np.linalg.det(Y))  # noqa: E731
        assert np.allclose(as_float(ans["grad_logdet_at"]), num_grad(logdet, X), atol=1e-5)

    @pytest.mark.parametrize("Xn,why", [
        ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], "det 1"),
        ([[0, 1, 0], [1, 0, 0], [0, 0, 1]], "negative det"),
        ([[2, 1, 0], [1, 2, 0], [0, 0, 1]], "symmetric cofactors"),
        ([[1, 2, 3], [2, 4, 6], [0, 0, 1]], "singular"),
    ])
    def test_degenerate_matrices_are_rejected(self, Xn, why):
        with pytest.raises(Reject):
            matrix_differentials(f2(Xn=Xn))

    @pytest.mark.parametrize("part,bug", misconceptions("matrix-differentials.yaml"))
    @pytest.mark.parametrize("ft", ["AXB", "BXtA"])
    def test_every_bug_changes_its_part(self, part, bug, ft):
        """Each listed misconception gives a different answer on a general draw."""
        rng = rng_for(7)

        def env():  # X is 3x2 only where det(X^T M X) is asked
            e = f2_env(8)
            if part == "grad_detXtMX":
                e["X"] = general(rng, 3, 2)
            return e
        assert differs(matrix_differentials(f2(ft=ft))[part],
                       matrix_differentials(f2(ft=ft), bug=bug)[part], env)


# =========================================================== F3 ridge

def ridge_params(loss="full", pen="full", X=((1, 0), (1, 1), (2, -1)), y=(1, 2, 0), lam=1):
    return dict(loss_scale=loss, pen_scale=pen, X=[list(r) for r in X], y=list(y), lam=lam)


SCALES = [("full", "full"), ("full", "half"), ("half", "full"), ("half", "half")]


def ridge_loss(loss, pen):
    c1 = 1.0 if loss == "full" else 0.5
    c2 = 1.0 if pen == "full" else 0.5
    return lambda X, y, w, lam: c1 * ((y - X @ w).T @ (y - X @ w)).item() + c2 * lam * (w.T @ w).item()


def ridge_env(seed=0):
    rng = rng_for(seed)
    return {"X": general(rng, 5, 3), "y": col(rng, 5), "w": col(rng, 3),
            "lambda": float(rng.uniform(0.3, 2)), "gamma": float(rng.uniform(0.05, 0.5))}


class TestRidgeMatrix:
    """F3: least squares and ridge in matrix form."""

    @pytest.mark.parametrize("loss,pen", SCALES)
    def test_formulas_match_differences(self, loss, pen):
        """Gradient and Hessian by finite differences; the step subtracts gamma times the gradient."""
        env = ridge_env(1)
        L = ridge_loss(loss, pen)
        X, y, lam = env["X"], env["y"], env["lambda"]
        ans = ridge_matrix(ridge_params(loss, pen))
        f = lambda w: L(X, y, w, lam)  # noqa: E731
        grad = num_grad(f, env["w"])
        assert np.allclose(value(ans["grad"], env), grad, atol=1e-5)
        hess = num_jac(lambda w: num_grad(f, w, 1e-4), env["w"], 1e-4)
        assert np.allclose(value(ans["hess"], env), hess, atol=1e-3)
        assert np.allclose(value(ans["step"], env), env["w"] - env["gamma"] * grad, atol=1e-5)

    @pytest.mark.parametrize("loss,pen", SCALES)
    def test_minimizer_is_a_minimum(self, loss, pen):
        """The formula for w-hat agrees with scipy's minimizer of the loss."""
        env = ridge_env(2)
        L = ridge_loss(loss, pen)
        X, y, lam = env["X"], env["y"], env["lambda"]
        w_hat = value(ridge_matrix(ridge_params(loss, pen))["minimizer"], env)
        found = minimize(lambda w: L(X, y, w.reshape(3, 1), lam), np.zeros(3), tol=1e-12).x
        assert np.allclose(w_hat.ravel(), found, atol=1e-5)

    def test_numeric_instance_by_hand(self):
        """X^T X = [[6, -1], [-1, 2]], X^T y = (3, 2); with lambda/2 = 1/2: w = (38/61, 64/61)."""
        ans = ridge_matrix(ridge_params("full", "half"))
        assert ans["w_star"] == [Fraction(38, 61), Fraction(64, 61)]
        assert ans["hess_at"] == [[13, -2], [-2, 5]]  # 2 X^T X + lambda I

    @SETTINGS
    @given(scales=st.sampled_from(SCALES), n=st.sampled_from([3, 4]),
           X=st.lists(st.lists(st.integers(-2, 2), min_size=2, max_size=2), min_size=4, max_size=4),
           y=st.lists(st.integers(-3, 3), min_size=4, max_size=4), lam=st.integers(1, 3))
    def test_numeric_minimizer_matches_augmented_least_squares(self, scales, n, X, y, lam):
        """Ridge is least squares on X stacked over sqrt(r lambda) I, y over zeros."""
        loss, pen = scales
        p = ridge_params(loss, pen, X[:n], y[:n], lam)
        try:
            ans = ridge_matrix(p)
        except Reject:
            assume(False)
        r = (1.0 if pen == "full" else 0.5) / (1.0 if loss == "full" else 0.5)
        Xa = np.vstack([as_float(X[:n]), math.sqrt(r * lam) * np.eye(2)])
        ya = np.concatenate([as_float(y[:n]), np.zeros(2)])
        w = np.linalg.lstsq(Xa, ya, rcond=None)[0]
        assert np.allclose(as_float(ans["w_star"]), w, atol=1e-9)
        L = ridge_loss(loss, pen)
        Xf, yf = as_float(X[:n]), as_float(y[:n]).reshape(-1, 1)
        hess = num_jac(lambda v: num_grad(lambda u: L(Xf, yf, u, lam), v, 1e-3),
                       np.zeros((2, 1)), 1e-3)
        assert np.allclose(as_float(ans["hess_at"]), hess, atol=1e-4)

    @pytest.mark.parametrize("part,bug", misconceptions("ridge-matrix-form.yaml"))
    def test_every_bug_changes_its_part(self, part, bug):
        """On a variant where the two factors differ, every misconception shows."""
        p = ridge_params("full", "half")
        assert differs(ridge_matrix(p)[part], ridge_matrix(p, bug=bug)[part], ridge_env)


# ===================================================== F4 logistic with L2

F4_BASE = dict(label=1, Xd=[[1, 0], [0, 1], [1, 1]], yl=[1, 1, -1], w0=[0.5, -0.5],
               lam=0.5, eta=0.5)


def f4(**changes):
    return {**F4_BASE, **changes}


def logistic_loss(X, y, w, lam):
    X, y = as_float(X), as_float(y)
    return float(np.sum(np.log1p(np.exp(-y * (X @ w)))) + lam * w @ w)


class TestLogisticL2:
    """F4: logistic loss with an L2 penalty."""

    @pytest.mark.parametrize("label", [1, -1])
    def test_term_gradient_matches_differences(self, label):
        rng = rng_for(1)
        env = {"x": col(rng, 3), "w": col(rng, 3)}
        f = lambda w: math.log1p(math.exp(-label * (env["x"].T @ w).item()))  # noqa: E731
        got = value(logistic_l2(f4(label=label))["grad_term"], env)
        assert np.allclose(got, num_grad(f, env["w"]), atol=1e-7)

    def test_gradient_by_hand(self):
        """Margins 0.5, -0.5, 0: weights s(-0.5), s(0.5), 1/2; penalty 2 lam w0 = (0.5, -0.5)."""
        s = 1 / (1 + math.exp(-0.5))  # sigmoid(0.5); sigmoid(-0.5) = 1 - s
        g = [-(1 - s) + 0.5 + 0.5, -s + 0.5 - 0.5]
        ans = logistic_l2(F4_BASE)
        assert np.allclose(ans["grad_at"], g, atol=1e-12)
        assert np.allclose(ans["step"], [0.5 - 0.5 * g[0], -0.5 - 0.5 * g[1]], atol=1e-12)

    def test_seed_log_differential_is_wrong(self):
        """Regression (seed 004 §8 ex. 6): dividing by ln(1 + e^{-z}) is not the derivative."""
        p = F4_BASE
        truth = num_grad(lambda w: logistic_loss(p["Xd"], p["yl"], w, p["lam"]), as_float(p["w0"]))
        assert np.allclose(logistic_l2(p)["grad_at"], truth, atol=1e-6)
        assert not np.allclose(logistic_l2(p, bug="log-differential")["grad_at"], truth, atol=1e-2)

    def test_seed_step_sign_is_wrong(self):
        """Regression (seed 004 §8 ex. 6): w - eta grad lowers the loss, the seed's w + eta grad raises it."""
        p = f4(eta=0.1)
        L = lambda w: logistic_loss(p["Xd"], p["yl"], as_float(w), p["lam"])  # noqa: E731
        assert L(logistic_l2(p)["step"]) < L(p["w0"])
        assert L(logistic_l2(p, bug="ascent")["step"]) > L(p["w0"])

    @SETTINGS
    @given(Xd=st.lists(st.lists(st.integers(-2, 2), min_size=2, max_size=2), min_size=3, max_size=3),
           yl=st.lists(st.sampled_from([-1, 1]), min_size=3, max_size=3),
           w0=st.lists(st.sampled_from([-1, -0.5, 0.5, 1]), min_size=2, max_size=2),
           lam=st.sampled_from([0.1, 0.25, 0.5]), eta=st.sampled_from([0.1, 0.2, 0.5]))
    def test_gradient_matches_differences(self, Xd, yl, w0, lam, eta):
        p = f4(Xd=Xd, yl=yl, w0=w0, lam=lam, eta=eta)
        try:
            ans = logistic_l2(p)
        except Reject:
            assume(False)
        g = num_grad(lambda w: logistic_loss(Xd, yl, w, lam), as_float(w0))
        assert np.allclose(ans["grad_at"], g, atol=1e-6)
        assert np.allclose(ans["step"], as_float(w0) - eta * g, atol=1e-6)

    def test_step_follows_the_students_gradient(self):
        """Follow-through: the step is recomputed from the gradient the student gave."""
        ans = logistic_l2(F4_BASE, given={"grad_at": [1.0, -2.0]})
        assert ans["step"] == [0.0, 0.5]

    def test_draws_that_hide_a_misconception_are_rejected(self):
        """At w0 = 0 every margin is 0, so sigmoid(z) and sigmoid(-z) coincide."""
        with pytest.raises(Reject):
            logistic_l2(f4(w0=[0, 0]))

    @pytest.mark.parametrize("part,bug", misconceptions("logistic-l2-step.yaml"))
    @pytest.mark.parametrize("label", [1, -1])
    def test_every_bug_changes_its_part(self, part, bug, label):
        rng = rng_for(2)
        p = f4(label=label)
        assert differs(logistic_l2(p)[part], logistic_l2(p, bug=bug)[part],
                       lambda: {"x": col(rng, 3), "w": col(rng, 3)})


# ===================================================== F5 Gaussian MLE

F5_BASE = dict(P=[[1, 2], [0, 1], [3, -1], [2, 2]])


def log_density(x, mu, Sigma):
    """ln N(x | mu, Sigma) written for a general (not symmetrized) Sigma."""
    u = x - mu
    m = x.shape[0]
    return (-0.5 * m * math.log(2 * math.pi) - 0.5 * math.log(np.linalg.det(Sigma))
            - 0.5 * (u.T @ np.linalg.inv(Sigma) @ u).item())


class TestGaussianMLE:
    """F5: maximum likelihood for a multivariate normal."""

    def test_log_density_gradients(self):
        rng = rng_for(1)
        env = {"x": col(rng, 3), "mu": col(rng, 3), "Sigma": spd(rng, 3)}
        ans = gaussian_mle(F5_BASE)
        x, mu, Sigma = env["x"], env["mu"], env["Sigma"]
        assert np.allclose(value(ans["grad_mu"], env),
                           num_grad(lambda m: log_density(x, m, Sigma), mu), atol=1e-6)
        assert np.allclose(value(ans["grad_S"], env),
                           num_grad(lambda S: log_density(x, mu, S), Sigma), atol=1e-6)

    def test_estimates_by_hand(self):
        """Mean (3/2, 1); deviations (-1/2, 1), (-3/2, 0), (3/2, -2), (1/2, 1) over n = 4."""
        ans = gaussian_mle(F5_BASE)
        assert ans["mu"] == [Fraction(3, 2), 1]
        assert ans["sigma"] == [[Fraction(5, 4), Fraction(-3, 4)], [Fraction(-3, 4), Fraction(3, 2)]]

    def test_unbiased_covariance_is_the_misconception(self):
        """1/(n-1) is np.cov's default; the MLE uses 1/n (bias=True)."""
        P = as_float(F5_BASE["P"])
        assert np.allclose(as_float(gaussian_mle(F5_BASE, bug="unbiased")["sigma"]), np.cov(P.T))
        assert np.allclose(as_float(gaussian_mle(F5_BASE)["sigma"]), np.cov(P.T, bias=True))

    @SETTINGS
    @given(n=st.sampled_from([3, 4, 5]),
           P=st.lists(st.lists(st.integers(-3, 3), min_size=2, max_size=2), min_size=5, max_size=5))
    def test_estimates_maximize_the_likelihood(self, n, P):
        """No small change of mu or Sigma raises the log-likelihood (scipy's density)."""
        try:
            ans = gaussian_mle({"P": P[:n]})
        except Reject:
            assume(False)
        data = as_float(P[:n])
        mu, Sigma = as_float(ans["mu"]), as_float(ans["sigma"])
        assert np.allclose(Sigma, np.cov(data.T, bias=True))
        best = multivariate_normal(mu, Sigma).logpdf(data).sum()
        rng = rng_for(n)
        smallest = np.linalg.eigvalsh(Sigma)[0]
        for _ in range(5):
            E = symmetric(rng, 2)
            E *= 0.3 * smallest / np.linalg.norm(E, 2)  # keeps Sigma + E positive definite
            assert multivariate_normal(mu + 0.05 * rng.normal(size=2), Sigma + E).logpdf(data).sum() < best

    def test_covariance_follows_the_students_mean(self):
        """Follow-through: Sigma recomputed around the mean the student gave, (1, 1)."""
        # deviations (0, 1), (-1, 0), (2, -2), (1, 1): sums xx 6, xy -3, yy 6
        sigma = gaussian_mle(F5_BASE, given={"mu": [1, 1]})["sigma"]
        assert sigma == [[Fraction(3, 2), Fraction(-3, 4)], [Fraction(-3, 4), Fraction(3, 2)]]

    @pytest.mark.parametrize("P,why", [
        ([[1, 1], [-1, -1], [0, 0]], "zero mean"),
        ([[0, 1], [1, 2], [2, 3]], "collinear"),
    ])
    def test_degenerate_samples_are_rejected(self, P, why):
        with pytest.raises(Reject):
            gaussian_mle({"P": P})

    @pytest.mark.parametrize("part,bug", misconceptions("gaussian-mle.yaml"))
    def test_every_bug_changes_its_part(self, part, bug):
        rng = rng_for(3)
        assert differs(gaussian_mle(F5_BASE)[part], gaussian_mle(F5_BASE, bug=bug)[part],
                       lambda: {"x": col(rng, 3), "mu": col(rng, 3), "Sigma": spd(rng, 3)})


# =================================================== F6 nearest symmetric

F6_BASE = dict(kind="symmetric", A=[[1, 2], [0, 3]])


class TestNearestSymmetric:
    """F6: nearest (skew-)symmetric matrix in the Frobenius norm."""

    def test_objective_gradient(self):
        rng = rng_for(1)
        env = {"X": general(rng, 3), "A": general(rng, 3)}
        got = value(nearest_symmetric(F6_BASE)["grad_obj"], env)
        f = lambda X: float(np.sum((X - env["A"]) ** 2))  # noqa: E731
        assert np.allclose(got, num_grad(f, env["X"]), atol=1e-6)

    @pytest.mark.parametrize("kind,sign", [("symmetric", 1), ("skew", -1)])
    def test_formula_satisfies_the_constraint_and_is_optimal(self, kind, sign):
        """X* obeys X^T = sign X, and A - X* is orthogonal to every such matrix."""
        rng = rng_for(2)
        A = general(rng, 3)
        X = value(nearest_symmetric(dict(F6_BASE, kind=kind))["nearest"], {"A": A})
        assert np.allclose(X.T, sign * X)
        for _ in range(5):
            B = general(rng, 3)
            Y = B + sign * B.T
            assert abs(np.trace((A - X).T @ Y)) < 1e-9

    def test_numeric_instance_by_hand(self):
        """A = [[1, 2], [0, 3]]: X* = [[1, 1], [1, 3]], distance 0 + 1 + 1 + 0 = 2."""
        ans = nearest_symmetric(F6_BASE)
        assert ans["nearest_at"] == [[1, 1], [1, 3]]
        assert ans["dist"] == 2

    def test_matches_a_numerical_optimizer(self):
        """Minimize over the free entries of a symmetric 3x3 matrix with scipy."""
        A = [[1, -2, 3], [0, 2, 1], [-1, 3, 0]]
        iu = np.triu_indices(3)

        def build(v):
            X = np.zeros((3, 3))
            X[iu] = v
            return X + np.triu(X, 1).T
        res = minimize(lambda v: float(np.sum((build(v) - as_float(A)) ** 2)), np.zeros(6), tol=1e-12)
        ans = nearest_symmetric({"kind": "symmetric", "A": A})
        assert np.allclose(as_float(ans["nearest_at"]), build(res.x), atol=1e-5)
        assert math.isclose(float(ans["dist"]), res.fun, abs_tol=1e-6)

    @SETTINGS
    @given(kind=st.sampled_from(["symmetric", "skew"]), n=st.sampled_from([2, 3]),
           entries=st.lists(st.integers(-4, 4), min_size=9, max_size=9))
    def test_distance_is_the_other_half(self, kind, n, entries):
        """||A - X*||^2 equals the squared norm of the part of A that X* leaves out."""
        A = [entries[i * n:(i + 1) * n] for i in range(n)]
        try:
            ans = nearest_symmetric({"kind": kind, "A": A})
        except Reject:
            assume(False)
        Af, X = as_float(A), as_float(ans["nearest_at"])
        sign = 1 if kind == "symmetric" else -1
        assert np.allclose(X.T, sign * X)
        assert math.isclose(float(ans["dist"]), float(np.sum((Af - X) ** 2)))
        assert math.isclose(float(ans["dist"]), float(np.sum(((Af - sign * Af.T) / 2) ** 2)))

    def test_distance_follows_the_students_matrix(self):
        """Follow-through: the distance of the matrix the student gave, [[1, 2], [2, 3]]."""
        assert nearest_symmetric(F6_BASE, given={"nearest_at": [[1, 2], [2, 3]]})["dist"] == 4

    @pytest.mark.parametrize("A", [[[1, 2], [2, 3]], [[0, 1], [-1, 0]]])
    def test_matrices_with_the_property_already_are_rejected(self, A):
        with pytest.raises(Reject):
            nearest_symmetric({"kind": "symmetric", "A": A})

    @pytest.mark.parametrize("part,bug", misconceptions("nearest-symmetric.yaml"))
    @pytest.mark.parametrize("kind", ["symmetric", "skew"])
    def test_every_bug_changes_its_part(self, part, bug, kind):
        rng = rng_for(4)
        p = {"kind": kind, "A": [[1, 2], [0, 3]] if kind == "symmetric" else [[1, 3], [0, 2]]}
        assert differs(nearest_symmetric(p)[part], nearest_symmetric(p, bug=bug)[part],
                       lambda: {"X": general(rng, 3), "A": general(rng, 3)})
