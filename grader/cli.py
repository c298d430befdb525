"""The command line: a thin layer over the library. Exit 0 done, 1 invalid input, 2 usage."""

from __future__ import annotations

import argparse
import os
import sys

from .errors import AuthorError, InputError, UsageError


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in formats if f not in ("md", "html", "tex")]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown format {bad[0]!r}; expected md, html, tex")
    return formats


def _grade_formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in text.split(",") if f.strip() and f.strip() != "junit")
    bad = [f for f in formats if f != "gradescope"]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown format {bad[0]!r}; expected gradescope (junit is always written)")
    return formats


def _score_threshold(text: str) -> tuple[float, bool]:
    """'12' (points) or '60%' (of the maximum) -> (value, is_percent)."""
    percent = text.strip().endswith("%")
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected points like 12 or a share like 60%, got {text!r}") from None
    return value, percent


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
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted batch in --out (kept results are not regraded)")
    p.add_argument("--secret-file")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no tables")
    p.add_argument("--shard", metavar="I/N",
                   help="grade only the I-th of N slices of the batch (a CI matrix); join with `grader merge`")
    p.add_argument("--format", dest="formats", type=_grade_formats, default=(),
                   help="extra outputs: gradescope (results.json for one student, "
                        "results/<id>/results.json for several); junit.xml is always written")
    p.add_argument("--fail-under", metavar="SCORE", type=_score_threshold,
                   help="exit 3 when a student scores below SCORE points (or SCORE%% of the maximum)")
    p.add_argument("--cache-size", type=int, default=None,
                   help="comparisons remembered per worker (default 50000; 0 turns the cache off)")

    p = sub.add_parser("merge", help="join the outputs of `grader grade --shard` into one batch")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="shard output folders")
    p.add_argument("--out", required=True)
    p.add_argument("--set", help="the set file (default: the one the shards recorded)")
    p.add_argument("--format", dest="formats", type=_grade_formats, default=None,
                   help="extra outputs (default: those the shards were graded with)")
    p.add_argument("--fail-under", metavar="SCORE", type=_score_threshold)
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

    sub.add_parser("secret", help="print a fresh strong instructor secret (for GRADER_SECRET or --secret-file)")

    p = sub.add_parser("schema-docs", help="print the problem-format reference generated from the schema")
    return parser


# The answer language caps operator nesting at Limits.max_tree_depth (250) and YAML at
# yamlio.MAX_YAML_DEPTH; the tree walks (printing, evaluation, shapes, equivalence) recurse
# up to three frames a level, ~750 frames at the cap: too close to Python's default limit
# of 1000 once a batch's own frames are counted. Workers are forked and inherit this.
RECURSION_LIMIT = 4000


def main(argv=None) -> int:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
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
    except InputError as exc:
        print(f"grader {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:     # the environment (disk full, permissions, ...): one line, exit 1
        from .fsio import os_error_message
        print(f"grader {args.command}: {os_error_message(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; `grader grade --resume` continues a batch", file=sys.stderr)
        return 130


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))

