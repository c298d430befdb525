"""The answer-language tree: frozen dataclasses that only our own code walks.

Numbers are kept exact (``Fraction``) and non-negative; a minus sign is always a
``Neg`` node. ``Mul`` covers ``*``, ``@`` and juxtaposition: for matrices it is the
matrix product, and a scalar (or 1×1) factor scales. Functions are stored by their
canonical name (``ln`` → ``log``, ``sigma``/``σ`` → ``sigmoid``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Union

Shape = tuple[()] | tuple[int, int]
"""``()`` for a scalar, ``(rows, cols)`` for a matrix (``(n, 1)`` a column vector)."""

ELEMENTWISE_FUNCTIONS = frozenset(
    {"exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid", "cosh", "sinh",
     "sech", "atan", "asin", "acos", "atanh", "asinh", "acosh", "log2", "log10", "softplus",
     "relu", "erf"})
VARIADIC_FUNCTIONS = frozenset({"max", "min"})      # two or more arguments
MATRIX_FUNCTIONS = frozenset({"inv", "det", "tr"})
FUNCTIONS = ELEMENTWISE_FUNCTIONS | VARIADIC_FUNCTIONS | MATRIX_FUNCTIONS
CONSTANTS = frozenset({"e", "pi"})


@dataclass(frozen=True, slots=True)
class Num:
    value: Fraction          # >= 0, with a finite decimal expansion


@dataclass(frozen=True, slots=True)
class Const:
    name: str                # "e" or "pi"


@dataclass(frozen=True, slots=True)
class Sym:
    name: str                # a declared variable, spelled as declared


@dataclass(frozen=True, slots=True)
class Identity:
    # The size is inferred from context (see shapes.with_sizes) and is not part of
    # the answer as written, so it does not take part in equality.
    size: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Neg:
    arg: Node


@dataclass(frozen=True, slots=True)
class Add:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Sub:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Mul:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Div:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Hadamard:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Pow:
    base: Node
    exp: Node


@dataclass(frozen=True, slots=True)
class Transpose:
    arg: Node


@dataclass(frozen=True, slots=True)
class Call:
    func: str                # canonical name, one of FUNCTIONS
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Vector:
    items: tuple[Node, ...]  # a column vector


@dataclass(frozen=True, slots=True)
class Matrix:
    rows: tuple[tuple[Node, ...], ...]


class Names(dict):
    """Declared names → shapes, read-only once built, with a precomputed ``key``.

    Parsing, shape inference and sampling are memoised per set of declarations; a
    part builds its ``Names`` once, so those caches find it without rebuilding and
    sorting a key for every answer. Any mapping works where a ``Names`` is expected.
    """

    def __init__(self, names=()):
        super().__init__(names)
        self.key = tuple(sorted((name, tuple(shape)) for name, shape in self.items()))

    def _read_only(self, *args, **kwargs):
        raise TypeError("Names is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self):
        # pickle and copy would otherwise refill the dict through __setitem__
        return Names, (dict(self),)


def names_key(names) -> tuple:
    """A hashable key for a mapping of declared names to shapes."""
    if isinstance(names, Names):
        return names.key
    return tuple(sorted((name, tuple(shape)) for name, shape in names.items()))


Node = Union[Num, Const, Sym, Identity, Neg, Add, Sub, Mul, Div, Hadamard, Pow,
             Transpose, Call, Vector, Matrix]
BINARY = (Add, Sub, Mul, Div, Hadamard)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``, left to right."""
    if isinstance(node, BINARY):
        return (node.left, node.right)
    if isinstance(node, (Neg, Transpose)):
        return (node.arg,)
    if isinstance(node, Pow):
        return (node.base, node.exp)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Vector):
        return node.items
    if isinstance(node, Matrix):
        return tuple(item for row in node.rows for item in row)
    return ()


def subtrees(node: Node):
    """``node`` and every sub-expression in it, without recursion (trees may be deep)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def free_names(node: Node) -> set[str]:
    """Names of the variables the expression uses."""
    return {current.name for current in subtrees(node) if isinstance(current, Sym)}


def has_identity(node: Node) -> bool:
    return any(isinstance(current, Identity) for current in subtrees(node))


def map_children(node: Node, fn) -> Node:
    """A copy of ``node`` with ``fn`` applied to each direct sub-expression."""
    if isinstance(node, BINARY):
        return type(node)(fn(node.left), fn(node.right))
    if isinstance(node, (Neg, Transpose)):
        return type(node)(fn(node.arg))
    if isinstance(node, Pow):
        return Pow(fn(node.base), fn(node.exp))
    if isinstance(node, Call):
        return Call(node.func, tuple(fn(a) for a in node.args))
    if isinstance(node, Vector):
        return Vector(tuple(fn(a) for a in node.items))
    if isinstance(node, Matrix):
        return Matrix(tuple(tuple(fn(a) for a in row) for row in node.rows))
    return node


def commuted(node: Node, *, products: bool) -> Node:
    """``node`` with the operands of every sum (and, for scalar expressions, every product)
    swapped: an equal expression written in another order (validate grades such rewrites)."""
    swapped = map_children(node, lambda child: commuted(child, products=products))
    if isinstance(swapped, Add) or (products and isinstance(swapped, Mul)):
        return type(swapped)(swapped.right, swapped.left)
    return swapped
