"""Rules of the small answer types (yes/no, integer, choice, multi-choice, number) that the
tables in test_answer_types.py leave open: every accepted spelling, the messages a student
reads, the hints and notes in both languages, and what foreign formats are told.

Expected values are written out here, from the rules, not read back from the code.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from grader.answer_types.base import Comparison, Context, ForeignEntry, Reading
from grader.answer_types.registry import ANSWER_TYPES
from grader.errors import AuthorError
from grader.lang import AnswerError
from grader.yamlio import Document

CTX = Context(params={})
DOC = Document(data=None, file="problem.yaml")


def kind(name, options=None):
    return ANSWER_TYPES[name](options or {})


def invalid(answer_type, raw) -> str:
    with pytest.raises(AnswerError) as caught:
        answer_type.read(raw, CTX)
    return caught.value.message


def author_error(answer_type, path=("parts", 0)) -> AuthorError:
    with pytest.raises(AuthorError) as caught:
        answer_type.check_config(DOC, path)
    return caught.value


def options(*ids):
    return {"options": [{"id": i, "text": {"en": f"{i} (en)", "ru": f"{i} (ru)"}} for i in ids]}


# -- yes / no ---------------------------------------------------------------------------

YES = ["yes", "true", "y", "1", "да", "верно", "истина"]
NO = ["no", "false", "n", "0", "нет", "неверно", "ложь"]


class TestBoolean:
    @pytest.mark.parametrize("word, value", [(w, True) for w in YES] + [(w, False) for w in NO])
    def test_every_listed_word_of_either_language_is_read(self, word, value):
        """yes/no, true/false, y/n, 1/0 and the Russian words all read as their value."""
        assert kind("boolean").read(word, CTX).value is value

    @pytest.mark.parametrize("raw, value", [(" YES ", True), ("Нет", False), (True, True), (False, False),
                                            (1, True), (0, False)])
    def test_case_spaces_yaml_booleans_and_integers(self, raw, value):
        """Case and surrounding spaces do not matter; YAML booleans and 0/1 pass through."""
        assert kind("boolean").read(raw, CTX).value is value

    @pytest.mark.parametrize("raw", ["maybe", "yes no", 2, 1.0, None, ["yes"], {"yes": 1}, ""])
    def test_anything_else_is_invalid_with_the_accepted_forms_named(self, raw):
        """An unreadable yes/no says which words are accepted, in both languages' forms."""
        assert invalid(kind("boolean"), raw) == "expected yes or no (also true/false, да/нет)"

    def test_how_a_yes_no_answer_is_shown(self):
        """Whatever the spelling, the answer is shown as plain yes / no."""
        assert kind("boolean").read("да", CTX) == Reading(True, "yes", r"\text{yes}")
        assert kind("boolean").read("ложь", CTX) == Reading(False, "no", r"\text{no}")

    def test_same_value_scores_one_other_value_zero(self):
        """Exact comparison: the same truth value is right, the other wrong."""
        b = kind("boolean")
        yes, no = b.read("yes", CTX), b.read("no", CTX)
        assert b.compare(yes, b.read("true", CTX), CTX) == Comparison(1.0, "exact")
        assert b.compare(yes, no, CTX) == Comparison(0.0, "exact")

    def test_hint_in_both_languages(self):
        """The hint comes from the catalogue, in the sheet's language."""
        assert kind("boolean").hint("en") == "yes or no"
        assert kind("boolean").hint("ru") == "да или нет"

    @pytest.mark.parametrize("ref, correct", [(True, "yes"), ("да", "yes"), (False, "no"), ("no", "no")])
    def test_foreign_formats_get_a_two_option_choice(self, ref, correct):
        """Moodle/QTI see a choice between yes and no (both languages), the reference's one correct."""
        (entry,) = kind("boolean").foreign_entries(ref)
        assert entry == ForeignEntry("choice", options=(("yes", {"en": "yes", "ru": "да"}),
                                                        ("no", {"en": "no", "ru": "нет"})),
                                     correct=frozenset([correct]))

    def test_few_answers(self):
        """Repetition among yes/no answers is expected (they are few)."""
        assert kind("boolean").few_answers and kind("choice", options("a")).few_answers
        assert kind("multi-choice", options("a")).few_answers and not kind("integer").few_answers


# -- integer ----------------------------------------------------------------------------

