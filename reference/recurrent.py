"""Reference solvers for family J: recurrent networks (004 ch. 7, left empty there).

Framework conventions matched (and printed on the sheets), those of PyTorch:
- ``nn.RNN`` (tanh): h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), column vectors,
  h_0 = 0, with **two** bias vectors b_ih and b_hh (only their sum matters in the forward
  pass, but both are parameters);
- ``nn.LSTMCell``: gates in the order i, f, g, o, c' = f c + i g, h' = o tanh(c');
- ``nn.GRUCell``: r and z gates, n = tanh(W_in x + b_in + r (W_hn h + b_hn)), and
  h' = (1 - z) n + z h (the reset gate multiplies W_hn h + b_hn, after the bias);
- parameter counts as ``sum(p.numel() for p in layer.parameters())``: per layer
  G * (H * (D + H) + 2 H) with G = 1, 3, 4 gate blocks for RNN, GRU, LSTM; the one-bias
  convention (Keras) counts G * (H * (D + H) + H).

J1 an Elman RNN forward pass; J2 backprop through time; J3 one LSTM and one GRU step;
J4 parameter counts.
"""

from __future__ import annotations

import numpy as np

from reference import Reject
from reference.common import keeps_slips_visible, sigmoid

_MAX_PRE = 1.5   # |pre-activation| above this puts tanh near saturation: redraw


def _vec(v):
    return np.asarray(v, dtype=float).ravel()


# --- J1: Elman RNN forward --------------------------------------------------------------

_H_TOL = 0.002
RNN_VISIBLE = {
    "h1": (("one-bias",), _H_TOL, 0),
    "h2": (("one-bias", "transposed-recurrent"), _H_TOL, 0),
    "h3": (("one-bias", "transposed-recurrent"), _H_TOL, 0),
    "y": (("one-bias", "transposed-recurrent"), _H_TOL, 0),
}


def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh, *, bug=None):
    """One tanh step; returns (pre-activation, new state)."""
    W = W_hh.T if bug == "transposed-recurrent" else W_hh
    pre = W_ih * x + (0 if bug == "one-bias" else b_ih) + W @ h + b_hh
    return pre, np.tanh(pre)


@keeps_slips_visible(RNN_VISIBLE)
def rnn_forward(p, *, bug=None, given=None):
    """J1: h1, h2, h3 of a 1-input, 2-unit tanh RNN from h0 = 0, and y = w . h3 + c."""
    given = given or {}
    W_ih, W_hh = _vec(p["W_ih"]), np.asarray(p["W_hh"], dtype=float)
    b_ih, b_hh = _vec(p["b_ih"]), _vec(p["b_hh"])
    h = np.zeros(2)
    states = []
    for t, x in enumerate(p["x"], start=1):
        pre, h = rnn_step(float(x), h, W_ih, W_hh, b_ih, b_hh, bug=bug)
        if bug is None and not given and np.max(np.abs(pre)) > _MAX_PRE:
            raise Reject("a pre-activation drives tanh towards saturation")
        states.append(h)
        if f"h{t}" in given:   # follow-through: the next step starts from the student's state
            h = _vec(given[f"h{t}"])
    y = float(_vec(p["w_out"]) @ h + float(p["b_out"]))
    return {"h1": states[0].tolist(), "h2": states[1].tolist(), "h3": states[2].tolist(),
            "y": y}


# --- J4: parameter counts ---------------------------------------------------------------

_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}


def recurrent_layer_count(kind, d, h, biases, *, bug=None):
    """Parameters of one layer: blocks * (h * (d + h) + biases * h)."""
    blocks = _BLOCKS[kind]
    if bug == "three-blocks" and kind == "lstm":
        blocks = 3
    if bug == "lstm-blocks" and kind == "gru":
        blocks = 4
    if bug == "wrong-bias-count":
        biases = 3 - biases
    recurrent = 0 if bug == "no-recurrent" else h * h
    return blocks * (h * d + recurrent + biases * h)


def recurrent_param_counts(p, *, bug=None, given=None):
    """J4: one RNN, LSTM and GRU layer, and a two-layer LSTM (layer 2 reads layer 1's h)."""
    d, h, biases = int(p["d"]), int(p["h"]), int(p["biases"])

    def count(kind, d_in=d):
        return recurrent_layer_count(kind, d_in, h, biases, bug=bug)

    second = count("lstm", d if bug == "same-input" else h)
    return {"rnn": count("rnn"), "lstm": count("lstm"), "gru": count("gru"),
            "lstm2": count("lstm") + second}


# --- J3: one LSTM step and one GRU step -------------------------------------------------

_GATE_TOL = 0.002
CELLS_VISIBLE = {
    "gates": (("sigmoid-candidate",), _GATE_TOL, 0),
    "c": (("gates-swapped", "sigmoid-candidate"), _GATE_TOL, 0),
    "h": (("no-cell-tanh", "gates-swapped"), _GATE_TOL, 0),
    "gru_n": (("reset-before-bias",), _GATE_TOL, 0),
    "gru_h": (("z-swapped",), _GATE_TOL, 0),
}
_MAX_GATE_PRE = 2.0


def _check_pre(pre, checking):
    if checking and np.max(np.abs(pre)) > _MAX_GATE_PRE:
        raise Reject("a gate pre-activation is large: sigmoid or tanh near saturation")


