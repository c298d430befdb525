"""Grading a batch: plan, grade in parallel, stream results, then report.

The steps, and what makes each safe:

1. **Plan.** Answer files (and, with a roster, enrolled students without one) in a
   fixed order: by student id, then by path relative to the submissions folder. With
   ``shard=(i, n)`` only every n-th item from the i-th on is kept, so n machines split a
   batch and ``merge`` restores the plan order.
2. **Manifest.** ``batch.json`` records what the results depend on (set and problem
   files, language, a tag of the secret, the shard) before any result is written; a
   ``resume`` with other settings is refused instead of mixing two batches.
3. **Grade.** Items go to a pool of forked workers in small chunks with a bounded
   number in flight, and come back in plan order; the parent appends one JSON line per
   submission to ``results.jsonl`` and flushes it. A ``kill -9`` leaves a prefix of
   complete lines and at most one torn line. ``resume`` keeps the complete lines that
   match the plan, truncates the rest and grades what is left. Memory stays flat: no
   more than a window of results is ever held.
4. **Report.** Every other file is rebuilt from ``results.jsonl`` in one streaming
   pass and written atomically (temporary file, then rename), so an interruption at
   any point leaves either the old or the new version of a file.

Grading is deterministic (the verdict cache is exact; see ``cache``), so a resumed,
a sharded-and-merged and an uninterrupted run give byte-identical files. Figures that
depend on the run (time, cache hit rate) go to ``stats.json`` only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import os
import resource
import signal
import time
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

from ..bank.model import ProblemSet
from ..errors import UsageError
from .cache import DEFAULT_CACHE_ENTRIES, CachingSubmissionGrader
from .report_html import report_html
from .reports import (GradebookWriter, JUnitWriter, SummaryBuilder, feedback_md, gradescope_json,
                      summary_json)
from .results import PartResult, SubmissionResult
from .submission import report_internal_error, student_from_path

MANIFEST = "batch.json"
STATS = "stats.json"
RESULTS = "results.jsonl"
MANIFEST_VERSION = 1
FORMATS = ("gradescope",)        # optional outputs; junit.xml and the rest are always written
FSYNC_EVERY_S = 1.0              # results are flushed per line, forced to disk at most this often
INTERNAL_ERROR_MESSAGE = "the grader failed on this file (an internal error); listed for review"


@dataclass(frozen=True)
class WorkItem:
    student: str        # from the path (or roster); the file's own field is checked when read
    path: str | None    # relative to the submissions folder, '/'-separated; None: no file
    duplicate_of: str | None = None

    @property
    def ident(self) -> str:
        return f"{self.student}\x1f{self.path or ''}"


def discover(submissions: Path) -> list[Path]:
    """Answer files as SPEC lists them: DIR/*.yaml, DIR/*.yml, DIR/<student>/answers.yaml."""
    files = [p for p in submissions.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")]
    files += [p / "answers.yaml" for p in submissions.iterdir() if p.is_dir() and (p / "answers.yaml").is_file()]
    return sorted(files, key=lambda p: p.relative_to(submissions).as_posix())


def plan(submissions: Path, roster: list[str] | None) -> list[WorkItem]:
    """Every item of the batch in grading order (see the module docstring)."""
    items, seen = [], {}
    for path in discover(submissions):
        rel = path.relative_to(submissions).as_posix()
        student = student_from_path(path, submissions) or path.stem
        items.append(WorkItem(student, rel, seen.get(student)))
        seen.setdefault(student, rel)
    if roster is not None:
        items += [WorkItem(s, None) for s in dict.fromkeys(roster) if s not in seen]
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
# Manifest

def _file_digest(paths) -> str:
    h = hashlib.sha256()
    for p in paths:
        data = Path(p).read_bytes() if p and Path(p).is_file() else b""
        h.update(str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()[:16]


def _plan_digest(items: list[WorkItem]) -> str:
    h = hashlib.sha256()
    for w in items:
        h.update(w.ident.encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def secret_tag(secret: bytes) -> str:
    """Tells two secrets apart without revealing either."""
    return hmac.new(secret, b"grader batch manifest", hashlib.sha256).hexdigest()[:12]


def build_manifest(pset: ProblemSet, secret: bytes, lang: str, plan_all: list[WorkItem],
                   shard: tuple[int, int] | None, items: int, formats: tuple[str, ...]) -> dict:
    return {
        "version": MANIFEST_VERSION,
        "set": pset.id,
        "set_file": pset.file,
        "set_digest": _file_digest([pset.file] + [e.problem.file for e in pset.entries]),
        "lang": lang,
        "secret_tag": secret_tag(secret),
        "formats": sorted(formats),
        "plan_items": len(plan_all),
        "plan_digest": _plan_digest(plan_all),
        "shard": f"{shard[0]}/{shard[1]}" if shard else None,
        "items": items,
    }


SETTINGS = ("version", "set", "set_digest", "lang", "secret_tag", "shard")


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
    try:
        if item.path is None:
            result = grader.empty(item.student, "missing", "no submission")
        elif item.duplicate_of is not None:
            result = grader.empty(item.student, "invalid",
                                  f"a second file for this student; {item.duplicate_of} is graded", item.path)
        else:
            result = grader.grade_file(root / item.path, root, _worker["roster"])
            result = replace(result, source=item.path)   # the same on every machine
    except Exception as exc:  # noqa: BLE001 -- a grader bug on one file must not stop the batch
        report_internal_error(item.path or item.student, exc)
        result = _internal_error(grader, item, exc)
    line = {"ident": item.ident, **result.to_json()}
    if item.duplicate_of is not None:
        line["duplicate_of"] = item.duplicate_of
    return json.dumps(line, ensure_ascii=False, sort_keys=True)


def _internal_error(grader, item: WorkItem, exc: Exception) -> SubmissionResult:
    pset = grader.pset
    parts = tuple(PartResult(key=e.key, part=p.id, verdict="undecided", score=0.0,
                             max=round(p.points * e.points / e.problem.points, 6),
                             check=f"internal-error:{type(exc).__name__}", feedback=INTERNAL_ERROR_MESSAGE)
                  for e in pset.entries for p in e.problem.parts)
    return SubmissionResult(student=item.student, source=item.path or "", status="error",
                            message=INTERNAL_ERROR_MESSAGE, parts=parts, max=pset.points)


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


def _graded(todo: list[WorkItem], workers: int, init_args: tuple, cache_counts: list):
    """Result lines in plan order; at most a window of chunks is in flight at once."""
    if workers <= 1 or len(todo) <= 1:
        _init_worker(*init_args, in_child=False)
        for chunk in _chunks(todo, 1):
            lines, delta = _grade_chunk(chunk)
            _add(cache_counts, delta)
            yield from lines
        return
    size = max(1, min(8, len(todo) // (workers * 16)))
    window = workers * 4
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(workers, initializer=_init_worker, initargs=init_args)
    try:
        pending: deque = deque()
        for chunk in _chunks(todo, size):
            pending.append(pool.apply_async(_grade_chunk, (chunk,)))
            if len(pending) >= window:
                lines, delta = pending.popleft().get()
                _add(cache_counts, delta)
                yield from lines
        while pending:
            lines, delta = pending.popleft().get()
            _add(cache_counts, delta)
            yield from lines
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _add(total: list, delta) -> None:
    for i in range(3):
        total[i] += delta[i]
    total[3] = max(total[3], delta[3])


# ---------------------------------------------------------------------------------
# Resume

def _kept_prefix(results_path: Path, items: list[WorkItem]) -> tuple[int, int]:
    """How many leading lines of an earlier run are complete and match the plan, and their bytes."""
    if not results_path.exists():
        return 0, 0
    count = size = 0
    with results_path.open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n") or count >= len(items):
                break
            try:
                ident = json.loads(raw)["ident"]
            except (ValueError, KeyError, TypeError):
                break
            if ident != items[count].ident:
                break
            count += 1
            size += len(raw)
    return count, size


def _remove_temporaries(out: Path) -> None:
    """Temporary files an interrupted atomic write may have left behind."""
    for folder in (out, out / "feedback", out / "results"):
        if folder.is_dir():
            for tmp in folder.glob("*.tmp"):
                tmp.unlink(missing_ok=True)
    results = out / "results"
    if results.is_dir():
        for tmp in results.glob("*/*.tmp"):
            tmp.unlink(missing_ok=True)


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


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
    started = time.monotonic()
    lang = lang or pset.lang
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise UsageError(f"unknown format {bad[0]!r}; expected one of: {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / RESULTS
    everything = plan(submissions, roster)
    items = shard_items(everything, shard)
    manifest = build_manifest(pset, secret, lang, everything, shard, len(items), formats)

    kept = 0
    if resume:
        earlier = read_manifest(out)
        if earlier is None and results_path.exists():
            raise UsageError(f"{out}: results.jsonl has no {MANIFEST} beside it; "
                             "grade into a fresh folder or drop --resume")
        if earlier is not None:
            differs = [k for k in SETTINGS if earlier.get(k) != manifest.get(k)]
            if differs:
                raise UsageError(f"{out} was graded with other settings ({', '.join(differs)} changed); "
                                 "drop --resume to start over")
        kept, size = _kept_prefix(results_path, items)
    else:
        size = 0
    _remove_temporaries(out)
    atomic_write(out / MANIFEST, _json_text(manifest))
    if results_path.exists():
        os.truncate(results_path, size)          # drops a torn tail; the kept prefix is untouched
    todo = items[kept:]

    if progress is not None and hasattr(progress, "start"):
        progress.start(len(items), kept)
    tick = getattr(progress, "tick", progress)
    cache_counts = [0, 0, 0, 0]       # hits, misses, uncacheable, largest worker RSS (kB)
    init_args = (pset, secret, lang, str(submissions), set(roster) if roster is not None else None, cache_size)
    last_sync = time.monotonic()
    with results_path.open("a", encoding="utf-8") as fh:
        for line in _graded(todo, workers, init_args, cache_counts):
            fh.write(line + "\n")
            fh.flush()                            # enough for kill -9: the OS has the bytes
            now = time.monotonic()
            if now - last_sync >= FSYNC_EVERY_S:  # and against power loss, once a second
                os.fsync(fh.fileno())
                last_sync = now
            if tick:
                tick()
        fh.flush()
        os.fsync(fh.fileno())
    graded_s = time.monotonic() - started

    summary = write_reports(pset, out, lang, formats, roster=roster)
    hits, misses, bypassed, worker_kb = cache_counts
    lookups = hits + misses + bypassed
    elapsed = time.monotonic() - started
    stats = {
        "submissions": len(items), "resumed_from": kept, "graded": len(todo),
        "workers": workers if workers > 1 and len(todo) > 1 else 1,
        "seconds": round(elapsed, 3), "grading_seconds": round(graded_s, 3),
        "submissions_per_second": round(len(todo) / graded_s, 2) if graded_s > 0 and todo else 0.0,
        "verdict_cache": {"lookups": lookups, "hits": hits, "misses": misses, "not_cacheable": bypassed,
                          "hit_rate": round(hits / lookups, 4) if lookups else 0.0,
                          "entries_per_worker": cache_size},
        "peak_rss_mb": {"main": round(_peak_rss_kb() / 1024, 1), "worker_max": round(worker_kb / 1024, 1)},
    }
    atomic_write(out / STATS, _json_text(stats))
    return summary


def read_stats(out: Path) -> dict:
    try:
        return json.loads((out / STATS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def iter_rows(results_path: Path):
    """(result, is_duplicate) per line of results.jsonl, one at a time."""
    with results_path.open("r", encoding="utf-8") as fh:
        for line in fh:
            data = json.loads(line)
            data.pop("ident", None)
            duplicate = data.pop("duplicate_of", None) is not None
            yield SubmissionResult.from_json(data), duplicate


def iter_results(results_path: Path):
    for result, _ in iter_rows(results_path):
        yield result


def write_reports(pset: ProblemSet, out: Path, lang: str, formats: tuple[str, ...] = (),
                  roster: list[str] | None = None) -> dict:
    """Every report from results.jsonl in one streaming pass; every file written atomically.

    Gradescope (``formats`` has "gradescope"): ``results.json`` when the batch has a
    single student (Gradescope grades one submission per container), otherwise
    ``results/<student_id>/results.json`` per student.
    """
    results_path = out / RESULTS
    _remove_temporaries(out)
    feedback_dir = out / "feedback"
    feedback_dir.mkdir(exist_ok=True)
    gradescope = "gradescope" in formats
    if gradescope:
        single = sum(1 for _, duplicate in iter_rows(results_path) if not duplicate) == 1
    summary = SummaryBuilder(pset, roster=roster)   # the class: enrolled students only
    book_tmp = out / "gradebook.csv.tmp"
    body_tmp = out / "junit.body.tmp"
    with book_tmp.open("w", encoding="utf-8", newline="") as book_fh, \
            body_tmp.open("w", encoding="utf-8") as body_fh:
        book = GradebookWriter(pset, book_fh)
        junit = JUnitWriter(pset, body_fh)
        for r, duplicate in iter_rows(results_path):
            summary.add(r, duplicate)
            junit.add(r)
            if duplicate:
                continue            # the student's first file is the one graded and reported
            book.add(r)
            atomic_write(feedback_dir / f"{r.student}.md", feedback_md(pset, r, lang))
            if gradescope:
                if single:
                    atomic_write(out / "results.json", gradescope_json(pset, r, lang))
                else:
                    (out / "results" / r.student).mkdir(parents=True, exist_ok=True)
                    atomic_write(out / "results" / r.student / "results.json", gradescope_json(pset, r, lang))
    os.replace(book_tmp, out / "gradebook.csv")
    junit_tmp = out / "junit.xml.tmp"
    with junit_tmp.open("w", encoding="utf-8") as fh, body_tmp.open("r", encoding="utf-8") as body:
        fh.write(junit.head())
        while chunk := body.read(1 << 16):
            fh.write(chunk)
        fh.write(junit.tail())
    os.replace(junit_tmp, out / "junit.xml")
    body_tmp.unlink()
    built = summary.build()
    atomic_write(out / "summary.json", summary_json(built))
    atomic_write(out / "report.html", report_html(pset, built, lang))
    return built
