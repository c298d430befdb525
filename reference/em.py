"""Reference solvers for family G: EM and latent-variable models (seeds 000, 001, 002, 003).

Conventions shared by the solvers below:

* mixture components and coins are numbered from 1 on the sheets and kept in that
  order in every vector/matrix answer (row/column 0 here is component 1);
* an M-step after an E-step honours ``given`` (the student's responsibilities, and
  where a variance needs it the student's new mean), so a later part can be judged
  from the student's own earlier answer; a given value that cannot seed the
  recomputation (wrong shape, not finite, a component with zero weight) raises
  ``Reject``;
* a draw that makes a poor exercise (all responsibilities at 0/1, a tie that leaves
  a hard assignment undefined, an empty cluster) raises ``Reject``, and so does a
  draw in which a listed misconception would land within twice the part's tolerance
  of the right answer (``reference.common.require_distinct``). The tolerances given
  to ``keeps_slips_visible`` must match the YAML parts (a test checks it).
"""

from __future__ import annotations

import math

import numpy as np

from reference import Reject
from reference.common import keeps_slips_visible, sigmoid

# A responsibility this close to 1/2 leaves "the likelier component" undefined.
_TIE = 1e-6
_PROB = (0.002, 0.0)  # probabilities asked to 3 decimals: (abs, rel) tolerance


def _normalize_rows(w):
    return w / w.sum(axis=1, keepdims=True)


def _hard(resp):
    """One-hot rows at the largest responsibility (the 'hard EM' slip)."""
    out = np.zeros_like(resp)
    out[np.arange(len(resp)), resp.argmax(axis=1)] = 1.0
    return out


def _require_mixed(first_col, *, at_least):
    """Reject an E-step that is almost all 0/1, has an exact tie, or favours one component everywhere."""
    first_col = np.asarray(first_col, dtype=float)
    if np.any(np.abs(first_col - 0.5) < _TIE):
        raise Reject("a responsibility is exactly 1/2: hard assignment undefined")
    if np.sum((first_col > 0.05) & (first_col < 0.95)) < at_least:
        raise Reject("E-step nearly hard: too few responsibilities away from 0 and 1")
    if np.all(first_col > 0.5) or np.all(first_col < 0.5):
        raise Reject("every point leans to the same component")


def _given_array(given, key, shape):
    """The student's earlier answer as a float array, or None when not given."""
    if not given or key not in given:
        return None
    value = np.asarray(given[key], dtype=float)
    if value.shape != shape or not np.all(np.isfinite(value)):
        raise Reject(f"given {key} has shape {value.shape}, expected {shape}")
    return value


def _given_two_columns(given, n):
    """Student's responsibilities of component 1 (a vector) as an n x 2 matrix."""
    g = _given_array(given, "resp", (n,))
    return None if g is None else np.column_stack([g, 1.0 - g])


def _weighted_counts(resp):
    counts = resp.sum(axis=0)
    if np.any(np.abs(counts) < 1e-9):
        raise Reject("a component gets zero total responsibility")
    return counts


# ---------------------------------------------------------------- G1, 1-D

def _gmm_resp_1d(x, pi, mu, var, bug):
    d2 = (x[:, None] - mu[None, :]) ** 2
    scale = 1.0 if bug == "no-sd-factor" else 1.0 / np.sqrt(2 * math.pi * var)
    weight = 1.0 if bug == "no-prior" else pi
    joint = weight * scale * np.exp(-d2 / (2 * var))
    return joint if bug == "unnormalized" else _normalize_rows(joint)


