"""Reference solvers for the gradient-descent families (004 §3).

C1: least squares for y = w*x on two points, two steps of each optimizer. The loss is
    the mean over the two points, L(w) = 1/2 * sum_i (w x_i - y_i)^2, so
    L'(w) = Sxx*w - Sxy with Sxx = sum x_i^2 and Sxy = sum x_i y_i. SGD steps use the
    one-point loss (w x_i - y_i)^2. GD, SGD, Momentum and Nesterov are exact (fractions);
    RMSprop and Adam take square roots and run in floats.
C2: one gradient step of a logistic regression on one observation.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Callable, NamedTuple

import numpy as np

from reference import Reject
from reference.common import exact, keeps_slips_visible, sigmoid

EPS = 1e-8  # the epsilon of RMSprop and Adam; printed on the sheet

# How a misconception rescales the derivative a student computes. Sum-vs-mean only
# touches the two-point loss: a one-point loss has nothing to average.
_FULL_FACTOR = {"sum-loss": 2, "no-factor-2": Fraction(1, 2), "grad-sign": -1}
_POINT_FACTOR = {"no-factor-2": Fraction(1, 2)}

# part -> (misconceptions that must stay visible, abs tolerance, rel tolerance);
# the same lists and tolerances as the YAML files (a test keeps them in step).
_STEP_TOL = 0.002
GD_VISIBLE = {
    "ols": (("ratio-of-means", "mean-of-ratios"), _STEP_TOL, 0),
    "gd_w1": (("ascent", "sum-loss", "no-factor-2"), _STEP_TOL, 0),
    "gd_w2": (("ascent", "sum-loss", "no-factor-2", "extra-step"), _STEP_TOL, 0),
    "sgd_w1": (("ascent", "no-factor-2", "wrong-order", "full-batch"), _STEP_TOL, 0),
    "sgd_w2": (("ascent", "no-factor-2", "wrong-order", "full-batch"), _STEP_TOL, 0),
    "momentum_w1": (("ascent", "sum-loss", "no-factor-2", "ema-momentum"), _STEP_TOL, 0),
    "momentum_w2": (("ascent", "sum-loss", "no-factor-2", "ema-momentum", "extra-step"),
                    _STEP_TOL, 0),
    "nesterov_w1": (("ascent", "sum-loss", "no-factor-2", "ema-momentum"), _STEP_TOL, 0),
    "nesterov_w2": (("ascent", "sum-loss", "no-factor-2", "ema-momentum",
                     "momentum-for-nesterov", "lookahead-sign", "extra-step"), _STEP_TOL, 0),
}
_MOMENT_TOL = (1e-6, 0.001)
ADAPTIVE_VISIBLE = {
    "grad0": (("grad-sign", "sum-loss", "no-factor-2"), 0.001, 0),
    "rmsprop_s1": (("sum-loss", "no-factor-2", "no-one-minus-rho"), *_MOMENT_TOL),
    "rmsprop_w1": (("ascent", "no-one-minus-rho", "no-sqrt"), _STEP_TOL, 0),
    "rmsprop_w2": (("ascent", "no-one-minus-rho", "no-sqrt", "extra-step"), _STEP_TOL, 0),
    "adam_m1": (("grad-sign", "sum-loss", "no-factor-2"), *_MOMENT_TOL),
    "adam_v1": (("sum-loss", "no-factor-2"), *_MOMENT_TOL),
    "adam_w1": (("ascent", "no-bias-correction"), _STEP_TOL, 0),
    "adam_w2": (("ascent", "no-bias-correction", "stale-t", "extra-step"), _STEP_TOL, 0),
}

# Adaptive steps divide by |gradient|: near a zero gradient their direction is a coin toss.
_MIN_ADAPTIVE_GRAD = 1


class _LeastSquares:
    """Two points, the model y = w*x, and the derivatives a student would compute, in
    Fractions (the adaptive sheet; the first sheet works in ``_gd_steps``)."""

    def __init__(self, p, bug=None):
        self.xs = (Fraction(p["x1"]), Fraction(p["x2"]))
        self.ys = (Fraction(p["y1"]), Fraction(p["y2"]))
        self.sxx = sum(x * x for x in self.xs)
        self.sxy = sum(x * y for x, y in zip(self.xs, self.ys))
        self.full_factor = Fraction(_FULL_FACTOR.get(bug, 1))

    def grad(self, w):
        """L'(w) of the mean loss 1/2 * sum (w x_i - y_i)^2."""
        return self.full_factor * (self.sxx * w - self.sxy)

    def minimizer(self):
        return self.sxy / self.sxx


