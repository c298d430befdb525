"""Reference solvers for family K: normalization, dropout and the softmax cross-entropy
gradient (004 §5.2-5.3 notes).

Framework conventions matched (and printed on the sheets):
- Batch normalization follows PyTorch's ``nn.BatchNorm1d`` in training mode: the batch
  is normalized with the *biased* batch variance (divide by m), y = gamma * xhat + beta
  with xhat = (x - mu) / sqrt(var + eps); the running statistics are updated as
  r <- (1 - momentum) r + momentum * stat, and the running variance stores the *unbiased*
  batch variance (divide by m - 1). Inference mode uses the running statistics.
- Layer normalization follows ``nn.LayerNorm``: each sample is normalized over its own
  features with the biased variance.
- Inverted dropout follows ``nn.Dropout``: kept units are scaled by 1 / (1 - p) in
  training, and evaluation mode is the identity.
- The softmax cross-entropy follows ``F.cross_entropy`` with ``reduction='mean'`` or
  ``'sum'`` (natural logarithm).

K1 batch-norm forward, K2 batch-norm backward and layer norm, K3 dropout and DropConnect,
K5 the softmax cross-entropy gradient.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from reference import Reject
from reference.common import exact, keeps_slips_visible

BN_EPS = 1e-5   # PyTorch's default; printed on the sheet


def _float_list(v):
    return [float(x) for x in np.asarray(v, dtype=float).ravel()]


# --- K1: batch normalization forward -----------------------------------------------------

_STAT_TOL, _OUT_TOL = 0.001, 0.005
BN_FORWARD_VISIBLE = {
    "var": (("unbiased-variance",), _STAT_TOL, 0),
    "y": (("unbiased-variance", "no-sqrt", "shift-before-scale"), _OUT_TOL, 0),
    "running_mean": (("momentum-swapped",), _STAT_TOL, 0),
    "running_var": (("momentum-swapped", "biased-running-var"), _STAT_TOL, 0),
    "infer": (("batch-stats-in-inference", "momentum-swapped"), _OUT_TOL, 0),
}


def _batch_stats(x, bug=None):
    """Mean and variance of a batch as exact fractions; the biased variance unless the
    misconception divides by m - 1."""
    m = len(x)
    mu = sum(x) / m
    ss = sum((v - mu) ** 2 for v in x)
    return mu, ss / (m - 1 if bug == "unbiased-variance" else m)


def _affine(xhat, gamma, beta, bug=None):
    if bug == "shift-before-scale":
        return gamma * (xhat + beta)
    return gamma * xhat + beta


@keeps_slips_visible(BN_FORWARD_VISIBLE)
def batchnorm_forward(p, *, bug=None, given=None):
    """K1: batch mean and (biased) variance, the normalized outputs, the running statistics
    after one update, and one output in inference mode."""
    given = given or {}
    x = [Fraction(int(v)) for v in p["x"]]
    gamma, beta, mom = exact(p["gamma"]), exact(p["beta"]), exact(p["momentum"])
    r_mean, r_var = exact(p["r_mean"]), exact(p["r_var"])
    m = len(x)
    mu, var = _batch_stats(x, bug)
    true_mu, true_var = _batch_stats(x)
    if true_var < 1:
        raise Reject("the batch is too concentrated for a readable normalization")
    mu_used = exact(given["mean"]) if "mean" in given else mu
    var_used = exact(given["var"]) if "var" in given else var

    def norm(v, center, spread):
        s = float(spread) + BN_EPS
        return (float(v) - float(center)) / (s if bug == "no-sqrt" else math.sqrt(s))

    y = [float(_affine(norm(v, mu_used, var_used), float(gamma), float(beta), bug)) for v in x]

    keep, take = (mom, 1 - mom) if bug == "momentum-swapped" else (1 - mom, mom)
    # The running statistics start from the true batch statistics (or the student's own):
    # PyTorch stores the unbiased batch variance there; the slip keeps the biased one.
    mu_run = exact(given["mean"]) if "mean" in given else true_mu
    var_run = exact(given["var"]) if "var" in given else true_var
    stored_var = var_run if bug == "biased-running-var" else var_run * m / (m - 1)
    new_mean = keep * r_mean + take * mu_run
    new_var = keep * r_var + take * stored_var
    rm_used = exact(given["running_mean"]) if "running_mean" in given else new_mean
    rv_used = exact(given["running_var"]) if "running_var" in given else new_var
    if bug == "batch-stats-in-inference":
        rm_used, rv_used = true_mu, true_var
    infer = float(_affine(norm(p["x_new"], rm_used, rv_used), float(gamma), float(beta)))
    return {"mean": mu, "var": var, "y": y, "running_mean": new_mean,
            "running_var": new_var, "infer": infer}


# --- K5: softmax cross-entropy gradient over a batch ------------------------------------

_CE_TOL = 0.002
CE_VISIBLE = {
    "probs": (("softmax-columns",), _CE_TOL, 0),
    "loss": (("wrong-reduction", "softmax-columns"), _CE_TOL, 0),
    "grad": (("wrong-reduction", "y-minus-p", "softmax-columns"), _CE_TOL, 0),
}


def _softmax_rows(Z, axis=1):
    e = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@keeps_slips_visible(CE_VISIBLE)
def softmax_ce_batch(p, *, bug=None, given=None):
    """K5: probabilities, the batch loss (mean or sum) and dL/dZ = (P - Y) / N or P - Y."""
    given = given or {}
    Z = np.array(p["Z"], dtype=float)
    labels = [int(c) for c in p["y"]]
    n = Z.shape[0]
    reduction = p["reduction"]
    if bug == "wrong-reduction":
        reduction = "sum" if reduction == "mean" else "mean"
    P = _softmax_rows(Z, axis=0 if bug == "softmax-columns" else 1)
    P_used = np.asarray(given["probs"], dtype=float).reshape(P.shape) if "probs" in given else P
    Y = np.eye(Z.shape[1])[labels]
    per_sample = [-math.log(P_used[i, c]) if P_used[i, c] > 0 else math.inf
                  for i, c in enumerate(labels)]
    scale = 1 / n if reduction == "mean" else 1
    diff = Y - P_used if bug == "y-minus-p" else P_used - Y
    return {"probs": P.tolist(), "loss": scale * sum(per_sample), "grad": (scale * diff).tolist()}


# --- K3: inverted dropout backward and DropConnect moments ------------------------------

_DROP_TOL = 0.001
DROPOUT_VISIBLE = {
    "y": (("no-inverse-scale", "scale-by-p", "mask-inverted"), _DROP_TOL, 0),
    "dx": (("no-inverse-scale", "scale-by-p", "mask-ignored-backward"), _DROP_TOL, 0),
    "y_eval": (("scale-at-test",), _DROP_TOL, 0),
    "dc_mean": (("no-keep-factor", "drop-prob-as-keep"), _DROP_TOL, 0),
    "dc_var": (("var-of-sum-squared", "keep-prob-only"), _DROP_TOL, 0),
}


@keeps_slips_visible(DROPOUT_VISIBLE)
def dropout_backward(p, *, bug=None, given=None):
    """K3: inverted dropout with a given mask (forward, backward, evaluation), and the mean
    and variance of a DropConnect pre-activation z = sum_j m_j w_j u_j, m_j ~ Bernoulli(q)."""
    rate = exact(p["p"])
    x = [Fraction(int(v)) for v in p["x"]]
    g = [Fraction(int(v)) for v in p["g"]]
    mask = [int(v) for v in p["mask"]]
    if bug == "mask-inverted":
        mask = [1 - m for m in mask]
    scale = {"no-inverse-scale": Fraction(1), "scale-by-p": 1 / rate}.get(bug, 1 / (1 - rate))
    y = [m * v * scale for m, v in zip(mask, x)]
    back_mask = [1] * len(mask) if bug == "mask-ignored-backward" else mask
    dx = [m * v * scale for m, v in zip(back_mask, g)]
    y_eval = [(1 - rate) * v if bug == "scale-at-test" else v for v in x]

    keep = 1 - exact(p["p_dc"])
    if bug == "drop-prob-as-keep":
        keep = 1 - keep
    terms = [Fraction(int(a) * int(b)) for a, b in zip(p["w"], p["u"])]
    mean = sum(terms) if bug == "no-keep-factor" else keep * sum(terms)
    if bug == "var-of-sum-squared":
        var = keep * (1 - keep) * sum(terms) ** 2
    elif bug == "keep-prob-only":
        var = keep * sum(t * t for t in terms)
    else:
        var = keep * (1 - keep) * sum(t * t for t in terms)
    return {"y": y, "dx": dx, "y_eval": y_eval, "dc_mean": mean, "dc_var": var}


# --- K2: batch-norm backward and layer-norm forward -------------------------------------

_BACK_TOL = 0.002
BN_BACKWARD_VISIBLE = {
    "dbeta": (("mean-not-sum",), _BACK_TOL, 0),
    "dgamma": (("no-xhat",), _BACK_TOL, 0),
    "dx": (("no-batch-coupling", "missing-variance-term", "unbiased-variance"), _BACK_TOL, 0),
    "ln": (("batch-axis", "unbiased-variance"), _BACK_TOL, 0),
}


def _normalize(X, axis, bug=None):
    """(X - mean) / sqrt(var + eps) along ``axis`` with the biased variance (or the slip's
    unbiased one)."""
    X = np.asarray(X, dtype=float)
    mu = X.mean(axis=axis, keepdims=True)
    ddof = 1 if bug == "unbiased-variance" else 0
    var = X.var(axis=axis, ddof=ddof, keepdims=True)
    return (X - mu) / np.sqrt(var + BN_EPS), np.sqrt(var + BN_EPS)


@keeps_slips_visible(BN_BACKWARD_VISIBLE)
def batchnorm_backward(p, *, bug=None, given=None):
    """K2: dbeta, dgamma and dx of training-mode batch norm on one feature for an upstream
    gradient g, dx = (gamma / sigma) (g - mean(g) - xhat mean(g xhat)); then a layer norm of
    each row of a 2x3 matrix with per-feature gamma and beta."""
    given = given or {}
    x = np.array(p["x"], dtype=float)
    g = np.array(p["g"], dtype=float)
    gamma = float(p["gamma"])
    m = len(x)
    if x.var() < 1:
        raise Reject("the batch is too concentrated for a readable normalization")
    xhat, sigma = _normalize(x, 0, bug)
    dbeta = g.mean() if bug == "mean-not-sum" else g.sum()
    dgamma = g.sum() if bug == "no-xhat" else float((g * xhat).sum())
    sum_g = float(given["dbeta"]) if "dbeta" in given else g.sum()
    sum_gx = float(given["dgamma"]) if "dgamma" in given else float((g * xhat).sum())
    if bug == "no-batch-coupling":      # mu and sigma treated as constants
        dx = gamma * g / sigma
    elif bug == "missing-variance-term":  # only the mean's path through the batch
        dx = gamma / sigma * (g - sum_g / m)
    else:
        dx = gamma / sigma * (g - sum_g / m - xhat * sum_gx / m)

    L = np.array(p["L"], dtype=float)
    Lhat, _ = _normalize(L, 0 if bug == "batch-axis" else 1, bug)
    ln = Lhat * np.array(p["ln_gamma"], dtype=float) + np.array(p["ln_beta"], dtype=float)
    return {"dbeta": float(dbeta), "dgamma": float(dgamma), "dx": dx.tolist(), "ln": ln.tolist()}
