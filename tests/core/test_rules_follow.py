"""Rules of grading/follow.py at their boundaries: which earlier values may stand in for
the reference (degenerate guesses, the guard's band, distributions, the start value).

Every number below is chosen so the boundary is exact in binary floating point, and
each expected outcome follows from the rule in follow.py's docstring.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.grading.follow import DEFAULTS, DISTRIBUTIONS, degenerate, numbers, passes_guard, start_value


def arr(*x):
    return np.array(x, dtype=float)


class TestNumbers:
    @pytest.mark.parametrize("value", [True, False, None, "3", [], [[]], [1.0, float("nan")], float("-inf"),
                                       {"a": 1}, ["a"], [1, [2, 3]], object()])
    def test_only_finite_non_empty_numeric_values_are_numbers(self, value):
        assert numbers(value) is None

    def test_numbers_are_float_arrays_of_the_values_shape(self):
        out = numbers([[1, 2], [3, 4]])
        assert out.dtype == float and out.shape == (2, 2) and out.tolist() == [[1.0, 2.0], [3.0, 4.0]]
        assert numbers(np.int64(3)).tolist() == 3.0


class TestDegenerate:
    def test_a_single_entry_is_never_constant(self):
        assert not degenerate(arr(1.0), arr(2.0), {})

    def test_all_entries_alike_against_a_varied_reference(self):
        assert degenerate(arr(0.5, 0.5, 0.5), arr(0.2, 0.3, 0.5), {})
        assert not degenerate(arr(0.5, 0.5, 0.6), arr(0.2, 0.3, 0.5), {})   # not all alike
        assert not degenerate(arr(0.5, 0.5), arr(0.3, 0.3), {})             # nor is the reference

    def test_a_copied_parameter_unless_the_reference_equals_it_too(self):
        params = {"label": "x", "n": 3, "w0": [1.0, 2.0]}
        assert degenerate(arr(1.0, 2.0), arr(1.5, 2.5), params)
        assert degenerate(np.array(3.0), np.array(4.0), params)
        assert not degenerate(arr(3.0), arr(4.0), params)                    # [3] is no copy of 3
        assert not degenerate(arr(1.0, 2.0), arr(1.0, 2.0), params)
        assert not degenerate(arr(1.0, 2.5), arr(1.5, 2.5), params)        # one entry differs
        assert not degenerate(arr(1.0, 2.0), arr(1.5, 2.5), {"w0": [[1.0, 2.0]]})   # another shape

    def test_copies_are_exact_up_to_rounding_noise(self):
        """Equal within 1e-12 relative: a printed copy of the parameter still counts as a copy."""
        five = np.array(5.0)
        assert degenerate(np.array(1000.0 + 1e-10), five, {"w": 1000.0})
        assert not degenerate(np.array(1000.0 + 1e-8), five, {"w": 1000.0})
        assert degenerate(np.array(1e-13), five, {"w": 0.0})                 # absolute part near zero
        assert not degenerate(np.array(1e-11), five, {"w": 0.0})
        assert not degenerate(np.array(1000.0), np.array(1000.0 + 1e-10), {"w": 1000.0})   # so is the ref


class TestGuard:
    # ref 10: the default band is 1 + 0.5 * 10 = 6 on either side, its edges included
    @pytest.mark.parametrize("ans, ok", [(10.0, True), (16.0, True), (4.0, True), (16.25, False), (3.75, False)])
    def test_the_default_band_is_one_plus_half_the_reference(self, ans, ok):
        assert passes_guard({}, arr(ans), arr(10.0), {}) is ok

    def test_the_band_is_entry_by_entry_and_relative_to_each_entry(self):
        assert passes_guard({}, arr(0.0, 16.0), arr(0.5, 10.0), {})
        assert not passes_guard({}, arr(2.0, 16.0), arr(0.5, 10.0), {})     # 1.5 > 1 + 0.25

    def test_declared_band(self):
        assert passes_guard({"near_abs": 0.0, "near_rel": 0.25}, arr(12.5), arr(10.0), {})
        assert not passes_guard({"near_abs": 0.0, "near_rel": 0.25}, arr(12.75), arr(10.0), {})
        assert passes_guard({"near_abs": 3.0, "near_rel": 0.0}, arr(13.0), arr(10.0), {})
        assert not passes_guard({"near_abs": 3.0, "near_rel": 0.0}, arr(13.25), arr(10.0), {})

    def test_another_shape_never_passes(self):
        assert not passes_guard({}, arr(1.0, 2.0), arr(1.0, 2.0, 3.0), {})
        assert not passes_guard({}, arr(1.0, 2.0), np.array([[1.0, 2.0]]), {})

    def test_misconceptions_only_refuses_every_value(self):
        assert not passes_guard({"misconceptions_only": True}, arr(10.0), arr(10.0), {})
        assert passes_guard({"misconceptions_only": False}, arr(10.0), arr(10.0), {})

    @pytest.mark.parametrize("ans, ok", [((0.0, 1.0), True), ((0.5, 0.5), True), ((-0.25, 1.0), False),
                                         ((0.0, 1.25), False), ((0.75, 0.75), True)])
    def test_entries_are_probabilities_zero_and_one_included(self, ans, ok):
        assert passes_guard({"distribution": "entries"}, arr(*ans), arr(0.5, 0.5), {}) is ok

    @pytest.mark.parametrize("ans, guard, ok", [
        ((0.25, 0.75), {}, True), ((0.25, 0.765625), {}, True), ((0.25, 0.734375), {}, True),
        ((0.25, 0.78125), {}, False), ((0.25, 0.71875), {}, False),
        ((0.25, 0.78125), {"sum_tol": 0.0625}, True), ((0.25, 0.8125), {"sum_tol": 0.0625}, True),
        ((0.25, 0.875), {"sum_tol": 0.0625}, False),
        ((0.5, 0.5), {"sum_tol": 0.0}, True), ((0.5, 0.5078125), {"sum_tol": 0.0}, False),
        ((-0.125, 1.125), {}, False),               # sums to 1, but not probabilities
    ])
    def test_a_vector_sums_to_one_within_sum_tol(self, ans, guard, ok):
        assert passes_guard({"distribution": "vector", **guard}, arr(*ans), arr(0.5, 0.5), {}) is ok

    def test_rows_each_sum_to_one(self):
        ref = np.array([[0.5, 0.5], [0.25, 0.75]])
        rows = {"distribution": "rows"}
        assert passes_guard(rows, np.array([[0.75, 0.25], [0.25, 0.75]]), ref, {})
        assert passes_guard(rows, np.array([[0.75, 0.265625], [0.25, 0.75]]), ref, {})   # 1.015625, within 0.02
        assert not passes_guard(rows, np.array([[0.75, 0.25], [0.25, 0.5]]), ref, {})   # the second row
        assert not passes_guard({**rows, "sum_tol": 0.0}, np.array([[0.75, 0.265625], [0.25, 0.75]]), ref, {})
        assert not passes_guard(rows, arr(0.5, 0.5), arr(0.5, 0.5), {})                 # not a matrix
        assert passes_guard({"distribution": "vector"}, arr(0.5, 0.5), arr(0.5, 0.5), {})

    def test_rows_are_not_checked_as_one_vector(self):
        """Two rows summing to 1 each sum to 2 together: rows pass, vector does not."""
        both = np.array([[0.5, 0.5], [0.5, 0.5]])
        assert passes_guard({"distribution": "rows"}, both, both, {})
        assert not passes_guard({"distribution": "vector"}, both, both, {})

    # start w0 = 1, reference 2: the step is 1; the answer must move more than min_move * 1
    @pytest.mark.parametrize("ans, guard, ok", [
        (1.25, {}, True), (1.125, {}, True), (1.0625, {}, False), (0.9375, {}, False), (0.875, {}, True),
        (1.5, {"min_move": 0.5}, False), (1.625, {"min_move": 0.5}, True), (1.0, {"min_move": 0.0}, False),
    ])
    def test_a_step_moves_more_than_min_move_of_the_reference_step(self, ans, guard, ok):
        assert passes_guard({"start": "w0", **guard}, arr(ans), arr(2.0), {"w0": 1.0}) is ok

    def test_the_step_is_the_largest_entry_move(self):
        """Reference step max|ref - start| = 4: a move of 0.25 in one entry is not enough."""
        params, guard = {"w0": [0.0, 0.0]}, {"start": "w0", "near_abs": 10.0}
        assert not passes_guard(guard, arr(0.25, 0.0), arr(4.0, 0.0), params)
        assert passes_guard(guard, arr(0.0, 0.5), arr(4.0, 0.0), params)

    def test_a_missing_or_non_numeric_start_refuses(self):
        assert not passes_guard({"start": "w0"}, arr(1.5), arr(2.0), {})
        assert not passes_guard({"start": "w0"}, arr(1.5), arr(2.0), {"w0": "x"})

    def test_the_defaults_are_the_documented_ones(self):
        assert DEFAULTS == {"near_rel": 0.5, "near_abs": 1.0, "distribution": "", "sum_tol": 0.02,
                            "start": "", "min_move": 0.1, "misconceptions_only": False}
        assert DISTRIBUTIONS == ("", "entries", "vector", "rows")


class TestStartValue:
    def test_the_declared_parameter_or_none(self):
        assert start_value({"start": "w0"}, {"w0": [1, 2]}) == [1, 2]
        assert start_value({"start": "w0"}, {}) is None
        assert start_value({"start": ""}, {"": 5}) is None
        assert start_value({}, {"w0": 1}) is None
        assert start_value(None, {"w0": 1}) is None