class TestInteger:
    @pytest.mark.parametrize("raw, value", [(3, 3), (3.0, 3), ("6/2", 3), (-7, -7), ("2^53", 2 ** 53)])
    def test_a_whole_number_in_any_form_is_an_exact_int(self, raw, value):
        """A count may be written as a float or an expression; it is kept as an int."""
        reading = kind("integer").read(raw, CTX)
        assert reading == Reading(value, str(value), str(value)) and type(reading.value) is int

    def test_not_whole_is_invalid_and_says_what_was_written(self):
        """2.5 is not a wrong count, it is not a count: invalid, naming the value."""
        assert invalid(kind("integer"), 2.5) == "expected a whole number, got 2.5"
        assert invalid(kind("integer"), "7/2") == "expected a whole number, got 7/2"

    @pytest.mark.parametrize("raw", [2 ** 53 + 2, -(2 ** 54), 1e300])
    def test_beyond_2_to_the_53_a_float_cannot_be_an_exact_count(self, raw):
        """Above 2^53 floats skip integers: too large, not silently rounded."""
        assert invalid(kind("integer"), raw) == "the number is too large to be an exact count"

    def test_compare_is_exact(self):
        """Counts match exactly or not at all."""
        i = kind("integer")
        assert i.compare(Reading(4, ""), Reading(4, ""), CTX) == Comparison(1.0, "exact")
        assert i.compare(Reading(4, ""), Reading(5, ""), CTX) == Comparison(0.0, "exact")

    def test_key_and_foreign_entry(self):
        """The key shows an int; a foreign format checks the number with no tolerance."""
        i = kind("integer")
        assert i.key_value(4.0) == 4 and type(i.key_value(4.0)) is int
        assert i.foreign_entries(4.0) == [ForeignEntry("numeric", value=4.0, tolerance=0.0)]
        assert type(i.foreign_entries(4)[0].value) is float

    def test_hint_in_both_languages(self):
        assert kind("integer").hint("en") == "a whole number, e.g. 42"
        assert kind("integer").hint("ru") == "целое число, например 42"


# -- one option -------------------------------------------------------------------------

class TestChoice:
    def test_ids_match_case_insensitively_and_come_back_as_written_in_the_bank(self):
        """`SOFTMAX ` is the option `Softmax`; the reading is the bank's id."""
        c = kind("choice", options("Softmax", "relu"))
        assert c.read(" SOFTMAX ", CTX) == Reading("Softmax", "Softmax", r"\text{Softmax}")
        assert c.read("relu", CTX).value == "relu"

    def test_numeric_ids_accept_numbers(self):
        """An option id 2 is answered by the YAML number 2 as well as by the text."""
        c = kind("choice", options(1, 2))
        assert c.read(2, CTX).value == "2" and c.read("1", CTX).value == "1"

    def test_a_close_miss_suggests_the_option(self):
        """A typo gets a 'did you mean' with the closest option, and the list of options."""
        message = invalid(kind("choice", options("softmax", "sigmoid")), "sofmax")
        assert message == "'sofmax' is not an option; did you mean 'softmax'? Options: softmax, sigmoid"

    def test_a_far_miss_lists_the_options_only(self):
        message = invalid(kind("choice", options("softmax", "sigmoid")), "tanh")
        assert message == "'tanh' is not an option Options: softmax, sigmoid"

    def test_a_long_answer_is_quoted_shortened(self):
        """The message quotes at most 40 characters of what was written."""
        message = invalid(kind("choice", options("a", "b")), "z" * 100)
        assert message.startswith("'" + "z" * 40 + "' is not an option")

    @pytest.mark.parametrize("raw", [True, None, ["a"], {"a": 1}])
    def test_not_text_is_invalid_naming_the_options(self, raw):
        assert invalid(kind("choice", options("a", "b")), raw) == "expected one of: a, b"

    def test_compare_is_exact(self):
        c = kind("choice", options("a", "b"))
        a, b = c.read("a", CTX), c.read("b", CTX)
        assert c.compare(a, a, CTX) == Comparison(1.0, "exact")
        assert c.compare(a, b, CTX) == Comparison(0.0, "exact")

    def test_hint_names_every_option_in_both_languages(self):
        c = kind("choice", options("a", "b"))
        assert c.hint("en") == "one of: a, b" and c.hint("ru") == "один из вариантов: a, b"

    def test_sheet_note_lists_options_with_their_text_in_the_sheets_language(self):
        c = kind("choice", options("a", "b"))
        assert c.sheet_note("en") == "Options: `a`: a (en); `b`: b (en)."
        assert c.sheet_note("ru") == "Варианты: `a`: a (ru); `b`: b (ru)."

    def test_foreign_formats_get_every_option_and_the_right_one(self):
        c = kind("choice", options("a", 2))
        assert c.foreign_entries("a") == [ForeignEntry(
            "choice", options=(("a", {"en": "a (en)", "ru": "a (ru)"}), ("2", {"en": "2 (en)", "ru": "2 (ru)"})),
            correct=frozenset(["a"]))]
        assert c.foreign_entries(2)[0].correct == frozenset(["2"])

    @pytest.mark.parametrize("bad, index", [
        ([{"id": "a", "text": {"en": "A", "ru": "А"}}, {"id": "b"}], 1),            # no text
        ([{"text": {"en": "A", "ru": "А"}}], 0),                                     # no id
        ([{"id": "a", "text": {"en": "A", "ru": "А"}}, "b"], 1),                    # not a mapping
    ])
    def test_an_option_without_id_or_text_is_an_author_error_at_its_place(self, bad, index):
        """The bank's author is told which option is malformed and what one looks like."""
        error = author_error(kind("choice", {"options": bad}))
        assert (error.field, error.detail, error.expected) == (
            f"parts.0.options.{index}", "bad option", "{id: ..., text: {en, ru}}")
        assert error.got == bad[index]

    def test_a_duplicate_id_is_an_author_error_at_the_second(self):
        """Two options with one id (also 1 and '1') cannot be told apart by students."""
        opts = {"options": [{"id": 1, "text": {"en": "A", "ru": "А"}}, {"id": "b", "text": {"en": "B", "ru": "Б"}},
                            {"id": "1", "text": {"en": "C", "ru": "В"}}]}
        for name in ("choice", "multi-choice"):
            error = author_error(kind(name, opts))
            assert (error.field, error.detail, error.got) == ("parts.0.options.2.id", "duplicate option id", "1")

    def test_well_formed_options_pass(self):
        assert kind("choice", options("a", "b")).check_config(DOC, ("parts", 0)) is None