def _trajectory(w0, step, n, w1=None):
    """[w0, w1, ..., wn] with w_{t+1} = step(w_t, t); a given w1 replaces the computed one."""
    ws = [w0]
    for t in range(n):
        ws.append(w1 if (t == 0 and w1 is not None) else step(ws[-1], t))
    return ws


def _heavy_ball(w0, grad, eta, alpha, n, times, *, lookahead=None, ema=False, sign=1,
                w1=None):
    """Momentum (no lookahead) or Nesterov (lookahead -alpha):
    v <- alpha v + eta g(w + lookahead v), w <- w - v, from v = 0.
    ``ema`` is the misconception v <- alpha v + (1 - alpha) g, w <- w - eta v.
    The constants are (numerator, denominator) pairs, multiplied in by ``times``."""
    one_minus_alpha = (alpha[1] - alpha[0], alpha[1])
    ws, v = [w0], 0
    for t in range(n):
        w = ws[-1]
        if t == 0 and w1 is not None:
            # Follow-through: the velocity is whatever step the student's w1 implies.
            step = sign * (w0 - w1)
            v = times(step, (eta[1], eta[0])) if ema else step     # step / eta
        else:
            g = grad(w if lookahead is None else w + times(v, lookahead))
            v = times(v, alpha) + times(g, one_minus_alpha if ema else eta)
            step = times(v, eta) if ema else v
        ws.append(w - sign * step)
    return ws


@keeps_slips_visible(GD_VISIBLE)
def lsq_gd_two_steps(p, *, bug=None, given=None):
    """C1, first sheet: the OLS estimate and two steps of GD, SGD, Momentum and Nesterov."""
    return _gd_sheet(p, bug=bug, given=given)


# The steps of GD, SGD, Momentum and Nesterov only add values and multiply them by an
# integer datum or by a constant (eta, alpha, a slip's factor), which on drawn sheets is
# a short decimal. So they run exactly in Python ints, each value v held as the int
# v * _ONE: many times faster than Fractions, whose every operation takes a gcd. A value
# that is not a whole multiple of 1/_ONE (a given value like 1/3) raises _Inexact and
# the steps are worked again in Fractions. Either way the answers are the same exact
# numbers, returned as Fractions.
_ONE = 10 ** 40


class _Inexact(ArithmeticError):
    """A value of the sheet is not a whole multiple of 1/_ONE."""


def _scaled(q) -> int:
    """An int or a Fraction as the int q * _ONE."""
    n, r = divmod(q.numerator * _ONE, q.denominator)
    if r:
        raise _Inexact
    return n


def _scaled_times(x: int, c: tuple[int, int]) -> int:
    """The scaled value x times the constant c = (numerator, denominator)."""
    n, r = divmod(x * c[0], c[1])
    if r:
        raise _Inexact
    return n


class _Arithmetic(NamedTuple):
    value: Callable      # an int or a Fraction -> a value
    times: Callable      # (value, (numerator, denominator)) -> value * constant
    result: Callable     # a value -> its Fraction


_SCALED = _Arithmetic(_scaled, _scaled_times, lambda x: Fraction(x, _ONE))
_FRACTIONS = _Arithmetic(Fraction, lambda x, c: x * Fraction(*c), Fraction)


@functools.lru_cache(maxsize=64)
def _float_ratio(v: float) -> tuple[int, int]:
    return exact(v).as_integer_ratio()


def _ratio(v) -> tuple[int, int]:
    """The exact decimal of a drawn constant as (numerator, denominator); a float's is
    memoised, for Fraction reads its text slowly and every run of a sheet needs it."""
    if type(v) is float:
        return _float_ratio(v)
    return exact(v).as_integer_ratio()


def _gd_sheet(p, *, bug=None, given=None):
    given = given or {}
    data = [p["x1"], p["x2"], p["y1"], p["y2"], p["w0"]]
    if not all(type(v) is int for v in data):
        data = [Fraction(v) for v in data]     # not drawn ints: everything in Fractions
    x1, x2, y1, y2, w0 = data
    ols = Fraction(x1 * y1 + x2 * y2, x1 * x1 + x2 * x2)
    if ols == w0:
        raise Reject("the start is already the minimum")
    try:
        steps = _gd_steps(data, p, bug, given, _SCALED if type(x1) is int else _FRACTIONS)
    except _Inexact:
        steps = _gd_steps(data, p, bug, given, _FRACTIONS)
    if bug == "ratio-of-means":
        ols = Fraction(y1 + y2, x1 + x2)
    elif bug == "mean-of-ratios":
        ols = Fraction(y1 * x2 + y2 * x1, 2 * x1 * x2)     # (y1/x1 + y2/x2) / 2
    return {"ols": ols, **steps}


