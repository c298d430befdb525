"""What each `grader` subcommand does, on top of the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .bank.loader import load_bank, load_set
from .bank.roster import load_roster
from .errors import InputError, UsageError
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
    pset = load_set(args.set)
    secret = load_secret(args.secret_file, lang=args.lang or pset.lang)
    roster = load_roster(args.roster)
    out = Path(args.out)
    key = render_set(pset, roster, out, secret, lang=args.lang, formats=args.format)
    print(f"rendered {len(roster)} students of set '{pset.id}' into {out / 'students'}")
    print(f"private key: {key} (keep it away from students)")
    return 0


def cmd_grade(args) -> int:
    from .grading.batch import grade_batch, parse_shard, read_stats
    from .grading.cache import DEFAULT_CACHE_ENTRIES
    from .grading.progress import Progress
    pset = load_set(args.set)
    secret = load_secret(args.secret_file, lang=pset.lang)
    submissions = Path(args.submissions)
    if not submissions.is_dir():
        raise InputError(f"{submissions}: the submissions folder does not exist or is not a folder; "
                         "check --submissions")
    shard = parse_shard(args.shard)
    if args.cache_size is not None and args.cache_size < 0:
        raise UsageError("--cache-size must be 0 or more")
    roster = [r["student_id"] for r in load_roster(args.roster)] if args.roster else None
    out = Path(args.out)
    with Progress(quiet=args.quiet) as progress:
        summary = grade_batch(pset, secret, submissions, out, roster=roster, workers=_workers(args.workers),
                              resume=args.resume, progress=progress, shard=shard, formats=args.formats,
                              cache_size=DEFAULT_CACHE_ENTRIES if args.cache_size is None else args.cache_size)
    return _finish(pset, out, summary, read_stats(out), args)


def cmd_merge(args) -> int:
    from .grading.batch import read_manifest
    from .grading.merge import merge_shards
    dirs = [Path(d) for d in args.dirs]
    set_path = args.set
    if set_path is None:
        manifest = read_manifest(dirs[0])
        if manifest is None:
            raise UsageError(f"{dirs[0]}: not a graded batch (no batch.json); pass --set")
        set_path = manifest["set_file"]
    pset = load_set(set_path)
    out = Path(args.out)
    summary = merge_shards(pset, dirs, out, formats=args.formats)
    return _finish(pset, out, summary, {}, args)


def _finish(pset, out: Path, summary: dict, stats: dict, args) -> int:
    """The closing summary on stdout, and the --fail-under verdict (exit 3)."""
    from .grading.batch import iter_rows
    from .grading.reports import fmt_points
    from .grading.tables import part_table, run_lines, score_table
    if not args.quiet:
        if summary["submissions"] <= 30:
            print(score_table(pset, out / "results.jsonl"))
            print()
        print(part_table(summary))
        print()
    for line in run_lines(summary, stats):
        print(line)
    from .grading.batch import read_manifest
    formats = (read_manifest(out) or {}).get("formats") or ()
    print(f"outputs in {out}: results.jsonl, gradebook.csv, feedback/, junit.xml, summary.json, report.html"
          + (", Gradescope results" if "gradescope" in formats else "")
          + (", stats.json" if stats else ""))
    if args.fail_under is None:
        return 0
    value, percent = args.fail_under
    threshold = value / 100 * pset.points if percent else value
    below = [r for r, duplicate in iter_rows(out / "results.jsonl")
             if not duplicate and r.score < threshold - 1e-9]
    if not below:
        return 0
    names = ", ".join(f"{r.student} ({fmt_points(r.score)})" for r in below[:20])
    more = f" and {len(below) - 20} more" if len(below) > 20 else ""
    print(f"fail-under {fmt_points(threshold)}: {len(below)} below: {names}{more}", file=sys.stderr)
    return 3


def cmd_secret(args) -> int:
    from .variants import new_secret
    print(new_secret())
    return 0


def cmd_check(args) -> int:
    from .check import check_file
    pset = load_set(args.set)
    secret = None
    if pset.practice:
        try:
            secret = load_secret(args.secret_file)
        except (UsageError, InputError):
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

