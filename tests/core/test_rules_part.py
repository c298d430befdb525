"""Rules of the verdict chain in grading/part.py, one step at a time.

A scripted answer type stands in for the real ones: what an answer "compares" to is
written in the answer itself (``"undecided"``, ``"shape"``...), or follows from a plain
number rule (equal: 1, within 10 %: 0.5, else 0), so each expected verdict, score and
message is known by construction. The solver is a three-step chain
``a = n``, ``b = 2a`` (follows a), ``c = a + b`` (follows a and b).
"""

from __future__ import annotations

import pytest

from grader.answer_types.base import AnswerType, Comparison, Reading
from grader.bank.model import Misconception, Part, Problem
from grader.bank.solvers import Reject
from grader.grading import part as part_module
from grader.grading.part import BUDGET_TEXT, FOLLOW_TEXT, UNDECIDED_TEXT, ProblemGrader
from grader.lang import AnswerError, sympy_worker
from grader.variants import Variant

TEXT = {"en": "t", "ru": "t"}
FB = {"en": "slip feedback", "ru": "отзыв об ошибке"}


class Script(AnswerType):
    """Numbers, plus words that script the comparison (see the module docstring)."""

    name = "script"
    WORDS = ("undecided", "quiet-undecided", "timeout", "shape", "partial-quiet")

    def __init__(self, options=None):
        super().__init__(options or {})
        self.reference_reads = 0

    def read(self, raw, ctx):
        if raw == "unreadable":
            raise AnswerError("cannot read that", ru="не читается")
        if isinstance(raw, str) and raw in self.WORDS:
            return Reading(raw, f"plain {raw}", f"latex {raw}")
        try:
            return Reading(float(raw), f"plain {raw}", f"latex {raw}")
        except (TypeError, ValueError):
            raise AnswerError("expected a number") from None

    def read_reference(self, value, ctx):
        self.reference_reads += 1
        if value == "bad-reference":
            raise AnswerError("no such value")
        return Reading(float(value), f"ref {value}")

    def compare(self, ref, ans, ctx):
        v = ans.value
        if v == "shape":
            raise AnswerError("wrong shape", ru="не та форма")
        if v == "undecided":
            return Comparison(None, "stub-undecided", "the sampler gave up")
        if v == "quiet-undecided":
            return Comparison(None, "stub-undecided")
        if v == "timeout":
            return Comparison(None, "timeout", "out of time")
        if v == "partial-quiet":
            return Comparison(0.25, "stub-quarter")
        if v == ref.value:
            return Comparison(1.0, "stub-exact")
        if abs(v - ref.value) <= 0.1 * abs(ref.value):
            return Comparison(0.5, "stub-near", "close")
        return Comparison(0.0, "stub-far", "far")

    def plausible(self, ans, ref):
        return ans.value not in self.options.get("implausible", ())


def chain(p, *, bug=None, given=None):
    """a = n (bug 'plus-one': n + 1, bug 'shape': a word), b = 2a, c = a + b."""
    given = given or {}
    if bug == "rejects":
        raise Reject("no")
    if bug == "crashes":
        raise ZeroDivisionError("an author's slip that fails on this draw")
    a = p["n"] + (1 if bug == "plus-one" else 0)
    if given.get("a") == 13.0:
        raise Reject("a = 13 makes b meaningless")
    if given.get("a") == 14.0:
        raise ZeroDivisionError("a = 14 divides by zero")
    a_used = given.get("a", a)
    b = 2 * a_used + (1 if bug == "b-plus-one" else 0)
    b_used = given.get("b", b)
    out = {"a": a, "b": b, "c": a_used + b_used}
    if bug == "no-b":
        del out["b"]
    return out


def make(*, follow_credit=1.0, b_guard=None, a_options=None, b_misconceptions=(), a_misconceptions=()):
    a_type, b_type, c_type = Script(a_options), Script(), Script()
    a = Part("a", "script", 2.0, TEXT, a_type, tuple(a_misconceptions), follow_guard=b_guard or {})
    b = Part("b", "script", 4.0, TEXT, b_type, tuple(b_misconceptions), follows=("a",),
             follow_credit=follow_credit)
    c = Part("c", "script", 4.0, TEXT, c_type, (), follows=("a", "b"))
    prob = Problem(id="chain", family="C", topic="t", title=TEXT, statement=TEXT, params={}, constraints=(),
                   solver_name="tests:chain", solver=chain, parts=(a, b, c), seed={}, notes="", file="chain.yaml")
    params = {"n": 10.0}
    return Variant(prob, 0x1_2345_6789, params, chain(params))


