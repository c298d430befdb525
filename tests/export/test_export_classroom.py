"""GitHub Classroom: per-key runner payloads whose summed points equal the gradebook total."""

from __future__ import annotations

import base64
import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from grader.bank.loader import load_set
from grader.cli import main
from grader.export.classroom import _apportion, reporter_total, runner_id, workflow_yaml
from grader.render.sheets import key_entry, student_variants

ROOT = Path(__file__).resolve().parents[2]
SET = ROOT / "sets" / "demo.yaml"
SECRET = b"test-secret-0123456789"
ROSTER = "student_id,name,github\ns001,Ada,ada-gh\ns002,Boris,boris\n"


@pytest.fixture(scope="module")
def pset():
    return load_set(SET)


def key_answers(pset, student):
    return {k: v["answers"] for k, v in key_entry(student_variants(pset, SECRET, student)).items()}


def grade_repo(tmp_path, answers: dict, login: str, *extra):
    repo = tmp_path / "repo"
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "answers.yaml").write_text(yaml.safe_dump(answers))
    (repo / "README.md").write_text("a student's repository")
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "out"
    code = main(["grade", str(SET), "--submissions", str(repo), "--roster", str(roster), "--out", str(out),
                 "--format", "classroom", "--github-user", login, "--quiet", "--workers", "1", *extra])
    return code, out


def gradebook_total(out: Path, student: str) -> Decimal:
    rows = {r[0]: r for r in csv.reader(io.StringIO((out / "gradebook.csv").read_text()))}
    return Decimal(rows[student][-1])


def half_done(pset, student):
    answers = key_answers(pset, student)
    return {key: dict(list(parts.items())[: (len(parts) + 1) // 2]) for key, parts in answers.items()}


class TestPayload:
    def test_one_runner_per_key_and_points_equal_the_gradebook(self, pset, tmp_path, secret_env):
        code, out = grade_repo(tmp_path, {"student": "s001", "set": "demo", "answers": half_done(pset, "s001")},
                               "Ada-GH")
        assert code == 0
        folder = out / "classroom"
        runners = (folder / "runners.txt").read_text().strip().split(",")
        assert runners == [runner_id(e.key) for e in pset.entries]
        total, maximum = reporter_total(folder)          # as the reporter adds them (floats)
        book = gradebook_total(out, "s001")
        assert 0 < book < Decimal(40)
        assert abs(total - float(book)) < 1e-9 and maximum == pytest.approx(pset.points)
        exact = Decimal(0)
        for line in (folder / "outputs.txt").read_text().splitlines():
            rid, _, encoded = line.partition("=")
            doc = json.loads(base64.b64decode(encoded))
            assert doc == json.loads((folder / f"{rid}.json").read_text())
            assert doc["version"] == 1 and doc["status"] in ("pass", "fail")
            for t in doc["tests"]:
                assert set(t) >= {"name", "status", "score", "message"} and t["status"] in ("pass", "fail")
                exact += Decimal(repr(t["score"]))
        assert exact == book

    def test_unknown_login_gets_zero_with_a_message(self, pset, tmp_path, secret_env, capsys):
        code, out = grade_repo(tmp_path, {"student": "s001", "set": "demo", "answers": key_answers(pset, "s001")},
                               "stranger")
        assert code == 0
        assert reporter_total(out / "classroom") == (0.0, pytest.approx(pset.points))
        doc = json.loads((out / "classroom" / "q1.json").read_text())
        assert "stranger" in doc["tests"][0]["message"] and doc["status"] == "fail"
        assert "stranger" in capsys.readouterr().err

    def test_the_login_decides_the_student_not_the_file(self, pset, tmp_path, secret_env):
        # boris pushes a file claiming to be s001: graded as s002, so the file is invalid
        code, out = grade_repo(tmp_path, {"student": "s001", "set": "demo", "answers": key_answers(pset, "s001")},
                               "boris")
        assert code == 0 and reporter_total(out / "classroom")[0] == 0
        assert gradebook_total(out, "s002") == 0

    @pytest.mark.parametrize("scores,total", [
        ([1.428571] * 3 + [0.714286], "5"), ([0.333333] * 3, "1"), ([0.005] * 4, "0.02"), ([0.0, 2.5], "2.5")])
    def test_apportioned_cents_add_up(self, scores, total):
        got = _apportion(scores, Decimal(total))
        assert sum(got) == Decimal(total)
        assert all(abs(g - Decimal(repr(s))) < Decimal("0.01") for g, s in zip(got, scores))


class TestWorkflow:
    def test_workflow_wires_every_runner(self, pset):
        text = workflow_yaml(pset, "sets/demo.yaml")
        doc = yaml.safe_load(text)
        steps = doc["jobs"]["run-autograding-tests"]["steps"]
        reporter = steps[-1]
        assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter")
        ids = [runner_id(e.key) for e in pset.entries]
        assert reporter["with"]["runners"] == ",".join(ids)
        assert set(reporter["env"]) == {f"{i.upper()}_RESULTS" for i in ids}
        assert all(f"steps.grade.outputs.{i}" in reporter["env"][f"{i.upper()}_RESULTS"] for i in ids)
        grade = next(s for s in steps if s.get("id") == "grade")
        assert "--format classroom" in grade["run"] and "GITHUB_OUTPUT" in grade["run"]
        assert grade["env"]["GRADER_SECRET"] == "${{ secrets.GRADER_SECRET }}"

    def test_export_command_writes_the_workflow(self, tmp_path, capsys):
        assert main(["export", "classroom", str(SET), "--out", str(tmp_path), "--roster", "people.csv",
                     "--install", "git+https://example.org/grader.git"]) == 0
        text = (tmp_path / ".github" / "workflows" / "classroom.yml").read_text()
        assert "--roster people.csv" in text and "pip install git+https://example.org/grader.git" in text
        assert "GRADER_SECRET" in capsys.readouterr().out
