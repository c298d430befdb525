"""Reference solvers for family B: what a network outputs (seed 004 §2 and §5.1).

Conventions shared by the sheets of this family:

* ``sigmoid(t) = 1 / (1 + exp(-t))`` and ``softmax(z)_i = exp(z_i) / sum_k exp(z_k)``;
* logarithms are natural;
* a log-loss is the *sum* over observations of ``-ln p(true class)`` unless a
  sheet says otherwise.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from reference.common import exact, keeps_slips_visible, sigmoid


# ---------------------------------------------------------------- helpers


def _softmax(z) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())  # shifting by the max changes nothing but avoids overflow
    return e / e.sum()


def _one_hot(n: int, i: int) -> list:
    return [1 if k == i else 0 for k in range(n)]


# ------------------------------------------------- B3: softmax with temperature


def softmax_temperature(p, *, bug=None, given=None):
    """Softmax of the logits ``z`` at temperatures ``T_hi``, 1 and ``T_lo``, and its limits.

    Bugs:
      ``temperature-multiplied``: uses ``z * T`` instead of ``z / T`` (limits swap);
      ``temperature-outside-exp``: ``exp(z_i) / T``, which cancels in the normalisation;
      ``sigmoid-per-logit``: squashes each logit on its own with a sigmoid.
    """
    z = np.asarray(p["z"], dtype=float)
    n, top = len(z), int(np.argmax(z))

    def probs(T):
        if bug == "temperature-multiplied":
            return _softmax(z * T)
        if bug == "temperature-outside-exp":
            return _softmax(z)
        if bug == "sigmoid-per-logit":
            return sigmoid(z / T)
        return _softmax(z / T)

    one_hot, uniform = _one_hot(n, top), [Fraction(1, n)] * n
    swapped = bug == "temperature-multiplied"
    return {
        "p_hi": probs(p["T_hi"]).tolist(),
        "p_one": probs(1).tolist(),
        "p_lo": probs(p["T_lo"]).tolist(),
        "lim_zero": uniform if swapped else one_hot,
        "lim_inf": one_hot if swapped else uniform,
        "diverse": "lower" if swapped else "raise",
    }


# ------------------------------------------------------------ B1: sigmoid facts


def sigmoid_facts(p, *, bug=None, given=None):
    """Facts about sigmoid and tanh; numeric ones at a point ``a`` with ``sigmoid(a) = s0``,
    a point ``b`` with ``tanh(b) = u0``; the derivative, inverse and d ln / dt of
    ``sigmoid(k t)`` and its slope at 0.

    Bugs:
      ``limits-swapped``: the limits at +inf and -inf exchanged;
      ``odd-symmetry``: takes sigmoid to be odd, ``sigmoid(-t) = -sigmoid(t)``;
      ``derivative-odd``: takes its derivative to be odd;
      ``derivative-is-itself``: ``sigmoid' = sigmoid``, as for ``exp``;
      ``tanh-derivative-form`` / ``sigmoid-derivative-form``: the other function's
      derivative pattern (``1 - s^2`` for sigmoid, ``u (1 - u)`` for tanh);
      ``log-sign``: ``ln(1/2) = +ln 2``;
      ``reciprocal-not-inverse``: the inverse function taken as ``1 / sigmoid``;
      ``inverse-flipped``: ``ln((1 - s) / s)``;
      ``forgot-inner-derivative``: the chain rule's inner factor dropped;
      ``sigmoid-instead-of-complement``: ``d ln sigmoid / dt`` taken as ``sigmoid(t)``;
      ``sup-of-sigmoid``: the maximum of the derivative taken as sup sigmoid = 1;
      ``tanh-like-sigmoid``: tanh given sigmoid's range (0, 1);
      ``same-as-sigmoid``: tanh's largest slope taken as sigmoid's 1/4.
    """
    s0, u0, k = exact(p["s0"]), exact(p["u0"]), p["k"]
    # The formula parts are asked for sigma(k t), so they differ between students.
    derivative = {"derivative-is-itself": f"{k}*s", "tanh-derivative-form": f"{k}*(1 - s^2)"}
    inverse = {"reciprocal-not-inverse": "1 + exp(-s)", "inverse-flipped": f"log((1 - s)/s)/{k}"}
    dlog = {"forgot-inner-derivative": f"1 + exp(-{k}*t)",
            "sigmoid-instead-of-complement": f"{k}/(1 + exp(-{k}*t))"}
    tanh_slope = (lambda u: u * (1 - u)) if bug == "sigmoid-derivative-form" else (lambda u: 1 - u * u)
    odd, inv_flip = bug == "odd-symmetry", bug == "inverse-flipped"
    return {
        "limits": [0, 1] if bug == "limits-swapped" else [1, 0],
        "sig_neg": "-s" if odd else "1 - s",
        "dsig_s": derivative.get(bug, f"{k}*s*(1 - s)"),
        "at_zero": [Fraction(1, 2),
                    Fraction(1, 2) if bug == "derivative-is-itself" else Fraction(1, 4),
                    math.log(2) if bug == "log-sign" else -math.log(2)],
        "inverse": inverse.get(bug, f"log(s/(1 - s))/{k}"),
        "dlog": dlog.get(bug, f"{k}/(1 + exp({k}*t))"),
        "max_dsig": 1 if bug == "sup-of-sigmoid" else Fraction(1, 4),
        "slope_k": Fraction(1, 4) if bug == "forgot-inner-derivative" else Fraction(k, 4),
        "sig_neg_a": -s0 if odd else 1 - s0,
        "dsig_neg_a": (-1 if bug == "derivative-odd" else 1) * s0 * (1 - s0),
        "a_value": math.log((1 - s0) / s0) if inv_flip else math.log(s0 / (1 - s0)),
        "tanh_limits": [1, 0] if bug == "tanh-like-sigmoid" else [1, -1],
        "dtanh_u": "u*(1 - u)" if bug == "sigmoid-derivative-form" else "1 - u^2",
        "max_dtanh": Fraction(1, 4) if bug == "same-as-sigmoid" else 1,
        "dtanh_b": tanh_slope(u0),
    }


# ------------------------------------------------- B2: softmax and its log-loss


def softmax_logloss(p, *, bug=None, given=None):
    """Softmax of two observations' logits ``z1``, ``z2``, the summed log-loss for the
    true classes ``c1``, ``c2`` (0-based), and the sigmoid that matches a two-way softmax.

    ``given`` may replace ``p1``/``p2`` (the student's probabilities) for the loss.

    Bugs:
      ``sigmoid-per-logit``: squashes each logit on its own;
      ``mean-not-sum``: averages the two observations' losses;
      ``log10``: decimal logarithms;
      ``binary-per-class``: a binary cross-entropy for every class, as in multi-label;
      ``reversed-difference`` / ``first-logit-only``: the sigmoid's argument taken as
      ``b - a`` / as ``a`` alone.
    """
    given = given or {}
    squash = sigmoid if bug == "sigmoid-per-logit" else _softmax
    probs = [squash(p["z1"]).tolist(), squash(p["z2"]).tolist()]
    used = [np.asarray(given.get(key, q), dtype=float) for key, q in zip(("p1", "p2"), probs)]
    log = np.log10 if bug == "log10" else np.log
    losses = []
    with np.errstate(divide="ignore", invalid="ignore"):  # a student's 0 is caught below
        for q, c in zip(used, (p["c1"], p["c2"])):
            if bug == "binary-per-class":
                truth = np.array(_one_hot(len(q), c))
                losses.append(-np.sum(truth * log(q) + (1 - truth) * log(1 - q)))
            else:
                losses.append(-log(q[c]))
    loss = float(np.mean(losses) if bug == "mean-not-sum" else np.sum(losses))
    if not math.isfinite(loss):
        raise ValueError("a probability outside (0, 1) makes the log-loss undefined")
    relation = {"reversed-difference": "b - a", "first-logit-only": "a"}
    return {"p1": probs[0], "p2": probs[1], "loss": loss, "relation": relation.get(bug, "a - b")}


# ------------------------------------------- B4: output layer and loss per task

# task -> (output layer, loss), each the one that makes the loss the negative
# log-likelihood of the model the layer defines (Gaussian noise for real targets).
_TASKS = {
    "binary": ("sigmoid", "bce"),
    "multi": ("softmax", "ce"),
    "rating": ("scaled-sigmoid", "mse"),
    "labels": ("sigmoids", "sum-bce"),
    "box": ("box-softmax", "mse-ce"),
    "count": ("exp", "poisson"),
}
# bug -> {part: wrong option}: the layer or loss of a neighbouring task
_TASK_BUGS = {
    "softmax-one-unit": {"binary_layer": "softmax"},
    "linear-output": {"binary_layer": "linear", "rating_layer": "linear", "count_layer": "linear"},
    "squared-error": {"binary_loss": "mse", "multi_loss": "mse", "count_loss": "mse"},
    "independent-sigmoids": {"multi_layer": "sigmoids"},
    "binary-ce-for-classes": {"multi_loss": "bce"},
    "plain-sigmoid": {"rating_layer": "sigmoid"},
    "classes-for-rating": {"rating_loss": "ce"},
    "softmax-for-multilabel": {"labels_layer": "softmax", "labels_loss": "ce"},
    "class-only": {"box_layer": "softmax", "box_loss": "ce"},
}


def output_layers(p, *, bug=None, given=None):
    """Output layer, loss and output size for six task types; ``K`` classes, ``L``
    labels, ``K2`` bird species (plus a 4-number box).

    Bugs: the entries of ``_TASK_BUGS``, and
      ``one-unit``: a single output unit encoding the class number;
      ``label-powerset``: one softmax class per subset of labels, ``2^L`` units;
      ``class-only`` also drops the 4 box numbers from the output size.
    """
    answers = {}
    for task, (layer, loss) in _TASKS.items():
        answers[f"{task}_layer"], answers[f"{task}_loss"] = layer, loss
    answers.update(_TASK_BUGS.get(bug, {}))
    one_unit = bug == "one-unit"
    answers["multi_units"] = 1 if one_unit else p["K"]
    answers["labels_units"] = 2 ** p["L"] if bug == "label-powerset" else p["L"]
    box = 0 if bug == "class-only" else 4
    answers["box_units"] = box + (1 if one_unit else p["K2"])
    return answers


# -------------------------------- B5: log-loss of a logistic regression, finite minimum


def _affine(x) -> str:
    """``a + x*b`` in the answer language, for an integer ``x``."""
    if x == 0:
        return "a"
    coef = "b" if abs(x) == 1 else f"{abs(x)}*b"
    return f"a {'-' if x < 0 else '+'} {coef}"


def _exponent(x, y) -> str:
    """The exponent in a point's loss ``ln(1 + e^(...))``: ``-(a + b x)`` if y = 1, else ``a + b x``."""
    z = _affine(x)
    if not y:
        return z
    return "-a" if z == "a" else f"-({z})"


def _finite_minimum(x, y) -> bool:
    """With distinct x and both classes present, the log-loss has a minimiser iff no
    threshold on x separates the classes (otherwise stretching b drives it to 0)."""
    ones = [xi for xi, yi in zip(x, y) if yi == 1]
    zeros = [xi for xi, yi in zip(x, y) if yi == 0]
    return max(zeros) > min(ones) and max(ones) > min(zeros)


def _summed_logloss(x, y, a, b) -> float:
    z = a + b * np.asarray(x, dtype=float)
    # -ln sigmoid(z) = ln(1 + e^-z) and -ln(1 - sigmoid(z)) = ln(1 + e^z)
    return float(np.sum(np.logaddexp(0.0, np.where(np.asarray(y) == 1, -z, z))))


# the loss value is asked within 0.002: redraw a point where a slip lands on it
LOGISTIC_VISIBLE = {"loss_value": (["labels-swapped", "mean-not-sum", "log10", "missing-minus"], 0.002, 0)}


@keeps_slips_visible(LOGISTIC_VISIBLE)
def logistic_loss(p, *, bug=None, given=None):
    """Logistic regression ``P(y=1) = sigmoid(a + b x)`` on the points ``x``, labels ``y``:
    the summed log-loss as a formula in a, b, its value at ``(a0, b0)``, and whether a
    finite minimiser exists.

    Bugs:
      ``labels-swapped``: ``y`` and ``1 - y`` exchanged;
      ``missing-minus``: the log-likelihood instead of its negative;
      ``mean-not-sum`` / ``log10``: averaged, or with decimal logarithms;
      ``confused-separability``: the opposite verdict on the minimum.
    """
    return _logistic_sheet(p, bug=bug)


def _logistic_sheet(p, *, bug=None, given=None):
    x, y = list(p["x"]), list(p["y"])
    if bug == "labels-swapped":
        y = [1 - yi for yi in y]
    value = _summed_logloss(x, y, p["a0"], p["b0"])
    value *= {"mean-not-sum": 1 / len(x), "log10": 1 / math.log(10), "missing-minus": -1}.get(bug, 1)
    terms = " + ".join(f"log(1 + exp({_exponent(xi, yi)}))" for xi, yi in zip(x, y))
    finite = _finite_minimum(p["x"], p["y"])
    return {"loss_formula": f"-({terms})" if bug == "missing-minus" else terms,
            "loss_value": value,
            "finite_min": (not finite) if bug == "confused-separability" else finite}
