"""Gradescope: the autograder bundle, run end to end on a local copy of Gradescope's layout."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from grader.bank.loader import load_set
from grader.cli import main
from grader.export.gradescope import build_bundle, find_answers
from grader.render.sheets import key_entry, student_variants

ROOT = Path(__file__).resolve().parents[2]
SET = ROOT / "sets" / "demo.yaml"
SECRET = b"test-secret-0123456789"
ROSTER = "student_id,name,email,sid\ns001,Ada,ada@uni.edu,1001\ns002,Boris,boris@uni.edu,1002\ns003,Vera,,1003\n"


@pytest.fixture(scope="module")
def pset():
    return load_set(SET)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, pset):
    tmp = tmp_path_factory.mktemp("gs")
    roster = tmp / "roster.csv"
    roster.write_text(ROSTER)
    return build_bundle(pset, roster, SECRET, tmp / "out")


def key_answers(pset, student):
    return {k: v["answers"] for k, v in key_entry(student_variants(pset, SECRET, student)).items()}


def layout(tmp_path, bundle, users, files: dict) -> Path:
    """A fresh /autograder: source/ unzipped, submission/ with files, submission_metadata.json."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text)
    (root / "submission").mkdir(exist_ok=True)
    meta = {"id": 7, "created_at": "2026-12-01T10:00:00Z", "assignment": {"id": 3, "title": "demo"}}
    if users is not None:
        meta["users"] = users
    (root / "submission_metadata.json").write_text(json.dumps(meta))
    return root


def run_autograder(root: Path) -> dict:
    """As Gradescope would, but with this venv's python3 first on PATH instead of setup.sh."""
    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_SECRET", "GRADER_BANK")}
    env["AUTOGRADER_ROOT"] = str(root)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def answers_yaml(student, answers, set_id="demo"):
    return yaml.safe_dump({"student": student, "set": set_id, "answers": answers}, sort_keys=False)


class TestBundle:
    def test_holds_what_gradescope_needs(self, bundle):
        with zipfile.ZipFile(bundle) as zf:
            names = set(zf.namelist())
            infos = {i.filename: i for i in zf.infolist()}
            config = json.loads(zf.read("grader-bundle.json"))
            setup = zf.read("setup.sh").decode()
        assert {"setup.sh", "run_autograder", "set.yaml", "roster.csv", "secret", "grader-bundle.json"} <= names
        assert "tool/pyproject.toml" in names and "tool/grader/cli.py" in names
        assert any(n.startswith("banks/1/problems/") and n.endswith("mlp-param-count.yaml") for n in names)
        assert any(n.startswith("banks/1/reference/") for n in names)
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        assert "pip install" in setup and "./tool" in setup
        for script in ("setup.sh", "run_autograder"):
            assert (infos[script].external_attr >> 16) & stat.S_IXUSR
        assert (infos["secret"].external_attr >> 16) & 0o077 == 0
        assert config["set"] == "set.yaml" and config["visibility"] == "visible"
        assert stat.S_IMODE(bundle.stat().st_mode) == 0o600

    def test_byte_identical_for_the_same_inputs(self, bundle, pset, tmp_path):
        roster = tmp_path / "roster.csv"
        roster.write_text(ROSTER)
        again = build_bundle(pset, roster, SECRET, tmp_path / "again")
        assert again.read_bytes() == bundle.read_bytes()

    def test_roster_without_email_or_sid_is_refused(self, tmp_path, secret_env, capsys):
        roster = tmp_path / "r.csv"
        roster.write_text("student_id,name\ns001,Ada\n")
        assert main(["export", "gradescope", str(SET), "--roster", str(roster), "--out", str(tmp_path / "o")]) == 1
        err = capsys.readouterr().err
        assert "r.csv" in err and "email" in err

    def test_command_writes_the_zip(self, tmp_path, secret_env, capsys):
        roster = tmp_path / "r.csv"
        roster.write_text(ROSTER)
        assert main(["export", "gradescope", str(SET), "--roster", str(roster), "--out", str(tmp_path / "o"),
                     "--test-visibility", "after_published"]) == 0
        with zipfile.ZipFile(tmp_path / "o" / "autograder.zip") as zf:
            assert json.loads(zf.read("grader-bundle.json"))["test_visibility"] == "after_published"
            assert zf.read("secret").strip() == SECRET
        assert "autograder.zip" in capsys.readouterr().out


