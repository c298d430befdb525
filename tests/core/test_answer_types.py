"""Answer types: parametrized tables of (reference, answer, expected outcome) per type."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.answer_types.base import Context
from grader.answer_types.numeric import Tolerance
from grader.answer_types.registry import ANSWER_TYPES
from grader.lang import AnswerError

CTX = Context(params={})


def judge(kind, options, ref, ans):
    """'invalid' when unreadable, else the score (None: undecided) and the message."""
    t = ANSWER_TYPES[kind](options)
    try:
        reading = t.read(ans, CTX)
        comp = t.compare(t.read_reference(ref, CTX), reading, CTX)
    except AnswerError as exc:
        return "invalid", exc.message
    return comp.score, comp.message


class TestNumber:
    @pytest.mark.parametrize("ref, ans, tol, score", [
        (0.75, "3/4", None, 1.0),
        (0.75, 0.7502, None, 1.0),
        (0.75, 0.76, None, 0.0),
        ("exp(2)/(1+exp(2))", 0.8808, None, 1.0),
        ("exp(2)/(1+exp(2))", "1/(1+exp(-2))", None, 1.0),
        (0.0, 0.0, None, 1.0),
        (0.0, 1e-6, None, 0.0),
        # an Adam-sized step must not collapse to zero
        (1e-8, 0, None, 0.0),
        (1e-8, 1.0004e-8, None, 1.0),
        (123.456, 123.5, {"sigfigs": 4}, 1.0),
        (123.456, 123.4, {"sigfigs": 4}, 0.0),   # truncated, not rounded
        (123.456, 123.3, {"sigfigs": 4}, 0.0),
        (2.0, 2.09, {"abs": 0.1}, 1.0),
        (2.0, 2.11, {"abs": 0.1}, 0.0),
        (100, 101, {"rel": 0.01}, 1.0),
        (100, 101.5, {"rel": 0.01}, 0.0),
    ])
    def test_table(self, ref, ans, tol, score):
        options = {"tolerance": tol} if tol else {}
        assert judge("number", options, ref, ans)[0] == score

    @pytest.mark.parametrize("ans", ["", "abc", "1/0", True, [1, 2], {"a": 1}, "3 +"])
    def test_unreadable(self, ans):
        if ans == "":
            pytest.skip("empty answers are `missing`, decided before reading")
        assert judge("number", {}, 1.0, ans)[0] == "invalid"

    def test_sign_slip_is_named(self):
        assert "sign" in judge("number", {}, 0.5, -0.5)[1]

    @given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.floats(min_value=0, max_value=0.5),
           st.floats(min_value=0, max_value=0.5), st.floats(min_value=-2, max_value=2))
    def test_tolerance_is_monotonic(self, ref, rel, extra, offset):
        """A looser tolerance never rejects what a tighter one accepts."""
        tight, loose = Tolerance(abs=1e-9, rel=rel), Tolerance(abs=1e-9, rel=rel + extra)
        ans = ref + offset
        assert not tight.accepts(ref, ans) or loose.accepts(ref, ans)

    @given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
    def test_an_answer_equals_itself(self, x):
        assert Tolerance().accepts(x, x)


class TestInteger:
    @pytest.mark.parametrize("ref, ans, outcome", [
        (84301, 84301, 1.0), (84301, "84301", 1.0), (84301, "13*300 + 301*200 + 201*100 + 101", 1.0),
        (84301, 84300, 0.0), (84301, 84301.0, 1.0), (84301, 84301.5, "invalid"), (5, "2^60", "invalid"),
    ])
    def test_table(self, ref, ans, outcome):
        assert judge("integer", {}, ref, ans)[0] == outcome


class TestArrays:
    def test_vector_shape_message_states_both_shapes(self):
        score, message = judge("vector", {"shape": [3]}, [1, 2, 3], [1, 2])
        assert score == "invalid" and "expected 3 entries, got 2 entries" in message

    def test_vector_from_string_and_column(self):
        assert judge("vector", {"shape": [2]}, [0.5, 1.5], "[1/2, 3/2]")[0] == 1.0
        assert judge("vector", {"shape": [2]}, [0.5, 1.5], [[0.5], [1.5]])[0] == "invalid"

    def test_matrix_transposed_is_explained(self):
        score, message = judge("matrix", {"shape": [2, 3]}, [[1, 2, 3], [4, 5, 6]], [[1, 4], [2, 5], [3, 6]])
        assert score == "invalid" and "transpose" in message and "expected 2×3, got 3×2" in message

    def test_square_transposed_is_explained(self):
        score, message = judge("matrix", {}, [[1, 2], [3, 4]], [[1, 3], [2, 4]])
        assert score == 0.0 and "transpose" in message

    def test_wrong_entries_are_listed_and_partial_credit(self):
        score, message = judge("matrix", {"partial": True}, [[1, 2], [3, 4]], [[1, 2], [3, 5]])
        assert score == 0.75 and "(2, 2)" in message
        assert judge("matrix", {}, [[1, 2], [3, 4]], [[1, 2], [3, 5]])[0] == 0.0

    def test_ragged_rows(self):
        assert "different lengths" in judge("matrix", {}, [[1, 2], [3, 4]], [[1, 2], [3]])[1]

    def test_entry_error_names_the_entry(self):
        assert "entry (2, 1)" in judge("matrix", {}, [[1, 2], [3, 4]], [[1, 2], ["3 +", 4]])[1]


class TestExpression:
    @pytest.mark.parametrize("ref, ans, variables, score", [
        ("s*(1 - s)", "s - s^2", {"s": {}}, 1.0),
        ("s*(1 - s)", "sigma(t)(1 - sigma(t))", {"s": {"equals": "sigmoid(t)"}, "t": {}}, 1.0),
        ("tanh(x)", "2 sigmoid(2x) - 1", {"x": {}}, 1.0),
        ("exp(-t)/(1+exp(-t))^2", "sigmoid(t)*(1-sigmoid(t))", {"t": {"domain": [-4, 4]}}, 1.0),
        ("log(x^2)", "2 log(x)", {"x": {"domain": [0.1, 5]}}, 1.0),
        ("x^2", "x^2 + 0.001", {"x": {}}, 0.0),
        ("2 lambda", "lambda + lambda", {"lambda": {}}, 1.0),
        ("$\\frac{1}{2}x$", "x/2", {"x": {}}, 1.0),
    ])
    def test_table(self, ref, ans, variables, score):
        assert judge("expression", {"variables": variables}, ref, ans)[0] == score

    def test_unknown_name_gets_a_hint(self):
        score, message = judge("expression", {"variables": {"lambda": {}}}, "lambda", "lamda")
        assert score == "invalid" and "lambda" in message


class TestMatrixExpression:
    V = {"A": {"shape": [3, 3]}, "x": {"shape": [3, 1]}}

    @pytest.mark.parametrize("ref, ans, score", [
        ("(A + A^T) x", "A x + A' x", 1.0),
        ("(A + A^T) x", "2 A x", 0.0),
        ("(A + A^T) x", "x^T (A + A^T)", "invalid"),
    ])
    def test_table(self, ref, ans, score):
        assert judge("matrix-expression", {"variables": self.V}, ref, ans)[0] == score

    def test_shape_mismatch_message(self):
        score, message = judge("matrix-expression", {"variables": self.V}, "(A + A^T) x", "x^T (A + A^T)")
        assert score == "invalid" and "shape 3×1" in message and "1×3" in message

    def test_symmetric_kind_accepts_2Ax(self):
        v = {"A": {"shape": [3, 3], "kind": "symmetric"}, "x": {"shape": [3, 1]}}
        assert judge("matrix-expression", {"variables": v}, "(A + A^T) x", "2 A x")[0] == 1.0

    def test_product_of_incompatible_shapes_is_invalid(self):
        assert judge("matrix-expression", {"variables": self.V}, "A x", "x A")[0] == "invalid"


class TestChoices:
    OPTS = {"options": [{"id": "a", "text": {"en": "A", "ru": "А"}},
                        {"id": "b", "text": {"en": "B", "ru": "Б"}},
                        {"id": "c", "text": {"en": "C", "ru": "В"}}]}

    def test_choice(self):
        assert judge("choice", self.OPTS, "b", "B")[0] == 1.0
        assert judge("choice", self.OPTS, "b", "a")[0] == 0.0
        assert "not an option" in judge("choice", self.OPTS, "b", "zz")[1]

    def test_multi_choice(self):
        assert judge("multi-choice", self.OPTS, ["a", "c"], ["c", "a"])[0] == 1.0
        assert judge("multi-choice", self.OPTS, ["a", "c"], "a, c")[0] == 1.0
        assert judge("multi-choice", {**self.OPTS, "partial": True}, ["a", "c"], ["a"])[0] == pytest.approx(1 / 2)
        assert judge("multi-choice", self.OPTS, [], [])[0] == 1.0

    @pytest.mark.parametrize("ans, value", [("yes", True), ("Да", True), (False, False), ("нет", False)])
    def test_boolean(self, ans, value):
        assert judge("boolean", {}, value, ans)[0] == 1.0
        assert judge("boolean", {}, not value, ans)[0] == 0.0

    def test_boolean_unreadable(self):
        assert judge("boolean", {}, True, "maybe")[0] == "invalid"


class TestProperty:
    def test_reads_fields_and_reports_missing_ones(self):
        t = ANSWER_TYPES["property"]({"check": "reference.networks:check_gate_a",
                                      "fields": {"w": [2], "b": []}})
        reading = t.read({"w": [1, 1], "b": -1.5}, CTX)
        assert np.allclose(reading.value["w"], [1, 1]) and float(reading.value["b"]) == -1.5
        with pytest.raises(AnswerError, match="missing field"):
            t.read({"w": [1, 1]}, CTX)
        with pytest.raises(AnswerError, match="w: expected 2 entries"):
            t.read({"w": [1, 1, 1], "b": 0}, CTX)


class TestRegressions:
    def test_array_where_a_formula_is_asked_is_invalid_not_a_crash(self):
        """An expression part answered with a bracket list once raised out of compare()."""
        assert judge("expression", {"variables": {"x": {}}}, "x", "[1, 2]")[0] == "invalid"

    def test_one_by_one_result_equals_a_scalar(self):
        """x^T A x is 1×1 and tr(A x x^T) is a scalar: the same answer (once judged a shape error)."""
        v = {"A": {"shape": [3, 3]}, "x": {"shape": [3, 1]}}
        assert judge("matrix-expression", {"variables": v}, "x^T A x", "tr(A x x^T)")[0] == 1.0
        assert judge("matrix-expression", {"variables": v}, "tr(A x x^T)", "x^T A x")[0] == 1.0

    def test_lone_identity_takes_its_size_from_the_reference(self):
        t = ANSWER_TYPES["matrix-expression"]({"variables": {"x": {"shape": [3, 1]}}})
        ref = t.read_reference("x^T x I + 2 x x^T", CTX)
        ctx = Context(params={}, reference=ref)
        assert t.compare(ref, t.read("(x^T x) I + 2 x x^T", ctx), ctx).score == 1.0
        assert t.compare(ref, t.read("(x^T x) I", ctx), ctx).score == 0.0


class TestRewrites:
    def test_expression_rewrites_are_equal_and_cover_each_form(self):
        t = ANSWER_TYPES["expression"]({"variables": {"s": {}, "t": {}}})
        forms = t.rewrites("s*(1 - s) + t")
        assert forms[0].startswith("$")                        # LaTeX
        assert "t + " in forms[1]                              # reordered
        assert "s**2" in forms[2] and "s*(" not in forms[2]    # expanded
        for form in forms:
            assert judge("expression", {"variables": {"s": {}, "t": {}}}, "s*(1 - s) + t", form)[0] == 1.0

    def test_matrix_rewrites_never_commute_products(self):
        v = {"A": {"shape": [3, 3]}, "x": {"shape": [3, 1]}}
        forms = ANSWER_TYPES["matrix-expression"]({"variables": v}).rewrites("(A + A^T) x")
        assert "A^T + A" in forms[1] and forms[1].endswith("x")
        for form in forms:
            assert judge("matrix-expression", {"variables": v}, "(A + A^T) x", form)[0] == 1.0


@given(st.lists(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), min_size=1, max_size=12),
       st.sampled_from([Tolerance(), Tolerance(abs=1e-12, rel=1e-12), Tolerance(abs=0.1, rel=0),
                        Tolerance(sigfigs=1), Tolerance(sigfigs=3)]))
def test_array_tolerance_matches_the_scalar_one(values, tolerance):
    """Vectors and matrices are checked entry by entry with the numbers' own rule."""
    ref = np.array(values)
    expected = [tolerance.allowed(v) for v in values]
    assert tolerance.allowed_array(ref).tolist() == expected
    assert tolerance.allowed_array(ref.reshape(1, -1)).shape == (1, len(values))


