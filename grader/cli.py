"""The command line: a thin layer over the library. Exit 0 done, 1 invalid input, 2 usage."""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .errors import AuthorError, InputError, UsageError

EXIT_CODES = ("exit codes:\n  0  done (whatever the scores)\n"
              "  1  invalid input: bank, set, roster, a missing or unreadable file or folder\n"
              "  2  usage error\n  3  a student below --fail-under (grade, merge)")


def _command(sub, name: str, help: str, example: str, description: str | None = None):
    """A subcommand whose --help ends with one example and the exit codes."""
    return sub.add_parser(name, help=help, description=description or help,
                          epilog=f"example:\n  {example}\n\n{EXIT_CODES}",
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def _bank(p) -> None:
    """--bank for every command that reads the problem bank."""
    p.add_argument("--bank", action="append", default=[], metavar="DIR",
                   help="a bank folder (problems/, reference/, sets/) searched before GRADER_BANK, "
                        "the current directory's bank and the bundled one; repeatable")


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in formats if f not in ("md", "html", "tex")]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown format {bad[0]!r}; expected md, html, tex")
    return formats


def _grade_formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in text.split(",") if f.strip() and f.strip() != "junit")
    bad = [f for f in formats if f not in ("gradescope", "classroom")]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown format {bad[0]!r}; expected gradescope or classroom "
                                         "(junit is always written)")
    return formats


