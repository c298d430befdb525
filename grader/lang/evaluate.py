"""Numeric evaluation with numpy: the fast path of grading.

Every value is a complex array of shape ``(points, rows, cols)``; a scalar is
``(points, 1, 1)``, so one walk of the tree evaluates many sample points at once.
Arithmetic is complex so that ``log`` and ``sqrt`` of negatives stay defined (the
comparison skips points where a result is not real). Floating point bounds the
cost: overflow gives inf/nan, never an exception or a big-integer blow-up.
"""

from __future__ import annotations

import cmath
import functools
import math
from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from . import tree as t
from . import precise
from .errors import FLOAT_MAX, AnswerError, too_large
from .memo import IdentityMemo
from .shapes import with_sizes


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a non-positive real part never overflows.
    positive = z.real >= 0
    ez = np.exp(np.where(positive, -z, z))
    return np.where(positive, 1 / (1 + ez), ez / (1 + ez))


def _pick(a: np.ndarray, b: np.ndarray, larger: bool) -> np.ndarray:
    take_a = a.real >= b.real if larger else a.real <= b.real
    return np.where(take_a, a, b)


def _inv(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        # One singular sample must not spoil the others: invert them one by one.
        out = np.full(a.shape, np.nan, dtype=complex)
        for i, m in enumerate(a):
            try:
                out[i] = np.linalg.inv(m)
            except np.linalg.LinAlgError:
                pass
        return out


def _principal(fn):
    # Adding +0j turns a -0.0 imaginary part (left by negation) into +0.0, so that
    # sqrt(-4) is 2j and log(-1) is i*pi, as for a negative real number.
    return lambda z: fn(z + 0j)


def _softplus(z: np.ndarray) -> np.ndarray:
    # log(1 + e^z) without overflow: z + log(1 + e^-z) for a positive real part
    positive = z.real > 0
    return np.where(positive, z + np.log1p(np.exp(-np.where(positive, z, 0))),
                    np.log1p(np.exp(np.where(positive, 0, z))))


def _relu(z: np.ndarray) -> np.ndarray:
    return np.where(z.real > 0, z, 0j)


_ERF = np.frompyfunc(math.erf, 1, 1)


def _erf(z: np.ndarray) -> np.ndarray:
    # real arguments only (no complex erf in numpy): elsewhere the point is unusable
    value = _ERF(z.real).astype(float).astype(complex)
    return np.where(z.imag == 0, value, np.nan)


_LOG2, _LOG10 = math.log(2), math.log(10)

_ELEMENTWISE = {
    "exp": np.exp, "log": _principal(np.log), "sqrt": _principal(np.sqrt), "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "sigmoid": _sigmoid,
    "abs": lambda z: np.abs(z).astype(complex),
    # Principal complex branches, as for log and sqrt: outside a real domain (asin of
    # 1.5, acosh of 0.5, atanh of 2) the value is complex and the point is skipped.
    "cosh": np.cosh, "sinh": np.sinh, "sech": lambda z: 1 / np.cosh(z),
    "atan": _principal(np.arctan), "asin": _principal(np.arcsin),
    "acos": _principal(np.arccos), "atanh": _principal(np.arctanh),
    "asinh": _principal(np.arcsinh), "acosh": _principal(np.arccosh),
    "log2": lambda z: np.log(z + 0j) / _LOG2, "log10": lambda z: np.log(z + 0j) / _LOG10,
    "softplus": _softplus, "relu": _relu, "erf": _erf,
}
# |f'(a)| from the argument a and the value v: how much an input error is amplified.
_SLOPES = {
    "exp": lambda a, v: np.abs(v), "log": lambda a, v: 1 / np.abs(a),
    "sqrt": lambda a, v: 1 / (2 * np.abs(v)), "abs": lambda a, v: 1.0,
    "sin": lambda a, v: 1.0, "cos": lambda a, v: 1.0, "tan": lambda a, v: 1 + np.abs(v) ** 2,
    "tanh": lambda a, v: np.abs(1 - v * v), "sigmoid": lambda a, v: np.abs(v * (1 - v)),
    "cosh": lambda a, v: np.abs(np.sinh(a)), "sinh": lambda a, v: np.abs(np.cosh(a)),
    "sech": lambda a, v: np.abs(v * np.tanh(a)), "atan": lambda a, v: 1 / np.abs(1 + a * a),
    "asin": lambda a, v: 1 / np.abs(np.sqrt(1 - a * a + 0j)),
    "acos": lambda a, v: 1 / np.abs(np.sqrt(1 - a * a + 0j)),
    "atanh": lambda a, v: 1 / np.abs(1 - a * a),
    "asinh": lambda a, v: 1 / np.abs(np.sqrt(1 + a * a + 0j)),
    "acosh": lambda a, v: 1 / np.abs(np.sqrt(a * a - 1 + 0j)),
    "log2": lambda a, v: 1 / (np.abs(a) * _LOG2), "log10": lambda a, v: 1 / (np.abs(a) * _LOG10),
    "softplus": lambda a, v: np.abs(_sigmoid(a)), "relu": lambda a, v: 1.0,
    "erf": lambda a, v: 2 / math.sqrt(math.pi) * np.abs(np.exp(-a * a)),
}
_CONSTANTS = {"e": math.e, "pi": math.pi}


@functools.lru_cache(maxsize=1024)
def _constant(value) -> np.ndarray:
    """A number as a read-only (1, 1, 1) array, shared by every use of it."""
    try:
        z = complex(float(value))
    except OverflowError:
        z = complex(math.inf)
    array = np.full((1, 1, 1), z)
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=64)
def _identity(size: int) -> np.ndarray:
    """The ``size``×``size`` identity as a read-only (1, size, size) array."""
    array = np.eye(size, dtype=complex)[None]
    array.flags.writeable = False
    return array


