"""Reference solver for family K4: scaled dot-product attention by hand (004 §5.3 notes).

Framework conventions matched (and printed on the sheet):
- Attention as in ``F.scaled_dot_product_attention(Q, K, V, is_causal=True)``: scores
  S = Q K^T / sqrt(d_k), the causal mask sets S_ij = -inf for j > i (a query never sees
  later keys), A = softmax over each row (over the keys), output O = A V.
- Multi-head attention counted as ``nn.MultiheadAttention(d, h)``: three d x d input
  projections with biases (split into h heads of size d / h, so h does not change the
  count) and one d x d output projection with bias: 4 d^2 + 4 d.
- Sinusoidal positional encoding of "Attention is all you need":
  PE(pos, 2k) = sin(pos / 10000^(2k/d)), PE(pos, 2k+1) = cos(pos / 10000^(2k/d)), radians.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from reference.common import keeps_slips_visible

_EXACT_TOL, _W_TOL, _OUT_TOL = 0.001, 0.002, 0.005
ATTENTION_VISIBLE = {
    "scores": (("no-scale", "scale-by-d"), _EXACT_TOL, 0),
    "weights": (("no-scale", "softmax-columns", "mask-ignored"), _W_TOL, 0),
    "output": (("no-scale", "softmax-columns", "mask-ignored"), _OUT_TOL, 0),
    "grad_v": (("missing-transpose",), _OUT_TOL, 0),
    "grad_q": (("no-scale-backward", "jacobian-diagonal-only"), _OUT_TOL, 0),
    "pe": (("sin-cos-swapped", "odd-exponent"), 0.001, 0),
}


def _softmax(S, mask, axis):
    """Softmax of S along ``axis`` with the masked entries (mask True) taken as -inf."""
    z = np.where(mask, -np.inf, S)
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def attention_forward(Q, K, V, *, bug=None):
    """(scores, weights, output) as a student with ``bug`` would compute them."""
    d = Q.shape[1]
    scale = {"no-scale": 1.0, "scale-by-d": float(d)}.get(bug, math.sqrt(d))
    S = Q @ K.T / scale
    n = S.shape[0]
    mask = np.triu(np.ones((n, n), dtype=bool), k=1)
    if bug == "mask-ignored":
        mask = np.zeros_like(mask)
    A = _softmax(S, mask, axis=0 if bug == "softmax-columns" else 1)
    return S, A, A @ V


def attention_backward(A, K, V, G, *, bug=None):
    """dL/dV and dL/dQ for L with dL/dO = G, from the weights A."""
    d = K.shape[1]
    dV = A @ G if bug == "missing-transpose" else A.T @ G
    dA = G @ V.T
    # softmax backward per row: dS_ij = A_ij (dA_ij - sum_k A_ik dA_ik); masked A_ij = 0
    if bug == "jacobian-diagonal-only":
        dS = A * dA
    else:
        dS = A * (dA - np.sum(A * dA, axis=1, keepdims=True))
    scale = 1.0 if bug == "no-scale-backward" else math.sqrt(d)
    return dV, dS @ K / scale


def mha_param_count(d, h, *, bug=None):
    if bug == "no-bias":
        return 4 * d * d
    if bug == "no-output-projection":
        return 3 * d * d + 3 * d
    if bug == "per-head-full-size":
        return h * 3 * (d * d + d) + d * d + d
    return 4 * d * d + 4 * d


def positional_encoding(pos, k, d, *, bug=None):
    """[PE(pos, 2k), PE(pos, 2k + 1)]."""
    angle = pos / 10000 ** (2 * k / d)
    odd_angle = pos / 10000 ** ((2 * k + 1) / d) if bug == "odd-exponent" else angle
    pair = [math.sin(angle), math.cos(odd_angle)]
    if bug == "sin-cos-swapped":
        pair = [math.cos(angle), math.sin(angle)]
    return pair


@keeps_slips_visible(ATTENTION_VISIBLE)
def scaled_dot_product_attention(p, *, bug=None, given=None):
    """K4: causal scores, weights, output, dL/dV and dL/dQ; MHA parameters; a PE pair."""
    given = given or {}
    Q, K, V, G = (np.array(p[k], dtype=float) for k in ("Q", "K", "V", "G"))
    S, A, O = attention_forward(Q, K, V, bug=bug)
    d = Q.shape[1]
    if "weights" in given:
        A_used = np.asarray(given["weights"], dtype=float).reshape(A.shape)
        O = A_used @ V
    else:
        A_used = A
    dV, dQ = attention_backward(A_used, K, V, G, bug=bug)
    # Scores are multiples of 1/sqrt(d) = 1/2: exact fractions for a clean key.
    scale = {"no-scale": 1, "scale-by-d": d}.get(bug, math.isqrt(d))
    scores = [[Fraction(int(round(v * scale)), scale) for v in r] for r in S.tolist()]
    return {
        "scores": scores,
        "weights": A.tolist(),
        "output": O.tolist(),
        "grad_v": dV.tolist(),
        "grad_q": dQ.tolist(),
        "mha_params": mha_param_count(int(p["d_model"]), int(p["heads"]), bug=bug),
        "pe": positional_encoding(int(p["pos"]), int(p["k"]), int(p["d_pe"]), bug=bug),
    }
