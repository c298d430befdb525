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