@keeps_slips_visible({
    "resp": (["unnormalized", "no-prior", "no-sd-factor"], *_PROB),
    "pi": (["hard-assignment", "kept-old"], *_PROB),
    "mu": (["divide-by-n", "hard-assignment"], 0.01, 0.002),
    "var": (["old-mean", "divide-by-n", "gave-std"], 0.01, 0.002),
})
def gmm_em_1d(p, *, bug=None, given=None):
    """One EM step for a two-component 1-D Gaussian mixture.

    Parts: resp (n x 2, row i = point i), pi, mu, var (each [component 1, component 2]).
    The new variances are taken around the new means (or the student's ``given['mu']``)."""
    x = np.asarray(p["x"], dtype=float)
    n = len(x)
    pi = np.array([p["pi1"], 1.0 - p["pi1"]])
    mu = np.array([p["mu1"], p["mu2"]], dtype=float)
    var = np.array([p["var1"], p["var2"]], dtype=float)

    _require_mixed(_gmm_resp_1d(x, pi, mu, var, None)[:, 0], at_least=2)
    resp = _gmm_resp_1d(x, pi, mu, var, bug)

    r = _given_array(given, "resp", (n, 2))
    r = resp if r is None else r
    if bug == "hard-assignment":
        r = _hard(r)
    counts = _weighted_counts(r)

    pi_new = pi if bug == "kept-old" else counts / n
    denom = n if bug == "divide-by-n" else counts
    mu_new = r.T @ x / denom

    centre = _given_array(given, "mu", (2,))
    centre = mu_new if centre is None else centre
    if bug == "old-mean":
        centre = mu
    var_new = (r * (x[:, None] - centre[None, :]) ** 2).sum(axis=0) / denom
    if bug == "gave-std":
        var_new = np.sqrt(var_new)

    return {
        "resp": resp.tolist(),
        "pi": pi_new.tolist(),
        "mu": mu_new.tolist(),
        "var": var_new.tolist(),
    }


# ---------------------------------------------------------------- G1, 2-D

def _gmm_resp_2d(X, pi, means, bug):
    # Both components start with the identity covariance: N(x | m, I) = exp(-|x - m|^2 / 2) / (2 pi).
    d2 = ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    half = 1.0 if bug == "no-half" else 0.5
    weight = 1.0 if bug == "no-prior" else pi
    joint = weight * np.exp(-half * d2) / (2 * math.pi)
    return joint if bug == "unnormalized" else _normalize_rows(joint)


@keeps_slips_visible({
    "resp": (["unnormalized", "no-prior", "no-half"], *_PROB),
    "pi1": (["hard-assignment", "kept-old"], *_PROB),
    "mu1": (["divide-by-n", "hard-assignment"], 0.01, 0.002),
    "mu2": (["divide-by-n", "hard-assignment"], 0.01, 0.002),
    "sigma1": (["old-mean", "divide-by-n"], 0.01, 0.002),
})
def gmm_em_2d(p, *, bug=None, given=None):
    """One EM step for a two-component 2-D Gaussian mixture starting from Sigma_k = I.

    Parts: resp (gamma_i1 for each point), pi1, mu1, mu2, sigma1 (2 x 2, around
    the new mu1 or the student's ``given['mu1']``)."""
    X = np.asarray(p["X"], dtype=float)
    n = len(X)
    pi = np.array([p["pi1"], 1.0 - p["pi1"]])
    means = np.array([p["m1"], p["m2"]], dtype=float)

    _require_mixed(_gmm_resp_2d(X, pi, means, None)[:, 0], at_least=2)
    resp = _gmm_resp_2d(X, pi, means, bug)

    r = _given_two_columns(given, n)
    r = resp if r is None else r
    if bug == "hard-assignment":
        r = _hard(r)
    counts = _weighted_counts(r)

    pi1 = p["pi1"] if bug == "kept-old" else counts[0] / n
    denom = np.full(2, float(n)) if bug == "divide-by-n" else counts
    mu_new = (r.T @ X) / denom[:, None]

    centre = _given_array(given, "mu1", (2,))
    centre = mu_new[0] if centre is None else centre
    if bug == "old-mean":
        centre = means[0]
    dev = X - centre
    sigma1 = (r[:, 0, None, None] * dev[:, :, None] * dev[:, None, :]).sum(axis=0) / denom[0]

    return {
        "resp": resp[:, 0].tolist(),
        "pi1": float(pi1),
        "mu1": mu_new[0].tolist(),
        "mu2": mu_new[1].tolist(),
        "sigma1": sigma1.tolist(),
    }


# ---------------------------------------------------------------- G2

def _coin_resp(heads, tosses, theta, pi, bug):
    # The binomial coefficient C(tosses, h) is common to both coins and cancels.
    h = heads[:, None]
    lik = theta[None, :] ** h
    if bug != "heads-only":
        lik = lik * (1.0 - theta[None, :]) ** (tosses - h)
    joint = (1.0 if bug == "no-prior" else pi) * lik
    return joint if bug == "unnormalized" else _normalize_rows(joint)


