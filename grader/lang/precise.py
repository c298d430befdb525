"""High-precision evaluation (mpmath) for what floating point cannot settle honestly.

Sampling in double precision is fast but can be fooled: ``exp(40) + 1 - exp(40)`` is
0 in floats, ``sin(10^20)`` is noise, ``t + 1e12 - 1e12`` loses ``t``'s low digits.
When the float comparison of an answer with the reference is not conclusive at a
point, both trees are evaluated here at increasing working precision; a value is
trusted only once two precisions agree, and its error is estimated from their
difference. Nothing here is ever more lenient than the float check: it returns
"equal", "differ" or "unknown" (``None``), and unknown leads to sympy or to
``undecided``, never to ``correct``.

Values are lists of rows of mpmath complex numbers (a scalar is 1×1), mirroring
the (rows, cols) arrays of ``evaluate.BatchEvaluator``: the same principal branches
and the same broadcasting of a scalar over a matrix.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath

from . import tree as t

PRECISIONS = (30, 60, 120, 240, 480)   # decimal digits, tried in pairs (p, next p)
AGREEMENT = 1e-25                      # "equal": agree to 25 digits of the reference's scale
SAFETY = 1e3                           # error estimate of the finer value, times this
MAX_EXP_ARGUMENT = 1e5                 # exp/cosh/... of more would not fit any precision
MAX_TRIG_ARGUMENT = mpmath.mpf(10) ** 3000
MAX_MAGNITUDE_BITS = 1 << 16           # |value| at most 2^65536: beyond that, unknown

_FLOAT_MAX = Fraction(1.7976931348623157e308)
_ctx = mpmath.MPContext()              # private: never changes mpmath's global precision


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


def _bounded(value: Fraction) -> Fraction:
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_RATIONAL_BITS:
        raise _NotRational
    return value


# ---------------------------------------------------------------------------------
# Evaluation at one point, at one precision.

class _Evaluator:
    def __init__(self, point: dict[str, list[list]]):
        self.point = point              # name -> rows of mpc (exact copies of the floats)

    def run(self, node: t.Node) -> list[list]:
        return _RULES[type(node)](self, node)

    def number(self, node: t.Num):
        value = node.value
        return [[_ctx.mpc(_ctx.mpf(value.numerator) / value.denominator)]]

    def const(self, node: t.Const):
        return [[_ctx.mpc(_ctx.e if node.name == "e" else _ctx.pi)]]

    def sym(self, node: t.Sym):
        return self.point[node.name]

    def identity(self, node: t.Identity):
        n = node.size
        return [[_ctx.mpc(1 if i == j else 0) for j in range(n)] for i in range(n)]

    def negate(self, node: t.Neg):
        return _map(lambda z: -z, self.run(node.arg))

    def transpose(self, node: t.Transpose):
        return [list(col) for col in zip(*self.run(node.arg))]

    def add(self, node: t.Add | t.Sub):
        a, b = self.run(node.left), self.run(node.right)
        if type(node) is t.Add:
            return _zip(lambda x, y: x + y, a, b)
        return _zip(lambda x, y: x - y, a, b)

    def multiply(self, node: t.Mul | t.Hadamard):
        a, b = self.run(node.left), self.run(node.right)
        if type(node) is t.Mul and not _scalar(a) and not _scalar(b):
            return _matmul(a, b)
        return _zip(lambda x, y: x * y, a, b)

    def divide(self, node: t.Div):
        a, b = self.run(node.left), self.run(node.right)

        def div(x, y):
            if y == 0:
                raise Unknown
            return x / y
        return _zip(div, a, b)

    def power(self, node: t.Pow):
        base, exp = self.run(node.base), self.run(node.exp)
        e = exp[0][0]
        if _scalar(base):
            return [[_power(base[0][0], e)]]
        k = int(e.real)
        if k < 0:
            base, k = _inverse(base), -k
        result = [[_ctx.mpc(1 if i == j else 0) for j in range(len(base))] for i in range(len(base))]
        for _ in range(k):
            result = _matmul(result, base)
        return result

    def call(self, node: t.Call):
        args = [self.run(a) for a in node.args]
        func = node.func
        if func in t.VARIADIC_FUNCTIONS:
            value = args[0]
            for other in args[1:]:
                if func == "max":
                    value = _zip(lambda x, y: x if x.real >= y.real else y, value, other)
                else:
                    value = _zip(lambda x, y: x if x.real <= y.real else y, value, other)
            return value
        a = args[0]
        if func == "inv":
            return _inverse(a)
        if func == "det":
            return [[_ctx.mpc(_det(a))]]
        if func == "tr":
            return [[_ctx.fsum(a[i][i] for i in range(len(a)))]]
        return _map(_FUNCTIONS[func], a)

    def literal(self, node: t.Vector | t.Matrix):
        rows = [[item] for item in node.items] if type(node) is t.Vector else node.rows
        return [[self.run(item)[0][0] for item in row] for row in rows]


def _scalar(value) -> bool:
    return len(value) == 1 and len(value[0]) == 1


def _map(fn, a):
    return [[fn(z) for z in row] for row in a]


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
    if z != 0 and (_ctx.mag(z) > MAX_MAGNITUDE_BITS or _ctx.mag(z) < -MAX_MAGNITUDE_BITS):
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


def _inverse(a):
    try:
        m = _ctx.inverse(_as_matrix(a))
    except ZeroDivisionError:
        raise Unknown from None
    return [[_checked(_ctx.mpc(m[i, j])) for j in range(m.cols)] for i in range(m.rows)]


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


def _positive_part(z):
    return z if z.real > 0 else _ctx.mpc(0)


_FUNCTIONS = {
    "exp": lambda z: _checked(_ctx.exp(_guard_exp(z))),
    "log": _log,
    "sqrt": _ctx.sqrt,
    "abs": lambda z: _ctx.mpc(abs(z)),
    "sin": lambda z: _ctx.sin(_guard_trig(z)),
    "cos": lambda z: _ctx.cos(_guard_trig(z)),
    "tan": lambda z: _ctx.tan(_guard_trig(z)),
    "tanh": lambda z: _ctx.tanh(_guard_trig(z)) if abs(z.real) < 1e4 else _ctx.mpc(1 if z.real > 0 else -1),
    "sigmoid": _sigmoid,
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


def _largest(value) -> float:
    return max(float(abs(z)) for row in value for z in row)


def _difference(a, b):
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


def settle_point(ref: t.Node, ans: t.Node, env: dict, index: int,
                 scale: float = 0.0) -> bool | None:
    """Are ``ref`` and ``ans`` equal at sample point ``index``? ``None``: cannot tell.

    ``scale`` is a size the reference's own values set (its float magnitude bound at
    the point); the answer never sets it. Both sides are evaluated at two precisions
    at a time; the finer value's error is estimated from their difference."""
    point = _point(env, index)
    previous = None
    for dps in PRECISIONS:
        pair = (_value(ref, point, dps), _value(ans, point, dps))
        if pair[0] is None or pair[1] is None:
            return None
        if previous is not None:
            verdict = _decide(previous, pair, previous_dps, dps, scale)
            if verdict is not None:
                return verdict
        previous, previous_dps = pair, dps
    return None


