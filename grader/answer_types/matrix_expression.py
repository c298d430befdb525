"""A formula over declared matrices and vectors (gradients, differentials, minimizers).

Shapes are checked first, so a wrong-shaped answer is explained rather than merely
marked; equality is then judged by random instantiation of the declared symbols
(``grader.lang.equivalence.compare_matrix``).
"""

from __future__ import annotations

import functools

from ..fields import Field
from ..lang import AnswerError, parse, shape_of, to_latex, to_plain
from ..lang.equivalence import Declarations, compare_matrix
from ..lang.tree import Names, commuted
from .base import AnswerType, Comparison, Reading

KINDS = ("general", "symmetric", "spd", "invertible", "diagonal")


class MatrixExpressionAnswer(AnswerType):
    name = "matrix-expression"
    fields = (Field("variables", "mapping",
                    "Symbols with shapes and kinds: `{A: {shape: [3, 3], kind: spd}, x: {shape: [3, 1]}}`; "
                    "scalars: `{t: {shape: []}}`; `domain: [lo, hi]` sets the range of the random "
                    "entries (default [-2, 2]). Kinds: " + ", ".join(KINDS) + ".",
                    required=True),)

    def __init__(self, options):
        super().__init__(options)
        self.variables = {}
        for name, spec in (options.get("variables") or {}).items():
            spec = spec or {}
            shape = tuple(spec.get("shape", ()))
            self.variables[str(name)] = {"shape": shape, "kind": spec.get("kind", "general")}
            if "domain" in spec:         # the range of the random entries (default [-2, 2])
                self.variables[str(name)]["domain"] = tuple(float(v) for v in spec["domain"])
        self.names = Names({n: v["shape"] for n, v in self.variables.items()})

    @functools.cached_property
    def declared(self) -> Declarations:
        # built on first use: check_config reports bad declarations with their place
        return Declarations(self.variables)

    def check_config(self, doc, path):
        for name, spec in (self.options.get("variables") or {}).items():
            if not isinstance(spec, dict):
                raise doc.error(path + ("variables", name), "bad variable declaration",
                                expected="a mapping like {shape: [3, 1]}", got=spec)
            shape = spec.get("shape", [])
            if not (isinstance(shape, list) and len(shape) in (0, 2)
                    and all(isinstance(s, int) and s > 0 for s in shape)):
                raise doc.error(path + ("variables", name, "shape"), "bad shape",
                                expected="[] or [rows, cols]", got=shape)
            dom = spec.get("domain", [-2, 2])
            if not (isinstance(dom, (list, tuple)) and len(dom) == 2
                    and all(isinstance(v, (int, float)) for v in dom) and dom[0] < dom[1]):
                raise doc.error(path + ("variables", name, "domain"), "bad domain",
                                expected="[low, high] with low < high", got=dom)
            if spec.get("kind", "general") not in KINDS:
                raise doc.error(path + ("variables", name, "kind"), "unknown kind",
                                expected=" | ".join(KINDS), got=spec.get("kind"))

    def read(self, raw, ctx):
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            raise AnswerError("expected a formula written as text, in the declared names")
        node = parse(str(raw), names=self.names)
        expected = ctx.reference.value[1] if ctx.reference is not None else None
        shape = shape_of(node, self.names, expected=expected or None)  # sizes a lone `I`
        return Reading((node, tuple(shape)), to_plain(node), to_latex(node))

    def read_reference(self, value, ctx):
        # trusted, and never shown: skip the printers (they cost as much as the comparison)
        node = parse(str(value), names=self.names)
        return Reading((node, tuple(shape_of(node, self.names))), "")

    def compare(self, ref, ans, ctx):
        (rnode, rshape), (anode, ashape) = ref.value, ans.value
        if _norm(rshape) != _norm(ashape):
            msg = f"expected a result of shape {_show(rshape)}, got {_show(ashape)}"
            if _norm(ashape) == _norm(rshape)[::-1]:
                msg += "; a transpose is missing or extra"
            raise AnswerError(msg)   # a wrong shape is `invalid` (SPEC)
        outcome = compare_matrix(rnode, anode, self.declared, seed=ctx.seed)
        score = None if outcome.equal is None else float(outcome.equal)   # None: undecided
        return Comparison(score, outcome.check)

    def rewrites(self, written):
        """The reference typed in LaTeX, and with its sums reordered (products do not commute)."""
        node = parse(str(written), names=self.names)
        return [f"${to_latex(node)}$", to_plain(commuted(node, products=False))]

    def hint(self, lang):
        names = ", ".join(self.variables)
        # no example formula: one built from the part's own names could be its answer
        return (f"a formula in {names} (transpose ^T, inverse inv(...), products with a space or *)"
                if lang == "en" else
                f"формула от {names} (транспонирование ^T, обратная inv(...), произведение — пробел или *)")

    def sheet_note(self, lang):
        decl = ", ".join(f"${n}$: {_show(v['shape'])}" + ("" if v["kind"] == "general" else f" ({v['kind']})")
                         for n, v in self.variables.items())
        return (f"Write a formula over {decl}." if lang == "en" else f"Запишите формулу от {decl}.")


def _norm(shape):
    # a 1×1 result (x^T A x) is a scalar: tr(A x x^T) answers it
    return () if not shape or tuple(shape) == (1, 1) else tuple(shape)


def _show(shape):
    return "scalar" if not shape else "×".join(str(s) for s in shape)