# -- any subset of the options ------------------------------------------------------------

class TestMultiChoice:
    @pytest.mark.parametrize("raw, chosen", [
        ("c, a", ["a", "c"]), ("c; a", ["a", "c"]), ("a,,c", ["a", "c"]), ("", []), ("  ", []),
        ([], []), (["C", "a", "c"], ["a", "c"]), (["b"], ["b"]),
    ])
    def test_a_selection_is_a_set_in_option_order(self, raw, chosen):
        """Commas or semicolons, any order, any case, repeats: the set, shown in the bank's order."""
        reading = kind("multi-choice", options("a", "b", "c")).read(raw, CTX)
        assert reading == Reading(frozenset(chosen), "[" + ", ".join(chosen) + "]",
                                  r"\{" + ", ".join(chosen) + r"\}")

    def test_the_selection_is_shown_in_the_banks_order_not_alphabetically(self):
        m = kind("multi-choice", options("c", "a", "b"))
        assert m.read(["a", "b", "c"], CTX).plain == "[c, a, b]" and m.read("b, c", CTX).plain == "[c, b]"

    @pytest.mark.parametrize("raw", [3, {"a": 1}, None])
    def test_not_a_list_is_invalid_with_an_example(self, raw):
        assert invalid(kind("multi-choice", options("a", "b")), raw) == \
            "expected a list of option ids, e.g. [a, c] (or [] for none)"

    def test_an_unknown_id_in_the_list_is_invalid(self):
        assert "is not an option" in invalid(kind("multi-choice", options("a", "b")), ["a", "x"])

    def test_the_reference_may_be_any_collection(self):
        """Solvers return tuples or sets of ids."""
        m = kind("multi-choice", options("a", "b", "c"))
        assert m.read_reference(("c", "a"), CTX).value == frozenset({"a", "c"})
        assert m.read_reference({"b"}, CTX).value == frozenset({"b"})

    @pytest.mark.parametrize("partial, score", [(False, 0.0), (True, 0.5)])
    def test_a_wrong_selection_counts_the_misclassified_options(self, partial, score):
        """The message counts options put on the wrong side (chosen or not); partial pays only when declared."""
        m = kind("multi-choice", {**options("a", "b", "c", "d"), "partial": partial})
        ref, ans = m.read_reference(["a", "b"], CTX), m.read(["a"], CTX)
        assert m.compare(ref, ans, CTX) == Comparison(score, "exact", "1 of 4 options are classified wrongly.")
        assert m.compare(ref, m.read(["c", "d"], CTX), CTX).message == "4 of 4 options are classified wrongly."
        assert m.compare(ref, m.read(["b", "a"], CTX), CTX) == Comparison(1.0, "exact")

    def test_when_every_option_is_right_part_of_them_pays_its_share(self):
        """No wrong option can be chosen, so nothing is subtracted: 3 of 5 right ones pay 0.6."""
        m = kind("multi-choice", {**options("a", "b", "c", "d", "e"), "partial": True})
        ref = m.read_reference(["a", "b", "c", "d", "e"], CTX)
        assert m.compare(ref, m.read(["a", "c", "e"], CTX), CTX).score == pytest.approx(0.6)

    def test_key_and_foreign_entry(self):
        m = kind("multi-choice", options("a", "b", "c"))
        assert m.key_value(frozenset({"a"})) == ["a"]
        (entry,) = m.foreign_entries(["a", "c"])
        assert entry.kind == "choice" and entry.multiple and entry.correct == frozenset({"a", "c"})
        assert [i for i, _ in entry.options] == ["a", "b", "c"]

    def test_hint_in_both_languages(self):
        m = kind("multi-choice", options("a", "b"))
        assert m.hint("en") == "a list of option ids from: a, b (written like [id1, id2], or [] for none)"
        assert m.hint("ru") == "список вариантов из: a, b (в виде [id1, id2], или [], если ни один)"

    def test_sheet_note_states_the_partial_rule_only_when_it_applies(self):
        """Students are told how partial credit works exactly when they can earn it."""
        plain = kind("multi-choice", options("a", "b"))
        assert plain.sheet_note("en") == "Options (choose all that apply): `a`: a (en); `b`: b (en)."
        assert plain.sheet_note("ru") == "Варианты (выберите все подходящие): `a`: a (ru); `b`: b (ru)."
        partial = kind("multi-choice", {**options("a", "b"), "partial": True})
        en, ru = partial.sheet_note("en"), partial.sheet_note("ru")
        assert en.startswith(plain.sheet_note("en") + " Partial credit: the share of the right options")
        assert ru.startswith(plain.sheet_note("ru") + " Частичный балл: доля выбранных верных")
        assert en.endswith("choosing nothing or everything earns nothing.")
        assert ru.endswith("пустой выбор или выбор всех вариантов баллов не приносит.")


