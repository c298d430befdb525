"""Drawing parameters: ranges, determinism, constraints, derived values, spec errors."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.bank.params import check_param, compile_expression, draw_params
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


@pytest.mark.parametrize("expr,values", [
    ("a * b + max(a, 3)", {"a": 3, "b": 4}),
    ("a > 2 and b < 0", {"a": 3, "b": -1}),
    ("(v | sum) if a else 0", {"v": [1, 2, 3], "a": 1}),
    ("v[1:] | list", {"v": [1, 2, 3]}),
    ("round(a / 3, 2)", {"a": 7}),
    ("missing", {}),                          # undefined: None, as Jinja's own call gives
    ("sorted(v)[0] + len(v) + abs(-a) + int(2.7) + float(1)", {"v": [3, 1], "a": 2}),
])
def test_an_expression_evaluates_as_jinjas_own_compiled_expression(expr, values):
    """The sped-up call returns exactly what Jinja's TemplateExpression returns."""
    from grader.bank.params import _env
    assert compile_expression(expr)(**values) == _env.compile_expression(expr)(**values)


@pytest.mark.parametrize("expr", ["().__class__.__mro__", "v.__class__", "range.__globals__"])
def test_an_expression_stays_in_the_sandbox(expr):
    """The fast call runs the same sandboxed code: Python internals stay out of reach
    (refused, or hidden as undefined, exactly as Jinja's own call does)."""
    from jinja2.exceptions import SecurityError
    try:
        value = compile_expression(expr)(v=[1])
    except SecurityError:
        return
    assert value is None


def test_each_call_sees_only_its_own_values():
    """Values of one call never linger into the next (the globals are copied, not shared)."""
    e = compile_expression("x is defined")
    assert (e(x=1), e(), e(x=None)) == (True, False, True)
    assert compile_expression("max(2, 5)")() == 5          # the globals are still there
