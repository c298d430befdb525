"""Rules of the small output modules: result rows (results.py), terminal tables (tables.py)
and the progress bar (progress.py). Expected texts are written out by hand from the rule
each test names."""

from __future__ import annotations

import io
import json
import re
from types import SimpleNamespace

import pytest

from grader.grading import progress as progress_module
from grader.grading.progress import Progress
from grader.grading.results import PartResult, SubmissionResult
from grader.grading.tables import _short, _table, part_table, run_lines, score_table


def part(key="q1", pid="a", score=1.0, mx=2.0, **kw) -> PartResult:
    return PartResult(key=key, part=pid, verdict=kw.pop("verdict", "partial"), score=score, max=mx,
                      check=kw.pop("check", "tolerance"), **kw)


class TestResults:
    def test_scores_are_sums_rounded_to_three_decimals(self):
        row = SubmissionResult("s1", "s1.yaml", "ok", parts=(part(score=0.1111), part(pid="b", score=0.2222),
                                                             part(key="q2", score=1.0004)), max=6.0)
        assert row.score == 1.334
        assert row.problem_score("q1") == 0.333 and row.problem_score("q2") == 1.0
        assert row.problem_score("q9") == 0

    def test_json_round_trip_keeps_every_field(self):
        interp = {"plain": "1/2", "latex": r"\frac{1}{2}"}
        row = SubmissionResult("s1", "s1/answers.yaml", "ok", "note",
                               (part(feedback="fb", interpreted=interp, misconception="slip"),), 6.0, ("w1", "w2"))
        data = json.loads(json.dumps(row.to_json()))
        assert data == {"student": "s1", "source": "s1/answers.yaml", "status": "ok", "message": "note",
                        "score": 1.0, "max": 6.0, "warnings": ["w1", "w2"],
                        "parts": [{"key": "q1", "part": "a", "verdict": "partial", "score": 1.0, "max": 2.0,
                                   "check": "tolerance", "feedback": "fb", "interpreted": interp,
                                   "misconception": "slip"}]}
        assert SubmissionResult.from_json(data) == row

    def test_json_copies_the_interpretation_and_keeps_none(self):
        interp = {"plain": "x"}
        p = part(interpreted=interp)
        out = p.to_json()
        assert out["interpreted"] == interp and out["interpreted"] is not interp
        assert part().to_json()["interpreted"] is None and part().to_json()["misconception"] is None

    def test_rows_written_before_warnings_existed_still_read(self):
        data = SubmissionResult("s1", "", "missing").to_json()
        del data["warnings"]
        assert SubmissionResult.from_json(data).warnings == ()


