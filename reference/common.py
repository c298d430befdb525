"""Numeric helpers shared by several reference solvers."""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from reference import Reject


def exact(v) -> Fraction:
    """A drawn or typed decimal as the fraction it denotes (0.1 -> 1/10, not the binary float)."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (int, np.integer)):
        return Fraction(int(v))
    return Fraction(repr(float(v)))


def sigmoid(t):
    """Logistic function, elementwise on arrays, without overflow for large |t|."""
    t = np.asarray(t, dtype=float)
    out = np.exp(-np.logaddexp(0.0, -t))
    return float(out) if out.ndim == 0 else out


def require_distinct(solve, p, visible):
    """Redraw a variant in which a listed misconception would be graded as right.

    ``visible`` maps a part id to ``(bugs, abs_tol, rel_tol)``: the part's tolerance and
    the misconceptions that must stay visible in it. A bug is visible when some entry of
    its answer is off by more than twice the tolerance (so no answer can be within the
    tolerance of both); a gap of exactly twice the tolerance counts as invisible.
    Returns the reference answers.
    """
    ref = solve(p)
    runs: dict = {}          # one run per bug, however many parts list it (solvers are pure)
    for part, (bugs, abs_tol, rel_tol) in visible.items():
        scalar = _is_number(ref[part])
        want = float(ref[part]) if scalar else np.asarray(ref[part], dtype=float)
        allowed = (2 * max(abs_tol, rel_tol * abs(want)) if scalar
                   else 2 * np.maximum(abs_tol, rel_tol * np.abs(want)))
        for bug in bugs:
            if bug not in runs:
                runs[bug] = solve(p, bug=bug)
            got = runs[bug][part]
            if scalar and _is_number(got):
                # the same float64 arithmetic as the array test below, without numpy's
                # per-call cost (most parts are one number, and every draw checks each slip)
                off = abs(float(got) - want) > allowed * (1 + 1e-9)
            else:
                off = np.any(np.abs(np.asarray(got, dtype=float) - want) > allowed * (1 + 1e-9))
            if not off:
                raise Reject(f"misconception {bug!r} lands on the right {part}")
    return WithBugRuns(ref, runs)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, Fraction, np.integer, np.floating))


class WithBugRuns(dict):
    """Reference answers that also carry the runs with a bug made to check them, so the
    grader can reuse them instead of solving again (``Variant.solve``)."""

    def __init__(self, answers: dict, runs: dict):
        super().__init__(answers)
        self.bug_runs = runs


def keeps_slips_visible(visible):
    """Decorator: the reference run (no bug, nothing given) redraws variants that hide a
    listed slip (see ``require_distinct``); runs with a bug or given values pass through."""
    def wrap(solve):
        @functools.wraps(solve)
        def solver(p, *, bug=None, given=None):
            if bug is None and not given:
                return require_distinct(solve, p, visible)
            return solve(p, bug=bug, given=given)
        solver.visible = visible
        return solver
    return wrap