def grade(variant, answers, lang="en", scale=1.0, **kw):
    g = ProblemGrader("q1", variant, scale, lang, **kw)
    return {p.id: g.grade(p, answers[p.id]) for p in variant.problem.parts if p.id in answers}


def one(variant, pid, raw, **kw):
    return grade(variant, {pid: raw}, **kw)[pid]


class TestMissingAndBudget:
    @pytest.mark.parametrize("raw", [None, "", "   ", "\n\t "])
    def test_no_answer_is_missing(self, raw):
        r = one(make(), "a", raw)
        assert (r.verdict, r.score, r.max, r.check, r.feedback, r.interpreted) == ("missing", 0.0, 2.0, "none", "",
                                                                                  None)

    @pytest.mark.parametrize("raw", [0, "0", 0.0])
    def test_zero_is_an_answer(self, raw):
        assert one(make(), "a", raw).verdict == "incorrect"

    @pytest.mark.parametrize("lang", ["en", "ru"])
    def test_a_spent_budget_leaves_the_part_undecided_for_review(self, lang):
        with sympy_worker.deadline(-1.0):
            r = one(make(), "a", 10, lang=lang)
            missing = one(make(), "b", None, lang=lang)
        assert (r.verdict, r.score, r.check, r.feedback) == ("undecided", 0.0, "time-budget", BUDGET_TEXT[lang])
        assert r.interpreted is None and missing.verdict == "missing"

    def test_a_budget_with_time_left_grades(self):
        with sympy_worker.deadline(60.0):
            assert one(make(), "a", 10).verdict == "correct"

    def test_a_budget_at_exactly_zero_is_spent(self, monkeypatch):
        monkeypatch.setattr(part_module.sympy_worker, "time_left", lambda: 0.0)
        assert one(make(), "a", 10).check == "time-budget"
        monkeypatch.setattr(part_module.sympy_worker, "time_left", lambda: 1e-9)
        assert one(make(), "a", 10).verdict == "correct"


class TestReadingAndShape:
    @pytest.mark.parametrize("lang, text", [("en", "cannot read that"), ("ru", "не читается")])
    def test_an_unreadable_answer_is_invalid_with_the_readers_message(self, lang, text):
        r = one(make(), "a", "unreadable", lang=lang)
        assert (r.verdict, r.score, r.check, r.feedback, r.interpreted) == ("invalid", 0.0, "parse", text, None)

    @pytest.mark.parametrize("lang, text", [("en", "wrong shape"), ("ru", "не та форма")])
    def test_a_readable_answer_of_the_wrong_shape_is_invalid_and_shows_how_it_was_read(self, lang, text):
        r = one(make(), "a", "shape", lang=lang)
        assert (r.verdict, r.check, r.feedback) == ("invalid", "shape", text)
        assert r.interpreted == {"plain": "plain shape", "latex": "latex shape"}

    def test_a_wrong_shape_that_a_misconception_explains_is_that_misconception(self):
        """The slip's own value has that shape: named, at its credit, no floor."""
        class ShapeSlip(Script):
            def compare(self, ref, ans, ctx):
                if ans.value == "shape" and ref.value == 11.0:
                    return Comparison(1.0, "stub-exact")
                return super().compare(ref, ans, ctx)
        v = make(a_misconceptions=[Misconception("plus-one", FB, 0.5)])
        part = v.problem.parts[0]
        part = Part(**{**part.__dict__, "answer": ShapeSlip()})
        r = ProblemGrader("q1", v, 1.0, "ru").grade(part, "shape")
        assert (r.verdict, r.score, r.check, r.misconception, r.feedback) == (
            "partial", 1.0, "misconception:plus-one", "plus-one", "отзыв об ошибке")
        assert r.interpreted == {"plain": "plain shape", "latex": "latex shape"}

    def test_a_shape_error_is_never_followed_through(self):
        r = grade(make(), {"a": 11, "b": "shape"})["b"]
        assert r.check == "shape"


