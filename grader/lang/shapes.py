"""Shapes: inference with messages that name both shapes, and the size of ``I``.

Dimensions are unified, so ``I`` takes its size from context (``A + I``,
``(X^T X + lambda I)^{-1}``). A scalar or a 1×1 matrix (``x^T A x``) may scale a
matrix, divide, or sit inside a function, as it would on paper; a scalar added to
a vector is added to each entry (``1 - sigmoid(W x)``).
"""

from __future__ import annotations

from collections.abc import Mapping

from . import tree as t
from .errors import AnswerError
from .memo import IdentityMemo


class _Var:
    """An unknown dimension (the size of an ``I``)."""

    __slots__ = ()


Dim = int | _Var


def normalize_shape(shape) -> t.Shape:
    """``()``/``[]`` for a scalar, ``(r, c)`` for a matrix; anything else is an author error."""
    dims = tuple(shape)
    if not dims:
        return ()
    if len(dims) == 2:
        rows, cols = dims
        if isinstance(rows, int) and isinstance(cols, int) and rows > 0 and cols > 0:
            return dims
    raise ValueError(f"a shape must be () or (rows, cols) with positive sizes, got {shape!r}")


def describe(shape: t.Shape) -> str:
    """'a scalar', 'a 3×1 vector', 'a 2×2 matrix': for messages."""
    if shape in ((), (1, 1)):
        return "a scalar"
    kind = "vector" if shape[1] == 1 or shape[0] == 1 else "matrix"
    return f"a {shape[0]}×{shape[1]} {kind}"


