"""Rules of the formula and structured answer types (expression, matrix-expression, property)
and of the answer-type defaults (base.py): configuration errors, reading, exact numbers for
property checks, the messages, hints and notes a student reads.

Expected values are worked out by hand from the rule each test states.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from grader.answer_types import structured
from grader.answer_types.base import AnswerType, Comparison, Context, ForeignEntry, Reading, _model_text
from grader.answer_types.registry import ANSWER_TYPES
from grader.answer_types.structured import exact_array, exact_scalar
from grader.bank.solvers import Undecided
from grader.errors import AuthorError
from grader.lang import AnswerError
from grader.yamlio import Document

CTX = Context(params={"n": 1}, seed=3)
DOC = Document(data=None, file="problem.yaml")
CHECK = "reference.networks:check_gate_a"


def refused(fn, *args) -> str:
    with pytest.raises(AnswerError) as caught:
        fn(*args)
    return caught.value.message


def author_error(answer_type) -> AuthorError:
    with pytest.raises(AuthorError) as caught:
        answer_type.check_config(DOC, ("parts", 2))
    return caught.value


# -- base: the defaults every type inherits -------------------------------------------------

class TestDefaults:
    def test_a_foreign_format_grades_by_hand_with_the_key_as_model(self):
        """Types that only our engine can judge are 'manual' entries showing the key's answer."""
        assert AnswerType({}).foreign_entries([1, 2]) == [ForeignEntry("manual", model="[1, 2]")]

    @pytest.mark.parametrize("value, text", [
        ({"W": [[1, 2], [3, 4]], "b": 0.5}, "W: [[1, 2], [3, 4]]; b: 0.5"), ((1, "x"), "[1, x]"), ("A^T x", "A^T x"),
    ])
    def test_model_text_is_one_line(self, value, text):
        assert _model_text(value) == text

    def test_record_defaults(self):
        """A reading has no LaTeX unless given; a comparison no message; a single foreign entry is
        unlabelled, carries the whole part's weight and no numbers or options; a context is seed 0,
        English, without a reference."""
        assert Reading(1, "1").latex == "" and Comparison(1.0, "exact").message == ""
        assert ForeignEntry("manual") == ForeignEntry("manual", "", None, None, (), frozenset(), False, "", 1.0)
        entry = ForeignEntry("manual")
        assert (entry.label, entry.value, entry.tolerance, entry.options, entry.correct, entry.multiple,
                entry.model, entry.weight) == ("", None, None, (), frozenset(), False, "", 1.0)
        ctx = Context(params={})
        assert (ctx.seed, ctx.lang, ctx.reference) == (0, "en", None)
        assert (AnswerType.name, AnswerType.fields, AnswerType.few_answers, AnswerType.reads_params) == \
            ("", (), False, False)

    def test_defaults_change_nothing(self):
        """No rewrites, no note, every earlier answer plausible, the value given to solvers as read."""
        base, reading = AnswerType({"a": 1}), Reading(3.0, "3")
        assert base.options == {"a": 1} and base.key_value(7) == 7 and base.rewrites("x") == []
        assert base.sheet_note("en") == "" and base.plausible(reading, reading) is True
        assert base.solver_value(reading) == 3.0 and base.check_config(DOC, ()) is None
        assert base.read_reference is not None and not base.few_answers and not base.reads_params

    def test_the_reference_is_read_like_an_answer_unless_a_type_says_otherwise(self):
        class Echo(AnswerType):
            def read(self, raw, ctx):
                return Reading(raw * 2, str(raw))
        assert Echo({}).read_reference(4, CTX) == Reading(8, "4")

    def test_the_contract_methods_must_be_implemented(self):
        for call in (lambda: AnswerType({}).read(1, CTX), lambda: AnswerType({}).compare(None, None, CTX),
                     lambda: AnswerType({}).hint("en")):
            with pytest.raises(NotImplementedError):
                call()


# -- property: exact numbers ------------------------------------------------------------------

