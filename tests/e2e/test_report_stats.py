"""The reports add up (issue 15, item 5): one definition per statistic, the same figures in
summary.json, the CLI part table and report.html, and the class mean leaves out files from
students who are not enrolled."""

from __future__ import annotations

import json

from grader.bank.loader import load_set
from grader.demo import synthesize
from grader.grading.batch import grade_batch
from grader.grading.tables import part_table
from grader.variants import DEMO_SECRET


def test_class_statistics_agree_everywhere(root, tmp_path):
    pset = load_set(root / "tests" / "data" / "small-set.yaml")
    synthesize(pset, tmp_path / "subs")            # s001..s006 and x999 (not enrolled)
    roster = ["s001", "s002", "s003", "s004", "s005", "s006", "s007"]   # s007: no file
    summary = grade_batch(pset, DEMO_SECRET, tmp_path / "subs", tmp_path / "out", roster=roster, workers=1)
    rows = {r["student"]: r for r in map(json.loads, (tmp_path / "out" / "results.jsonl").read_text().splitlines())}
    assert "x999" in rows and summary["not_enrolled"] == 1
    assert summary["class_size"] == summary["submissions"] == len(roster)
    # the mean over the class, computed from the rows by hand
    mean = sum(rows[s]["score"] for s in roster) / len(roster)
    assert abs(summary["mean_score"] - round(mean, 4)) < 1e-9
    assert sum(b["count"] for b in summary["histogram"]["bins"]) == len(roster)
    for name, p in summary["parts"].items():
        key, part = name.split(".")
        verdicts = [next(q for q in rows[s]["parts"] if q["key"] == key and q["part"] == part)["verdict"]
                    for s in roster]
        attempts = sum(1 for s, v in zip(roster, verdicts) if v != "missing" and rows[s]["status"] == "ok")
        correct = verdicts.count("correct")
        assert p["attempts"] == attempts and p["correct"] == correct, name
        assert p["correct_pct_of_class"] == round(100 * correct / len(roster), 1)
        assert p["correct_pct_of_attempts"] == (round(100 * correct / attempts, 1) if attempts else 0.0)
    # the CLI table and report.html show the same numbers under the same names
    table = part_table(summary)
    html = (tmp_path / "out" / "report.html").read_text()
    assert "correct, % of attempts" in table and "correct, % of class" in table
    assert "correct, % of attempts" in html and "correct, % of class" in html
    first = next(iter(summary["parts"].values()))
    assert f"{first['correct_pct_of_class']:.1f}%" in html and f"{first['correct_pct_of_class']:.0f}%" in table
    assert "percent_correct" not in json.dumps(summary) and "share_correct" not in json.dumps(summary)
