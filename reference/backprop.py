"""Reference solvers for the backpropagation families (004 §4).

D1: partial derivatives of f(x, y) = a x^2 + b x y + c (x + d y)^2 through its
    computational graph (sum over paths of products of edge derivatives).
D2: two SGD steps of backprop by hand on the seed's 2-2-2-1 network with sigmoid hidden
    units, a linear output, no biases and L = 1/2 (yhat - y)^2. Row-vector convention:
    h1 = x W1, o1 = sigma(h1), h2 = o1 W2, o2 = sigma(h2), yhat = o2 w3.
"""

from __future__ import annotations

import numpy as np

from reference import Reject
from reference.common import keeps_slips_visible, sigmoid

# --- D1: computational graph -------------------------------------------------------------

_GRAPH_TOL = 0.001
GRAPH_VISIBLE = {
    "df_ds": (("no-power-factor",), _GRAPH_TOL, 0),
    "grad": (("missed-path", "no-chain-factor", "no-power-factor"), _GRAPH_TOL, 0),
}


def _linear(cx, cy) -> str:
    """cx*x + cy*y in the answer language, zero terms left out."""
    terms = []
    for coef, name in ((cx, "x"), (cy, "y")):
        if coef == 0:
            continue
        sign = "-" if coef < 0 else "+"
        size = "" if abs(coef) == 1 else f"{abs(coef)}*"
        terms.append((sign, size + name))
    if not terms:
        return "0"
    first_sign, first = terms[0]
    text = ("-" if first_sign == "-" else "") + first
    return text + "".join(f" {sign} {body}" for sign, body in terms[1:])


def _graph_derivatives(a, b, c, d, bug=None):
    """Coefficients of df/dx and df/dy (both linear in x, y) as a student would sum the paths.

    Paths from x: through u = x*x (edge 2x), v = x*y (edge y), s = x + d*y (edge 1, then
    q = s*s with edge 2s). Paths from y: through v (edge x) and s (edge d, then 2s).
    """
    power = 1 if bug == "no-power-factor" else 2   # d(t^2)/dt taken as t
    via_s = 0 if bug == "missed-path" else 1        # the path through s forgotten
    inner = 1 if bug == "no-chain-factor" else d    # ds/dy = d dropped
    # df/dx = power*a*x + b*y + via_s*power*c*(x + d*y)
    dx = (power * a + via_s * power * c, b + via_s * power * c * d)
    # df/dy = b*x + via_s*power*c*inner*(x + d*y)
    dy = (b + via_s * power * c * inner, via_s * power * c * inner * d)
    return dx, dy


@keeps_slips_visible(GRAPH_VISIBLE)
def graph_partials(p, *, bug=None, given=None):
    """D1: df/dx and df/dy as formulas, df/ds and the gradient at a point."""
    return _graph(p, bug=bug)


def _graph(p, *, bug=None):
    a, b, c, d = (int(p[k]) for k in ("a", "b", "c", "d"))
    x0, y0 = int(p["x0"]), int(p["y0"])
    s0 = x0 + d * y0
    dx, dy = _graph_derivatives(a, b, c, d, bug)
    if _graph_derivatives(a, b, c, d)[0] == (0, 0):
        raise Reject("f does not depend on x")
    power = 1 if bug == "no-power-factor" else 2
    return {
        "df_dx": _linear(*dx),
        "df_dy": _linear(*dy),
        "df_ds": power * c * s0,
        "grad": [dx[0] * x0 + dx[1] * y0, dy[0] * x0 + dy[1] * y0],
    }


# --- D2: two SGD steps on a sigmoid MLP -------------------------------------------------

_STEP1_TOL, _STEP2_TOL = 0.001, 0.0005
_ALL_SLIPS = ("sign-slip", "no-sigmoid-derivative", "updated-weights-in-backward",
              "transposed-gradient", "wrong-order")
