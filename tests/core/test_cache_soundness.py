"""The verdict cache is sound by construction (issue 17 item 4).

A comparison's outcome depends on the problem, the part, the sampling seed, the value
compared with, the student's raw answer and, for property checks, the drawn parameters.
Two comparisons differing in any of these must never share an entry; and a cached batch
built so that answers collide must grade exactly as an uncached one.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.answer_types.base import AnswerType, Comparison, Reading
from grader.bank.loader import load_set
from grader.bank.model import Misconception, Part, Problem
from grader.grading.cache import CachingSubmissionGrader, ComparisonCache, _TooBig, canonical
from grader.grading.part import ProblemGrader
from grader.render.sheets import student_variants
from grader.variants import draw_variant

ROOT = Path(__file__).resolve().parents[2]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, width=16),
                    st.sampled_from(["", "1", "x", "a b"]), st.fractions(max_denominator=4))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner),
    st.dictionaries(st.sampled_from(["a", "b", "1"]), inner, max_size=3)), max_leaves=8)


def same(x, y) -> bool:
    """Could grading tell x and y apart? Types, order and float bits all count."""
    if type(x) is not type(y):
        return False
    if isinstance(x, float):
        return repr(x) == repr(y)
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(map(same, x, y))
    if isinstance(x, dict):
        return list(x) == list(y) and all(same(x[k], y[k]) for k in x)
    return x == y


class TestCanonical:
    @settings(max_examples=150, deadline=None)
    @given(values, values)
    def test_equal_text_exactly_when_indistinguishable(self, x, y):
        assert (canonical(x) == canonical(y)) == same(x, y)

    @settings(max_examples=100, deadline=None)
    @given(values)
    def test_a_value_always_keys_as_itself(self, x):
        import copy
        assert canonical(x) == canonical(copy.deepcopy(x))

    @pytest.mark.parametrize("a, b", [
        (1, 1.0), (1, True), (1, "1"), (0, False), (None, "None"), ([1], (1,)), (0.0, -0.0),
        (0.1 + 0.2, 0.3), (Fraction(1, 3), 1 / 3), ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        (["1, 2"], ["1", "2"]), ("a,", ["a"]),
        (np.array([0.123456789012]), np.array([0.123456789013])),     # repr shows 8 digits
        (np.zeros(2000), np.concatenate([np.zeros(1999), [1.0]])),     # repr abbreviates
        (np.array([[1, 2]]), np.array([1, 2])), (np.float64(0.5), 0.5),
    ])
    def test_values_grading_can_tell_apart_key_apart(self, a, b):
        assert canonical(a) != canonical(b)

    def test_nesting_deeper_than_the_stack_is_fine(self):
        deep: list = []
        for _ in range(5_000):
            deep = [deep]
        assert canonical(deep).count("[") == 5_001

    def test_values_without_an_exact_text_are_not_cached(self):
        with pytest.raises(_TooBig):
            canonical({"x": object()})
        memo = ComparisonCache()
        calls = []
        for _ in range(2):
            memo.compare(("p",), (object(),), lambda: calls.append(1) or "v")
        assert len(calls) == 2 and memo.stats.bypassed == 2


FIELDS = ("problem", "part", "seed", "value", "raw", "params")


def memo_call(memo, c: dict, outcome):
    return memo.compare((c["problem"], c["part"], c["seed"]), (c["value"], c["raw"], c["params"]),
                        lambda: outcome)


class TestComparisonCacheKeys:
    @settings(max_examples=100, deadline=None)
    @given(st.fixed_dictionaries({f: values for f in FIELDS}), st.sampled_from(FIELDS), values)
    def test_comparisons_differing_in_one_input_never_share_an_entry(self, base, field, other):
        changed = dict(base, **{field: other})
        memo = ComparisonCache()
        assert memo_call(memo, base, "first") == "first"
        expected = "first" if same(base[field], other) else "second"
        assert memo_call(memo, changed, "second") == expected

    def test_shape_errors_are_remembered_and_raised_again(self):
        from grader.lang import AnswerError
        memo = ComparisonCache()

        def fail():
            raise AnswerError("wrong shape")
        for _ in range(2):
            with pytest.raises(AnswerError, match="wrong shape"):
                memo.compare(("p",), (1,), fail)
        assert memo.stats.hits == 1


# ---------------------------------------------------------------------------------
# Through the grader: every input the comparison reads must be in the key it passes.

class Fingerprint(AnswerType):
    """Its verdict names everything it was given, so a shared entry with a different
    input shows as a different outcome."""

    name = "fingerprint"

    def read(self, raw, ctx):
        return Reading(raw, str(raw))

    def compare(self, ref, ans, ctx):
        seen = [self.options["salt"], ctx.seed, canonical(ref.value), canonical(ans.value)]
        if self.reads_params:
            seen.append(canonical(ctx.params))
        return Comparison(1.0 if ref.value == ans.value else 0.0, "|".join(map(str, seen)))


class PropertyFingerprint(Fingerprint):
    reads_params = True


def solver(p, *, bug=None, given=None):
    """``x`` depends on the draw, ``y`` follows x, ``prop`` is one valid answer of a
    property check: the same value for every draw, judged against the parameters."""
    x = p["k"] + (1 if bug == "slip" else 0)
    x_used = (given or {}).get("x", x)
    return {"x": x, "y": 2 * x_used, "prop": 7}


def make_problem(pid: str) -> Problem:
    def part(part_id, kind, **extra):
        return Part(id=part_id, type="fingerprint", points=1.0, prompt={}, answer=kind({"salt": pid + part_id}),
                    misconceptions=(Misconception("slip", {"en": "slip", "ru": "slip"}),), **extra)
    return Problem(id=pid, family="T", topic="t", title={}, statement={},
                   params={"k": {"type": "int", "min": 0, "max": 2}}, constraints=(), solver_name="t:s",
                   solver=solver, parts=(part("x", Fingerprint), part("y", Fingerprint, follows=("x",)),
                                         part("prop", PropertyFingerprint)), seed={}, notes="", file="<t>")


class SpyCache(ComparisonCache):
    """A cache that also computes every comparison afresh and checks the two agree."""

    def compare(self, scope, inputs, compute):
        cached = super().compare(scope, inputs, compute)
        fresh = compute()
        assert cached == fresh, (scope, inputs, cached, fresh)
        return cached


class TestGraderKeysEveryInput:
    # differing_executors: mutmut runs a test method many times in one process
    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])
    @given(st.lists(st.tuples(st.sampled_from(["p1", "p2"]), st.integers(0, 5), st.sampled_from([None, 1, 2]),
                              st.fixed_dictionaries({pid: st.sampled_from([0, 1, 2, 3, 4, 7, "7", 7.0])
                                                     for pid in ("x", "y", "prop")})),
                    min_size=2, max_size=12))
    def test_a_shared_cache_never_changes_an_outcome(self, gradings):
        """Problems, parts, seeds, draws and answers drawn from small pools collide often."""
        problems = {pid: make_problem(pid) for pid in ("p1", "p2")}
        memo = SpyCache()
        for pid, variant_seed, sampling, answers in gradings:
            prob = problems[pid]
            grader = ProblemGrader("q", draw_variant(prob, variant_seed), 1.0, "en",
                                   sampling_seed=sampling, memo=memo)
            cached = [grader.grade(part, answers[part.id]) for part in prob.parts]
            fresh_grader = ProblemGrader("q", draw_variant(prob, variant_seed), 1.0, "en", sampling_seed=sampling)
            assert cached == [fresh_grader.grade(part, answers[part.id]) for part in prob.parts]


    def test_every_combination_of_small_pools(self):
        """The deterministic sweep: two problems x six draws x three sampling seeds x two answer sets."""
        problems = [make_problem(pid) for pid in ("p1", "p2")]
        memo = SpyCache()
        for answers in ({"x": 2, "y": 2, "prop": 7}, {"x": 1, "y": 4, "prop": 7.0}, {"x": 1, "y": 2, "prop": "7"}):
            for prob in problems:
                for variant_seed in range(6):
                    for sampling in (None, 1, 2):
                        grader = ProblemGrader("q", draw_variant(prob, variant_seed), 1.0, "en",
                                               sampling_seed=sampling, memo=memo)
                        for part in prob.parts:
                            grader.grade(part, answers[part.id])
        assert memo.stats.hits > 0


@pytest.fixture(scope="module")
def demo():
    return load_set(str(ROOT / "sets" / "demo.yaml"))


SECRET = b"cache-soundness-secret-0123"


def key_answers(pset, student):
    return {entry.key: {p.id: p.answer.key_value(variant.answers[p.id]) for p in entry.problem.parts}
            for entry, variant in student_variants(pset, SECRET, student)}


class TestCollidingBatches:
    @settings(max_examples=3, deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.differing_executors])
    @given(st.lists(st.sampled_from(["s001", "s002", "s003"]), min_size=4, max_size=4), st.randoms())
    def test_cached_and_uncached_grading_agree_when_everyone_copies(self, demo, copied, rnd):
        """Each student hands in, problem by problem, the key of one of three classmates:
        the same raw answers meet different draws, seeds and parameters."""
        keys = {s: key_answers(demo, s) for s in set(copied)}
        cached = CachingSubmissionGrader(demo, SECRET)
        uncached = CachingSubmissionGrader(demo, SECRET, cache_size=0)
        for i, source in enumerate(copied):
            student = f"c{i:03d}"
            answers = {k: keys[rnd.choice(sorted(keys))][k] for k in keys[source]}
            a = cached.grade_answers(student, answers).to_json()
            b = uncached.grade_answers(student, answers).to_json()
            assert a == b
        assert cached.stats.hits > 0

    def test_property_parts_copied_across_draws_are_judged_per_draw(self, demo):
        """The logic-gates units are property checks: one student's weights may be wrong for another."""
        cached = CachingSubmissionGrader(demo, SECRET)
        uncached = CachingSubmissionGrader(demo, SECRET, cache_size=0)
        answers = key_answers(demo, "s001")
        verdicts = set()
        for i in range(12):
            a = cached.grade_answers(f"d{i:03d}", answers)
            b = uncached.grade_answers(f"d{i:03d}", answers)
            assert a.to_json() == b.to_json()
            verdicts |= {p.verdict for p in a.parts if p.key == "q4"}
        assert len(verdicts) > 1 and not math.isnan(cached.stats.hit_rate)
