"""Bounded time per answer file (issue 11, item 6): one budget covers all parts together."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from grader.answer_types.base import Comparison
from grader.answer_types.registry import ANSWER_TYPES
from grader.bank.loader import load_set
from grader.bank.model import Part, Problem
from grader.errors import AuthorError
from grader.grading.cache import ComparisonCache
from grader.grading.part import BUDGET_TEXT, ProblemGrader
from grader.grading.submission import SubmissionGrader
from grader.lang import sympy_worker
from grader.render.sheets import student_variants
from grader.variants import Variant

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"test-secret-0123456789"


def _largest_sets():
    """The set with the most parts, and the one with the most formula parts."""
    sets = [load_set(p) for p in sorted((ROOT / "sets").glob("*.yaml"))]
    formulas = lambda s: sum(p.type.endswith("expression") for e in s.entries for p in e.problem.parts)  # noqa: E731
    most = max(sets, key=lambda s: sum(len(e.problem.parts) for e in s.entries))
    return sorted({most.id: most, max(sets, key=formulas).id: max(sets, key=formulas)}.values(),
                  key=lambda s: s.id)


def _hostile(part, reference) -> str:
    """`sqrt(0) + (sin(v)+cos(v))^40`-style answers, shaped to fit each part."""
    names = dict(getattr(part.answer, "variables", {}) or {})
    if part.type == "matrix-expression":
        vectors = [n for n, v in names.items() if tuple(v["shape"])[1:] == (1,)]
        s = f"{vectors[0]}^T {vectors[0]}" if vectors else f"tr({next(iter(names))})"
        return f"({reference}) + sqrt(0) ({reference}) + (sin({s}) + cos({s}))^40 ({reference})"
    v = next(iter(names), "1")
    return f"sqrt(0) + (sin({v}) + cos({v}))^40"


@pytest.mark.slow
@pytest.mark.parametrize("pset", _largest_sets(), ids=lambda s: s.id)
def test_a_hostile_file_ends_within_its_budget(pset):
    budget = 4.0
    pset = dataclasses.replace(pset, time_budget_s=budget)
    variants = {e.key: v for e, v in student_variants(pset, SECRET, "s001")}
    answers = {e.key: {p.id: _hostile(p, variants[e.key].answers[p.id]) for p in e.problem.parts}
               for e in pset.entries}
    grader = SubmissionGrader(pset, SECRET)
    sympy_worker.POOL.prewarm()
    started = time.monotonic()
    result = grader.grade_answers("s001", answers)
    took = time.monotonic() - started
    assert took < 5 * budget + 20, took          # a generous multiple: the point is "bounded"
    assert all(p.verdict != "correct" for p in result.parts)
    late = [p for p in result.parts if p.check == "time-budget"]
    assert all(p.verdict == "undecided" and p.score == 0 and p.feedback == BUDGET_TEXT["en"] for p in late)


def test_the_budget_is_a_set_field_with_a_default(tmp_path):
    assert load_set(ROOT / "sets" / "demo.yaml").time_budget_s == 10
    text = (ROOT / "sets" / "demo.yaml").read_text()
    (tmp_path / "s.yaml").write_text(text + "time_budget_s: 3\n")
    assert load_set(tmp_path / "s.yaml").time_budget_s == 3
    (tmp_path / "bad.yaml").write_text(text + "time_budget_s: 0\n")
    with pytest.raises(AuthorError, match="time budget"):
        load_set(tmp_path / "bad.yaml")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_parts_after_the_budget_are_undecided_and_say_so(lang):
    pset = dataclasses.replace(load_set(ROOT / "sets" / "demo.yaml"), time_budget_s=1e-9)
    key = pset.entries[0].key
    part = pset.entries[0].problem.parts[0]
    result = SubmissionGrader(pset, SECRET, lang).grade_answers("s001", {key: {part.id: 1}})
    row = next(p for p in result.parts if p.key == key and p.part == part.id)
    assert (row.verdict, row.check, row.score) == ("undecided", "time-budget", 0)
    assert row.feedback == BUDGET_TEXT[lang]
    missing = next(p for p in result.parts if p.part != part.id)
    assert missing.verdict == "missing"          # no answer is still "missing", not "undecided"


class _TimesOut(type(ANSWER_TYPES["number"]({}))):
    def compare(self, ref, ans, ctx):
        return Comparison(None, "timeout", "")


def test_a_timeout_is_never_memoised():
    """Another file, with time left, must not inherit this file's timeout from the cache."""
    part = Part("u", "number", 1.0, {"en": "", "ru": ""}, _TimesOut({}))
    problem = Problem(id="toy", family="T", topic="t", title={"en": "t", "ru": "t"},
                      statement={"en": "", "ru": ""}, params={}, constraints=(), solver_name="toy",
                      solver=lambda p, bug=None, given=None: {"u": 1.0}, parts=(part,), seed={},
                      notes="", file="toy.yaml")
    memo = ComparisonCache()
    r = ProblemGrader("q1", Variant(problem, 1, {}, {"u": 1.0}), 1.0, "en", memo=memo).grade(part, 2)
    assert r.verdict == "undecided" and len(memo.table) == 0
