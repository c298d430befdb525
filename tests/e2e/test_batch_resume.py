"""Crash safety and scale-out: kill -9 and --resume, --shard and `grader merge`.

The kill tests run `python -m grader grade` in its own process group and SIGKILL the
group (the main process and its workers, as a cancelled CI job would) once
results.jsonl has reached a given number of lines; `--resume` must then finish the
batch with every file byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grader.bank.loader import load_set
from grader.cli import main
from test_batch import SECRET, SET, tree, write_class

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = 36


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A class with a roster (36 files + 1 absent), and its uninterrupted grading."""
    base = tmp_path_factory.mktemp("resume")
    subs = base / "subs"
    roster = write_class(load_set(SET), subs, STUDENTS)
    roster_csv = base / "roster.csv"
    roster_csv.write_text("student_id\n" + "\n".join(roster) + "\n")
    reference = base / "reference"
    old = os.environ.get("GRADER_SECRET")
    os.environ["GRADER_SECRET"] = SECRET.decode()
    try:
        assert cli(subs, reference, roster_csv, "--workers", "1") == 0
    finally:
        if old is None:
            os.environ.pop("GRADER_SECRET")
        else:
            os.environ["GRADER_SECRET"] = old
    return subs, roster_csv, reference


def cli(subs, out, roster_csv, *extra) -> int:
    return main(["grade", SET, "--submissions", str(subs), "--out", str(out), "--roster", str(roster_csv),
                 "--quiet", *extra])


def complete_lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.endswith(b"\n"))
    except FileNotFoundError:
        return 0


# The grading process kills itself (and its workers: the whole process group, as a
# cancelled CI job is killed) at an exact point of progress, so no test races a clock:
# after the manifest is written, after N result rows, or inside the reports. The hooks
# are the progress object every batch reports to and the atomic replace of each output.
KILLER = """
import os, signal, sys
import grader.grading.progress as progress
from grader.cli import main

point, n = os.environ["GRADER_TEST_KILL"].split(":")
n = int(n)

def die():
    os.killpg(os.getpgrp(), signal.SIGKILL)

def in_reports():
    replace, written = os.replace, []
    def counted(src, dst, *args, **kwargs):
        replace(src, dst, *args, **kwargs)
        if os.path.basename(os.path.dirname(os.fspath(dst))) == "feedback":
            written.append(dst)
            if len(written) >= n:
                die()
    os.replace = counted

start, tick = progress.Progress.start, progress.Progress.tick

def started(self, total, done=0):
    start(self, total, done)
    if point == "start":
        die()

def ticked(self, k=1):
    tick(self, k)
    if point == "rows" and self.done >= n:
        die()
    if point == "reports" and self.done >= self.total:
        in_reports()

progress.Progress.start, progress.Progress.tick = started, ticked
sys.exit(main(sys.argv[1:]))
"""


