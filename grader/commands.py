"""What each `grader` subcommand does, on top of the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .bank.loader import default_root, load_bank, load_set
from .bank.roster import load_roster
from .errors import AuthorError, UsageError
from .variants import load_secret


def _workers(n):
    from .cli import default_workers
    return n if n and n > 0 else default_workers()


def cmd_list(args) -> int:
    bank = load_bank()
    rows = [{"id": p.id, "topic": p.topic, "title": p.title["en"], "family": p.family,
             "parts": [{"id": part.id, "type": part.type} for part in p.parts]}
            for p in sorted(bank.values(), key=lambda p: (p.topic, p.family, p.id))]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    width = max(len(r["id"]) for r in rows) if rows else 10
    print(f"{'id':<{width}}  family  {'topic':<16} parts (type)")
    for r in rows:
        parts = ", ".join(f"{p['id']} ({p['type']})" for p in r["parts"])
        print(f"{r['id']:<{width}}  {r['family']:<6}  {r['topic']:<16} {parts}")
        print(f"{'':<{width}}          {r['title']}")
    print(f"\n{len(rows)} problem families")
    return 0


def cmd_render(args) -> int:
    from .render.sheets import render_set
    secret = load_secret(args.secret_file)
    pset = load_set(args.set)
    roster = load_roster(args.roster)
    out = Path(args.out)
    key = render_set(pset, roster, out, secret, lang=args.lang, formats=args.format)
    print(f"rendered {len(roster)} students of set '{pset.id}' into {out / 'students'}")
    print(f"private key: {key} (keep it away from students)")
    return 0


def cmd_grade(args) -> int:
    from .grading.batch import grade_batch
    from .grading.progress import Progress
    secret = load_secret(args.secret_file)
    pset = load_set(args.set)
    submissions = Path(args.submissions)
    if not submissions.is_dir():
        raise UsageError(f"--submissions {submissions}: not a folder")
    roster = [r["student_id"] for r in load_roster(args.roster)] if args.roster else None
    out = Path(args.out)
    from .grading.batch import plan
    total = len(plan(submissions, roster))
    with Progress(total, quiet=args.quiet) as progress:
        summary = grade_batch(pset, secret, submissions, out, roster=roster, workers=_workers(args.workers),
                              resume=args.resume, progress=progress.tick)
    from .grading.tables import score_table
    if not args.quiet:
        print(score_table(pset, out / "results.jsonl"))
    print(f"graded {summary['submissions']} submissions; mean {summary['mean_score']:g} / {summary['max']:g}")
    print(f"outputs in {out}: results.jsonl, gradebook.csv, feedback/, junit.xml, summary.json")
    return 0


def cmd_check(args) -> int:
    from .check import check_file
    pset = load_set(args.set)
    secret = None
    if pset.practice:
        try:
            secret = load_secret(args.secret_file)
        except UsageError:
            secret = None
    text, ok = check_file(Path(args.answers), pset, lang=args.lang or pset.lang, secret=secret)
    print(text)
    return 0 if ok else 1


def cmd_validate(args) -> int:
    from .validate import validate_bank
    ok, report = validate_bank(args.paths or None, seeds=args.seeds, workers=_workers(args.workers))
    print(report.text())
    if args.report:
        Path(args.report).write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    return 0 if ok else 1


def cmd_demo(args) -> int:
    from .demo import run_demo
    return run_demo(Path(args.out), workers=_workers(args.workers))


def cmd_compare(args) -> int:
    from .compare import run_compare
    return run_compare(args)


def cmd_schema_docs(args) -> int:
    from .schema_docs import format_reference
    sys.stdout.write(format_reference())
    return 0


__all__ = ["AuthorError", "default_root"]