_MODULI = IdentityMemo(4096)          # read-only array → its absolute value


def _modulus(value: np.ndarray) -> np.ndarray:
    """``np.abs(value)``, memoised for read-only arrays (constants and the cached sample
    values): every magnitude pass starts from the same leaves."""
    if value.flags.writeable:
        return np.abs(value)
    modulus = _MODULI.get(value)
    if modulus is None:
        modulus = np.abs(value)
        modulus.flags.writeable = False
        _MODULI.put(value, modulus)
    return modulus


class BatchEvaluator:
    """Evaluates sized trees (see ``shapes.with_sizes``) over a batch of points.

    ``env`` maps each name to an array of shape ``(points, rows, cols)`` (or
    ``(1, rows, cols)``, broadcast over the points). With ``magnitudes=True`` each
    value comes with a first-order bound on the size of the terms it was computed
    from (sums of absolute values instead of cancelling sums): rounding errors are
    a few machine epsilons times that bound, so comparisons can tell cancellation
    noise (``x*(x+1) - x^2 - x``) from a real difference near zero.
    """

    def __init__(self, env: Mapping[str, np.ndarray], magnitudes: bool = False):
        self.env = env
        self.track = magnitudes
        self.steps = 0          # operations evaluated (each may round once): scales the noise

    def run(self, node: t.Node) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.pair(node)[0]

    def pair(self, node: t.Node) -> tuple[np.ndarray, np.ndarray | None]:
        """(value, magnitude bound); the bound is ``None`` when not tracking.

        Callers outside ``run`` wrap this in ``np.errstate(all="ignore")``."""
        self.steps += 1
        return _RULES[type(node)](self, node)        # a table: this runs for every node

    def number(self, node: t.Num):
        # By the node's identity: hashing a Fraction costs more than the look-up it
        # serves, and the parser hands out one node per distinct number token.
        known = _NUMBERS.get(node)
        if known is None:
            value = _constant(node.value)
            known = _NUMBERS.put(node, (value, _modulus(value)))
        return known if self.track else (known[0], None)

    def leaf(self, node: t.Const | t.Sym | t.Identity):
        if type(node) is t.Sym:
            value = self.env[node.name]
        elif type(node) is t.Const:
            value = _constant(_CONSTANTS[node.name])
        else:
            value = _identity(node.size)
        return value, (_modulus(value) if self.track else None)

    def negate(self, node: t.Neg):
        value, mag = self.pair(node.arg)
        return -value, mag

    def transpose(self, node: t.Transpose):
        value, mag = self.pair(node.arg)
        return np.swapaxes(value, 1, 2), (None if mag is None else np.swapaxes(mag, 1, 2))

    def add(self, node: t.Add | t.Sub):
        (a, am), (b, bm) = self.pair(node.left), self.pair(node.right)
        value = a + b if type(node) is t.Add else a - b
        return value, (am + bm if self.track else None)

    def divide(self, node: t.Div):
        (a, am), (b, bm) = self.pair(node.left), self.pair(node.right)
        value = a / b
        if not self.track:
            return value, None
        return value, (am + np.abs(value) * bm) / np.abs(b)

    def multiply(self, node: t.Mul | t.Hadamard):
        (a, am), (b, bm) = self.pair(node.left), self.pair(node.right)
        if type(node) is t.Mul and a.shape[1:] != (1, 1) and b.shape[1:] != (1, 1):
            return np.matmul(a, b), (np.matmul(am, bm) if self.track else None)
        return a * b, (am * bm if self.track else None)          # scaling, Hadamard

    def literal(self, node: t.Vector | t.Matrix):
        rows = [node.items] if isinstance(node, t.Vector) else node.rows
        pairs = [[self.pair(item) for item in row] for row in rows]

        def assemble(parts):
            flat = np.broadcast_arrays(*(p for row in parts for p in row))
            width = len(parts[0])
            return np.concatenate([np.concatenate(flat[i:i + width], axis=2)
                                   for i in range(0, len(flat), width)], axis=1)

        value = assemble([[v for v, _ in row] for row in pairs])
        mag = assemble([[m for _, m in row] for row in pairs]) if self.track else None
        if isinstance(node, t.Vector):                           # one row of items → a column
            value = np.swapaxes(value, 1, 2)
            mag = None if mag is None else np.swapaxes(mag, 1, 2)
        return value, mag

    def power(self, node: t.Pow):
        (base, bm), (exp, em) = self.pair(node.base), self.pair(node.exp)
        if base.shape[1:] == (1, 1):
            value = np.power(base + 0j, exp)                    # +0j: see _principal
            if not self.track:
                return value, None
            # d(b^e) = e b^(e-1) db + b^e log(b) de. A literal exponent (x^2, x^-1, x^0.5)
            # is exact to half an ulp, far below the |b^e| term, so de is dropped there.
            size = np.abs(value)
            mag = size * (1 + np.abs(exp) * bm / np.abs(base))
            if not _is_literal(node.exp):
                mag = mag + size * np.abs(np.log(base + 0j)) * em
            return value, mag
        k = int(exp.reshape(-1)[0].real)          # shapes.py checked: a constant integer
        if k < 0:
            (base, bm), k = self.inverse(base, bm), -k
        value = np.linalg.matrix_power(base, k)
        return value, (np.linalg.matrix_power(bm, k) * max(k, 1) if self.track else None)

    def inverse(self, a: np.ndarray, am: np.ndarray | None):
        value = _inv(a)
        if am is None:
            return value, None
        size = np.abs(value)
        return value, size + np.matmul(np.matmul(size, am), size)   # d(A^-1) = -A^-1 dA A^-1

    def call(self, node: t.Call):
        pairs = [self.pair(a) for a in node.args]
        a, am = pairs[0]
        func = node.func
        if func in t.VARIADIC_FUNCTIONS:
            value, mag = a, am
            for b, bm in pairs[1:]:
                value = _pick(value, b, func == "max")
                mag = None if mag is None else np.maximum(mag, bm)
            return value, mag
        if func == "inv":
            return self.inverse(a, am)
        if func == "det":
            value = np.linalg.det(a)[:, None, None]
            # Every term of the expansion is at most the product of the row sums.
            return value, (np.prod(am.sum(axis=2), axis=1)[:, None, None] if self.track else None)
        if func == "tr":
            value = np.trace(a, axis1=1, axis2=2)[:, None, None]
            return value, (np.trace(am, axis1=1, axis2=2)[:, None, None] if self.track else None)
        value = _ELEMENTWISE[func](a)
        if not self.track:
            return value, None
        spread = _SLOPES[func](a, value) * am
        if func == "sqrt" and np.count_nonzero(am == 0):
            spread = np.where(am == 0, 0.0, spread)     # sqrt(0) of an exact 0 is exact
        return value, np.abs(value) + spread