@keeps_slips_visible({
    "resp": (["unnormalized", "no-prior", "heads-only"], *_PROB),
    "theta_a": (["hard-assignment", "divide-by-all"], *_PROB),
    "theta_b": (["hard-assignment", "divide-by-all"], *_PROB),
    "pi_a": (["hard-assignment", "kept-old"], *_PROB),
})
def coins_em(p, *, bug=None, given=None):
    """One EM iteration for a mixture of two biased coins.

    Each set of ``tosses`` flips is made with coin A (probability pi_a) or coin B.
    Parts: resp (P(coin A | set i) per set), theta_a, theta_b, pi_a."""
    heads = np.asarray(p["heads"], dtype=float)
    tosses = float(p["tosses"])
    n = len(heads)
    theta = np.array([p["theta_a"], p["theta_b"]], dtype=float)
    pi = np.array([p["pi_a"], 1.0 - p["pi_a"]])

    _require_mixed(_coin_resp(heads, tosses, theta, pi, None)[:, 0], at_least=2)
    resp = _coin_resp(heads, tosses, theta, pi, bug)

    r = _given_two_columns(given, n)
    r = resp if r is None else r
    if bug == "hard-assignment":
        r = _hard(r)
    counts = _weighted_counts(r)
    # theta_k = expected heads of coin k / expected flips of coin k
    flips = n * tosses if bug == "divide-by-all" else counts * tosses
    theta_new = r.T @ heads / flips
    pi_a = p["pi_a"] if bug == "kept-old" else counts[0] / n
    return {
        "resp": resp[:, 0].tolist(),
        "theta_a": float(theta_new[0]),
        "theta_b": float(theta_new[1]),
        "pi_a": float(pi_a),
    }


# ---------------------------------------------------------------- G3

def _label_posterior(labels, alpha, beta, pi1, bug):
    """q_i(Z_i = 1) under p(l_ij = Z_i) = sigmoid(alpha_j beta_i)."""
    right = sigmoid(np.outer(beta, alpha))  # P(expert j labels image i correctly)
    like1 = np.prod(np.where(labels == 1, right, 1.0 - right), axis=1)
    like0 = np.prod(np.where(labels == 0, right, 1.0 - right), axis=1)
    prior1, prior0 = (1.0, 1.0) if bug == "no-prior" else (pi1, 1.0 - pi1)
    num1, num0 = prior1 * like1, prior0 * like0
    if bug == "unnormalized":
        return num1
    post = num1 / (num1 + num0)
    return 1.0 - post if bug == "complement" else post


def _label_grads(labels, alpha, beta, post, bug):
    """Gradients of Q with respect to every alpha_j and every beta_i."""
    if bug == "hard-posterior":
        post = (post > 0.5).astype(float)
    correct = np.where(labels == 1, post[:, None], 1.0 - post[:, None])
    resid = correct - sigmoid(np.outer(beta, alpha))
    if bug == "sign":
        resid = -resid
    beta_factor = np.ones_like(beta) if bug == "missing-beta" else beta
    alpha_factor = np.ones_like(alpha) if bug == "missing-alpha" else alpha
    return beta_factor @ resid, resid @ alpha_factor


# d/dw [q ln s(alpha beta) + (1 - q) ln s(-alpha beta)] for w = alpha or beta; {f} is
# the inner derivative (beta for w = alpha, alpha for w = beta).
_LABEL_GRAD_EXPR = {
    None: "{f}*(q - sigmoid(alpha*beta))",
    "sign": "{f}*(sigmoid(alpha*beta) - q)",
    "missing-inner": "q - sigmoid(alpha*beta)",
    "dlog-is-sigmoid": "{f}*(q*sigmoid(alpha*beta) - (1 - q)*sigmoid(-alpha*beta))",
}


