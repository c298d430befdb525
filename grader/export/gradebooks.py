"""Gradebooks an LMS imports as written: ``gradebook-moodle.csv`` and ``gradebook-canvas.csv``.

Both are built from ``results.jsonl`` and the roster's identity columns, and hold
enrolled students only: Moodle aborts a whole import on one user it cannot map, and
Canvas lists unknown students as errors. A roster student without the identity the LMS
matches on is left out and named in the returned warnings.

* **Moodle** (Grades > Import > CSV file): one row per student, identity columns
  ``Email address`` and ``ID number`` (Moodle's own export headers; map either to the
  user field of the same name), our ``student_id``, then one column per problem key and
  the total, each named ``<set id> <key>`` so the instructor maps them to grade items.
  Numbers use a decimal point.
* **Canvas** (Grades > Import): Canvas's columns ``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section``, then one assignment column (the set's total), and the
  ``Points Possible`` row Canvas reads the assignment's maximum from. Canvas matches a
  row by ``ID`` (the roster's ``canvas_id``), ``SIS User ID`` (``sis_id``) or
  ``SIS Login ID`` (``sis_login``, else the email). One assignment, not one per key: each
  extra column would become an assignment of its own and count twice towards the total.

Cells are the rounded per-key points of ``reports.key_cells``; totals are their exact sum,
equal to gradebook.csv.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..bank.model import ProblemSet
from ..grading.reports import fmt_decimal, key_cells
from .identity import load_people

TARGETS = ("moodle", "canvas")


def _rows(results_path: Path) -> dict:
    from ..grading.batch import iter_rows
    return {r.student: r for r, duplicate in iter_rows(results_path) if not duplicate}


def write_gradebooks(pset: ProblemSet, out: Path, roster_path, targets) -> tuple[list[Path], list[str]]:
    """Write the asked LMS gradebooks into ``out``; returns the files and the warnings."""
    rows = _rows(out / "results.jsonl")
    people = load_people(roster_path)
    written, warnings = [], []
    for target in targets:
        text, skipped = (_moodle if target == "moodle" else _canvas)(pset, rows, people)
        path = out / f"gradebook-{target}.csv"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(path)
        written.append(path)
        if skipped:
            warnings.append(f"{path.name}: left out {len(skipped)} student(s) the LMS could not match "
                            f"({'email or sis_id' if target == 'moodle' else 'canvas_id, sis_id, sis_login or email'} "
                            f"empty in the roster): " + ", ".join(skipped[:20]))
    return written, warnings


def _score_cells(pset, r):
    if r is None:      # on the roster but absent from results (a sharded slice): nothing to report
        return None, None
    cells, total = key_cells(pset, r)
    return [fmt_decimal(c) for c in cells], fmt_decimal(total)


def _moodle(pset, rows, people):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Email address", "ID number", "Full name", "student_id"]
               + [f"{pset.id} {e.key}" for e in pset.entries] + [f"{pset.id} total"])
    skipped = []
    for p in people:
        cells, total = _score_cells(pset, rows.get(p.student_id))
        if cells is None:
            continue
        if not (p.email or p.sis_id):
            skipped.append(p.student_id)
            continue
        w.writerow([p.email, p.sis_id, p.name, p.student_id] + cells + [total])
    return buf.getvalue(), skipped


def _canvas(pset, rows, people):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    assignment = pset.title.get(pset.lang) or pset.id
    w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
    w.writerow(["Points Possible", "", "", "", "", fmt_decimal(_decimal(pset.points))])
    skipped = []
    for p in people:
        cells, total = _score_cells(pset, rows.get(p.student_id))
        if cells is None:
            continue
        login = p.sis_login or p.email
        if not (p.canvas_id or p.sis_id or login):
            skipped.append(p.student_id)
            continue
        w.writerow([p.name or p.student_id, p.canvas_id, p.sis_id, login, "", total])
    return buf.getvalue(), skipped


def _decimal(x: float):
    from decimal import Decimal
    return Decimal(repr(round(x, 6)))
