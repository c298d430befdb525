"""Structured answers judged by a property (weights realising a truth table, a region).

Many answers are right, so the part names a check function
``check(params, answer) -> None | str`` in ``reference/``; None accepts, a string
explains what the answer fails to do, and a ``reference.Undecided`` string leaves the
answer `undecided` (the check could not settle it honestly).

Numbers the student wrote exactly (integers, decimals, fractions and +, -, *, / and
integer powers of them, such as ``-2 + 10^-9``) reach the check as ``Fraction`` entries
of object arrays, so a check can decide the sign of a pre-activation exactly; anything
else (``sqrt(2)``, ``e``) arrives as a float.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..bank.solvers import Undecided

from ..fields import Field
from ..i18n import t as tr
from ..lang import AnswerError, parse
from ..lang import tree as t
from .base import AnswerType, Comparison, Reading
from .numeric import array_texts, example_array, read_array, read_scalar, shape_text

MAX_EXACT_EXPONENT = 4096      # |n| in x^n kept exact; beyond it the float reading is used
MAX_EXACT_BITS = 20_000        # numerator/denominator size kept exact


def _exact_node(node) -> Fraction | None:
    """The exact rational value of a constant expression, or None when it is not rational
    or gets too large (then the float reading stands). Depth is bounded by the parser."""
    if isinstance(node, t.Num):
        return node.value
    if isinstance(node, t.Neg):
        v = _exact_node(node.arg)
        return None if v is None else -v
    if isinstance(node, (t.Add, t.Sub, t.Mul, t.Div)):
        a, b = _exact_node(node.left), _exact_node(node.right)
        if a is None or b is None:
            return None
        if isinstance(node, t.Add):
            v = a + b
        elif isinstance(node, t.Sub):
            v = a - b
        elif isinstance(node, t.Mul):
            v = a * b
        elif b == 0:
            return None
        else:
            v = a / b
        return v if max(v.numerator.bit_length(), v.denominator.bit_length()) <= MAX_EXACT_BITS else None
    if isinstance(node, t.Pow):
        base, exp = _exact_node(node.base), _exact_node(node.exp)
        if base is None or exp is None or exp.denominator != 1 or abs(exp) > MAX_EXACT_EXPONENT:
            return None
        if base == 0 and exp < 0:
            return None
        bits = max(base.numerator.bit_length(), base.denominator.bit_length()) * abs(int(exp))
        return base ** int(exp) if bits <= MAX_EXACT_BITS else None
    return None


def exact_scalar(raw) -> Fraction | None:
    """What a student wrote, as an exact rational when it is one; never evaluates code.

    A YAML float is taken as the decimal it prints as (the shortest that reads back the
    same), which is what was typed for up to 15 significant digits."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Fraction(raw)
    if isinstance(raw, float):
        return Fraction(repr(raw)) if np.isfinite(raw) else None
    if isinstance(raw, str):
        try:
            node = parse(raw)
        except AnswerError:
            return None
        if isinstance(node, t.Vector) and len(node.items) == 1:
            node = node.items[0]
        return _exact_node(node)
    return None


def exact_array(raw, shape) -> np.ndarray | None:
    """An object array of Fractions of the given shape, or None when an entry is not exact."""
    if isinstance(raw, str):
        try:
            node = parse(raw)
        except AnswerError:
            return None
        if isinstance(node, t.Vector):
            raw = [[_exact_node(x) for x in node.items]] if len(shape) == 2 else [_exact_node(x) for x in node.items]
        elif isinstance(node, t.Matrix):
            raw = [[_exact_node(x) for x in row] for row in node.rows]
        else:
            return None
        flat = [x for row in raw for x in (row if isinstance(row, list) else [row])]
        if any(x is None for x in flat):
            return None
    else:
        rows = raw if isinstance(raw, list) else [raw]
        try:
            raw = [[exact_scalar(x) for x in r] if isinstance(r, list) else exact_scalar(r) for r in rows]
        except TypeError:
            return None
        flat = [x for row in raw for x in (row if isinstance(row, list) else [row])]
        if any(x is None for x in flat):
            return None
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    try:
        arr = arr.reshape(shape)
    except ValueError:
        return None
    return arr