def _gradebooks(text: str) -> tuple[str, ...]:
    targets = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    bad = [t for t in targets if t not in ("moodle", "canvas")]
    if bad or not targets:
        raise argparse.ArgumentTypeError(f"unknown gradebook {bad[0] if bad else text!r}; expected moodle, canvas")
    return targets


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
                                     "rendered per student and graded safely.",
                                     epilog="example:\n  grader demo\n\n" + EXIT_CODES
                                     + "\n\n`grader COMMAND --help` explains each command.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"grader (ml-hand-grader) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    secret_help = "file holding the instructor secret (default: the GRADER_SECRET variable)"
    workers_help = "processes to use (default: all cores)"

    p = _command(sub, "demo", "the whole loop on bundled defaults", "grader demo --out demo-out")
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--workers", type=int, default=None, help=workers_help)
    _bank(p)

    p = _command(sub, "validate", "lint the problem bank", "grader validate --seeds 50",
                 "Lint the bank: schema, both languages render, solvers run on many seeds, references "
                 "grade correct, misconceptions grade incorrect with their feedback, set files load. "
                 "Without PATH: the families of the banks found (--bank, GRADER_BANK, the current "
                 "directory's bank), or the bundled bank when no other is found. Exit 1 on any error "
                 "and when no family was found.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="problem files or folders (default: the banks found)")
    p.add_argument("--seeds", type=int, default=200, help="variants checked per family (default 200)")
    p.add_argument("--workers", type=int, default=None, help=workers_help)
    p.add_argument("--report", metavar="FILE", help="write the stress report as JSON here")
    p.add_argument("--all-banks", action="store_true", help="also lint the bundled bank next to your own")
    _bank(p)

    p = _command(sub, "render", "one variant per student",
                 "GRADER_SECRET=... grader render sets/demo.yaml --roster roster.csv --out out")
    p.add_argument("set", metavar="SET", help="set file (looked up in the banks' sets/ when not found here)")
    p.add_argument("--roster", required=True, metavar="CSV", help="roster CSV with a student_id column")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (students/, key.json)")
    p.add_argument("--lang", choices=("en", "ru"), help="language of the sheets (default: the set's lang)")
    p.add_argument("--format", type=_formats, default=("md",), help="md,html,tex (default md)")
    p.add_argument("--secret-file", help=secret_help)
    _bank(p)

    p = _command(sub, "check", "parse an answer file and echo how it was read",
                 "grader check answers.yaml --set sets/demo.yaml")
    p.add_argument("answers", metavar="ANSWERS", help="the answer file (YAML)")
    p.add_argument("--set", required=True, metavar="SET", help="the set the answers are for")
    p.add_argument("--secret-file", help="needed only to reveal correctness on practice sets")
    p.add_argument("--lang", choices=("en", "ru"), help="language of the messages (default: the set's lang)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of text")
    _bank(p)

    p = _command(sub, "grade", "grade a batch of answer files",
                 "GRADER_SECRET=... grader grade sets/demo.yaml --submissions subs --out graded --roster roster.csv")
    p.add_argument("set", metavar="SET", help="set file (looked up in the banks' sets/ when not found here)")
    p.add_argument("--submissions", required=True, metavar="DIR",
                   help="folder of answer files: <id>.yaml, <id>.yml or <id>/answers.yaml")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--roster", metavar="CSV", help="every enrolled student gets a row; others are invalid")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted batch in --out (kept results are not regraded)")
    p.add_argument("--secret-file", help=secret_help)
    p.add_argument("--quiet", action="store_true", help="no progress bar and no tables")
    p.add_argument("--shard", metavar="I/N",
                   help="grade only the I-th of N slices of the batch (a CI matrix); join with `grader merge`")
    p.add_argument("--format", dest="formats", type=_grade_formats, default=(),
                   help="extra outputs: gradescope (results.json for one student, "
                        "results/<id>/results.json for several), classroom (GitHub Classroom reporter "
                        "payloads, one runner per problem key); junit.xml is always written")
    p.add_argument("--gradebook", type=_gradebooks, default=(), metavar="moodle,canvas",
                   help="also write gradebook-moodle.csv / gradebook-canvas.csv for LMS import (needs --roster)")
    p.add_argument("--github-user", metavar="LOGIN",
                   help="with --format classroom: the student's GitHub login, looked up in the roster's "
                        "github column (default: $GITHUB_ACTOR)")
    p.add_argument("--fail-under", metavar="SCORE", type=_score_threshold,
                   help="exit 3 when a student scores below SCORE points (or SCORE%% of the maximum)")
    p.add_argument("--cache-size", type=int, default=None,
                   help="comparisons remembered per worker (default 50000; 0 turns the cache off)")

    _bank(p)

    p = _command(sub, "merge", "join the outputs of `grader grade --shard` into one batch",
                 "grader merge shard-1 shard-2 --out graded")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="shard output folders")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder of the joined batch")
    p.add_argument("--set", help="the set file (default: the one the shards recorded)")
    p.add_argument("--format", dest="formats", type=_grade_formats, default=None,
                   help="extra outputs (default: those the shards were graded with)")
    p.add_argument("--fail-under", metavar="SCORE", type=_score_threshold,
                   help="exit 3 when a student scores below SCORE points (or SCORE%% of the maximum)")
    p.add_argument("--quiet", action="store_true", help="no tables")
    _bank(p)

    p = _command(sub, "list", "the problem bank", "grader list --json")
    p.add_argument("--json", action="store_true", help="a JSON list of {id, topic, title, family, bank, parts}")
    _bank(p)

    p = _command(sub, "compare", "test what a reference accepts",
                 "grader compare --reference '(A + A^T) x' --answer 'A x + A^T x' --vars 'A:3x3,x:3x1'")
    p.add_argument("--reference", help="the reference answer, in the answer language")
    p.add_argument("--answer", help="the answer to judge against it")
    p.add_argument("--vars", default="", help="e.g. 'A:3x3,x:3x1,t' (no size: scalar)")
    p.add_argument("--kind", default=None, help="how to compare (default: guessed from the reference)",
                   choices=("expression", "matrix-expression", "number", "matrix"))
    p.add_argument("--batch", metavar="FILE", help="JSONL file of {reference, answer, variables, kind}")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")

    p = _command(sub, "init", "write a working course repository", "grader init my-course",
                 "Write a course repository: README for the staff, an example family with its solver, "
                 "a set, a roster, example answers, .gitignore, CI for GitHub Actions and GitLab, "
                 "and editor schema wiring. DIR must not exist or be empty.")
    p.add_argument("dir", metavar="DIR", help="the folder to create")

    from .export.cli import add_export_parsers   # exports: grader/export/
    add_export_parsers(sub, _bank, _command)

    p = _command(sub, "schema", "JSON Schema of the problem and set formats (for editors)",
                 "grader schema --json --kind problem > problem.schema.json")
    p.add_argument("--json", action="store_true", required=True, help="print JSON Schema (the only format)")
    p.add_argument("--kind", choices=("problem", "set", "all"), default="all",
                   help="problem files, set files, or one schema accepting both (default all)")

    _command(sub, "secret", "print a fresh strong instructor secret (for GRADER_SECRET or --secret-file)",
             "grader secret > ~/.course-secret")

    _command(sub, "schema-docs", "print the problem-format reference generated from the schema",
             "grader schema-docs > docs/format-reference.md")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from . import commands
    from .bank.loader import use_banks
    try:
        use_banks(getattr(args, "bank", None) or ())
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
    except BrokenPipeError:   # `grader list | head`: the reader has gone; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:     # the environment (disk full, permissions, ...): one line, exit 1
        from .fsio import os_error_message
        print(f"grader {args.command}: {os_error_message(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; `grader grade --resume` continues a batch", file=sys.stderr)
        return 130
    except Exception as exc:  # a grader bug: one line, and the traceback only when asked for
        if os.environ.get("GRADER_DEBUG"):
            raise
        print(f"grader {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(a bug in the grader; GRADER_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))

