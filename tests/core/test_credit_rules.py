"""Credit rules of the verdict chain, pinned in tables (issue 17 item 3).

The rules, as ``grading/part.py`` states them:

* a misconception pays its own ``credit`` (default 0);
* naming a slip never costs the partial credit the answer type would give anyway:
  the score is ``max(credit, the type's partial score)``;
* follow-through (a later part right given the student's own earlier answer) pays
  ``follow_credit`` of the points (default 1), and is ``partial`` below 1;
* multi-choice partial credit: the share of the right options chosen minus the share of
  the wrong options chosen, floored at 0, so an empty selection and a selection of
  everything never pay (unless that is the key).

The synthetic problem below uses a tiny answer type whose partial credit is known by
construction, so each row's expected score is derived by hand, not by the grader.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.answer_types.base import AnswerType, Comparison, Reading
from grader.answer_types.registry import ANSWER_TYPES
from grader.bank.loader import load_problem
from grader.bank.model import Misconception, Part, Problem
from grader.grading.part import ProblemGrader
from grader.lang import AnswerError
from grader.variants import draw_variant

ROOT = Path(__file__).resolve().parents[2]
POINTS = 4.0
SCALE = 0.5          # the set weighs the problem at half its points: every score is scaled
FB = {"en": "feedback for {}", "ru": "отзыв для {}"}


class TenPercent(AnswerType):
    """A number; exact is 1, within 10 % of the reference is 0.5 (partial), else 0."""

    name = "ten-percent"

    def read(self, raw, ctx):
        try:
            return Reading(float(raw), str(raw))
        except (TypeError, ValueError):
            raise AnswerError("expected a number") from None

    def compare(self, ref, ans, ctx):
        if ans.value == ref.value:
            return Comparison(1.0, "stub-exact")
        if abs(ans.value - ref.value) <= 0.1 * abs(ref.value):
            return Comparison(0.5, "stub-near", "close")
        return Comparison(0.0, "stub-far", "far")


def solver(p, *, bug=None, given=None):
    """a = 10 (bug 'near': 9.5, within 10 %; bug 'far': 20); b = 2a (bug 'b-off': 2a + 7)."""
    given = given or {}
    a = {"near": 9.5, "far": 20.0}.get(bug, 10.0)
    a_used = given.get("a", a)
    b = 2 * a_used + (7 if bug == "b-off" else 0)
    return {"a": a, "b": b}


def problem(credits: dict[str, float], follow_credit: float = 1.0) -> Problem:
    answer = TenPercent({})
    a = Part(id="a", type="ten-percent", points=POINTS, prompt=FB, answer=answer,
             misconceptions=tuple(Misconception(bug, {k: v.format(bug) for k, v in FB.items()}, credit)
                                  for bug, credit in credits.items()))
    b = Part(id="b", type="ten-percent", points=POINTS, prompt=FB, answer=answer,
             misconceptions=(Misconception("b-off", {k: v.format("b-off") for k, v in FB.items()}, 0.25),),
             follows=("a",), follow_credit=follow_credit)
    return Problem(id="credit-table", family="T0", topic="tests", title=FB, statement=FB, params={},
                   constraints=(), solver_name="tests:solver", solver=solver, parts=(a, b), seed={},
                   notes="", file="<test>")


def grade(prob: Problem, answers: dict, lang: str = "en") -> dict:
    grader = ProblemGrader("q1", draw_variant(prob, 1), SCALE, lang)
    return {part.id: grader.grade(part, answers.get(part.id)) for part in prob.parts}


# answer to a, misconception credits, verdict, share of the points, check
MISCONCEPTION_TABLE = [
    (10, {"near": 0.0, "far": 0.0}, "correct", 1.0, "stub-exact"),
    (20, {"near": 0.0, "far": 0.0}, "incorrect", 0.0, "misconception:far"),
    (20, {"near": 0.0, "far": 0.8}, "partial", 0.8, "misconception:far"),     # credit pays
    (20, {"near": 0.0, "far": 1.0}, "partial", 1.0, "misconception:far"),     # even all of it: still named
    (9.5, {"near": 0.0, "far": 0.0}, "partial", 0.5, "misconception:near"),   # the floor: the type's 0.5
    (9.5, {"near": 0.3, "far": 0.0}, "partial", 0.5, "misconception:near"),   # floor above credit
    (9.5, {"near": 0.8, "far": 0.0}, "partial", 0.8, "misconception:near"),   # credit above floor
    (9.7, {"near": 0.8, "far": 0.8}, "partial", 0.5, "stub-near"),            # near, but no slip named
    (30, {"near": 0.8, "far": 0.8}, "incorrect", 0.0, "stub-far"),
]


class TestMisconceptionCredit:
    @pytest.mark.parametrize("answer, credits, verdict, share, check", MISCONCEPTION_TABLE)
    def test_credit_and_floor(self, answer, credits, verdict, share, check):
        result = grade(problem(credits), {"a": answer})["a"]
        assert (result.verdict, result.check) == (verdict, check)
        assert result.score == pytest.approx(POINTS * SCALE * share)
        assert result.max == pytest.approx(POINTS * SCALE)
        if check.startswith("misconception:"):
            bug = check.split(":")[1]
            assert result.misconception == bug and result.feedback == f"feedback for {bug}"

    def test_first_listed_misconception_wins(self):
        """Two bugs giving the same value: the feedback of the one listed first."""
        prob = problem({"far": 0.8, "near": 0.0})
        twin = Part(id="a", type="ten-percent", points=POINTS, prompt=FB, answer=prob.parts[0].answer,
                    misconceptions=(Misconception("far", FB, 0.2), Misconception("far", FB, 0.9)))
        grader = ProblemGrader("q1", draw_variant(prob, 1), 1.0, "en")
        assert grader.grade(twin, 20).score == pytest.approx(POINTS * 0.2)

    def test_feedback_follows_the_language(self):
        assert grade(problem({"far": 0.0}), {"a": 20}, lang="ru")["a"].feedback == "отзыв для far"

    def test_kernel_validity_pays_its_declared_credit(self):
        """The bank's use of ``credit`` (0.8 on the kernel-validity slips of the kernels part)."""
        prob = load_problem(ROOT / "problems" / "kernels" / "kernel-validity.yaml")
        credits = {(p.id, m.bug): m.credit for p in prob.parts for m in p.misconceptions}
        assert sum(c == 0.8 for c in credits.values()) >= 4
        paid = 0
        for seed in range(40):
            variant = draw_variant(prob, seed)
            for part in prob.parts:
                for m in part.misconceptions:
                    wrong = variant.solve(bug=m.bug).get(part.id)
                    if wrong is None:
                        continue
                    grader = ProblemGrader("q", variant, 1.0, "en")
                    result = grader.grade(part, part.answer.key_value(wrong))
                    if result.check != f"misconception:{m.bug}":
                        continue          # the slip changes nothing here, or an earlier one matched
                    ref = part.answer.read_reference(variant.answers[part.id], grader.ctx)
                    floor = part.answer.compare(ref, part.answer.read(part.answer.key_value(wrong),
                                                                       grader.ctx), grader.ctx).score
                    share = max(m.credit, floor)
                    assert result.verdict == ("partial" if share > 0 else "incorrect")
                    assert result.score == pytest.approx(round(part.points * share, 6))
                    paid += m.credit == 0.8
                    paid += 1
        assert paid >= 10


