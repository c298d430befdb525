"""What each `grader` subcommand does, on top of the library."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from .bank.banks import bank_of
from .bank.loader import active_banks, load_bank, load_set
from .bank.roster import load_roster
from .errors import InputError, UsageError
from .variants import load_secret


def _workers(n):
    from .cli import default_workers
    return n if n and n > 0 else default_workers()


def cmd_list(args) -> int:
    banks = active_banks()
    bank = load_bank()

    def bank_label(problem) -> str:
        home = bank_of(problem.file, banks)
        return home.label if home else ""
    rows = [{"id": p.id, "topic": p.topic, "title": p.title["en"], "family": p.family, "bank": bank_label(p),
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
        print(f"{'':<{width}}          {r['title']}  [{r['bank']}]")
    print(f"\n{len(rows)} problem families; banks searched in order:")
    for b in banks:
        print(f"  {b.label:<10} {b.root}" + ("" if b.bundled else f"  (from {b.origin})"))
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
    formats = tuple(f for f in args.formats if f != "classroom")      # classroom: written below
    if args.gradebook and not args.roster:
        raise UsageError("--gradebook needs --roster (the LMS matches students by its identity columns)")
    with tempfile.TemporaryDirectory(prefix="grader-classroom-") as staging:
        if "classroom" in args.formats and args.roster and (args.github_user or os.environ.get("GITHUB_ACTOR")):
            # a Classroom repository: its answers file is graded as the roster student of its GitHub user
            from .export.classroom import stage_repository
            submissions, student = stage_repository(pset, secret, submissions, args.roster,
                                                    args.github_user or os.environ["GITHUB_ACTOR"], out,
                                                    pset.lang, Path(staging) / "submissions")
            if submissions is None:
                return 0
            roster = [student]
        with Progress(quiet=args.quiet) as progress:
            summary = grade_batch(pset, secret, submissions, out, roster=roster, workers=_workers(args.workers),
                                  resume=args.resume, progress=progress, shard=shard, formats=formats,
                                  cache_size=DEFAULT_CACHE_ENTRIES if args.cache_size is None else args.cache_size)
    extra = []
    if "classroom" in args.formats:
        from .export.classroom import write_batch
        write_batch(pset, out, pset.lang)
        extra.append("classroom/ (GitHub Classroom runners)")
    if args.gradebook:
        from .export.gradebooks import write_gradebooks
        written, warnings = write_gradebooks(pset, out, args.roster, args.gradebook)
        extra += [p.name for p in written]
        for warning in warnings:
            print(f"grader grade: {warning}", file=sys.stderr)
    code = _finish(pset, out, summary, read_stats(out), args)
    if extra:
        print("also: " + ", ".join(extra))
    return code


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
    formats = None if args.formats is None else tuple(f for f in args.formats if f != "classroom")
    summary = merge_shards(pset, dirs, out, formats=formats)
    if args.formats and "classroom" in args.formats:
        from .export.classroom import write_batch
        write_batch(pset, out, pset.lang)
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
    if getattr(args, "json", False):
        from .check import check_data
        data = check_data(Path(args.answers), pset, lang=args.lang or pset.lang, secret=secret)
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0 if data["ok"] else 1
    text, ok = check_file(Path(args.answers), pset, lang=args.lang or pset.lang, secret=secret)
    print(text)
    return 0 if ok else 1


def cmd_validate(args) -> int:
    from .validate import validate_bank
    ok, report = validate_bank(args.paths or None, seeds=args.seeds, workers=_workers(args.workers),
                               all_banks=getattr(args, "all_banks", False))
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



def cmd_init(args) -> int:
    from .init import init_course
    target = Path(args.dir)
    written = init_course(target)
    print(f"course repository written to {target} ({len(written)} files). Next:")
    print(f"  cd {target} && grader validate && cat README.md")
    return 0


def cmd_schema(args) -> int:
    from .schema import json_schema
    print(json.dumps(json_schema(args.kind), indent=2, ensure_ascii=False))
    return 0


def cmd_export(args) -> int:
    from .export.cli import run_export
    return run_export(args)


def cmd_gradescope_run(args) -> int:
    from .export.gradescope import autograder_root, run
    return run(autograder_root(args.root))
