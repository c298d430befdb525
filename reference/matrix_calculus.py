"""Reference solvers for matrix calculus (family F; seeds 004 §8 and 003).

Convention on every sheet of this topic: the gradient of a scalar function has
the shape of the variable (denominator layout), so ``df = tr(grad^T dX)`` and
``d tr(A X)/dX = A^T``; the Jacobian of ``f: R^n -> R^m`` is ``m x n`` with
``df = J dx``.

Expression answers are strings in the answer language. A matrix that the sheet
declares symmetric is called ``S`` and a general one ``A`` (the letter is the
``M`` parameter), because a part's declared variables fix each matrix's kind:
``2 S x`` is right for a symmetric ``S`` and wrong for a general ``A``.

Exact numeric answers are ``int`` or ``Fraction``; the logistic-loss numbers are
floats. Every solver checks the draw before applying a bug, so a draw is kept or
rejected the same way whatever bug is switched on.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from reference import Reject
from reference.common import keeps_slips_visible, sigmoid


# ---------------------------------------------------------------- exact helpers

def _coef(k) -> str:
    """A scalar coefficient written in front of a term ("" for 1)."""
    k = Fraction(k)
    if k == 1:
        return ""
    if k.denominator == 1:
        return f"{k.numerator} "
    return f"({k.numerator}/{k.denominator}) "


# ----------------------------------------------------- F1: gradients by vectors

def _times(c: int, product: str) -> str:
    """``c`` times an answer-language product (a sum must come in parentheses)."""
    if c in (1, -1):
        return product if c == 1 else "-" + product
    return f"{c} * {product}" if product[0].isdigit() else f"{c} {product}"   # never "2 2 A"


def _fractions(rows) -> list:
    """Rows of exact Fractions from ints or finite decimals (via their text)."""
    return [[Fraction(str(v)) for v in row] for row in rows]


def _exact(v):
    """An int as itself (exact, and many times cheaper than a Fraction), a decimal as its Fraction."""
    return v if type(v) is int else Fraction(str(v))


def _int_times_vector(A, v) -> list:
    """A v for entries that are ints or Fractions (a sum of ints stays an int)."""
    return [sum(a * x for a, x in zip(row, v)) for row in A]


def _times_vector(A, v) -> list:
    return [sum((a * x for a, x in zip(row, v)), Fraction(0)) for row in A]


def _cofactors3(X) -> list:
    """The cofactor matrix of a 3x3 matrix: C_ij = (-1)^(i+j) times the minor without
    row i and column j, so det X = sum_j X_0j C_0j and X^{-1} = C^T / det X."""
    def minor(i, j):
        (a, b), (c, d) = [[X[r][s] for s in range(3) if s != j] for r in range(3) if r != i]
        return a * d - b * c
    return [[(-1) ** (i + j) * minor(i, j) for j in range(3)] for i in range(3)]


def _whole(f: Fraction):
    """A Fraction as an ``int`` when whole (the keys' convention)."""
    return int(f) if f.denominator == 1 else f


def vector_gradients(p, *, bug=None, given=None):
    """F1: gradients of a^T B x (or x^T B a), x^T M x, ln(x^T M x), a scalar
    function of X, the Jacobian of x (x^T x), and two of them at a drawn point.

    The numbers are 3x3 and 3x1 exact ints (Fractions for decimals) in plain Python: this solver runs for
    every student of a class, where sympy matrices cost a millisecond per product."""
    sym = bool(p["sym"])
    m = p["M"]
    M = [[_exact(v) for v in row] for row in p["Mv"]]
    x0 = [_exact(v) for v in p["x0"]]
    Mt = [list(col) for col in zip(*M)]

    q = sum(x * y for x, y in zip(x0, _int_times_vector(M, x0)))
    if not any(x0):
        raise Reject("x0 is the zero vector")
    if q <= 0:
        raise Reject("x0^T M x0 must be positive for the logarithm")
    if q == 1:
        raise Reject("x0^T M x0 = 1 hides a forgotten 1/(x^T M x)")
    if sym != (M == Mt):
        raise Reject("the drawn matrix does not match the declared kind")
    if not sym and _int_times_vector(M, x0) == _int_times_vector(Mt, x0):
        raise Reject("M x0 = M^T x0 hides the missing symmetric part")

    # grad_lin: d(a^T B x) = a^T B dx, so the gradient is B^T a; x^T B a gives B a.
    lin_right, lin_wrong = ("B^T a", "B a") if p["lin_form"] == "aBx" else ("B a", "B^T a")
    grad_lin = lin_wrong if bug == "no-transpose" else lin_right

    # x^T M x: both terms of the product rule give (M + M^T) x, i.e. 2 S x when symmetric.
    hess_quad = "2 S" if sym else "A + A^T"
    if bug == "sym-assumed" and not sym:
        hess_quad = "2 A"
    elif bug == "one-term":
        hess_quad = m
    grad_quad = f"({hess_quad}) x" if "+" in hess_quad else f"{hess_quad} x"
    grad_log = grad_quad if bug == "no-outer" else f"{grad_quad} / (x^T {m} x)"

    if p["fX"] == "aXAXa":
        # df = a^T dX A X a + a^T X A dX a = tr(A X a a^T dX) + tr(a a^T X A dX)
        grad_X = {
            "no-transpose": "A X a a^T + a a^T X A",
            "one-term": "a a^T X^T A^T",
        }.get(bug, "a a^T X^T A^T + A^T X^T a a^T")
    else:
        # with u = X a: f = u^T A u, du = dX a
        grad_X = {
            "no-transpose": "a a^T X^T (A + A^T)",
            "one-term": "A X a a^T",
        }.get(bug, "(A + A^T) X a a^T")

    # d(x x^T x) = dx (x^T x) + x (2 x^T dx). A lone "(x^T x) I" (one term) is not a
    # misconception of the formula part: the size of I cannot be read from it.
    jac = "(x^T x) I + x x^T" if bug == "no-factor-2" else "(x^T x) I + 2 x x^T"

    g = [[a + b for a, b in zip(row, col)] for row, col in zip(M, Mt)]
    if bug == "sym-assumed":
        g = [[2 * a for a in row] for row in M]
    elif bug == "one-term":
        g = M
    grad_log_at = _int_times_vector(g, x0)
    if bug != "no-outer":
        grad_log_at = [Fraction(e) / q for e in grad_log_at]

    s = sum(x * x for x in x0)
    outer = {"one-term": 0, "no-factor-2": 1}.get(bug, 2)
    jac_at = [[(s if i == j else 0) + outer * x0[i] * x0[j] for j in range(3)] for i in range(3)]

    c = p["c"]   # the drawn factor of items 1-5 (item 6 asks for the plain functions)
    paren = lambda text: f"({text})" if "+" in text else text  # noqa: E731
    return {
        "grad_lin": _times(c, grad_lin),
        "grad_quad": _times(c, grad_quad),
        "hess_quad": _times(c, paren(hess_quad)),
        "grad_log": _times(c, grad_log),
        "grad_X": _times(c, paren(grad_X)),
        "jac": _times(c, paren(jac)),
        "grad_log_at": [_whole(e) for e in grad_log_at],
        "jac_at": [[_whole(e) for e in row] for row in jac_at],
    }


# ------------------------------------------- F2: differentials by matrices

def matrix_differentials(p, *, bug=None, given=None):
    """F2: d(X^{-1}); gradients of det X, ln det X, a trace of a product,
    tr(M X^T X), det(X^T M X), x^T A b by x and by A; det and ln det at a drawn X."""
    sym = bool(p["sym"])
    m = p["M"]
    c = p["c"]   # every function of items 1-7 carries this drawn factor, so the answers differ
    X = _fractions(p["Xn"])
    cof = _cofactors3(X)
    det = sum((x * k for x, k in zip(X[0], cof[0])), Fraction(0))
    if det <= 0:
        raise Reject("ln det X needs det X > 0")
    if det == 1:
        raise Reject("det X = 1 makes det(X) X^{-T} equal to X^{-T}")
    if det > 12:
        raise Reject("determinant too large for hand-friendly fractions")
    cof_t = [list(col) for col in zip(*cof)]
    if cof == cof_t:
        raise Reject("a symmetric cofactor matrix hides a missing transpose")

    d_inv = {
        "wrong-sign": _times(c, "inv(X) dX inv(X)"),
        "commute": _times(-c, "inv(X) inv(X) dX"),
    }.get(bug, _times(-c, "inv(X) dX inv(X)"))

    grad_det = _times(c, {
        "no-transpose": "det(X) inv(X)",
        "det-logdet-swap": "inv(X)^T",
    }.get(bug, "det(X) inv(X)^T"))
    grad_logdet = _times(c, {
        "no-transpose": "inv(X)",
        "det-logdet-swap": "det(X) inv(X)^T",
    }.get(bug, "inv(X)^T"))

    if p["ft"] == "AXB":
        # d tr(A X B) = tr(B A dX)
        grad_trace = _times(c, "B A" if bug == "no-transpose" else "A^T B^T")
    else:
        # d tr(B X^T A) = tr(A B dX^T) = tr(B^T A^T dX)
        grad_trace = _times(c, "B^T A^T" if bug == "no-transpose" else "A B")

    # d tr(M X^T X) = tr(M dX^T X) + tr(M X^T dX): gradient X M + X M^T
    both = "2 S" if sym else "(A + A^T)"
    if bug == "sym-assumed" and not sym:
        both = "2 A"
    elif bug == "one-term":
        both = m
    grad_trXtX = _times(c, f"{both} X" if bug == "wrong-side" else f"X {both}")

    # f = det(N), N = X^T M X: df = det(N) tr(N^{-1} dN), dN = dX^T M X + X^T M dX
    if sym:
        terms = {"one-term": "S X inv(X^T S X)"}.get(bug, "2 S X inv(X^T S X)")
    else:
        terms = {
            "one-term": "A X inv(X^T A X)",
            "sym-assumed": "2 A X inv(X^T A X)",
        }.get(bug, "A X inv(X^T A X) + A^T X inv(X^T A^T X)")
    grad_detXtMX = _times(c, f"({terms})" if bug == "no-det" else f"det(X^T {m} X) ({terms})")

    grad_xAb_x = _times(c, "A^T b" if bug == "transpose" else "A b")
    grad_xAb_A = _times(c, "b x^T" if bug == "no-transpose" else "x b^T")

    inv_t = [[k / det for k in row] for row in cof]           # X^{-T} = cof(X) / det X
    inv = [list(col) for col in zip(*inv_t)]
    det_at = {"no-transpose": cof_t, "det-logdet-swap": inv_t}.get(bug, cof)
    logdet_at = {"no-transpose": inv, "det-logdet-swap": cof}.get(bug, inv_t)

    return {
        "d_inv": d_inv,
        "grad_det": grad_det,
        "grad_logdet": grad_logdet,
        "grad_trace": grad_trace,
        "grad_trXtX": grad_trXtX,
        "grad_detXtMX": grad_detXtMX,
        "grad_xAb_x": grad_xAb_x,
        "grad_xAb_A": grad_xAb_A,
        "grad_det_at": [[_whole(e) for e in row] for row in det_at],
        "grad_logdet_at": [[_whole(e) for e in row] for row in logdet_at],
    }


# ---------------------------------------------- F3: least squares and ridge

def _ridge_coefficients(p):
    """(k1, k2): the gradient is k1 X^T (X w - y) + k2 lambda w."""
    k1 = Fraction(2 if p["loss_scale"] == "full" else 1)
    k2 = Fraction(2 if p["pen_scale"] == "full" else 1)
    return k1, k2


_RATIO_TEXT = {Fraction(1): "lambda", Fraction(1, 2): "(lambda/2)", Fraction(2): "2 lambda"}


def ridge_matrix(p, *, bug=None, given=None):
    """F3: gradient, Hessian, minimizer and gradient step of
    c1 ||y - X w||^2 + c2 lambda ||w||^2, then the minimizer and the Hessian
    for a drawn X, y, lambda (exact fractions)."""
    k1, k2 = _ridge_coefficients(p)
    X = _fractions(p["X"])
    y = [Fraction(str(v)) for v in p["y"]]
    lam = Fraction(str(p["lam"]))
    # 0 = k1 X^T (X w - y) + k2 lambda w  =>  (X^T X + (k2/k1) lambda I) w = X^T y
    ratio = k2 / k1

    Xt = [list(col) for col in zip(*X)]
    G = [[sum((a * b for a, b in zip(r, c)), Fraction(0)) for c in Xt] for r in Xt]   # 2x2
    b = _times_vector(Xt, y)

    def shifted(s):          # G + s I
        return [[g + (s if i == j else 0) for j, g in enumerate(row)] for i, row in enumerate(G)]

    def solve2(A, v):        # A^{-1} v for a 2x2 A (Cramer), or None when singular
        det = A[0][0] * A[1][1] - A[0][1] * A[1][0]
        if det == 0:
            return None
        return [(A[1][1] * v[0] - A[0][1] * v[1]) / det, (A[0][0] * v[1] - A[1][0] * v[0]) / det]

    if not any(b):
        raise Reject("X^T y = 0 makes the minimizer zero")
    if solve2(shifted(-ratio * lam), b) is None:
        raise Reject("the sign-slip system is singular")
    if max(e.denominator for e in solve2(shifted(ratio * lam), b)) > 200:
        raise Reject("minimizer fractions too ugly for hand work")

    if bug == "factor-2":
        k1, k2 = k1 / 2, k2 / 2
    if bug == "memorized":
        ratio = Fraction(1)
    sign = -1 if bug == "wrong-sign" else 1

    data = "X^T (y - X w)" if bug == "wrong-sign" else "X^T (X w - y)"
    grad = f"{_coef(k1)}{data} + {_coef(k2)}lambda w"
    hess = f"{_coef(k1)}X^T X"
    if bug != "no-penalty":
        hess += f" + {_coef(k2)}lambda I"
    step = f"w {'+' if bug == 'ascent' else '-'} gamma ({grad})"
    minimizer = f"inv(X^T X {'-' if sign < 0 else '+'} {_RATIO_TEXT[ratio]} I) X^T y"

    w_at = solve2(shifted(sign * ratio * lam), b)
    penalty = 0 if bug == "no-penalty" else k2 * lam
    hess_at = [[k1 * g + (penalty if i == j else 0) for j, g in enumerate(row)] for i, row in enumerate(G)]

    return {
        "grad": grad,
        "hess": hess,
        "minimizer": minimizer,
        "step": step,
        "w_star": [_whole(e) for e in w_at],
        "hess_at": [[_whole(e) for e in row] for row in hess_at],
    }


# --------------------------------------------- F4: logistic loss with L2

def _logistic_gradient(X, y, w, lam, bug=None):
    """Gradient of sum_i ln(1 + exp(-y_i x_i^T w)) + lam w^T w, or a buggy version."""
    g = np.zeros_like(w)
    for xi, yi in zip(X, y):
        z = yi * float(xi @ w)
        if bug == "log-differential":  # 1/ln(1+e^{-z}) where 1/(1+e^{-z}) belongs
            weight = math.exp(-z) / math.log1p(math.exp(-z))
        elif bug == "sigmoid-arg":
            weight = sigmoid(z)
        else:
            weight = sigmoid(-z)
        g += (1 if bug == "wrong-sign" else -1) * yi * weight * xi
    return g + (1 if bug == "reg-factor" else 2) * lam * w


_LOGISTIC_TOL = 0.01  # the sheet's absolute tolerance for items 2 and 3
_LOGISTIC_VISIBLE = {
    "grad_at": (("log-differential", "sigmoid-arg", "wrong-sign", "reg-factor"), _LOGISTIC_TOL, 0),
    "step": (("ascent",), _LOGISTIC_TOL, 0),
}


@keeps_slips_visible(_LOGISTIC_VISIBLE)
def logistic_l2(p, *, bug=None, given=None):
    """F4: gradient of one log-loss term for a drawn label (expression), the full
    gradient at a drawn w0, and one gradient-descent step (follows the gradient)."""
    return _logistic(p, bug=bug, given=given)


def _logistic(p, *, bug=None, given=None):
    X = np.array(p["Xd"], dtype=float)
    y = np.array(p["yl"], dtype=float)
    w0 = np.array(p["w0"], dtype=float)
    lam, eta = float(p["lam"]), float(p["eta"])
    if np.max(np.abs(_logistic_gradient(X, y, w0, lam))) < 0.1:
        raise Reject("the gradient is almost zero")

    # one term with the drawn label s: ln(1 + exp(-s x^T w)) has gradient -s sigmoid(-s x^T w) x
    z = "x^T w" if p["label"] == 1 else "-x^T w"  # the margin s x^T w
    minus_z = "-x^T w" if p["label"] == 1 else "x^T w"
    lead = "-" if p["label"] == 1 else ""  # the sign of -s
    grad_term = {
        "log-differential": f"{lead}exp({minus_z}) x / log(1 + exp({minus_z}))",
        "sigmoid-arg": f"{lead}sigmoid({z}) x",
        "wrong-sign": f"{'' if lead else '-'}sigmoid({minus_z}) x",
    }.get(bug, f"{lead}sigmoid({minus_z}) x")

    g = _logistic_gradient(X, y, w0, lam, bug)
    if given and "grad_at" in given:
        g = np.array(given["grad_at"], dtype=float)
    step = w0 + eta * g if bug == "ascent" else w0 - eta * g

    return {
        "grad_term": grad_term,
        "grad_at": [float(v) for v in g],
        "step": [float(v) for v in step],
    }


# ------------------------------------------------ F5: Gaussian MLE

def gaussian_mle(p, *, bug=None, given=None):
    """F5: gradients of ln N(x | mu, Sigma) by mu and by Sigma, and the maximum-likelihood
    mean and covariance (1/n) of a drawn 2-D sample."""
    P = _fractions(p["P"])
    n = len(P)
    mean = [sum(column, Fraction(0)) / n for column in zip(*P)]
    if not any(mean):
        raise Reject("zero sample mean hides a forgotten centering")
    (a, b), (c, d) = _scatter(P, mean)
    if a * d - b * c == 0:   # det of the covariance, up to the factor 1/n^2
        raise Reject("the sample lies on a line: no maximum-likelihood covariance")

    grad_mu = {
        "wrong-sign": "inv(Sigma) (mu - x)",
        "no-inverse": "Sigma (x - mu)",
    }.get(bug, "inv(Sigma) (x - mu)")
    # d ln det Sigma = tr(Sigma^{-1} dSigma), d(Sigma^{-1}) = -Sigma^{-1} dSigma Sigma^{-1}
    grad_S = {
        "inv-sign": "(-inv(Sigma) (x - mu) (x - mu)^T inv(Sigma) - inv(Sigma)) / 2",
        "logdet-no-inverse": "(inv(Sigma) (x - mu) (x - mu)^T inv(Sigma) - Sigma) / 2",
    }.get(bug, "(inv(Sigma) (x - mu) (x - mu)^T inv(Sigma) - inv(Sigma)) / 2")

    mu_hat = [m * n for m in mean] if bug == "no-average" else mean
    centre = [Fraction(str(v)) for v in given["mu"]] if given and "mu" in given else mean
    if bug == "no-centering":
        centre = [Fraction(0)] * 2
    divisor = n - 1 if bug == "unbiased" else n
    sigma_hat = [[e / divisor for e in row] for row in _scatter(P, centre)]

    return {
        "grad_mu": grad_mu,
        "grad_S": grad_S,
        "mu": [_whole(m) for m in mu_hat],
        "sigma": [[_whole(e) for e in row] for row in sigma_hat],
    }


def _scatter(P, centre) -> list:
    """sum_i (x_i - centre)(x_i - centre)^T over the rows x_i of P, exactly."""
    D = [[x - c for x, c in zip(row, centre)] for row in P]
    return [[sum((r[i] * r[j] for r in D), Fraction(0)) for j in range(len(centre))]
            for i in range(len(centre))]


# ---------------------------------------------- F6: nearest symmetric matrix

def nearest_symmetric(p, *, bug=None, given=None):
    """F6: nearest symmetric (or skew-symmetric) matrix to A in the Frobenius
    norm: the gradient of the objective, the formula, its value for a drawn A,
    and the squared distance (follows the numeric answer)."""
    A = _fractions(p["A"])
    size = range(len(A))
    sym_part = [[(A[i][j] + A[j][i]) / 2 for j in size] for i in size]
    skew_part = [[(A[i][j] - A[j][i]) / 2 for j in size] for i in size]
    if not any(map(any, sym_part)) or not any(map(any, skew_part)):
        raise Reject("A is already symmetric or skew-symmetric")
    want_sym = p["kind"] == "symmetric"
    near, other = (sym_part, skew_part) if want_sym else (skew_part, sym_part)
    # A = near + other with the two parts orthogonal, so ||A - near||^2 = ||other||^2
    dist_ref = _frobenius2(other)
    if dist_ref == 1 or dist_ref == _frobenius2(near):
        raise Reject("the squared distance would not tell the misconceptions apart")

    grad_obj = {"factor-2": "X - A", "no-transpose": "2 (X - A)^T"}.get(bug, "2 (X - A)")

    sign = "+" if want_sym != (bug == "swapped") else "-"
    nearest = f"A {sign} A^T" if bug == "no-half" else f"(A {sign} A^T) / 2"

    near_at = {"swapped": other, "no-half": [[2 * e for e in row] for row in near]}.get(bug, near)

    if given and "nearest_at" in given:
        dist = _frobenius2(_minus(A, _fractions(given["nearest_at"])))
    else:
        dist = _frobenius2(_minus(A, near))
    if bug == "norm-of-answer":
        dist = _frobenius2(near)
    dist = math.sqrt(dist) if bug == "not-squared" else _whole(dist)

    return {
        "grad_obj": grad_obj,
        "nearest": nearest,
        "nearest_at": [[_whole(e) for e in row] for row in near_at],
        "dist": dist,
    }


def _minus(X, Y) -> list:
    return [[x - y for x, y in zip(r, s)] for r, s in zip(X, Y)]


def _frobenius2(M) -> Fraction:
    return sum((e * e for row in M for e in row), Fraction(0))
