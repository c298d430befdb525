"""Numeric evaluation with numpy: the fast path of grading.

Every value is a complex array of shape ``(points, rows, cols)``; a scalar is
``(points, 1, 1)``, so one walk of the tree evaluates many sample points at once.
Arithmetic is complex so that ``log`` and ``sqrt`` of negatives stay defined (the
comparison skips points where a result is not real). Floating point bounds the
cost: overflow gives inf/nan, never an exception or a big-integer blow-up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from . import tree as t
from .errors import AnswerError
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


_ELEMENTWISE = {
    "exp": np.exp, "log": _principal(np.log), "sqrt": _principal(np.sqrt), "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan, "tanh": np.tanh, "sigmoid": _sigmoid,
    "abs": lambda z: np.abs(z).astype(complex),
}
_CONSTANTS = {"e": math.e, "pi": math.pi}


def _number(value) -> complex:
    try:
        return complex(float(value))
    except OverflowError:
        return complex(math.inf)


class BatchEvaluator:
    """Evaluates sized trees (see ``shapes.with_sizes``) over a batch of points.

    ``env`` maps each name to an array of shape ``(points, rows, cols)`` (or
    ``(1, rows, cols)``, broadcast over the points).
    """

    def __init__(self, env: Mapping[str, np.ndarray]):
        self.env = env

    def run(self, node: t.Node) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.value(node)

    def value(self, node: t.Node) -> np.ndarray:
        if isinstance(node, t.Num):
            return np.full((1, 1, 1), _number(node.value))
        if isinstance(node, t.Const):
            return np.full((1, 1, 1), complex(_CONSTANTS[node.name]))
        if isinstance(node, t.Sym):
            return self.env[node.name]
        if isinstance(node, t.Identity):
            return np.eye(node.size, dtype=complex)[None]
        if isinstance(node, t.Neg):
            return -self.value(node.arg)
        if isinstance(node, t.Transpose):
            return np.swapaxes(self.value(node.arg), 1, 2)
        if isinstance(node, t.Add):
            return self.value(node.left) + self.value(node.right)
        if isinstance(node, t.Sub):
            return self.value(node.left) - self.value(node.right)
        if isinstance(node, t.Mul):
            a, b = self.value(node.left), self.value(node.right)
            if a.shape[1:] == (1, 1) or b.shape[1:] == (1, 1):
                return a * b
            return np.matmul(a, b)
        if isinstance(node, (t.Div, t.Hadamard)):
            a, b = self.value(node.left), self.value(node.right)
            return a / b if isinstance(node, t.Div) else a * b
        if isinstance(node, t.Pow):
            return self.power(node)
        if isinstance(node, t.Call):
            return self.call(node)
        if isinstance(node, t.Vector):
            items = [self.value(item) for item in node.items]
            return np.concatenate(np.broadcast_arrays(*items), axis=1)
        if isinstance(node, t.Matrix):
            cells = [[self.value(item) for item in row] for row in node.rows]
            flat = np.broadcast_arrays(*(c for row in cells for c in row))
            width = len(cells[0])
            rows = [np.concatenate(flat[i:i + width], axis=2)
                    for i in range(0, len(flat), width)]
            return np.concatenate(rows, axis=1)
        raise TypeError(f"not an answer-language node: {node!r}")

    def power(self, node: t.Pow) -> np.ndarray:
        base, exp = self.value(node.base), self.value(node.exp)
        if base.shape[1:] == (1, 1):
            return np.power(base + 0j, exp)         # +0j: see _principal
        k = int(exp.reshape(-1)[0].real)          # shapes.py checked: a constant integer
        if k < 0:
            base, k = _inv(base), -k
        return np.linalg.matrix_power(base, k)

    def call(self, node: t.Call) -> np.ndarray:
        args = [self.value(a) for a in node.args]
        func = node.func
        if func in _ELEMENTWISE:
            return _ELEMENTWISE[func](args[0])
        if func in t.VARIADIC_FUNCTIONS:
            result = args[0]
            for other in args[1:]:
                result = _pick(result, other, func == "max")
            return result
        if func == "inv":
            return _inv(args[0])
        if func == "det":
            return np.linalg.det(args[0])[:, None, None]
        return np.trace(args[0], axis1=1, axis2=2)[:, None, None]       # tr


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


def to_number(node: t.Node) -> float:
    """A constant expression as a float; ``AnswerError`` for variables or a non-finite value."""
    names = sorted(t.free_names(node))
    if names:
        listed = ", ".join(f"'{n}'" for n in names)
        raise AnswerError(f"expected a number, but the answer contains {listed}")
    value = evaluate(node, {})
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
