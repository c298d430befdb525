"""More rules of a batch (grader/grading/batch.py), in-process: the rows of entries that
cannot be graded, the language of a batch's messages, what stats.json reports, progress,
the files a batch writes (encoding, temporaries, stale per-student files) and copying kept
lines on --resume.

Like tests/core/test_rules_batch.py (whose helpers these reuse), ``grade_batch`` runs with
one worker, so everything grades in this process where mutation testing can see it.
"""

from __future__ import annotations

import errno
import importlib.util
import io
import json
import locale
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from grader.bank.loader import load_set
from grader.errors import UsageError
from grader.grading import batch, report_pass
from grader.grading.batch import (MANIFEST, RESULTS, WorkItem, describe_changes, discover, grade_batch, plan,
                                  read_line, read_stats, result_line, write_reports)
from grader.grading.submission import message

from tests.core.test_rules_batch import SECRET, SET_YAML, key_answers, lines, write

# a problem key that is not ASCII, so every report (gradebook header included) has non-ASCII text
KEY = "задача"


@pytest.fixture(scope="module")
def pset(tmp_path_factory):
    path = tmp_path_factory.mktemp("set") / "one.yaml"
    path.write_text(SET_YAML.replace("key: q1", f"key: {KEY}"), encoding="utf-8")
    return load_set(path)


@pytest.fixture
def subs(pset, tmp_path):
    """s1 right with a second file, s2 right, s3 whose answers.yaml is a link to itself (cannot be examined)."""
    folder = tmp_path / "subs"
    for s in ("s1", "s2"):
        write(folder, f"{s}.yaml", s, key_answers(pset, s))
    write(folder, "s1/answers.yaml", "s1", key_answers(pset, "s1"))
    (folder / "s3").mkdir()
    os.symlink("answers.yaml", folder / "s3" / "answers.yaml")
    return folder


ROSTER = ["s1", "s2", "s3", "s4"]
ELOOP = os.strerror(errno.ELOOP)          # "Too many levels of symbolic links"


def run(pset, subs, out, **kw):
    return grade_batch(pset, kw.pop("secret", SECRET), subs, out, roster=kw.pop("roster", ROSTER),
                       workers=kw.pop("workers", 1), **kw)


def by_source(out: Path) -> dict[str, dict]:
    return {r["source"] or r["student"]: r for r in lines(out)}


# ------------------------------------------------------------------ entries and their rows

