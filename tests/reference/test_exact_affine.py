"""The exact pre-activations of step and ReLU units (reference/networks.py).

``_exact_affine`` works on integer numerators for speed; these tests hold it to the
plain definition, a matrix product of Fractions entry by entry, on random exact weights
(ints, short and long fractions, binary floats) and on the inputs the checks use.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.networks import _GRID, _affine, _as_fractions, _exact_affine


def plain(W, b, X) -> list:
    """X W^T + b with Fractions, written out as sums."""
    Wf, bf, Xf = _as_fractions(np.atleast_2d(W)), _as_fractions(np.atleast_1d(b)), _as_fractions(np.atleast_2d(X))
    return [[sum((x * w for x, w in zip(row, unit)), Fraction(0)) + bu for unit, bu in zip(Wf, bf)]
            for row in Xf]


exact_numbers = st.one_of(
    st.integers(-10**6, 10**6),
    st.fractions(max_denominator=10**4).filter(lambda f: abs(f) < 10**4),
    st.fractions(max_denominator=10**15),
)
floats = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.data())
def test_exact_affine_equals_the_fraction_product(m, k, n, data):
    """Same numbers, entry by entry, whatever the denominators."""
    W = np.array(data.draw(st.lists(st.lists(exact_numbers, min_size=k, max_size=k), min_size=m, max_size=m)),
                 dtype=object)
    b = np.array(data.draw(st.lists(exact_numbers, min_size=m, max_size=m)), dtype=object)
    X = np.array(data.draw(st.lists(st.lists(floats, min_size=k, max_size=k), min_size=n, max_size=n)))
    got = _exact_affine(W, b, X)
    assert got.tolist() == plain(W, b, X)
    assert all(isinstance(z, Fraction) for z in got.flat)


def test_the_region_grid_through_a_hidden_layer():
    """The 33 x 33 grid of multiples of 1/4 through exact weights, as the region check does."""
    W = np.array([[Fraction(1, 3), -2], [Fraction(5, 7), Fraction(1, 2)]], dtype=object)
    b = np.array([Fraction(-1, 6), 3], dtype=object)
    assert _affine(W, b, _GRID, decide=False).tolist() == plain(W, b, _GRID)


def test_a_float_input_that_is_no_short_binary_fraction_is_still_exact():
    """0.1 is the binary float nearest 1/10: its exact value, not 1/10."""
    W = np.array([[1]], dtype=object)
    b = np.array([0], dtype=object)
    got = _exact_affine(W, b, np.array([[0.1], [1e-300]]))
    assert got.tolist() == [[Fraction(0.1)], [Fraction(1e-300)]]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_steps_from_numerators_equal_steps_of_the_fractions(m, k, data):
    """step(z) = [z > 0] read from the numerators is the step of the exact z."""
    from reference.networks import _affine_steps
    W = np.array(data.draw(st.lists(st.lists(exact_numbers, min_size=k, max_size=k), min_size=m, max_size=m)),
                 dtype=object)
    b = np.array(data.draw(st.lists(exact_numbers, min_size=m, max_size=m)), dtype=object)
    X = _GRID[::37, :1].repeat(k, axis=1)    # every 37th grid point, one column per input
    want = [[1.0 if z > 0 else 0.0 for z in row] for row in plain(W, b, X)]
    assert _affine_steps(W, b, X, decide=False).tolist() == want
