"""Structured answers judged by a property (weights realising a truth table, a region).

Many answers are right, so the part names a check function
``check(params, answer) -> None | str`` in ``reference/``; None accepts, a string
explains what the answer fails to do.
"""

from __future__ import annotations

import numpy as np

from ..fields import Field
from ..i18n import t
from ..lang import AnswerError
from .base import AnswerType, Comparison, Reading
from .numeric import array_latex, array_plain, example_array, read_array, read_scalar, shape_text


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

    def _read_one(self, raw, shape, label):
        try:
            if not shape:
                value, plain, latex = read_scalar(raw)
                return np.float64(value), plain, latex
            arr = read_array(raw, len(shape))
        except AnswerError as exc:
            raise AnswerError(f"{label}{exc.message}") from None
        if arr.shape != shape:
            raise AnswerError(f"{label}expected {shape_text(shape)}, got {shape_text(arr.shape)}")
        return arr, array_plain(arr), array_latex(arr)

    def read(self, raw, ctx):
        if self.layout is None:
            value, plain, latex = self._read_one(raw, self.shape, "")
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
            values[name], plain, latex = self._read_one(raw[name], shape, f"{name}: ")
            plains.append(f"{name}: {plain}")
            latexes.append(f"{name} = {latex}")
        return Reading(values, "; ".join(plains), r",\ ".join(latexes))

    def compare(self, ref, ans, ctx):
        verdict = self._check(ctx.params, ans.value)
        if verdict is None:
            return Comparison(1.0, "property")
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
            return t("hint.property_any", lang)

        def size(s):
            return t("hint.scalar", lang) if not s else (
                t("phrase.entries", lang, n=s[0]) if len(s) == 1 else shape_text(s))
        parts = ", ".join(f"{k}: {size(s)}" for k, s in self.layout.items())
        # how such an answer is written: one line of YAML with every field in its shape
        example = "{" + ", ".join(f"{k}: {example_array(s) if s else 0}" for k, s in self.layout.items()) + "}"
        return t("hint.property", lang, fields=parts, example=example)

    def sheet_note(self, lang):
        return t("note.property", lang)