class TestEntries:
    def test_an_empty_or_unexaminable_folder_does_not_end_the_scan(self, tmp_path, monkeypatch):
        """Entries listed after a folder without answers.yaml or with one that cannot be examined still count."""
        for name in ("a.yaml", "z.yaml", "m/answers.yaml"):
            write(tmp_path, name, "x", "x: 1\n")
        (tmp_path / "empty").mkdir()
        (tmp_path / "loop").mkdir()
        os.symlink("answers.yaml", tmp_path / "loop" / "answers.yaml")
        real = os.scandir
        first = {"empty": 0, "loop": 1}                # whatever order the OS lists them in: these first
        monkeypatch.setattr(batch.os, "scandir", lambda p: sorted(real(p), key=lambda e: first.get(e.name, 2)))
        assert discover(tmp_path) == [("a.yaml", None), ("loop/answers.yaml", ELOOP), ("m/answers.yaml", None),
                                      ("z.yaml", None)]

    def test_an_entry_that_cannot_be_examined_is_an_invalid_row_saying_why(self, pset, subs, tmp_path):
        """The graded item keeps the entry's error; its row is `invalid` with the reason, in the batch's language."""
        assert [w for w in plan(subs, None) if w.student == "s3"] == [
            WorkItem("s3", "s3/answers.yaml", error=ELOOP)]
        run(pset, subs, tmp_path / "out", lang="ru")
        row = by_source(tmp_path / "out")["s3/answers.yaml"]
        assert (row["status"], row["message"]) == ("invalid", f"файл не читается: {ELOOP}")
        assert row["message"] == message("unreadable", "ru", why=ELOOP)

    def test_a_batch_in_another_language_writes_its_row_messages_in_it(self, pset, subs, tmp_path):
        """--lang ru on an English set: the duplicate's message and the graded file's warning are Russian."""
        run(pset, subs, tmp_path / "out", lang="ru")
        rows = by_source(tmp_path / "out")
        assert rows["s1/answers.yaml"]["message"] == "второй файл этого студента; проверяется s1.yaml"
        assert rows["s1.yaml"]["warnings"] == ["другой файл этого студента не проверялся: s1/answers.yaml"]

    def test_a_crash_is_reported_on_stderr_with_the_file_and_the_error(self, pset, subs, tmp_path, monkeypatch,
                                                                      capsys):
        """A grader bug names the file and the exception on stderr; every part row carries its problem key."""
        def boom(self, path, *args):
            raise RuntimeError("boom")
        monkeypatch.setattr(batch.CachingSubmissionGrader, "grade_file", boom)
        run(pset, subs, tmp_path / "out")
        err = capsys.readouterr().err
        assert "grader: internal error while grading s2.yaml: RuntimeError: boom" in err
        row = by_source(tmp_path / "out")["s2.yaml"]
        assert row["status"] == "error" and [p["key"] for p in row["parts"]] == [KEY] * len(row["parts"])

    def test_an_internal_error_row_without_a_file_has_an_empty_source(self, pset):
        """A roster student without a file whose row fails: source is "" like any row without a file."""
        r = batch._internal_error(pset, WorkItem("s4", None), "internal-error:X", "failed")
        assert (r.student, r.source, r.status, r.max) == ("s4", "", "error", pset.points)

    @pytest.mark.parametrize("lang,says", [("en", "no submission"), ("ru", "работа не сдана")])
    def test_a_roster_student_without_a_file_is_told_so_in_the_batch_language(self, pset, subs, lang, says):
        """The row of an enrolled student who sent nothing: every part missing, the reason in the set's language."""
        batch._init_worker(pset, SECRET, lang, str(subs), None, 100, in_child=False)
        row = json.loads(batch._grade_one(WorkItem("s9", None)))
        assert (row["status"], row["message"]) == ("missing", says)
        assert {p["verdict"] for p in row["parts"]} == {"missing"}

    def test_a_row_grades_the_bytes_its_digest_was_taken_of(self, pset, subs, monkeypatch):
        """The file is read once: the row grades the snapshot whose digest it records, even
        when the file on disk changes in between (a student re-saving during the batch)."""
        from grader.grading import submission
        real = submission.snapshot
        wrong = {"q": {p.id: "999999" for p in pset.entries[0].problem.parts}}

        def snapshot_then_edit(path):
            snap = real(path)
            write(path.parent, path.name, "s2", {KEY: wrong["q"]})   # edited after it was read
            return snap
        monkeypatch.setattr(batch, "snapshot", snapshot_then_edit)
        batch._init_worker(pset, SECRET, "en", str(subs), None, 100, in_child=False)
        row = json.loads(batch._grade_one(WorkItem("s2", "s2.yaml")))
        assert row["score"] == row["max"] > 0

    def test_a_chunk_reports_its_own_cache_counts(self, pset, subs):
        """_grade_chunk's counts are this chunk's: over chunks they add up to the worker's totals."""
        batch._init_worker(pset, SECRET, "en", str(subs), None, 100, in_child=False)
        item = WorkItem("s1", "s1.yaml")
        deltas = [batch._grade_chunk(chunk)[1] for chunk in ([item, item], [item], [item])]
        stats = batch._worker["grader"].stats
        assert deltas[0][0] > 0                                  # the second copy hit the cache
        assert [sum(d[i] for d in deltas) for i in range(3)] == [stats.hits, stats.misses, stats.bypassed]


# ------------------------------------------------------------------ the manifest and its lines

