"""Hypothesis strategies for answer-language trees (shared by the lang tests)."""

from fractions import Fraction

from hypothesis import strategies as st

from grader.lang.tree import (Add, Call, Const, Div, Hadamard, Identity, Matrix, Mul, Neg,
                              Num, Pow, Sub, Sym, Transpose, Vector)

SCALARS = ("x", "y", "z", "lambda", "w_1")
MATRICES = {"A": (3, 3), "B": (3, 3), "v": (3, 1)}
NAMES = {**{name: () for name in SCALARS}, **MATRICES}
UNARY = ("exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid", "inv", "det", "tr")

small_numbers = st.builds(lambda m, k: Num(Fraction(m, 10 ** k)),
                          st.integers(0, 10 ** 6), st.integers(0, 6))
large_numbers = st.builds(lambda m, k: Num(Fraction(m * 10 ** k)),
                          st.integers(1, 99), st.integers(7, 40))
exponents = st.one_of(
    st.builds(lambda n: Num(Fraction(n)), st.integers(0, 5)),
    st.sampled_from([Sym(n) for n in SCALARS]),
    st.builds(lambda n: Neg(Num(Fraction(n))), st.integers(1, 5)),
    st.builds(lambda n: Add(Sym("x"), Num(Fraction(n))), st.integers(1, 3)),
)


def trees(*, numbers=small_numbers | large_numbers, literals=True, functions=UNARY,
          vectors=True, max_leaves=16):
    """Syntactically arbitrary trees (shapes are not checked: parsing does not need them)."""
    leaves = st.one_of(numbers, st.sampled_from([Sym(n) for n in NAMES]),
                       st.sampled_from([Const("e"), Const("pi"), Identity()]))

    def extend(children):
        entries = children.filter(lambda n: not isinstance(n, (Vector, Matrix)))
        options = [
            st.builds(Neg, children), st.builds(Transpose, children),
            st.builds(Add, children, children), st.builds(Sub, children, children),
            st.builds(Mul, children, children), st.builds(Div, children, children),
            st.builds(Hadamard, children, children), st.builds(Pow, children, exponents),
            st.builds(lambda f, a: Call(f, (a,)), st.sampled_from(functions), children),
            st.builds(lambda f, args: Call(f, tuple(args)), st.sampled_from(["max", "min"]),
                      st.lists(children, min_size=2, max_size=3)),
        ]
        if literals:
            options.append(st.integers(1, 3).flatmap(lambda width: st.lists(
                st.lists(entries, min_size=width, max_size=width), min_size=1, max_size=3)
            ).map(lambda rows: Matrix(tuple(tuple(r) for r in rows))))
        if literals and vectors:
            options.append(st.lists(entries, min_size=1, max_size=3).map(
                lambda items: Vector(tuple(items))))
        return st.one_of(options)

    return st.recursive(leaves, extend, max_leaves=max_leaves)