def kill_when(subs, out, roster_csv, point, timeout=300.0) -> tuple[int, int | None]:
    """Run `grader grade` until it kills itself at ``point`` (see ``KILLER``).

    Returns (complete result lines at the kill, the run's exit code: -9 when killed).
    ``timeout`` only bounds a run that never reaches its point (a failure, not a race).
    """
    env = dict(os.environ, GRADER_SECRET=SECRET.decode(), PYTHONPATH=str(ROOT),
               GRADER_TEST_KILL="%s:%d" % point)
    proc = subprocess.Popen([sys.executable, "-c", KILLER, "grade", SET, "--submissions", str(subs),
                             "--out", str(out), "--roster", str(roster_csv), "--workers", "2", "--quiet"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        code = proc.wait(timeout=timeout)
        return complete_lines(out / "results.jsonl"), code
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def lines_at_least(n):
    return ("rows", n)


BEFORE_ANY_RESULT = ("start", 0)
WHILE_WRITING_THE_REPORTS = ("reports", 3)      # the third feedback file


class TestKillAndResume:
    @pytest.mark.parametrize("point, reached, rows", [
        ("before any result", BEFORE_ANY_RESULT, 0),
        ("a third of the way", lines_at_least(STUDENTS // 3), STUDENTS // 3),
        ("two thirds of the way", lines_at_least(2 * STUDENTS // 3), 2 * STUDENTS // 3),
        ("while writing the reports", WHILE_WRITING_THE_REPORTS, STUDENTS + 1),
    ])
    def test_resume_after_kill_gives_the_uninterrupted_files(self, batch, tmp_path, secret_env, point, reached,
                                                             rows):
        subs, roster_csv, reference = batch
        out = tmp_path / "out"
        at_kill, code = kill_when(subs, out, roster_csv, reached)
        assert code == -signal.SIGKILL, f"the run ended ({code}) before the kill point: {point}"
        assert at_kill == rows
        assert cli(subs, out, roster_csv, "--resume", "--workers", "2") == 0
        assert tree(out) == tree(reference), point
        stats = json.loads((out / "stats.json").read_text())
        assert stats["resumed_from"] == at_kill                 # finished rows were not regraded
        assert stats["resumed_from"] + stats["graded"] == STUDENTS + 1

    def test_torn_last_line_and_leftover_temporaries_are_dropped(self, batch, tmp_path, secret_env):
        subs, roster_csv, reference = batch
        out = tmp_path / "out"
        _, code = kill_when(subs, out, roster_csv, lines_at_least(STUDENTS // 2))
        assert code == -signal.SIGKILL
        with (out / "results.jsonl").open("a") as fh:      # a write cut short by the kill
            fh.write('{"ident": "s0')
        (out / "feedback").mkdir(exist_ok=True)
        (out / "feedback" / "s001.md.tmp").write_text("half a file")
        (out / "gradebook.csv.tmp").write_text("half a file")
        assert cli(subs, out, roster_csv, "--resume", "--workers", "1") == 0
        assert tree(out) == tree(reference)

    def test_resume_of_a_finished_batch_regrades_nothing(self, batch, tmp_path, secret_env):
        subs, roster_csv, reference = batch
        out = tmp_path / "out"
        assert cli(subs, out, roster_csv, "--workers", "1") == 0
        assert cli(subs, out, roster_csv, "--workers", "1", "--resume") == 0
        assert json.loads((out / "stats.json").read_text())["graded"] == 0
        assert tree(out) == tree(reference)

    def test_resume_with_another_secret_is_refused(self, batch, tmp_path, secret_env, monkeypatch, capsys):
        subs, roster_csv, _ = batch
        out = tmp_path / "out"
        _, code = kill_when(subs, out, roster_csv, lines_at_least(3))
        monkeypatch.setenv("GRADER_SECRET", "a different secret, 0123456789")
        assert cli(subs, out, roster_csv, "--resume") == 2
        assert "the secret changed" in capsys.readouterr().err

    def test_new_file_after_the_kill_is_graded_in_place(self, batch, tmp_path, secret_env):
        """Resume follows the plan, not the old file: a late submission lands in order."""
        subs, roster_csv, reference = batch
        out = tmp_path / "out"
        late = subs.parent / "late"
        late.mkdir()
        for f in subs.iterdir():
            if f.name != "s002.yaml":
                (late / f.name).write_bytes(f.read_bytes())
        _, code = kill_when(late, out, roster_csv, lines_at_least(STUDENTS // 2))
        assert code == -signal.SIGKILL
        (late / "s002.yaml").write_bytes((subs / "s002.yaml").read_bytes())
        assert cli(late, out, roster_csv, "--resume", "--workers", "1") == 0
        assert tree(out) == tree(reference)


class TestShardAndMerge:
    def test_merged_shards_equal_the_unsharded_run(self, batch, tmp_path, secret_env, capsys):
        subs, roster_csv, reference = batch
        for i in (1, 2, 3):
            assert cli(subs, tmp_path / f"shard{i}", roster_csv, "--shard", f"{i}/3", "--workers", "1") == 0
        counts = [complete_lines(tmp_path / f"shard{i}" / "results.jsonl") for i in (1, 2, 3)]
        assert sum(counts) == STUDENTS + 1 and min(counts) >= STUDENTS // 3
        capsys.readouterr()
        assert main(["merge", *(str(tmp_path / f"shard{i}") for i in (3, 1, 2)), "--out", str(tmp_path / "m"),
                     "--quiet"]) == 0
        assert tree(tmp_path / "m") == tree(reference)
        assert "graded 37 submissions" in capsys.readouterr().out

    def test_gradescope_output_survives_the_merge(self, batch, tmp_path, secret_env):
        subs, roster_csv, _ = batch
        assert cli(subs, tmp_path / "whole", roster_csv, "--workers", "2", "--format", "gradescope") == 0
        for i in (1, 2):
            assert cli(subs, tmp_path / f"s{i}", roster_csv, "--shard", f"{i}/2", "--workers", "1",
                       "--format", "gradescope") == 0
        assert main(["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "m"),
                     "--set", SET, "--quiet"]) == 0
        assert tree(tmp_path / "m") == tree(tmp_path / "whole")
        assert len(list((tmp_path / "m" / "results").glob("*/results.json"))) == STUDENTS + 1   # the absent one too

    def test_merge_refuses_shards_that_do_not_fit(self, batch, tmp_path, secret_env, monkeypatch, capsys):
        subs, roster_csv, _ = batch
        for i in (1, 2, 3):
            assert cli(subs, tmp_path / f"shard{i}", roster_csv, "--shard", f"{i}/3", "--workers", "1") == 0
        merge = lambda *dirs: main(["merge", *map(str, dirs), "--out", str(tmp_path / "m"), "--quiet"])  # noqa: E731
        assert merge(tmp_path / "shard1", tmp_path / "shard2") == 2
        assert "3/3 missing" in capsys.readouterr().err
        assert merge(tmp_path / "shard1", tmp_path / "shard1", tmp_path / "shard3") == 2
        assert "both shard 1/3" in capsys.readouterr().err
        # an unfinished shard
        results = tmp_path / "shard2" / "results.jsonl"
        kept = results.read_bytes().splitlines(keepends=True)
        results.write_bytes(b"".join(kept[:-1]) + kept[-1][:10])
        assert merge(tmp_path / "shard1", tmp_path / "shard2", tmp_path / "shard3") == 2
        assert "--resume" in capsys.readouterr().err
        # a shard graded with another secret
        monkeypatch.setenv("GRADER_SECRET", "a different secret, 0123456789")
        assert cli(subs, tmp_path / "shard2", roster_csv, "--shard", "2/3", "--workers", "1") == 0
        assert merge(tmp_path / "shard1", tmp_path / "shard2", tmp_path / "shard3") == 2
        assert "secret_tag" in capsys.readouterr().err
        # a folder that is not a batch
        (tmp_path / "empty").mkdir()
        assert merge(tmp_path / "empty") == 2
        assert "not a graded batch" in capsys.readouterr().err
