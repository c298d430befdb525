"""Batch integrity: identity, exact resume, one writer, dead workers, the key and the secret.

Every fault here is done to a real `python -m grader` process (killed, its inputs
changed or corrupted, its environment broken), and its outputs are compared with a
fresh run on the current inputs: equal, or a refusal that says why.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from grader.bank.loader import load_set
from grader.cli import main
from test_batch import SECRET, SET, class_answers, tree, write_answers, write_class

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = 10


def grader_proc(*args, env=None, cwd=ROOT, **popen) -> subprocess.Popen:
    """``python -m grader ARGS`` in its own process group (so a kill takes its workers too)."""
    env = {**os.environ, "GRADER_SECRET": SECRET.decode(), "PYTHONPATH": str(cwd), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **popen)


def run(*args, **kw) -> subprocess.CompletedProcess:
    proc = grader_proc(*args, **kw)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def grade_args(subs, out, *extra, set_file=SET):
    return ["grade", set_file, "--submissions", subs, "--out", out, "--quiet", *extra]


def fresh(subs, out, *extra) -> dict:
    """The reference: an uninterrupted in-process run on the current inputs."""
    assert main(grade_args(str(subs), str(out), "--workers", "1", *map(str, extra))) == 0
    return tree(out)


def lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


def stats(out: Path) -> dict:
    return json.loads((out / "stats.json").read_text())


def complete_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def kill_when(proc: subprocess.Popen, reached, timeout: float = 180.0) -> int:
    """SIGKILL the process group once ``reached()`` holds; the exit code (-9 when killed)."""
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if reached():
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def pset():
    return load_set(SET)


@pytest.fixture
def klass(pset, tmp_path, secret_env):
    """A small class with a roster (one enrolled student without a file)."""
    subs = tmp_path / "subs"
    roster = write_class(pset, subs, STUDENTS)
    roster_csv = tmp_path / "roster.csv"
    roster_csv.write_text("student_id\n" + "\n".join(roster) + "\n")
    return subs, roster_csv


# ---------------------------------------------------------------------------------
# A. Identity (issue 11 item 2)

class TestIdentity:
    def test_a_file_counts_only_for_the_student_its_path_names(self, pset, tmp_path, secret_env):
        """Copies, odd names and a wrong `student:` field never become a row for that student."""
        subs = tmp_path / "subs"
        own = class_answers(pset, "s002", 3)                       # s002's own, half-done file
        write_answers(subs, "s002", own)
        full = class_answers(pset, "s002", 0)                      # a full-marks file "for" s002
        for name in ("s002 (copy).yaml", "x y.yaml", "not a valid id!.yaml", "s002.yaml.bak/answers.yaml"):
            write_answers(subs, "s002", full, name=name)
        write_answers(subs, "s002", full, name="s003.yaml")         # filed as s003, says s002
        write_answers(subs, "s001", class_answers(pset, "s001", 0))
        out = tmp_path / "out"
        result = run(*grade_args(subs, out, "--workers", "2"))
        assert result.returncode == 0, result.stderr
        rows = lines(out)
        graded = [r for r in rows if r["student"] and not r.get("duplicate_of")]
        assert sorted(r["student"] for r in graded) == ["s001", "s002", "s002.yaml.bak", "s003"]
        s002 = next(r for r in graded if r["student"] == "s002")
        assert s002["source"] == "s002.yaml" and 0 < s002["score"] < 40       # its own file, not the copy
        assert next(r for r in graded if r["student"] == "s003")["status"] == "invalid"
        assert "says student 's002'" in next(r for r in graded if r["student"] == "s003")["message"]
        bak = next(r for r in graded if r["student"] == "s002.yaml.bak")
        assert bak["status"] == "invalid" and bak["score"] == 0     # a folder's id, its file says s002
        unnamed = sorted(r["source"] for r in rows if not r["student"])
        assert unnamed == ["not a valid id!.yaml", "s002 (copy).yaml", "x y.yaml"]
        for r in rows:
            if not r["student"]:
                assert r["status"] == "invalid" and r["score"] == 0 and "names no student" in r["message"]
        book = (out / "gradebook.csv").read_text().splitlines()[1:]
        assert sorted(b.split(",")[0] for b in book) == ["s001", "s002", "s002.yaml.bak", "s003"]
        assert sorted(p.name for p in (out / "feedback").iterdir()) == [
            "s001.md", "s002.md", "s002.yaml.bak.md", "s003.md"]
        summary = json.loads((out / "summary.json").read_text())
        assert summary["submissions"] == 4 and summary["unnamed_files"] == 3
        assert {f["source"] for f in summary["unreadable_files"]} >= set(unnamed)

    @pytest.mark.parametrize("second", ["s002/answers.yaml", "s002.yml", "S002.yaml"])
    def test_a_second_file_is_reported_in_the_row_and_the_summary(self, pset, tmp_path, secret_env, second):
        subs = tmp_path / "subs"
        write_answers(subs, "s002", class_answers(pset, "s002", 0))
        write_answers(subs, "s002" if second != "S002.yaml" else "S002", class_answers(pset, "s002", 3),
                      name=second)
        roster = tmp_path / "roster.csv"
        roster.write_text("student_id\ns002\n")
        out = tmp_path / "out"
        result = run(*grade_args(subs, out, "--roster", roster))
        assert result.returncode == 0, result.stderr
        rows = lines(out)
        graded = [r for r in rows if not r.get("duplicate_of")]
        assert len(graded) == 1 and graded[0]["student"] == "s002" and graded[0]["source"] == "s002.yaml"
        assert graded[0]["score"] == 40
        assert any(second in w and "not graded" in w for w in graded[0]["warnings"])
        dup = [r for r in rows if r.get("duplicate_of")]
        assert [d["source"] for d in dup] == [second] and dup[0]["duplicate_of"] == "s002.yaml"
        summary = json.loads((out / "summary.json").read_text())
        assert summary["duplicates"] == 1 and summary["submissions"] == 1
        assert summary["duplicate_files"] == [{"student": dup[0]["student"], "source": second,
                                               "graded": "s002.yaml"}]
        assert len((out / "gradebook.csv").read_text().splitlines()) == 2
        assert second in (out / "feedback" / "s002.md").read_text()


# ---------------------------------------------------------------------------------
# 1. Resume is exact or refuses

class TestExactResume:
    def test_edited_submission_is_regraded_and_nothing_else(self, pset, klass, tmp_path):
        subs, roster_csv = klass
        out = tmp_path / "out"
        assert run(*grade_args(subs, out, "--roster", roster_csv, "--workers", "2")).returncode == 0
        write_answers(subs, "s003", class_answers(pset, "s003", 0))            # was kind 2: now all correct
        result = run(*grade_args(subs, out, "--roster", roster_csv, "--workers", "2", "--resume"))
        assert result.returncode == 0, result.stderr
        assert stats(out)["graded"] == 1 and stats(out)["resumed_from"] == STUDENTS
        assert tree(out) == fresh(subs, tmp_path / "fresh", "--roster", roster_csv)

    def test_roster_change_drops_and_changes_exactly_those_rows(self, pset, klass, tmp_path):
        subs, roster_csv = klass
        out = tmp_path / "out"
        assert run(*grade_args(subs, out, "--roster", roster_csv, "--format", "gradescope")).returncode == 0
        assert (out / "feedback" / "absent1.md").exists() and (out / "results" / "absent1").is_dir()
        ids = roster_csv.read_text().split()[1:]
        roster_csv.write_text("student_id\n" + "\n".join(i for i in ids if i not in ("absent1", "s002")) + "\n")
        result = run(*grade_args(subs, out, "--roster", roster_csv, "--format", "gradescope", "--resume"))
        assert result.returncode == 0, result.stderr
        assert stats(out)["graded"] == 1                  # s002: now a file from someone not enrolled
        assert not (out / "feedback" / "absent1.md").exists() and not (out / "results" / "absent1").exists()
        assert "not enrolled" in next(r for r in lines(out) if r["student"] == "s002")["message"]
        assert tree(out) == fresh(subs, tmp_path / "fresh", "--roster", roster_csv, "--format", "gradescope")

    @pytest.mark.slow
    def test_removed_and_added_files_after_a_kill(self, pset, klass, tmp_path):
        subs, roster_csv = klass
        out = tmp_path / "out"
        proc = grader_proc(*grade_args(subs, out, "--roster", roster_csv, "--workers", "2"))
        assert kill_when(proc, lambda: complete_lines(out / "results.jsonl") >= STUDENTS // 2) == -signal.SIGKILL
        (subs / "s001.yaml").unlink()                                          # withdrawn
        write_answers(subs, "s004", class_answers(pset, "s004", 0), name="s004/answers.yaml")   # a second file
        result = run(*grade_args(subs, out, "--roster", roster_csv, "--workers", "2", "--resume"))
        assert result.returncode == 0, result.stderr
        assert tree(out) == fresh(subs, tmp_path / "fresh", "--roster", roster_csv)

    def test_corrupted_lines_are_regraded(self, pset, klass, tmp_path):
        subs, roster_csv = klass
        out = tmp_path / "out"
        reference = fresh(subs, out, "--roster", roster_csv)
        path = out / "results.jsonl"
        raw = path.read_bytes().splitlines(keepends=True)
        raw[2] = raw[2].replace(b'"score": 0', b'"score": 9', 1).replace(b'"score": 1', b'"score": 9', 1)
        raw[4] = b"{not json at all}\n"
        raw[6] = raw[6][: len(raw[6]) // 2] + b"\n"
        path.write_bytes(b"".join(raw))
        result = run(*grade_args(subs, out, "--roster", roster_csv, "--resume"))
        assert result.returncode == 0, result.stderr
        assert stats(out)["graded"] == 3
        assert tree(out) == reference

    @pytest.mark.slow
    def test_changed_solver_or_problem_is_refused_by_name(self, klass, tmp_path):
        """A copy of the bank, so its solver code can change: resume refuses, naming the file."""
        subs, roster_csv = klass
        bank = tmp_path / "bank"
        for folder in ("grader", "problems", "reference", "sets"):
            shutil.copytree(ROOT / folder, bank / folder, ignore=shutil.ignore_patterns("__pycache__"))
        set_file = bank / "sets" / "demo.yaml"
        out = tmp_path / "out"
        args = grade_args(subs, out, "--roster", roster_csv, set_file=str(set_file))
        assert run(*args, cwd=bank).returncode == 0
        solver = sorted((bank / "reference").glob("*.py"))[-1]
        solver.write_text(solver.read_text() + "\n# a changed solver\n")
        result = run(*args, "--resume", cwd=bank)
        assert result.returncode == 2 and solver.name in result.stderr and "drop --resume" in result.stderr
        first_id = yaml.safe_load(set_file.read_text())["problems"][0]["problem"]
        problem = next(p for p in (bank / "problems").rglob("*.yaml") if yaml.safe_load(p.read_text())["id"] == first_id)
        problem.write_text(problem.read_text() + "\n# a changed problem\n")
        result = run(*args, "--resume", cwd=bank)
        assert result.returncode == 2 and problem.name in result.stderr
        assert run(*args, cwd=bank).returncode == 0                           # a fresh run goes ahead

    @pytest.mark.slow
    def test_kill_after_the_new_manifest_never_publishes_old_rows(self, klass, tmp_path):
        """A fresh run with another secret into a used folder, killed as soon as its manifest exists."""
        subs, roster_csv = klass
        out = tmp_path / "out"
        other = {"GRADER_SECRET": "another secret, quite long: 9f8e7d6c5b4a"}
        assert run(*grade_args(subs, out, "--roster", roster_csv)).returncode == 0     # secret A
        old_tag = json.loads((out / "batch.json").read_text())["secret_tag"]

        def new_manifest():
            try:
                return json.loads((out / "batch.json").read_text())["secret_tag"] != old_tag
            except (OSError, ValueError):
                return False
        proc = grader_proc(*grade_args(subs, out, "--roster", roster_csv, "--workers", "1"), env=other)
        kill_when(proc, new_manifest)
        assert new_manifest()
        result = run(*grade_args(subs, out, "--roster", roster_csv, "--resume"), env=other)
        assert result.returncode == 0, result.stderr
        os.environ["GRADER_SECRET"], saved = other["GRADER_SECRET"], os.environ["GRADER_SECRET"]
        try:
            assert tree(out) == fresh(subs, tmp_path / "fresh", "--roster", roster_csv)
        finally:
            os.environ["GRADER_SECRET"] = saved


# ---------------------------------------------------------------------------------
# 2. One writer per output folder; no leftovers of an earlier batch

def signal_group(pgid: int, sig: int) -> None:
    """Signal a process group that may have ended already."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


