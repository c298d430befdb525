"""`grader demo`: the whole loop on bundled defaults, no arguments needed.

Renders sets/demo.yaml for a built-in roster, synthesizes submissions (right in
several forms, typical mistakes, blanks, malformed files), grades them and prints
where everything went. Uses a public built-in secret: never use it for a course.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import yaml

from .bank.loader import default_root, load_set
from .grading.batch import grade_batch
from .grading.reports import fmt_points
from .grading.tables import score_table
from .render.sheets import render_set, student_variants
from .variants import DEMO_SECRET

ROSTER = [
    ("s001", "Ada (answers exactly as in the key)"),
    ("s002", "Boris (right, written differently)"),
    ("s003", "Vera (typical mistakes)"),
    ("s004", "Gleb (half done)"),
    ("s005", "Dasha (syntax slips and wrong shapes)"),
    ("s006", "Egor (file is not valid YAML)"),
    ("s007", "Zoya (submitted nothing)"),
]


def _write_yaml(path: Path, data) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _persona_answers(pset, student: str, persona: str) -> dict:
    answers: dict = {}
    for n, (entry, variant) in enumerate(student_variants(pset, DEMO_SECRET, student)):
        parts = {}
        for i, part in enumerate(entry.problem.parts):
            written = part.answer.key_value(variant.answers[part.id])
            if persona == "exact":
                parts[part.id] = written
            elif persona == "rewritten":
                forms = part.answer.rewrites(written)
                parts[part.id] = forms[-1] if forms else written
            elif persona == "mistakes":
                bugs = part.misconceptions
                parts[part.id] = (part.answer.key_value(variant.solve(bug=bugs[0].bug)[part.id])
                                  if bugs else written)
            elif persona == "half":
                if (n + i) % 2 == 0:
                    parts[part.id] = written
            elif persona == "malformed":
                parts[part.id] = ["(1 + ", [[1, 2], [3]], "2 ** ** 3", "sqrt(", {"oops": 1}][(n + i) % 5] \
                    if i % 2 == 0 else written
        answers[entry.key] = parts
    return answers


def synthesize(pset, folder: Path) -> None:
    """One answer file per persona, plus files that exercise every failure path."""
    folder.mkdir(parents=True, exist_ok=True)
    personas = {"s001": "exact", "s002": "rewritten", "s003": "mistakes", "s004": "half", "s005": "malformed"}
    for sid, persona in personas.items():
        _write_yaml(folder / f"{sid}.yaml", {"student": sid, "set": pset.id,
                                             "answers": _persona_answers(pset, sid, persona)})
    (folder / "s006.yaml").write_text("student: s006\nset: demo\nanswers:\n  q1: [unclosed\n", encoding="utf-8")
    _write_yaml(folder / "x999.yaml", {"student": "x999", "set": pset.id, "answers": {}})


def run_demo(out: Path, workers: int = 1) -> int:
    root = default_root()
    pset = load_set(root / "sets" / "demo.yaml")
    if out.exists():
        for sub in ("render", "submissions", "grade"):
            shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    roster_path = out / "roster.csv"
    with roster_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["student_id", "name"])
        writer.writerows(ROSTER)
    roster = [{"student_id": s, "name": n, "email": ""} for s, n in ROSTER]
    print(f"grader demo: set '{pset.id}' ({len(pset.entries)} problems), {len(ROSTER)} students")
    print("  (built-in demo secret: variants are guessable; use GRADER_SECRET for a real course)\n")
    key = render_set(pset, roster, out / "render", DEMO_SECRET, formats=("md", "html", "tex"))
    synthesize(pset, out / "submissions")
    summary = grade_batch(pset, DEMO_SECRET, out / "submissions", out / "grade",
                          roster=[s for s, _ in ROSTER], workers=workers)
    print(score_table(pset, out / "grade" / "results.jsonl"))
    print(f"\nmean score {fmt_points(summary['mean_score'])} / {fmt_points(summary['max'])} "
          f"over the class of {summary['class_size']} enrolled students "
          f"({summary['not_enrolled']} file(s) from students not enrolled excluded)\n")
    print("Where everything went:")
    for label, path in [
        ("roster", roster_path),
        ("sheets (md, html, tex) and blank answer files", out / "render" / "students"),
        ("private key", key),
        ("synthesized submissions", out / "submissions"),
        ("results, one line per submission", out / "grade" / "results.jsonl"),
        ("gradebook", out / "grade" / "gradebook.csv"),
        ("feedback per student", out / "grade" / "feedback"),
        ("JUnit XML for CI", out / "grade" / "junit.xml"),
        ("summary per part", out / "grade" / "summary.json"),
        ("instructor report (histogram, common mistakes)", out / "grade" / "report.html"),
    ]:
        print(f"  {label:<48} {path}")
    return 0
