"""Every topic set, end to end: the key and its rewritten forms score full marks, typical
mistakes are named, malformed answers are invalid, and no part hits an internal error."""

from __future__ import annotations

import json

import pytest

from grader.bank.loader import load_set
from grader.demo import synthesize
from grader.grading.batch import grade_batch
from grader.variants import DEMO_SECRET


@pytest.mark.parametrize("name", ["networks", "optimization", "matrix-calculus", "em", "kernels", "demo",
                                  "convolutions", "recurrent", "normalization-attention"])
def test_set_grades_its_own_key_and_names_its_mistakes(root, tmp_path, name):
    pset = load_set(root / "sets" / f"{name}.yaml")
    synthesize(pset, tmp_path / "subs")
    grade_batch(pset, DEMO_SECRET, tmp_path / "subs", tmp_path / "out", workers=1)
    rows = {r["student"]: r for r in map(json.loads, (tmp_path / "out" / "results.jsonl").read_text().splitlines())}
    for sid in ("s001", "s002"):                         # the key, then the key written differently
        wrong = [(p["key"], p["part"], p["verdict"], p["feedback"]) for p in rows[sid]["parts"]
                 if p["verdict"] != "correct"]
        assert not wrong, (sid, wrong[:3])
    assert any(p["misconception"] for p in rows["s003"]["parts"])
    assert any(p["verdict"] == "invalid" for p in rows["s005"]["parts"])
    every = [p for r in rows.values() for p in r["parts"]]
    assert not [p for p in every if p["check"].startswith("internal-error")]