@keeps_slips_visible({
    "post": (["no-prior", "unnormalized", "complement"], *_PROB),
    "grad_alpha": (["sign", "missing-beta", "hard-posterior"], 0.003, 0.005),
    "grad_beta": (["sign", "missing-alpha", "hard-posterior"], 0.003, 0.005),
})
def noisy_labels(p, *, bug=None, given=None):
    """EM for labels from several experts, p(l_ij = Z_i) = sigmoid(alpha_j beta_i).

    Parts: post (q_i(Z_i = 1) per image), grad_alpha (dQ/d alpha_j at the current
    parameters, j = p['j']), grad_beta (dQ/d beta_i, i = p['i']), grad_expr (one
    image and one expert: the derivative with respect to p['wrt'], alpha or beta, as an
    expression in q, alpha, beta).

    With a_ij = q_i(Z_i = l_ij), the probability that label l_ij is right,
    Q = sum_ij [a_ij log s(alpha_j beta_i) + (1 - a_ij) log s(-alpha_j beta_i)] + const,
    and since d log s(t)/dt = s(-t) = 1 - s(t) the partial derivatives reduce to
    sum_i beta_i (a_ij - s(alpha_j beta_i)) and sum_j alpha_j (a_ij - s(alpha_j beta_i))."""
    labels = np.asarray(p["labels"], dtype=int)
    alpha = np.asarray(p["alpha"], dtype=float)
    beta = np.asarray(p["beta"], dtype=float)
    j, i = p["j"] - 1, p["i"] - 1

    true_post = _label_posterior(labels, alpha, beta, p["pi1"], None)
    if np.any(np.abs(true_post - 0.5) < 0.02):
        raise Reject("a posterior too close to 1/2 for the hard-posterior slip")
    post = _label_posterior(labels, alpha, beta, p["pi1"], bug)

    q = _given_array(given, "post", (len(beta),))
    g_alpha, g_beta = _label_grads(labels, alpha, beta, post if q is None else q, bug)
    return {
        "post": post.tolist(),
        "grad_alpha": float(g_alpha[j]),
        "grad_beta": float(g_beta[i]),
        "grad_expr": _LABEL_GRAD_EXPR.get(bug, _LABEL_GRAD_EXPR[None]).format(
            f="beta" if p["wrt"] == "alpha" else "alpha"),
    }


# ---------------------------------------------------------------- G4

def _kl(a, b):
    return float(np.sum(a * np.log(a / b)))


_IDENTITY_SLIPS = {"minus-kl": "minus", "no-log": "no-log", "reversed-kl": "reversed"}


@keeps_slips_visible({
    "kl_qr": (["reversed", "log2", "unweighted"], 0.002, 0.005),
    "kl_rq": (["reversed", "log2", "unweighted"], 0.002, 0.005),
    "gap": (["sign"], 0.002, 0.0),
})
def elbo_kl_facts(p, *, bug=None, given=None):
    """The ELBO decomposition, KL facts, and KL between two drawn laws on 3 points.

    Parts: identity (choice), facts (multi-choice), kl_qr = KL(q||r), kl_rq = KL(r||q)
    (natural logarithms), gap = KL(q || p(Z|X)) = ln p(X) - ELBO."""
    q, r = np.asarray(p["q"], dtype=float), np.asarray(p["r"], dtype=float)
    kl_qr, kl_rq = _kl(q, r), _kl(r, q)
    if bug == "reversed":
        kl_qr, kl_rq = kl_rq, kl_qr
    elif bug == "log2":
        kl_qr, kl_rq = kl_qr / math.log(2), kl_rq / math.log(2)
    elif bug == "unweighted":
        kl_qr = float(np.sum(np.log(q / r)))
        kl_rq = -kl_qr

    facts = {"kl-nonneg", "kl-zero", "elbo-bound", "estep-tight"}
    if bug == "symmetric-kl":
        facts.add("kl-symmetric")
    elif bug == "mstep-kl":
        facts.add("mstep-min-kl")
    gap = p["loglik"] - p["elbo"]
    return {
        "identity": _IDENTITY_SLIPS.get(bug, "plus"),
        "facts": sorted(facts),
        "kl_qr": kl_qr,
        "kl_rq": kl_rq,
        "gap": -gap if bug == "sign" else gap,
    }