class TestManifestText:
    @pytest.mark.parametrize("count,shown", [
        (4, "f0, f1, f2, f3"), (5, "f0, f1, f2, f3 and 1 more"), (6, "f0, f1, f2, f3 and 2 more")])
    def test_up_to_four_changed_files_are_all_named(self, count, shown):
        """Four names are shown in full; "and N more" only past four."""
        old = {"set_digest": "d", "files": {}}
        new = {"set_digest": "e", "files": {f"f{i}": "1" for i in range(count)}}
        assert describe_changes(old, new) == [f"bank files ({shown})"]

    def test_the_manifest_and_stats_are_indented_utf8_text(self):
        """batch.json and stats.json are for people too: indented, non-ASCII as is, a final newline."""
        assert batch._json_text({"a": {"b": "я"}}) == '{\n  "a": {\n    "b": "я"\n  }\n}\n'

    def test_compiled_caches_are_not_solver_code(self, tmp_path):
        """_solver_files lists the solver's folder's .py files, never those under __pycache__."""
        (tmp_path / "helper.py").write_text("X = 1\n")
        (tmp_path / "__pycache__").mkdir()
        (tmp_path / "__pycache__" / "stray.py").write_text("X = 2\n")
        (tmp_path / "solver.py").write_text("def solve(p):\n    return p\n")
        spec = importlib.util.spec_from_file_location("mbatch_solver_probe", tmp_path / "solver.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert batch._solver_files(SimpleNamespace(solver=module.solve)) == [tmp_path / "helper.py",
                                                                            tmp_path / "solver.py"]

    def test_a_lines_checksum_is_over_its_content_not_its_key_order(self):
        """A line whose keys were reordered (by a tool re-serialising JSON) still holds its checksum."""
        data = {"ident": "s1\x1fs1.yaml", "b": [1, 2], "a": "группа"}
        stored = json.loads(result_line(data))
        reordered = json.dumps(dict(reversed(list(stored.items()))), ensure_ascii=False)
        assert not reordered.startswith('{"a"')
        assert read_line(reordered.encode()) == data


# ------------------------------------------------------------------ stats.json and progress

class FakeClock:
    """time.monotonic for batch: the first reading, then another one for ever."""

    def __init__(self, first: float, then: float):
        self.readings = [first]
        self.then = then

    def monotonic(self) -> float:
        return self.readings.pop() if self.readings else self.then


