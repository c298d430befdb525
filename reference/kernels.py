"""Reference solvers for kernels, SVM and duality (family H, seed 000).

Numeric parts whose misconceptions could land within tolerance of the right answer on
an unlucky draw are guarded by ``reference.common.require_distinct``; the tolerances in
the ``*_VISIBLE`` tables must match the YAML parts.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from reference import Reject
from reference.common import exact, keeps_slips_visible


def _plain(v: Fraction) -> int | Fraction:
    return v.numerator if v.denominator == 1 else v


def _linear_text(terms: list[tuple[Fraction, str]]) -> str:
    """Answer-language text of sum(coef * term), e.g. "-5/4*lambda^2 + 3*lambda"."""
    out = ""
    for coef, term in terms:
        if coef == 0:
            continue
        body = term if abs(coef) == 1 else f"{abs(coef)}*{term}"
        if not out:
            out = ("-" if coef < 0 else "") + body
        else:
            out += (" - " if coef < 0 else " + ") + body
    return out or "0"


# --- H1: which functions are kernels; (<x, z> + R)^m -------------------------------------

KERNEL_CANDIDATES = ("K1", "K2", "K3", "K4", "K5")


def kernel_facts(p, *, bug=None, given=None):
    """Which candidate functions on R^2 are kernels; a coefficient of (<x,z> + R)^m on R^d
    and the number of monomials (the dimension of the feature space)."""
    verdict = {
        # q2 t^2 + q1 t + q0 with t = <x, z>: a kernel iff no coefficient is negative
        # (q1 < 0 fails on the pair x, -x; q0 < 0 fails at x = 0).
        "K1": p["q1"] > 0 and p["q0"] > 0 or bug == "any-polynomial",
        # exp(<x,z>/t) is a limit of polynomial kernels; exp(-<x,z>/t) fails at x = 0.
        "K2": p["e_sign"] < 0 if bug == "needs-minus" else p["e_sign"] > 0,
        # g(x) g(z) is a kernel; the other forms are asymmetric or have a 2x2 Gram
        # matrix with a negative determinant.
        "K3": p["g_form"] == "product" or bug == "sum-of-functions",
        # x^T A z with symmetric A is a kernel iff A is positive semidefinite.
        "K4": p["a12"] > 0 if bug == "entrywise-positive"
        else p["a11"] >= 0 and p["a22"] >= 0 and p["a11"] * p["a22"] >= p["a12"] ** 2,
        # c_lin <x,z> + c_rbf Gaussian: a negative weight makes K(x, x) negative somewhere.
        "K5": p["c_lin"] > 0 and p["c_rbf"] > 0 or bug == "any-combination",
    }
    return {"kernels": [k for k in KERNEL_CANDIDATES if verdict[k]],
            "coef": monomial_coefficient(p["pw"], p["m"], p["R"], bug=bug),
            "dim": feature_dimension(p["d"], p["m"], bug=bug)}


def monomial_coefficient(alpha, m, R, *, bug=None) -> int:
    """Coefficient of prod_i (x_i z_i)^alpha_i in (<x, z> + R)^m: choose the power k = |alpha|
    of <x, z> (binomial), then split it among the coordinates (multinomial)."""
    k = sum(alpha)
    binom = math.comb(m, k)
    multinom = math.factorial(k) // math.prod(math.factorial(a) for a in alpha)
    power = R ** (k if bug == "R-power-swap" else m - k)
    if bug == "no-multinomial":
        multinom = 1
    if bug == "no-binomial":
        binom = 1
    return binom * multinom * power


def feature_dimension(d, m, *, bug=None) -> int:
    """Number of monomials of degree at most m in d variables: C(d + m, m)."""
    if bug == "ordered-products":
        return sum(d ** k for k in range(m + 1))
    if bug == "top-degree-only":
        return math.comb(d + m - 1, m)
    return math.comb(d + m, m) - (bug == "no-constant")


# --- H2: Gram matrices ----------------------------------------------------------------

GRAM_VISIBLE = {
    "G_rbf": (("no-2", "sigma-not-squared"), 0.0006, 0),
    "dist2": (("input-space", "one-cross"), 0.0025, 0),
}


@keeps_slips_visible(GRAM_VISIBLE)
def gram_matrices(p, *, bug=None, given=None):
    """Linear, polynomial (<x,z> + R)^m and Gaussian Gram matrices of three points, and the
    squared distance between the Gaussian feature images of the first two."""
    return _gram(p, bug=bug, given=given)


def _gram(p, *, bug=None, given=None):
    X = np.array(p["X"], dtype=int)
    R, m, sigma = p["R"], p["m"], exact(p["sigma"])
    lin = X @ X.T
    sq = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    g_lin = sq if bug == "distances" else lin
    if bug == "matrix-power":
        g_poly = np.linalg.matrix_power(lin + R, m)
    elif bug == "R-outside":
        g_poly = lin ** m + R
    else:
        g_poly = (lin + R) ** m
    if bug == "no-2":
        scale = sigma ** 2
    elif bug == "sigma-not-squared":
        scale = 2 * sigma
    else:
        scale = 2 * sigma ** 2
    g_rbf = np.exp(-sq / float(scale))
    G = np.asarray(given["G_rbf"], dtype=float) if given and "G_rbf" in given else g_rbf
    if bug == "input-space":
        dist2 = float(sq[0, 1])
    elif bug == "one-cross":
        dist2 = G[0, 0] + G[1, 1] - G[0, 1]
    else:
        dist2 = G[0, 0] + G[1, 1] - 2 * G[0, 1]
    return {"G_lin": g_lin.tolist(), "G_poly": g_poly.tolist(), "G_rbf": g_rbf.tolist(),
            "dist2": float(dist2)}


# --- H3: reading an SVM dual solution --------------------------------------------------

SVM_VISIBLE = {
    "w": (("no-labels", "margin-only"), 0.001, 0),
    "b": (("from-violator", "sign"), 0.001, 0),
    "xi": (("no-clip", "no-label"), 0.001, 0),
}


@keeps_slips_visible(SVM_VISIBLE)
def svm_dual(p, *, bug=None, given=None):
    """Object types from the dual variables, then w, b and the slacks of a soft-margin SVM.

    Types: lambda = 0 non-support; 0 < lambda < C on the margin; lambda = C violator."""
    return _svm(p, bug=bug, given=given)


def _svm(p, *, bug=None, given=None):
    X = [[exact(v) for v in row] for row in p["X"]]
    y = [int(v) for v in p["y"]]
    lam = [exact(v) for v in p["lam"]]
    C = exact(p["C"])
    n = len(y)
    ids = list(range(1, n + 1))
    top = Fraction(1) if bug == "C-is-one" else C  # the seed writes 0 < lambda < 1 for margin SVs
    if bug == "all-positive":
        margin = violators = [i for i in ids if lam[i - 1] > 0]
    else:
        margin = [i for i in ids if 0 < lam[i - 1] < top]
        violators = [i for i in ids if lam[i - 1] >= top]
    true_margin = [i for i in ids if 0 < lam[i - 1] < C]
    true_viol = [i for i in ids if lam[i - 1] == C]

    def signed_sum(objects, labelled=True):
        return [sum(lam[i - 1] * (y[i - 1] if labelled else 1) * X[i - 1][k] for i in objects)
                for k in range(2)]

    def score(w, i):
        return w[0] * X[i - 1][0] + w[1] * X[i - 1][1]

    def bias(w, i):
        return y[i - 1] - score(w, i)

    if bias(signed_sum(ids), true_margin[0]) == 0:
        raise Reject("b = 0 would hide a sign slip")
    if given and "w" in given:
        w = [exact(float(v)) for v in given["w"]]
    elif bug == "margin-only":
        w = signed_sum(true_margin)
    else:
        w = signed_sum(ids, labelled=bug != "no-labels")

    if bug == "from-violator":
        b = bias(w, true_viol[0])
    else:
        # With the true w every margin SV gives the same b; the mean serves a student's own w.
        b = sum(bias(w, i) for i in true_margin) / len(true_margin)
        if bug == "sign":
            b = -b
    if given and "b" in given:
        b = exact(float(given["b"]))

    def slack(i):
        margin_value = (1 if bug == "no-label" else y[i - 1]) * (score(w, i) + b)
        return 1 - margin_value if bug == "no-clip" else max(Fraction(0), 1 - margin_value)

    return {"margin": margin, "violators": violators,
            "w": [_plain(v) for v in w], "b": _plain(b),
            "xi": [_plain(slack(i)) for i in ids]}


# --- H4: Lagrange dual of a projection onto a half-plane -------------------------------

KKT_CONDITIONS = ("stat", "primal", "dual", "slack")
DUAL_VISIBLE = {"z": (("no-half", "forget-centre"), 0.0001, 0)}


@keeps_slips_visible(DUAL_VISIBLE)
def lagrange_dual(p, *, bug=None, given=None):
    """min (x-u1)^2 + (y-u2)^2 s.t. a1 x + a2 y >= c, with L = f0 + lambda (c - a1 x - a2 y).

    Minimising L over (x, y) gives (x, y) = u + lambda a / 2 and
    g(lambda) = lambda (c - a.u) - lambda^2 |a|^2 / 4; then KKT checks of two candidates."""
    return _dual(p, bug=bug, given=given)


def _dual(p, *, bug=None, given=None):
    u = [exact(v) for v in p["u"]]
    a = [exact(v) for v in p["a"]]
    c = exact(p["c"])
    n = a[0] ** 2 + a[1] ** 2
    gap = c - (a[0] * u[0] + a[1] * u[1])  # > 0 by construction: the constraint binds
    # Substituting the minimiser, f0 contributes +lambda^2 n/4 and the constraint -lambda^2 n/2.
    quad = n / 2 if bug == "missing-f0-term" else n / 4
    lin = -gap if bug == "sign" else gap
    lam = lin / (2 * quad)  # the vertex of lin*t - quad*t^2
    lam_used = exact(float(given["lam"])) if given and "lam" in given else lam
    if bug == "no-half":
        z = [u[k] + lam_used * a[k] for k in range(2)]
    elif bug == "forget-centre":
        z = [c * a[k] / n for k in range(2)]
    else:
        z = [u[k] + lam_used * a[k] / 2 for k in range(2)]
    kkt = []
    for name in ("A", "B"):
        xh = [exact(v) for v in p["x" + name]]
        lh = exact(p["l" + name])
        f1 = c - (a[0] * xh[0] + a[1] * xh[1])  # the constraint reads f1 <= 0
        if bug == "stationarity-of-f0":
            stationary = xh == u
        else:
            stationary = all(2 * (xh[k] - u[k]) - lh * a[k] == 0 for k in range(2))
        holds = {"stat": stationary,
                 "primal": f1 >= 0 if bug == "primal-reversed" else f1 <= 0,
                 "dual": lh >= 0,
                 "slack": lh * f1 == 0}
        kkt += [f"{name}_{k}" for k in KKT_CONDITIONS if holds[k]]
    return {"g": _linear_text([(-quad, "lambda^2"), (lin, "lambda")]), "lam": _plain(lam),
            "value": _plain(lin ** 2 / (4 * quad)), "z": [_plain(v) for v in z], "kkt": kkt}


# --- H5: random Fourier features --------------------------------------------------------

_FEATURE_BUGS = ("no-scale", "minus-b", "one-over-D")
RFF_VISIBLE = {
    "var": (("variance-sigma2", "standard-normal"), 0, 0.005),
    "phi_x": (_FEATURE_BUGS, 0.002, 0),
    "phi_z": (_FEATURE_BUGS, 0.002, 0),
    "approx": (("no-scale", "one-over-D"), 0.003, 0),
    "pairs": (("no-scale", "one-over-D"), 0.003, 0),
    "exact": (("no-2", "sigma-not-squared"), 0.001, 0),
}


@keeps_slips_visible(RFF_VISIBLE)
def random_fourier_features(p, *, bug=None, given=None):
    """phi(x)_j = sqrt(2/D) cos(w_j.x + b_j) with w_j ~ N(0, I/sigma^2), b_j ~ U[0, 2 pi];
    the sin/cos-pair map psi(x) = (cos w_j.x, sin w_j.x)_j / sqrt(D) gives
    <psi(x), psi(z)> = mean_j cos(w_j.(x - z))."""
    return _rff(p, bug=bug, given=given)


def _rff(p, *, bug=None, given=None):
    W = np.array(p["W"], dtype=float)
    offsets = np.array(p["b"], dtype=float)
    x = np.array(p["x"], dtype=float)
    z = np.array(p["z"], dtype=float)
    sigma = float(p["sigma"])
    D = len(offsets)
    if bug == "no-scale":
        scale = 1.0
    elif bug == "one-over-D":  # the seed's 1/n in front of the feature vector
        scale = 1.0 / D
    else:
        scale = math.sqrt(2.0 / D)
    sign = -1.0 if bug == "minus-b" else 1.0

    def phi(v):
        return scale * np.cos(W @ v + sign * offsets)

    phi_x, phi_z = phi(x), phi(z)
    if given and "phi_x" in given:
        phi_x = np.asarray(given["phi_x"], dtype=float)
    if given and "phi_z" in given:
        phi_z = np.asarray(given["phi_z"], dtype=float)
    pair_scale = {"no-scale": 1.0, "one-over-D": 1.0 / D ** 2}.get(bug, 1.0 / D)
    pairs = pair_scale * float(np.cos(W @ (x - z)).sum())
    sq = float(((x - z) ** 2).sum())
    denom = {"no-2": sigma ** 2, "sigma-not-squared": 2 * sigma}.get(bug, 2 * sigma ** 2)
    var = {"variance-sigma2": sigma ** 2, "standard-normal": 1.0}.get(bug, 1 / sigma ** 2)
    return {"var": var, "phi_x": phi_x.tolist(), "phi_z": phi_z.tolist(),
            "approx": float(phi_x @ phi_z), "pairs": pairs, "exact": math.exp(-sq / denom)}
