"""`grader export TARGET …` and the Gradescope run-time command, kept apart from cli.py.

cli.py calls ``add_export_parsers``; commands.py's ``cmd_export`` calls ``run_export``,
which dispatches on the target, so a new target adds a parser and a branch here only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..grading.reports import GRADESCOPE_VISIBILITY


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= n <= 1000:
        raise argparse.ArgumentTypeError(f"expected 1 to 1000 variants, got {n}")
    return n


def add_export_parsers(sub, bank_option, command) -> None:
    """The export parsers. cli.py hands in ``bank_option`` (its --bank) and ``command`` (a parser
    whose --help ends with an example and the exit codes), so every command reads alike."""
    p = command(sub, "export", "write a set for Gradescope, QTI 2.1 (Canvas, …), Moodle or Classroom",
                "grader export qti sets/demo.yaml --variants 5 --out qti-out")
    targets = p.add_subparsers(dest="target", required=True, metavar="TARGET",
                               help="gradescope, qti, moodle or classroom (`grader export TARGET --help`)")

    t = command(targets, "gradescope", "DIR/autograder.zip for a Gradescope programming assignment",
                "grader export gradescope sets/demo.yaml --roster roster.csv --out gs")
    t.add_argument("set", help="the set file")
    t.add_argument("--roster", required=True, help="CSV with student_id and email and/or sid")
    t.add_argument("--out", required=True, help="folder for autograder.zip")
    t.add_argument("--secret-file")
    t.add_argument("--visibility", choices=GRADESCOPE_VISIBILITY, default="visible",
                   help="when students see the result (default visible)")
    t.add_argument("--test-visibility", choices=GRADESCOPE_VISIBILITY, default="visible",
                   help="when students see each part's result (default visible)")
    t.add_argument("--tool", metavar="PIP_SPEC",
                   help="what setup.sh installs (default: this tool's own source, bundled)")
    bank_option(t)

    for name, what, out_help in (("qti", "an IMS QTI 2.1 content package (DIR and DIR.zip)", "folder"),
                                 ("moodle", "Moodle XML: a category per problem key, Cloze variants", "FILE.xml")):
        t = command(targets, name, what, f"grader export {name} sets/demo.yaml --variants 5 --out "
                    + ("qti-out" if name == "qti" else "demo.xml"))
        t.add_argument("set", help="the set file")
        t.add_argument("--variants", type=_positive, default=10, help="variants per problem key (default 10)")
        t.add_argument("--out", required=True, help=out_help)
        t.add_argument("--secret-file", help="variants are drawn from the secret (default: GRADER_SECRET)")
        t.add_argument("--lang", choices=("en", "ru"))
        t.add_argument("--roster", help="instead of --variants: each roster student's own variant (as on their sheet)")
        bank_option(t)

    t = command(targets, "classroom", "the GitHub Classroom workflow for a template repository",
                "grader export classroom sets/demo.yaml --out my-template-repo")
    t.add_argument("set", help="the set, as a path inside the repository")
    t.add_argument("--out", default=".", help="the repository (default: here); writes .github/workflows/classroom.yml")
    t.add_argument("--roster", default="roster.csv", help="the roster's path in the repository (with a github column)")
    t.add_argument("--install", default="ml-hand-grader", help="what the workflow pip-installs")
    bank_option(t)

    p = command(sub, "gradescope-run", "(inside Gradescope) grade one submission; run_autograder calls it",
                "AUTOGRADER_ROOT=/autograder grader gradescope-run")
    p.add_argument("--root", help="Gradescope's folder (default: $AUTOGRADER_ROOT or /autograder)")


def run_export(args) -> int:
    from ..errors import AuthorError
    try:
        return _run_export(args)
    except OSError as exc:      # an unwritable --out, a full disk: a message naming the path, exit 1
        raise AuthorError(exc.filename or args.out, exc.strerror or str(exc)) from None


def _run_export(args) -> int:
    from ..bank.loader import load_set
    from ..variants import load_secret
    pset = load_set(args.set)
    out = Path(args.out)
    if args.target == "classroom":
        from .classroom import add_workflow
        path = add_workflow(out, pset, args.set, args.roster, install=args.install)
        print(f"wrote {path}")
        print("next: store the instructor secret as the GitHub secret GRADER_SECRET; give the roster a github "
              "column; use this repository as the Classroom assignment's template")
        return 0
    secret = load_secret(args.secret_file, lang=pset.lang)
    if args.target == "gradescope":
        from .gradescope import build_bundle, bundle_listing
        path = build_bundle(pset, args.roster, secret, out, visibility=args.visibility,
                            test_visibility=args.test_visibility, tool_spec=args.tool)
        print(f"wrote {path} ({len(bundle_listing(path))} files; it holds the secret: keep it private)")
        print("next: Gradescope > Create assignment > Programming assignment > Configure autograder > "
              "upload autograder.zip; students upload their answers.yaml")
        return 0
    lang = args.lang or pset.lang
    students = None
    if args.roster:
        from ..bank.roster import load_roster
        students = [r["student_id"] for r in load_roster(args.roster)]
    if args.target == "moodle":
        from .moodle import write_moodle
        report = write_moodle(pset, secret, args.variants, out, lang=lang, students=students)
    else:
        from .qti import write_qti
        report = write_qti(pset, secret, args.variants, out, lang=lang, students=students)
    for line in report.lines():
        print(line)
    return 0