class TestStats:
    def test_stats_report_the_runs_figures(self, pset, subs, tmp_path, monkeypatch):
        """Workers used, lost workers, cache lookups/hits/misses/hit rate, peak memory, times, rounded as documented."""
        real = batch._graded

        def graded(todo, workers, init_args, run):      # grades here; reports known pool figures
            batch._add(run, (3, 1, 2, 102400))
            run["workers_lost"] = 1
            yield from real(todo, 1, init_args, dict(run))
        monkeypatch.setattr(batch, "_graded", graded)
        monkeypatch.setattr(batch, "_peak_rss_kb", lambda: 204800)
        monkeypatch.setattr(batch, "time", FakeClock(0.0, 0.7777))
        run(pset, subs, tmp_path / "out", workers=2, cache_size=123)
        stats = read_stats(tmp_path / "out")
        assert stats == {
            "submissions": 5, "resumed_from": 0, "graded": 5, "workers": 2, "workers_lost": 1,
            "seconds": 0.778, "grading_seconds": 0.778, "submissions_per_second": 6.43,
            "verdict_cache": {"lookups": 6, "hits": 3, "misses": 1, "not_cacheable": 2, "hit_rate": 0.5,
                              "entries_per_worker": 123},
            "peak_rss_mb": {"main": 200.0, "worker_max": 100.0}}

    def test_the_cache_figures_are_the_workers_own(self, pset, subs, tmp_path):
        """Graded in this process: stats.json's cache counts equal the grader's cache statistics."""
        run(pset, subs, tmp_path / "out")
        cache = read_stats(tmp_path / "out")["verdict_cache"]
        own = batch._worker["grader"].stats
        assert (cache["hits"], cache["misses"], cache["not_cacheable"]) == (own.hits, own.misses, own.bypassed)
        assert cache["lookups"] == own.hits + own.misses + own.bypassed > 0

    def test_a_resume_that_grades_nothing_reports_no_rates(self, pset, subs, tmp_path):
        """Nothing graded: zero lookups, hit rate 0.0, 0 submissions per second, one worker."""
        run(pset, subs, tmp_path / "out")
        run(pset, subs, tmp_path / "out", resume=True, workers=2)
        stats = read_stats(tmp_path / "out")
        assert (stats["graded"], stats["workers"], stats["submissions_per_second"]) == (0, 1, 0.0)
        assert (stats["verdict_cache"]["lookups"], stats["verdict_cache"]["hit_rate"]) == (0, 0.0)

    def test_a_run_faster_than_the_clock_reports_zero_speed(self, pset, subs, tmp_path, monkeypatch):
        """A clock that did not advance (coarse timers): 0.0 submissions per second, not a division by zero."""
        monkeypatch.setattr(batch, "time", FakeClock(5.0, 5.0))
        run(pset, subs, tmp_path / "out")
        assert read_stats(tmp_path / "out")["submissions_per_second"] == 0.0

    def test_progress_is_told_the_total_what_was_kept_and_each_graded_row(self, pset, subs, tmp_path):
        """progress.start(total, kept) once, then tick() per graded row; a bare callable is called per row."""
        calls = []
        progress = SimpleNamespace(start=lambda total, done: calls.append(("start", total, done)),
                                   tick=lambda: calls.append("tick"))
        run(pset, subs, tmp_path / "out", progress=progress)
        assert calls == [("start", 5, 0)] + ["tick"] * 5
        write(subs, "s2.yaml", "s2", {KEY: {"total": 1}})
        calls.clear()
        run(pset, subs, tmp_path / "out", progress=progress, resume=True)
        assert calls == [("start", 5, 4), "tick"]
        ticks = []
        run(pset, subs, tmp_path / "again", progress=lambda: ticks.append(1))
        assert len(ticks) == 5

    def test_resume_names_every_changed_input(self, pset, subs, tmp_path):
        """Two batch-wide inputs changed: both named, separated by "; "."""
        run(pset, subs, tmp_path / "out")
        with pytest.raises(UsageError, match=r"other inputs \(the language; the secret changed\)"):
            run(pset, subs, tmp_path / "out", resume=True, lang="ru", secret=b"another-secret-0123456789")


# ------------------------------------------------------------------ the files a batch writes

class TestFiles:
    def test_the_output_folder_is_created_with_its_parents(self, pset, subs, tmp_path):
        """--out may name a folder whose parents do not exist yet."""
        run(pset, subs, tmp_path / "a" / "b" / "out")
        assert (tmp_path / "a" / "b" / "out" / RESULTS).is_file()

    def test_every_file_is_utf8_whatever_the_locale(self, pset, subs, tmp_path):
        """Under a non-UTF-8 locale (LC_CTYPE=C: ASCII) results, reports and a rebuilt results file are UTF-8."""
        saved = locale.setlocale(locale.LC_CTYPE)
        locale.setlocale(locale.LC_CTYPE, "C")
        try:
            assert locale.getencoding().lower() not in ("utf-8", "utf8")
            out = tmp_path / "out"
            run(pset, subs, out, lang="ru")
            raw = (out / RESULTS).read_bytes().splitlines(keepends=True)
            (out / RESULTS).write_bytes(b"".join([raw[1], raw[0], *raw[2:]]))     # kept out of order: rebuilt
            run(pset, subs, out, lang="ru", resume=True)
        finally:
            locale.setlocale(locale.LC_CTYPE, saved)
        assert (out / "gradebook.csv").read_text(encoding="utf-8").startswith(f"student_id,status,{KEY},total\n")
        assert "файл не читается" in (out / "junit.xml").read_text(encoding="utf-8")
        assert "файл не читается" in (out / RESULTS).read_text(encoding="utf-8")
        assert read_stats(out)["resumed_from"] == 5

    def test_temporaries_in_the_results_folder_are_removed(self, tmp_path):
        """Left-over *.tmp files in DIR, DIR/feedback, DIR/results and DIR/results/<id> go; other files stay."""
        names = ["a.tmp", "feedback/b.md.tmp", "results/c.tmp", "results/s1/results.json.tmp",
                 "keep.txt", "results/s1/results.json"]
        for name in names:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text("x")
        batch._remove_temporaries(tmp_path)
        assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == \
            ["keep.txt", "results/s1/results.json"]

    def test_reports_remove_per_student_files_of_an_earlier_batch(self, pset, subs, tmp_path):
        """Rebuilding reports drops feedback of students not in the results and, without gradescope, results/."""
        out = tmp_path / "out"
        run(pset, subs, out)
        for name in ("feedback/gone.md", "results/gone/results.json", "results/stray.txt"):
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text("old")
        write_reports(pset, out, "en", roster=ROSTER)
        assert sorted(p.name for p in (out / "feedback").iterdir()) == ["s1.md", "s2.md", "s3.md", "s4.md"]
        assert not (out / "results").exists()

    def test_per_student_gradescope_files_keep_only_this_batchs_students(self, pset, subs, tmp_path):
        """With gradescope per student, results/<id>/ of other students and stray files in results/ go."""
        out = tmp_path / "out"
        run(pset, subs, out, formats=("gradescope",))
        (out / "results" / "gone").mkdir()
        (out / "results" / "stray.txt").write_text("old")
        write_reports(pset, out, "en", ("gradescope",), roster=ROSTER)
        assert sorted(p.name for p in (out / "results").iterdir()) == ["s1", "s2", "s3", "s4"]