class TestTables:
    def test_columns_are_padded_to_the_widest_cell_and_numbers_right_aligned(self):
        text = _table(["name", "n"], [["a", 1], ["long name", 100]], right={1})
        assert text.splitlines() == ["name         n", "---------  ---", "a            1", "long name  100"]

    def test_trailing_blanks_are_trimmed(self):
        assert _table(["a", "b"], [["x", ""]]).splitlines() == ["a  b", "-  -", "x"]

    @pytest.mark.parametrize("text, width, shown", [
        ("abc", 3, "abc"), ("abcd", 3, "ab…"), ("x" * 28, 28, "x" * 28), ("x" * 29, 28, "x" * 27 + "…")])
    def test_long_answers_are_cut_with_an_ellipsis_to_the_width(self, text, width, shown):
        assert _short(text, width) == shown
        assert len(shown) <= width

    def test_the_default_width_is_28(self):
        assert _short("y" * 40) == "y" * 27 + "…"

    def summary(self, **over):
        base = {"parts": {
            "q1.a": {"type": "number", "attempts": 10, "correct_pct_of_attempts": 62.5, "correct_pct_of_class": 50.4,
                     "common_wrong_answers": [{"answer": "1/2", "count": 3}, {"answer": "2", "count": 1}],
                     "misconceptions": {"sign": 2, "rate": 4, "none": 0}},
            "q1.b": {"type": "expression", "attempts": 0, "correct_pct_of_attempts": 0.0,
                     "correct_pct_of_class": 0.0, "common_wrong_answers": [], "misconceptions": {"x": 0}}}}
        base.update(over)
        return base

    def test_part_table_shows_the_commonest_wrong_answer_and_misconception(self):
        lines = part_table(self.summary()).splitlines()
        assert lines[0].split("  ")[0] == "part" and "correct, % of attempts" in lines[0]
        assert "commonest wrong answer" in lines[0] and lines[0].endswith("commonest misconception")
        # % without decimals; the most frequent wrong answer and misconception, never one at 0
        assert re.split(r"\s{2,}", lines[2]) == ["q1.a", "number", "10", "62%", "50%", "1/2 ×3", "rate ×4"]
        assert re.split(r"\s{2,}", lines[3]) == ["q1.b", "expression", "0", "0%", "0%"]

    def test_part_table_right_aligns_its_three_number_columns_only(self):
        """Attempts and both percentages end under their headers; names and answers start under theirs."""
        lines = part_table(self.summary()).splitlines()
        spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[1])]
        assert len(spans) == 7
        for line in lines[2:]:
            cells = [line[a:b] for a, b in spans]
            for i, cell in enumerate(cells):
                if i in (2, 3, 4):      # narrower than the header: blank on the left, flush right
                    assert cell[0] == " " and cell[-1] != " ", (i, cell)
                elif cell:
                    assert cell[0] != " ", (i, cell)

    def test_part_table_in_russian(self):
        head = part_table(self.summary(), "ru").splitlines()[0]
        assert head.startswith("пункт") and "попыток" in head and head.endswith("самая частая типичная ошибка")

    def test_misconception_ties_go_to_the_later_name(self):
        s = self.summary()
        s["parts"]["q1.a"]["misconceptions"] = {"alpha": 3, "beta": 3}
        assert part_table(s).splitlines()[2].endswith("beta ×3")

    def test_long_wrong_answers_are_shortened(self):
        s = self.summary()
        s["parts"]["q1.a"]["common_wrong_answers"] = [{"answer": "9" * 40, "count": 2}]
        assert "9" * 27 + "… ×2" in part_table(s)

    def run_summary(self, **over):
        s = {"rows": 12, "duplicates": 2, "class_size": 11, "mean_score": 3.456, "median_score": 4.0, "max": 8.0,
             "review": {"total": 0}}
        s.update(over)
        return s

    def test_run_lines_without_stats(self):
        assert run_lines(self.run_summary(), {}) == [
            "graded 10 submissions; over the class of 11: mean 3.46, median 4 / 8"]

    def test_run_lines_name_outsiders_and_answers_to_review(self):
        (line,) = run_lines(self.run_summary(not_enrolled=3, review={"total": 5}), {})
        assert line == ("graded 10 submissions; over the class of 11 (3 not enrolled excluded): mean 3.46, "
                        "median 4 / 8; 5 answers to review")

    def test_run_lines_report_speed_and_the_cache(self):
        stats = {"graded": 10, "resumed_from": 0, "seconds": 2.04, "workers": 2, "submissions_per_second": 4.9,
                 "verdict_cache": {"hit_rate": 0.25, "hits": 5, "lookups": 20}}
        lines = run_lines(self.run_summary(), stats)
        assert lines[1] == ("10 graded in 2.0 s with 2 worker(s): 4.9 submissions/s; verdict cache hit rate "
                            "25.0% (5 of 20 comparisons)")
        stats["resumed_from"] = 7
        assert run_lines(self.run_summary(), stats)[1].startswith("10 graded (+7 kept from the interrupted run) in")

    def test_score_table_lists_students_up_to_the_limit(self, tmp_path):
        pset = SimpleNamespace(entries=[SimpleNamespace(key="q1"), SimpleNamespace(key="q2")])
        rows = [SubmissionResult("s1", "s1.yaml", "ok", parts=(part(score=1.5), part(key="q2", score=2.0)), max=4.0),
                SubmissionResult("s2", "", "missing", parts=(part(score=0.0),), max=4.0),
                SubmissionResult("s3", "s3.yaml", "ok", max=4.0)]
        path = tmp_path / "results.jsonl"
        path.write_text("".join(json.dumps(r.to_json()) + "\n" for r in rows))
        assert score_table(pset, path).splitlines() == [
            "student  q1   q2  total  note",
            "-------  ---  --  -----  -------",
            "s1       1.5  2   3.5/4",
            "s2       0    0   0/4    missing",
            "s3       0    0   0/4"]
        cut = score_table(pset, path, limit=2).splitlines()
        assert cut[:4] == score_table(pset, path).splitlines()[:4] and cut[4:] == ["…"]   # same columns
        assert len(score_table(pset, path, limit=3).splitlines()) == 5

    def test_score_table_shows_sixty_students_by_default(self, tmp_path):
        pset = SimpleNamespace(entries=[SimpleNamespace(key="q1")])
        path = tmp_path / "results.jsonl"
        path.write_text("".join(json.dumps(SubmissionResult(f"s{i:02d}", "", "missing", max=1.0).to_json()) + "\n"
                                for i in range(61)))
        lines = score_table(pset, path).splitlines()
        assert len(lines) == 2 + 60 + 1 and lines[-2].startswith("s59") and lines[-1] == "…"