class TestScores:
    def test_correct_pays_the_scaled_points_and_shows_the_reading(self):
        r = one(make(), "b", 20, scale=0.75)
        assert (r.verdict, r.score, r.max, r.check, r.feedback) == ("correct", 3.0, 3.0, "stub-exact", "")
        assert r.interpreted == {"plain": "plain 20", "latex": "latex 20"}
        assert (r.key, r.part, r.misconception) == ("q1", "b", None)

    def test_partial_pays_the_types_share_with_its_message(self):
        r = one(make(), "b", 21, scale=0.75)     # within 10 %: half
        assert (r.verdict, r.score, r.check, r.feedback) == ("partial", 1.5, "stub-near", "close")

    def test_incorrect_pays_nothing_with_its_message(self):
        r = one(make(), "b", 30)
        assert (r.verdict, r.score, r.check, r.feedback) == ("incorrect", 0.0, "stub-far", "far")

    def test_scores_are_rounded_to_six_decimals(self):
        r = one(make(), "b", 20, scale=1 / 3)
        assert r.score == r.max == 1.333333

    @pytest.mark.parametrize("raw, feedback", [
        ("undecided", UNDECIDED_TEXT["en"] + " the sampler gave up"),
        ("quiet-undecided", UNDECIDED_TEXT["en"]),
    ])
    def test_undecided_pays_nothing_and_asks_for_review_with_the_checks_reason(self, raw, feedback):
        r = one(make(), "b", raw)
        assert (r.verdict, r.score, r.check, r.feedback) == ("undecided", 0.0, "stub-undecided", feedback)

    def test_undecided_in_russian(self):
        assert one(make(), "b", "quiet-undecided", lang="ru").feedback == UNDECIDED_TEXT["ru"]

    def test_a_timed_out_comparison_is_undecided(self):
        r = one(make(), "b", "timeout")
        assert (r.verdict, r.check) == ("undecided", "timeout")


class TestMisconceptions:
    def test_the_first_matching_misconception_names_the_slip(self):
        """11 is plus-one's value (and near 10: the floor 0.5); the first listing of it wins."""
        v = make(a_misconceptions=[Misconception("b-plus-one", FB), Misconception("plus-one", FB, 0.0),
                                   Misconception("plus-one", {"en": "second", "ru": "second"}, 0.9)])
        r = one(v, "a", 11)
        assert (r.verdict, r.score, r.check, r.misconception, r.feedback) == (
            "partial", 1.0, "misconception:plus-one", "plus-one", "slip feedback")

    def test_a_far_slip_without_credit_is_incorrect_and_named(self):
        v = make(b_misconceptions=[Misconception("b-plus-one", FB)])
        r = one(v, "b", 21)                       # b-plus-one: 21, within 10 % of 20: floor 0.5
        assert (r.verdict, r.score, r.check) == ("partial", 2.0, "misconception:b-plus-one")
        v = make(a_misconceptions=[Misconception("b-plus-one", FB), Misconception("plus-one", FB)])
        p = Part(**{**v.problem.parts[0].__dict__, "answer": Script()})
        r = ProblemGrader("q1", Variant(v.problem, 1, {"n": 1.0}, chain({"n": 1.0})), 1.0, "en").grade(p, 2)
        assert (r.verdict, r.score, r.check, r.misconception) == ("incorrect", 0.0, "misconception:plus-one",
                                                                  "plus-one")

    @pytest.mark.parametrize("failing", ["crashes", "rejects"])
    def test_a_slip_whose_run_fails_matches_nothing_and_the_next_is_tried(self, failing):
        """An author's slip that raises on this draw is no match (validate names it); the student's
        answer is still graded, against the slips after it."""
        v = make(a_misconceptions=[Misconception(failing, FB, 0.9), Misconception("plus-one", FB, 0.0)])
        r = one(v, "a", 11)
        assert (r.verdict, r.check, r.misconception) == ("partial", "misconception:plus-one", "plus-one")
        r = one(make(a_misconceptions=[Misconception(failing, FB, 0.9)]), "a", 12)
        assert (r.verdict, r.score, r.check, r.misconception) == ("incorrect", 0.0, "stub-far", None)

    def test_a_bug_that_gives_no_value_for_the_part_is_skipped(self):
        v = make(b_misconceptions=[Misconception("no-b", FB, 1.0)])
        assert one(v, "b", 21).check == "stub-near"

    def test_a_bug_value_the_type_cannot_compare_is_skipped(self):
        class Picky(Script):
            def compare(self, ref, ans, ctx):
                if ref.value == 11.0:
                    raise AnswerError("not comparable")
                return super().compare(ref, ans, ctx)
        v = make(a_misconceptions=[Misconception("plus-one", FB, 1.0)])
        part = Part(**{**v.problem.parts[0].__dict__, "answer": Picky()})
        assert ProblemGrader("q1", v, 1.0, "en").grade(part, 11).check == "stub-near"

    def test_an_undecided_bug_comparison_names_nothing(self):
        class Unsure(Script):
            def compare(self, ref, ans, ctx):
                if ref.value == 11.0:
                    return Comparison(None, "stub-undecided")
                return super().compare(ref, ans, ctx)
        v = make(a_misconceptions=[Misconception("plus-one", FB, 1.0)])
        part = Part(**{**v.problem.parts[0].__dict__, "answer": Unsure()})
        assert ProblemGrader("q1", v, 1.0, "en").grade(part, 10.5).check == "stub-near"

    def test_a_near_miss_of_the_bug_value_is_not_the_bug(self):
        """Only an answer equal to the bug's value (score 1 against it) names the slip."""
        v = make(a_misconceptions=[Misconception("plus-one", FB, 0.8)])
        r = one(v, "a", 11.5)                     # within 10 % of the bug's 11, not equal to it
        assert (r.check, r.misconception) == ("stub-far", None)

    def test_a_misconception_with_credit_one_is_still_partial_when_the_answer_is_wrong(self):
        v = make(a_misconceptions=[Misconception("plus-one", FB, 1.0)])
        r = one(v, "a", 11)
        assert (r.verdict, r.score) == ("partial", 2.0)