# -- a real number ------------------------------------------------------------------------

class TestNumber:
    @pytest.mark.parametrize("ref, ans, message", [
        (0.5, -0.5, "The sign is wrong."),
        (-3.0, 3.0, "The sign is wrong."),
        (1.0, -1.0, "The sign is wrong."),
        (1e9, -1e9 + 1.0, "The sign is wrong."),   # exactly a billionth of |ref| off: still the slip
        (0.5, 1.0, "Your value is twice what it should be."),
        (0.5, 0.25, "Your value is half what it should be."),
        (-2.0, -1.0, "Your value is half what it should be."),
        (0.5, 0.7, ""),
        (0.5, 0.0, ""),
        (0.0, 1.0, ""),              # no sign or ratio of a zero reference
        (0.5, 1.0 + 1e-5, ""),       # twice within 1e-6 of the ratio only
    ])
    def test_a_wrong_number_says_how_it_is_off_without_the_reference(self, ref, ans, message):
        """Sign slips and factor-2 slips are named; nothing else is said."""
        n = kind("number")
        comparison = n.compare(Reading(ref, ""), Reading(ans, ""), CTX)
        assert comparison == Comparison(0.0, "tolerance", message)

    def test_a_sign_slip_is_judged_at_the_references_scale(self):
        """-ref up to a billionth of |ref| away is still the sign slip."""
        n = kind("number", {"tolerance": {"abs": 1e-12, "rel": 0}})
        assert n.compare(Reading(1e6, ""), Reading(-1e6 + 1e-4, ""), CTX).message == "The sign is wrong."
        assert n.compare(Reading(1e6, ""), Reading(-1e6 + 1e-2, ""), CTX).message == ""

    def test_within_tolerance_scores_one(self):
        assert kind("number").compare(Reading(2.0, ""), Reading(2.001, ""), CTX) == Comparison(1.0, "tolerance")

    @pytest.mark.parametrize("value, number", [(3, 3.0), (0.25, 0.25), ("3/4", 0.75), ("exp(0)", 1.0),
                                               (Fraction(1, 4), 0.25)])
    def test_the_reference_is_read_as_a_float_and_never_printed(self, value, number):
        assert kind("number").read_reference(value, CTX) == Reading(number, "")

    @pytest.mark.parametrize("value, message", [
        (10 ** 400, "the reference is too large: at most"),
        (math.inf, "the reference is too large: at most"),
        (math.nan, "the reference is not a number: nan"),
    ], ids=["huge-int", "inf", "nan"])
    def test_an_unusable_reference_is_refused(self, value, message):
        with pytest.raises(AnswerError) as caught:
            kind("number").read_reference(value, CTX)
        assert caught.value.message.startswith(message)

    def test_rewrites_are_the_decimal_of_an_exact_form_and_the_shortest_accepted_rounding(self):
        """validate grades these as right: `3/4` also written 0.75, and 2/3 rounded as far as allowed."""
        n = kind("number")
        assert n.rewrites("3/4") == ["0.75", "0.75"]
        assert n.rewrites("2/3") == ["0.666666666667", "0.667"]
        assert n.rewrites(2 / 3) == ["0.667"]          # a number is not re-written as a decimal

    @pytest.mark.parametrize("ans, ref, plausible", [(0.0, 1.0, False), (0.0, 0.0, True), (2.0, 1.0, True),
                                                     (-1.0, 1.0, True)])
    def test_only_a_zero_for_a_nonzero_reference_is_too_implausible_to_follow_through(self, ans, ref, plausible):
        assert kind("number").plausible(Reading(ans, ""), Reading(ref, "")) is plausible

    @pytest.mark.parametrize("value, key", [(0.75, 0.75), (3, 3), ("3/4", "3/4"), (Fraction(3, 4), "3/4"),
                                            (Fraction(4, 2), "2")])
    def test_the_key_shows_numbers_as_they_are_and_fractions_as_a_student_writes_them(self, value, key):
        assert kind("number").key_value(value) == key

    def test_sheet_note_states_the_tolerance(self):
        assert kind("number").sheet_note("en") == "Accepted within 0.5% relative."
        assert kind("number", {"tolerance": {"abs": 0.01}}).sheet_note("ru") == \
            "Ответ принимается с абсолютной погрешностью 0.01."

    def test_foreign_entry_carries_the_tolerance_at_the_reference(self):
        """A foreign format gets the absolute error our tolerance allows at this reference."""
        assert kind("number").foreign_entries("3/4") == [ForeignEntry("numeric", value=0.75, tolerance=0.00375)]
        assert kind("number", {"tolerance": {"abs": 0.1}}).foreign_entries(200) == \
            [ForeignEntry("numeric", value=200.0, tolerance=0.1)]

    def test_hint_in_both_languages(self):
        assert kind("number").hint("en") == "a number, e.g. 0.25, 1/4 or exp(1)/(1+exp(1))"
        assert kind("number").hint("ru") == "число, например 0.25, 1/4 или exp(1)/(1+exp(1))"

    def test_a_bad_tolerance_key_is_an_author_error(self):
        error = author_error(kind("number", {"tolerance": {"abs": 0.1, "absolute": 1, "relative": 2}}))
        assert (error.field, error.detail, error.expected) == (
            "parts.0.tolerance.absolute", "unknown tolerance key", "abs, rel or sigfigs")


