"""Reference solvers for family E: building blocks (seed 004 §5.2-5.4).

E1 ridge on a constant model, E2 dropout, E3 weight initialisation. Exact answers
are returned as ``Fraction`` where the arithmetic allows it.
"""

from __future__ import annotations

import math
from fractions import Fraction

from reference import Reject
from reference.common import exact


# ------------------------------------------------ E1: ridge on a constant model


def _over(num: int, den: str) -> str:
    """``num/(den)`` in the answer language, sign in front."""
    return f"{'-' if num < 0 else ''}{abs(num)}/({den})"


def _squared_gap(y: int, num: int, den: str) -> str:
    """``(y - num/(den))^2`` with the sign of ``num`` folded into the operator."""
    return f"({y} {'+' if num < 0 else '-'} {abs(num)}/({den}))^2"


def ridge_constant(p, *, bug=None, given=None):
    """Ridge for ``y_i = beta + eps_i`` with objective ``sum (y_i - beta)^2 + lambda beta^2``.

    beta(lambda) = S / (n + lambda). Leave-one-out: fold i fits S_{-i} / (n - 1 + lambda);
    with c = 1 / (n - 1 + lambda) the CV error sum_i (y_i - c S_{-i})^2 is a parabola in c,
    minimised at c* = sum y_i S_{-i} / sum S_{-i}^2, so lambda_CV = 1/c* - (n - 1).

    ``given`` may hold the student's ``lambda_cv`` for ``beta_cv``.

    Bugs:
      ``one-residual``: sets the derivative to ``S - beta`` (one residual, not n): S / (1 + lambda);
      ``mean-loss``: averages the squared errors, giving mean(y) / (1 + lambda);
      ``confused-shrinkage``: the opposite verdict on "larger lambda, smaller beta";
      ``fit-on-all``: scores every lambda on the data it was fitted to (picks lambda = 0);
      ``n-in-fold``: fits each fold as if it still had n points.
    """
    y = [int(v) for v in p["y"]]
    n, total = len(y), sum(y)
    rest = [total - v for v in y]
    cross, squares = sum(a * b for a, b in zip(y, rest)), sum(b * b for b in rest)
    if total == 0 or squares == 0 or cross <= 0:
        raise Reject("the leave-one-out error has no interior minimum over lambda")
    lam = Fraction(squares, cross) - (n - 1)
    beta_cv = Fraction(total) / (n + lam)
    if lam <= 0 or lam.denominator > 100 or beta_cv.denominator > 200:
        raise Reject("lambda_CV is not positive or not a hand-friendly fraction")

    fold = f"{n - 1} + lambda"
    if bug == "fit-on-all":
        cv = " + ".join(_squared_gap(v, total, f"{n} + lambda") for v in y)
    else:
        cv = " + ".join(_squared_gap(v, r, fold) for v, r in zip(y, rest))
    lam_answer = {"fit-on-all": Fraction(0), "n-in-fold": lam - 1}.get(bug, lam)

    # beta(l) = total / (scale * (shift + l)); the two bugs change scale and shift
    scale, shift = {"one-residual": (1, 1), "mean-loss": (n, 1)}.get(bug, (1, n))
    den = f"{shift} + lambda" if scale == 1 else f"{scale}*({shift} + lambda)"
    lam_used = given["lambda_cv"] if given and "lambda_cv" in given else lam_answer
    decreasing = total > 0
    return {
        "beta0": Fraction(total, scale * shift),
        "beta_lambda": _over(total, den),
        "decreasing": (not decreasing) if bug == "confused-shrinkage" else decreasing,
        "cv_error": cv,
        "lambda_cv": lam_answer,
        "beta_cv": total / (scale * (shift + lam_used)),
    }


# ------------------------------------------------------------------ E2: dropout


def dropout(p, *, bug=None, given=None):
    """A net with ``d`` inputs, hidden layers ``h1, h2, h3`` and one output; dropout
    switches each hidden neuron off independently with probability ``p`` (``q = 1 - p``).

    N, the number of active hidden neurons, is Binomial(H, q) with H = h1 + h2 + h3.
    A parameter is active when every neuron it touches is on (inputs and the output
    always are; a bias touches only its own neuron), so
    E[P] = (d + 1) h1 q + (h1 h2 + h2 h3) q^2 + (h2 + 2 h3) q + 1.

    Bugs:
      ``p-as-keep``: uses p as the probability of keeping a neuron;
      ``layer-drop``: drops the whole layer with probability p;
      ``union-sum`` / ``all-layers``: adds the layers' probabilities, or requires all
      layers off at once;
      ``poisson-variance`` / ``variance-times-h``: Var N taken as E N, or as H^2 p q;
      ``keep-fraction``: sets p to the share of neurons kept;
      ``independent-params``: every parameter survives with probability q on its own.
    """
    d, hs = p["d"], [p["h1"], p["h2"], p["h3"]]
    off = exact(p["p"])
    if bug == "p-as-keep":
        off = 1 - off
    keep = 1 - off
    layer_off = [off ** h for h in hs]
    if bug == "union-sum":
        any_off = sum(layer_off)
    elif bug == "all-layers":
        any_off = math.prod(layer_off)
    else:
        any_off = 1 - math.prod(1 - x for x in layer_off)
    H = sum(hs)
    variance = {"poisson-variance": H * keep, "variance-times-h": H * H * off * keep}.get(bug, H * off * keep)
    h1, h2, h3 = hs
    if bug == "independent-params":
        active = keep * ((d + 1) * h1 + (h1 + 1) * h2 + (h2 + 1) * h3 + h3 + 1)
    else:
        active = (d + 1) * h1 * keep + (h1 * h2 + h2 * h3) * keep ** 2 + (h2 + 2 * h3) * keep + 1
    thin = Fraction(p["thin"], 100)
    # the probabilities are asked to 4 significant figures: their exact fractions are unwieldy
    return {
        "p_layer_off": float(off if bug == "layer-drop" else layer_off[0]),
        "p_any_off": float(any_off),
        "mean_active": H * keep,
        "var_active": variance,
        "p_thin": 1 - thin if bug == "keep-fraction" else thin,
        "exp_params": active,
    }


