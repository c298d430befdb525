"""Banks as SPEC's "Banks and course repositories" says: found from --bank, GRADER_BANK, the
current directory upward and the bundled bank, first definition of an id wins, solvers
resolve inside the bank holding the problem file."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from grader.bank.banks import bundled_root, discover
from grader.bank.loader import load_problem, load_set, use_banks
from grader.cli import main
from grader.errors import AuthorError

from bank_helpers import make_bank

SECRET = "bank-test-secret-0123456789"


@pytest.fixture(autouse=True)
def _fresh_banks(monkeypatch):
    monkeypatch.delenv("GRADER_BANK", raising=False)
    use_banks(())
    yield
    use_banks(())


class TestDiscovery:
    def test_order_is_flag_then_env_then_cwd_then_bundled(self, tmp_path, monkeypatch):
        a, b, c = (make_bank(tmp_path / n) for n in ("a", "b", "c"))
        monkeypatch.chdir(c / "problems")          # the nearest parent with grader.toml is c
        banks = discover([a], env={"GRADER_BANK": f"{b}{os.pathsep}{a}"})
        assert [x.root for x in banks] == [a.resolve(), b.resolve(), c.resolve(), bundled_root().resolve()]
        assert [x.origin for x in banks] == ["--bank", "GRADER_BANK", "cwd", "bundled"]

    def test_a_problems_folder_marks_a_bank_too(self, tmp_path, monkeypatch):
        bank = make_bank(tmp_path / "x", marker=False)
        (bank / "deep" / "er").mkdir(parents=True)
        monkeypatch.chdir(bank / "deep" / "er")
        assert discover([], env={})[0].root == bank.resolve()

    def test_outside_any_bank_only_the_bundled_one(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        banks = discover([], env={})
        assert len(banks) == 1 and banks[0].bundled and (banks[0].root / "sets" / "demo.yaml").is_file()

    def test_a_missing_bank_folder_is_exit_1_naming_it(self, tmp_path, capsys):
        assert main(["list", "--bank", str(tmp_path / "nope")]) == 1
        assert str(tmp_path / "nope") in capsys.readouterr().err

    def test_a_folder_without_problems_is_not_a_bank(self, tmp_path, monkeypatch, capsys):
        monkeypatch.setenv("GRADER_BANK", str(tmp_path))
        assert main(["list"]) == 1
        assert "not a bank" in capsys.readouterr().err


class TestFromAnywhere:
    def test_bundled_bank_and_sets_from_an_unrelated_directory(self, tmp_path, monkeypatch, capsys):
        monkeypatch.chdir(tmp_path)
        assert main(["list", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert len(rows) >= 39 and {r["bank"] for r in rows} == {"bundled"}
        assert load_set("sets/demo.yaml").id == "demo"     # resolved in the bundled bank's sets/
        roster = tmp_path / "roster.csv"
        roster.write_text("student_id\ns1\n")
        monkeypatch.setenv("GRADER_SECRET", SECRET)
        assert main(["render", "sets/demo.yaml", "--roster", str(roster), "--out", str(tmp_path / "o")]) == 0
        assert (tmp_path / "o" / "students" / "s1" / "sheet.md").is_file()

    def test_a_course_set_mixes_its_families_with_bundled_ones(self, tmp_path, monkeypatch, capsys):
        bank = make_bank(tmp_path / "course")
        monkeypatch.chdir(bank)
        pset = load_set("sets/mixed.yaml")
        assert [e.problem.id for e in pset.entries] == ["course-sum", "mlp-param-count"]
        assert main(["list"]) == 0
        out = capsys.readouterr().out
        assert "course-sum" in out and "[.]" in out and "[bundled]" in out

    def test_a_set_file_brings_its_own_bank(self, tmp_path, monkeypatch):
        bank = make_bank(tmp_path / "course")
        monkeypatch.chdir(tmp_path)                     # not inside the bank, no --bank
        assert load_set(bank / "sets" / "mixed.yaml").entries[0].problem.id == "course-sum"


class TestShadowing:
    def test_first_bank_wins_and_validate_warns(self, tmp_path, monkeypatch, capsys):
        bank = make_bank(tmp_path / "course", problem_id="mlp-param-count",
                         solver_body="return {'answer': 7}")
        monkeypatch.chdir(bank)
        pset = load_set("sets/mixed.yaml")
        problem = pset.entries[0].problem
        assert Path(problem.file).resolve().is_relative_to(bank.resolve())
        assert problem.solver({"a": 1, "b": 2}) == {"answer": 7}
        main(["validate", "--seeds", "3", "--workers", "1"])
        out = capsys.readouterr().out
        assert "shadows" in out and "mlp-param-count.yaml (bundled)" in out
        assert "mlp-param-count" in out and "[.]" in out and "[bundled]" not in out  # only the course's

    def test_no_warning_for_an_identical_copy(self, tmp_path, monkeypatch, capsys):
        bank = make_bank(tmp_path / "course")
        src = bundled_root() / "problems" / "networks" / "mlp-param-count.yaml"
        (bank / "problems" / "course" / "mlp-param-count.yaml").write_bytes(src.read_bytes())
        (bank / "reference" / "networks.py").write_text("from reference import Reject\n"
                                                        "def mlp_param_count(p, *, bug=None, given=None):\n"
                                                        "    raise Reject('never')\n")
        monkeypatch.chdir(bank)
        main(["validate", "--seeds", "1", "--workers", "1"])
        assert "shadows" not in capsys.readouterr().out


class TestSolversBelongToTheirBank:
    def test_same_module_name_in_two_banks(self, tmp_path, monkeypatch):
        a = make_bank(tmp_path / "a", problem_id="sum-a", solver_body="return {'answer': 'from a'}")
        b = make_bank(tmp_path / "b", problem_id="sum-b", solver_body="return {'answer': 'from b'}")
        pa = load_problem(a / "problems" / "course" / "sum-a.yaml")
        pb = load_problem(b / "problems" / "course" / "sum-b.yaml")
        assert pa.solver({}) == {"answer": "from a"} and pb.solver({}) == {"answer": "from b"}
        assert not pa.solver.__module__.startswith("reference")

    def test_helpers_import_absolutely_and_relatively(self, tmp_path):
        bank = make_bank(tmp_path / "c", helper="from reference.util import double\nfrom .util import triple\n"
                                               "from reference import Reject",
                         solver_body="return {'answer': double(p['a']) + triple(p['b'])}")
        (bank / "reference" / "util.py").write_text("def double(x):\n    return 2 * x\n"
                                                    "def triple(x):\n    return 3 * x\n")
        before = sys.modules.get("reference")
        problem = load_problem(bank / "problems" / "course" / "course-sum.yaml")
        assert problem.solver({"a": 1, "b": 10}) == {"answer": 32}
        assert sys.modules.get("reference") is before   # nothing named `reference` is left behind

    def test_the_bundled_solvers_are_not_a_top_level_package(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        problem = load_set("sets/demo.yaml").entries[0].problem
        assert problem.solver.__module__.startswith("_grader_bank_")

    def test_a_solver_that_does_not_import_names_its_file_and_line(self, tmp_path):
        bank = make_bank(tmp_path / "c", helper="import no_such_module_anywhere")
        with pytest.raises(AuthorError) as err:
            load_problem(bank / "problems" / "course" / "course-sum.yaml")
        assert "course.py:1:" in str(err.value) and "no_such_module_anywhere" in str(err.value)

    def test_a_missing_solver_module_is_named(self, tmp_path):
        bank = make_bank(tmp_path / "c")
        (bank / "reference" / "course.py").unlink()
        with pytest.raises(AuthorError, match="no solver module .*course.py"):
            load_problem(bank / "problems" / "course" / "course-sum.yaml")


class TestValidateExit:
    def test_no_families_is_a_failure(self, tmp_path, monkeypatch, capsys):
        (tmp_path / "problems").mkdir()
        assert main(["validate", str(tmp_path / "problems")]) == 1
        assert "no problem families found" in capsys.readouterr().out

    def test_a_missing_path_is_exit_1(self, tmp_path, capsys):
        assert main(["validate", str(tmp_path / "missing.yaml")]) == 1
        assert "missing.yaml" in capsys.readouterr().out
