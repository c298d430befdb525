"""`grader init DIR`: a course repository that validates, renders and grades at once."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from grader.bank.loader import use_banks
from grader.cli import main


@pytest.fixture
def course(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GRADER_BANK", raising=False)
    use_banks(())
    monkeypatch.chdir(tmp_path)
    assert main(["init", "course"]) == 0
    capsys.readouterr()
    monkeypatch.chdir(tmp_path / "course")
    return tmp_path / "course"


def test_writes_every_promised_file(course):
    for name in ("README.md", "grader.toml", "roster.csv", ".gitignore", ".gitlab-ci.yml",
                 ".github/workflows/grade.yml", ".vscode/settings.json", "reference/example.py",
                 "problems/example/neuron-preactivation.yaml", "sets/hw1.yaml", "submissions/s001.yaml",
                 ".grader/problem.schema.json", ".grader/set.schema.json"):
        assert (course / name).is_file(), name
    ignored = (course / ".gitignore").read_text().split()
    assert {"key.json", "out/", "graded/", "*.secret"} <= set(ignored)


def test_ci_files_install_validate_grade_and_report_junit(course):
    github = yaml.safe_load((course / ".github/workflows/grade.yml").read_text())
    runs = " ".join(step.get("run", "") for step in github["jobs"]["grade"]["steps"])
    assert "pip install" in runs and "grader validate" in runs and "--submissions submissions" in runs
    assert any("graded/junit.xml" in json.dumps(step) for step in github["jobs"]["grade"]["steps"])
    gitlab = yaml.safe_load((course / ".gitlab-ci.yml").read_text())
    assert gitlab["grade"]["artifacts"]["reports"]["junit"] == "graded/junit.xml"
    assert "grader validate" in " ".join(gitlab["validate"]["script"])


def test_editor_wiring_points_at_the_generated_schemas(course):
    settings = json.loads((course / ".vscode/settings.json").read_text())
    targets = {path for path in settings["yaml.schemas"]}
    assert {"./.grader/problem.schema.json", "./.grader/set.schema.json"} == targets
    head = (course / "problems/example/neuron-preactivation.yaml").read_text().splitlines()[0]
    assert head == "# yaml-language-server: $schema=../../.grader/problem.schema.json"
    assert json.loads((course / ".grader/problem.schema.json").read_text())["$ref"] == "#/$defs/problem"


def test_validates_renders_and_grades_with_the_expected_scores(course, capsys, monkeypatch):
    assert main(["validate", "--seeds", "30", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "neuron-preactivation" in out and "1 families checked; 0 with errors" in out
    monkeypatch.setenv("GRADER_SECRET", "init-test-secret-0123456789")
    assert main(["render", "sets/hw1.yaml", "--roster", "roster.csv", "--out", "out"]) == 0
    assert sorted(p.name for p in (course / "out" / "students").iterdir()) == ["s001", "s002", "s003"]
    assert main(["grade", "sets/hw1.yaml", "--submissions", "submissions", "--roster", "roster.csv",
                 "--out", "graded", "--workers", "1", "--quiet"]) == 0
    with open(course / "graded" / "gradebook.csv", newline="") as fh:
        totals = {row["student_id"]: float(row["total"]) for row in csv.DictReader(fh)}
    # s001 answers only the variant-free yes/no part right (1 of the family's 5 points);
    # s002 has a syntax slip and a wrong yes/no; s003 submitted nothing
    assert totals == {"s001": 1.0, "s002": 0.0, "s003": 0.0}
    assert (course / "graded" / "junit.xml").is_file()


def test_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    assert main(["init", str(tmp_path / "taken")]) == 2
    assert "not empty" in capsys.readouterr().err