class TestExactNumbers:
    @pytest.mark.parametrize("raw, value", [
        (3, Fraction(3)), (0.1, Fraction(1, 10)), ("-2 + 10^-9", Fraction(-1999999999, 1000000000)),
        ("3/4", Fraction(3, 4)), ("[3]", Fraction(3)), ("-(1/2)", Fraction(-1, 2)), ("2*3 - 1", Fraction(5)),
        ("(2/3)^-2", Fraction(9, 4)), ("0^0", Fraction(1)), ("2^1000", Fraction(2 ** 1000)),
    ])
    def test_what_a_student_wrote_exactly_stays_exact(self, raw, value):
        """Integers, decimals, fractions, + - * / and integer powers are kept as Fractions."""
        got = exact_scalar(raw)
        assert got == value and isinstance(got, Fraction)

    @pytest.mark.parametrize("raw", [True, None, float("inf"), float("nan"), "sqrt(2)", "e", "1/0", "2^(1/2)",
                                     "0^-1", "2^1001", "(1 x", [1], "x",
                                     "-sqrt(2)", "sqrt(2)^2", "2^sqrt(2)", "sqrt(2) + 1", "1 - e", "2 pi", "e / 2"])
    def test_anything_else_is_not_exact(self, raw):
        """Irrational, undefined, unreadable or too large: None, so the float reading stands."""
        assert exact_scalar(raw) is None

    @pytest.mark.parametrize("raw, bits", [
        ("(2^999)^20 * 2^19", (20000, 1)), ("(2^999)^20 * 2^20", None),      # a product
        ("(2^999)^20 / 2^-19", (20000, 1)), ("(2^999)^20 / 2^-20", None),    # a quotient
        ("2^-19 / (2^999)^20", (1, 20000)), ("2^-20 / (2^999)^20", None),    # ... its denominator
        ("(2^999)^20 * 2^18 + (2^999)^20 * 2^18", (20000, 1)),              # a sum
        ("(2^999)^20 * 2^19 + (2^999)^20 * 2^19", None),
        ("(2^999)^20 * 2^19 - (-(2^999)^20 * 2^19)", None), ("(2^999)^20 - 1", (19980, 1)),
        ("(2^999)^20", (19981, 1)), ("(2^1000)^20", None),                   # a power: bits x exponent
        ("(2^999)^-20", (1, 19981)),
    ])
    def test_the_size_of_exact_values_is_capped(self, raw, bits):
        """Exact arithmetic stops at MAX_EXACT_BITS (20 000) bits of numerator or denominator;
        a power is refused when bits of the base times the exponent exceed it."""
        got = exact_scalar(raw)
        assert (None if got is None else (got.numerator.bit_length(), got.denominator.bit_length())) == bits

    @pytest.mark.parametrize("raw, shape, expected", [
        ([1, "1/2"], (2,), [Fraction(1), Fraction(1, 2)]),
        ("[1, 1/2]", (2,), [Fraction(1), Fraction(1, 2)]),
        ("[1, 1/2]", (1, 2), [[Fraction(1), Fraction(1, 2)]]),
        ("[[1, 2], [3, 0.5]]", (2, 2), [[1, 2], [3, Fraction(1, 2)]]),
        ([[1, 2], [3, 4]], (2, 2), [[1, 2], [3, 4]]),
        (5, (1,), [Fraction(5)]),
    ])
    def test_arrays_of_exact_entries(self, raw, shape, expected):
        arr = exact_array(raw, shape)
        assert arr.dtype == object and arr.tolist() == expected
        assert all(isinstance(x, Fraction) for x in arr.flat)

    @pytest.mark.parametrize("raw, shape", [
        ([1, "sqrt(2)"], (2,)), ("[1, sqrt(2)]", (2,)), ("[[1, e]]", (1, 2)), ("3", (1,)), ("(1", (1,)),
        ([1, 2, 3], (2,)), ("[1, 2, 3]", (2,)), ([[1, "x"]], (1, 2)),
    ])
    def test_one_inexact_entry_or_a_wrong_size_gives_none(self, raw, shape):
        assert exact_array(raw, shape) is None


# -- property answers ---------------------------------------------------------------------------

def prop(**options):
    return ANSWER_TYPES["property"]({"check": CHECK, **options})