class _Inference:
    def __init__(self, names: Mapping[str, t.Shape]):
        self.names = names
        self.declared: dict[str, t.Shape] = {}     # names seen so far, shapes normalised
        self.parent: dict[_Var, Dim] = {}
        self.identities: list[_Var] = []

    # -- unification ---------------------------------------------------------------
    def find(self, d: Dim) -> Dim:
        while isinstance(d, _Var) and d in self.parent:
            d = self.parent[d]
        return d

    def unify_all(self, pairs) -> bool:
        """Unify every pair, or none of them (a failed attempt leaves no bindings)."""
        saved = dict(self.parent)
        if all(self.unify(a, b) for a, b in pairs):
            return True
        self.parent = saved
        return False

    def unify(self, a: Dim, b: Dim) -> bool:
        a, b = self.find(a), self.find(b)
        if a is b or a == b:
            return True
        if isinstance(a, _Var):
            self.parent[a] = b
            return True
        if isinstance(b, _Var):
            self.parent[b] = a
            return True
        return False

    def show(self, shape: tuple) -> str:
        dims = [self.find(d) for d in shape]
        return "(" + "×".join("n" if isinstance(d, _Var) else str(d) for d in dims) + ")"

    def is_one_by_one(self, shape: tuple) -> bool:
        return len(shape) == 2 and self.find(shape[0]) == 1 and self.find(shape[1]) == 1

    def scalar_like(self, shape: tuple) -> bool:
        return shape == () or self.is_one_by_one(shape)

    # -- rules ---------------------------------------------------------------------
    def shape(self, node: t.Node) -> tuple:
        rule = _RULES.get(type(node))          # a table: this runs for every node
        if rule is None:
            raise TypeError(f"not an answer-language node: {node!r}")
        return rule(self, node)

    def scalar(self, node: t.Num | t.Const) -> tuple:
        return ()

    def symbol(self, node: t.Sym) -> tuple:
        shape = self.declared.get(node.name)
        if shape is None:
            if node.name not in self.names:
                raise AnswerError(f"unknown name '{node.name}'")
            shape = self.declared[node.name] = normalize_shape(self.names[node.name])
        return shape

    def identity(self, node: t.Identity) -> tuple:
        var = _Var()
        self.identities.append(var)
        if node.size is not None:             # already sized (by an earlier pass)
            self.unify(var, node.size)
        return (var, var)

    def negate(self, node: t.Neg) -> tuple:
        return self.shape(node.arg)

    def transpose(self, node: t.Transpose) -> tuple:
        inner = self.shape(node.arg)
        return () if inner == () else (inner[1], inner[0])

    def binary(self, node: t.Add | t.Sub | t.Mul | t.Div | t.Hadamard) -> tuple:
        a, b = self.shape(node.left), self.shape(node.right)
        if a == () and b == ():               # scalars: most formulas throughout
            return ()
        kind = type(node)
        if kind is t.Mul:
            return self.multiply(a, b)
        if kind is t.Div:
            return self.divide(a, b)
        if kind is t.Hadamard:
            return self.elementwise(a, b, "an element-wise product")
        return self.add(a, b, "add" if kind is t.Add else "subtract")

    def vector(self, node: t.Vector) -> tuple:
        self.entries(node.items)
        return (len(node.items), 1)

    def matrix(self, node: t.Matrix) -> tuple:
        self.entries([item for row in node.rows for item in row])
        return (len(node.rows), len(node.rows[0]))

    def add(self, a: tuple, b: tuple, verb: str) -> tuple:
        if a == () and b == ():
            return ()
        if a == () or b == ():
            matrix = b if a == () else a
            # `1 - sigmoid(W x)` is element-wise on a vector; on a square matrix `A + 1`
            # is more likely a slip for A + I, so it is refused.
            if 1 in (self.find(matrix[0]), self.find(matrix[1])):
                return matrix
            raise AnswerError(f"cannot {verb} a scalar and a {self.show(matrix)} matrix; "
                              "for a multiple of the identity write c*I")
        if not self.unify_all(((a[0], b[0]), (a[1], b[1]))):
            raise AnswerError(f"cannot {verb} {self.show(a)} and {self.show(b)}: "
                              "the shapes differ")
        return a

    def multiply(self, a: tuple, b: tuple) -> tuple:
        if a == () or self.is_one_by_one(a):
            return b if b != () else a
        if b == () or self.is_one_by_one(b):
            return a
        if not self.unify(a[1], b[0]):
            raise AnswerError(f"cannot multiply {self.show(a)} by {self.show(b)}: inner sizes "
                              f"{self.find(a[1])} and {self.find(b[0])} differ")
        return (a[0], b[1])

    def divide(self, a: tuple, b: tuple) -> tuple:
        if not self.scalar_like(b):
            raise AnswerError(f"cannot divide by a {self.show(b)} matrix; multiply by "
                              "inv(...) instead")
        return a

    def elementwise(self, a: tuple, b: tuple, what: str) -> tuple:
        if a == () or b == ():
            return b if a == () else a
        if not self.unify_all(((a[0], b[0]), (a[1], b[1]))):
            raise AnswerError(f"{what} needs equal shapes, got {self.show(a)} and "
                              f"{self.show(b)}")
        return a

    def power(self, node: t.Pow) -> tuple:
        base, exp = self.shape(node.base), self.shape(node.exp)
        if base == () and exp == ():
            return ()
        if not self.scalar_like(exp):
            raise AnswerError(f"an exponent must be a scalar, got a {self.show(exp)} matrix")
        if self.scalar_like(base):
            return base
        self.square(base, "raise to a power")
        from .evaluate import constant_value
        value = None if t.free_names(node.exp) else constant_value(node.exp)
        if value is None or value.imag != 0 or value.real != int(value.real):
            raise AnswerError("a matrix can only be raised to a constant integer power, "
                              "e.g. A^2 or A^{-1}")
        return base

    def square(self, shape: tuple, what: str) -> None:
        if shape != () and not self.unify(shape[0], shape[1]):
            raise AnswerError(f"cannot {what} a {self.show(shape)} matrix: it is not square")

    def call(self, node: t.Call) -> tuple:
        shapes = [self.shape(a) for a in node.args]
        if node.func in t.ELEMENTWISE_FUNCTIONS:
            return shapes[0]
        if node.func in t.VARIADIC_FUNCTIONS:
            result = shapes[0]
            for other in shapes[1:]:
                result = self.elementwise(result, other, node.func)
            return result
        self.square(shapes[0], f"take {node.func} of")
        return shapes[0] if node.func == "inv" else ()

    def entries(self, items) -> None:
        for i, item in enumerate(items):
            shape = self.shape(item)
            if not self.scalar_like(shape):
                raise AnswerError(f"entry {i + 1} of a bracket literal is a "
                                  f"{self.show(shape)} matrix; entries must be scalars")

    def final(self, shape: tuple) -> t.Shape:
        dims = tuple(self.find(d) for d in shape)
        if any(isinstance(self.find(v), _Var) for v in self.identities) or \
                any(isinstance(d, _Var) for d in dims):
            raise AnswerError("cannot tell the size of I here; it needs a matrix of known "
                              "size next to it, as in A + I")
        return dims

    def sizes(self) -> list[int]:
        return [self.find(v) for v in self.identities]


