"""The command line as people expect: --version, help for everything, exit codes, pipes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest
import yaml

import grader
from grader.cli import build_parser, main


def subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and grader.__version__ in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_option_and_argument_has_help_and_the_epilog_an_example(name):
    sub = subcommands()[name]
    undocumented = [a.dest for a in sub._actions if not a.help and a.dest != "help"]
    assert not undocumented, f"grader {name}: no help for {undocumented}"
    assert f"example:\n  grader {name}" in sub.epilog or f"grader {name}" in sub.epilog.split("\n")[1]
    assert "exit codes:" in sub.epilog and "2  usage error" in sub.epilog


@pytest.mark.parametrize("name", ["demo", "validate", "render", "check", "grade", "list"])
def test_commands_that_read_the_bank_take_bank(name):
    assert any("--bank" in a.option_strings for a in subcommands()[name]._actions)


def test_usage_error_is_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["render"])
    assert stop.value.code == 2


def test_missing_set_file_is_exit_1_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "cli-test-secret-0123456789")
    roster = tmp_path / "r.csv"
    roster.write_text("student_id\ns1\n")
    assert main(["render", str(tmp_path / "nope.yaml"), "--roster", str(roster), "--out", str(tmp_path)]) == 1
    assert "nope.yaml" in capsys.readouterr().err


def test_list_into_a_closed_pipe_has_no_traceback(tmp_path):
    proc = subprocess.run(f"{sys.executable} -m grader list | head -1", shell=True, capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert proc.stdout.startswith("id ") and "Traceback" not in proc.stderr and "Error" not in proc.stderr


def test_check_json(root, tmp_path, capsys):
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"student": "s001", "set": "small",
                                       "answers": {"q1": {"total": "3*4+1", "layers": [1, 2]}}}))
    code = main(["check", str(answers), "--set", str(root / "tests" / "data" / "small-set.yaml"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["ok"] is False and data["student"] == "s001"
    rows = {(r["key"], r["part"]): r for r in data["answers"]}
    assert rows[("q1", "total")]["status"] == "read" and rows[("q1", "total")]["plain"] == "13"
    assert rows[("q1", "layers")]["status"] == "unreadable" and "4 entries" in rows[("q1", "layers")]["message"]
    assert rows[("q2", "p_one")]["status"] == "missing"
