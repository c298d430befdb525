"""Reference solvers for family I: convolutional networks (004 ch. 6, left empty there).

Framework conventions matched (and printed on the sheets), those of PyTorch's
``nn.Conv2d`` / ``F.conv2d``, ``F.max_pool2d`` and ``F.avg_pool2d``:
- a "convolution" layer computes the cross-correlation: the kernel is not flipped,
  Y[i, j] = b + sum_{c, u, v} W[c, u, v] * Xpad[c, s*i + u, s*j + v];
- zero padding of p on every side; output size floor((n + 2p - d(k - 1) - 1) / s) + 1
  (dilation d), pooling windows that do not fit are dropped (floor, ``ceil_mode=False``);
- the channels of the input are summed; with ``groups = g`` each output channel sees
  C_in / g input channels;
- max-pooling routes the gradient to the first maximum of a window in row-major order
  (what PyTorch's CPU kernel does on ties).

I1 shapes, parameter counts and the receptive field of a conv stack; I2 a convolution and
pooling by hand; I3 backprop through a convolution and max-pooling; I4 a small CNN
against a dense net (parameters and multiply-adds).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from reference import Reject
from reference.common import keeps_slips_visible


def cross_correlate(X, W, b=0, stride=1, pad=0):
    """X: (c, n, n), W: (c, k, k) -> one output map (integer arithmetic when inputs are ints)."""
    X = np.pad(np.asarray(X), ((0, 0), (pad, pad), (pad, pad)))
    W = np.asarray(W)
    k = W.shape[1]
    m = (X.shape[1] - k) // stride + 1
    out = np.empty((m, m), dtype=object)
    for i in range(m):
        for j in range(m):
            win = X[:, i * stride:i * stride + k, j * stride:j * stride + k]
            out[i, j] = b + (win * W).sum()
    return out


def pool(Y, size, stride, mode):
    """Max or average pooling of a square map (windows that do not fit are dropped)."""
    Y = np.asarray(Y, dtype=object)
    m = (Y.shape[0] - size) // stride + 1
    out = [[None] * m for _ in range(m)]
    for i in range(m):
        for j in range(m):
            win = [Y[i * stride + u, j * stride + v] for u in range(size) for v in range(size)]
            # exact for integer or fraction entries, float once a float is among them
            out[i][j] = max(win) if mode == "max" else sum(win, Fraction(0)) / len(win)
    return out


# --- I2: a convolution and pooling by hand -----------------------------------------------

# "forgotten-padding" and "pool-stride-swapped" change the shape of the answer, so they are
# always visible and are not listed here (the comparison below needs equal shapes).
CONV_VISIBLE = {"Y": (("flipped-kernel",), 0.001, 0)}


@keeps_slips_visible(CONV_VISIBLE)
def conv_by_hand(p, *, bug=None, given=None):
    """I2: the output map of a one- or two-channel cross-correlation with stride and zero
    padding, then its max- and average-pooling."""
    given = given or {}
    c, s, pad = int(p["c"]), int(p["s"]), int(p["pad"])
    X = np.array([p["Xa"], p["Xb"]][:c], dtype=np.int64)
    W = np.array([p["Wa"], p["Wb"]][:c], dtype=np.int64)
    if bug == "flipped-kernel":
        W = W[:, ::-1, ::-1]
    Y = cross_correlate(X, W, int(p["b"]), s, 0 if bug == "forgotten-padding" else pad)
    Y_used = np.asarray(given["Y"], dtype=object) if "Y" in given else Y
    if Y_used.ndim != 2 or Y_used.shape[0] != Y_used.shape[1]:
        raise Reject("the given map is not square")
    pk, ps = int(p["pk"]), int(p["ps"])
    if bug == "pool-stride-swapped":
        ps = 1 if ps == 2 else 2
    Y_used = np.vectorize(_exact_or_float, otypes=[object])(Y_used)
    return {"Y": [[int(v) for v in r] for r in Y.tolist()],
            "maxpool": pool(Y_used, pk, ps, "max"),
            "avgpool": pool(Y_used, pk, ps, "avg")}


def _exact_or_float(v):
    if isinstance(v, (int, np.integer, Fraction)):
        return Fraction(int(v)) if isinstance(v, np.integer) else v
    f = float(v)
    return Fraction(int(f)) if f.is_integer() else f


# --- I1: shapes, parameter counts and the receptive field of a conv stack ----------------

def conv_size(n, k, s=1, p=0, d=1, *, bug=None):
    """floor((n + 2p - d(k - 1) - 1) / s) + 1, or what a student with ``bug`` computes."""
    if bug == "forgotten-padding":
        p = 0
    if bug == "dilation-ignored":
        d = 1
    span = d * (k - 1) + 1
    return (n + 2 * p - span) // s + (0 if bug == "off-by-one" else 1)


def conv_stack(p, *, bug=None, given=None):
    """I1: conv1 (k1, s1, p1, dilation d1, bias) -> 2x2 max-pool, stride 2 -> grouped conv2
    (3x3, s2, p2, groups g, no bias). Sizes, parameter counts, receptive field."""
    given = given or {}
    n, c_in, c1, c2, g = (int(p[k]) for k in ("n", "c_in", "c1", "c2", "g"))
    k1, s1, p1, d1 = (int(p[k]) for k in ("k1", "s1", "p1", "d1"))
    s2, p2, k2 = int(p["s2"]), int(p["p2"]), 3
    if conv_size(conv_size(n, k1, s1, p1, d1) // 2, k2, s2, p2) < 2:
        raise Reject("the stack shrinks the image to nothing")
    size_bug = bug if bug in ("off-by-one", "forgotten-padding", "dilation-ignored") else None
    h1 = conv_size(n, k1, s1, p1, d1, bug=size_bug)
    h2 = (int(given["h1"]) if "h1" in given else h1) // 2
    h3 = conv_size(int(given["h2"]) if "h2" in given else h2, k2, s2, p2,
                   bug=size_bug if size_bug != "dilation-ignored" else None)

    weights1 = c1 * (k1 * k1 * (1 if bug == "no-in-channels" else c_in))
    params1 = weights1 + (0 if bug == "no-bias" else c1)
    params2 = c2 * (c1 if bug == "groups-ignored" else c1 // g) * k2 * k2
    if bug == "bias-added":
        params2 += c2
    # receptive field: r = 1 + sum over layers of (effective kernel - 1) * product of the
    # strides of the layers before it
    layers = [(d1 * (k1 - 1) + 1, s1), (2, 2), (k2, s2)]
    if bug == "dilation-ignored":
        layers[0] = (k1, s1)
    r, jump = 1, 1
    for span, stride in layers:
        r += (span - 1) * jump
        jump *= 1 if bug == "strides-ignored" else stride
    return {"h1": h1, "h2": h2, "h3": h3, "params1": params1, "params2": params2, "rf": r}


# --- I3: backprop through a convolution and through max-pooling --------------------------

_BACK_TOL = 0.001
CONV_BACK_VISIBLE = {
    "dW": (("rotated-gradient",), _BACK_TOL, 0),
    "db": (("mean-not-sum",), _BACK_TOL, 0),
    "dX": (("no-flip",), _BACK_TOL, 0),
    "dZ": (("spread-evenly", "all-maxima"), _BACK_TOL, 0),
}


def conv_input_grad(G, W, *, flip=True):
    """dL/dX of Y = X * W (valid cross-correlation, stride 1): the full convolution of G with
    W, i.e. G padded by k - 1 and cross-correlated with W turned by a half turn."""
    k = W.shape[0]
    Wr = W[::-1, ::-1] if flip else W
    return cross_correlate(G[None], Wr[None], 0, 1, k - 1)


def maxpool_backward(Z, Gp, *, bug=None):
    """Route each window's upstream gradient to its first maximum in row-major order."""
    dZ = np.zeros(Z.shape, dtype=object)
    for a in range(Gp.shape[0]):
        for b in range(Gp.shape[1]):
            win = [(2 * a + u, 2 * b + v) for u in range(2) for v in range(2)]
            top = max(Z[pos] for pos in win)
            if bug == "spread-evenly":
                for pos in win:
                    dZ[pos] += Fraction(int(Gp[a, b]), 4)
                continue
            tied = [pos for pos in win if Z[pos] == top]
            for pos in (tied if bug == "all-maxima" else tied[:1]):
                dZ[pos] += int(Gp[a, b])
    return dZ


