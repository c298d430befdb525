"""require_distinct: which draws hide a slip (reference/common.py), pinned at its edges."""

from fractions import Fraction

import numpy as np
import pytest

from reference import Reject
from reference.common import require_distinct


def solver(values):
    """A solver whose answer for part x is values[bug] (values[None] for the reference)."""
    def solve(p, *, bug=None, given=None):
        return {"x": values[bug]}
    return solve


@pytest.mark.parametrize("ref,slip,abs_tol,rel_tol,visible", [
    (1.0, 1.2, 0.1, 0, False),                  # a gap of exactly twice the tolerance hides it
    (1.0, 1.2000001, 0.1, 0, True),
    (1.0, 0.7, 0.1, 0, True),
    (Fraction(1, 2), Fraction(1, 2), 0.1, 0, False),
    (100, 101, 0, 0.005, False),                 # relative: 2 * 0.005 * 100 = 1
    (100, 101.01, 0, 0.005, True),
    (100, 101.01, 2, 0.005, False),              # the larger of abs and rel counts
    (3, True, 0.5, 0, True),                     # a bool reads as 1.0, as in numpy
    (float("nan"), 1.0, 0.1, 0, False),          # nothing is visible against NaN
    (1.0, float("nan"), 0.1, 0, False),
    ([1.0, 2.0], [1.0, 2.3], 0.1, 0, True),      # arrays: any entry off is enough
    ([1.0, 2.0], [1.1, 2.2], 0.1, 0, False),
    (1.0, [1.0, 1.5], 0.1, 0, True),             # a scalar reference against a list slip
    (np.float64(1.0), np.int64(2), 0.1, 0, True),
])
def test_a_slip_is_visible_only_beyond_twice_the_tolerance(ref, slip, abs_tol, rel_tol, visible):
    """A draw is kept when the slip's answer is off by more than twice the tolerance,
    in the same float arithmetic for one number as for arrays."""
    solve = solver({None: ref, "b": slip})
    table = {"x": (["b"], abs_tol, rel_tol)}
    if visible:
        out = require_distinct(solve, {}, table)
        assert out["x"] == ref if not isinstance(ref, list) else out["x"] == ref
        assert out.bug_runs == {"b": {"x": slip}}
    else:
        with pytest.raises(Reject, match="'b' lands on the right x"):
            require_distinct(solve, {}, table)


def test_each_slip_runs_once_however_many_parts_list_it():
    calls = []

    def solve(p, *, bug=None, given=None):
        calls.append(bug)
        return {"x": 1.0 if bug is None else 2.0, "y": 5.0 if bug is None else 7.0}
    out = require_distinct(solve, {}, {"x": (["b"], 0.1, 0), "y": (["b"], 0.1, 0)})
    assert calls == [None, "b"] and out.bug_runs["b"] == {"x": 2.0, "y": 7.0}
