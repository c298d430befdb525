"""The report pass: every file a batch publishes, rebuilt from ``results.jsonl`` alone.

The results are cut into slices of ``REPORT_CHUNK`` consecutive lines. Each slice is
rendered on its own, in a forked worker when the batch has several: its students'
feedback (and Gradescope) files are written there, and its gradebook rows, JUnit test
cases and a summary of its rows come back. The parent writes the slices in file order
and merges the summaries in that order, so the files are byte-identical whatever the
number of workers (``SummaryBuilder.merge`` keeps one pass's figures).

Every file is written atomically (temporary file, then rename): an interruption leaves
the old or the new version. Rendering is idempotent, so a slice whose worker died is
simply rendered again, in this process.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sys
from collections import deque
from itertools import islice
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..bank.model import ProblemSet
from ..fsio import TMP_SUFFIX, atomic_write
from ..i18n import t
from .pool import WorkerPool, submit_or_fail
from .report_html import report_html
from .reports import (GradebookWriter, JUnitWriter, SummaryBuilder, feedback_md, gradescope_json,
                      summary_json)
from .results import SubmissionResult

RESULTS = "results.jsonl"
REPORTS = ("gradebook.csv", "junit.xml", "summary.json", "report.html", "results.json")
REPORT_CHUNK = 200            # lines per slice: enough to outweigh a round trip to a worker


def _remove_temporaries(out: Path) -> None:
    """Temporary files an interrupted atomic write may have left behind."""
    for folder in (out, out / "feedback", out / "results"):
        if folder.is_dir():
            for tmp in folder.glob("*" + TMP_SUFFIX):
                tmp.unlink(missing_ok=True)
    results = out / "results"
    if results.is_dir():
        for tmp in results.glob("*/*" + TMP_SUFFIX):
            tmp.unlink(missing_ok=True)


def _parse_line(line: str | bytes) -> tuple[SubmissionResult, str | None]:
    data = json.loads(line)
    for k in ("ident", "inputs", "row_digest"):
        data.pop(k, None)
    duplicate_of = data.pop("duplicate_of", None)
    return SubmissionResult.from_json(data), duplicate_of


def iter_lines(results_path: Path):
    """(result, duplicate_of or None) per line of results.jsonl, one at a time."""
    with results_path.open("r", encoding="utf-8") as fh:
        for line in fh:
            yield _parse_line(line)


def _skipped(result: SubmissionResult, duplicate_of: str | None) -> bool:
    """No student's graded row: a second file for a student, or a file naming no student."""
    return duplicate_of is not None or not result.student


def iter_rows(results_path: Path):
    """(result, skip) per line: ``skip`` for rows that are no student's graded row."""
    for result, duplicate_of in iter_lines(results_path):
        yield result, _skipped(result, duplicate_of)


def iter_results(results_path: Path):
    for result, _ in iter_rows(results_path):
        yield result


# ---------------------------------------------------------------------------------
# One slice

_report: dict = {}


def _init_report_worker(pset, out, lang, gradescope, single, roster, in_child=True):
    if in_child:   # the parent handles Ctrl-C and stops the pool
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _report.update(pset=pset, out=Path(out), lang=lang, gradescope=gradescope, single=single, roster=roster)


def _report_chunk(span: tuple[int, int]):
    """Renders the lines at ``span`` (offset, length) of results.jsonl: writes their feedback
    and Gradescope files; returns the gradebook rows, the JUnit cases and their counts, the
    summary of these rows, and the students whose files were written."""
    pset, out, lang = _report["pset"], _report["out"], _report["lang"]
    with (out / RESULTS).open("rb") as fh:
        fh.seek(span[0])
        raw = fh.read(span[1])
    book_rows, cases = io.StringIO(), io.StringIO()
    book = GradebookWriter(pset, book_rows, header=False)
    junit = JUnitWriter(pset, cases)
    summary = SummaryBuilder(pset, roster=_report["roster"], one_slice=True)
    written = []
    lines = raw.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for line in lines:
        r, duplicate_of = _parse_line(line)
        summary.add(r, duplicate_of or (not r.student))
        junit.add(r)
        if _skipped(r, duplicate_of):
            continue            # only a student's graded file is reported to them
        book.add(r)
        written.append(r.student)
        atomic_write(out / "feedback" / f"{r.student}.md", feedback_md(pset, r, lang))
        if _report["gradescope"]:
            if _report["single"]:
                atomic_write(out / "results.json", gradescope_json(pset, r, lang))
            else:
                (out / "results" / r.student).mkdir(parents=True, exist_ok=True)
                atomic_write(out / "results" / r.student / "results.json", gradescope_json(pset, r, lang))
    return book_rows.getvalue(), cases.getvalue(), junit.counts, summary, written