# ------------------------------------------------------------------ the report pass in slices

def outputs(out: Path) -> dict[str, bytes]:
    """Every file of a batch but the run's own figures and the lock, by relative path."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in ("stats.json", ".lock")}


@pytest.fixture
def class_subs(pset, subs):
    """The subs fixture (a second file, an unexaminable entry) plus right, wrong and unreadable
    files, a file naming nobody and one from outside the roster: 15 lines, several slices."""
    for i in range(5, 12):
        write(subs, f"s{i}.yaml", f"s{i}", key_answers(pset, f"s{i}") if i % 2 else {KEY: {"total": i}})
    write(subs, "s12.yaml", "s12", "answers: [oops")
    write(subs, "two words.yaml", "x", "x: 1\n")
    write(subs, "zed.yaml", "zed", key_answers(pset, "zed"))
    return subs


CLASS = ROSTER + [f"s{i}" for i in range(5, 13)]


class TestReportPass:
    @pytest.mark.parametrize("formats", [(), ("gradescope",)])
    def test_two_workers_write_the_bytes_one_writes(self, pset, class_subs, tmp_path, monkeypatch, formats):
        """Slices of 3 lines rendered by 2 forked workers and merged in order: every file (gradebook, JUnit,
        summary, report.html, feedback, Gradescope) is byte-identical to a one-worker run's."""
        monkeypatch.setattr(report_pass, "REPORT_CHUNK", 3)
        one, two = tmp_path / "one", tmp_path / "two"
        s1 = run(pset, class_subs, one, roster=CLASS, formats=formats)
        s2 = run(pset, class_subs, two, roster=CLASS, formats=formats, workers=2)
        assert s1 == s2
        files = outputs(one)
        assert files == outputs(two)
        assert len(lines(one)) == 15 and len([f for f in files if f.startswith("feedback/")]) == 13
        assert s1["duplicates"] == 1 and s1["unnamed_files"] == 1 and s1["not_enrolled"] == 1

    def test_the_slices_cover_every_line_once_in_order(self, tmp_path):
        """_spans: runs of `size` whole lines, the last shorter, nothing lost (a last line without newline too)."""
        path = tmp_path / "r.jsonl"
        path.write_bytes(b"a\nbb\nccc\ndddd\ne")
        spans = report_pass._spans(path, 2)
        raw = path.read_bytes()
        assert [raw[o:o + n] for o, n in spans] == [b"a\nbb\n", b"ccc\ndddd\n", b"e"]
        assert report_pass._spans(path, 10) == [(0, len(raw))]
        path.write_bytes(b"")
        assert report_pass._spans(path, 2) == []

    @pytest.mark.parametrize("lang,says", [("en", "report worker process died"),
                                           ("ru", "процесс, писавший отчёты, аварийно завершился")])
    def test_a_report_worker_that_dies_leaves_the_same_files(self, pset, class_subs, tmp_path, monkeypatch, capsys,
                                                             lang, says):
        """The worker rendering s9's slice dies (os._exit) the first time: that slice and the rest are
        rendered in the main process; the files equal a one-worker run's and stderr says what happened."""
        monkeypatch.setattr(report_pass, "REPORT_CHUNK", 3)
        one = tmp_path / "one"
        run(pset, class_subs, one, roster=CLASS, lang=lang)
        parent, real = os.getpid(), report_pass.feedback_md

        def dies_once(pset, r, lang):
            if os.getpid() != parent and r.student == "s9" and not (tmp_path / "died").exists():
                (tmp_path / "died").touch()
                os._exit(1)
            return real(pset, r, lang)
        monkeypatch.setattr(report_pass, "feedback_md", dies_once)
        two = tmp_path / "two"
        run(pset, class_subs, two, roster=CLASS, workers=2, lang=lang)
        assert (tmp_path / "died").exists()
        assert outputs(two) == outputs(one)
        assert says in capsys.readouterr().err

    def test_a_write_that_fails_in_a_report_worker_is_an_os_error_naming_the_file(self, pset, class_subs,
                                                                                 tmp_path, monkeypatch):
        """A feedback file that cannot be written (a folder stands at its path) fails the pass with the
        OSError and its path, as in one process (the CLI turns it into one line); the results stay."""
        monkeypatch.setattr(report_pass, "REPORT_CHUNK", 3)
        out = tmp_path / "out"
        run(pset, class_subs, out, roster=CLASS)
        results = (out / RESULTS).read_bytes()
        (out / "feedback" / "s9.md").unlink()
        (out / "feedback" / "s9.md").mkdir()
        with pytest.raises(OSError) as caught:
            write_reports(pset, out, "en", roster=CLASS, workers=2)
        assert "feedback/s9.md" in caught.value.filename
        assert (out / RESULTS).read_bytes() == results