class TestFindAnswers:
    def test_answers_yaml_first_then_the_only_yaml(self, tmp_path):
        sub = tmp_path / "s"
        (sub / "deep").mkdir(parents=True)
        (sub / "deep" / "answers.yaml").write_text("x")
        (sub / "notes.yaml").write_text("x")
        assert find_answers(sub)[0] == sub / "deep" / "answers.yaml"
        (sub / "answers.yml").write_text("x")
        assert find_answers(sub)[0] == sub / "answers.yml"
        only = tmp_path / "o"
        only.mkdir()
        (only / "hw1.yaml").write_text("x")
        assert find_answers(only)[0] == only / "hw1.yaml"
        (only / "hw2.yml").write_text("x")
        assert find_answers(only) == (None, "many_files")
        assert find_answers(tmp_path / "none") == (None, "no_file")


@pytest.mark.slow
class TestRunAutograder:
    def test_student_found_by_email_gets_full_marks(self, bundle, pset, tmp_path):
        root = layout(tmp_path, bundle, [{"email": "ADA@uni.edu", "id": 11, "name": "Ada"}],
                      {"answers.yaml": answers_yaml("s001", key_answers(pset, "s001"))})
        doc = run_autograder(root)
        assert doc["score"] == pytest.approx(pset.points)
        assert doc["output_format"] == "md" and doc["visibility"] == "visible"
        parts = sum(len(e.problem.parts) for e in pset.entries)
        assert len(doc["tests"]) == parts
        for t in doc["tests"]:
            assert set(t) >= {"name", "score", "max_score", "output", "output_format", "visibility", "status"}
            assert t["status"] == "passed" and t["score"] == t["max_score"] > 0
            assert t["output_format"] == "md" and "$$" in t["output"]       # math as Markdown
        assert sum(t["max_score"] for t in doc["tests"]) == pytest.approx(pset.points, abs=1e-4)

    def test_student_found_by_sid_is_graded_on_their_own_variant(self, bundle, pset, tmp_path):
        # s003 has no email: the SID finds them; s001's answers are wrong for s003's variant
        root = layout(tmp_path, bundle, [{"email": "vera@elsewhere.org", "sid": "1003", "name": "Vera"}],
                      {"sub/answers.yaml": answers_yaml("s003", key_answers(pset, "s001"))})
        doc = run_autograder(root)
        assert doc["score"] < pset.points
        right = run_autograder(layout(tmp_path / "b", bundle, [{"email": "", "sid": "1003"}],
                                      {"answers.yaml": answers_yaml("s003", key_answers(pset, "s003"))}))
        assert right["score"] == pytest.approx(pset.points)

    def test_not_on_roster_gets_zero_and_a_message(self, bundle, pset, tmp_path):
        root = layout(tmp_path, bundle, [{"email": "x999@uni.edu", "sid": "9999", "name": "X"}],
                      {"answers.yaml": answers_yaml("s001", key_answers(pset, "s001"))})
        doc = run_autograder(root)
        assert doc["score"] == 0
        assert "x999@uni.edu" in doc["output"] and "roster" in doc["output"]
        assert all(t["score"] == 0 for t in doc["tests"])

    def test_file_naming_another_student_is_invalid(self, bundle, pset, tmp_path):
        root = layout(tmp_path, bundle, [{"email": "boris@uni.edu"}],
                      {"answers.yaml": answers_yaml("s001", key_answers(pset, "s001"))})
        doc = run_autograder(root)
        assert doc["score"] == 0 and "s001" in doc["output"] and "s002" in doc["output"]

    def test_no_file_and_no_users_are_explained(self, bundle, pset, tmp_path):
        doc = run_autograder(layout(tmp_path / "a", bundle, [{"email": "ada@uni.edu"}], {"notes.txt": "hi"}))
        assert doc["score"] == 0 and "answers.yaml" in doc["output"]
        doc = run_autograder(layout(tmp_path / "b", bundle, None, {"answers.yaml": "x"}))
        assert doc["score"] == 0 and "submitter" in doc["output"]

    def test_a_group_is_graded_as_its_first_member_on_the_roster(self, bundle, pset, tmp_path):
        root = layout(tmp_path, bundle, [{"email": "guest@else.org"}, {"email": "boris@uni.edu"}],
                      {"answers.yaml": answers_yaml("s002", key_answers(pset, "s002"))})
        assert run_autograder(root)["score"] == pytest.approx(pset.points)
