"""Shared machinery for numeric answers: tolerance, reading numbers and arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..fields import Field
from ..i18n import t
from ..lang import AnswerError, parse, to_latex, to_number, to_plain, too_large

TOLERANCE_FIELD = Field(
    "tolerance", "mapping",
    "Accepted error: `{abs: A, rel: R}` accepts |answer - reference| <= max(A, R*|reference|); "
    "`{sigfigs: N}` accepts answers that agree to N significant figures.",
    default={"rel": 0.005, "abs": 1e-9})


@dataclass(frozen=True)
class Tolerance:
    abs: float = 1e-9
    rel: float = 0.005
    sigfigs: int | None = None

    def allowed(self, ref: float) -> float:
        """Largest accepted |answer - reference| for this reference value."""
        if self.sigfigs is not None:
            if ref == 0:
                return 1e-12
            exponent = math.floor(math.log10(abs(ref))) - self.sigfigs + 1
            return 0.5 * 10.0 ** exponent * (1 + 1e-9)
        return max(self.abs, self.rel * abs(ref))

    def allowed_array(self, ref: np.ndarray) -> np.ndarray:
        """``allowed`` for every entry of an array (the same floats, without np.vectorize)."""
        if self.sigfigs is None:
            return np.maximum(self.abs, self.rel * np.abs(ref))
        return np.array([self.allowed(float(v)) for v in ref.flat]).reshape(ref.shape)

    def accepts(self, ref: float, ans: float) -> bool:
        """Monotone in the tolerance: a looser tolerance never rejects what a tighter one accepts."""
        if not (math.isfinite(ref) and math.isfinite(ans)):
            return ref == ans
        return abs(ans - ref) <= self.allowed(ref)

    def describe(self, lang: str) -> str:
        if self.sigfigs is not None:
            return t("tol.sigfigs", lang, n=self.sigfigs)
        parts = []
        if self.rel:
            parts.append(t("tol.rel", lang, pct=_pct(self.rel)))
        if self.abs and self.abs >= 1e-8:
            parts.append(t("tol.abs", lang, value=f"{self.abs:g}"))
        if not parts:
            return t("tol.exact", lang)
        return t("tol.within", lang, parts=t("tol.or", lang).join(parts))


def _pct(rel: float) -> str:
    return f"{rel * 100:g}"


def tolerance_from(options: dict, doc=None, path=()) -> Tolerance:
    raw = options.get("tolerance") or {}
    unknown = set(raw) - {"abs", "rel", "sigfigs"}
    if unknown and doc is not None:
        raise doc.error(path + ("tolerance", sorted(unknown)[0]), "unknown tolerance key",
                        expected="abs, rel or sigfigs")
    if "sigfigs" in raw:
        return Tolerance(sigfigs=int(raw["sigfigs"]))
    return Tolerance(abs=float(raw.get("abs", 0.0 if "rel" in raw else 1e-9)),
                     rel=float(raw.get("rel", 0.0 if "abs" in raw else 0.005)))


def rounded_within(value: float, tolerance: "Tolerance") -> str:
    """The shortest decimal a careful student would write that the tolerance still accepts."""
    for digits in range(1, 16):
        text = format(value, f".{digits}g")
        if abs(float(text) - value) <= tolerance.allowed(value) / 2:
            return text
    return repr(value)


def format_number(x) -> str:
    """A number as a student would type it: integers plain, floats trimmed."""
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("a boolean is not a number")
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".10g")


def read_scalar(raw, what: str = "a number", *, printed: bool = True) -> tuple[float, str, str]:
    """A scalar from YAML (number or answer-language string): value, plain, LaTeX.

    ``printed=False`` leaves both texts empty, for values nobody is shown."""
    if isinstance(raw, bool) or raw is None:
        raise AnswerError(f"expected {what}, got {'nothing' if raw is None else repr(raw)}")
    if isinstance(raw, (int, float, Fraction, np.integer, np.floating)):
        try:
            value = float(raw)
        except OverflowError:               # a 400-digit integer
            raise too_large() from None
        if math.isinf(value):               # YAML's 1.0e+400 is already inf
            raise too_large()
        if not math.isfinite(value):
            raise AnswerError(f"expected {what}, got {raw!r}")
        text = format_number(raw) if printed else ""
        return value, text, text
    if isinstance(raw, str):
        node = parse(raw)
        if not printed:
            return to_number(node), "", ""
        return to_number(node), to_plain(node), to_latex(node)
    raise AnswerError(f"expected {what}, got {_kind(raw)}")


def _kind(raw) -> str:
    if isinstance(raw, dict):
        return "a mapping"
    if isinstance(raw, list):
        return "a list"
    return type(raw).__name__


_EXACT_INT = 2 ** 53     # ints up to this size convert to float exactly (no overflow)


def read_array(raw, ndim: int) -> np.ndarray:
    """A vector (ndim=1) or matrix (ndim=2) from YAML lists or an answer-language string."""
    if isinstance(raw, str):
        node = parse(raw)
        from ..lang import evaluate  # numeric value of a bracket literal or constant expression
        from ..lang.tree import Matrix, Vector
        if isinstance(node, (Vector, Matrix)):
            # entry by entry, each exactly where it can be (to_number), never a rounded float
            rows = [(item,) for item in node.items] if isinstance(node, Vector) else node.rows
            value = np.array([[to_number(item) for item in row] for row in rows], dtype=float)
            return _shape_to(value, ndim, raw)
        value = np.asarray(evaluate(node, {}))
        if np.any(np.isinf(value)):
            raise too_large()
        if value.dtype != np.float64:
            if np.iscomplexobj(value):
                if np.any(np.abs(value.imag) > 1e-12):
                    raise AnswerError("the answer has complex entries; expected real numbers")
                value = value.real
            value = value.astype(float)
        return _shape_to(value, ndim, raw)
    if not isinstance(raw, (list, tuple)):
        raw = [raw]
    if ndim == 2 and raw and not any(isinstance(r, (list, tuple)) for r in raw):
        raw = [raw]
    rows = raw if ndim == 2 else [raw]
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple)):
            raise AnswerError(f"row {i + 1} is {_kind(row)}; expected a list of numbers")
        if any(isinstance(x, (list, tuple)) for x in row):
            raise AnswerError("too many levels of brackets" if ndim == 1 else
                              f"row {i + 1} contains a list; expected numbers")
        vals = []
        for j, x in enumerate(row):
            # what read_scalar gives for a finite float or a modest int, without the call
            if type(x) is float and math.isfinite(x):
                vals.append(x)
                continue
            if type(x) is int and -_EXACT_INT <= x <= _EXACT_INT:
                vals.append(float(x))
                continue
            try:
                vals.append(read_scalar(x, printed=False)[0])   # the array's texts come later
            except AnswerError as exc:
                where = f"entry {j + 1}" if ndim == 1 else f"entry ({i + 1}, {j + 1})"
                raise AnswerError(f"{where}: {exc.message}") from None
        out.append(vals)
    if len({len(r) for r in out}) > 1:
        raise AnswerError("rows have different lengths: " + ", ".join(str(len(r)) for r in out))
    arr = np.array(out, dtype=float)
    return arr[0] if ndim == 1 else arr


def _shape_to(value: np.ndarray, ndim: int, raw: str) -> np.ndarray:
    if ndim == 1 and value.ndim == 2 and 1 in value.shape:
        return value.reshape(-1)
    if value.ndim == 0:
        value = value.reshape(1) if ndim == 1 else value.reshape(1, 1)
    if value.ndim != ndim:
        raise AnswerError(f"expected a {'vector' if ndim == 1 else 'matrix'}, got {raw!r}")
    return value


def array_plain(arr: np.ndarray) -> str:
    return _plain_rows(_entries(arr))


def array_texts(arr: np.ndarray) -> tuple[str, str]:
    """``(array_plain(arr), array_latex(arr))``, the entries formatted once for both."""
    rows = _entries(arr)
    return _plain_rows(rows), _latex_rows(rows, arr.ndim)


def _plain_rows(rows) -> str:
    if rows and not isinstance(rows[0], list):
        return "[" + ", ".join(rows) + "]"
    return "[" + ", ".join(_plain_rows(r) for r in rows) + "]"


def array_latex(arr: np.ndarray) -> str:
    return _latex_rows(_entries(arr), arr.ndim)


def _latex_rows(rows, ndim: int) -> str:
    rows = [rows] if ndim == 1 else rows
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return r"\begin{pmatrix} " + body + r" \end{pmatrix}"


def _entries(arr: np.ndarray) -> list:
    """The entries as text, nested like the array (Python floats: numpy scalars are slow)."""
    if arr.ndim == 1:
        return [format_number(x) for x in arr.tolist()]
    return [_entries(row) for row in arr]


def example_array(shape) -> str:
    """An example of the expected shape, as a student would type it: [1, 2] or [[1, 2], [3, 4]]."""
    if len(shape) == 1:
        return "[" + ", ".join(str(i + 1) for i in range(shape[0])) + "]"
    rows, cols = shape
    return "[" + ", ".join("[" + ", ".join(str(r * cols + c + 1) for c in range(cols)) + "]"
                           for r in range(rows)) + "]"


def shape_text(shape) -> str:
    return "×".join(str(s) for s in shape) if len(shape) > 1 else f"{shape[0]} entries"