def _has_tie(Z):
    for a in range(Z.shape[0] // 2):
        for b in range(Z.shape[1] // 2):
            win = Z[2 * a:2 * a + 2, 2 * b:2 * b + 2].ravel()
            if (win == win.max()).sum() > 1:
                return True
    return False


@keeps_slips_visible(CONV_BACK_VISIBLE)
def conv_backward(p, *, bug=None, given=None):
    """I3: for Y = X * W + b (valid cross-correlation, stride 1) and dL/dY = G: dL/dW,
    dL/db, dL/dX; then dL/dZ through 2x2 max-pooling with stride 2 (ties to the first
    maximum in row-major order)."""
    X, W, G = (np.array(p[k], dtype=np.int64) for k in ("X", "W", "G"))
    Z, Gp = np.array(p["Z"], dtype=np.int64), np.array(p["Gp"], dtype=np.int64)
    if not _has_tie(Z):
        raise Reject("no pooling window has a tie: the tie rule would go untested")
    Gw = G[::-1, ::-1] if bug == "rotated-gradient" else G
    dW = cross_correlate(X[None], Gw[None])
    total = int(G.sum())
    db = Fraction(total, G.size) if bug == "mean-not-sum" else total
    dX = conv_input_grad(G, W, flip=bug != "no-flip")
    return {"dW": _ints(dW), "db": db, "dX": _ints(dX),
            "dZ": [[v if isinstance(v, Fraction) else int(v) for v in r]
                   for r in maxpool_backward(Z, Gp, bug=bug).tolist()]}


def _ints(a):
    return [[int(v) for v in r] for r in np.asarray(a).tolist()]


# --- I4: a small CNN against a dense net --------------------------------------------------

def cnn_vs_dense(p, *, bug=None, given=None):
    """I4: parameters and multiply-adds (one per weight-input product; biases, activations and
    pooling free) of conv(k, C1, same) -> pool 2 -> conv(3, C2, same) -> global average pool
    -> dense(K), against flatten -> dense(N) -> dense(K). Every layer has a bias."""
    H, C, k = int(p["H"]), int(p["C"]), int(p["k"])
    C1, C2, N, K = int(p["C1"]), int(p["C2"]), int(p["N"]), int(p["K"])
    bias = 0 if bug == "no-bias" else 1
    c_in1, c_in2 = (1, 1) if bug == "no-in-channels" else (C, C1)
    cnn_params = C1 * (k * k * c_in1 + bias) + C2 * (9 * c_in2 + bias) + K * (C2 + bias)

    pos1 = 1 if bug == "no-positions" else H * H
    pos2 = 1 if bug == "no-positions" else (H * H if bug == "pool-ignored" else (H // 2) ** 2)
    cnn_macs = pos1 * C1 * k * k * C + pos2 * C2 * 9 * C1 + C2 * K

    flat = H * H * C
    dense_params = flat * N + N * K + (0 if bug == "no-bias" else N + K)
    dense_macs = flat * N + N * K + (N + K if bug == "biases-counted" else 0)
    return {"cnn_params": cnn_params, "cnn_macs": cnn_macs,
            "dense_params": dense_params, "dense_macs": dense_macs}