class TestFollowThrough:
    def test_b_right_from_a_wrong_a_pays_follow_credit(self):
        r = grade(make(follow_credit=0.5), {"a": 12, "b": 24}, scale=0.5)["b"]
        assert (r.verdict, r.score, r.max, r.check) == ("partial", 1.0, 2.0, "follow-through:a")
        assert r.feedback == FOLLOW_TEXT["en"].format(parts="a")
        assert r.interpreted == {"plain": "plain 24", "latex": "latex 24"}

    def test_full_follow_credit_is_correct(self):
        r = grade(make(), {"a": 12, "b": 24})["b"]
        assert (r.verdict, r.score) == ("correct", 4.0)

    def test_the_feedback_speaks_the_language(self):
        assert grade(make(), {"a": 12, "b": 24}, lang="ru")["b"].feedback == FOLLOW_TEXT["ru"].format(parts="a")

    def test_several_wrong_earlier_parts_are_named_in_order(self):
        r = grade(make(), {"a": 12, "b": 23, "c": 35})["c"]      # c = a + b from the student's a and b
        assert r.check == "follow-through:a, b" and "a, b" in r.feedback

    def test_only_the_wrong_earlier_parts_are_given(self):
        r = grade(make(), {"a": 10, "b": 21.5, "c": 31.5})["c"]    # a right, b wrong: c = 10 + 21.5
        assert r.check == "follow-through:b"

    def test_a_followed_part_counts_as_right_for_the_next(self):
        """b followed from a: c is then re-run from a only (b stands as right)."""
        r = grade(make(), {"a": 12, "b": 24, "c": 36})["c"]
        assert (r.verdict, r.check) == ("correct", "follow-through:a")

    def test_nothing_to_follow_when_the_earlier_part_was_right_or_not_answered(self):
        assert grade(make(), {"a": 10, "b": 24})["b"].check == "stub-far"
        assert grade(make(), {"b": 24})["b"].check == "stub-far"
        assert grade(make(), {"a": "unreadable", "b": 24})["b"].check == "stub-far"
        assert grade(make(), {"a": None, "b": 24})["b"].check == "stub-far"

    def test_an_implausible_earlier_value_is_not_followed(self):
        v = make(a_options={"implausible": (12.0,)})
        assert grade(v, {"a": 12, "b": 24})["b"].check == "stub-far"
        assert grade(v, {"a": 12.5, "b": 25})["b"].check == "follow-through:a"

    def test_a_value_outside_the_guard_is_not_followed(self):
        v = make(b_guard={"near_abs": 0.0, "near_rel": 0.1})
        assert grade(v, {"a": 11, "b": 22})["b"].check == "follow-through:a"
        assert grade(v, {"a": 12, "b": 24})["b"].check == "stub-far"

    def test_a_copied_parameter_is_not_followed(self):
        v = make()
        v = Variant(v.problem, v.seed, {**v.params, "m": 7.0}, v.answers)
        assert grade(v, {"a": 7, "b": 14})["b"].check == "stub-far"

    def test_a_named_slip_is_followed_even_outside_the_guard(self):
        v = make(a_misconceptions=[Misconception("plus-one", FB)], b_guard={"misconceptions_only": True})
        assert grade(v, {"a": 11, "b": 22})["b"].check == "follow-through:a"
        assert grade(v, {"a": 12, "b": 24})["b"].check == "stub-far"

    @pytest.mark.parametrize("a", [13, 14])
    def test_an_earlier_value_the_solver_refuses_gives_no_follow_through(self, a):
        assert grade(make(), {"a": a, "b": 2 * a})["b"].check == "stub-far"

    def test_a_rerun_that_lands_on_an_earlier_value_is_trivial(self):
        """From a = 0, b = 2a = 0 repeats a: no work left in b, so no follow-through."""
        v = make(b_guard={"near_abs": 100.0})
        assert grade(v, {"a": 0, "b": 0})["b"].check == "stub-far"
        assert grade(v, {"a": 1, "b": 2})["b"].check == "follow-through:a"

    def test_a_rerun_that_lands_on_the_start_value_is_trivial(self):
        """a starts from n = 10: from a = 5, b = 10 is the start value itself."""
        v = make(b_guard={"start": "n"})
        assert grade(v, {"a": 5, "b": 10})["b"].check == "stub-far"
        assert grade(v, {"a": 6, "b": 12})["b"].check == "follow-through:a"

    def test_candidates_of_another_kind_are_skipped_not_fatal(self):
        class Fussy(Script):
            def read_reference(self, value, ctx):
                if value == 5.0:      # a's value, tried as a candidate for b: not comparable
                    raise TypeError("not this kind")
                return super().read_reference(value, ctx)
        v = make(b_guard={"near_abs": 100.0})
        b = Part(**{**v.problem.parts[1].__dict__, "answer": Fussy()})
        g = ProblemGrader("q1", v, 1.0, "en")
        g.grade(v.problem.parts[0], 5)
        assert g.grade(b, 10).check == "follow-through:a"

    def test_a_rerun_from_a_near_miss_is_followed_only_when_right(self):
        assert grade(make(), {"a": 12, "b": 24.5})["b"].check == "stub-far"

    def test_follow_through_comes_before_the_misconceptions_of_the_later_part(self):
        v = make(b_misconceptions=[Misconception("b-plus-one", FB, 0.25)])
        assert grade(v, {"a": 12, "b": 24})["b"].check == "follow-through:a"
        assert grade(v, {"a": 10, "b": 21})["b"].check == "misconception:b-plus-one"


