"""Rules of numeric reading and tolerance (answer_types/numeric.py) and of vector and
matrix answers (answer_types/array.py): what is accepted, how far, what a student is told.

Expected values are worked out by hand from the rules stated in each test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from grader.answer_types.base import Comparison, Context, ForeignEntry, Reading
from grader.answer_types.numeric import (Tolerance, array_latex, array_plain, example_array, format_number,
                                         read_array, read_scalar, rounded_within, shape_text, tolerance_from)
from grader.answer_types.registry import ANSWER_TYPES
from grader.errors import AuthorError
from grader.lang import AnswerError
from grader.yamlio import Document

CTX = Context(params={})
DOC = Document(data=None, file="problem.yaml")


def refused(fn, *args) -> str:
    with pytest.raises(AnswerError) as caught:
        fn(*args)
    return caught.value.message


# -- tolerance ------------------------------------------------------------------------------

class TestTolerance:
    @pytest.mark.parametrize("tol, ref, allowed", [
        (Tolerance(), 2.0, 0.01),                     # 0.5 % of 2
        (Tolerance(), 0.0, 1e-9),                     # the absolute floor
        (Tolerance(), -4.0, 0.02),                    # relative to |ref|
        (Tolerance(abs=0.1, rel=0.01), 5.0, 0.1),     # the larger of the two
        (Tolerance(abs=0.1, rel=0.01), 50.0, 0.5),
        (Tolerance(sigfigs=4), 123.456, 0.05),        # half a unit in the 4th figure
        (Tolerance(sigfigs=3), -0.012345, 0.00005),
        (Tolerance(sigfigs=2), 1000.0, 50.0),
        (Tolerance(sigfigs=3), 0.0, 1e-12),           # a zero reference: essentially exact
    ])
    def test_allowed_error(self, tol, ref, allowed):
        """|answer - reference| allowed: max(abs, rel |ref|), or half a unit of the last figure kept."""
        assert math.isclose(tol.allowed(ref), allowed, rel_tol=1e-8)

    def test_sigfigs_include_the_rounding_boundary(self):
        """An answer exactly half a unit away (123.45 rounds to 123.5) is accepted."""
        assert Tolerance(sigfigs=4).allowed(123.45) > 0.05
        assert Tolerance(sigfigs=4).accepts(123.45, 123.5)

    def test_arrays_get_each_entrys_own_allowance(self):
        tol = Tolerance(sigfigs=2)
        assert np.allclose(tol.allowed_array(np.array([[1000.0, 0.25]])), [[50.0, 0.005]], rtol=1e-8, atol=0)
        assert np.allclose(Tolerance(abs=0.1, rel=0.01).allowed_array(np.array([5.0, -50.0])), [0.1, 0.5],
                           rtol=1e-12, atol=0)

    @pytest.mark.parametrize("ref, ans, accepted", [
        (math.inf, math.inf, True), (math.inf, -math.inf, False), (math.inf, 1e308, False),
        (1.0, math.inf, False), (math.nan, math.nan, False), (1.0, math.nan, False),
    ])
    def test_non_finite_values_only_match_themselves(self, ref, ans, accepted):
        assert Tolerance().accepts(ref, ans) is accepted

    @pytest.mark.parametrize("tol, en, ru", [
        (Tolerance(), "within 0.5% relative", "с относительной погрешностью 0.5%"),
        (Tolerance(abs=0.01, rel=0.0), "within 0.01 absolute", "с абсолютной погрешностью 0.01"),
        (Tolerance(abs=0.01, rel=0.02), "within 2% relative or 0.01 absolute",
         "с относительной погрешностью 2% или абсолютной погрешностью 0.01"),
        (Tolerance(abs=1e-8, rel=0.0), "within 1e-08 absolute", "с абсолютной погрешностью 1e-08"),
        (Tolerance(abs=1e-9, rel=0.0), "exactly", "только точно"),       # below 1e-8: not worth saying
        (Tolerance(abs=0.0, rel=0.0), "exactly", "только точно"),
        (Tolerance(sigfigs=1), "to 1 significant figure", "с точностью до 1 значащей цифры"),
        (Tolerance(sigfigs=3), "to 3 significant figures", "с точностью до 3 значащих цифр"),
    ])
    def test_the_sheet_states_the_tolerance_in_both_languages(self, tol, en, ru):
        assert (tol.describe("en"), tol.describe("ru")) == (en, ru)

    @pytest.mark.parametrize("raw, tol", [
        (None, Tolerance(abs=1e-9, rel=0.005)),
        ({}, Tolerance(abs=1e-9, rel=0.005)),
        ({"rel": 0.01}, Tolerance(abs=0.0, rel=0.01)),      # only what is declared applies
        ({"abs": 0.1}, Tolerance(abs=0.1, rel=0.0)),
        ({"abs": 1, "rel": 0.1}, Tolerance(abs=1.0, rel=0.1)),
        ({"sigfigs": 3}, Tolerance(sigfigs=3)),
        ({"sigfigs": 3.0, "rel": 0.5}, Tolerance(sigfigs=3)),   # sigfigs wins
    ])
    def test_a_declared_tolerance_replaces_the_default_as_a_whole(self, raw, tol):
        got = tolerance_from({"tolerance": raw})
        assert got == tol and type(got.abs) is float and (got.sigfigs is None or type(got.sigfigs) is int)

    def test_an_unknown_key_is_an_author_error_only_when_a_document_is_given(self):
        with pytest.raises(AuthorError) as caught:
            tolerance_from({"tolerance": {"rel": 0.1, "relative": 0.2}}, DOC, ("parts", 1))
        error = caught.value
        assert (error.field, error.detail, error.expected) == (
            "parts.1.tolerance.relative", "unknown tolerance key", "abs, rel or sigfigs")
        assert tolerance_from({"tolerance": {"rel": 0.1, "relative": 0.2}}) == Tolerance(abs=0.0, rel=0.1)


@pytest.mark.parametrize("value, tol, text", [
    (2 / 3, Tolerance(), "0.667"),                     # 0.667 is 0.05 % off, under half of 0.5 %
    (2 / 3, Tolerance(rel=0.0005, abs=0), "0.6667"),
    (123.456, Tolerance(sigfigs=4), "123.46"),       # 123.5 is 0.044 off: more than half of 0.05
    (0.25, Tolerance(), "0.25"),
    (0.1 + 0.2, Tolerance(abs=0.0, rel=0.0), "0.30000000000000004"),   # no 15-digit form is exact
])
def test_rounded_within_is_the_shortest_decimal_with_room_to_spare(value, tol, text):
    """The shortest decimal within half the allowed error (so it is safely accepted)."""
    assert rounded_within(value, tol) == text


# -- numbers as a student types them --------------------------------------------------------

@pytest.mark.parametrize("x, text", [
    (Fraction(3, 4), "3/4"), (Fraction(-6, 3), "-2"), (7, "7"), (np.int64(-5), "-5"), (2.0, "2"),
    (-0.0, "0"), (0.1 + 0.2, "0.3"), (1 / 3, "0.3333333333"), (1e15, "1e+15"), (999999999999999.0, "999999999999999"),
    (np.float64(2.5), "2.5"),
])
def test_format_number(x, text):
    """Integers plain, fractions as a/b, floats to 10 significant digits."""
    assert format_number(x) == text


@pytest.mark.parametrize("x", [True, np.bool_(False)])
def test_a_boolean_is_not_a_number(x):
    """A bool reaching the formatter is a grader bug: TypeError, with the words stderr will show."""
    with pytest.raises(TypeError, match="^a boolean is not a number$"):
        format_number(x)


class TestReadScalar:
    @pytest.mark.parametrize("raw, value, plain, latex", [
        (3, 3.0, "3", "3"), (0.25, 0.25, "0.25", "0.25"), (Fraction(1, 4), 0.25, "1/4", "1/4"),
        (np.int64(2), 2.0, "2", "2"), ("1/4", 0.25, "1/4", r"\frac{1}{4}"),
    ])
    def test_numbers_and_formulas(self, raw, value, plain, latex):
        got = read_scalar(raw)
        assert got == (value, plain, latex) and type(got[0]) is float

    def test_unprinted_values_have_no_text(self):
        """printed=False: for values nobody sees (references), no texts are built."""
        assert read_scalar("1/4", printed=False) == (0.25, "", "")

    @pytest.mark.parametrize("raw, message", [
        (None, "expected a whole number, got nothing"),
        (True, "expected a whole number, got True"),
        (math.nan, "expected a whole number, got nan"),
        ([1], "expected a whole number, got a list"),
        ({"a": 1}, "expected a whole number, got a mapping"),
        ({1}, "expected a whole number, got set"),
    ])
    def test_what_is_not_a_number_is_named(self, raw, message):
        """The message names the value (repr) or its kind; nothing at all is "nothing", unquoted."""
        assert refused(read_scalar, raw, "a whole number") == message

    @pytest.mark.parametrize("raw", [10 ** 400, math.inf, -math.inf])
    def test_too_large_is_said_so(self, raw):
        assert refused(read_scalar, raw).startswith("the number is too large")


class TestReadArray:
    @pytest.mark.parametrize("raw, ndim, expected", [
        ("[1, 2]", 1, [1, 2]), ("[[1], [2]]", 1, [1, 2]), ("[[1, 2]]", 1, [1, 2]),
        ("[1, 2]", 2, [[1], [2]]), ("[[1, 2], [3, 4]]", 2, [[1, 2], [3, 4]]),
        ("2", 1, [2]), ("2", 2, [[2]]), ("[1/3, 1]", 1, [1 / 3, 1]),
        (3, 1, [3]), ([1, "1/2"], 1, [1, 0.5]), ([1, 2], 2, [[1, 2]]), ([[1, 2], [3, 4]], 2, [[1, 2], [3, 4]]),
        ((1, 2), 1, [1, 2]), ([], 1, []),
    ])
    def test_what_is_read(self, raw, ndim, expected):
        """Bracket text or YAML lists; a column or row is a vector; a lone number a 1-vector."""
        arr = read_array(raw, ndim)
        assert arr.dtype == np.float64 and arr.tolist() == expected

    @pytest.mark.parametrize("raw, ndim, message", [
        ("[[1, 2], [3, 4]]", 1, "expected a vector, got '[[1, 2], [3, 4]]'"),
        ("sqrt(-1)", 1, "the answer has complex entries; expected real numbers"),
        ([[1, 2], 3], 2, "row 2 is int; expected a list of numbers"),
        ([[1, 2], {"a": 1}], 2, "row 2 is a mapping; expected a list of numbers"),
        ([[1], [2]], 1, "too many levels of brackets"),
        ([[[1]]], 2, "row 1 contains a list; expected numbers"),
        ([1, "x y z ("], 1, "entry 2: "),
        ([[1, 2], [3, None]], 2, "entry (2, 2): expected a number, got nothing"),
        ([[1, 2], [3]], 2, "rows have different lengths: 2, 1"),
    ])
    def test_what_is_refused_and_where(self, raw, ndim, message):
        assert refused(read_array, raw, ndim).startswith(message)

    def test_an_infinite_constant_is_too_large(self):
        assert refused(read_array, "exp(1000)", 1).startswith("the number is too large")

    def test_an_imaginary_part_left_by_rounding_is_dropped(self):
        """exp(pi i) is -1 up to a 1e-16 imaginary rounding error: read as the real -1."""
        arr = read_array("exp(pi*sqrt(-1))", 1)
        assert arr.dtype == np.float64 and arr.tolist() == [-1.0]

    def test_a_complex_value_with_a_zero_imaginary_part_is_real(self):
        assert read_array("sqrt(-1)^2", 1).tolist() == [-1.0]


def test_arrays_are_shown_as_typed_and_typeset():
    assert array_plain(np.array([1.0, 2.5])) == "[1, 2.5]"
    assert array_plain(np.array([[1.0, 2.0], [3.0, 0.5]])) == "[[1, 2], [3, 0.5]]"
    assert array_latex(np.array([1.0, 2.5])) == r"\begin{pmatrix} 1 & 2.5 \end{pmatrix}"
    assert array_latex(np.array([[1.0, 2.0], [3.0, 4.0]])) == r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"


def test_examples_and_shapes_in_words():
    assert example_array((3,)) == "[1, 2, 3]"
    assert example_array((2, 3)) == "[[1, 2, 3], [4, 5, 6]]"
    assert shape_text((3,)) == "3 entries" and shape_text((2, 3)) == "2×3"


# -- vectors and matrices ---------------------------------------------------------------------

def array(name, **options):
    return ANSWER_TYPES[name](options)


def compare(answer_type, ref, ans):
    return answer_type.compare(answer_type.read_reference(ref, CTX), answer_type.read(ans, CTX), CTX)


class TestArrayAnswers:
    @pytest.mark.parametrize("name, shape, expected", [
        ("vector", [3, 1], "1 positive integer(s)"), ("vector", [0], "1 positive integer(s)"),
        ("matrix", [2], "2 positive integer(s)"), ("matrix", [2, -1], "2 positive integer(s)"),
        ("matrix", [2, 1.5], "2 positive integer(s)"),
    ])
    def test_a_bad_declared_shape_is_an_author_error(self, name, shape, expected):
        with pytest.raises(AuthorError) as caught:
            array(name, shape=shape).check_config(DOC, ("parts", 0))
        error = caught.value
        assert (error.field, error.detail, error.expected, error.got) == ("parts.0.shape", "bad shape", expected, shape)

    def test_good_shapes_and_no_shape_pass(self):
        for a in (array("vector", shape=[3]), array("matrix", shape=[2, 3]), array("vector"), array("matrix")):
            assert a.check_config(DOC, ("parts", 0)) is None

    def test_a_wrong_length_is_invalid_naming_both_shapes(self):
        message = refused(array("vector", shape=[3]).read, [1, 2], CTX)
        assert message == "expected 3 entries, got 2 entries"
        assert refused(array("matrix", shape=[2, 3]).read, [[1, 2], [3, 4]], CTX) == "expected 2×3, got 2×2"

    def test_a_transposed_matrix_is_read_so_that_compare_can_explain_it(self):
        m = array("matrix", shape=[2, 3])
        reading = m.read([[1, 4], [2, 5], [3, 6]], CTX)
        assert reading.value.shape == (3, 2) and reading.plain == "[[1, 4], [2, 5], [3, 6]]"
        message = refused(m.compare, m.read_reference([[1, 2, 3], [4, 5, 6]], CTX), reading, CTX)
        assert message == "your matrix is the transpose of the expected one: expected 2×3, got 3×2"
        other = m.read([[1, 4], [2, 5], [3, 7]], CTX)
        assert refused(m.compare, m.read_reference([[1, 2, 3], [4, 5, 6]], CTX), other, CTX) == \
            "expected 2×3, got 3×2"

    def test_reading_shows_the_array(self):
        assert array("vector").read("[1, 1/2]", CTX) == Reading(
            pytest.approx(np.array([1.0, 0.5])), "[1, 0.5]", r"\begin{pmatrix} 1 & 0.5 \end{pmatrix}")

    def test_the_reference_is_read_without_text(self):
        reading = array("vector").read_reference([1, 2], CTX)
        assert reading.plain == "" and reading.value.tolist() == [1.0, 2.0]

    def test_entries_within_tolerance_each_score_one(self):
        assert compare(array("vector"), [100, 0], [100.4, 1e-10]) == Comparison(1.0, "tolerance")

    def test_wrong_entries_are_listed_and_partial_credit_is_their_share_when_declared(self):
        ref, ans = [1, 2, 3, 4], [1, 0, 3, 0]
        assert compare(array("vector"), ref, ans) == Comparison(0.0, "tolerance", "2 of 4 entries are off: 2, 4.")
        assert compare(array("vector", partial=True), ref, ans).score == 0.5
        m = compare(array("matrix", partial=True), [[1, 2], [3, 4]], [[1, 0], [3, 4]])
        assert m == Comparison(0.75, "tolerance", "1 of 4 entries are off: (1, 2).")

    def test_at_most_eight_wrong_entries_are_named(self):
        message = compare(array("vector"), list(range(1, 11)), [0] * 10).message
        assert message == "10 of 10 entries are off: 1, 2, 3, 4, 5, 6, 7, 8 and 2 more."
        assert compare(array("vector"), list(range(1, 9)), [0] * 8).message == \
            "8 of 8 entries are off: 1, 2, 3, 4, 5, 6, 7, 8."

    def test_a_transposed_square_matrix_scores_zero_and_is_named(self):
        """Even with partial credit: a transpose is one conceptual slip, not 2 right entries."""
        got = compare(array("matrix", partial=True), [[1, 2], [3, 4]], [[1, 3], [2, 4]])
        assert got == Comparison(0.0, "tolerance", "Your matrix is the transpose of the expected one.")

    @pytest.mark.parametrize("ans, ref, plausible", [
        ([0, 0], [1, 2], False), ([0, 0], [0, 0], True), ([0, 1], [1, 2], True), ([1, 2, 3], [1, 2], False),
    ])
    def test_plausible_for_follow_through(self, ans, ref, plausible):
        """A zero vector for a nonzero reference, or another shape, is not re-run from."""
        v = array("vector")
        assert v.plausible(Reading(np.array(ans, float), ""), Reading(np.array(ref, float), "")) is plausible
        if plausible:
            assert not v.plausible(Reading(np.array([math.inf] * len(ans)), ""), Reading(np.array(ref, float), ""))

    def test_rewrites_are_the_rounded_entries_and_the_bracket_text(self):
        assert array("vector").rewrites([1 / 3, 2, 0.5]) == [[0.333, 2.0, 0.5], "[0.3333333333, 2, 0.5]"]

    def test_the_key_shows_whole_entries_as_integers(self):
        key = array("matrix").key_value([[1.0, 2.0], [3.0, 4.0]])
        assert key == [[1, 2], [3, 4]] and type(key[0][0]) is int
        assert array("vector").key_value([0.5, 2.0]) == [0.5, 2.0]

    def test_foreign_formats_get_one_weighted_entry_per_component(self):
        assert array("vector").foreign_entries([2, 4]) == [
            ForeignEntry("numeric", label="1", value=2.0, tolerance=0.01, weight=0.5),
            ForeignEntry("numeric", label="2", value=4.0, tolerance=0.02, weight=0.5)]
        labels = [e.label for e in array("matrix").foreign_entries([[1, 2], [3, 4]])]
        assert labels == ["(1, 1)", "(1, 2)", "(2, 1)", "(2, 2)"]

    def test_hints_and_notes_in_both_languages(self):
        assert array("vector", shape=[3]).hint("en") == "a list of 3 numbers, e.g. [1, 2, 3]"
        assert array("vector").hint("en") == "a list of numbers, e.g. [0.1, 0.2]"
        assert array("vector").hint("ru") == "список чисел, например [0.1, 0.2]"
        assert array("matrix", shape=[2, 3]).hint("en") == "a 2×3 matrix as a list of rows, e.g. [[1, 2, 3], [4, 5, 6]]"
        assert array("matrix").hint("ru") == "матрица 2×2 списком строк, например [[1, 2], [3, 4]]"
        assert array("vector").sheet_note("en") == "Each entry accepted within 0.5% relative."
        assert array("matrix", tolerance={"abs": 0.01}).sheet_note("ru") == \
            "Каждый элемент принимается с абсолютной погрешностью 0.01."
