"""Tree → sympy, for the slow exact check only.

Every sympy object is built with constructors on values we made: symbols come from
the caller (from declared names), numbers from our exact ``Fraction``s via
``Integer``/``Rational``. No string ever reaches sympy, so nothing is re-parsed.
A 1×1 result is turned into its entry at once, matching how the evaluator lets
``x^T A x`` act as a scalar.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import tree as t
from .shapes import with_sizes


def to_sympy(node: t.Node, symbols: Mapping[str, object]):
    """A sympy expression (or matrix) for ``node``.

    ``symbols`` maps each name to a sympy ``Symbol``, ``MatrixSymbol``, explicit
    ``Matrix`` or any sympy expression to substitute.
    """
    import sympy

    names = {name: _shape(value, sympy) for name, value in symbols.items()}
    sized, _ = with_sizes(node, names)
    explicit = not any(isinstance(v, sympy.MatrixExpr) and not isinstance(v, sympy.MatrixBase)
                       for v in symbols.values())
    return _Builder(symbols, sympy, explicit).build(sized)


def _shape(value, sympy) -> t.Shape:
    if isinstance(value, (sympy.MatrixBase, sympy.MatrixExpr)):
        return (int(value.shape[0]), int(value.shape[1]))
    return ()


class _Builder:
    def __init__(self, symbols, sympy, explicit: bool):
        self.symbols = symbols
        self.sp = sympy
        self.explicit = explicit          # all matrices are explicit: use eye(n) for I
        self.functions = {
            "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
            "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh,
            "sigmoid": lambda z: 1 / (1 + sympy.exp(-z)),
            "cosh": sympy.cosh, "sinh": sympy.sinh, "sech": sympy.sech, "atan": sympy.atan,
            "asin": sympy.asin, "acos": sympy.acos, "atanh": sympy.atanh,
            "asinh": sympy.asinh, "acosh": sympy.acosh,
            "log2": lambda z: sympy.log(z) / sympy.log(2),
            "log10": lambda z: sympy.log(z) / sympy.log(10),
            "softplus": lambda z: sympy.log(1 + sympy.exp(z)),
            "relu": lambda z: sympy.Max(0, z), "erf": sympy.erf,
        }

    def is_matrix(self, value) -> bool:
        return isinstance(value, (self.sp.MatrixBase, self.sp.MatrixExpr))

    def scalar(self, value):
        if self.is_matrix(value) and tuple(value.shape) == (1, 1):
            return value[0, 0]
        return value

    def build(self, node: t.Node):
        return self.scalar(self.raw(node))

    def raw(self, node: t.Node):
        sp = self.sp
        if isinstance(node, t.Num):
            value = node.value
            return sp.Integer(value.numerator) if value.denominator == 1 \
                else sp.Rational(value.numerator, value.denominator)
        if isinstance(node, t.Const):
            return sp.E if node.name == "e" else sp.pi
        if isinstance(node, t.Sym):
            return self.symbols[node.name]
        if isinstance(node, t.Identity):
            return sp.eye(node.size) if self.explicit else sp.Identity(node.size)
        if isinstance(node, t.Neg):
            return -self.build(node.arg)
        if isinstance(node, t.Transpose):
            inner = self.build(node.arg)
            return inner.T if self.is_matrix(inner) else inner
        if isinstance(node, (t.Add, t.Sub)):
            a, b = self.broadcast(self.build(node.left), self.build(node.right))
            return a + b if isinstance(node, t.Add) else a - b
        if isinstance(node, t.Mul):
            return self.build(node.left) * self.build(node.right)
        if isinstance(node, t.Div):
            return self.build(node.left) / self.build(node.right)
        if isinstance(node, t.Hadamard):
            a, b = self.build(node.left), self.build(node.right)
            if not (self.is_matrix(a) and self.is_matrix(b)):
                return a * b
            if isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase):
                return a.multiply_elementwise(b)
            return sp.hadamard_product(a, b)
        if isinstance(node, t.Pow):
            return self.build(node.base) ** self.build(node.exp)
        if isinstance(node, t.Call):
            return self.call(node)
        if isinstance(node, t.Vector):
            return sp.Matrix([[self.build(item)] for item in node.items])
        if isinstance(node, t.Matrix):
            return sp.Matrix([[self.build(item) for item in row] for row in node.rows])
        raise TypeError(f"not an answer-language node: {node!r}")

    def broadcast(self, a, b):
        """A scalar added to a vector is added to each entry."""
        if self.is_matrix(a) == self.is_matrix(b):
            return a, b
        shape = (b if self.is_matrix(b) else a).shape
        ones = self.sp.ones(*shape) if self.explicit else self.sp.OneMatrix(*shape)
        return (a * ones, b) if self.is_matrix(b) else (a, b * ones)

    def call(self, node: t.Call):
        sp = self.sp
        args = [self.build(a) for a in node.args]
        func = node.func
        if func in ("inv", "det", "tr"):
            a = args[0]
            if not self.is_matrix(a):
                return 1 / a if func == "inv" else a
            return {"inv": lambda m: m ** -1, "det": sp.det, "tr": sp.trace}[func](a)
        if func in self.functions:
            return self.entrywise(lambda z: self.functions[func](z), args)
        combine = sp.Max if func == "max" else sp.Min
        return self.entrywise(lambda *zs: combine(*zs), args)

    def entrywise(self, fn, args):
        matrices = [a for a in args if self.is_matrix(a)]
        if not matrices:
            return fn(*args)
        if any(not isinstance(m, self.sp.MatrixBase) for m in matrices):
            raise ValueError("an element-wise function of a symbolic matrix has no sympy form")
        rows, cols = matrices[0].shape
        return self.sp.Matrix(rows, cols, lambda i, j: fn(
            *(a[i, j] if self.is_matrix(a) else a for a in args)))