class PropertyAnswer(AnswerType):
    name = "property"
    reads_params = True
    fields = (
        Field("check", "str", "The property check, `module:function` in reference/.", required=True),
        Field("fields", "mapping", "Named parts of the answer with shapes: `{W1: [2, 2], b1: [2], b2: []}`."),
        Field("shape", "list", "Shape of a single array answer when there are no `fields`."),
    )

    def __init__(self, options):
        super().__init__(options)
        from ..bank.loader import resolve_callable  # late: the bank imports answer types
        self._check = resolve_callable(options["check"])
        if options.get("fields"):
            self.layout = {str(k): tuple(v or ()) for k, v in options["fields"].items()}
        else:
            self.layout = None
        self.shape = tuple(options.get("shape") or ())

    def _read_one(self, raw, shape, label, printed=True):
        """One field's value and texts (``printed=False``: texts left empty, as for the key)."""
        try:
            if not shape:
                value, plain, latex = read_scalar(raw, printed=printed)
                exact = exact_scalar(raw)
                return (np.float64(value) if exact is None else exact), plain, latex
            arr = read_array(raw, len(shape))
        except AnswerError as exc:
            raise AnswerError(f"{label}{exc.message}") from None
        if arr.shape != shape:
            raise AnswerError(f"{label}expected {shape_text(shape)}, got {shape_text(arr.shape)}")
        exact = exact_array(raw, shape)
        plain, latex = array_texts(arr) if printed else ("", "")
        return (arr if exact is None else exact), plain, latex

    def read(self, raw, ctx):
        return self._read(raw, True)

    def read_reference(self, value, ctx):
        # trusted, and never shown: the same value, without the printing
        return Reading(self._read(value, False).value, "")

    def _read(self, raw, printed):
        if self.layout is None:
            value, plain, latex = self._read_one(raw, self.shape, "", printed)
            return Reading(value, plain, latex)
        if not isinstance(raw, dict):
            raise AnswerError("expected a mapping with fields " + ", ".join(self.layout))
        missing = [k for k in self.layout if k not in raw]
        if missing:
            raise AnswerError("missing field(s): " + ", ".join(missing))
        extra = [str(k) for k in raw if k not in self.layout]
        if extra:
            raise AnswerError("unknown field(s): " + ", ".join(extra) + "; expected " + ", ".join(self.layout))
        values, plains, latexes = {}, [], []
        for name, shape in self.layout.items():
            values[name], plain, latex = self._read_one(raw[name], shape, f"{name}: ", printed)
            plains.append(f"{name}: {plain}")
            latexes.append(f"{name} = {latex}")
        return Reading(values, "; ".join(plains), r",\ ".join(latexes))

    def compare(self, ref, ans, ctx):
        verdict = self._check(ctx.params, ans.value)
        if verdict is None:
            return Comparison(1.0, "property")
        if isinstance(verdict, Undecided):
            return Comparison(None, "property", str(verdict))
        return Comparison(0.0, "property", str(verdict))

    def key_value(self, ref_value):
        def plain(v):
            arr = np.asarray(v, dtype=float)
            if arr.ndim == 0:
                return float(arr) if not float(arr).is_integer() else int(arr)
            return arr.tolist() if not np.all(arr == np.round(arr)) else np.round(arr).astype(int).tolist()
        if self.layout is None:
            return plain(ref_value)
        return {k: plain(ref_value[k]) for k in self.layout}

    def hint(self, lang):
        if self.layout is None:
            return tr("hint.property_any", lang)

        def size(s):
            return tr("hint.scalar", lang) if not s else (
                tr("phrase.entries", lang, n=s[0]) if len(s) == 1 else shape_text(s))
        parts = ", ".join(f"{k}: {size(s)}" for k, s in self.layout.items())
        # how such an answer is written: one line of YAML with every field in its shape
        example = "{" + ", ".join(f"{k}: {example_array(s) if s else 0}" for k, s in self.layout.items()) + "}"
        return tr("hint.property", lang, fields=parts, example=example)

    def sheet_note(self, lang):
        return tr("note.property", lang)

