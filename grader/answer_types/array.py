"""Vectors and matrices of numbers: shape check, elementwise tolerance, per-entry feedback."""

from __future__ import annotations

import numpy as np

from ..fields import Field
from ..i18n import t
from ..lang import AnswerError
from .base import AnswerType, Comparison, ForeignEntry, Reading
from .numeric import (TOLERANCE_FIELD, array_plain, array_texts, example_array, read_array,
                      rounded_within, shape_text, tolerance_from)


class _ArrayAnswer(AnswerType):
    ndim = 1
    fields = (
        TOLERANCE_FIELD,
        Field("shape", "list", "Expected shape: `[n]` for a vector, `[rows, cols]` for a matrix."),
        Field("partial", "bool", "Give credit per correct entry instead of all or nothing.",
              default=False),
    )

    def __init__(self, options):
        super().__init__(options)
        self.tolerance = tolerance_from(options)
        self.shape = tuple(options["shape"]) if options.get("shape") else None

    def check_config(self, doc, path):
        tolerance_from(self.options, doc, path)
        if self.shape is not None and (len(self.shape) != self.ndim
                                       or not all(isinstance(s, int) and s > 0 for s in self.shape)):
            raise doc.error(path + ("shape",), "bad shape",
                            expected=f"{self.ndim} positive integer(s)", got=list(self.shape))

    def read(self, raw, ctx):
        arr = read_array(raw, self.ndim)
        if self.shape is not None and arr.shape != self.shape:
            if self.ndim == 2 and arr.shape == self.shape[::-1]:
                # keep it: compare() explains a transposed answer better than a bare shape error
                return Reading(arr, *array_texts(arr))
            raise AnswerError(f"expected {shape_text(self.shape)}, got {shape_text(arr.shape)}")
        if np.count_nonzero(np.isfinite(arr)) != arr.size:
            raise AnswerError("the answer has entries that are not finite numbers")
        return Reading(arr, *array_texts(arr))

    def read_reference(self, value, ctx):
        # trusted, and never shown: the value is enough
        return Reading(read_array(value, self.ndim), "")

    def _entry_ok(self, ref, ans):
        return np.abs(ans - ref) <= self.tolerance.allowed_array(ref)

    def compare(self, ref, ans, ctx):
        r, a = ref.value, ans.value
        if r.shape != a.shape:
            # a wrong shape is `invalid` (SPEC); the message says what was expected
            message = f"expected {shape_text(r.shape)}, got {shape_text(a.shape)}"
            if self.ndim == 2 and a.shape == r.shape[::-1] and np.all(self._entry_ok(r, a.T)):
                message = "your matrix is the transpose of the expected one: " + message
            raise AnswerError(message)
        ok = self._entry_ok(r, a)
        if ok.all():
            return Comparison(1.0, "tolerance")
        if self.ndim == 2 and r.shape[0] == r.shape[1] and np.all(self._entry_ok(r, a.T)):
            return Comparison(0.0, "tolerance", "Your matrix is the transpose of the expected one.")
        wrong = [tuple(int(i) + 1 for i in idx) for idx in zip(*np.nonzero(~ok))]
        where = ", ".join(str(w[0]) if len(w) == 1 else f"({w[0]}, {w[1]})" for w in wrong[:8])
        more = "" if len(wrong) <= 8 else f" and {len(wrong) - 8} more"
        message = f"{len(wrong)} of {ok.size} entries are off: {where}{more}."
        score = float(ok.mean()) if self.options.get("partial") else 0.0
        return Comparison(score, "tolerance", message)

    def plausible(self, ans, ref):
        if ans.value.shape != ref.value.shape or not np.all(np.isfinite(ans.value)):
            return False
        return not (np.all(ans.value == 0) and np.any(ref.value != 0))

    def rewrites(self, written):
        """Entries rounded as far as the tolerance allows, and the whole as one bracket string."""
        arr = read_array(written, self.ndim)
        rounded = np.vectorize(lambda v: float(rounded_within(float(v), self.tolerance)))(arr)
        return [rounded.tolist(), array_plain(arr)]

    def key_value(self, ref_value):
        arr = read_array(ref_value, self.ndim)
        return arr.astype(float).tolist() if not np.all(arr == np.round(arr)) else \
            np.round(arr).astype(int).tolist()

    def sheet_note(self, lang):
        return t("note.array", lang, tol=self.tolerance.describe(lang))

    def foreign_entries(self, ref_value):
        """One numeric entry per component, each with its own tolerance."""
        arr = read_array(ref_value, self.ndim)
        allowed = self.tolerance.allowed_array(arr)
        weight = 1.0 / arr.size
        return [ForeignEntry("numeric", label=str(idx[0] + 1) if self.ndim == 1 else f"({idx[0] + 1}, {idx[1] + 1})",
                             value=float(arr[idx]), tolerance=float(allowed[idx]), weight=weight)
                for idx in np.ndindex(arr.shape)]


class VectorAnswer(_ArrayAnswer):
    name = "vector"
    ndim = 1

    def hint(self, lang):
        if not self.shape:
            return t("hint.vector_any", lang)
        return t("hint.vector", lang, n=self.shape[0], example=example_array(self.shape))


class MatrixAnswer(_ArrayAnswer):
    name = "matrix"
    ndim = 2

    def hint(self, lang):
        rows, cols = self.shape if self.shape else (2, 2)
        return t("hint.matrix", lang, rows=rows, cols=cols, example=example_array((rows, cols)))