def _spans(results_path: Path, size: int) -> list[tuple[int, int]]:
    """(offset, length) of every run of ``size`` consecutive lines, in order."""
    spans, start, pos, n = [], 0, 0, 0
    with results_path.open("rb") as fh:
        for line in fh:
            pos += len(line)
            n += 1
            if n == size:
                spans.append((start, pos - start))
                start, n = pos, 0
    if pos > start:
        spans.append((start, pos - start))
    return spans


def _rendered(spans: list, workers: int, init_args: tuple):
    """Each slice's rendering, in order; in forked workers when there are several slices.

    A slice whose worker died is rendered again here, as is every slice after it."""
    if workers <= 1 or len(spans) <= 1:
        _init_report_worker(*init_args, in_child=False)
        for span in spans:
            yield _report_chunk(span)
        return
    pool = WorkerPool(workers, init_args, _init_report_worker, _report_chunk)
    queue, pending = deque(spans), deque()
    finished = False
    try:
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                span = queue.popleft()
                pending.append((span, submit_or_fail(pool, span)))
            span, future = pending.popleft()
            try:
                yield future.result()
            except BrokenProcessPool:
                print(t("batch.report_worker_lost", init_args[2]), file=sys.stderr)
                rest = [span] + [s for s, _ in pending] + list(queue)
                pending.clear()
                queue.clear()
                pool.close()
                _init_report_worker(*init_args, in_child=False)
                for span in rest:
                    yield _report_chunk(span)
        finished = True
    finally:
        pool.close(finished)


# ---------------------------------------------------------------------------------
# The pass

def write_reports(pset: ProblemSet, out: Path, lang: str, formats: tuple[str, ...] = (),
                  roster: list[str] | None = None, workers: int = 1) -> dict:
    """Every report from results.jsonl; every file written atomically; the same bytes for
    any number of ``workers``.

    Gradescope (``formats`` has "gradescope"): ``results.json`` when the batch has a
    single student (Gradescope grades one submission per container), otherwise
    ``results/<student_id>/results.json`` per student. Per-student files of students
    not in these results (an earlier batch's) are removed afterwards.
    """
    results_path = out / RESULTS
    _remove_temporaries(out)
    (out / "feedback").mkdir(exist_ok=True)
    gradescope = "gradescope" in formats
    # one graded row or several: reading on past the second one would tell nothing more
    single = gradescope and len(list(islice((r for r, skip in iter_rows(results_path) if not skip), 2))) == 1
    summary = SummaryBuilder(pset, roster=roster)   # the class: enrolled students only
    junit = JUnitWriter(pset, None)
    written: set[str] = set()
    book_tmp = out / ("gradebook.csv" + TMP_SUFFIX)
    body_tmp = out / ("junit.body" + TMP_SUFFIX)
    init_args = (pset, str(out), lang, gradescope, single, roster)
    with book_tmp.open("w", encoding="utf-8", newline="") as book_fh, \
            body_tmp.open("w", encoding="utf-8") as body_fh:
        GradebookWriter(pset, book_fh)            # the header row
        for rows, cases, counts, part, students in _rendered(_spans(results_path, REPORT_CHUNK),
                                                             workers, init_args):
            book_fh.write(rows)
            body_fh.write(cases)
            junit.counts.update(counts)
            summary.merge(part)
            written.update(students)
    os.replace(book_tmp, out / "gradebook.csv")
    junit_tmp = out / ("junit.xml" + TMP_SUFFIX)
    with junit_tmp.open("w", encoding="utf-8") as fh, body_tmp.open("r", encoding="utf-8") as body:
        fh.write(junit.head())
        while chunk := body.read(1 << 16):
            fh.write(chunk)
        fh.write(junit.tail())
    os.replace(junit_tmp, out / "junit.xml")
    body_tmp.unlink()
    _remove_stale(out, written, gradescope and not single, gradescope and single)
    built = summary.build()
    atomic_write(out / "summary.json", summary_json(built))
    atomic_write(out / "report.html", report_html(pset, built, lang))
    return built


def _remove_stale(out: Path, students: set[str], per_student: bool, single: bool) -> None:
    """Per-student outputs not written by this pass belong to an earlier batch: gone."""
    for f in (out / "feedback").glob("*.md"):
        if f.stem not in students:
            f.unlink()
    results = out / "results"
    if results.is_dir():
        for folder in results.iterdir():
            if not per_student or folder.name not in students:
                shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
        if not per_student:
            results.rmdir()
    if not single:
        (out / "results.json").unlink(missing_ok=True)