class TestProperty:
    def test_the_sheet_note_is_in_the_sheets_language(self):
        """The answer sheet explains property answers in its own language."""
        assert prop().sheet_note("ru").startswith("Засчитывается любой ответ с нужным свойством")
        assert prop().sheet_note("en").startswith("Any answer with the required property is accepted")

    def test_fields_are_read_exactly_where_possible(self):
        p = prop(fields={"W": [2, 2], "b": [2], "c": []})
        r = p.read({"W": [[1, 2], [3, "1/2"]], "b": "[1, -2]", "c": "sqrt(2)"}, CTX)
        assert r.value["W"].tolist() == [[1, 2], [3, Fraction(1, 2)]] and r.value["W"].dtype == object
        assert r.value["b"].tolist() == [1, -2] and isinstance(r.value["b"][0], Fraction)
        assert isinstance(r.value["c"], np.float64) and abs(r.value["c"] - 2 ** 0.5) < 1e-15
        assert r.plain == "W: [[1, 2], [3, 0.5]]; b: [1, -2]; c: sqrt(2)"
        assert r.latex == (r"W = \begin{pmatrix} 1 & 2 \\ 3 & 0.5 \end{pmatrix},\ "
                           r"b = \begin{pmatrix} 1 & -2 \end{pmatrix},\ c = \sqrt{2}")

    def test_inexact_arrays_stay_floats(self):
        r = prop(shape=[2]).read("[1, sqrt(2)]", CTX)
        assert r.value.dtype == np.float64 and r.plain == "[1, 1.414213562]"

    def test_a_scalar_answer_without_fields(self):
        r = prop().read("3/4", CTX)
        assert r == Reading(Fraction(3, 4), "3/4", r"\frac{3}{4}")

    @pytest.mark.parametrize("raw, message", [
        ([1, 2], "expected a mapping with fields W, c"),
        ({"W": [1, 2]}, "missing field(s): c"),
        ({"W": [1, 2], "c": 1, "z": 0, "y": 1}, "unknown field(s): z, y; expected W, c"),
        ({"W": [1, 2, 3], "c": 1}, "W: expected 2 entries, got 3 entries"),
        ({"W": [1, "x y ("], "c": 1}, "W: entry 2: "),
        ({"W": [1, 2], "c": None}, "c: expected a number, got nothing"),
    ])
    def test_what_is_wrong_with_a_structured_answer_names_the_field(self, raw, message):
        assert refused(prop(fields={"W": [2], "c": []}).read, raw, CTX).startswith(message)

    def test_a_single_array_of_the_wrong_shape(self):
        assert refused(prop(shape=[2, 2]).read, [[1, 2]], CTX) == "expected 2×2, got 1×2"

    @pytest.mark.parametrize("verdict, expected", [
        (None, Comparison(1.0, "property")),
        ("the gate fails on (0, 1)", Comparison(0.0, "property", "the gate fails on (0, 1)")),
        (Undecided("cannot tell"), Comparison(None, "property", "cannot tell")),
    ])
    def test_the_check_decides_with_the_drawn_parameters(self, verdict, expected):
        """None accepts, a string explains the failure, Undecided leaves the answer undecided."""
        p, seen = prop(), []
        p._check = lambda params, answer: seen.append((params, answer)) or verdict
        assert p.compare(None, Reading(5, "5"), CTX) == expected
        assert seen == [({"n": 1}, 5)] and p.reads_params

    def test_the_key_shows_whole_numbers_as_integers(self):
        p = prop(fields={"W": [2, 2], "b": [2], "c": [], "d": []})
        key = p.key_value({"W": [[1.0, 2.0], [3, 4]], "b": [0.5, 1], "c": 2.0, "d": 0.25})
        assert key == {"W": [[1, 2], [3, 4]], "b": [0.5, 1.0], "c": 2, "d": 0.25}
        assert type(key["c"]) is int and type(key["W"][0][0]) is int and type(key["d"]) is float
        assert prop().key_value(3.0) == 3 and prop(shape=[2]).key_value([1.5, 2]) == [1.5, 2.0]

    def test_hints_and_note_in_both_languages(self):
        p = prop(fields={"W": [2, 2], "b": [2], "c": []})
        assert p.hint("en") == ("a mapping {W: 2×2, b: 2 entries, c: a number}; any valid answer scores, "
                                "e.g. {W: [[1, 2], [3, 4]], b: [1, 2], c: 0}")
        assert p.hint("ru") == ("словарь {W: 2×2, b: 2 элемента, c: число}; засчитывается любой верный ответ, "
                                "например {W: [[1, 2], [3, 4]], b: [1, 2], c: 0}")
        assert prop().hint("en") == "any answer with the required property"
        assert prop().hint("ru") == "любой ответ с нужным свойством"
        assert prop().sheet_note("en").startswith("Any answer with the required property is accepted")


