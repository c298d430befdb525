"""A scalar formula over declared variables, judged by symbolic equality.

Equality is decided by ``grader.lang.equivalence.compare_scalar``: numeric sampling
over each variable's declared domain, then sympy under a time budget only when
sampling cannot settle it. An unsettled comparison is ``undecided``, never wrong.
"""

from __future__ import annotations

from ..i18n import t

import functools

from ..fields import Field
from ..lang import AnswerError, parse, shape_of, to_latex, to_plain
from ..lang.tree import Names, commuted
from ..lang.equivalence import Declarations, compare_scalar
from .base import AnswerType, Comparison, Reading

DEFAULT_DOMAIN = (-2.0, 2.0)


class ExpressionAnswer(AnswerType):
    name = "expression"
    fields = (Field("variables", "mapping",
                    "Names the answer may use, each with its sampling domain: "
                    "`{t: {domain: [-3, 3]}, s: {domain: [0.05, 0.95]}}`. Default domain [-2, 2]. "
                    "`equals` makes a name stand for a formula in the others: "
                    "`{s: {equals: sigmoid(t)}}` accepts both `s*(1-s)` and `sigmoid(t)*(1-sigmoid(t))`.",
                    default={}),)

    def __init__(self, options):
        super().__init__(options)
        self.variables = {}
        for name, spec in (options.get("variables") or {}).items():
            spec = dict(spec or {})
            domain = spec.get("domain", DEFAULT_DOMAIN)
            spec["domain"] = (float(domain[0]), float(domain[1]))
            self.variables[str(name)] = spec
        self.names = Names({name: () for name in self.variables})

    @functools.cached_property
    def declared(self) -> Declarations:
        # built on first use: check_config reports bad declarations with their place
        return Declarations(self.variables)

    def check_config(self, doc, path):
        for name, spec in (self.options.get("variables") or {}).items():
            if spec is not None and not isinstance(spec, dict):
                raise doc.error(path + ("variables", name), "bad variable declaration",
                                expected="a mapping like {domain: [lo, hi]}", got=spec)
            dom = (spec or {}).get("domain", DEFAULT_DOMAIN)
            if not (isinstance(dom, (list, tuple)) and len(dom) == 2 and dom[0] < dom[1]):
                raise doc.error(path + ("variables", name, "domain"), "bad domain",
                                expected="[low, high] with low < high", got=dom)

    def read(self, raw, ctx):
        if isinstance(raw, bool) or raw is None or isinstance(raw, (list, dict)):
            raise AnswerError("expected a formula, e.g. " + self._example())
        node = parse(str(raw) if not isinstance(raw, str) else raw, names=self.names)
        shape = shape_of(node, self.names)
        if shape not in ((), (1, 1)):
            raise AnswerError(f"expected a single formula (a scalar), got a {'×'.join(map(str, shape))} array")
        return Reading(node, to_plain(node), to_latex(node))

    def read_reference(self, value, ctx):
        # trusted, and never shown: skip the printers (they cost as much as the comparison)
        return Reading(parse(str(value), names=self.names), "")

    def compare(self, ref, ans, ctx):
        outcome = compare_scalar(ref.value, ans.value, self.declared, seed=ctx.seed)
        score = None if outcome.equal is None else float(outcome.equal)   # None: undecided
        return Comparison(score, outcome.check)

    def rewrites(self, written):
        """The reference in LaTeX, reordered, and expanded and factored by sympy (trusted text)."""
        node = parse(str(written), names=self.names)
        forms = [f"${to_latex(node)}$", to_plain(commuted(node, products=True))]
        forms += [text for text in _sympy_forms(node, self.names) if text]
        return list(dict.fromkeys(forms))   # expanded and factored often coincide

    def _example(self):
        names = list(self.variables) or ["t"]
        return f"2*{names[0]} + 1"

    def hint(self, lang):
        names = ", ".join(self.variables) or "—"
        return t("hint.formula", lang, names=names, example=self._example())

    def sheet_note(self, lang):
        names = ", ".join(f"${to_latex(parse(n, names=self.names))}$" for n in self.variables)
        if not names:
            return ""
        return t("note.formula", lang, names=names)


def _sympy_forms(node, names) -> list:
    """sympy's expanded and factored forms of a trusted reference, where our language reads them."""
    import sympy
    from ..lang import to_sympy
    expr = to_sympy(node, {n: sympy.Symbol(n) for n in names})
    forms = []
    for text in (str(sympy.expand(expr)), str(sympy.factor(expr))):
        try:
            parse(text, names=names)
        except AnswerError:
            text = None   # sympy wrote something outside our language (e.g. Abs): not a student form
        forms.append(text)
    return forms