def _gd_steps(data, p, bug, given, arith: _Arithmetic):
    """The optimizers' steps of the C1 sheet, exact, in ``arith``. The loss is the mean
    1/2 * sum (w x_i - y_i)^2, so L'(w) = Sxx w - Sxy."""
    value, times = arith.value, arith.times
    x1, x2, y1, y2, w0 = data
    xs, ys = (x1, x2), (value(y1), value(y2))
    sxx, sxy = x1 * x1 + x2 * x2, value(x1 * y1 + x2 * y2)
    full = _FULL_FACTOR.get(bug, 1).as_integer_ratio()
    point = _POINT_FACTOR.get(bug, 1).as_integer_ratio()
    eta, alpha, w0 = _ratio(p["eta"]), _ratio(p["alpha"]), value(w0)

    sign = -1 if bug == "ascent" else 1
    n = 3 if bug == "extra-step" else 2  # the "second step" answer is then w3

    def start(part):
        return value(exact(given[part])) if part in given else None

    def grad(w):
        """L'(w), with the slip's factor."""
        return times(sxx * w - sxy, full)

    def point_grad(w, i):
        """Derivative of the one-point loss (w x_i - y_i)^2; i is 1-based."""
        x = xs[i - 1]
        return times(2 * x * (w * x - ys[i - 1]), point)

    gd = _trajectory(w0, lambda w, t: w - sign * times(grad(w), eta), n, start("gd_w1"))

    order = list(p["order"])[::-1] if bug == "wrong-order" else list(p["order"])
    if bug == "full-batch":
        def sgd_step(w, t):
            return w - sign * times(grad(w), eta)
    else:
        def sgd_step(w, t):
            return w - sign * times(point_grad(w, order[t % 2]), eta)
    sgd = _trajectory(w0, sgd_step, n, start("sgd_w1"))

    ema = bug == "ema-momentum"
    momentum = _heavy_ball(w0, grad, eta, alpha, n, times, ema=ema, sign=sign,
                           w1=start("momentum_w1"))
    look = {"momentum-for-nesterov": None, "lookahead-sign": alpha}.get(
        bug, (-alpha[0], alpha[1]))
    nesterov = _heavy_ball(w0, grad, eta, alpha, n, times, lookahead=look, ema=ema,
                           sign=sign, w1=start("nesterov_w1"))
    result = arith.result
    return {
        "gd_w1": result(gd[1]), "gd_w2": result(gd[n]),
        "sgd_w1": result(sgd[1]), "sgd_w2": result(sgd[n]),
        "momentum_w1": result(momentum[1]), "momentum_w2": result(momentum[n]),
        "nesterov_w1": result(nesterov[1]), "nesterov_w2": result(nesterov[n]),
    }


def _rmsprop(w0, grad, eta, rho, n, *, sign=1, bug=None, w1=None):
    """s <- rho s + (1 - rho) g^2, w <- w - eta g / (sqrt(s) + eps), from s = 0."""
    ws, s = [w0], 0.0
    for t in range(n):
        g = grad(ws[-1])
        s = rho * s + (g * g if bug == "no-one-minus-rho" else (1 - rho) * g * g)
        denom = s + EPS if bug == "no-sqrt" else math.sqrt(s) + EPS
        ws.append(w1 if (t == 0 and w1 is not None) else ws[-1] - sign * eta * g / denom)
    return ws


def _adam(w0, grad, eta, beta1, beta2, n, *, sign=1, bug=None, w1=None):
    """Adam from m = v = 0 with bias-corrected moments, steps t = 1, 2, ..."""
    ws, m, v = [w0], 0.0, 0.0
    for t in range(1, n + 1):
        g = grad(ws[-1])
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if bug == "no-bias-correction":
            m_hat, v_hat = m, v
        else:
            k = 1 if bug == "stale-t" else t
            m_hat, v_hat = m / (1 - beta1 ** k), v / (1 - beta2 ** k)
        step = eta * m_hat / (math.sqrt(v_hat) + EPS)
        ws.append(w1 if (t == 1 and w1 is not None) else ws[-1] - sign * step)
    return ws


@keeps_slips_visible(ADAPTIVE_VISIBLE)
def lsq_adaptive_two_steps(p, *, bug=None, given=None):
    """C1, second sheet: L'(w0), the first moments, two steps of RMSprop and of Adam.

    Both methods are invariant to rescaling the gradient, so the sum-vs-mean and
    factor-2 slips show only in grad0 and the moments, never in the weights.
    """
    return _adaptive_sheet(p, bug=bug, given=given)