# -- expression ---------------------------------------------------------------------------------

def expr(variables=None):
    return ANSWER_TYPES["expression"]({"variables": variables} if variables is not None else {})


class TestExpression:
    def test_declared_domains_and_the_default(self):
        e = expr({"t": {"domain": [0, 1]}, "s": None, "u": {"equals": "sigmoid(t)"}})
        assert e.variables == {"t": {"domain": (0.0, 1.0)}, "s": {"domain": (-2.0, 2.0)},
                               "u": {"equals": "sigmoid(t)", "domain": (-2.0, 2.0)}}

    @pytest.mark.parametrize("variables, field, detail, expected", [
        ({"t": 3}, "parts.2.variables.t", "bad variable declaration", "a mapping like {domain: [lo, hi]}"),
        ({"t": {"domain": [1, 0]}}, "parts.2.variables.t.domain", "bad domain", "[low, high] with low < high"),
        ({"t": {"domain": [0, 0]}}, "parts.2.variables.t.domain", "bad domain", "[low, high] with low < high"),
        ({"t": {"domain": [0]}}, "parts.2.variables.t.domain", "bad domain", "[low, high] with low < high"),
        ({"t": {"domain": "0..1"}}, "parts.2.variables.t.domain", "bad domain", "[low, high] with low < high"),
    ])
    def test_bad_declarations_are_author_errors_at_their_place(self, variables, field, detail, expected):
        error = author_error(_unchecked("expression", variables))
        assert (error.field, error.detail, error.expected) == (field, detail, expected)

    def test_good_declarations_pass(self):
        assert expr({"t": {"domain": [0, 1]}, "s": None}).check_config(DOC, ("parts", 2)) is None

    @pytest.mark.parametrize("variables, got", [({"t": 3}, 3), ({"t": {"domain": [1, 0]}}, [1, 0])])
    def test_a_bad_declaration_shows_what_was_written(self, variables, got):
        """The author error quotes the offending value, not only what was expected."""
        assert author_error(_unchecked("expression", variables)).got == got

    def test_a_students_formula_is_shown_as_typed_and_typeset(self):
        """The reading keeps the plain text (x^2/2) and its LaTeX (a fraction) for the feedback."""
        reading = expr({"x": None}).read("x^2/2", None)
        assert (reading.plain, reading.latex) == ("x^2/2", r"\frac{{x}^{2}}{2}")

    def test_the_reference_is_read_with_the_declared_names(self):
        """A reference written x1 means the declared x_1 (underscores optional), as in an answer."""
        e = expr({"x_1": None})
        assert e.read_reference("2*x1", None).value == e.read("2*x_1", None).value

    @pytest.mark.parametrize("raw", [True, None, [1], {"a": 1}])
    def test_not_a_formula_is_invalid_with_an_example_in_the_declared_names(self, raw):
        assert refused(expr({"s": {}, "t": {}}).read, raw, CTX) == "expected a formula, e.g. 2*s + 1"
        assert refused(expr().read, raw, CTX) == "expected a formula, e.g. 2*t + 1"

    def test_a_number_is_a_formula(self):
        assert expr().read(3, CTX).plain == "3"

    def test_an_array_is_not_a_scalar_formula(self):
        assert refused(expr({"t": {}}).read, "[t, 1]", CTX) == "expected a single formula (a scalar), got a 2×1 array"

    def test_the_comparison_is_the_sampling_verdict(self):
        e = expr({"t": {}})
        ref = e.read_reference("2 t", CTX)
        assert ref.plain == ""
        assert e.compare(ref, e.read("t + t", CTX), CTX) == Comparison(1.0, "sampling")
        assert e.compare(ref, e.read("3 t", CTX), CTX) == Comparison(0.0, "sampling")

    def test_rewrites_reorder_sums_and_products_in_the_declared_names(self):
        """2xy + 1 over x and y is 2*x*y + 1: reordered, it is 1 + y*(x*2) (every sum and
        product swapped), and sympy's expanded form is kept when it differs."""
        e = expr({"x": {}, "y": {}})
        assert e.rewrites("2xy + 1") == [r"$2 \cdot x \cdot y + 1$", "1 + y*(x*2)", "2*x*y + 1"]

    def test_rewrites_include_sympys_expanded_and_factored_forms(self):
        forms = expr({"x": {}}).rewrites("(x + 1)^2")
        assert "x**2 + 2*x + 1" in forms and "(x + 1)**2" in forms and len(forms) == len(set(forms))

    def test_a_sympy_form_outside_the_declared_names_is_not_a_rewrite(self):
        """sympy writes e as E: `E*t + t` is no answer a student could give over t."""
        forms = expr({"t": {}}).rewrites("e t + t")
        assert forms == [r"$e \cdot t + t$", "t + t*e"]

    def test_hints_and_notes(self):
        e = expr({"t": {}, "s": {}})
        assert e.hint("en") == "a formula in t, s, e.g. 2*t + 1"
        assert e.hint("ru") == "формула от t, s, например 2*t + 1"
        assert expr().hint("en") == "a formula in —, e.g. 2*t + 1"
        assert e.sheet_note("en") == "Write a formula; you may use $t$, $s$."
        assert expr({"sigma": {}}).sheet_note("ru") == r"Запишите формулу; можно использовать $\sigma$."
        assert expr().sheet_note("en") == ""