@keeps_slips_visible({
    "var_q": (["marginal", "precision"], 0.001, 0.002),
    "m1": (["sign", "no-division"], 0.002, 0.002),
    "m2": (["sign", "stale"], 0.002, 0.002),
    "fixed_point": (["one-sweep"], 0.002, 0.0),
    "var_pq": (["mean-field"], 0.002, 0.005),
})
def mean_field_gaussian(p, *, bug=None, given=None):
    """Mean-field q(z1) q(z2) for p(z) = N(mu, inv(Lambda)), one coordinate sweep.

    Parts: var_q ([1/L11, 1/L22]), m1 (update from E[z2] = b0), m2 (update from the
    new m1, or the student's ``given['m1']``), fixed_point, var_pq (variance of q1 when
    KL(p||q) is minimised instead: the marginal variance), compare (boolean: is v1
    smaller, or larger, than the marginal variance, as p['ask'] words it)."""
    mu1, mu2 = p["mu1"], p["mu2"]
    l11, l22, l12 = p["l11"], p["l22"], p["l12"]
    det = l11 * l22 - l12 * l12
    if det <= 0:
        raise Reject("precision matrix not positive definite")

    var_q = [1.0 / l11, 1.0 / l22]
    if bug == "marginal":
        var_q = [l22 / det, l11 / det]
    elif bug == "precision":
        var_q = [float(l11), float(l22)]

    def update(mean, prec, other, other_mean, slip):
        # m_k = mu_k - (L_kl / L_kk) (E[z_l] - mu_l)
        step = l12 * (other - other_mean) / (1.0 if slip == "no-division" else prec)
        return mean + step if slip == "sign" else mean - step

    m1 = update(mu1, l11, p["b0"], mu2, bug)
    # m2's own slips are judged from a correct m1 (or the student's m1): a sign
    # slipped in both updates cancels and gives the right m2 anyway.
    m1_in = float(given["m1"]) if given and "m1" in given else update(mu1, l11, p["b0"], mu2, None)
    m2 = update(mu2, l22, p["a0"] if bug == "stale" else m1_in, mu1, bug)

    fixed = [m1, m2] if bug == "one-sweep" else [float(mu1), float(mu2)]
    return {
        "var_q": var_q,
        "m1": float(m1),
        "m2": float(m2),
        "fixed_point": fixed,
        "var_pq": 1.0 / l11 if bug == "mean-field" else l22 / det,
        # mean field is narrower than the marginal whenever L12 != 0
        "compare": (p["ask"] == "smaller") != (bug == "overestimates"),
    }


# ---------------------------------------------------------------- G5

_KL_STD_NORMAL = {
    None: "(s^2 + m^2 - 1)/2 - log(s)",
    "no-half": "s^2 + m^2 - 1 - log(s^2)",
    "log-sign": "(s^2 + m^2 - 1 + log(s^2))/2",
    "log-s": "(s^2 + m^2 - 1 - log(s))/2",
    "reversed": "log(s) + (1 + m^2)/(2*s^2) - 1/2",
}


def _kl_std_normal(m, s, bug):
    """KL(N(m, s^2) || N(0, 1)) and the slips of _KL_STD_NORMAL, as numbers."""
    if bug == "no-half":
        return s * s + m * m - 1 - 2 * math.log(s)
    if bug == "log-sign":
        return (s * s + m * m - 1) / 2 + math.log(s)
    if bug == "log-s":
        return (s * s + m * m - 1 - math.log(s)) / 2
    if bug == "reversed":
        return math.log(s) + (1 + m * m) / (2 * s * s) - 0.5
    return (s * s + m * m - 1) / 2 - math.log(s)


def _kl_std_normal_grad(m, s, bug):
    if bug == "no-half":
        return [2 * m, 2 * s - 2 / s]
    if bug == "log-sign":
        return [m, s + 1 / s]
    if bug == "log-s":
        return [m, s - 1 / (2 * s)]
    return [m, s - 1 / s]