# answer to a, answer to b, follow_credit, verdict of b, share of b's points, check of b
FOLLOW_TABLE = [
    (12, 24, 1.0, "correct", 1.0, "follow-through:a"),       # right given the student's own a
    (12, 24, 0.5, "partial", 0.5, "follow-through:a"),       # follow_credit is what it pays
    (12, 24, 0.75, "partial", 0.75, "follow-through:a"),
    (12, 20, 0.5, "correct", 1.0, "stub-exact"),             # the true reference pays in full
    (10, 24, 0.5, "incorrect", 0.0, "stub-far"),             # a was right: nothing to follow from
    (None, 24, 0.5, "incorrect", 0.0, "stub-far"),           # no earlier answer: nothing to follow
    (12, 31, 0.5, "incorrect", 0.0, "stub-far"),             # b-off from the student's a is no slip of b
    (10, 27, 0.5, "partial", 0.25, "misconception:b-off"),   # b-off from the true a: credit 0.25
]


class TestFollowCredit:
    @pytest.mark.parametrize("a, b, follow_credit, verdict, share, check", FOLLOW_TABLE)
    def test_follow_through_pays_follow_credit(self, a, b, follow_credit, verdict, share, check):
        result = grade(problem({"far": 0.0}, follow_credit), {"a": a, "b": b})["b"]
        assert (result.verdict, result.check) == (verdict, check)
        assert result.score == pytest.approx(POINTS * SCALE * share)
        if check.startswith("follow-through"):
            assert "your own answer to a" in result.feedback

    def test_follow_through_never_rescues_a_wrong_earlier_part(self):
        results = grade(problem({"far": 0.0}, 1.0), {"a": 12, "b": 24})
        assert results["a"].verdict == "incorrect" and results["a"].score == 0


