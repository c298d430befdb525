"""Drawing parameters: ranges, determinism, constraints, derived values, spec errors."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.bank.params import check_param, draw_params
from grader.errors import AuthorError
from grader.yamlio import parse_yaml


def spec(text):
    """Parse params written as top-level lines of a problem's `params:` block."""
    body = "".join("  " + line + "\n" for line in text.splitlines())
    doc = parse_yaml("params:\n" + body, "p.yaml")
    return {name: check_param(doc, ("params", name), s) for name, s in doc.data["params"].items()}


class TestDraw:
    @given(st.integers(min_value=-50, max_value=50), st.integers(min_value=0, max_value=30),
           st.integers(min_value=0, max_value=2**32))
    def test_int_stays_in_inclusive_range(self, low, width, seed):
        specs = {"n": {"type": "int", "min": low, "max": low + width}}
        value = draw_params(specs, (), random.Random(seed))["n"]
        assert low <= value <= low + width

    @given(st.integers(min_value=0, max_value=2**32))
    def test_int_nonzero_never_zero(self, seed):
        specs = spec("w: {type: int-nonzero, min: -1, max: 1}")
        assert draw_params(specs, (), random.Random(seed))["w"] in (-1, 1)

    @given(st.integers(min_value=0, max_value=2**32))
    def test_uniform_is_rounded(self, seed):
        specs = spec("lr: {type: uniform, min: 0.01, max: 0.5, round: 2}")
        v = draw_params(specs, (), random.Random(seed))["lr"]
        assert 0.01 <= v <= 0.5 and round(v, 2) == v

    def test_same_seed_same_draw(self):
        specs = spec("W: {type: matrix, shape: [2, 3], of: {type: int, min: -5, max: 5}}\n"
                     "v: {type: vector, size: 4, of: {type: uniform, min: 0, max: 1}}")
        assert draw_params(specs, (), random.Random(7)) == draw_params(specs, (), random.Random(7))

    def test_shapes(self):
        specs = spec("W: {type: matrix, shape: [2, 3], of: {type: int, min: -5, max: 5}}")
        W = draw_params(specs, (), random.Random(1))["W"]
        assert len(W) == 2 and all(len(r) == 3 for r in W)

    def test_derived_and_constraints(self):
        specs = spec("a: {type: int, min: 1, max: 9}\nb: {type: int, min: 1, max: 9}\n"
                     "s: {type: derived, expr: 'a + b'}")
        for seed in range(50):
            v = draw_params(specs, ("a < b",), random.Random(seed))
            assert v["a"] < v["b"] and v["s"] == v["a"] + v["b"]

    def test_impossible_constraint_gives_up(self):
        specs = spec("a: {type: int, min: 1, max: 2}")
        with pytest.raises(RuntimeError, match="constraints"):
            draw_params(specs, ("a > 5",), random.Random(0), max_tries=50)


class TestSpecErrors:
    def test_unknown_type_names_field_and_line(self):
        with pytest.raises(AuthorError) as info:
            spec("a: {type: int, min: 1, max: 2}\nb: {type: integer, min: 1, max: 2}")
        assert info.value.line == 3 and info.value.field == "params.b.type"
        assert "int-nonzero" in str(info.value)

    def test_max_below_min(self):
        with pytest.raises(AuthorError, match="max is below min"):
            spec("a: {type: int, min: 5, max: 2}")

    def test_misspelled_field_gets_a_hint(self):
        with pytest.raises(AuthorError, match="did you mean 'max'"):
            spec("a: {type: int, min: 1, mx: 2}")

    def test_derived_syntax_error(self):
        with pytest.raises(AuthorError, match="not a valid expression"):
            spec("a: {type: derived, expr: 'a +* 2'}")

    def test_derived_cannot_reach_python_internals(self):
        from jinja2.exceptions import SecurityError
        specs = spec("a: {type: derived, expr: '().__class__.__bases__'}")
        with pytest.raises(SecurityError):
            draw_params(specs, (), random.Random(0))