@keeps_slips_visible({
    "kl_value": (["no-half", "log-sign", "log-s", "reversed"], 0.002, 0.005),
    "kl_grad": (["no-half", "log-sign", "log-s"], 0.002, 0.005),
    "z_sample": (["variance", "no-shift"], 0.002, 0.0),
    "f_grad": (["no-eps", "sample-fixed"], 0.005, 0.005),
})
def gaussian_kl_reparam(p, *, bug=None, given=None):
    """KL(N(m, s^2) || N(0, 1)) and the reparameterisation z = m + s*eps.

    Parts: kl_expr, kl_value, kl_grad ([dKL/dm, dKL/ds]), z_sample, f_grad (the one-sample
    gradient of f(z) = (z - c)^2 with respect to [m, s], from the student's
    ``given['z_sample']`` when given)."""
    m, s, eps, c = p["m"], p["s"], p["eps"], p["c"]
    z = m + s * eps
    if abs(z - c) < 0.05:
        raise Reject("z too close to c: the gradient vanishes")
    if bug == "variance":
        z = m + s * s * eps
    elif bug == "no-shift":
        z = s * eps

    z_used = float(given["z_sample"]) if given and "z_sample" in given else z
    slope = 2 * (z_used - c)  # f'(z); dz/dm = 1, dz/ds = eps
    f_grad = [slope, slope * eps]
    if bug == "no-eps":
        f_grad = [slope, slope]
    elif bug == "sample-fixed":
        f_grad = [0.0, 0.0]
    return {
        "kl_expr": _KL_STD_NORMAL.get(bug, _KL_STD_NORMAL[None]),
        "kl_value": _kl_std_normal(m, s, bug),
        "kl_grad": _kl_std_normal_grad(m, s, bug),
        "z_sample": float(z),
        "f_grad": f_grad,
    }


# ---------------------------------------------------------------- G6

def _assign(X, centres, metric):
    diff = X[:, None, :] - centres[None, :, :]
    dist = np.abs(diff).sum(axis=2) if metric == "l1" else (diff ** 2).sum(axis=2)
    nearest_two = np.sort(dist, axis=1)[:, :2]
    if np.any(nearest_two[:, 1] - nearest_two[:, 0] < 1e-9):
        raise Reject(f"a point is equally far ({metric}) from two centres")
    return dist.argmin(axis=1)


def _centres(X, labels, old, bug):
    out = np.empty_like(old)
    for k in range(len(old)):
        members = X[labels == k]
        if len(members) == 0:
            raise Reject("empty cluster")
        if bug == "include-old":
            members = np.vstack([members, old[k]])
        out[k] = members.sum(axis=0) / (len(X) if bug == "divide-by-n" else len(members))
    return out


@keeps_slips_visible({
    "assign": (["l1"], 0.01, 0.0),
    "centres": (["include-old", "divide-by-n"], 0.01, 0.0),
    "objective": (["old-centres", "no-square"], 0.02, 0.002),
})
def kmeans_step(p, *, bug=None, given=None):
    """One k-means iteration (hard EM) on 2-D points with K = 2.

    Parts: assign (cluster number 1..K of each point), centres (K x 2), objective
    (sum of squared distances to the new centres under the new assignment, or the
    student's ``given`` ones), limit (boolean: does EM with shared covariance sigma^2 I
    become k-means as sigma^2 tends to p['sigma_limit'], 0 or infinity)."""
    X = np.asarray(p["X"], dtype=float)
    old = np.array([p["c1"], p["c2"]], dtype=float)
    k = len(old)

    labels = _assign(X, old, "l2")
    _centres(X, labels, old, None)  # an empty cluster makes the update undefined
    if bug == "l1":
        labels = _assign(X, old, "l1")

    if given and "assign" in given:
        raw = np.asarray(given["assign"], dtype=float)
        if raw.shape != labels.shape or not np.all(np.isin(raw, np.arange(1, k + 1))):
            raise Reject("given assignment is not a list of cluster numbers")
        labels = raw.astype(int) - 1
    centres = _centres(X, labels, old, bug)

    used = _given_array(given, "centres", old.shape)
    used = centres if used is None else used
    if bug == "old-centres":
        used = old
    dist2 = ((X - used[labels]) ** 2).sum(axis=1)
    objective = np.sqrt(dist2).sum() if bug == "no-square" else dist2.sum()

    return {
        "assign": (labels + 1).tolist(),
        "centres": centres.tolist(),
        "objective": float(objective),
        # sigma^2 -> 0 makes every responsibility 0/1 (k-means); -> infinity makes them all 1/K
        "limit": (p["sigma_limit"] == "zero") != (bug == "limits-swapped"),
    }
