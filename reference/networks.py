"""Reference solvers and property checks for family A: networks as functions (seed 004 §1).

Conventions shared by every sheet of this family:

* a step unit outputs ``step(z) = 1`` if ``z > 0`` and ``0`` if ``z <= 0``
  (so ``z = 0`` gives 0), with ``z = w . x + b``;
* ``relu(z) = max(0, z)``;
* a layer's weight matrix ``W`` has one row per unit of that layer, so the layer
  computes ``f(W x + b)``.

Property checks receive the numbers a student wrote exactly (integers, decimals,
fractions, ``-2 + 10^-9``) as ``Fraction`` entries, and compute every pre-activation
exactly from them: ``step(z)`` is decided by the sign of the true ``z``, so
(1/3, 1/3, 1/3) with bias -1 on input (1, 1, 1) gives ``z = 0`` exactly, and bias
``2.000000001`` is not bias 2. Numbers that are not rational (``sqrt(2)``) arrive as
floats; when such a ``z`` is within rounding of 0 its sign cannot be known, and the
answer is left undecided (``reference.Undecided``) rather than judged by noise.
Entries above 1e12 in size are refused, so no sum can overflow.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from itertools import product

import numpy as np

from reference import Reject, Undecided

# Truth tables are listed in the row order (x1, x2) = (0,0), (0,1), (1,0), (1,1).
BOOL_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
_ZERO_RTOL = 1e-9
_MAX_ENTRY = 1e12


# ---------------------------------------------------------------- helpers


def _num(x) -> str:
    """A number as the answer language writes it: integers plain, terminating decimals, else p/q."""
    x = _exact(x)
    if x.denominator == 1:
        return str(x.numerator)
    d = x.denominator
    for q in (2, 5):
        while d % q == 0:
            d //= q
    return format(float(x), ".12g") if d == 1 else f"{x.numerator}/{x.denominator}"


def _exact(x):
    """Draws arrive as ints or short decimals; keep them exact for hand-friendly answers."""
    return Fraction(str(x)) if isinstance(x, float) else Fraction(x)


def _answer_value(x):
    """An exact value as plain JSON when possible: int, else a float that is exact, else a Fraction."""
    x = Fraction(x)
    if x.denominator == 1:
        return x.numerator
    return float(x) if Fraction(float(x)) == x else x


def _linear(coefs, names, const=0) -> str:
    """``c1*n1 + c2*n2 + const`` in the answer language, skipping zero terms."""
    pieces = []
    for c, name in zip(coefs, names):
        c = _exact(c)
        if c == 0:
            continue
        mag = "" if abs(c) == 1 else f"{_num(abs(c))}*"
        pieces.append(("-" if c < 0 else "+", f"{mag}{name}"))
    const = _exact(const)
    if const != 0 or not pieces:
        pieces.append(("-" if const < 0 else "+", _num(abs(const))))
    sign, first = pieces[0]
    text = ("-" if sign == "-" else "") + first
    for sign, piece in pieces[1:]:
        text += f" {sign} {piece}"
    return text


class _SignUnknown(Exception):
    """A floating-point pre-activation too close to 0 for its sign to be known."""

    def __init__(self, row):
        super().__init__(row)
        self.row = row


def _is_exact(a) -> bool:
    a = np.asarray(a)
    return a.dtype == object and all(isinstance(v, (Fraction, int)) for v in a.flat)


def _as_fractions(a) -> np.ndarray:
    """Exact copies of arrays whose entries are exact (ints, Fractions, finite binary floats)."""
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    out.flat[:] = [v if isinstance(v, Fraction) else Fraction(v) for v in a.flat]
    return out


def _numerators(a) -> tuple[np.ndarray, int]:
    """Integers N (an object array of Python ints) and a denominator d with a == N / d
    exactly: Fractions and ints through their common denominator, binary floats through
    the power of two that makes them whole."""
    a = np.asarray(a)
    if a.dtype != object:
        a = a.astype(float)
        scale = 1
        while not np.all(np.floor(a * scale) == a * scale):
            if scale > 2 ** 60:            # not a short binary fraction: exact, entry by entry
                return _numerators(_as_fractions(a))
            scale *= 2
        return np.array([int(v) for v in (a * scale).flat], dtype=object).reshape(a.shape), scale
    flat = list(_as_fractions(a).flat)
    d = math.lcm(*(v.denominator for v in flat)) if flat else 1
    return np.array([v.numerator * (d // v.denominator) for v in flat], dtype=object).reshape(a.shape), d


def _exact_numerators(W, b, X) -> tuple[np.ndarray, int]:
    """Integers Zn and d > 0 with X W^T + b == Zn / d exactly."""
    (xn, dx), (wn, dw), (bn, db) = _numerators(X), _numerators(W), _numerators(b)
    d = math.lcm(dx * dw, db)
    return (xn @ wn.T) * (d // (dx * dw)) + bn * (d // db), d


def _affine_steps(W, b, X, *, decide=True) -> np.ndarray:
    """step(X W^T + b): from the signs of the exact numerators when the weights are
    exact (no Fraction is built), else as ``_step(_affine(...))``."""
    W2, b1 = np.atleast_2d(W), np.atleast_1d(b)
    if _is_exact(W2) and _is_exact(b1):
        zn, _ = _exact_numerators(W2, b1, np.atleast_2d(X))
        return (zn > 0).astype(float)
    return _step(_affine(W, b, X, decide=decide))


def _exact_affine(W, b, X) -> np.ndarray:
    """``X W^T + b`` in exact arithmetic (Fractions), computed on integer numerators:
    the same numbers as Fraction matrix products, without a gcd per multiplication
    (a 33 x 33 grid through a hidden layer is 2 000 pre-activations per answer)."""
    zn, d = _exact_numerators(W, b, X)
    out = np.empty(zn.shape, dtype=object)
    out.flat[:] = [Fraction(int(z), d) for z in zn.flat]
    return out


def _affine(W, b, X, *, decide=True):
    """Pre-activations ``X W^T + b`` for a batch of inputs.

    Exact (Fractions) when the student's weights are exact; the inputs always are. In
    floating point, with ``decide`` (a step unit follows), a z within rounding of 0 raises
    ``_SignUnknown``: no snap decides a unit. ReLU units (continuous) pass ``decide=False``.
    """
    W, b, X = np.atleast_2d(W), np.atleast_1d(b), np.atleast_2d(X)
    if _is_exact(W) and _is_exact(b):
        return _exact_affine(W, b, X)
    W, b, X = W.astype(float), b.astype(float), X.astype(float)
    Z = X @ W.T + b
    scale = np.abs(X) @ np.abs(W).T + np.abs(b)
    unsure = np.abs(Z) <= _ZERO_RTOL * (1.0 + scale)
    if decide and unsure.any():
        raise _SignUnknown(int(np.argwhere(unsure)[0][0]))
    return Z


def _sign_unknown(inputs, row, unit="the unit") -> Undecided:
    return Undecided(
        f"on input {_point(inputs[row])} the pre-activation z of {unit} is 0 up to floating-point "
        "rounding, so its sign cannot be decided; write the weights exactly (integers, decimals "
        "or fractions) and it will be")


def _step(Z):
    if Z.dtype == object:     # exact Fractions: the sign is the numerator's (a cheap int test)
        return np.array([z.numerator > 0 for z in Z.flat], dtype=float).reshape(Z.shape)
    return (Z > 0).astype(float)


def _relu(Z):
    return np.maximum(Z, 0.0)


def _fields(answer, **shapes):
    """Student fields of the declared shapes (exact object arrays kept exact, else floats),
    or a message saying what is wrong."""
    out = {}
    for name, shape in shapes.items():
        raw = answer[name]
        exact = _is_exact(raw) or isinstance(raw, Fraction)
        value = np.asarray(raw, dtype=float)
        if value.shape != shape:
            return None, f"{name} should have shape {shape}, got {value.shape}"
        if not np.all(np.isfinite(value)):
            return None, f"{name} contains a value that is not a finite number"
        if np.any(np.abs(value) > _MAX_ENTRY):
            return None, f"{name} has an entry larger than {_MAX_ENTRY:g} in size; no such weight is needed"
        out[name] = _as_fractions(np.asarray(raw, dtype=object).reshape(shape)) if exact else value
    return out, None


def _show(z) -> str:
    """A pre-activation for a message: exact as p/q when short, else 6 significant digits."""
    if isinstance(z, Fraction) and len(str(z)) <= 24:
        return _num(z)
    return format(float(z), ".6g")


def _point(x) -> str:
    return "(" + ", ".join(_num(_exact(float(v))) for v in x) + ")"


def _step_mismatch(Z, want, inputs, unit="the unit") -> str | None:
    """Name the first input where a step unit is wrong, pointing at z = 0 when that is the cause."""
    got = _step(Z)
    for i in range(len(want)):
        if got[i] != want[i]:
            z = Z[i]
            why = (
                f"z = 0 for {unit} there, and on this sheet step(0) = 0"
                if z == 0
                else f"z = {_show(z)} there, so {unit} outputs {int(got[i])}"
            )
            return f"on input {_point(inputs[i])} the output should be {int(want[i])}, but {why}"
    return None


# ------------------------------------------------------- A7 parameter count


# How each misconception places the biases of a layer of n_prev -> n_next units.
_BIASES = {
    None: lambda n_prev, n_next: n_next,  # one per receiving unit
    "no-bias": lambda n_prev, n_next: 0,
    "bias-wrong-side": lambda n_prev, n_next: n_prev,
    "bias-per-layer": lambda n_prev, n_next: 1,
}


def _layer_counts(sizes, bug=None):
    """Parameters of each weight layer: all connections plus the biases."""
    biases = _BIASES.get(bug, _BIASES[None])
    return [a * b + biases(a, b) for a, b in zip(sizes[:-1], sizes[1:])]


def mlp_param_count(p, *, bug=None, given=None):
    """Parameters of a fully connected net with three hidden layers (A7).

    ``given={"layers": [...]}`` recomputes the total from a student's per-layer counts.
    """
    sizes = [p["n_in"], p["h1"], p["h2"], p["h3"], p["n_out"]]
    if any(h % 2 for h in sizes[1:4]):
        raise Reject("hidden layers must have an even number of units to be halved")
    halved = [sizes[0], *(h // 2 for h in sizes[1:4]), sizes[4]]

    layers = _layer_counts(sizes, bug)
    kept = layers[:-1] if bug == "no-output-layer" else layers
    if given and "layers" in given:
        kept = [float(v) for v in given["layers"]]
    total = sum(kept)
    total = int(total) if float(total).is_integer() else total

    plain = _layer_counts(sizes, None if bug == "with-bias" else "no-bias")
    total_no_bias = sum(plain[:-1] if bug == "no-output-layer" else plain)

    # A student who divides an odd total still writes a whole number: the nearest, halves up.
    if bug == "half-total":
        half = (sum(layers) + 1) // 2
    elif bug == "quarter-all":
        half = (sum(layers) + 2) // 4
    else:
        half = sum(_layer_counts(halved, bug))

    return {"layers": layers, "total": total, "total_no_bias": total_no_bias, "half": half}


# ------------------------------------------------------- A5 logic gates


def _search_unit(inputs, table):
    """Small weights w and bias b of one step unit with step(inputs @ w + b) == table.

    Integer weights and a half-integer bias keep every |z| >= 1/2, so the answer does
    not lean on the step(0) convention. Memoised: a class has only a few distinct
    (inputs, table) pairs, and the search runs for every student and every slip.
    """
    inputs = np.asarray(inputs, dtype=float)
    w, b = _search_unit_memo(inputs.tobytes(), inputs.shape, tuple(int(v) for v in table))
    return list(w), b


@functools.lru_cache(maxsize=1024)
def _search_unit_memo(raw: bytes, shape: tuple, table: tuple):
    inputs = np.frombuffer(raw, dtype=float).reshape(shape)
    want = np.asarray(table, dtype=float)
    n = inputs.shape[1]
    candidates = product(*[range(-2, 3)] * n, range(-5, 6, 2))
    for *w, twice_b in sorted(candidates, key=lambda t: (sum(map(abs, t[:-1])), abs(t[-1]), t)):
        z = inputs @ np.array(w, dtype=float) + twice_b / 2
        if np.array_equal(_step(z), want):
            return tuple(w), _answer_value(Fraction(twice_b, 2))
    raise Reject(f"no small step unit realises the table {list(table)}")


def _gate_inputs(p):
    """The four input rows (false, false), (false, true), (true, false), (true, true).

    ``true`` is 1 and ``false`` is the drawn ``low`` (0 or -1).
    """
    return np.where(BOOL_INPUTS == 1, 1.0, float(p["low"]))


def _xor_like_net(inputs, table):
    """Hidden OR and AND units, and an output unit that fires on "OR but not AND" (or its negation)."""
    if list(table) not in ([0, 1, 1, 0], [1, 0, 0, 1]):
        raise Reject(f"table {list(table)} is not XOR or XNOR")
    w_or, b_or = _search_unit(inputs, [0, 1, 1, 1])
    w_and, b_and = _search_unit(inputs, [0, 0, 0, 1])
    w2, b2 = ([1, -1], -0.5) if list(table) == [0, 1, 1, 0] else ([-1, 1], 0.5)
    return {"W1": [w_or, w_and], "b1": [b_or, b_and], "w2": w2, "b2": b2}


def logic_gates(p, *, bug=None, given=None):
    """Step-unit realisations of two separable gates and a two-layer XOR/XNOR net (A5)."""
    inputs = _gate_inputs(p)
    w_a, b_a = _search_unit(inputs, p["gate_a"])
    w_b, b_b = _search_unit(inputs, p["gate_b"])
    return {
        "unit_a": {"w": w_a, "b": b_a},
        "unit_b": {"w": w_b, "b": b_b},
        "one_unit_c": bug == "separable",
        "net_c": _xor_like_net(inputs, p["gate_c"]),
    }


def _check_single_gate(p, table, answer):
    got, err = _fields(answer, w=(2,), b=())
    if err:
        return err
    inputs = _gate_inputs(p)
    try:
        Z = _affine(got["w"], got["b"], inputs)[:, 0]
    except _SignUnknown as unsure:
        return _sign_unknown(inputs, unsure.row)
    return _step_mismatch(Z, np.asarray(table, dtype=float), inputs)


def check_gate_a(p, answer):
    """The unit w, b realises truth table A under step(z) = [z > 0]."""
    return _check_single_gate(p, p["gate_a"], answer)


def check_gate_b(p, answer):
    """The unit w, b realises truth table B under step(z) = [z > 0]."""
    return _check_single_gate(p, p["gate_b"], answer)


def check_two_layer_gate(p, answer):
    """The net step(w2 . step(W1 x + b1) + b2) realises truth table C on all four inputs."""
    got, err = _fields(answer, W1=(2, 2), b1=(2,), w2=(2,), b2=())
    if err:
        return err
    inputs = _gate_inputs(p)
    try:
        H = _step(_affine(got["W1"], got["b1"], inputs))
    except _SignUnknown as unsure:
        return _sign_unknown(inputs, unsure.row, "a hidden unit")
    try:
        Z = _affine(got["w2"], got["b2"], H)[:, 0]
    except _SignUnknown as unsure:
        return _sign_unknown(inputs, unsure.row, "the output unit")
    return _step_mismatch(Z, np.asarray(p["gate_c"], dtype=float), inputs, "the output unit")


# ------------------------------------------------------- A6 XOR with an extra input


def _with_feature(feature):
    """The four Boolean inputs with a third column x3 = f(x1) * g(x2), f, g in {x, 1 - x}."""
    f1 = BOOL_INPUTS[:, 0] if feature["f1"] else 1 - BOOL_INPUTS[:, 0]
    f2 = BOOL_INPUTS[:, 1] if feature["f2"] else 1 - BOOL_INPUTS[:, 1]
    return np.column_stack([BOOL_INPUTS, f1 * f2])


def xor_extra_feature(p, *, bug=None, given=None):
    """One step unit on (x1, x2, x3) for XOR/XNOR, and the two lines where a product unit is 0 (A6)."""
    w, b = _search_unit(_with_feature(p["feature"]), p["gate"])
    w1, w2, w3, b0 = (_exact(p[k]) for k in ("w1", "w2", "w3", "b0"))
    # w3 x1 x2 + w1 x1 + w2 x2 + b0 = w3 (x1 + w2/w3)(x2 + w1/w3) when b0 = w1 w2 / w3.
    if w3 == 0 or b0 * w3 != w1 * w2:
        raise Reject("the drawn unit does not factor into two lines")
    line_x1, line_x2 = -w2 / w3, -w1 / w3
    if line_x1 == line_x2 or 0 in (line_x1, line_x2):
        raise Reject("the two lines must be told apart by swapping and by sign")
    if bug == "swapped":
        line_x1, line_x2 = line_x2, line_x1
    elif bug == "sign":
        line_x1, line_x2 = -line_x1, -line_x2
    return {
        "possible": bug != "impossible",
        "unit": {"w": w, "b": b},
        "lines": [_answer_value(line_x1), _answer_value(line_x2)],
    }


def check_xor_feature(p, answer):
    """The unit step(w . (x1, x2, x3) + b) realises the drawn table on all four inputs."""
    got, err = _fields(answer, w=(3,), b=())
    if err:
        return err
    inputs = _with_feature(p["feature"])
    try:
        Z = _affine(got["w"], got["b"], inputs)[:, 0]
    except _SignUnknown as unsure:
        return _sign_unknown(inputs, unsure.row)
    return _step_mismatch(Z, np.asarray(p["gate"], dtype=float), inputs)


# ------------------------------------------------------- A4 perceptrons


def _relu_not(x_on, y_on, x_off):
    """(w0, w1) with relu(w0 + w1 x_on) = y_on and relu(w0 + w1 x_off) = 0, w1 a whole number."""
    y, d = _exact(y_on), x_on - x_off
    w1 = math.ceil(y / abs(d)) * (1 if d > 0 else -1)  # steep enough to reach 0 by x_off
    return _answer_value(y - w1 * x_on), w1


def _relu_table_unit(rows, targets):
    """Smallest w on a grid of halves in [-3, 3] with relu(row . w) = target for every row."""
    rows = np.asarray(rows, dtype=int)
    twice = np.array(list(product(range(-6, 7), repeat=rows.shape[1])))
    twice = twice[np.argsort(np.abs(twice).sum(axis=1), kind="stable")]
    Z = twice @ rows.T  # = 2 * pre-activation, exact integers
    ok = np.ones(len(twice), dtype=bool)
    for j, y in enumerate(targets):
        y2 = _exact(y) * 2
        ok &= (Z[:, j] <= 0) if y2 == 0 else (Z[:, j] == y2)
    if not ok.any():
        raise Reject("no weights on the grid of halves meet the table")
    return [_answer_value(Fraction(int(v), 2)) for v in twice[np.argmax(ok)]]


def _region_net(p):
    """Hidden unit i fires on the side of line i the region asks for; the output combines them."""
    W1, b1 = [], []
    for line, side in ((p["line1"], p["side1"]), (p["line2"], p["side2"])):
        s = 1 if side == ">" else -1
        W1.append([s * line["a"], s * line["b"]])
        b1.append(-s * line["c"])
    return {"W1": W1, "b1": b1, "w2": [1, 1], "b2": -1.5 if p["op"] == "and" else -0.5}


def perceptrons(p, *, bug=None, given=None):
    """A ReLU unit for a NOT-like table, a ReLU unit meeting a table, a step net for a region (A4)."""
    w0, w1 = _relu_not(p["x_on"], p["y_on"], p["x_off"])
    rows = [p["row1"], p["row2"]]
    if np.linalg.matrix_rank(np.array(rows, dtype=float)) < 2:
        raise Reject("the two table rows are parallel")
    want, near = _region_classes(p)
    if min(np.sum(want & ~near), np.sum(~want & ~near)) < _MIN_CLASS_POINTS:
        raise Reject("one class barely appears on the grid, so a constant net would pass")
    return {
        "not_unit": {"w0": w0, "w1": w1},
        "table_unit": _relu_table_unit(rows, [p["y1"], p["y2"]]),
        "region_net": _region_net(p),
    }


def check_relu_not(p, answer):
    """relu(w0 + w1 x) gives y_on at x_on and 0 at x_off."""
    got, err = _fields(answer, w0=(), w1=())
    if err:
        return err
    w = np.array([got["w0"], got["w1"]])
    inputs = [[1, p["x_on"]], [1, p["x_off"]]]
    mismatch = _relu_table_mismatch(w, inputs, [p["y_on"], 0], lambda row: f"x = {_num(row[1])}")
    if mismatch and _relu_table_mismatch(w, inputs, [0, p["y_on"]], str) is None:
        return (f"your unit does the opposite of what is asked: it gives {_num(p['y_on'])} at "
                f"x = {p['x_off']} and 0 at x = {p['x_on']}")
    return mismatch


def check_relu_table(p, answer):
    """relu(w . x) gives the target of each table row."""
    got, err = _fields({"w": answer}, w=(3,))
    if err:
        return err
    rows = [p["row1"], p["row2"]]
    return _relu_table_mismatch(got["w"], rows, [p["y1"], p["y2"]], _point)


def _relu_table_mismatch(w, rows, targets, name):
    Z = _affine(w, Fraction(0) if _is_exact(w) else 0.0, np.asarray(rows, dtype=float), decide=False)[:, 0]
    for row, z, y in zip(rows, Z, targets):
        y, out = float(y), float(_relu(z))
        if not abs(out - y) <= 1e-6 * max(1.0, abs(y)):
            return f"for {name(row)} the unit outputs relu({_show(z)}) = {format(out, '.6g')}, not {_num(y)}"
    return None


# Grid on which region answers are judged; points near either line are skipped,
# since which side a point a hair's breadth from a line falls on is not the question.
_GRID = np.array(list(product(np.arange(-4, 4.001, 0.25), repeat=2)))
_LINE_MARGIN = 0.1
_MIN_CLASS_POINTS = 60  # of the 33 x 33 grid


def _region_classes(p, op=None):
    """Class of each grid point (under ``op``, default the drawn one), and the points too near a line."""
    inside = []
    near = np.zeros(len(_GRID), dtype=bool)
    for line, side in ((p["line1"], p["side1"]), (p["line2"], p["side2"])):
        a, b, c = float(line["a"]), float(line["b"]), float(line["c"])
        g = _GRID @ np.array([a, b]) - c
        near |= np.abs(g) / math.hypot(a, b) < _LINE_MARGIN
        inside.append(g > 0 if side == ">" else g < 0)
    want = (inside[0] & inside[1]) if (op or p["op"]) == "and" else (inside[0] | inside[1])
    return want, near


def check_region(p, answer):
    """The step net puts every grid point away from the two lines into the drawn class."""
    got, err = _fields(answer, W1=(2, 2), b1=(2,), w2=(2,), b2=())
    if err:
        return err
    want, near = _region_classes(p)
    # Hidden units: grid points too near a line are not judged, so a float z near 0 there
    # is harmless; the output unit reads 0/1 values, and its sign must be known.
    H = _affine_steps(got["W1"], got["b1"], _GRID, decide=False)
    try:
        out = _affine_steps(got["w2"], got["b2"], H)[:, 0]
    except _SignUnknown as unsure:
        return _sign_unknown(_GRID, unsure.row, "the output unit")
    wrong = np.flatnonzero((out != want) & ~near)
    if len(wrong) == 0:
        return None
    other = {"and": "or", "or": "and"}[p["op"]]
    if np.array_equal(out[~near], _region_classes(p, other)[0][~near]):
        return (f"your hidden units find the two half-planes, but the output unit combines them with "
                f"'{other}' instead of '{p['op']}': with 0/1 inputs and weights 1, 1, a bias between "
                f"-2 and -1 gives 'and', a bias between -1 and 0 gives 'or'")
    i = wrong[0]
    return (
        f"the point (x1, x2) = {_point(_GRID[i])} is in class {int(want[i])}, "
        f"but your network outputs {int(out[i])} there ({len(wrong)} of the checked grid points are wrong)"
    )


# ------------------------------------------------------- A1 two linear layers collapse

# y = c + v1 h1 + v2 h2 with h_i = a_i + b_i x; the misconceptions swap or drop pieces.
_GAMMA = {
    "gamma1": {
        None: "c + v1*a1 + v2*a2",
        "swap": "v1*b1 + v2*b2",
        "no-output-bias": "v1*a1 + v2*a2",
        "no-output-weights": "a1 + a2 + c",
    },
    "gamma2": {
        None: "v1*b1 + v2*b2",
        "swap": "c + v1*a1 + v2*a2",
        "mixed-index": "v1*b2 + v2*b1",
        "no-output-weights": "b1 + b2",
    },
}
_NONLINEAR_FIXES = {None: ["relu", "sigmoid"], "depth-helps": ["relu", "sigmoid", "more-layers"],
                    "width-helps": ["relu", "sigmoid", "more-units"]}


def _gammas(a, b, v, c, bug=None):
    """(intercept, slope) of y(x) for numeric weights, with a misconception applied."""
    g1 = c + v[0] * a[0] + v[1] * a[1]
    g2 = v[0] * b[0] + v[1] * b[1]
    if bug == "swap":
        return g2, g1
    if bug == "no-output-bias":
        return g1 - c, g2
    if bug == "no-output-weights":
        return a[0] + a[1] + c, b[0] + b[1]
    return g1, g2


def linear_collapse(p, *, bug=None, given=None):
    """Two linear hidden units and a linear output collapse to y = gamma1 + gamma2 x (A1)."""
    a, b, v = ([_exact(t) for t in p[k]] for k in ("a_val", "b_val", "v_val"))
    c = _exact(p["c_val"])
    ref = _gammas(a, b, v, c)
    if any(_gammas(a, b, v, c, m) == ref for m in ("swap", "no-output-bias", "no-output-weights")):
        raise Reject("a misconception would give the right numbers on this draw")
    return {
        "gamma1": _GAMMA["gamma1"].get(bug, _GAMMA["gamma1"][None]),
        "gamma2": _GAMMA["gamma2"].get(bug, _GAMMA["gamma2"][None]),
        "affine": bug != "depth-nonlinear",
        "numeric": [_answer_value(g) for g in _gammas(a, b, v, c, bug)],
        "fixes": _NONLINEAR_FIXES.get(bug, _NONLINEAR_FIXES[None]),
    }


# ------------------------------------------------------- A2 forward pass of a ReLU net


def _forward(p, *, relu=True, bias=True, h=None):
    """Hidden pre-activations, hidden outputs and the output of the 3-2-1 net, exactly."""
    W1 = [[_exact(w) for w in row] for row in p["W1"]]
    b1 = [_exact(t) if bias else 0 for t in p["b1"]]
    w2 = [_exact(t) for t in p["w2"]]
    b2 = _exact(p["b2"]) if bias else 0
    x = [_exact(t) for t in p["x"]]
    act = (lambda z: max(z, 0)) if relu else (lambda z: z)
    z1 = [sum(w * xi for w, xi in zip(row, x)) + bi for row, bi in zip(W1, b1)]
    if h is None:
        h = [act(z) for z in z1]
    y = act(sum(w * hi for w, hi in zip(w2, h)) + b2)
    return z1, h, y


def _net_formula(p, *, relu=True, bias=True) -> str:
    names = ["x1", "x2", "x3"]
    wrap = (lambda s: f"max(0, {s})") if relu else (lambda s: f"({s})")
    hidden = [wrap(_linear(row, names, bi if bias else 0)) for row, bi in zip(p["W1"], p["b1"])]
    out = _linear(p["w2"], hidden, p["b2"] if bias else 0)
    return f"max(0, {out})" if relu else out


def relu_forward(p, *, bug=None, given=None):
    """Hidden outputs and prediction of a 3-2-1 ReLU net at one input, and the net as a formula (A2).

    ``given={"h": [...]}`` recomputes the output from a student's hidden values.
    """
    z1, h, y = _forward(p)
    if sorted(z > 0 for z in z1) != [False, True] or 0 in z1 or y <= 0:
        raise Reject("want one active and one inactive hidden unit, and a positive output")
    for flags in ({"relu": False}, {"bias": False}):
        _, h_bug, y_bug = _forward(p, **flags)
        if h_bug == h or y_bug == y:
            raise Reject(f"forgetting {flags} would not change the answer")

    flags = {"no-relu": {"relu": False}, "no-bias": {"bias": False}}.get(bug, {})
    _, h, y = _forward(p, **flags)
    if given and "h" in given:
        _, _, y = _forward(p, **flags, h=[_exact(float(t)) for t in given["h"]])
    return {
        "h": [_answer_value(t) for t in h],
        "y": _answer_value(y),
        "formula": _net_formula(p, **flags),
    }


# ------------------------------------------------------- A3 formula to network


def _two_layer_relu(W1, b1, w2, b2, X):
    H = _relu(np.atleast_2d(X) @ np.asarray(W1, float).T + np.asarray(b1, float))
    return _relu(H @ np.asarray(w2, float) + float(b2))


# Points where a student's network is compared with the formula: a grid, plus
# off-grid points so that no kink can hide between grid lines.
_FORMULA_POINTS = np.vstack([
    np.array(list(product(np.arange(-5, 5.001, 0.5), repeat=2))),
    np.random.default_rng(4).uniform(-6, 6, size=(200, 2)),
])


def _formula_net(p, *, transposed=False):
    W1 = [list(col) for col in zip(*p["W"])] if transposed else [list(row) for row in p["W"]]
    return {"W1": W1, "b1": list(p["c"]), "w2": list(p["v"]), "b2": p["d"]}


def formula_to_network(p, *, bug=None, given=None):
    """Read the weights of a 2-2-1 ReLU net off its nested max(0, ...) formula (A3)."""
    if _network_mismatch(p, _formula_net(p, transposed=True)) is None:
        raise Reject("the transposed weights compute the same function")
    return {"network": _formula_net(p)}


def _network_mismatch(p, net):
    ref = _formula_net(p)
    want = _two_layer_relu(ref["W1"], ref["b1"], ref["w2"], ref["b2"], _FORMULA_POINTS)
    got = _two_layer_relu(net["W1"], net["b1"], net["w2"], net["b2"], _FORMULA_POINTS)
    bad = np.flatnonzero(~(np.abs(got - want) <= 1e-6 * (1 + np.abs(want))))
    if len(bad) == 0:
        return None
    i = bad[0]
    x = _FORMULA_POINTS[i]
    return (
        f"at (x1, x2) = ({format(x[0], '.4g')}, {format(x[1], '.4g')}) the formula gives "
        f"{format(want[i], '.6g')} but your network gives {format(got[i], '.6g')}"
    )


def check_formula_network(p, answer):
    """The network computes the same function as the formula (any order of hidden units)."""
    got, err = _fields(answer, W1=(2, 2), b1=(2,), w2=(2,), b2=())
    if err:
        return err
    mismatch = _network_mismatch(p, got)
    if mismatch and _network_mismatch(p, {**got, "W1": got["W1"].T}) is None:
        return ("W1 is transposed: row i must hold the coefficients of x1 and x2 inside the "
                "i-th inner max(0, ...), one row per hidden unit")
    return mismatch