# ----------------------------------------------------------- E3: initialisation


def _phi(z: float) -> float:
    """Standard normal CDF."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def initialisation(p, *, bug=None, given=None):
    """Variance propagation through a layer with ``n_in`` inputs, and the chance that a
    ReLU unit outputs zero.

    With independent zero-mean inputs of variance v, independent zero-mean weights of
    variance s_w^2 and an activation with slope 1 at 0, Var(sum w_i x_i) = n_in s_w^2 v.
    U[-a, a] has variance a^2 / 3, so a = c / sqrt(n_in) scales the variance by c^2 / 3 per
    layer. A ReLU unit with weights N(0, s^2), fixed input x and bias b0 has
    pre-activation N(b0, s^2 |x|^2), so it outputs 0 with probability Phi(-b0 / (s |x|)).

    ``given`` may hold the student's ``ratio_uniform`` (for ``ratio_depth``) and
    ``p_zero_bias`` (for ``p_dead_layer``).

    Bugs:
      ``uniform-variance-a2``: Var U[-a, a] taken as a^2;  ``forgot-n``: the n_in terms not summed;
      ``linear-in-depth``: L layers multiply the variance by L r instead of r^L;
      ``forgot-3``: the bound sqrt(1 / n_in);  ``bound-squared``: the variance 3 / n_in given as the bound;
      ``he-instead`` / ``normal-std-instead``: sqrt(6 / n_in), or Xavier's normal std, for Xavier's bound;
      ``std-not-variance``: n_in s instead of n_in s^2;  ``variance-not-std``: a variance given as a std;
      ``lecun-for-relu``: sqrt(1 / n_in) for a ReLU layer;
      ``all-terms-negative``: zero output only when every w_i x_i < 0;
      ``bias-ignored`` / ``variance-for-std`` / ``sign``: 1/2; s^2 |x|^2 as the std; P(z > 0);
      ``at-least-one``: some unit, rather than all, outputs zero.
    """
    n_in, n_out, c, depth = p["n_in"], p["n_out"], exact(p["c"]), p["depth"]
    s = exact(p["s"])

    ratio = {"uniform-variance-a2": c * c, "forgot-n": c * c / (3 * n_in)}.get(bug, c * c / 3)
    r = given["ratio_uniform"] if given and "ratio_uniform" in given else ratio
    # asked to 3 significant figures: the exact power is an unwieldy fraction
    ratio_depth = float(depth * r if bug == "linear-in-depth" else r ** depth)

    a_keep = {"forgot-3": math.sqrt(1 / n_in), "bound-squared": 3 / n_in}.get(bug, math.sqrt(3 / n_in))
    xavier = {"he-instead": math.sqrt(6 / n_in),
              "normal-std-instead": math.sqrt(2 / (n_in + n_out))}.get(bug, math.sqrt(6 / (n_in + n_out)))
    ratio_normal = n_in * s if bug == "std-not-variance" else n_in * s * s
    s_keep = 1 / n_in if bug == "variance-not-std" else 1 / math.sqrt(n_in)
    he = {"lecun-for-relu": math.sqrt(1 / n_in), "variance-not-std": 2 / n_in}.get(bug, math.sqrt(2 / n_in))

    x = p["x"]
    spread = float(p["sw"]) * math.sqrt(sum(v * v for v in x))  # std of w . x
    z = float(p["b0"]) / spread
    p_bias = {"bias-ignored": 0.5, "variance-for-std": _phi(-float(p["b0"]) / spread ** 2),
              "sign": _phi(z)}.get(bug, _phi(-z))
    q = given["p_zero_bias"] if given and "p_zero_bias" in given else p_bias
    if not 0 <= q <= 1:
        raise ValueError("a probability outside [0, 1]")
    m = p["m"]
    return {
        "ratio_uniform": ratio,
        "ratio_depth": ratio_depth,
        "a_keep": a_keep,
        "xavier": xavier,
        "ratio_normal": ratio_normal,
        "s_keep": s_keep,
        "he_std": he,
        "p_zero_nobias": Fraction(1, 2 ** len(x)) if bug == "all-terms-negative" else Fraction(1, 2),
        "p_zero_bias": p_bias,
        "p_dead_layer": 1 - (1 - q) ** m if bug == "at-least-one" else q ** m,
    }