def clear_cache() -> None:
    """Forget memoised constants and moduli."""
    _NUMBERS.clear()
    _MODULI.clear()
    _CONSTANT_VALUES.clear()
    _constant.cache_clear()
    _identity.cache_clear()


def _is_literal(node: t.Node) -> bool:
    return type(node) is t.Num or (type(node) is t.Neg and type(node.arg) is t.Num)


_NUMBERS = IdentityMemo(4096)         # Num node → its constant array and its modulus
# A constant tree → its value (``evaluate``) or float (``to_number``): a part's
# reference is read again for every answer. Failures are not kept.
_CONSTANT_VALUES = IdentityMemo(1024)

_RULES = {
    t.Num: BatchEvaluator.number, t.Const: BatchEvaluator.leaf, t.Sym: BatchEvaluator.leaf,
    t.Identity: BatchEvaluator.leaf, t.Neg: BatchEvaluator.negate,
    t.Transpose: BatchEvaluator.transpose, t.Add: BatchEvaluator.add,
    t.Sub: BatchEvaluator.add, t.Div: BatchEvaluator.divide, t.Mul: BatchEvaluator.multiply,
    t.Hadamard: BatchEvaluator.multiply, t.Pow: BatchEvaluator.power,
    t.Call: BatchEvaluator.call, t.Vector: BatchEvaluator.literal,
    t.Matrix: BatchEvaluator.literal,
}