def _decide(coarse, fine, coarse_dps: int, fine_dps: int, scale: float) -> bool | None:
    (r0, a0), (r1, a1) = coarse, fine
    shrink = 10.0 ** (coarse_dps - fine_dps)
    size = max(_largest(r1), _largest(a1))
    if not math.isfinite(size):
        return None
    error = SAFETY * shrink * (float(_difference(r0, r1)) + float(_difference(a0, a1))) \
        + 10.0 ** (5 - fine_dps) * size
    gap = float(_difference(r1, a1))
    if gap > error:
        return False
    reference = max(_largest(r1), scale, 10.0 ** (-fine_dps / 3))
    if error <= AGREEMENT * reference:
        return True
    return None                        # not converged: try a finer pair


def constant(node: t.Node) -> complex | None:
    """A constant scalar expression's value, computed so that its float is honest:
    exactly for rationals, else at the precision where two evaluations agree.
    Infinite when the value exists but is beyond the float range; ``None`` when it
    cannot be computed (a pole, a non-scalar, no agreement)."""
    exact = rational(node)
    if exact is not None:
        return complex(float(exact)) if abs(exact) <= _FLOAT_MAX else complex(math.inf)
    previous = None
    for dps in PRECISIONS:
        value = _value(node, {}, dps)
        if value is None or not _scalar(value):
            return None
        z = value[0][0]
        if previous is not None:
            error = SAFETY * 10.0 ** (previous_dps - dps) * float(abs(z - previous))
            # Relative agreement, or an absolute error far below what any float could
            # show next to a reference (sin(pi) is 1e-31, then 1e-61, ...).
            if error <= 1e-17 * float(abs(z)) or error <= 1e-40:
                return complex(float(z.real), float(z.imag))     # inf when beyond floats
        previous, previous_dps = z, dps
    return None