@pytest.mark.parametrize("value, plain, latex", [
    ([0.5, 1.0, -2.25], "[0.5, 1, -2.25]", r"\begin{pmatrix} 0.5 & 1 & -2.25 \end{pmatrix}"),
    ([[1.0, 2.0], [3.5, 0.1]], "[[1, 2], [3.5, 0.1]]",
     r"\begin{pmatrix} 1 & 2 \\ 3.5 & 0.1 \end{pmatrix}"),
])
def test_how_an_array_was_read(value, plain, latex):
    kind = "vector" if np.ndim(value) == 1 else "matrix"
    reading = ANSWER_TYPES[kind]({}).read(value, CTX)
    assert (reading.plain, reading.latex) == (plain, latex)


def test_records_are_immutable_values():
    """Readings, comparisons and contexts are shared across a class's answers (and
    memoised comparisons): none can be changed after it is made."""
    from grader.answer_types.base import Comparison, Context, Reading
    reading = Reading(0.5, "0.5", "0.5")
    context = Context(params={"n": 2}, seed=3)
    for record, field in ((reading, "plain"), (Comparison(1.0, "tolerance"), "score"),
                          (context, "seed")):
        with pytest.raises(AttributeError):
            setattr(record, field, None)
    assert context._replace(reference=reading) == Context({"n": 2}, 3, "en", reading)
    assert context.reference is None