MLP_VISIBLE = {
    "w3_1": (("sign-slip", "wrong-order"), _STEP1_TOL, 0),
    "W2_1": (_ALL_SLIPS, _STEP1_TOL, 0),
    "W1_1": (("updated-weights-in-backward",), _STEP1_TOL, 0),
    "yhat2": (("sign-slip", "wrong-order"), _STEP2_TOL, 0),
    "w3_2": (("sign-slip", "no-sigmoid-derivative", "wrong-order"), _STEP2_TOL, 0),
    "W2_2": (_ALL_SLIPS, _STEP2_TOL, 0),
    "W1_2": (_ALL_SLIPS, _STEP2_TOL, 0),
}

_STEP1_KEYS = ("W1_1", "W2_1", "w3_1")


def initial_W2(p) -> np.ndarray:
    """Rows v and -v: o1 = (1/2, 1/2) at the start gives h2 = 0 exactly."""
    v = np.array(p["v"], float)
    return np.vstack([v, -v])


def _sgd_step(x, y, W1, W2, w3, eta, bug):
    """One forward and backward pass on (x, y), then all weights move at once.
    Returns (yhat, W1, W2, w3) with yhat computed before the update."""
    o1 = sigmoid(x @ W1)
    o2 = sigmoid(o1 @ W2)
    yhat = float(o2 @ w3)

    def act_slope(o):  # sigma'(h) written through the output o = sigma(h)
        return np.ones_like(o) if bug == "no-sigmoid-derivative" else o * (1 - o)

    def outer(inp, delta):  # dL/dW for h = inp W is inp^T delta
        return np.outer(delta, inp) if bug == "transposed-gradient" else np.outer(inp, delta)

    err = (y - yhat) if bug == "sign-slip" else (yhat - y)  # dL/dyhat
    g3 = err * o2
    new_w3 = w3 - eta * g3
    d2 = err * (new_w3 if bug == "updated-weights-in-backward" else w3) * act_slope(o2)
    g2 = outer(o1, d2)
    new_W2 = W2 - eta * g2
    d1 = (d2 @ (new_W2 if bug == "updated-weights-in-backward" else W2).T) * act_slope(o1)
    new_W1 = W1 - eta * outer(x, d1)
    return yhat, new_W1, new_W2, new_w3


@keeps_slips_visible(MLP_VISIBLE)
def mlp_backprop_two_steps(p, *, bug=None, given=None):
    """D2: weights after each of two SGD steps (W1 starts at zero; W2 = [[v], [-v]], whose
    rows cancel so that the first forward pass is exact while the error still reaches W1;
    w3 drawn)."""
    return _mlp(p, bug=bug, given=given)


def _mlp(p, *, bug=None, given=None):
    given = given or {}
    data = {1: (np.array(p["x1"], float), float(p["y1"])),
            2: (np.array(p["x2"], float), float(p["y2"]))}
    order = list(p["order"])
    if bug == "wrong-order":
        order.reverse()
    eta = float(p["eta"])
    W1, W2 = np.zeros((2, 2)), initial_W2(p)
    w3 = np.array(p["w3"], float)
    if float(w3 @ W2[0]) == 0:
        raise Reject("w3 . v = 0: the error would not reach W1 at the first step")
    if float(sigmoid(0.0) * w3.sum()) == data[int(p["order"][0])][1]:
        raise Reject("the first prediction is already exact: the first step changes nothing")

    yhat1, W1, W2, w3 = _sgd_step(*data[order[0]], W1, W2, w3, eta, bug)
    if bug is None:
        after, _, _, _ = _sgd_step(*data[order[0]], W1, W2, w3, eta, bug)
        y_first = data[order[0]][1]
        if abs(after - y_first) >= abs(yhat1 - y_first):
            raise Reject("the first step overshoots: the loss on its observation grows")
    step1 = {"W1_1": W1, "W2_1": W2, "w3_1": w3}
    # Follow-through: the second step starts from the student's weights where given.
    start = [np.asarray(given[k], float).reshape(step1[k].shape) if k in given else step1[k]
             for k in _STEP1_KEYS]
    yhat2, W1, W2, w3 = _sgd_step(*data[order[1]], *start, eta, bug)
    return {
        "w3_1": step1["w3_1"].tolist(), "W2_1": step1["W2_1"].tolist(),
        "W1_1": step1["W1_1"].tolist(),
        "yhat2": yhat2,
        "w3_2": w3.tolist(), "W2_2": W2.tolist(), "W1_2": W1.tolist(),
    }
