"""The grading chain of one part: missing, invalid, correct, undecided, follow-through, misconception."""

from __future__ import annotations

import pytest

from grader.answer_types.base import Comparison
from grader.answer_types.registry import ANSWER_TYPES
from grader.bank.model import Misconception, Part, Problem
from grader.grading.part import ProblemGrader
from grader.variants import Variant


def two_steps(p, *, bug=None, given=None):
    """w1 = w0 - lr*g(w0), w2 = w1 - lr*g(w1) with g(w) = 2(w - 3): a tiny chained solver."""
    lr = 0.25 if bug != "double-rate" else 0.5
    w1 = p["w0"] - lr * 2 * (p["w0"] - 3)
    if bug == "ascent":
        w1 = p["w0"] + lr * 2 * (p["w0"] - 3)
    if given and "w1" in given:
        w1 = float(given["w1"])
    w2 = w1 - lr * 2 * (w1 - 3)
    return {"w1": w1, "w2": w2}


def make_problem(extra_part=None):
    number = ANSWER_TYPES["number"]({"tolerance": {"abs": 1e-6}})
    fb = {"en": "You climbed the loss.", "ru": "Шаг вверх."}
    parts = (
        Part("w1", "number", 1.0, {"en": "", "ru": ""}, number, (Misconception("ascent", fb),)),
        Part("w2", "number", 1.0, {"en": "", "ru": ""}, number,
             (Misconception("double-rate", {"en": "Rate doubled.", "ru": "Шаг удвоен."}),), ("w1",)),
    ) + ((extra_part,) if extra_part else ())
    return Problem(id="toy", family="T1", topic="toy", title={"en": "t", "ru": "t"},
                   statement={"en": "", "ru": ""}, params={}, constraints=(), solver_name="toy",
                   solver=two_steps, parts=parts, seed={}, notes="", file="toy.yaml")


@pytest.fixture
def variant():
    problem = make_problem()
    params = {"w0": 1.0}
    return Variant(problem, 1, params, two_steps(params))   # w1 = 2, w2 = 2.5


def grade_all(variant, answers):
    grader = ProblemGrader("q1", variant, 1.0, "en")
    return {p.id: grader.grade(p, answers.get(p.id)) for p in variant.problem.parts}


class TestChain:
    def test_correct(self, variant):
        r = grade_all(variant, {"w1": 2, "w2": "5/2"})
        assert r["w1"].verdict == r["w2"].verdict == "correct"
        assert r["w2"].check == "tolerance" and r["w2"].interpreted["plain"] == "5/2"

    def test_missing_and_invalid(self, variant):
        r = grade_all(variant, {"w1": "   ", "w2": "2 +"})
        assert r["w1"].verdict == "missing" and r["w1"].score == 0
        assert r["w2"].verdict == "invalid" and r["w2"].check == "parse" and r["w2"].feedback

    def test_misconception_feedback(self, variant):
        wrong = two_steps({"w0": 1.0}, bug="ascent")["w1"]
        r = grade_all(variant, {"w1": wrong})
        assert r["w1"].verdict == "incorrect" and r["w1"].check == "misconception:ascent"
        assert r["w1"].feedback == "You climbed the loss." and r["w1"].misconception == "ascent"

    def test_follow_through_from_a_wrong_but_plausible_step(self, variant):
        # w1 wrong (1.5); w2 computed correctly from it: 1.5 - 0.5*(1.5-3) = 2.25
        r = grade_all(variant, {"w1": 1.5, "w2": 2.25})
        assert r["w1"].verdict == "incorrect"
        assert r["w2"].verdict == "correct" and r["w2"].check == "follow-through:w1"
        assert "your own answer to w1" in r["w2"].feedback

    def test_no_follow_through_from_a_degenerate_value(self, variant):
        # w1 = 0 would make w2 = 1.5 "correct from it"; zero is refused as a basis
        r = grade_all(variant, {"w1": 0, "w2": 1.5})
        assert r["w2"].verdict == "incorrect"

    def test_follow_through_not_needed_when_the_earlier_part_was_right(self, variant):
        r = grade_all(variant, {"w1": 2, "w2": 2.25})
        assert r["w2"].verdict == "incorrect"

    def test_scores_are_scaled(self, variant):
        grader = ProblemGrader("q1", variant, 2.5, "en")
        result = grader.grade(variant.problem.part("w1"), 2)
        assert result.score == result.max == 2.5


class Undecidable(type(ANSWER_TYPES["number"]({}))):
    """A number type whose comparison can never settle (stands in for a sympy timeout)."""

    def compare(self, ref, ans, ctx):
        return Comparison(None, "timeout", "")


class TestUndecided:
    def test_undecided_scores_zero_and_says_so(self):
        part = Part("u", "number", 1.0, {"en": "", "ru": ""}, Undecidable({}))
        problem = make_problem(part)

        def solver(p, *, bug=None, given=None):
            return {**two_steps(p, bug=bug, given=given), "u": 1.0}

        problem = Problem(**{**problem.__dict__, "solver": solver})
        variant = Variant(problem, 1, {"w0": 1.0}, solver({"w0": 1.0}))
        r = ProblemGrader("q1", variant, 1.0, "en").grade(part, 1.0)
        assert r.verdict == "undecided" and r.score == 0 and r.check == "timeout"
        assert "review" in r.feedback