class TestOneWriter:
    def test_second_concurrent_run_is_refused_and_the_first_is_intact(self, klass, tmp_path):
        subs, roster_csv = klass
        # The first run is frozen once it holds the folder (batch.json written). On a loaded
        # machine this test may be descheduled until that run has finished; then it tries
        # again in a fresh folder rather than racing a clock.
        for attempt in range(5):
            out = tmp_path / f"out{attempt}"
            first = grader_proc(*grade_args(subs, out, "--roster", roster_csv, "--workers", "1"))
            deadline = time.monotonic() + 120
            while not (out / "batch.json").exists() and time.monotonic() < deadline and first.poll() is None:
                time.sleep(0.002)
            try:
                os.killpg(first.pid, signal.SIGSTOP)  # the first run holds the folder, frozen mid-batch
            except ProcessLookupError:                # it has ended (and been reaped) already
                pass
            if first.poll() is None:
                break
            signal_group(first.pid, signal.SIGCONT)
            first.communicate(timeout=300)
        try:
            assert first.poll() is None, "the first run ended before it could be paused, five times"
            second = run(*grade_args(subs, out, "--roster", roster_csv, "--workers", "1"))
        finally:
            signal_group(first.pid, signal.SIGCONT)
        _, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        assert second.returncode == 1 and "another `grader` run" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
        assert tree(out) == fresh(subs, tmp_path / "fresh", "--roster", roster_csv)

    def test_a_killed_run_leaves_no_stuck_lock(self, klass, tmp_path):
        subs, roster_csv = klass
        out = tmp_path / "out"
        proc = grader_proc(*grade_args(subs, out, "--roster", roster_csv, "--workers", "2"))
        assert kill_when(proc, lambda: complete_lines(out / "results.jsonl") >= 2) == -signal.SIGKILL
        assert (out / ".lock").exists()
        result = run(*grade_args(subs, out, "--roster", roster_csv, "--resume"))
        assert result.returncode == 0, result.stderr
        assert tree(out) == fresh(subs, tmp_path / "fresh", "--roster", roster_csv)

    def test_a_fresh_run_leaves_nothing_of_the_earlier_batch(self, pset, klass, tmp_path):
        subs, roster_csv = klass
        out = tmp_path / "out"
        assert run(*grade_args(subs, out, "--roster", roster_csv, "--format", "gradescope")).returncode == 0
        smaller = tmp_path / "smaller"
        smaller.mkdir()
        for f in ("s001.yaml", "s002.yaml"):
            shutil.copy(subs / f, smaller / f)
        assert run(*grade_args(smaller, out)).returncode == 0
        assert sorted(p.name for p in (out / "feedback").iterdir()) == ["s001.md", "s002.md"]
        assert not (out / "results").exists()
        assert tree(out) == fresh(smaller, tmp_path / "fresh")


