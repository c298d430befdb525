"""High-precision evaluation (mpmath) for what floating point cannot settle honestly.

Sampling in double precision is fast but can be fooled: ``exp(40) + 1 - exp(40)`` is
0 in floats, ``sin(10^20)`` is noise, ``t + 1e12 - 1e12`` loses ``t``'s low digits.
When the float comparison of an answer with the reference is not conclusive at a
point, both trees are evaluated here in mpmath with, for every value, a bound on
the size of the terms it was computed from (as in the float magnitude pass) and the
smallest term of any sum. The working precision is raised until the rounding error
(digits lost times those magnitudes) is far below both the reference's scale and
the smallest term, so that no term of either side is lost: ``exp(100) + 1`` is not
``exp(100)``. The verdict is "equal", "differ" or unknown (``None``, when the needed
precision is beyond ``MAX_DPS`` or a value cannot be computed); unknown leads to
sympy or to ``undecided``, never to ``correct``.

Values are lists of rows of mpmath complex numbers (a scalar is 1×1), mirroring
the (rows, cols) arrays of ``evaluate.BatchEvaluator``: the same principal branches
and the same broadcasting of a scalar over a matrix.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath

from . import tree as t
from .memo import IdentityMemo

START_DPS = 30                         # decimal digits of the first attempt
MAX_DPS = 1500                         # beyond this, unknown
AGREEMENT = 1e-25                      # error at most this times the scale and smallest term
ROUNDING_DIGITS = 3                    # error <= magnitude * 10^(digits - dps)
MAX_EXP_ARGUMENT = 1e5                 # exp/cosh/... of more would not fit any precision
MAX_TRIG_ARGUMENT = mpmath.mpf(10) ** 3000
MAX_MAGNITUDE_BITS = 1 << 16           # |value| at most 2^65536: beyond that, unknown

_FLOAT_MAX = Fraction(1.7976931348623157e308)
_ctx = mpmath.MPContext()              # private: never changes mpmath's global precision
# (one context for the process: grading is single-threaded; a threaded caller would
# need one per thread, as ``_value`` sets its precision)


class Unknown(Exception):
    """This value cannot be computed here (too large, a singular matrix, a pole)."""


# ---------------------------------------------------------------------------------
# Exact rationals: constant sub-expressions built from numbers with + - * / and
# integer powers are computed without rounding (``10^16 + 1 - 10^16`` is 1).

MAX_RATIONAL_BITS = 4096


def rational(node: t.Node) -> Fraction | None:
    """The exact value of a constant rational scalar expression, else ``None``."""
    try:
        return _rational(node)
    except (_NotRational, ZeroDivisionError, OverflowError, RecursionError):
        return None


class _NotRational(Exception):
    pass


def _rational(node: t.Node) -> Fraction:
    kind = type(node)
    if kind is t.Num:
        return node.value
    if kind is t.Neg:
        return -_rational(node.arg)
    if kind in (t.Add, t.Sub, t.Mul, t.Div):
        a, b = _rational(node.left), _rational(node.right)
        if kind is t.Add:
            value = a + b
        elif kind is t.Sub:
            value = a - b
        elif kind is t.Mul:
            value = a * b
        else:
            value = a / b
        return _bounded(value)
    if kind is t.Pow:
        base, exp = _rational(node.base), _rational(node.exp)
        if exp.denominator != 1:
            raise _NotRational
        k = exp.numerator
        bits = max(base.numerator.bit_length(), base.denominator.bit_length())
        if bits * abs(k) > MAX_RATIONAL_BITS:
            raise _NotRational
        return _bounded(base ** k)
    raise _NotRational


def fold(node: t.Node) -> t.Node:
    """``node`` with its rational constant parts computed exactly: a constant subtree
    becomes its value, and the constant terms of a flat sum are added up exactly
    (``t + 1e12 - 1e12`` is ``t``, ``x*(10^20 + 1 - 10^20)`` is ``x*1``). The value is
    unchanged; only what floating point would lose is gone. Returns ``node`` itself
    when nothing folds; memoised by identity (a part's reference folds once)."""
    known = _FOLDED.get(node)
    if known is None:
        known = _FOLDED.put(node, _fold(node)[0])
    return known


_FOLDED = IdentityMemo(1024)


def clear_cache() -> None:
    _FOLDED.clear()


def _fold(node: t.Node) -> tuple[t.Node, Fraction | None]:
    kind = type(node)
    if kind is t.Num:
        return node, node.value
    if kind in (t.Sym, t.Const, t.Identity):
        return node, None
    if kind is t.Add or kind is t.Sub:
        return _fold_sum(node)
    if kind is t.Neg:
        arg, value = _fold(node.arg)
        if value is not None:
            return _literal(-value), -value
        return (node if arg is node.arg else t.Neg(arg)), None
    if kind in (t.Mul, t.Div, t.Pow):
        first, second = t.children(node)
        (a, av), (b, bv) = _fold(first), _fold(second)
        if av is not None and bv is not None:
            value = rational(type(node)(_literal(av), _literal(bv)))
            if value is not None:
                return _literal(value), value
        if a is first and b is second:
            return node, None
        return type(node)(a, b), None
    changed = False

    def fold_child(child):
        nonlocal changed
        new = _fold(child)[0]
        changed = changed or new is not child
        return new
    rebuilt = t.map_children(node, fold_child)
    return (rebuilt if changed else node), None


def _fold_sum(node) -> tuple[t.Node, Fraction | None]:
    terms = []                                   # (positive?, subtree), right to left
    current = node
    while type(current) is t.Add or type(current) is t.Sub:
        terms.append((type(current) is t.Add, current.right))
        current = current.left
    terms.append((True, current))
    terms.reverse()
    folded = [(plus, *_fold(term)) for plus, term in terms]
    constants = [value if plus else -value for plus, _, value in folded if value is not None]
    try:
        total = _bounded(sum(constants, Fraction(0)))
    except _NotRational:
        return node, None
    if len(constants) == len(folded):
        return _literal(total), total
    gain = len(constants) > 1 or (constants and total == 0)
    if not gain and all(new is old for (_, new, _), (_, old) in zip(folded, terms)):
        return node, None
    acc = None
    for plus, new, value in folded:
        if value is not None:
            continue
        if acc is None:
            acc = new if plus else t.Neg(new)
        else:
            acc = t.Add(acc, new) if plus else t.Sub(acc, new)
    if total != 0:
        acc = t.Add(acc, _literal(total)) if total > 0 else t.Sub(acc, _literal(-total))
    return acc, None


def _literal(value: Fraction) -> t.Node:
    """An exact rational as a tree (only evaluated, never printed)."""
    magnitude = abs(value)
    node = t.Num(Fraction(magnitude.numerator))
    if magnitude.denominator != 1:
        node = t.Div(node, t.Num(Fraction(magnitude.denominator)))
    return t.Neg(node) if value < 0 else node


def _bounded(value: Fraction) -> Fraction:
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_RATIONAL_BITS:
        raise _NotRational
    return value


# ---------------------------------------------------------------------------------
# Evaluation at one point, at one precision. Each value is (rows, magnitudes, tiny):
# the entries, a bound on the size of the terms behind each entry, and the smallest
# non-zero operand of any sum in the subtree (infinite when there is none).

_INF = mpmath.mpf("inf")


class _Evaluator:
    def __init__(self, point: dict[str, list[list]]):
        self.point = point              # name -> rows of mpc (exact copies of the floats)

    def run(self, node: t.Node):
        return _RULES[type(node)](self, node)

    def leaf(self, rows):
        return rows, _map(abs, rows), _INF

    def number(self, node: t.Num):
        value = node.value
        return self.leaf([[_ctx.mpc(_ctx.mpf(value.numerator) / value.denominator)]])

    def const(self, node: t.Const):
        return self.leaf([[_ctx.mpc(_ctx.e if node.name == "e" else _ctx.pi)]])

    def sym(self, node: t.Sym):
        return self.leaf(self.point[node.name])

    def identity(self, node: t.Identity):
        n = node.size
        return self.leaf([[_ctx.mpc(1 if i == j else 0) for j in range(n)] for i in range(n)])

    def negate(self, node: t.Neg):
        a, am, tiny = self.run(node.arg)
        return _map(lambda z: -z, a), am, tiny

    def transpose(self, node: t.Transpose):
        a, am, tiny = self.run(node.arg)
        return _transposed(a), _transposed(am), tiny

    def add(self, node: t.Add | t.Sub):
        (a, am, at), (b, bm, bt) = self.run(node.left), self.run(node.right)
        if type(node) is t.Add:
            value = _zip(lambda x, y: x + y, a, b)
        else:
            value = _zip(lambda x, y: x - y, a, b)
        tiny = min(at, bt, _smallest(a), _smallest(b))
        return value, _zip(lambda x, y: x + y, am, bm), tiny

    def multiply(self, node: t.Mul | t.Hadamard):
        (a, am, at), (b, bm, bt) = self.run(node.left), self.run(node.right)
        if type(node) is t.Mul and not _scalar(a) and not _scalar(b):
            return _matmul(a, b), _matmul(am, bm), min(at, bt)
        return _zip(lambda x, y: x * y, a, b), _zip(lambda x, y: x * y, am, bm), min(at, bt)

    def divide(self, node: t.Div):
        (a, am, at), (b, bm, bt) = self.run(node.left), self.run(node.right)

        def div(x, y):
            if y == 0:
                raise Unknown
            return x / y
        value = _zip(div, a, b)
        size = _map(abs, value)
        mag = _zip(lambda m, y: m / abs(y), _zip(lambda m, v: m, am, value), b)
        spread = _zip(lambda v, m: v * m, size, bm)
        mag = _zip(lambda x, y: x + y, mag, _zip(lambda m, y: m / abs(y), spread, b))
        return value, mag, min(at, bt)

    def power(self, node: t.Pow):
        (base, bm, bt), (exp, em, et) = self.run(node.base), self.run(node.exp)
        e = exp[0][0]
        if _scalar(base):
            b = base[0][0]
            value = _power(b, e)
            size = abs(value)
            if b == 0:
                mag = size
            else:
                mag = size * (1 + abs(e) * bm[0][0] / abs(b))
                if type(node.exp) is not t.Num:
                    mag += size * abs(_ctx.log(b)) * em[0][0]
            return [[value]], [[_checked(mag)]], min(bt, et)
        k = int(e.real)
        if k < 0:
            (base, bm), k = _inverse(base, bm), -k
        n = len(base)
        value = [[_ctx.mpc(1 if i == j else 0) for j in range(n)] for i in range(n)]
        mag = [[_ctx.mpf(1 if i == j else 0) for j in range(n)] for i in range(n)]
        for _ in range(k):
            value, mag = _matmul(value, base), _matmul(mag, bm)
        return value, _map(lambda m: m * max(k, 1), mag), bt

    def call(self, node: t.Call):
        args = [self.run(a) for a in node.args]
        func = node.func
        tiny = min(arg[2] for arg in args)
        if func in t.VARIADIC_FUNCTIONS:
            value, mag = args[0][0], args[0][1]
            for b, bm, _ in args[1:]:
                if func == "max":
                    value = _zip(lambda x, y: x if x.real >= y.real else y, value, b)
                else:
                    value = _zip(lambda x, y: x if x.real <= y.real else y, value, b)
                mag = _zip(max, mag, bm)
            return value, mag, tiny
        a, am, _ = args[0]
        if func == "inv":
            value, mag = _inverse(a, am)
            return value, mag, tiny
        if func == "det":
            rows = [_ctx.fsum(row) for row in am]
            bound = _ctx.fprod(rows)
            return [[_ctx.mpc(_det(a))]], [[_checked(bound)]], tiny
        if func == "tr":
            return ([[_ctx.fsum(a[i][i] for i in range(len(a)))]],
                    [[_ctx.fsum(am[i][i] for i in range(len(a)))]], tiny)
        function, slope = _FUNCTIONS[func]
        value = _map(function, a)
        mag = [[abs(v) + (0 if m == 0 else slope(z, v) * m) for z, v, m in zip(ra, rv, rm)]
               for ra, rv, rm in zip(a, value, am)]
        return value, mag, tiny

    def literal(self, node: t.Vector | t.Matrix):
        rows = [[item] for item in node.items] if type(node) is t.Vector else node.rows
        parts = [[self.run(item) for item in row] for row in rows]
        return ([[p[0][0][0] for p in row] for row in parts],
                [[p[1][0][0] for p in row] for row in parts],
                min((p[2] for row in parts for p in row), default=_INF))


def _scalar(value) -> bool:
    return len(value) == 1 and len(value[0]) == 1


def _map(fn, a):
    return [[fn(z) for z in row] for row in a]


def _transposed(a):
    return [list(col) for col in zip(*a)]


def _smallest(a):
    sizes = [abs(z) for row in a for z in row if z != 0]
    return min(sizes) if sizes else _INF


def _zip(fn, a, b):
    if _scalar(a) and not _scalar(b):
        x = a[0][0]
        return [[_checked(fn(x, y)) for y in row] for row in b]
    if _scalar(b) and not _scalar(a):
        y = b[0][0]
        return [[_checked(fn(x, y)) for x in row] for row in a]
    return [[_checked(fn(x, y)) for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def _checked(z):
    """Refuse values whose exponent alone would make further work unbounded."""
    if z != 0 and not (-MAX_MAGNITUDE_BITS < _ctx.mag(z) < MAX_MAGNITUDE_BITS):
        raise Unknown
    return z


def _matmul(a, b):
    return [[_checked(_ctx.fsum(x * y for x, y in zip(row, col))) for col in zip(*b)] for row in a]


def _as_matrix(a):
    m = _ctx.matrix(len(a), len(a[0]))
    for i, row in enumerate(a):
        for j, z in enumerate(row):
            m[i, j] = z
    return m


def _inverse(a, am):
    try:
        m = _ctx.inverse(_as_matrix(a))
    except ZeroDivisionError:
        raise Unknown from None
    value = [[_checked(_ctx.mpc(m[i, j])) for j in range(m.cols)] for i in range(m.rows)]
    size = _map(abs, value)
    # d(A^-1) = -A^-1 dA A^-1; the rounding of the inversion itself is of the order
    # of the condition number, counted in by |A^-1| |A| |A^-1|.
    mag = _zip(lambda x, y: x + y, size, _matmul(_matmul(size, am), size))
    return value, mag


def _det(a):
    return _checked(_ctx.det(_as_matrix(a)))


def _power(base, e):
    if base == 0:
        if e.real > 0:
            return _ctx.mpc(0)
        raise Unknown
    # |base^e| = exp(re(e log base)): refuse what no precision could hold.
    if abs(e) * (abs(_ctx.log(abs(base))) + 4) > MAX_EXP_ARGUMENT:
        raise Unknown
    if e.imag == 0 and e.real == int(e.real) and abs(e.real) <= 4096:
        return _checked(base ** int(e.real))              # exact for integer powers
    return _checked(_ctx.power(base, e))


def _guard_exp(z):
    if abs(z.real) > MAX_EXP_ARGUMENT:
        raise Unknown
    return z


def _guard_trig(z):
    if abs(z) > MAX_TRIG_ARGUMENT or abs(z.imag) > MAX_EXP_ARGUMENT:
        raise Unknown
    return z


def _log(z):
    if z == 0:
        raise Unknown
    return _ctx.log(z)


def _sigmoid(z):
    z = _guard_exp(z)
    return 1 / (1 + _ctx.exp(-z))


def _tanh(z):
    if abs(z.real) > 1e4:
        return _ctx.mpc(1 if z.real > 0 else -1)
    return _ctx.tanh(_guard_trig(z))


def _sqrt_slope(z, v):
    if v == 0:
        raise Unknown                      # an inexact argument at sqrt's branch point
    return 1 / (2 * abs(v))


def _log_slope(z, v):
    return 1 / abs(z)


def _finite(fn):
    def checked(z):
        value = fn(z)
        if not _ctx.isfinite(value):
            raise Unknown                  # a pole or a branch point: atanh(1), log(0)
        return value
    return checked


def _softplus(z):
    z = _guard_exp(z)
    if z.real > 0:
        return z + _ctx.log(1 + _ctx.exp(-z))
    return _ctx.log(1 + _ctx.exp(z))


def _root_slope(shift, sign):
    # 1/|sqrt(shift + sign*z^2)|, the slope of asin, acos, asinh, acosh
    def slope(z, v):
        root = abs(_ctx.sqrt(shift + sign * z * z))
        if root == 0:
            raise Unknown
        return 1 / root
    return slope


def _reciprocal_slope(fn):
    def slope(z, v):
        size = abs(fn(z))
        if size == 0:
            raise Unknown
        return 1 / size
    return slope


# name -> (function, |f'| from the argument and the value)
_FUNCTIONS = {
    "cosh": (lambda z: _ctx.cosh(_guard_exp(z)), lambda z, v: abs(_ctx.sinh(z))),
    "sinh": (lambda z: _ctx.sinh(_guard_exp(z)), lambda z, v: abs(_ctx.cosh(z))),
    "sech": (_finite(lambda z: _ctx.sech(_guard_exp(z))), lambda z, v: abs(v * _ctx.tanh(z))),
    "atan": (_finite(_ctx.atan), _reciprocal_slope(lambda z: 1 + z * z)),
    "asin": (_finite(_ctx.asin), _root_slope(1, -1)),
    "acos": (_finite(_ctx.acos), _root_slope(1, -1)),
    "atanh": (_finite(_ctx.atanh), _reciprocal_slope(lambda z: 1 - z * z)),
    "asinh": (_finite(_ctx.asinh), _root_slope(1, 1)),
    "acosh": (_finite(_ctx.acosh), _root_slope(-1, 1)),
    "log2": (lambda z: _log(z) / _ctx.ln2, lambda z, v: 1 / (abs(z) * _ctx.ln2)),
    "log10": (lambda z: _log(z) / _ctx.ln10, lambda z, v: 1 / (abs(z) * _ctx.ln10)),
    "softplus": (_softplus, lambda z, v: abs(_sigmoid(z))),
    "relu": (lambda z: z if z.real > 0 else _ctx.mpc(0), lambda z, v: 1),
    "erf": (lambda z: _ctx.erf(_guard_trig(z)),
            lambda z, v: 2 / _ctx.sqrt(_ctx.pi) * abs(_ctx.exp(-z * z))),
    "exp": (lambda z: _checked(_ctx.exp(_guard_exp(z))), lambda z, v: abs(v)),
    "log": (_log, _log_slope),
    "sqrt": (_ctx.sqrt, _sqrt_slope),
    "abs": (lambda z: _ctx.mpc(abs(z)), lambda z, v: 1),
    "sin": (lambda z: _ctx.sin(_guard_trig(z)), lambda z, v: _ctx.cosh(z.imag)),
    "cos": (lambda z: _ctx.cos(_guard_trig(z)), lambda z, v: _ctx.cosh(z.imag)),
    "tan": (lambda z: _ctx.tan(_guard_trig(z)), lambda z, v: 1 + abs(v) ** 2),
    "tanh": (_tanh, lambda z, v: abs(1 - v * v)),
    "sigmoid": (_sigmoid, lambda z, v: abs(v * (1 - v))),
}

_RULES = {
    t.Num: _Evaluator.number, t.Const: _Evaluator.const, t.Sym: _Evaluator.sym,
    t.Identity: _Evaluator.identity, t.Neg: _Evaluator.negate,
    t.Transpose: _Evaluator.transpose, t.Add: _Evaluator.add, t.Sub: _Evaluator.add,
    t.Mul: _Evaluator.multiply, t.Hadamard: _Evaluator.multiply, t.Div: _Evaluator.divide,
    t.Pow: _Evaluator.power, t.Call: _Evaluator.call, t.Vector: _Evaluator.literal,
    t.Matrix: _Evaluator.literal,
}


def _value(node: t.Node, point, dps: int):
    _ctx.dps = dps
    try:
        return _Evaluator(point).run(node)
    except (Unknown, ZeroDivisionError, ValueError, OverflowError, ArithmeticError):
        return None
    finally:
        _ctx.dps = 15


def _point(env: dict, index: int) -> dict[str, list[list]]:
    """The variables at sample point ``index``, as exact mpmath copies of the floats."""
    point = {}
    for name, array in env.items():
        m = array[index if array.shape[0] > 1 else 0]
        point[name] = [[_ctx.mpc(complex(z)) for z in row] for row in m]
    return point


def _largest(rows):
    return max(abs(z) for row in rows for z in row)


def _error(mag, dps: int):
    return _largest(mag) * _ctx.mpf(10) ** (ROUNDING_DIGITS - dps)


def _needed(error, dps: int, target) -> int | None:
    """The precision at which ``error`` (found at ``dps``) falls below ``target``."""
    if target <= 0 or not _ctx.isfinite(target):
        return None
    extra = int(_ctx.ceil(_ctx.log10(error / target))) + 2 if error > 0 else 0
    new = dps + max(extra, 10)
    return new if new <= MAX_DPS else None


def settle_point(ref: t.Node, ans: t.Node, env: dict, index: int,
                 scale: float = 0.0) -> bool | None:
    """Are ``ref`` and ``ans`` equal at sample point ``index``? ``None``: cannot tell.

    ``scale`` is a size the reference's own values set (its float magnitude bound at
    the point); the answer never widens what counts as equal, it can only make the
    needed precision higher (and past ``MAX_DPS``, the verdict unknown)."""
    point = _point(env, index)
    dps = START_DPS
    while True:
        r, a = _value(ref, point, dps), _value(ans, point, dps)
        if r is None or a is None:
            return None
        (rv, rm, rt), (av, am, at) = r, a
        if len(rv) != len(av) or len(rv[0]) != len(av[0]):
            if not (_scalar(rv) or _scalar(av)):
                return None
        error = _error(rm, dps) + _error(am, dps)
        gap = max(abs(x - y) for x, y in _pairs(rv, av))
        if gap > error:
            return False
        # Equal needs the error far below the reference's size and below every term of
        # either side (a reference that is exactly 0 has no size: its terms count).
        sizes = [x for x in (max(_largest(rv), _ctx.mpf(scale)), rt, at) if x > 0]
        target = AGREEMENT * min(sizes) if sizes else _ctx.mpf(0)
        if error <= target:
            return True
        dps = _needed(error, dps, target)
        if dps is None:
            return None


def _pairs(a, b):
    if _scalar(a) and not _scalar(b):
        return ((a[0][0], y) for row in b for y in row)
    if _scalar(b) and not _scalar(a):
        return ((x, b[0][0]) for row in a for x in row)
    return ((x, y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


def constant(node: t.Node) -> complex | None:
    """A constant scalar expression's value, computed so that its float is honest:
    exactly for rationals, else at a precision where no term of it is lost.
    Infinite when the value exists but is beyond the float range; ``None`` when it
    cannot be computed (a pole, a non-scalar, a precision beyond ``MAX_DPS``)."""
    exact = rational(node)
    if exact is not None:
        return complex(float(exact)) if abs(exact) <= _FLOAT_MAX else complex(math.inf)
    dps = START_DPS
    while True:
        result = _value(node, {}, dps)
        if result is None or not _scalar(result[0]):
            return None
        (value,), (mag,), tiny = result[0][0], result[1][0], result[2]
        z = value
        error = mag * _ctx.mpf(10) ** (ROUNDING_DIGITS - dps)
        # Far below the float's own rounding, and below every term of every sum
        # (sin(pi) has no sum: its absolute error alone counts).
        target = min(1e-17 * abs(z), AGREEMENT * tiny) if abs(z) > 0 else AGREEMENT * tiny
        if error <= target or (error <= 1e-40 and not _ctx.isfinite(tiny)):
            return complex(float(z.real), float(z.imag))     # inf when beyond floats
        if not _ctx.isfinite(target) or target <= 0:
            return complex(float(z.real), float(z.imag)) if error <= 1e-40 else None
        dps = _needed(error, dps, target)
        if dps is None:
            return None