def _adaptive_sheet(p, *, bug=None, given=None):
    given = given or {}
    data = _LeastSquares(p, bug)
    eta, rho = float(p["eta"]), float(p["rho"])
    beta1, beta2 = float(p["beta1"]), float(p["beta2"])
    w0 = float(p["w0"])
    _require_adaptive_well_posed(p, eta, rho, beta1, beta2)

    sign = -1 if bug == "ascent" else 1
    n = 3 if bug == "extra-step" else 2

    def grad(w):
        return float(data.grad(w))

    g0 = exact(given["grad0"]) if "grad0" in given else data.grad(Fraction(p["w0"]))
    rms = _rmsprop(w0, grad, eta, rho, n, sign=sign, bug=bug,
                   w1=_float_or_none(given.get("rmsprop_w1")))
    adam = _adam(w0, grad, eta, beta1, beta2, n, sign=sign, bug=bug,
                 w1=_float_or_none(given.get("adam_w1")))
    # The first moments are exact decimals: keep them as fractions for a clean key.
    one_minus_rho = 1 if bug == "no-one-minus-rho" else 1 - exact(rho)
    return {
        "grad0": data.grad(Fraction(p["w0"])),
        "rmsprop_s1": one_minus_rho * g0 * g0,
        "rmsprop_w1": rms[1], "rmsprop_w2": rms[n],
        "adam_m1": (1 - exact(beta1)) * g0,
        "adam_v1": (1 - exact(beta2)) * g0 * g0,
        "adam_w1": adam[1], "adam_w2": adam[n],
    }


def _float_or_none(v):
    return None if v is None else float(v)


def _require_adaptive_well_posed(p, eta, rho, beta1, beta2):
    truth = _LeastSquares(p)
    w0 = Fraction(p["w0"])
    if truth.minimizer() == w0:
        raise Reject("the start is already the minimum")

    def grad(w):
        return float(truth.grad(w))

    after_one = (_rmsprop(float(w0), grad, eta, rho, 1)[1],
                 _adam(float(w0), grad, eta, beta1, beta2, 1)[1])
    if any(abs(grad(w)) < _MIN_ADAPTIVE_GRAD for w in (float(w0),) + after_one):
        raise Reject("a gradient on the path is nearly zero: the adaptive step is ill defined")


# --- C2: logistic regression ------------------------------------------------------------

_LOGREG_TOL = 0.003
LOGREG_VISIBLE = {
    "p0": (("sigmoid-sign",), _LOGREG_TOL, 0),
    "grad0": (("loglik-sign", "squared-error", "sigmoid-sign"), _LOGREG_TOL, 0),
    "w1": (("ascent", "squared-error", "sigmoid-sign"), _LOGREG_TOL, 0),
    "p1": (("ascent", "squared-error"), _LOGREG_TOL, 0),
}

_LOGREG_FORMULA = {
    None: "(sigmoid(w*x) - y)*x",
    "loglik-sign": "(y - sigmoid(w*x))*x",
    "no-x": "sigmoid(w*x) - y",
    "squared-error": "(sigmoid(w*x) - y)*sigmoid(w*x)*(1 - sigmoid(w*x))*x",
}


@keeps_slips_visible(LOGREG_VISIBLE)
def logreg_gradient_step(p, *, bug=None, given=None):
    """C2: dL/dw as a formula; then p, the gradient, one GD step and the new p.

    L = -[y ln p + (1 - y) ln(1 - p)] with p = sigmoid(w . x), so grad_w L = (p - y) x.
    """
    return _logreg(p, bug=bug, given=given)


def _logreg(p, *, bug=None, given=None):
    given = given or {}
    x = np.array(p["x"], dtype=float)
    w0 = np.array(p["w0"], dtype=float)
    y, eta = float(p["y"]), float(p["eta"])
    if w0 @ x == 0:
        raise Reject("z = 0 gives p = 1/2, where sigmoid(z) and sigmoid(-z) coincide")

    def prob(w):
        z = float(np.dot(w, x))
        return sigmoid(-z) if bug == "sigmoid-sign" else sigmoid(z)

    def gradient(w):
        q = prob(w)
        if bug == "loglik-sign":
            return (y - q) * x
        if bug == "squared-error":
            return (q - y) * q * (1 - q) * x
        return (q - y) * x

    g0 = gradient(w0)
    g_used = np.asarray(given["grad0"], dtype=float) if "grad0" in given else g0
    w1 = w0 - (-1.0 if bug == "ascent" else 1.0) * eta * g_used
    w1_used = np.asarray(given["w1"], dtype=float) if "w1" in given else w1
    return {
        "dl_dw": _LOGREG_FORMULA.get(bug, _LOGREG_FORMULA[None]),
        "p0": prob(w0),
        "grad0": g0.tolist(),
        "w1": w1.tolist(),
        "p1": prob(w1_used),
    }