def _unchecked(name, variables):
    """An answer type built without looking at its declarations (check_config judges them)."""
    answer_type = ANSWER_TYPES[name].__new__(ANSWER_TYPES[name])
    answer_type.options = {"variables": variables}
    return answer_type


# -- matrix expression ----------------------------------------------------------------------------

def mexpr(variables):
    return ANSWER_TYPES["matrix-expression"]({"variables": variables})


A_X = {"A": {"shape": [2, 2]}, "x": {"shape": [2, 1]}, "t": {"shape": []}}


class TestMatrixExpression:
    def test_declarations_default_to_a_general_scalar(self):
        m = mexpr({"A": {"shape": [2, 2], "kind": "spd", "domain": [0, 1]}, "t": None})
        assert m.variables == {"A": {"shape": (2, 2), "kind": "spd", "domain": (0.0, 1.0)},
                               "t": {"shape": (), "kind": "general"}}

    @pytest.mark.parametrize("spec, field, detail, expected", [
        (3, "parts.2.variables.A", "bad variable declaration", "a mapping like {shape: [3, 1]}"),
        ({"shape": [2]}, "parts.2.variables.A.shape", "bad shape", "[] or [rows, cols]"),
        ({"shape": [2, 0]}, "parts.2.variables.A.shape", "bad shape", "[] or [rows, cols]"),
        ({"shape": [2, 1.5]}, "parts.2.variables.A.shape", "bad shape", "[] or [rows, cols]"),
        ({"shape": (2, 2)}, "parts.2.variables.A.shape", "bad shape", "[] or [rows, cols]"),
        ({"shape": [2, 2], "domain": [1, 1]}, "parts.2.variables.A.domain", "bad domain", "[low, high] with low < high"),
        ({"shape": [2, 2], "domain": [0, "1"]}, "parts.2.variables.A.domain", "bad domain",
         "[low, high] with low < high"),
        ({"shape": [2, 2], "domain": [0, 1, 2]}, "parts.2.variables.A.domain", "bad domain",
         "[low, high] with low < high"),
        ({"shape": [2, 2], "kind": "orthogonal"}, "parts.2.variables.A.kind", "unknown kind",
         "general | symmetric | spd | invertible | diagonal"),
    ])
    def test_bad_declarations_are_author_errors_at_their_place(self, spec, field, detail, expected):
        error = author_error(_unchecked("matrix-expression", {"A": spec}))
        assert (error.field, error.detail, error.expected) == (field, detail, expected)

    @pytest.mark.parametrize("spec, got", [(3, 3), ({"shape": [2, 0]}, [2, 0]),
                                           ({"shape": [2, 2], "domain": [1, 1]}, [1, 1]),
                                           ({"shape": [2, 2], "kind": "orthogonal"}, "orthogonal")])
    def test_a_bad_declaration_shows_what_was_written(self, spec, got):
        """The author error quotes the offending value, not only what was expected."""
        assert author_error(_unchecked("matrix-expression", {"A": spec})).got == got

    def test_good_declarations_pass(self):
        ok = {"A": {"shape": [2, 2], "kind": "spd", "domain": [0, 1.5]}, "t": {"shape": []}, "s": {}}
        assert mexpr(ok).check_config(DOC, ("parts", 2)) is None

    @pytest.mark.parametrize("raw", [True, None, [1], {"a": 1}])
    def test_not_text_is_invalid(self, raw):
        assert refused(mexpr(A_X).read, raw, CTX) == "expected a formula written as text, in the declared names"

    def test_reading_keeps_the_shape_and_a_lone_identity_takes_the_references_size(self):
        m = mexpr(A_X)
        ref = m.read_reference("A + I", CTX)
        assert ref.value[1] == (2, 2) and ref.plain == ""
        assert m.read("x^T A x", CTX).value[1] == (1, 1)
        assert m.read("I", Context(params={}, reference=ref)).value[1] == (2, 2)

    @pytest.mark.parametrize("ref, ans, message", [
        ("A x", "x^T A", "expected a result of shape 2×1, got 1×2; a transpose is missing or extra"),
        ("A", "x", "expected a result of shape 2×2, got 2×1"),
        ("x^T x", "x", "expected a result of shape 1×1, got 2×1"),
        ("t", "x", "expected a result of shape scalar, got 2×1"),
    ])
    def test_a_wrong_shape_is_invalid_and_says_which(self, ref, ans, message):
        m = mexpr(A_X)
        assert refused(m.compare, m.read_reference(ref, CTX), m.read(ans, CTX), CTX) == message

    def test_a_one_by_one_result_is_a_scalar(self):
        m = mexpr(A_X)
        assert m.compare(m.read_reference("x^T A x", CTX), m.read("t - t + tr(A x x^T)", CTX), CTX).score == 1.0

    def test_the_comparison_is_the_sampling_verdict(self):
        m = mexpr(A_X)
        ref = m.read_reference("(A + A^T) x", CTX)
        assert m.compare(ref, m.read("A x + A^T x", CTX), CTX) == Comparison(1.0, "sampling")
        assert m.compare(ref, m.read("2 A x", CTX), CTX) == Comparison(0.0, "sampling")

    def test_rewrites_reorder_sums_only_in_the_declared_names(self):
        """Ax over A and x is A*x; its sum is reordered, its product never (matrices do not commute)."""
        assert mexpr(A_X).rewrites("Ax + x") == [r"$A \cdot x + x$", "x + A*x"]

    def test_hints_and_notes_in_both_languages(self):
        m = mexpr({"A": {"shape": [3, 3], "kind": "spd"}, "lambda": {"shape": []}, "D": {"shape": [3, 3],
                                                                                       "kind": "diagonal"}})
        assert m.hint("en").endswith("A, lambda, D") or "A, lambda, D" in m.hint("en")
        en, ru = m.sheet_note("en"), m.sheet_note("ru")
        assert "$A$: 3×3 (" in en and r"$\lambda$: " in en and "$D$: 3×3" in en and "$D$: 3×3 (" not in en
        assert "$A$: 3×3 (" in ru and r"$\lambda$: " in ru
        assert en != ru
