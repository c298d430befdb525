"""The command line: a thin layer over the library. Exit 0 done, 1 invalid input, 2 usage."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import AuthorError, UsageError


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in formats if f not in ("md", "html", "tex")]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown format {bad[0]!r}; expected md, html, tex")
    return formats


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Randomized ML hand-calculation exercises, "
                                     "rendered per student and graded safely.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="the whole loop on bundled defaults")
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--workers", type=int, default=None)

    p = sub.add_parser("validate", help="lint the problem bank")
    p.add_argument("paths", nargs="*", help="problem files or folders (default: problems/)")
    p.add_argument("--seeds", type=int, default=200, help="variants checked per family (default 200)")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--report", help="write the stress report as JSON here")

    p = sub.add_parser("render", help="one variant per student")
    p.add_argument("set")
    p.add_argument("--roster", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--lang", choices=("en", "ru"))
    p.add_argument("--format", type=_formats, default=("md",), help="md,html,tex (default md)")
    p.add_argument("--secret-file")

    p = sub.add_parser("check", help="parse an answer file and echo how it was read")
    p.add_argument("answers")
    p.add_argument("--set", required=True)
    p.add_argument("--secret-file", help="needed only to reveal correctness on practice sets")
    p.add_argument("--lang", choices=("en", "ru"))

    p = sub.add_parser("grade", help="grade a batch of answer files")
    p.add_argument("set")
    p.add_argument("--submissions", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--roster")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--secret-file")
    p.add_argument("--quiet", action="store_true")

    p = sub.add_parser("list", help="the problem bank")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("compare", help="test what a reference accepts")
    p.add_argument("--reference")
    p.add_argument("--answer")
    p.add_argument("--vars", default="", help="e.g. 'A:3x3,x:3x1,t' (no size: scalar)")
    p.add_argument("--kind", default=None,
                   choices=("expression", "matrix-expression", "number", "matrix"))
    p.add_argument("--batch", help="JSONL file of {reference, answer, variables, kind}")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("schema-docs", help="print the problem-format reference generated from the schema")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from . import commands
    try:
        return getattr(commands, "cmd_" + args.command.replace("-", "_"))(args)
    except UsageError as exc:
        print(f"grader {args.command}: {exc}", file=sys.stderr)
        return 2
    except AuthorError as exc:
        print(f"grader {args.command}: {exc.render()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; `grader grade --resume` continues a batch", file=sys.stderr)
        return 130


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


__all__ = ["main", "build_parser", "default_workers", "json", "Path"]