class TestReferenceAndSeed:
    def test_the_reference_is_read_once_per_part(self):
        v = make()
        g = ProblemGrader("q1", v, 1.0, "en")
        b = v.problem.parts[1]
        before = b.answer.reference_reads
        g.grade(b, 30)
        g.grade(b, 31)
        assert b.answer.reference_reads - before == 1

    def test_the_sampling_seed_is_the_variant_seeds_low_32_bits_unless_given(self):
        v = make()
        assert ProblemGrader("q1", v, 1.0, "en").ctx.seed == 0x2345_6789
        assert ProblemGrader("q1", v, 1.0, "en", sampling_seed=5).ctx.seed == 5
        assert ProblemGrader("q1", v, 1.0, "en", sampling_seed=0).ctx.seed == 0
        ctx = ProblemGrader("q1", v, 1.0, "ru").ctx
        assert ctx.params is v.params and ctx.lang == "ru"


class Recorder:
    """A memo that records each key it is asked for and computes every time."""

    def __init__(self):
        self.keys = []

    def compare(self, scope, inputs, compute):
        self.keys.append((scope, inputs))
        return compute()


class TestMemoKeys:
    def test_the_key_names_problem_part_seed_value_and_raw_answer(self):
        memo = Recorder()
        grade(make(), {"a": "10.0"}, sampling_seed=9, memo=memo)
        assert memo.keys == [(("chain", "a", 9), (10.0, "10.0", None))]

    def test_parameters_are_in_the_key_only_for_property_checks(self):
        class Property(Script):
            reads_params = True
        v = make()
        part = Part(**{**v.problem.parts[0].__dict__, "answer": Property()})
        memo = Recorder()
        ProblemGrader("q1", v, 1.0, "en", sampling_seed=1, memo=memo).grade(part, 10)
        assert memo.keys == [(("chain", "a", 1), (10.0, 10, {"n": 10.0}))]

    def test_a_timeout_is_returned_but_never_memoised(self):
        from grader.grading.cache import ComparisonCache
        memo = ComparisonCache()
        for _ in range(2):
            r = grade(make(), {"b": "timeout"}, memo=memo)["b"]
            assert (r.verdict, r.check) == ("undecided", "timeout")
        assert memo.table == {} and memo.stats.misses == 2

    def test_misconception_and_follow_through_comparisons_are_keyed_by_their_value(self):
        memo = Recorder()
        v = make(b_misconceptions=[Misconception("b-plus-one", FB)])
        grade(v, {"a": 12, "b": 30}, sampling_seed=0, memo=memo)
        values = [inputs[0] for scope, inputs in memo.keys if scope[1] == "b"]
        assert values == [20.0, 24.0, 21.0]      # the reference, the re-run from a = 12, the slip


