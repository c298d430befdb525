"""Gradebooks: status column, cells that add up exactly, and the Moodle and Canvas imports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from grader.bank.loader import load_set
from grader.cli import main
from grader.grading.reports import fmt_decimal, gradebook_csv, key_cells
from grader.grading.results import PartResult, SubmissionResult
from grader.render.sheets import key_entry, student_variants

ROOT = Path(__file__).resolve().parents[2]
SET = ROOT / "sets" / "demo.yaml"
SECRET = b"test-secret-0123456789"
ROSTER = ("student_id,name,email,sis_id\n"
          "s001,Ada Lovelace,ada@uni.edu,A-1\n"
          "s002,Boris,boris@uni.edu,\n"
          "s003,Vera,,V-3\n"
          "s004,Gleb,,\n")


@pytest.fixture(scope="module")
def pset():
    return load_set(SET)


def write_answers(folder: Path, student: str, answers: dict, set_id="demo"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{student}.yaml").write_text(yaml.safe_dump({"student": student, "set": set_id,
                                                            "answers": answers}))


def table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def graded(pset, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("books")
    subs = tmp / "subs"
    full = {k: v["answers"] for k, v in key_entry(student_variants(pset, SECRET, "s001")).items()}
    write_answers(subs, "s001", full)
    part = {k: v["answers"] for k, v in key_entry(student_variants(pset, SECRET, "s003")).items()}
    first = next(iter(part["q2"]))
    write_answers(subs, "s003", {"q2": {first: part["q2"][first]}, "q5": part["q5"]})   # a third of q2
    write_answers(subs, "x999", full)                                        # not enrolled
    (subs / "s004.yaml").write_text("student: s004\nset: demo\nanswers: {q1: [unclosed\n")
    roster = tmp / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp / "out"
    import os
    os.environ["GRADER_SECRET"] = SECRET.decode()
    try:
        code = main(["grade", str(SET), "--submissions", str(subs), "--roster", str(roster), "--out", str(out),
                     "--gradebook", "moodle,canvas", "--quiet", "--workers", "1"])
    finally:
        del os.environ["GRADER_SECRET"]
    assert code == 0
    return out


class TestGradebookCsv:
    def test_status_column_and_exact_totals(self, graded):
        book = table(graded / "gradebook.csv")
        assert book[0][:2] == ["student_id", "status"] and book[0][-1] == "total"
        status = {row[0]: row[1] for row in book[1:]}
        assert status == {"s001": "ok", "s002": "missing", "s003": "ok", "s004": "invalid", "x999": "invalid"}
        for row in book[1:]:
            assert sum(Decimal(c) for c in row[2:-1]) == Decimal(row[-1]), row
        assert any("." in c for row in book[1:] for c in row[2:-1])   # the fractional case is exercised

    @pytest.mark.parametrize("scores", [
        [1.428571, 1.428571, 1.428571, 0.714286],          # 5 points over 7ths
        [0.333333, 0.333333, 0.333334],
        [0.005, 0.005, 0.005, 0.005],                        # half-cents: rounded cells, exact sum
        [2.675, 0.125],
    ])
    def test_cells_add_up_whatever_the_floats(self, pset, scores):
        entries = pset.entries[:len(scores)]
        parts = tuple(PartResult(key=e.key, part="a", verdict="partial", score=s, max=5, check="t")
                      for e, s in zip(entries, scores))
        r = SubmissionResult(student="s001", source="", status="ok", parts=parts, max=pset.points)
        cells, total = key_cells(pset, r)
        assert sum(cells) == total
        row = gradebook_csv(pset, [r]).splitlines()[1].split(",")
        assert sum(Decimal(c) for c in row[2:-1]) == Decimal(row[-1])
        for cell, score in zip(cells, scores):
            assert abs(cell - Decimal(repr(score))) <= Decimal("0.005")

    def test_decimal_format(self):
        assert [fmt_decimal(Decimal(x)) for x in ("20.00", "4.50", "1.43", "0", "0.10")] == \
            ["20", "4.5", "1.43", "0", "0.1"]


class TestMoodle:
    def test_enrolled_students_with_an_identity_only(self, graded, pset):
        book = table(graded / "gradebook-moodle.csv")
        head = book[0]
        assert head[:4] == ["Email address", "ID number", "Full name", "student_id"]
        assert head[4:] == [f"demo {e.key}" for e in pset.entries] + ["demo total"]
        ids = [row[3] for row in book[1:]]
        assert ids == ["s001", "s002", "s003"]          # x999 not enrolled; s004 has no email or SIS id
        by = {row[3]: row for row in book[1:]}
        assert by["s001"][0] == "ada@uni.edu" and by["s001"][1] == "A-1" and by["s001"][-1] == "40"
        assert by["s002"][-1] == "0"
        main_book = {row[0]: row[-1] for row in table(graded / "gradebook.csv")[1:]}
        for row in book[1:]:
            assert row[-1] == main_book[row[3]]
            assert sum(Decimal(c) for c in row[4:-1]) == Decimal(row[-1])
        assert (graded / "gradebook-moodle.csv").read_bytes().count(b"\r\n") == len(book)


class TestCanvas:
    def test_canvas_columns_points_row_and_identities(self, graded, pset):
        book = table(graded / "gradebook-canvas.csv")
        assert book[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        assert book[0][5] == pset.title[pset.lang] and len(book[0]) == 6
        assert book[1][0] == "Points Possible" and book[1][5] == "40"
        rows = {row[0]: row for row in book[2:]}
        assert set(rows) == {"Ada Lovelace", "Boris", "Vera"}
        assert rows["Ada Lovelace"][2:4] == ["A-1", "ada@uni.edu"] and rows["Ada Lovelace"][5] == "40"
        assert rows["Vera"][2] == "V-3" and rows["Vera"][3] == ""

    def test_gradebook_needs_a_roster(self, tmp_path, secret_env, capsys):
        (tmp_path / "subs").mkdir()
        assert main(["grade", str(SET), "--submissions", str(tmp_path / "subs"), "--out", str(tmp_path / "o"),
                     "--gradebook", "canvas"]) == 2
        assert "--roster" in capsys.readouterr().err

    def test_unknown_gradebook_is_a_usage_error(self, tmp_path, capsys):
        with pytest.raises(SystemExit) as info:
            main(["grade", str(SET), "--submissions", str(tmp_path), "--out", str(tmp_path / "o"),
                  "--gradebook", "blackboard"])
        assert info.value.code == 2 and "blackboard" in capsys.readouterr().err
