"""Grading a batch: discover files, grade in order (optionally in parallel), stream results.

Results are appended to ``results.jsonl`` one line per submission as soon as they are
known, in a fixed order, so an interrupted run leaves a valid prefix; ``resume``
keeps that prefix (dropping a torn last line) and grades only what is left. All
other outputs are derived from ``results.jsonl`` at the end, written atomically.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path

from ..bank.model import ProblemSet
from .reports import SummaryBuilder, feedback_md, gradebook_csv, junit_xml, summary_json
from .results import SubmissionResult
from .submission import SubmissionGrader, student_from_path


@dataclass(frozen=True)
class WorkItem:
    student: str        # from the path (or roster); the file's own field is checked when read
    path: str | None    # None: enrolled but no file
    duplicate_of: str | None = None

    @property
    def ident(self) -> str:
        return f"{self.student}\x1f{self.path or ''}"


def discover(submissions: Path) -> list[Path]:
    """Answer files as SPEC lists them: DIR/*.yaml, DIR/*.yml, DIR/<student>/answers.yaml."""
    files = [p for p in submissions.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")]
    files += [p / "answers.yaml" for p in submissions.iterdir() if p.is_dir() and (p / "answers.yaml").is_file()]
    return sorted(files, key=lambda p: str(p.relative_to(submissions)))


def plan(submissions: Path, roster: list[str] | None) -> list[WorkItem]:
    items, seen = [], {}
    for path in discover(submissions):
        student = student_from_path(path, submissions) or path.stem
        dup = seen.get(student)
        items.append(WorkItem(student, str(path), dup))
        seen.setdefault(student, str(path))
    if roster is not None:
        items += [WorkItem(s, None) for s in roster if s not in seen]
    return sorted(items, key=lambda w: (w.student, w.path or ""))


_worker: dict = {}


def _init_worker(pset, secret, lang, root, roster):
    _worker["grader"] = SubmissionGrader(pset, secret, lang)
    _worker["root"] = Path(root)
    _worker["roster"] = roster


def _grade_item(item: WorkItem) -> str:
    grader: SubmissionGrader = _worker["grader"]
    if item.path is None:
        result = grader.empty(item.student, "missing", "no submission")
    elif item.duplicate_of is not None:
        result = grader.empty(item.student, "invalid",
                              f"a second file for this student; {item.duplicate_of} is graded", item.path)
    else:
        result = grader.grade_file(Path(item.path), _worker["root"], _worker["roster"])
    return json.dumps({"ident": item.ident, **result.to_json()}, ensure_ascii=False, sort_keys=True)


def _read_done(results_path: Path) -> list[str]:
    """Complete lines of an earlier run; a torn last line (killed mid-write) is dropped."""
    if not results_path.exists():
        return []
    lines = []
    with results_path.open("r", encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break
            try:
                json.loads(line)
            except json.JSONDecodeError:
                break
            lines.append(line)
    return lines


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def grade_batch(pset: ProblemSet, secret: bytes, submissions: Path, out: Path, *,
                roster: list[str] | None = None, workers: int = 1, resume: bool = False,
                lang: str | None = None, progress=None) -> dict:
    """Grade every submission; returns the summary dict. Output files as SPEC describes."""
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.jsonl"
    items = plan(submissions, roster)
    done_lines = _read_done(results_path) if resume else []
    done = {json.loads(line)["ident"] for line in done_lines}
    todo = [w for w in items if w.ident not in done]
    # rewrite the kept prefix so a torn tail never survives
    with results_path.open("w", encoding="utf-8") as fh:
        fh.writelines(done_lines)
    roster_set = set(roster) if roster is not None else None
    init_args = (pset, secret, lang, str(submissions), roster_set)
    with results_path.open("a", encoding="utf-8") as fh:
        if workers > 1 and len(todo) > 1:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(workers, initializer=_init_worker, initargs=init_args) as pool:
                _drain(pool.imap(_grade_item, todo, chunksize=4), fh, progress)
        else:
            _init_worker(*init_args)
            _drain(map(_grade_item, todo), fh, progress)
    return write_reports(pset, out, lang or pset.lang)


def _drain(lines, fh, progress) -> None:
    for line in lines:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())
        if progress:
            progress()


def iter_results(results_path: Path):
    with results_path.open("r", encoding="utf-8") as fh:
        for line in fh:
            data = json.loads(line)
            data.pop("ident", None)
            yield SubmissionResult.from_json(data)


def write_reports(pset: ProblemSet, out: Path, lang: str) -> dict:
    """Every report from results.jsonl, streaming (one submission in memory at a time)."""
    results_path = out / "results.jsonl"
    feedback_dir = out / "feedback"
    feedback_dir.mkdir(exist_ok=True)
    summary = SummaryBuilder(pset)
    for r in iter_results(results_path):
        summary.add(r)
        _atomic_write(feedback_dir / f"{r.student}.md", feedback_md(pset, r, lang))
    _atomic_write(out / "gradebook.csv", gradebook_csv(pset, iter_results(results_path)))
    _atomic_write(out / "junit.xml", junit_xml(pset, iter_results(results_path)))
    built = summary.build()
    _atomic_write(out / "summary.json", summary_json(built))
    return built