class Tty(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self, now=100.0):
        self.now = now

    def monotonic(self):
        return self.now


class TestProgress:
    def test_silent_off_a_terminal_or_when_quiet(self):
        for stream, quiet in ((io.StringIO(), False), (Tty(), True), (object(), False)):
            bar = Progress(3, stream=stream, quiet=quiet)
            assert not bar.enabled
        assert Progress(3, stream=Tty()).enabled

    def test_totals_are_at_least_one(self):
        bar = Progress(0, stream=io.StringIO())
        assert bar.total == 1
        bar.start(0)
        assert bar.total == 1 and bar.done == 0

    def test_the_bar_rate_and_time_left(self, monkeypatch):
        """Filled share of the width, items per second since start, and the time left at that rate."""
        clock = Clock()
        monkeypatch.setattr(progress_module, "time", clock)
        out = Tty()
        with Progress(stream=out, width=10) as bar:
            bar.start(4, done=1)                 # 1 kept from an earlier run: not in the rate
            assert out.getvalue() == "\r  [██········] 1/4  0.0/s   "
            clock.now = 102.0
            out.truncate(0), out.seek(0)
            bar.tick()                           # 1 item in 2 s: 0.5/s, 2 left: ~4 s
            assert out.getvalue() == "\r  [█████·····] 2/4  0.5/s  ~4s left   "
            clock.now = 102.05
            out.truncate(0), out.seek(0)
            bar.tick()                           # within 0.1 s of the last draw: not redrawn
            assert out.getvalue() == ""
            clock.now = 102.06
            bar.tick()                           # the last item is always drawn, with no time left
            assert out.getvalue() == "\r  [██████████] 4/4  1.5/s   "
            out.truncate(0), out.seek(0)
        assert out.getvalue() == "\n"

    def test_a_bar_never_overfills_and_draws_at_a_tenth_of_a_second(self, monkeypatch):
        clock = Clock()
        monkeypatch.setattr(progress_module, "time", clock)
        out = Tty()
        bar = Progress(stream=out, width=4)
        bar.start(2)
        clock.now = 100.09
        out.truncate(0), out.seek(0)
        bar.tick()
        assert out.getvalue() == ""
        clock.now = 100.2
        bar.tick(0)
        assert out.getvalue().startswith("\r  [██··] 1/2")
        bar.tick(5)
        assert "[████] 6/2" in out.getvalue()

    def test_nothing_drawn_means_no_newline(self):
        out = Tty()
        with Progress(stream=out, quiet=True) as bar:
            bar.start(3)
        assert out.getvalue() == ""
        out = Tty()
        with Progress(stream=out):
            pass
        assert out.getvalue() == ""

    def test_a_bar_made_with_its_total_counts_from_zero_without_start(self, monkeypatch):
        """Progress(total) then tick(): no item done yet, the clock and the rate start at construction."""
        clock = Clock()
        monkeypatch.setattr(progress_module, "time", clock)
        out = Tty()
        bar = Progress(3, stream=out, width=10)
        clock.now = 102.0
        bar.tick()                               # 1 item in 2 s: 0.5/s, 2 left: ~4 s
        assert out.getvalue() == "\r  [███·······] 1/3  0.5/s  ~4s left   "

    def test_the_default_stream_is_stderr(self, monkeypatch):
        fake = Tty()
        monkeypatch.setattr(progress_module.sys, "stderr", fake)
        bar = Progress(2)
        assert bar.stream is fake and bar.enabled and bar.width == 30