def _as_batch(name: str, value) -> tuple[np.ndarray, t.Shape]:
    if isinstance(value, bool):
        raise TypeError(f"the value of '{name}' is a bool, not a number")
    arr = np.asarray(value, dtype=complex)
    if arr.ndim == 0:
        return arr.reshape(1, 1, 1), ()
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"the value of '{name}' must be a number, a vector or a matrix")
    return arr[None], arr.shape


def evaluate(node: t.Node, env: Mapping[str, object]):
    """The value of ``node`` at one point: a float/complex for a scalar, else a 2-D array.

    ``env`` maps names to numbers, vectors (as columns) or matrices. Results are
    real (float, float64 array) when every imaginary part is zero.
    """
    if not env:
        value = _CONSTANT_VALUES.get(node, "value")
        if value is None:
            value = _CONSTANT_VALUES.put(node, _read_only(_evaluate(node, {})), "value")
        return value.copy() if isinstance(value, np.ndarray) else value
    return _evaluate(node, env)


def _read_only(value):
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    return value


def _evaluate(node: t.Node, env: Mapping[str, object]):
    if not env:
        # Constants (number answers, bracket literals) skip numpy when plain Python can.
        if isinstance(node, (t.Vector, t.Matrix)):
            literal = _literal_array(node)
            if literal is not None:
                return literal
        else:
            z = _scalar(node)
            if z is not None:
                return z.real if z.imag == 0 else z
    batch, names = {}, {}
    for name, value in env.items():
        batch[name], names[name] = _as_batch(name, value)
    sized, shape = with_sizes(node, names)
    result = BatchEvaluator(batch).run(sized)[0]
    if shape == ():
        z = complex(result[0, 0])
        return z.real if z.imag == 0 else z
    return result.real.copy() if not np.any(result.imag) else result


def constant_value(node: t.Node) -> complex | None:
    """The value of a constant scalar expression, or ``None`` if it has no scalar value."""
    try:
        value = evaluate(node, {})
    except AnswerError:
        return None
    return complex(value) if np.ndim(value) == 0 else None


def _plain_number(node: t.Node) -> float | None:
    """The value of a plain number (``0.75``, ``-2``, ``3/4``), the commonest answer, without numpy."""
    sign = 1.0
    if isinstance(node, t.Neg):
        node, sign = node.arg, -1.0
    if isinstance(node, t.Num):
        return sign * float(node.value)
    if isinstance(node, t.Div) and isinstance(node.right, t.Num) and node.right.value != 0:
        top = _plain_number(node.left)
        return None if top is None else sign * top / float(node.right.value)
    return None