# -- a vector or matrix ------------------------------------------------------------------------

def test_a_transposed_matrix_is_read_and_shown_as_typed_and_typeset():
    """A 3x2 answer to a 2x3 part is kept (compare names the transpose) with its text and its LaTeX."""
    reading = kind("matrix", {"shape": [2, 3]}).read([[1, 2], [3, 4], [5, 6]], CTX)
    assert reading.value.shape == (3, 2) and reading.plain == "[[1, 2], [3, 4], [5, 6]]"
    assert reading.latex == r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \\ 5 & 6 \end{pmatrix}"


def test_a_bad_tolerance_of_a_matrix_part_is_an_author_error_at_its_place():
    """An array part's tolerance is checked under the part's own path, like a number's."""
    error = author_error(kind("matrix", {"shape": [2, 2], "tolerance": {"absolute": 1}}))
    assert (error.field, error.detail) == ("parts.0.tolerance.absolute", "unknown tolerance key")


def test_an_options_text_in_one_language_is_an_author_error_at_its_place():
    """Each option's text must be bilingual; the error names the option."""
    bad = {"options": [{"id": "a", "text": {"en": "A", "ru": "А"}}, {"id": "b", "text": {"en": "B"}}]}
    assert author_error(kind("choice", bad)).field.startswith("parts.0.options.1.text")