# ------------------------------------------------------------------ copying kept lines

class TestCopy:
    @pytest.mark.parametrize("lead", [0, 1])
    def test_a_kept_span_longer_than_a_chunk_is_copied_whole_even_mid_character(self, lead):
        """_copy decodes across its 64 KiB reads: a two-byte character split by a read is not an error."""
        text = "x" * lead + "я" * 40000 + "\n"          # 80 001+ bytes: a read ends inside a character
        src, dst = io.BytesIO(b"head" + text.encode()), io.StringIO()
        batch._copy(src, dst, 4, len(text.encode()))
        assert dst.getvalue() == text

    def test_a_span_one_byte_past_a_chunk_keeps_its_last_byte(self):
        """The copy goes on until every byte of the span is written (here 65 537 bytes)."""
        data = b"a" * (1 << 16) + b"\n" + b"not copied"
        dst = io.StringIO()
        batch._copy(io.BytesIO(data), dst, 0, (1 << 16) + 1)
        assert dst.getvalue() == "a" * (1 << 16) + "\n"

    def test_resume_rebuilds_a_results_file_with_long_non_ascii_lines(self, pset, subs, tmp_path):
        """A kept line of 80 KB of Cyrillic and later lines moved: the rebuilt file is the kept lines in plan order."""
        out = tmp_path / "out"
        run(pset, subs, out, lang="ru")
        raw = (out / RESULTS).read_bytes().splitlines(keepends=True)
        long_row = read_line(raw[0])
        for lead in ("", "x"):                   # place a character across the first 64 KiB read
            long_row["message"] = lead + "я" * 40000
            first = (result_line(long_row) + "\n").encode()
            if first[1 << 16] & 0xC0 == 0x80:
                break
        assert first[1 << 16] & 0xC0 == 0x80
        (out / RESULTS).write_bytes(b"".join([first, raw[2], raw[1], *raw[3:]]))
        run(pset, subs, out, lang="ru", resume=True)
        assert (read_stats(out)["graded"], read_stats(out)["resumed_from"]) == (0, 5)
        assert (out / RESULTS).read_bytes() == b"".join([first, *raw[1:]])