def _literal_array(node) -> np.ndarray | None:
    """A bracket literal of constant scalars as an array (a vector as a column), else None."""
    rows = [(item,) for item in node.items] if isinstance(node, t.Vector) else node.rows
    values = [[_scalar(item) for item in row] for row in rows]
    if any(v is None for row in values for v in row):
        return None
    if all(v.imag == 0 for row in values for v in row):
        return np.array([[v.real for v in row] for row in values], dtype=float)
    return np.array(values, dtype=complex)


# -- Constant scalars in plain Python ------------------------------------------------
# The same complex arithmetic and principal branches as BatchEvaluator, one value at
# a time: for a number answer, numpy's per-call cost is most of the work. Anything
# this path does not cover (names, matrices, I) or that fails or leaves the finite
# numbers (overflow, division by zero, log 0) returns None, and numpy decides.

def _scalar_sigmoid(z: complex) -> complex:
    if z.real >= 0:
        return 1 / (1 + cmath.exp(-z))
    ez = cmath.exp(z)
    return ez / (1 + ez)


def _scalar_softplus(z: complex) -> complex:
    if z.real > 0:
        return z + cmath.log(1 + cmath.exp(-z))
    return cmath.log(1 + cmath.exp(z))


def _scalar_erf(z: complex) -> complex:
    if z.imag != 0:
        raise ValueError("erf of a complex number")      # left to numpy: nan, unusable
    return complex(math.erf(z.real))


_SCALAR_FUNCTIONS = {
    "exp": cmath.exp, "log": lambda z: cmath.log(z + 0j), "sqrt": lambda z: cmath.sqrt(z + 0j),
    "sin": cmath.sin, "cos": cmath.cos, "tan": cmath.tan, "tanh": cmath.tanh,
    "sigmoid": _scalar_sigmoid, "abs": lambda z: complex(abs(z)),
    "cosh": cmath.cosh, "sinh": cmath.sinh, "sech": lambda z: 1 / cmath.cosh(z),
    "atan": lambda z: cmath.atan(z + 0j), "asin": lambda z: cmath.asin(z + 0j),
    "acos": lambda z: cmath.acos(z + 0j), "atanh": lambda z: cmath.atanh(z + 0j),
    "asinh": lambda z: cmath.asinh(z + 0j), "acosh": lambda z: cmath.acosh(z + 0j),
    "log2": lambda z: cmath.log(z + 0j) / _LOG2, "log10": lambda z: cmath.log(z + 0j) / _LOG10,
    "softplus": _scalar_softplus, "relu": lambda z: z if z.real > 0 else 0j, "erf": _scalar_erf,
}


def _scalar(node: t.Node) -> complex | None:
    try:
        z = _SCALAR_RULES[type(node)](node)
    except (KeyError, ArithmeticError, ValueError, _NotScalar):
        return None
    return z if cmath.isfinite(z) else None


class _NotScalar(Exception):
    pass


def _scalar_call(node: t.Call) -> complex:
    args = [_scalar_value(a) for a in node.args]
    if node.func in t.VARIADIC_FUNCTIONS:
        value = args[0]
        larger = node.func == "max"
        for b in args[1:]:
            value = value if (value.real >= b.real if larger else value.real <= b.real) else b
        return value
    function = _SCALAR_FUNCTIONS.get(node.func)
    if function is None:
        raise _NotScalar                       # inv, det, tr
    return function(args[0])


def _scalar_value(node: t.Node) -> complex:
    return _SCALAR_RULES[type(node)](node)    # KeyError: a node kind left to numpy




_SCALAR_RULES = {
    t.Num: lambda n: complex(float(n.value)),
    t.Const: lambda n: complex(_CONSTANTS[n.name]),
    t.Neg: lambda n: -_scalar_value(n.arg),
    t.Add: lambda n: _scalar_value(n.left) + _scalar_value(n.right),
    t.Sub: lambda n: _scalar_value(n.left) - _scalar_value(n.right),
    t.Mul: lambda n: _scalar_value(n.left) * _scalar_value(n.right),
    t.Div: lambda n: _scalar_value(n.left) / _scalar_value(n.right),
    t.Pow: lambda n: (_scalar_value(n.base) + 0j) ** _scalar_value(n.exp),
    t.Call: _scalar_call,
}