# ---------------------------------------------------------------------------------
# 4. The key and the secret

def render_args(roster_csv, out, *extra):
    return ["render", SET, "--roster", roster_csv, "--out", out, *extra]


@pytest.fixture
def roster40(tmp_path) -> Path:
    """Twelve students: enough for a render to be caught midway."""
    path = tmp_path / "roster.csv"
    path.write_text("student_id\n" + "\n".join(f"s{i:03d}" for i in range(12)) + "\n")
    return path


class TestKeyAndSecret:
    def test_key_is_private_and_a_killed_rerender_keeps_the_old_one(self, roster40, tmp_path):
        out = tmp_path / "render"
        assert run(*render_args(roster40, out)).returncode == 0
        key = out / "key.json"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        good = key.read_bytes()
        assert len(json.loads(good)["students"]) == 12
        proc = grader_proc(*render_args(roster40, out), env={"GRADER_SECRET": "another long secret: 5f4e3d2c1b0a"})
        assert kill_when(proc, lambda: (out / "key.json.tmp").exists()) == -signal.SIGKILL
        assert key.read_bytes() == good                      # the old key, whole
        assert stat.S_IMODE((out / "key.json.tmp").stat().st_mode) == 0o600   # even the half-written one
        assert run(*render_args(roster40, out)).returncode == 0
        assert key.read_bytes() == good and stat.S_IMODE(key.stat().st_mode) == 0o600

    @pytest.mark.parametrize("secret", ["1234", "short-11chr"])
    def test_short_secret_is_refused(self, roster40, tmp_path, secret):
        for args in (render_args(roster40, tmp_path / "r"), grade_args(tmp_path, tmp_path / "g")):
            result = run(*args, env={"GRADER_SECRET": secret})
            assert result.returncode == 1 and "at least 12" in result.stderr and "grader secret" in result.stderr
            assert "Traceback" not in result.stderr, result.stderr
        assert not (tmp_path / "r").exists() and not (tmp_path / "g").exists()

    def test_weak_secret_and_shared_secret_file_warn(self, tmp_path):
        roster40 = tmp_path / "one.csv"
        roster40.write_text("student_id\ns001\n")
        result = run(*render_args(roster40, tmp_path / "a"), env={"GRADER_SECRET": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
        assert result.returncode == 0 and "looks weak" in result.stderr
        secret_file = tmp_path / "secret"
        secret_file.write_text(run("secret").stdout)
        secret_file.chmod(0o644)
        result = run(*render_args(roster40, tmp_path / "b", "--secret-file", secret_file))
        assert result.returncode == 0 and "readable by other users" in result.stderr and "chmod 600" in result.stderr
        assert "looks weak" not in result.stderr
        secret_file.chmod(0o600)
        result = run(*render_args(roster40, tmp_path / "c", "--secret-file", secret_file))
        assert result.returncode == 0 and result.stderr == ""

    def test_grader_secret_prints_a_fresh_strong_secret(self):
        from grader.variants import secret_bits
        first, second = run("secret"), run("secret")
        assert first.returncode == 0 and first.stdout != second.stdout
        value = first.stdout.strip()
        assert len(value) >= 43 and secret_bits(value.encode()) >= 128
        assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    def test_missing_secret_file_is_one_line_exit_1(self, roster40, tmp_path):
        result = run(*render_args(roster40, tmp_path / "r", "--secret-file", tmp_path / "nope"))
        assert result.returncode == 1 and str(tmp_path / "nope") in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------
# 3. Workers may die; a broken entry is a row, never a crash

def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _drop_file_capabilities() -> None:
    """In the child, before exec: leave the capabilities that let root ignore file modes."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):            # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        libc.prctl(24, cap, 0, 0, 0)   # PR_CAPBSET_DROP: gone from the exec'd program


def as_unprivileged() -> dict:
    """Popen arguments under which file permissions apply (root ignores them otherwise)."""
    return {"preexec_fn": _drop_file_capabilities} if os.geteuid() == 0 else {}


@pytest.fixture
def open_dir():
    """A scratch folder every user can write (for runs as nobody)."""
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="grader-perm-"))
    folder.chmod(0o777)
    yield folder
    for p in folder.rglob("*"):
        try:
            p.chmod(0o755) if p.is_dir() and not p.is_symlink() else None
        except OSError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


class TestWorkersAndEntries:
    @pytest.mark.slow
    @pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find the workers")
    def test_a_killed_worker_is_replaced_and_the_batch_finishes(self, pset, tmp_path, secret_env):
        subs = tmp_path / "subs"
        roster = write_class(pset, subs, 30)
        roster_csv = tmp_path / "roster.csv"
        roster_csv.write_text("student_id\n" + "\n".join(roster) + "\n")
        out = tmp_path / "out"
        proc = grader_proc(*grade_args(subs, out, "--roster", roster_csv, "--workers", "2"))
        killed = None
        deadline = time.monotonic() + 180
        while proc.poll() is None and time.monotonic() < deadline:
            workers = children(proc.pid)
            if workers and complete_lines(out / "results.jsonl") >= 2:
                killed = workers[0]
                os.kill(killed, signal.SIGKILL)            # as the OOM killer would
                break
            time.sleep(0.005)
        _, err = proc.communicate(timeout=300)
        assert killed is not None, "the batch ended before a worker could be killed"
        assert proc.returncode == 0, err
        assert "worker process died" in err
        assert stats(out)["workers_lost"] >= 1
        assert tree(out) == fresh(subs, tmp_path / "fresh", "--roster", roster_csv)

    def test_an_item_that_kills_its_worker_twice_is_an_internal_error_row(self, pset, klass, tmp_path,
                                                                         monkeypatch):
        """Forked workers inherit the patch: s004's worker dies (os._exit) every time."""
        from grader.grading import batch
        subs, roster_csv = klass
        real = batch._grade_one

        def deadly(item):
            if item.student == "s004" and os.getpid() != parent:
                os._exit(9)
            return real(item)
        parent = os.getpid()
        monkeypatch.setattr(batch, "_grade_one", deadly)
        roster = roster_csv.read_text().split()[1:]
        out = tmp_path / "out"
        batch.grade_batch(pset, SECRET, subs, out, roster=roster, workers=2)
        rows = {r["student"]: r for r in lines(out)}
        assert rows["s004"]["status"] == "error"
        assert all(p["check"] == "internal-error:worker-lost" for p in rows["s004"]["parts"])
        assert stats(out)["workers_lost"] >= 2
        monkeypatch.setattr(batch, "_grade_one", real)
        reference = tmp_path / "ref"
        batch.grade_batch(pset, SECRET, subs, reference, roster=roster, workers=1)
        want = {r["student"]: r for r in lines(reference)}
        assert {k: v for k, v in rows.items() if k != "s004"} == {k: v for k, v in want.items() if k != "s004"}

    def test_every_broken_entry_is_an_invalid_row_of_its_own(self, pset, open_dir):
        subs = open_dir / "subs"
        subs.mkdir()
        for sid in ("s001", "s002"):
            write_answers(subs, sid, class_answers(pset, sid, 0))
        os.mkfifo(subs / "s003.yaml")                                  # would block a reader forever
        (subs / "s004.yaml").symlink_to(open_dir / "nowhere.yaml")      # broken link
        (subs / "s005.yaml").symlink_to(subs / "s005.yaml")             # a loop
        locked = open_dir / "locked"
        write_answers(locked, "s006", class_answers(pset, "s006", 0))
        (subs / "s006.yaml").symlink_to(locked / "s006.yaml")           # into a folder nobody may search
        write_answers(subs, "s007", class_answers(pset, "s007", 0), name="s007/answers.yaml")
        (subs / "s008").symlink_to(locked)                              # a folder link into it
        for p in subs.rglob("*"):
            if not p.is_symlink():
                p.chmod(0o777 if p.is_dir() else 0o666)
        subs.chmod(0o777)
        locked.chmod(0o000)                                            # nobody may search it
        (subs / "s007").chmod(0o000)                                   # an unreadable student folder
        results = []
        for name in ("out", "again"):
            result = run(*grade_args(subs, open_dir / name, "--workers", "2"), **as_unprivileged())
            assert result.returncode == 0, result.stderr
            assert "Traceback" not in result.stderr, result.stderr
            results.append(tree(open_dir / name))
        assert results[0] == results[1]
        rows = {r["source"]: r for r in lines(open_dir / "out")}
        assert rows["s001.yaml"]["score"] == rows["s002.yaml"]["score"] == 40
        expected = {"s003.yaml": "not a regular file", "s004.yaml": "No such file",
                    "s005.yaml": "symbolic links", "s006.yaml": "Permission denied",
                    "s007/answers.yaml": "Permission denied", "s008/answers.yaml": "Permission denied"}
        for source, words in expected.items():
            assert rows[source]["status"] == "invalid", source
            assert words in rows[source]["message"], (source, rows[source]["message"])
        assert len(rows) == 8


# ---------------------------------------------------------------------------------
# 5. Validated inputs, clear errors

def one_line_error(result, *words):
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for w in words:
        assert w in result.stderr, (w, result.stderr)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB file system of our own (needs root and mount); skipped where that is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small file system here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


class TestInputsAndEnvironment:
    @pytest.mark.parametrize("points", ["-5", ".nan", ".inf", "-.inf"])
    def test_set_points_must_be_finite_and_not_negative(self, tmp_path, points):
        text = (ROOT / "sets" / "demo.yaml").read_text()
        set_file = tmp_path / "bad.yaml"
        set_file.write_text(text.replace("points: 10}", f"points: {points}}}", 1))
        assert yaml.safe_load(set_file.read_text()) != yaml.safe_load(text)
        (tmp_path / "subs").mkdir()
        result = run(*grade_args(tmp_path / "subs", tmp_path / "out", set_file=str(set_file)))
        one_line_error(result, str(set_file), "problems.2.points", "finite number, 0 or more")
        roster = tmp_path / "roster.csv"
        roster.write_text("student_id\ns001\n")
        one_line_error(run("render", set_file, "--roster", roster, "--out", tmp_path / "r"),
                       str(set_file), "problems.2.points")

    def test_roster_ids_must_differ_in_more_than_case(self, tmp_path):
        roster = tmp_path / "roster.csv"
        roster.write_text("student_id\nS001\ns002\ns001\n")
        result = run(*render_args(roster, tmp_path / "out"))
        one_line_error(result, str(roster), ":4", "S001")

    def test_out_is_a_file_or_read_only(self, klass, tmp_path):
        subs, roster_csv = klass
        blocker = tmp_path / "blocker"
        blocker.write_text("not a folder")
        one_line_error(run(*grade_args(subs, blocker)), str(blocker), "a file is in the way")
        one_line_error(run(*grade_args(subs, blocker / "out")), str(blocker), "a file is in the way")
        read_only = tmp_path / "ro"
        read_only.mkdir()
        read_only.chmod(0o555)
        one_line_error(run(*grade_args(subs, read_only / "out"), **as_unprivileged()), str(read_only), "permission")
        one_line_error(run(*grade_args(tmp_path / "nothing-here", tmp_path / "o")), "nothing-here", "--submissions")

    @pytest.mark.slow
    def test_a_full_disk_is_one_line_and_loses_nothing(self, pset, tiny_disk, tmp_path, secret_env):
        subs = tmp_path / "subs"
        roster = write_class(pset, subs, 24)
        roster_csv = tmp_path / "roster.csv"
        roster_csv.write_text("student_id\n" + "\n".join(roster) + "\n")
        out = tiny_disk / "out"
        filler = tiny_disk / "filler"
        filler.write_bytes(b"\0" * (1024 * 1024 - 60 * 1024))       # leaves about 60 kB
        result = run(*grade_args(subs, out, "--roster", roster_csv))
        one_line_error(result, str(out), "disk is full")
        kept = complete_lines(out / "results.jsonl")
        assert 0 < kept < len(roster)
        filler.unlink()                                              # space again: resume finishes the job
        result = run(*grade_args(subs, out, "--roster", roster_csv, "--resume"))
        assert result.returncode == 0, result.stderr
        assert stats(out)["resumed_from"] == kept
        assert tree(out) == fresh(subs, tmp_path / "fresh", "--roster", roster_csv)
        # a re-render onto a full disk leaves the old key whole
        shutil.rmtree(out)
        render_out = tiny_disk / "render"
        assert run(*render_args(roster_csv, render_out)).returncode == 0
        key = (render_out / "key.json").read_bytes()
        free = shutil.disk_usage(tiny_disk).free
        filler.write_bytes(b"\0" * max(free - 4096, 0))
        one_line_error(run(*render_args(roster_csv, render_out)), str(tiny_disk), "disk is full")
        assert (render_out / "key.json").read_bytes() == key


# ---------------------------------------------------------------------------------
# 6. Flat in class size

class TestCompactRows:
    def test_an_invalid_file_is_one_compact_row(self, pset, tmp_path, secret_env):
        """The message once per row, not once per part (junk files must not multiply output)."""
        subs = tmp_path / "subs"
        subs.mkdir()
        (subs / "s001.yaml").write_text("student: s001\nset: demo\nanswers: {q1: [unclosed\n")
        (subs / "junk 1.yaml").write_bytes(b"\x89PNG\x00")
        out = tmp_path / "out"
        assert main(grade_args(str(subs), str(out), "--workers", "1")) == 0
        rows = lines(out)
        n_parts = sum(len(e.problem.parts) for e in pset.entries)
        for row in rows:
            assert row["status"] == "invalid" and row["message"] and len(row["parts"]) == n_parts
            assert all(p["feedback"] == "" for p in row["parts"])
        raw = (out / "results.jsonl").read_text().splitlines()
        assert all(r.count(rows[i]["message"][:30]) == 1 for i, r in enumerate(raw))
        assert rows[1]["message"] in (out / "feedback" / "s001.md").read_text()       # still told, once
        junit = (out / "junit.xml").read_text()
        assert junit.count("<testcase ") == n_parts + 1           # per part for s001, one for the junk file
        assert 'name="junk 1.yaml"' in junit
        assert sorted(p.name for p in (out / "feedback").iterdir()) == ["s001.md"]     # junk: no file

    def test_key_json_is_streamed_byte_identical_to_one_dump(self, pset, tmp_path):
        from grader.render.sheets import key_entry, render_set, student_variants
        roster = [{"student_id": f"s{i}", "name": ""} for i in range(4)]
        key = render_set(pset, roster, tmp_path / "r", SECRET)
        whole = {"set": pset.id, "students": {r["student_id"]: key_entry(student_variants(pset, SECRET, r["student_id"]))
                                              for r in roster}}
        assert key.read_text() == json.dumps(whole, indent=2, ensure_ascii=False) + "\n"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
