"""Bank v2 through the real grader: a typical slip is named, and a later part computed
from a student's own wrong earlier answer earns follow-through credit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from grader.bank.loader import load_bank
from grader.grading.part import ProblemGrader
from grader.variants import draw_variant, variant_seed

SECRET = b"bank-v2-grading-test"


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bank():
    return load_bank([ROOT / "problems" / t for t in
                      ("convolutions", "recurrent", "normalization", "attention")])


def variant(bank, pid, student="s1"):
    problem = bank[pid]
    return problem, draw_variant(problem, variant_seed(SECRET, "test", student, pid))


def written(value):
    """An answer as a student would type it."""
    return json.dumps(np.asarray(value, dtype=float).tolist())


def test_pooling_follows_a_wrong_map(bank):
    problem, v = variant(bank, "conv2d-by-hand")
    grader = ProblemGrader("q", v, 1.0, "en")
    wrong_Y = (np.asarray(v.answers["Y"], float) + 1).tolist()
    assert grader.grade(problem.part("Y"), written(wrong_Y)).verdict == "incorrect"
    own = v.solve(given={"Y": wrong_Y})["maxpool"]
    result = grader.grade(problem.part("maxpool"), written(own))
    assert result.verdict == "correct" and result.check.startswith("follow-through")


def test_flipped_kernel_is_named(bank):
    problem, v = variant(bank, "conv2d-by-hand", "s2")
    grader = ProblemGrader("q", v, 1.0, "en")
    result = grader.grade(problem.part("Y"), written(v.solve(bug="flipped-kernel")["Y"]))
    assert result.verdict == "incorrect" and result.misconception == "flipped-kernel"


def test_unbiased_variance_named_then_running_variance_follows(bank):
    problem, v = variant(bank, "batchnorm-forward")
    grader = ProblemGrader("q", v, 1.0, "ru")
    slip = v.solve(bug="unbiased-variance")["var"]
    result = grader.grade(problem.part("var"), str(float(slip)))
    assert result.misconception == "unbiased-variance" and result.feedback
    own = v.solve(given={"var": slip})["running_var"]
    result = grader.grade(problem.part("running_var"), str(float(own)))
    assert result.verdict == "correct" and result.check.startswith("follow-through")


def test_unmasked_attention_is_named(bank):
    problem, v = variant(bank, "scaled-dot-product-attention")
    grader = ProblemGrader("q", v, 1.0, "en")
    grader.grade(problem.part("scores"), written(v.answers["scores"]))
    result = grader.grade(problem.part("weights"), written(v.solve(bug="mask-ignored")["weights"]))
    assert result.misconception == "mask-ignored"


def test_bptt_gradients_follow_a_wrong_delta(bank):
    problem, v = variant(bank, "bptt-by-hand")
    grader = ProblemGrader("q", v, 1.0, "en")
    wrong = v.solve(bug="missing-transpose")["delta1"]
    assert grader.grade(problem.part("delta2"), written(v.answers["delta2"])).verdict == "correct"
    assert grader.grade(problem.part("delta1"), written(wrong)).misconception == "missing-transpose"
    own = v.solve(given={"delta1": wrong})["dW_xh"]
    result = grader.grade(problem.part("dW_xh"), written(own))
    assert result.verdict == "correct" and result.check.startswith("follow-through")