def multi(options: int, partial: bool = True):
    return ANSWER_TYPES["multi-choice"]({"options": [{"id": chr(97 + i), "text": {"en": "o", "ru": "o"}}
                                                      for i in range(options)], "partial": partial})


def mc_score(answer_type, key, chosen):
    from grader.answer_types.base import Context
    ctx = Context(params={})
    return answer_type.compare(answer_type.read_reference(key, ctx), answer_type.read(chosen, ctx), ctx).score


# options, key, chosen, score: right chosen / #right - wrong chosen / #wrong, floored at 0
MULTI_TABLE = [
    (4, ["a", "b"], ["a", "b"], 1.0),
    (4, ["a", "b"], ["a"], 0.5),
    (4, ["a", "b"], ["a", "c"], 0.0),             # one right, one wrong
    (4, ["a", "b"], ["a", "b", "c"], 0.5),
    (4, ["a", "b"], [], 0.0),                     # empty never pays
    (4, ["a", "b"], ["a", "b", "c", "d"], 0.0),   # everything never pays
    (4, ["a", "b", "c"], ["a", "b", "c", "d"], 0.0),   # not even when most options are right
    (4, ["a", "b", "c"], ["a", "b"], 2 / 3),
    (4, ["a", "b", "c"], ["a", "d"], 0.0),
    (5, ["a"], ["a", "b"], 0.75),                 # 1 - 1/4
    (5, ["a", "b"], ["a", "c"], 1 / 6),           # 1/2 - 1/3
    (5, ["a"], ["b", "c", "d", "e"], 0.0),        # every wrong one: classified 1 of 5 right, pays 0
    (3, [], [], 1.0),                             # the key itself is empty: exact
    (3, [], ["a"], 0.0),
    (3, ["a", "b", "c"], ["a", "b", "c"], 1.0),   # the key is everything: exact
]


class TestMultiChoicePartial:
    @pytest.mark.parametrize("options, key, chosen, score", MULTI_TABLE)
    def test_share_right_minus_share_wrong(self, options, key, chosen, score):
        assert mc_score(multi(options), key, chosen) == pytest.approx(score)

    @pytest.mark.parametrize("options, key, chosen", [(r[0], r[1], r[2]) for r in MULTI_TABLE if r[3] < 1])
    def test_without_partial_only_the_exact_key_pays(self, options, key, chosen):
        assert mc_score(multi(options, partial=False), key, chosen) == 0.0

    @pytest.mark.parametrize("options, key", [(4, ["a", "b"]), (5, ["a", "c", "e"]), (2, ["a"])])
    def test_exact_key_pays_in_full(self, options, key):
        assert mc_score(multi(options), key, list(reversed(key))) == 1.0
