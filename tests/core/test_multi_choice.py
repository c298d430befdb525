"""Multi-choice partial credit: right chosen share minus wrong chosen share, floored at 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.answer_types.base import Context
from grader.answer_types.registry import ANSWER_TYPES
from grader.bank.loader import load_set
from grader.grading.submission import SubmissionGrader
from grader.render.sheets import student_variants

CTX = Context(params={})
IDS = ["a", "b", "c", "d", "e"]
OPTS = {"options": [{"id": i, "text": {"en": i.upper(), "ru": i.upper()}} for i in IDS], "partial": True}


def score(ref, ans, options=OPTS):
    t = ANSWER_TYPES["multi-choice"](options)
    return t.compare(t.read_reference(ref, CTX), t.read(ans, CTX), CTX).score


@pytest.mark.parametrize("ref, ans, expected", [
    (["a", "b"], ["a", "b"], 1.0),                 # exact
    (["a", "b"], [], 0.0),                         # empty selection pays nothing
    (["a", "b"], IDS, 0.0),                        # everything pays nothing
    (["a", "b", "c", "d"], IDS, 0.0),              # ... even when most options are right
    (IDS, IDS, 1.0),                               # unless every option is right
    (["a", "b"], ["a"], 0.5),                      # half the right ones, nothing wrong
    (["a", "b"], ["a", "c"], 0.5 - 1 / 3),         # one right, one of three wrong
    (["a", "b"], ["c"], 0.0),                      # only wrong: floored at 0
    (["a", "b", "c", "d"], ["a", "b", "c"], 0.75),
    ([], [], 1.0), ([], ["a"], 0.0),               # "none of them" is an answer too
])
def test_rule_table(ref, ans, expected):
    assert score(ref, ans) == pytest.approx(expected)


def test_without_partial_only_the_exact_set_scores():
    assert score(["a", "b"], ["a"], {**OPTS, "partial": False}) == 0.0


@pytest.mark.parametrize("lang, words", [("en", "choosing nothing or everything"), ("ru", "пустой выбор")])
def test_the_rule_is_on_the_sheet(lang, words):
    t = ANSWER_TYPES["multi-choice"](OPTS)
    assert words in t.sheet_note(lang)
    assert words not in ANSWER_TYPES["multi-choice"]({**OPTS, "partial": False}).sheet_note(lang)


def test_kernels_violators_empty_and_all_score_nothing():
    """Issue 11: kernels q3 `violators: []` used to earn 1.67 of 2."""
    root = Path(__file__).resolve().parents[2]
    pset = load_set(root / "sets" / "kernels.yaml")
    secret = b"test-secret-0123456789"
    grader = SubmissionGrader(pset, secret)
    variant = dict((e.key, v) for e, v in student_variants(pset, secret, "s001"))["q3"]
    ids = [o["id"] for o in variant.problem.part("violators").answer.options["options"]]
    for choice in ([], ids):
        if sorted(choice) == sorted(variant.answers["violators"]):
            continue
        r = grader.grade_answers("s001", {"q3": {"violators": choice}})
        row = next(p for p in r.parts if p.key == "q3" and p.part == "violators")
        assert row.score == 0, choice


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_hint_names_no_selection_that_could_be_the_answer(lang):
    hint = ANSWER_TYPES["multi-choice"](OPTS).hint(lang)
    assert "[a, b]" not in hint and "[id1, id2]" in hint
