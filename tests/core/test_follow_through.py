"""Follow-through rewards work only: degenerate, copied and trivial earlier answers get nothing.

The first class pins the cases reported in issue 11; the second walks every chained family
of the bank (every part with ``follows``) with a degenerate, a copied and a trivial earlier
answer, and checks that real follow-through (from a named slip) still pays.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.bank.loader import load_bank, load_set
from grader.grading.follow import degenerate, numbers, passes_guard
from grader.grading.part import ProblemGrader
from grader.grading.submission import SubmissionGrader
from grader.render.sheets import student_variants
from grader.variants import draw_variant

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"test-secret-0123456789"
BANK = load_bank()
CHAINED = sorted(pid for pid, p in BANK.items() if any(part.follows for part in p.parts))


def _row(result, key, part):
    return next(p for p in result.parts if p.key == key and p.part == part)


def _followed(row) -> bool:
    return row.check.startswith("follow-through")


@pytest.fixture(scope="module")
def demo():
    pset = load_set(ROOT / "sets" / "demo.yaml")
    return SubmissionGrader(pset, SECRET), {e.key: v for e, v in student_variants(pset, SECRET, "s001")}


class TestReportedCases:
    """Issue 11, "Follow-through from no work": each case gets no follow-through credit."""

    def test_layers_all_ones_do_not_earn_the_total(self, demo):
        grader, _ = demo
        r = grader.grade_answers("s001", {"q1": {"layers": [1, 1, 1, 1], "total": 4}})
        assert _row(r, "q1", "total").verdict == "incorrect" and _row(r, "q1", "total").score == 0

    def test_a_slip_in_one_layer_still_earns_the_total(self, demo):
        grader, variants = demo
        layers = list(variants["q1"].answers["layers"])
        layers[1] += 10   # an arithmetic slip in one layer; the sum of the student's counts is real work
        r = grader.grade_answers("s001", {"q1": {"layers": layers, "total": int(sum(layers))}})
        assert _followed(_row(r, "q1", "total")) and _row(r, "q1", "total").verdict == "correct"

    def test_least_squares_value_as_first_step_does_not_earn_the_second(self, demo):
        grader, variants = demo
        ols = float(variants["q3"].answers["ols"])
        r = grader.grade_answers("s001", {"q3": {"gd_w1": ols, "gd_w2": ols}})
        assert not _followed(_row(r, "q3", "gd_w2")) and _row(r, "q3", "gd_w2").score == 0

    def test_a_first_step_that_did_not_move_is_not_followed(self, demo):
        grader, variants = demo
        v = variants["q3"]
        w0 = v.params["w0"]
        again = v.solve(given={"gd_w1": w0})["gd_w2"]
        r = grader.grade_answers("s001", {"q3": {"gd_w1": w0, "gd_w2": float(again)}})
        assert not _followed(_row(r, "q3", "gd_w2"))

    def test_uniform_responsibilities_earn_no_m_step(self, demo):
        grader, variants = demo
        half = [[0.5, 0.5]] * 5
        rerun = variants["q6"].solve(given={"resp": half})
        r = grader.grade_answers("s001", {"q6": {"resp": half, "pi": rerun["pi"], "mu": rerun["mu"],
                                                 "var": rerun["var"]}})
        for part in ("pi", "mu", "var"):
            assert not _followed(_row(r, "q6", part)) and _row(r, "q6", part).score == 0, part

    def test_responsibilities_must_be_rows_of_probabilities(self, demo):
        grader, variants = demo
        resp = np.array(variants["q6"].answers["resp"])
        bad = (resp * 1.3).round(3).tolist()       # near, not constant, but rows sum to 1.3
        rerun = variants["q6"].solve(given={"resp": bad})
        r = grader.grade_answers("s001", {"q6": {"resp": bad, "mu": rerun["mu"]}})
        assert not _followed(_row(r, "q6", "mu"))

    def test_slightly_wrong_responsibilities_are_followed(self, demo):
        grader, variants = demo
        resp = np.array(variants["q6"].answers["resp"])
        slip = resp.copy()
        slip[2] = slip[2][::-1] if abs(slip[2][0] - slip[2][1]) > 0.05 else [0.6, 0.4]   # one row swapped
        slip = slip.round(3).tolist()
        rerun = variants["q6"].solve(given={"resp": slip})
        r = grader.grade_answers("s001", {"q6": {"resp": slip, "mu": rerun["mu"]}})
        assert _followed(_row(r, "q6", "mu"))

    def test_tiny_backprop_weights_then_a_copied_second_step(self):
        problem = BANK["mlp-backprop-two-steps"]
        v = draw_variant(problem, 7)
        tiny = {pid: (np.full(np.shape(v.answers[pid]), 1e-6)).tolist() for pid in ("w3_1", "W2_1", "W1_1")}
        g = ProblemGrader("q5", v, 1.0, "en")
        answers = {**tiny, "w3_2": tiny["w3_1"], "W2_2": tiny["W2_1"], "W1_2": tiny["W1_1"]}
        rows = {p.id: g.grade(p, answers.get(p.id)) for p in problem.parts}
        for pid in ("w3_2", "W2_2", "W1_2"):
            assert not _followed(rows[pid]) and rows[pid].score == 0, pid

    def test_copied_second_step_from_a_real_but_stationary_first(self):
        """Even a plausible-looking first step is not followed when the re-run just copies it."""
        problem = BANK["lsq-gd-two-steps"]
        for seed in range(30):
            v = draw_variant(problem, seed)
            ols = float(v.answers["ols"])
            if abs(ols - float(v.answers["gd_w1"])) < 0.5 and abs(ols - v.params["w0"]) > 1e-9:
                break
        g = ProblemGrader("q3", v, 1.0, "en")
        rows = {p.id: g.grade(p, {"gd_w1": ols, "gd_w2": ols}.get(p.id)) for p in problem.parts}
        assert not _followed(rows["gd_w2"])


class TestGuardRules:
    """The rules of grading/follow.py, one at a time."""

    def test_constant_is_degenerate_only_when_the_reference_is_not(self):
        assert degenerate(np.array([1.0, 1.0]), np.array([2.0, 3.0]), {})
        assert not degenerate(np.array([1.0, 1.0]), np.array([2.0, 2.0]), {})

    def test_a_copied_parameter_is_degenerate(self):
        assert degenerate(np.array([[1.0, 2.0]]), np.array([[1.5, 2.5]]), {"A": [[1, 2]]})
        assert not degenerate(np.array([[1.0, 2.0]]), np.array([[1.0, 2.0]]), {"A": [[1, 2]]})

    @pytest.mark.parametrize("guard, ans, ok", [
        ({}, [10.0], True), ({}, [16.1], False), ({"near_rel": 1}, [16.1], True),
        ({"distribution": "entries"}, [0.2, 1.1], False),
        ({"distribution": "vector"}, [0.2, 0.7], False), ({"distribution": "vector"}, [0.3, 0.7], True),
        ({"misconceptions_only": True}, [10.0], False),
    ])
    def test_band_and_distribution(self, guard, ans, ok):
        ref = np.array([10.0]) if len(ans) == 1 else np.array([0.25, 0.75])
        assert passes_guard(guard, np.array(ans), ref, {}) is ok

    def test_rows_must_sum_to_one(self):
        ref = np.array([[0.2, 0.8], [0.6, 0.4]])
        assert passes_guard({"distribution": "rows"}, np.array([[0.3, 0.7], [0.6, 0.4]]), ref, {})
        assert not passes_guard({"distribution": "rows"}, np.array([[0.3, 0.8], [0.6, 0.4]]), ref, {})

    def test_a_step_must_move_a_real_share(self):
        guard = {"start": "w0", "near_abs": 5}
        assert not passes_guard(guard, np.array(1.02), np.array(2.0), {"w0": 1})
        assert passes_guard(guard, np.array(1.5), np.array(2.0), {"w0": 1})

    def test_numbers_reads_only_finite_numeric_values(self):
        assert numbers("x") is None and numbers(None) is None and numbers([np.inf]) is None
        assert numbers(3).shape == ()


# ---------------------------------------------------------------------------------
# Every chained family

def _variants(problem, n=4):
    return [draw_variant(problem, 1000 + s) for s in range(n)]


def _grade(variant, answers):
    g = ProblemGrader("q", variant, 1.0, "en")
    return {p.id: g.grade(p, answers.get(p.id)) for p in variant.problem.parts}


def _key(part, value):
    return part.answer.key_value(value)


def _rerun_answer(variant, part, given):
    try:
        return _key(part, variant.solve(given=given)[part.id])
    except Exception:  # noqa: BLE001 -- a solver may refuse such a value; nothing to follow then
        return None


def _degenerate_values(variant, dep):
    """Earlier answers that took no work: zeros, a constant, a given copied."""
    ref = numbers(variant.answers[dep.id]) if not isinstance(variant.answers[dep.id], str) else None
    if ref is None:
        return []
    out = [np.zeros(ref.shape).tolist()]
    if ref.size > 1:
        out.append(np.full(ref.shape, round(float(np.mean(ref)), 2)).tolist())
    for value in variant.params.values():
        arr = numbers(value)
        if arr is not None and arr.shape == ref.shape and not np.allclose(arr, ref):
            out.append(arr.tolist())
    return out


@pytest.mark.parametrize("pid", CHAINED)
class TestEveryChainedFamily:
    def test_degenerate_earlier_answers_earn_nothing_later(self, pid):
        problem, tried = BANK[pid], 0
        for v in _variants(problem):
            for part in (p for p in problem.parts if p.follows):
                for dep_id in part.follows:
                    dep = problem.part(dep_id)
                    for bad in _degenerate_values(v, dep):
                        later = _rerun_answer(v, part, {dep_id: bad})
                        if later is None:
                            continue
                        rows = _grade(v, {dep_id: bad, part.id: later})
                        tried += 1
                        if rows[dep_id].misconception or rows[dep_id].verdict == "correct":
                            continue   # the guess happens to be a named slip (or right): work after all
                        assert not _followed(rows[part.id]), (pid, part.id, dep_id, bad)
        if any(numbers(v) is not None for v in _variants(problem, 1)[0].answers.values()):
            assert tried, pid

    def test_a_later_answer_copied_from_the_earlier_one_is_never_followed(self, pid):
        problem = BANK[pid]
        for v in _variants(problem):
            for part in (p for p in problem.parts if p.follows):
                for dep_id in part.follows:
                    dep = problem.part(dep_id)
                    for m in dep.misconceptions:
                        wrong = v.solve(bug=m.bug).get(dep_id)
                        if wrong is None:
                            continue
                        rows = _grade(v, {dep_id: _key(dep, wrong), part.id: _key(dep, wrong)})
                        assert not _followed(rows[part.id]), (pid, part.id, m.bug)

    def test_a_named_slip_is_still_followed_somewhere(self, pid):
        """Positive control: the guards do not switch follow-through off for the family."""
        problem, paid, possible = BANK[pid], 0, 0
        for v in _variants(problem, 6):
            for part in (p for p in problem.parts if p.follows):
                deps = [problem.part(d) for d in part.follows]
                for m in deps[0].misconceptions:
                    wrong = v.solve(bug=m.bug).get(deps[0].id)
                    if wrong is None:
                        continue
                    given = {deps[0].id: wrong}
                    later = _rerun_answer(v, part, given)
                    if later is None:
                        continue
                    answers = {deps[0].id: _key(deps[0], wrong), part.id: later}
                    answers.update({d.id: _key(d, v.answers[d.id]) for d in deps[1:]})
                    rows = _grade(v, answers)
                    if rows[part.id].check.startswith(("tolerance", "exact")) and rows[part.id].score:
                        continue   # the slip does not change this part: nothing to follow
                    possible += 1
                    paid += _followed(rows[part.id])
        if possible:
            assert paid >= possible // 2, (pid, paid, possible)