def _trusted_scalar(node: t.Node) -> complex | None:
    """The float value of a constant scalar expression when its rounding error is
    provably far below its size (1e-12 relative), from the same magnitude bounds as
    the sampling; ``None`` when cancellation or a huge argument might have eaten the
    digits (then ``precise`` computes it)."""
    counter = [0]
    try:
        value, mag = _pair_value(node, counter)
    except (KeyError, ArithmeticError, ValueError, TypeError, _NotScalar):
        return None
    if not (cmath.isfinite(value) and math.isfinite(mag)):
        return None
    if 1e-15 * max(counter[0], 16) * mag <= 1e-12 * abs(value):
        return value
    return None


def _pair_value(node: t.Node, counter: list) -> tuple[complex, float]:
    """(value, magnitude bound) of a constant scalar tree in plain Python."""
    counter[0] += 1
    kind = type(node)
    if kind is t.Num:
        z = complex(float(node.value))
        return z, abs(z)
    if kind is t.Const:
        z = complex(_CONSTANTS[node.name])
        return z, abs(z)
    if kind is t.Neg:
        z, m = _pair_value(node.arg, counter)
        return -z, m
    if kind is t.Call:
        if node.func not in _SCALAR_FUNCTIONS:
            raise _NotScalar
        pairs = [_pair_value(a, counter) for a in node.args]
        if node.func in t.VARIADIC_FUNCTIONS:
            raise _NotScalar
        (a, am), = pairs
        v = _SCALAR_FUNCTIONS[node.func](a)
        spread = 0.0 if am == 0 else float(_SLOPES[node.func](a, v)) * am
        return v, abs(v) + spread
    if kind is t.Pow:
        (b, bm), (e, em) = _pair_value(node.base, counter), _pair_value(node.exp, counter)
        v = (b + 0j) ** e
        m = abs(v) * (1 + abs(e) * bm / abs(b))
        if not _is_literal(node.exp):
            m += abs(v) * abs(cmath.log(b + 0j)) * em
        return v, m
    if kind in (t.Add, t.Sub, t.Mul, t.Div):
        (a, am), (b, bm) = _pair_value(node.left, counter), _pair_value(node.right, counter)
        if kind is t.Add:
            return a + b, am + bm
        if kind is t.Sub:
            return a - b, am + bm
        if kind is t.Mul:
            return a * b, am * bm
        v = a / b
        return v, (am + abs(v) * bm) / abs(b)
    raise _NotScalar


def to_number(node: t.Node) -> float:
    """A constant expression as a float; ``AnswerError`` for variables or a non-finite value."""
    value = _CONSTANT_VALUES.get(node, "number")
    if value is None:
        value = _CONSTANT_VALUES.put(node, _to_number(node), "number")
    return value


def _to_number(node: t.Node) -> float:
    plain = _plain_number(node)
    if plain is not None and math.isfinite(plain):
        return plain
    names = sorted(t.free_names(node))
    if names:
        listed = ", ".join(f"'{n}'" for n in names)
        raise AnswerError(f"expected a number, but the answer contains {listed}")
    # Exactly, or at a precision where the value is honest: a rounded float would
    # make 10^16 + 1 - 10^16 zero and exp(40) + 1 - exp(40) zero.
    exact = precise.rational(node)
    if exact is not None:
        if abs(exact) > _FLOAT_MAX:
            raise too_large("the answer")
        return float(exact)
    value = _trusted_scalar(node)
    if value is None:
        value = precise.constant(node)
    if value is not None and cmath.isinf(value):
        raise too_large("the answer")
    if value is None:
        value = evaluate(node, {})
    if np.shape(value) == (1, 1):              # [[0.5]] or a 1×1 product is a number
        value = value[0, 0]
    if np.ndim(value) != 0:
        rows, cols = np.shape(value)
        raise AnswerError(f"expected a single number, got a {rows}×{cols} "
                          f"{'vector' if 1 in (rows, cols) else 'matrix'}")
    z = complex(value)
    if not (math.isfinite(z.real) and math.isfinite(z.imag)):
        raise AnswerError("the answer is not a finite number")
    if abs(z.imag) > 1e-12 * max(1.0, abs(z.real)):
        raise AnswerError("the answer is not a real number")
    return z.real


_FLOAT_MAX = Fraction(FLOAT_MAX)
