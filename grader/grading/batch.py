"""Grading a batch: plan, grade in parallel, stream results, then report.

The steps, and what makes each safe:

0. **Lock.** One writer per output folder: ``DIR/.lock`` is held (``flock``) for the whole
   run; the OS releases it when the process ends in any way, so a crash never leaves it stuck.
1. **Plan.** Answer files (and, with a roster, enrolled students without one) in a
   fixed order: by student id, then by path relative to the submissions folder. A file
   counts only for the student its path names (``<id>.yaml``, ``<id>.yml``,
   ``<id>/answers.yaml``); any other name is an ``invalid`` row of its own (student "").
   A student with several files has one graded row (the first, or the one spelled as the
   roster spells the id); the others are ``invalid`` rows marked ``duplicate_of``, and the
   graded row warns about them. An entry that cannot be examined (permissions, a broken
   link) is an ``invalid`` row for that entry. With ``shard=(i, n)`` only every n-th item
   from the i-th on is kept, so n machines split a batch and ``merge`` restores the order.
2. **Manifest.** ``batch.json`` records what every row depends on as a whole: the set,
   problem and solver files (digests), language, a keyed tag of the secret, the shard.
   Each line of ``results.jsonl`` records, as ``inputs``, a digest of its own inputs (the
   bytes graded, roster membership, the other files of that student) and, as
   ``row_digest``, a checksum of itself. A fresh run removes the old manifest, then the
   old results, and only then writes its manifest: no kill leaves a manifest beside rows
   it did not produce.
3. **Grade.** Items go to a pool of forked workers in small chunks with a bounded
   number in flight, and come back in plan order; the parent appends one JSON line per
   submission to ``results.jsonl`` and flushes it. A ``kill -9`` leaves a prefix of
   complete lines and at most one torn line. A worker that dies (killed, out of memory)
   breaks the pool: the chunks it took down are re-run one item at a time in a new pool,
   an item that kills its worker twice becomes an internal-error row, and the batch goes on.
4. **Resume.** ``--resume`` refuses when a batch-wide input changed (naming it), and
   otherwise keeps exactly the lines whose ``inputs`` match the current files and roster
   and whose checksum holds; everything else is graded again. When the kept lines are a
   prefix, the file is truncated there and appended to; otherwise a new file is built in
   plan order beside the old one and renamed over it at the end.
5. **Report.** Every other file is rebuilt from ``results.jsonl`` in one streaming
   pass and written atomically (temporary file, then rename), so an interruption at
   any point leaves either the old or the new version of a file. Per-student files of
   students no longer in the batch are removed.

Grading is deterministic (the verdict cache is exact; see ``cache``), so a resumed,
a sharded-and-merged and an uninterrupted run give byte-identical files. Figures that
depend on the run (time, cache hit rate, lost workers) go to ``stats.json`` only.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import inspect
import json
import os
import resource
import shutil
import signal
import sys
import time
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from ..bank.model import ProblemSet
from ..errors import InputError, UsageError
from ..fsio import TMP_SUFFIX, BusyError, OutputLock, atomic_write, name_path
from ..i18n import t
from .cache import DEFAULT_CACHE_ENTRIES, CachingSubmissionGrader
from .pool import WorkerPool, submit_or_fail
from .report_pass import REPORTS, RESULTS, _remove_temporaries, iter_lines, iter_results, iter_rows, write_reports  # noqa: F401 -- re-exported
from .results import PartResult, SubmissionResult
from .submission import message, report_internal_error, snapshot, student_from_path

MANIFEST = "batch.json"
STATS = "stats.json"
MANIFEST_VERSION = 2
FORMATS = ("gradescope",)        # optional outputs; junit.xml and the rest are always written
FSYNC_EVERY_S = 1.0              # results are flushed per line, forced to disk at most this often
INTERNAL_ERROR_MESSAGE = "the grader failed on this file (an internal error); listed for review"
WORKER_LOST_MESSAGE = "the grader's worker process died twice on this file; listed for review"
BUSY = {
    "en": "{out} is being written by another `grader` run; wait for it to finish or use another --out",
    "ru": "в {out} уже пишет другой запуск `grader`; дождитесь его окончания или укажите другой --out",
}


@dataclass(frozen=True)
class WorkItem:
    student: str        # from the path (or roster); "" when the path names no student
    path: str | None    # relative to the submissions folder, '/'-separated; None: no file
    duplicate_of: str | None = None     # a second file for a student: the one that is graded
    also: tuple[str, ...] = ()          # on the graded file: the student's other files
    error: str | None = None            # the entry could not be examined: why

    @property
    def ident(self) -> str:
        return f"{self.student}\x1f{self.path or ''}"


def discover(submissions: Path) -> list[tuple[str, str | None]]:
    """Answer files as SPEC lists them (DIR/*.yaml, DIR/*.yml, DIR/<student>/answers.yaml),
    as (relative path, why it cannot be examined or None), in path order.

    Only the submissions folder itself must be readable (otherwise OSError: an environment
    error). A problem with one entry is recorded for that entry and never stops the batch.
    """
    found = []
    for entry in os.scandir(submissions):
        name = entry.name
        try:
            is_dir, error = entry.is_dir(), None         # follows a symbolic link
        except OSError as exc:
            is_dir, error = None, exc.strerror or type(exc).__name__
        if name.endswith((".yaml", ".yml")) and not is_dir:
            found.append((name, error))                  # a broken link or a FIFO: its row says so
        elif is_dir is None:
            found.append((f"{name}/answers.yaml", error))
        elif is_dir:
            try:
                os.stat(os.path.join(entry.path, "answers.yaml"))
            except (FileNotFoundError, NotADirectoryError):
                continue                                 # a folder without answers is not a submission
            except OSError as exc:
                found.append((f"{name}/answers.yaml", exc.strerror or type(exc).__name__))
                continue
            found.append((f"{name}/answers.yaml", None))
    return sorted(found)


def plan(submissions: Path, roster: list[str] | None) -> list[WorkItem]:
    """Every item of the batch in grading order (see the module docstring)."""
    enrolled = set(roster) if roster is not None else None
    items: list[WorkItem] = []
    groups: dict[str, list[tuple[str, str, str | None]]] = {}
    for rel, error in discover(submissions):
        student = student_from_path(submissions / rel, submissions)
        if student is None:
            items.append(WorkItem("", rel, error=error))
        else:   # ids that differ only in case are one student: they would share a feedback file
            groups.setdefault(student.casefold(), []).append((student, rel, error))
    graded: set[str] = set()
    for members in groups.values():
        members.sort(key=lambda m: (m[0], m[1]))
        exact = [m for m in members if enrolled is not None and m[0] in enrolled]
        first = (exact or members)[0]
        graded.add(first[0])
        items.append(WorkItem(first[0], first[1], also=tuple(m[1] for m in members if m is not first),
                              error=first[2]))
        items += [WorkItem(m[0], m[1], duplicate_of=first[1]) for m in members if m is not first]
    if roster is not None:
        items += [WorkItem(s, None) for s in dict.fromkeys(roster) if s not in graded]
    return sorted(items, key=lambda w: (w.student, w.path or ""))


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'i/n' with 1 <= i <= n, as a CI matrix writes it."""
    if text is None:
        return None
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard {text!r}: expected i/n, e.g. 2/4") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard {text!r}: expected 1 <= i <= n")
    return i, n


def shard_items(items: list[WorkItem], shard: tuple[int, int] | None) -> list[WorkItem]:
    if shard is None:
        return items
    i, n = shard
    return items[i - 1::n]


# ---------------------------------------------------------------------------------
# What a row depends on

def item_inputs(item: WorkItem, enrolled: set[str] | None, file_digest: str) -> str:
    """Digest of everything one row depends on beyond the manifest's batch-wide inputs."""
    facts = [item.student, item.path, item.duplicate_of, list(item.also), item.error,
             None if enrolled is None else item.student in enrolled, file_digest]
    return hashlib.sha256(json.dumps(facts).encode("utf-8")).hexdigest()[:24]


def _reads_file(item: WorkItem) -> bool:
    return bool(item.path and item.student and item.error is None and item.duplicate_of is None)


def current_inputs(item: WorkItem, root: Path, enrolled: set[str] | None) -> str:
    """``item_inputs`` as the files are now (what ``--resume`` compares with each kept line)."""
    return item_inputs(item, enrolled, snapshot(root / item.path).digest if _reads_file(item) else "")


def _row_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def result_line(data: dict) -> str:
    """One line of results.jsonl: the row, then a checksum of it (resume drops corrupt lines)."""
    body = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return body[:-1] + f', "row_digest": "{_row_digest(body)}"}}'


def read_line(raw: bytes) -> dict | None:
    """A line of results.jsonl when it is complete and its checksum holds, else None."""
    try:
        data = json.loads(raw)
        digest = data.pop("row_digest")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if _row_digest(json.dumps(data, ensure_ascii=False, sort_keys=True)) != digest:
        return None
    return data


# ---------------------------------------------------------------------------------
# Manifest

def _digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _solver_files(problem) -> list[Path]:
    """The solver's source and every Python file beside it (helpers it may import)."""
    try:
        source = inspect.getsourcefile(problem.solver)
    except (TypeError, OSError):
        return []
    if not source:
        return []
    folder = Path(source).parent
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def bank_files(pset: ProblemSet) -> list[Path]:
    """The files the set's grades depend on: the set, each problem file, the solvers' code."""
    files = [Path(pset.file)] + [Path(e.problem.file) for e in pset.entries]
    for e in pset.entries:
        files += _solver_files(e.problem)
    return list(dict.fromkeys(files))


def _plan_digest(items: list[WorkItem]) -> str:
    h = hashlib.sha256()
    for w in items:
        h.update(w.ident.encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def secret_tag(secret: bytes) -> str:
    """Tells two secrets apart without revealing either (a keyed digest, never the secret)."""
    return hmac.new(secret, b"grader batch manifest", hashlib.sha256).hexdigest()[:12]


def build_manifest(pset: ProblemSet, secret: bytes, lang: str, plan_all: list[WorkItem],
                   shard: tuple[int, int] | None, items: int, formats: tuple[str, ...],
                   roster: list[str] | None = None) -> dict:
    files = {}
    for p in bank_files(pset):
        try:
            files[str(p)] = _digest_bytes(p.read_bytes())
        except OSError:
            files[str(p)] = "unreadable"
    roster_digest = (None if roster is None else
                     _digest_bytes("\n".join(sorted(set(roster))).encode("utf-8")))
    return {
        "version": MANIFEST_VERSION,
        "set": pset.id,
        "set_file": pset.file,
        "set_digest": _digest_bytes("\n".join(files.values()).encode()),
        "files": files,
        "lang": lang,
        "secret_tag": secret_tag(secret),
        "formats": sorted(formats),
        "roster_digest": roster_digest,
        "roster": None if roster is None else sorted(set(roster)),   # `grader merge` reports over it
        "plan_items": len(plan_all),
        "plan_digest": _plan_digest(plan_all),
        "shard": f"{shard[0]}/{shard[1]}" if shard else None,
        "items": items,
    }


SETTINGS = ("version", "set", "set_digest", "lang", "secret_tag", "shard")
SETTING_NAMES = {"version": "the grader's result format", "set": "the set id", "lang": "the language",
                 "secret_tag": "the secret", "shard": "the shard"}


def describe_changes(earlier: dict, now: dict) -> list[str]:
    """What differs between two manifests, in words (files by name)."""
    changes = []
    for k in SETTINGS:
        if earlier.get(k) == now.get(k):
            continue
        if k == "set_digest":
            old, new = earlier.get("files") or {}, now.get("files") or {}
            names = sorted({p for p in set(old) | set(new) if old.get(p) != new.get(p)})
            if not names:         # the same contents under other paths
                names = ["the set, problem or solver files"]
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            changes.append(f"bank files ({shown})")
        else:
            changes.append(SETTING_NAMES.get(k, k))
    return changes


def read_manifest(out: Path) -> dict | None:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _json_text(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------
# Workers

_worker: dict = {}


def _init_worker(pset, secret, lang, root, roster, cache_size, in_child=True):
    if in_child:   # the parent handles Ctrl-C and stops the pool
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker["grader"] = CachingSubmissionGrader(pset, secret, lang, cache_size=cache_size)
    _worker["root"] = Path(root)
    _worker["roster"] = roster


def _grade_one(item: WorkItem) -> str:
    grader: CachingSubmissionGrader = _worker["grader"]
    root: Path = _worker["root"]
    roster = _worker["roster"]
    file_digest = ""
    try:
        if item.path is None:
            result = grader.empty(item.student, "missing", message("none", grader.lang))
        elif item.duplicate_of is not None:
            result = grader.empty(item.student, "invalid", message("second", grader.lang, path=item.duplicate_of),
                                  item.path)
        elif item.error is not None:
            result = grader.empty(item.student, "invalid", message("unreadable", grader.lang, why=item.error),
                                  item.path)
        else:
            snap = snapshot(root / item.path) if item.student else None
            file_digest = snap.digest if snap else ""
            result = grader.grade_file(root / item.path, root, roster, snap)
            result = replace(result, source=item.path)   # the same on every machine
            if item.also:
                result = replace(result, warnings=result.warnings + tuple(
                    message("also", grader.lang, path=p) for p in item.also))
    except Exception as exc:  # noqa: BLE001 -- a grader bug on one file must not stop the batch
        report_internal_error(item.path or item.student, exc)
        result = _internal_error(grader.pset, item, f"internal-error:{type(exc).__name__}",
                                 INTERNAL_ERROR_MESSAGE)
    return _line(item, result, item_inputs(item, roster, file_digest))


def _line(item: WorkItem, result: SubmissionResult, inputs: str) -> str:
    line = {"ident": item.ident, "inputs": inputs, **result.to_json()}
    if item.duplicate_of is not None:
        line["duplicate_of"] = item.duplicate_of
    return result_line(line)


def _internal_error(pset: ProblemSet, item: WorkItem, check: str, text: str) -> SubmissionResult:
    parts = tuple(PartResult(key=e.key, part=p.id, verdict="undecided", score=0.0,
                             max=round(p.points * e.points / e.problem.points, 6),
                             check=check, feedback=text)
                  for e in pset.entries for p in e.problem.parts)
    return SubmissionResult(student=item.student, source=item.path or "", status="error",
                            message=text, parts=parts, max=pset.points)


def _peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss      # kB on Linux


def _grade_chunk(items: list[WorkItem]) -> tuple[list[str], tuple[int, int, int, int]]:
    """Result lines, and this chunk's cache hits, misses, uncacheable lookups and the worker's peak RSS."""
    stats = _worker["grader"].stats
    before = (stats.hits, stats.misses, stats.bypassed)
    lines = [_grade_one(w) for w in items]
    return lines, (stats.hits - before[0], stats.misses - before[1], stats.bypassed - before[2], _peak_rss_kb())


def _chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class _Pool(WorkerPool):
    """The grading pool: workers hold a ``CachingSubmissionGrader`` and grade chunks of items."""

    def __init__(self, workers: int, init_args: tuple):
        super().__init__(workers, init_args, _init_worker, _grade_chunk)



def _graded(todo: list[WorkItem], workers: int, init_args: tuple, run: dict):
    """Result lines in plan order; at most a window of chunks is in flight at once."""
    if workers <= 1 or len(todo) <= 1:
        _init_worker(*init_args, in_child=False)
        for item in todo:
            lines, delta = _grade_chunk([item])
            _add(run, delta)
            yield from lines
        return
    size = max(1, min(8, len(todo) // (workers * 16)))
    window = workers * 4
    queue = deque(_chunks(todo, size))
    pending: deque = deque()          # (chunk, future), in plan order
    pool = _Pool(workers, init_args)
    finished = False
    try:
        while queue or pending:
            while queue and len(pending) < window:
                chunk = queue.popleft()
                pending.append((chunk, submit_or_fail(pool, chunk)))
            chunk, future = pending.popleft()
            try:
                lines, delta = future.result()
            except BrokenProcessPool:
                # A worker died. Chunks that finished before it keep their results; the rest
                # are re-run one item at a time, so an item that kills its worker is found.
                run["workers_lost"] += 1
                print(t("batch.worker_lost", init_args[2], n=len(chunk) + sum(len(c) for c, _ in pending)),
                      file=sys.stderr)
                lost = [(chunk, None)] + [(c, f if f.done() and f.exception() is None else None)
                                          for c, f in pending]
                pending.clear()
                pool.renew()
                for c, f in lost:
                    if f is not None:
                        lines, delta = f.result()
                        _add(run, delta)
                        yield from lines
                    else:
                        yield from _one_by_one(c, pool, init_args, run)
                continue
            _add(run, delta)
            yield from lines
        finished = True
    finally:
        pool.close(finished)


def _one_by_one(items: list[WorkItem], pool: _Pool, init_args: tuple, run: dict):
    """Each item alone; an item whose worker dies again becomes an internal-error row."""
    pset = init_args[0]
    for item in items:
        for attempt in (1, 2):
            try:
                lines, delta = pool.submit([item]).result()
                _add(run, delta)
                break
            except BrokenProcessPool:
                run["workers_lost"] += 1
                pool.renew()
        else:
            print(t("batch.worker_lost_twice", init_args[2], path=item.path or item.student), file=sys.stderr)
            roster = init_args[4]
            lines = [_line(item, _internal_error(pset, item, "internal-error:worker-lost", WORKER_LOST_MESSAGE),
                           item_inputs(item, roster, "worker-lost"))]
        yield from lines


def _add(run: dict, delta) -> None:
    for i, name in enumerate(("hits", "misses", "bypassed")):
        run[name] += delta[i]
    run["worker_kb"] = max(run["worker_kb"], delta[3])


# ---------------------------------------------------------------------------------
# Resume

def _scan(results_path: Path, items: list[WorkItem], expected: dict[str, str]):
    """What an earlier run's results.jsonl offers: (lines kept as a prefix, its bytes, and
    the offset and length of every other reusable line by ident).

    A line is reusable when it is complete, its checksum holds, its item is in the plan
    and its ``inputs`` equal the item's current ones.
    """
    prefix = prefix_bytes = pos = 0
    in_prefix = True
    elsewhere: dict[str, tuple[int, int]] = {}
    seen: set[str] = set()
    if not results_path.exists():
        return 0, 0, elsewhere
    with results_path.open("rb") as fh:
        for raw in fh:
            start, pos = pos, pos + len(raw)
            if not raw.endswith(b"\n"):
                break
            data = read_line(raw)
            ident = data.get("ident") if data else None
            ok = ident is not None and ident not in seen and expected.get(ident) == data.get("inputs")
            if ok:
                seen.add(ident)
            if in_prefix and ok and prefix < len(items) and items[prefix].ident == ident:
                prefix += 1
                prefix_bytes = pos
                continue
            in_prefix = False
            if ok:
                elsewhere[ident] = (start, len(raw))
    return prefix, prefix_bytes, elsewhere


def clear_outputs(out: Path) -> None:
    """Everything an earlier batch wrote into ``out``: the manifest first (so no manifest
    outlives its results), then the results, then the reports built from them."""
    for name in (MANIFEST, RESULTS, STATS, *REPORTS):
        (out / name).unlink(missing_ok=True)
    for folder in ("feedback", "results"):
        if (out / folder).is_dir():
            shutil.rmtree(out / folder)


def _locked(out: Path, lang: str) -> OutputLock:
    lock = OutputLock(out)
    try:
        lock.__enter__()
    except BusyError:
        raise InputError(BUSY.get(lang, BUSY["en"]).format(out=out)) from None
    return lock


# ---------------------------------------------------------------------------------
# The batch

def grade_batch(pset: ProblemSet, secret: bytes, submissions: Path, out: Path, *,
                roster: list[str] | None = None, workers: int = 1, resume: bool = False,
                lang: str | None = None, progress=None, shard: tuple[int, int] | None = None,
                formats: tuple[str, ...] = (), cache_size: int = DEFAULT_CACHE_ENTRIES) -> dict:
    """Grade every submission and write every output; returns the summary dict.

    ``progress``: None, a callable called once per graded submission, or an object with
    ``start(total, done)`` and ``tick()`` (``grader.grading.progress.Progress``).
    Run figures (time, workers, verdict cache) are written to ``stats.json``.
    """
    lang = lang or pset.lang
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise UsageError(f"unknown format {bad[0]!r}; expected one of: {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    lock = _locked(out, lang)
    try:
        return _grade_locked(pset, secret, submissions, out, roster=roster, workers=workers, resume=resume,
                             lang=lang, progress=progress, shard=shard, formats=formats, cache_size=cache_size)
    finally:
        lock.__exit__()


def _grade_locked(pset, secret, submissions, out, *, roster, workers, resume, lang, progress, shard,
                  formats, cache_size) -> dict:
    started = time.monotonic()
    results_path = out / RESULTS
    everything = plan(submissions, roster)
    items = shard_items(everything, shard)
    manifest = build_manifest(pset, secret, lang, everything, shard, len(items), formats, roster)
    enrolled = set(roster) if roster is not None else None

    prefix = prefix_bytes = 0
    elsewhere: dict = {}
    if resume:
        earlier = read_manifest(out)
        if earlier is None and results_path.exists():
            raise UsageError(f"{out}: results.jsonl has no {MANIFEST} beside it; "
                             "grade into a fresh folder or drop --resume")
        if earlier is not None:
            changes = describe_changes(earlier, manifest)
            if changes:
                raise UsageError(f"{out} was graded with other inputs ({'; '.join(changes)} changed); "
                                 "its rows cannot be kept: drop --resume to grade everything again")
            expected = {w.ident: current_inputs(w, submissions, enrolled) for w in items}
            prefix, prefix_bytes, elsewhere = _scan(results_path, items, expected)
    else:
        clear_outputs(out)
    _remove_temporaries(out)
    atomic_write(out / MANIFEST, _json_text(manifest))
    rebuild = bool(elsewhere)         # kept lines out of order: build a new file beside the old
    if results_path.exists() and not rebuild:
        os.truncate(results_path, prefix_bytes)    # drops a torn tail and every stale line
    rest = items[prefix:]
    todo = [w for w in rest if w.ident not in elsewhere]
    kept = len(items) - len(todo)

    if progress is not None and hasattr(progress, "start"):
        progress.start(len(items), kept)
    tick = getattr(progress, "tick", progress)
    run = {"hits": 0, "misses": 0, "bypassed": 0, "worker_kb": 0, "workers_lost": 0}
    init_args = (pset, secret, lang, str(submissions), enrolled, cache_size)
    graded = _graded(todo, workers, init_args, run)
    try:
        _write_results(results_path, rest, elsewhere, prefix_bytes, graded, rebuild, tick)
    finally:
        graded.close()           # stops the pool at once on an error or Ctrl-C
    graded_s = time.monotonic() - started

    summary = write_reports(pset, out, lang, formats, roster=roster, workers=workers)
    lookups = run["hits"] + run["misses"] + run["bypassed"]
    elapsed = time.monotonic() - started
    stats = {
        "submissions": len(items), "resumed_from": kept, "graded": len(todo),
        "workers": workers if workers > 1 and len(todo) > 1 else 1,
        "workers_lost": run["workers_lost"],
        "seconds": round(elapsed, 3), "grading_seconds": round(graded_s, 3),
        "submissions_per_second": round(len(todo) / graded_s, 2) if graded_s > 0 and todo else 0.0,
        "verdict_cache": {"lookups": lookups, "hits": run["hits"], "misses": run["misses"],
                          "not_cacheable": run["bypassed"],
                          "hit_rate": round(run["hits"] / lookups, 4) if lookups else 0.0,
                          "entries_per_worker": cache_size},
        "peak_rss_mb": {"main": round(_peak_rss_kb() / 1024, 1), "worker_max": round(run["worker_kb"] / 1024, 1)},
    }
    atomic_write(out / STATS, _json_text(stats))
    return summary


def _write_results(results_path: Path, rest: list[WorkItem], elsewhere: dict, prefix_bytes: int,
                   graded, rebuild: bool, tick) -> None:
    """Append the lines of ``rest`` in plan order (kept ones copied, others from ``graded``);
    when rebuilding, into a new file that replaces the old one only once complete."""
    target = results_path.with_name(RESULTS + TMP_SUFFIX) if rebuild else results_path
    try:
        _append_lines(target, results_path, rest, elsewhere, prefix_bytes, graded, rebuild, tick)
    except OSError as exc:
        name_path(exc, target)       # a full disk: the complete lines already written stay
        raise
    if rebuild:
        os.replace(target, results_path)


def _append_lines(target, results_path, rest, elsewhere, prefix_bytes, graded, rebuild, tick) -> None:
    last_sync = time.monotonic()
    with target.open("w" if rebuild else "a", encoding="utf-8") as fh, \
            (results_path.open("rb") if rebuild else open(os.devnull, "rb")) as old:
        if rebuild:
            _copy(old, fh, 0, prefix_bytes)
        for item in rest:
            if item.ident in elsewhere:
                _copy(old, fh, *elsewhere[item.ident])
                continue
            fh.write(next(graded) + "\n")
            fh.flush()                            # enough for kill -9: the OS has the bytes
            now = time.monotonic()
            if now - last_sync >= FSYNC_EVERY_S:  # and against power loss, once a second
                os.fsync(fh.fileno())
                last_sync = now
            if tick:
                tick()
        fh.flush()
        os.fsync(fh.fileno())


def _copy(src, dst, offset: int, length: int) -> None:
    """``length`` bytes of the old results file, from ``offset``, onto the new one (text handle).

    Decoded incrementally: a chunk may end inside a multi-byte character (the copied span
    itself is whole lines)."""
    src.seek(offset)
    decoder = codecs.getincrementaldecoder("utf-8")()
    while length > 0:
        data = src.read(min(length, 1 << 16))
        if not data:
            break
        dst.write(decoder.decode(data))
        length -= len(data)


def read_stats(out: Path) -> dict:
    try:
        return json.loads((out / STATS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