_RULES = {
    t.Num: _Inference.scalar, t.Const: _Inference.scalar, t.Sym: _Inference.symbol,
    t.Identity: _Inference.identity, t.Neg: _Inference.negate,
    t.Transpose: _Inference.transpose, t.Add: _Inference.binary, t.Sub: _Inference.binary,
    t.Mul: _Inference.binary, t.Div: _Inference.binary, t.Hadamard: _Inference.binary,
    t.Pow: _Inference.power, t.Call: _Inference.call, t.Vector: _Inference.vector,
    t.Matrix: _Inference.matrix,
}


def shape_of(node: t.Node, names: Mapping[str, t.Shape], *,
             expected: t.Shape | None = None) -> t.Shape:
    """The shape of ``node`` given the declared shapes; ``AnswerError`` names any mismatch.

    ``expected``, when given, can fix the size of an ``I`` that nothing else fixes
    (an answer of just ``I`` or ``c*I``); it does not by itself make a mismatch an error.
    """
    return with_sizes(node, names, expected=expected)[1]


# Reading an answer and comparing it ask for the same tree's sizes, and every answer
# to a part for the reference's: recent results are kept by the tree's identity.
# ``expected`` can only size an ``I``, so a result for a tree without one is kept
# under the names alone and serves every ``expected``.
_RECENT = IdentityMemo(256)


def clear_cache() -> None:
    """Forget the recent shapes."""
    _RECENT.clear()


def with_sizes(node: t.Node, names: Mapping[str, t.Shape], *,
               expected: t.Shape | None = None) -> tuple[t.Node, t.Shape]:
    """``node`` with every ``I`` given its size, and the shape of the whole."""
    key = t.names_key(names)
    hit = _RECENT.get(node, key)
    if hit is not None:
        return hit
    extra = (key, tuple(expected or ()))
    hit = _RECENT.get(node, extra)
    if hit is not None:
        return hit
    sized, shape, has_identity = _with_sizes(node, names, expected)
    return _RECENT.put(node, (sized, shape), extra if has_identity else key)


def _with_sizes(node: t.Node, names: Mapping[str, t.Shape],
                expected: t.Shape | None) -> tuple[t.Node, t.Shape, bool]:
    if _scalar_formula(node, names):
        return node, (), False
    inference = _Inference(names)
    shape = inference.shape(node)
    if expected and len(shape) == 2:
        inference.unify_all(zip(shape, normalize_shape(expected)))
    shape = inference.final(shape)
    if not inference.identities:
        return node, shape, False
    sizes = iter(inference.sizes())

    def fill(current: t.Node) -> t.Node:
        # Same left-to-right order as the inference walk.
        if isinstance(current, t.Identity):
            return t.Identity(next(sizes))
        return t.map_children(current, fill)

    return fill(node), shape, True


_OPERATORS = (t.Add, t.Sub, t.Mul, t.Div, t.Hadamard)


def _scalar_formula(node: t.Node, names: Mapping[str, t.Shape]) -> bool:
    """Does ``node`` use only names declared as scalars, with no bracket literal and no
    ``I``? Then it is a scalar and no rule can fail: the check is a plain walk, much
    cheaper than inference (formulas in scalars are most answers)."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind in _OPERATORS:
            stack.append(current.left)
            stack.append(current.right)
        elif kind is t.Sym:
            if names.get(current.name, None) not in ((), []):
                return False
        elif kind is t.Call:
            stack.extend(current.args)
        elif kind is t.Pow:
            stack.append(current.base)
            stack.append(current.exp)
        elif kind is t.Neg or kind is t.Transpose:
            stack.append(current.arg)
        elif kind is not t.Num and kind is not t.Const:
            return False                      # I, a vector or a matrix: infer
    return True
