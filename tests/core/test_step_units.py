"""Step and sign units decided exactly (issue 11, item 5): no rounding snap decides a unit."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from grader.answer_types.structured import exact_array, exact_scalar
from grader.bank.loader import load_set
from grader.grading.submission import SubmissionGrader
from grader.render.sheets import student_variants
from reference import networks as nw

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"test-secret-0123456789"


@pytest.fixture(scope="module")
def demo():
    pset = load_set(ROOT / "sets" / "demo.yaml")
    return pset, SubmissionGrader(pset, SECRET)


def _student(pset, want):
    """The first student id whose q4 (logic gates) draw satisfies ``want(params)``."""
    for i in range(400):
        sid = f"s{i:03d}"
        variant = dict((e.key, v) for e, v in student_variants(pset, SECRET, sid))["q4"]
        if want(variant.params):
            return sid
    raise AssertionError("no such draw")


def _grade(grader, sid, part, answer):
    r = grader.grade_answers(sid, {"q4": {part: answer}})
    return next(p for p in r.parts if p.key == "q4" and p.part == part)


class TestReportedCases:
    def test_a_bias_a_hair_above_two_is_not_or(self, demo):
        """With false fed as -1, b = 2.000000001 outputs 1 on all four inputs: not OR."""
        pset, grader = demo
        sid = _student(pset, lambda p: p["gate_a"] == [0, 1, 1, 1] and p["low"] == -1)
        row = _grade(grader, sid, "unit_a", {"w": [1, 1], "b": 2.000000001})
        assert row.verdict == "incorrect" and "(-1, -1)" in row.feedback
        assert _grade(grader, sid, "unit_a", {"w": [1, 1], "b": 1.5}).verdict == "correct"

    def test_a_bias_a_hair_above_minus_two_is_and(self, demo):
        pset, grader = demo
        sid = _student(pset, lambda p: p["gate_b"] == [0, 0, 0, 1] and p["low"] == 0)
        assert _grade(grader, sid, "unit_b", {"w": [1, 1], "b": "-2 + 10^-9"}).verdict == "correct"
        assert _grade(grader, sid, "unit_b", {"w": [1, 1], "b": "-2 - 10^-9"}).verdict == "incorrect"
        exact_zero = _grade(grader, sid, "unit_b", {"w": [1, 1], "b": -2})
        assert exact_zero.verdict == "incorrect" and "step(0) = 0" in exact_zero.feedback

    def test_irrational_weights_on_the_boundary_are_undecided(self, demo):
        pset, grader = demo
        sid = _student(pset, lambda p: p["gate_b"] == [0, 0, 0, 1] and p["low"] == 0)
        row = _grade(grader, sid, "unit_b", {"w": ["sqrt(2)", "sqrt(2)"], "b": "-2*sqrt(2)"})
        assert row.verdict == "undecided" and row.score == 0 and "exactly" in row.feedback

    def test_irrational_weights_away_from_the_boundary_are_judged(self, demo):
        pset, grader = demo
        sid = _student(pset, lambda p: p["gate_b"] == [0, 0, 0, 1] and p["low"] == 0)
        row = _grade(grader, sid, "unit_b", {"w": ["sqrt(2)", "sqrt(2)"], "b": "-2.5"})
        assert row.verdict == "correct"


class TestExactReading:
    @pytest.mark.parametrize("raw, value", [
        (3, Fraction(3)), (2.000000001, Fraction("2.000000001")), ("-2 + 10^-9", Fraction(-2) + Fraction(1, 10**9)),
        ("1/3", Fraction(1, 3)), ("2^-3", Fraction(1, 8)), ("(1/2)^2 * 4", Fraction(1)), ("0.1 + 0.2", Fraction(3, 10)),
    ])
    def test_rationals_are_read_exactly(self, raw, value):
        assert exact_scalar(raw) == value

    @pytest.mark.parametrize("raw", ["sqrt(2)", "e", "pi/4", "2^(1/2)", "1/0", "10^100000", True, None, "2 +"])
    def test_anything_else_is_not_exact(self, raw):
        assert exact_scalar(raw) is None

    def test_arrays(self):
        assert list(exact_array([1, "1/3"], (2,))) == [1, Fraction(1, 3)]
        assert exact_array("[[1, 2], [1/2, 0.25]]", (2, 2))[1, 1] == Fraction(1, 4)
        assert exact_array([1, "sqrt(2)"], (2,)) is None


class TestChecksComputeExactly:
    AND = {"gate_a": [0, 0, 0, 1], "low": 0}

    def test_thirds_sum_to_exactly_one(self):
        """(1/3, 1/3, 1/3) . (1, 1, 1) - 1 is 0 exactly, so step gives 0 (XOR-feature unit)."""
        answer = {"w": exact_array(["1/3", "1/3", "1/3"], (3,)), "b": exact_scalar(-1)}
        feature = {"f1": 1, "f2": 1}
        inputs = nw._with_feature(feature)
        z = nw._affine(answer["w"], answer["b"], inputs)[:, 0]
        assert z[3] == 0 and isinstance(z[3], Fraction)

    def test_float_weights_near_zero_are_refused_not_snapped(self):
        verdict = nw.check_gate_a(self.AND, {"w": np.array([1.0, 1.0]), "b": np.array(-2.0 + 1e-12)})
        assert verdict is not None and "cannot be decided" in verdict

    def test_two_layer_net_exact(self):
        p = {"gate_c": [0, 1, 1, 0], "low": 0}
        ex = lambda v: exact_array(v, np.shape(v)) if isinstance(v, list) else exact_scalar(v)  # noqa: E731
        net = {"W1": [[1, 1], [1, 1]], "b1": ["-1 + 10^-12", "-2 + 10^-12"], "w2": [1, -1], "b2": "-1/2"}
        assert nw.check_two_layer_gate(p, {k: ex(v) for k, v in net.items()}) is None
        net["b1"] = [-1, -2]   # OR-unit now off at (0, 1): z = 0 exactly
        assert nw.check_two_layer_gate(p, {k: ex(v) for k, v in net.items()})
