"""The fast paths of the compare area give what the slow obvious code gives."""

from fractions import Fraction

import numpy as np
import pytest

from grader.grading import cache
from grader.answer_types.numeric import array_latex, array_plain, array_texts, read_array, read_scalar


VALUES = [
    None, True, 3, 2 ** 80, -0.0, 1.5, float("nan"), "x'", Fraction(1, 3), 1 + 2j,
    [1, [2.5, (None, "a")], {"k": [True, Fraction(-2, 7)]}], np.array([[1.5, 2.0]]), np.float64(2.0),
    {(1, 2): {"b": 1, "a": 2}}, type("MyInt", (int,), {})(4), (type("L", (list,), {})([1]),),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_recursive_walk_writes_what_the_iterative_walk_writes(value):
    assert cache.canonical(value) == cache._walk_deep(value)


def test_deep_values_fall_back_and_the_budget_counts_the_same(monkeypatch):
    deep = 1
    for _ in range(cache._FAST_DEPTH * 3):
        deep = [deep, {"k": 1.5}]
    assert cache.canonical(deep) == cache._walk_deep(deep)
    for budget in range(1, 12):
        monkeypatch.setattr(cache, "MAX_CANON_NODES", budget)
        for value in VALUES:
            try:
                expected = cache._walk_deep(value)
            except cache._TooBig:
                with pytest.raises(cache._TooBig):
                    cache.canonical(value)
            else:
                assert cache.canonical(value) == expected


@pytest.mark.parametrize("raw", [[1, 2.5, -3], [[1, 0.1], [2 ** 53, -2 ** 53 - 1]], [Fraction(1, 3), "1/4", 7]])
def test_array_entries_read_as_read_scalar_reads_them(raw):
    rows = raw if isinstance(raw[0], list) else [raw]
    expected = np.array([[read_scalar(x, printed=False)[0] for x in r] for r in rows])
    arr = read_array(raw, 2)
    assert arr.tolist() == expected.tolist()
    assert array_texts(arr) == (array_plain(arr), array_latex(arr))
