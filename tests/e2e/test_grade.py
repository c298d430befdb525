"""`grader grade`: every SPEC output, and bad input that never stops a batch."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from grader.bank.loader import load_set
from grader.cli import main
from grader.render.sheets import render_set

SECRET = b"test-secret-0123456789"


@pytest.fixture
def demo_set(root):
    return load_set(root / "tests" / "data" / "small-set.yaml")


@pytest.fixture
def key(demo_set, tmp_path):
    roster = [{"student_id": s, "name": "", "email": ""} for s in ("s001", "s002", "s003", "s004")]
    render_set(demo_set, roster, tmp_path / "render", SECRET)
    return json.loads((tmp_path / "render" / "key.json").read_text())["students"]


def answer_file(folder: Path, student: str, answers: dict, set_id="small", name=None) -> Path:
    path = folder / (name or f"{student}.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"student": student, "set": set_id, "answers": answers}), encoding="utf-8")
    return path


def grade(root, subs, out, *extra) -> int:
    return main(["grade", str(root / "tests" / "data" / "small-set.yaml"), "--submissions", str(subs), "--out", str(out),
                 "--workers", "1", "--quiet", *extra])


def rows(out: Path) -> dict:
    return {r["student"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}


class TestOutputs:
    def test_every_output_and_full_marks_for_the_key(self, root, key, tmp_path, secret_env):
        subs = tmp_path / "subs"
        for sid in ("s001", "s002"):
            answer_file(subs, sid, {k: v["answers"] for k, v in key[sid].items()})
        answer_file(subs, "s003", {"q1": {"total": 1}}, name="s003/answers.yaml")
        out = tmp_path / "out"
        assert grade(root, subs, out) == 0
        got = rows(out)
        assert got["s001"]["score"] == got["s001"]["max"] == 20
        assert got["s003"]["score"] == 0
        part = next(p for p in got["s001"]["parts"] if p["part"] == "total")
        assert part["verdict"] == "correct" and part["check"] and part["interpreted"]["plain"]
        book = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
        assert book[0] == ["student_id", "status", "q1", "q2", "q3", "total"]
        assert book[1][0] == "s001" and book[1][-1] == "20"
        assert (out / "feedback" / "s003.md").read_text().count("✘") >= 1
        suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
        cases = suite.findall("testcase")
        assert len(cases) == 3 * sum(len(v["answers"]) for v in key["s001"].values())
        assert int(suite.get("failures")) + int(suite.get("errors")) + int(suite.get("skipped")) > 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["submissions"] == 3
        assert summary["parts"]["q1.total"]["attempts"] == 3

    def test_typical_mistake_gets_its_feedback(self, root, key, tmp_path, secret_env, demo_set):
        from grader.render.sheets import student_variants
        (entry, variant), = [ev for ev in student_variants(demo_set, SECRET, "s001") if ev[0].key == "q1"]
        wrong = variant.solve(bug="no-output-layer")["total"]
        subs = tmp_path / "subs"
        answer_file(subs, "s001", {"q1": {"total": wrong}})
        grade(root, subs, tmp_path / "out")
        part = next(p for p in rows(tmp_path / "out")["s001"]["parts"] if p["part"] == "total")
        assert part["verdict"] == "incorrect" and part["check"] == "misconception:no-output-layer"
        assert "output layer" in part["feedback"]


class TestBadInput:
    def test_bad_files_become_invalid_rows_and_the_batch_goes_on(self, root, key, tmp_path, secret_env):
        subs = tmp_path / "subs"
        subs.mkdir()
        good = answer_file(subs, "s001", {k: v["answers"] for k, v in key["s001"].items()})
        (subs / "s002.yaml").write_text("student: s002\nset: small\nanswers: {q1: [unclosed\n")
        (subs / "s003.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
        with (subs / "s004.yaml").open("wb") as fh:      # 50 MB
            fh.write(b"student: s004\nset: small\nanswers:\n  q1:\n    total: ")
            fh.write(b"9" * (50 * 1024 * 1024))
        answer_file(subs, "s005", {}, set_id="other-set")
        answer_file(subs, "s006", {"q1": {"total": 1}}, name="s007.yaml")   # filed under another name
        (subs / "s008.yaml").write_text("- just\n- a list\n")
        bomb = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}" if i else "x"] * 9) + "]\n" for i in range(9))
        (subs / "s009.yaml").write_text("student: s009\nset: small\n" + bomb + "answers: {q1: {total: *l8}}\n")
        out = tmp_path / "out"
        assert grade(root, subs, out) == 0
        got = rows(out)
        assert got["s001"]["status"] == "ok" and got["s001"]["score"] == 20
        expect = {"s002": "invalid YAML", "s003": "binary", "s004": "limit", "s005": "other-set",
                  "s007": "filed as", "s008": "mapping", "s009": "expands to more than"}
        for sid, words in expect.items():
            assert got[sid]["status"] == "invalid", sid
            assert words in got[sid]["message"], (sid, got[sid]["message"])
            assert all(p["verdict"] == "invalid" for p in got[sid]["parts"])
        assert good.exists()

    def test_roster_gives_missing_and_invalid_rows(self, root, key, tmp_path, secret_env):
        subs = tmp_path / "subs"
        answer_file(subs, "s001", {"q1": {"total": 1}})
        answer_file(subs, "intruder", {"q1": {"total": 1}})
        roster = tmp_path / "roster.csv"
        roster.write_text("student_id\ns001\ns002\n")
        out = tmp_path / "out"
        assert grade(root, subs, out, "--roster", str(roster)) == 0
        got = rows(out)
        assert set(got) == {"s001", "s002", "intruder"}
        assert all(p["verdict"] == "missing" for p in got["s002"]["parts"])
        assert got["intruder"]["status"] == "invalid" and "not enrolled" in got["intruder"]["message"]

    def test_unsafe_roster_id_is_an_input_error(self, root, tmp_path, secret_env, capsys):
        subs = tmp_path / "subs"
        subs.mkdir()
        roster = tmp_path / "roster.csv"
        roster.write_text("student_id\ns001\n../x\n")
        assert grade(root, subs, tmp_path / "out", "--roster", str(roster)) == 1
        err = capsys.readouterr().err
        assert "roster.csv:3" in err and "student_id" in err and "../x" in err

    def test_unknown_problem_id_in_set(self, tmp_path, secret_env, capsys):
        bad = tmp_path / "bad.yaml"
        bad.write_text("id: bad\ntitle: {en: B, ru: Б}\nproblems:\n  - {key: q1, problem: mlp-param-cont}\n")
        subs = tmp_path / "subs"
        subs.mkdir()
        code = main(["grade", str(bad), "--submissions", str(subs), "--out", str(tmp_path / "o"), "--quiet"])
        err = capsys.readouterr().err
        assert code == 1
        assert "bad.yaml:4" in err and "mlp-param-cont" in err and "did you mean 'mlp-param-count'" in err

    def test_malformed_set_yaml(self, tmp_path, secret_env, capsys):
        bad = tmp_path / "bad.yaml"
        bad.write_text("id: bad\ntitle: [unclosed\n")
        assert main(["grade", str(bad), "--submissions", str(tmp_path), "--out", str(tmp_path / "o")]) == 1
        assert "bad.yaml" in capsys.readouterr().err

    def test_unknown_answer_keys_are_reported_not_fatal(self, root, key, tmp_path, secret_env):
        subs = tmp_path / "subs"
        answers = {k: dict(v["answers"]) for k, v in key["s001"].items()}
        answers["q1"]["totl"] = 5
        answers["q9"] = {"x": 1}
        answer_file(subs, "s001", answers)
        grade(root, subs, tmp_path / "out")
        row = rows(tmp_path / "out")["s001"]
        assert row["score"] == 20
        assert any("q1.totl" in w for w in row["warnings"]) and any("q9" in w for w in row["warnings"])

    def test_usage_errors_exit_2(self, capsys):
        with pytest.raises(SystemExit) as info:
            main(["grade"])
        assert info.value.code == 2