@keeps_slips_visible(CELLS_VISIBLE)
def lstm_gru_step(p, *, bug=None, given=None):
    """J3: the LSTM gates (i, f, g, o), the new cell and hidden state; the GRU gates (r, z),
    the candidate n and the new state; hidden size 1, one input."""
    given = given or {}
    checking = bug is None and not given
    x, h, c_prev = float(p["x"]), float(p["h_prev"]), float(p["c_prev"])

    pre = _vec(p["lw"]) * x + _vec(p["lu"]) * h + _vec(p["lb"])
    _check_pre(pre, checking)
    gates = sigmoid(pre)
    gates[2] = sigmoid(pre[2]) if bug == "sigmoid-candidate" else np.tanh(pre[2])
    gi = _vec(given["gates"]) if "gates" in given else gates
    i, f, g, o = gi
    c = f * g + i * c_prev if bug == "gates-swapped" else f * c_prev + i * g
    c_used = float(given["c"]) if "c" in given else c
    h_new = o * c_used if bug == "no-cell-tanh" else o * np.tanh(c_used)

    wx, uh = _vec(p["gw"]), _vec(p["gu"])
    b_ih, b_hh = _vec(p["gb_ih"]), _vec(p["gb_hh"])
    rz_pre = wx[:2] * x + b_ih[:2] + uh[:2] * h + b_hh[:2]
    _check_pre(rz_pre, checking)
    r, z = sigmoid(rz_pre)
    r_used, z_used = _vec(given["gru_rz"]) if "gru_rz" in given else (r, z)
    if bug == "reset-before-bias":   # the original GRU: W_hn (r h) + b_hn
        n_pre = wx[2] * x + b_ih[2] + uh[2] * (r_used * h) + b_hh[2]
    else:
        n_pre = wx[2] * x + b_ih[2] + r_used * (uh[2] * h + b_hh[2])
    _check_pre(np.array([wx[2] * x + b_ih[2] + r * (uh[2] * h + b_hh[2])]), checking)
    n = float(np.tanh(n_pre))
    n_used = float(given["gru_n"]) if "gru_n" in given else n
    gru_h = z_used * n_used + (1 - z_used) * h if bug == "z-swapped" else \
        (1 - z_used) * n_used + z_used * h
    return {"gates": gates.tolist(), "c": float(c), "h": float(h_new),
            "gru_rz": [float(r), float(z)], "gru_n": n, "gru_h": float(gru_h)}


# --- J2: backprop through time ----------------------------------------------------------

_BPTT_TOL = 0.002
BPTT_VISIBLE = {
    "delta2": (("no-tanh-derivative",), _BPTT_TOL, 0),
    "jac": (("no-tanh-derivative", "jacobian-transposed"), _BPTT_TOL, 0),
    "delta1": (("missing-transpose", "no-tanh-derivative"), _BPTT_TOL, 0),
    "dW_hh": (("transposed-outer", "no-tanh-derivative"), _BPTT_TOL, 0),
    "dW_xh": (("missing-transpose", "last-step-only"), _BPTT_TOL, 0),
    "db": (("missing-transpose", "last-step-only"), _BPTT_TOL, 0),
    "jac_prod": (("product-order",), _BPTT_TOL, 0),
}


@keeps_slips_visible(BPTT_VISIBLE)
def bptt(p, *, bug=None, given=None):
    """J2: two tanh steps h_t = tanh(a_t), a_t = W_xh x_t + W_hh h_{t-1} + b from h_0 = 0,
    y = w . h_2, L = (y - target)^2 / 2. Returns the states, delta_t = dL/da_t, the Jacobian
    dh_2/dh_1, the parameter gradients and dh_2/dh_0 (a product of two Jacobians)."""
    given = given or {}
    W_xh, W_hh, b = _vec(p["W_xh"]), np.asarray(p["W_hh"], dtype=float), _vec(p["b"])
    w, target = _vec(p["w"]), float(p["target"])
    x = [float(v) for v in p["x"]]
    h0 = np.zeros(2)
    a1 = W_xh * x[0] + W_hh @ h0 + b
    h1 = np.tanh(a1)
    a2 = W_xh * x[1] + W_hh @ h1 + b
    h2 = np.tanh(a2)
    if bug is None and not given and max(np.max(np.abs(a1)), np.max(np.abs(a2))) > _MAX_PRE:
        raise Reject("a pre-activation drives tanh towards saturation")
    err = float(w @ h2) - target

    def slope(h):   # tanh'(a) written through h = tanh(a)
        return np.ones_like(h) if bug == "no-tanh-derivative" else 1 - h * h

    delta2 = err * w * slope(h2)
    d2 = _vec(given["delta2"]) if "delta2" in given else delta2
    back = W_hh @ d2 if bug == "missing-transpose" else W_hh.T @ d2
    delta1 = back * slope(h1)
    d1 = _vec(given["delta1"]) if "delta1" in given else delta1
    jac = slope(h2)[:, None] * W_hh         # dh_2/dh_1 = diag(1 - h_2^2) W_hh
    if bug == "jacobian-transposed":
        jac = jac.T
    J1 = (1 - h1 * h1)[:, None] * W_hh      # dh_1/dh_0
    J2 = (1 - h2 * h2)[:, None] * W_hh      # dh_2/dh_1
    dW_hh = np.outer(h1, d2) if bug == "transposed-outer" else np.outer(d2, h1)
    steps = [(d2, x[1])] if bug == "last-step-only" else [(d1, x[0]), (d2, x[1])]
    return {
        "states": [h1.tolist(), h2.tolist()],
        "delta2": delta2.tolist(),
        "jac": jac.tolist(),
        "delta1": delta1.tolist(),
        "dW_hh": dW_hh.tolist(),      # + delta1 h_0^T, which is 0
        "dW_xh": sum(d * xt for d, xt in steps).tolist(),
        "db": sum(d for d, _ in steps).tolist(),
        "jac_prod": (J1 @ J2 if bug == "product-order" else J2 @ J1).tolist(),
    }
