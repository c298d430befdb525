"""When a student's own earlier answer may stand in for the reference (follow-through).

Follow-through rewards consistent work from a wrong earlier value; it must never reward
a value chosen so that the later part needs no work. Two questions, in this order:

1. **Is the earlier value plausible for this variant?** (``plausible``)
   a. the answer type's own test (finite, right shape, not all zero where the reference is not);
   b. it equals one of that part's named misconceptions: plausible (a known slip is work);
   c. otherwise it must not be degenerate: every entry the same while the reference's
      are not (``[1, 1, 1, 1]``, responsibilities all 0.5), or a verbatim copy of a drawn
      parameter the reference does not equal (the start value, the given matrix);
   d. and it must pass the part's ``follow_guard`` (see ``GUARD_FIELDS``): near the
      reference within a generous band, probabilities where the part asks for them,
      moved away from the start value by a real share of the reference step.
2. **Does re-running from it make the later part trivial?** (``trivial``) The later
   part's value re-run from the student's values equals one of those values itself
   (a stationary point, a step that did not move), or the declared start value.

Only numeric readings (numbers, vectors, matrices, counts) are examined by 1c, 1d and 2;
other kinds keep only their type's test.
"""

from __future__ import annotations

import numpy as np

from ..fields import Field

GUARD_FIELDS = (
    Field("near_rel", "number", "The student's value must lie, entry by entry, within "
          "`near_abs + near_rel * |reference|` of the reference.", default=0.5),
    Field("near_abs", "number", "Absolute part of that band (in the answer's units).", default=1.0),
    Field("distribution", "str", "Probabilities: `entries` (each in [0, 1]), `vector` (also summing "
          "to 1), `rows` (each row sums to 1).", default=""),
    Field("sum_tol", "number", "How far a sum may be from 1 under `distribution` (rounding).",
          default=0.02),
    Field("start", "str", "The parameter this step starts from: a student value equal to it did "
          "no work, and a later part re-run that lands on it is trivial.", default=""),
    Field("min_move", "number", "With `start`: the share of the reference step "
          "(|reference - start|) the student's value must move away from the start.", default=0.1),
    Field("misconceptions_only", "bool", "Follow only from a named misconception's value (for "
          "parts whose right value is read off the statement).", default=False),
)
DEFAULTS = {f.name: f.default for f in GUARD_FIELDS}
DISTRIBUTIONS = ("", "entries", "vector", "rows")


def numbers(value) -> np.ndarray | None:
    """A reading's value as a float array, or None when it is not numeric."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr if arr.size and np.all(np.isfinite(arr)) else None


def _constant(arr: np.ndarray) -> bool:
    return arr.size > 1 and bool(np.all(arr == arr.flat[0]))


def _same(a: np.ndarray, b) -> bool:
    b = numbers(b)
    return b is not None and a.shape == b.shape and bool(np.all(np.abs(a - b) <= 1e-12 * (1 + np.abs(b))))


def degenerate(ans: np.ndarray, ref: np.ndarray, params: dict) -> bool:
    """1c: a guess that needs no computation (all entries alike, or a given copied)."""
    if _constant(ans) and not _constant(ref):
        return True
    return any(_same(ans, v) and not _same(ref, v) for v in params.values())


def passes_guard(guard: dict, ans: np.ndarray, ref: np.ndarray, params: dict) -> bool:
    """1d: the part's declared (or default) guard."""
    g = {**DEFAULTS, **guard}
    if g["misconceptions_only"]:
        return False
    if ans.shape != ref.shape:
        return False
    if np.any(np.abs(ans - ref) > g["near_abs"] + g["near_rel"] * np.abs(ref)):
        return False
    kind = g["distribution"]
    if kind:
        if np.any(ans < 0) or np.any(ans > 1):
            return False
        if kind == "vector" and abs(float(ans.sum()) - 1) > g["sum_tol"]:
            return False
        if kind == "rows" and (ans.ndim != 2 or np.any(np.abs(ans.sum(axis=1) - 1) > g["sum_tol"])):
            return False
    if g["start"]:
        start = numbers(params.get(g["start"]))
        if start is None:
            return False
        step = float(np.max(np.abs(ref - start)))
        if float(np.max(np.abs(ans - start))) <= g["min_move"] * step:
            return False
    return True


def start_value(guard: dict, params: dict):
    """The declared start value of a step, or None."""
    name = (guard or {}).get("start")
    return params.get(name) if name else None