class TestDetails:
    def test_the_answer_is_read_knowing_the_parts_reference(self):
        """A reader may size its answer by the reference (an identity matrix, say)."""
        seen = []

        class Sized(Script):
            def read(self, raw, ctx):
                seen.append(ctx.reference)
                return super().read(raw, ctx)
        v = make()
        part = Part(**{**v.problem.parts[0].__dict__, "answer": Sized()})
        ProblemGrader("q1", v, 1.0, "en").grade(part, 10)
        assert seen == [Reading(10.0, "ref 10.0")]

    def test_engine_messages_are_shown_in_the_readers_language(self):
        class English(Script):
            def compare(self, ref, ans, ctx):
                return Comparison(0.0, "stub-far", "expected a mapping with fields student, set, answers")
        v = make()
        part = Part(**{**v.problem.parts[0].__dict__, "answer": English()})
        r = ProblemGrader("q1", v, 1.0, "ru").grade(part, 3)
        assert r.feedback == "ожидался словарь с полями student, set, answers"

    def test_a_non_numeric_earlier_answer_needs_only_the_types_test(self):
        v = make()
        g = ProblemGrader("q1", v, 1.0, "en")
        a = v.problem.parts[0]
        assert g._plausible(a, Reading("a word", "a word"))
        assert g._plausible(a, Reading(12.0, "12"))
        assert not g._plausible(a, Reading(100.0, "100"))          # outside the default band

    def test_every_candidate_is_tried_for_triviality(self):
        """A non-numeric or incomparable earlier value is skipped; the next one still counts."""
        class Picky(Script):
            def read_reference(self, value, ctx):
                if value == 99.0:
                    raise TypeError("not comparable")
                return super().read_reference(value, ctx)
        v = make()
        b = Part(**{**v.problem.parts[1].__dict__, "answer": Picky()})
        g = ProblemGrader("q1", v, 1.0, "en")
        assert g._trivial(b, 4.0, {"a": "word", "b": 99.0, "c": 4.0})
        assert not g._trivial(b, 4.0, {"a": "word", "b": 99.0, "c": 5.0})

    def test_an_undecided_comparison_that_did_not_time_out_is_memoised(self):
        from grader.grading.cache import ComparisonCache
        memo = ComparisonCache()
        for _ in range(2):
            assert grade(make(), {"b": "undecided"}, memo=memo)["b"].verdict == "undecided"
        assert (memo.stats.hits, memo.stats.misses) == (1, 1)
