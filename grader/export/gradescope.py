"""Gradescope: an autograder bundle that runs our own engine inside Gradescope.

``build_bundle`` writes ``autograder.zip`` for a Gradescope *programming assignment*:

    setup.sh            run once when Gradescope builds the image: installs the tool
    run_autograder      run per submission: ``python3 -m grader gradescope-run``
    grader-bundle.json  what the run needs: set, roster, secret file names, visibility
    set.yaml, roster.csv, secret (0600)
    banks/<n>/          the banks holding the set's problems (problems/ and reference/)
    tool/               the tool's source, which setup.sh installs with pip

``run`` is what ``run_autograder`` calls. Under ``AUTOGRADER_ROOT`` (default
``/autograder``, Gradescope's layout) it

1. reads ``submission_metadata.json`` and finds the student: each ``users[]`` entry's
   ``email`` or ``sid`` against the roster's ``email`` or ``sid`` column;
2. finds the answers file under ``submission/`` (``answers.yaml`` first, else the only
   YAML file there);
3. grades it with the full engine as that student (``grade_batch`` on a one-file batch,
   so the identity rule, budgets and verdict chain are exactly those of ``grader grade``);
4. writes ``results/results.json`` in Gradescope's format (``reports.gradescope_json``).

Whatever goes wrong (not on the roster, no file, unreadable file) the student gets a
``results.json`` with 0 points and a message saying why, never a failed autograder.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from ..bank.model import ProblemSet
from ..errors import AuthorError, UsageError
from ..grading.reports import GRADESCOPE_VISIBILITY
from .identity import Directory, load_people

DEFAULT_ROOT = "/autograder"
ROOT_ENV = "AUTOGRADER_ROOT"
CONFIG = "grader-bundle.json"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)     # fixed: the same inputs give a byte-identical zip
SKIP = {"__pycache__", ".git", ".venv", ".pytest_cache", ".hypothesis", "build", "dist"}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, in /autograder/source, when it builds the autograder image.
set -euo pipefail
cd "$(dirname "$0")"
PY=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3.11 python3.11-venv
  PY=python3.11
fi
"$PY" -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
/autograder/venv/bin/pip install -q {install}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this per submission. AUTOGRADER_ROOT (default /autograder) lets it run
# on a local copy of Gradescope's layout; the python3 of setup.sh's venv is used when present.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PY=python3
if [ -x "$ROOT/venv/bin/python3" ]; then PY="$ROOT/venv/bin/python3"; fi
BANKS="{banks}"
export GRADER_BANK="$BANKS${GRADER_BANK:+:$GRADER_BANK}"
exec "$PY" -m grader gradescope-run --root "$ROOT"
"""

MESSAGES = {
    "en": {
        "not_on_roster": "Gradescope reports this submission as {who}, who is not on the course roster "
                         "(matched by email or SID). Ask your instructor to add you; no points were given.",
        "no_users": "Gradescope sent no submitter for this submission; no points were given.",
        "no_file": "No answers file found in your submission: upload your answers.yaml.",
        "many_files": "Your submission holds several YAML files ({files}) and none is named answers.yaml: "
                      "upload only your answers.yaml.",
        "internal": "The autograder failed on this submission (an internal error); "
                    "your instructor has been told. No points were given yet.",
    },
    "ru": {
        "not_on_roster": "Gradescope сообщает, что работу сдал(а) {who}, но такого студента нет в списке курса "
                         "(поиск по email и SID). Обратитесь к преподавателю; баллы не начислены.",
        "no_users": "Gradescope не передал, кто сдал эту работу; баллы не начислены.",
        "no_file": "В посылке нет файла с ответами: загрузите свой answers.yaml.",
        "many_files": "В посылке несколько YAML-файлов ({files}), и ни один не называется answers.yaml: "
                      "загрузите только answers.yaml.",
        "internal": "Автопроверка завершилась внутренней ошибкой; преподаватель увидит это. "
                    "Баллы пока не начислены.",
    },
}


# ---------------------------------------------------------------------------------
# Building the bundle

def bank_root(problem_file: str) -> Path:
    """The bank folder holding a problem file: the parent of its ``problems/`` ancestor."""
    path = Path(problem_file).resolve()
    for parent in path.parents:
        if parent.name == "problems":
            return parent.parent
    return path.parent


def tool_source() -> Path | None:
    """The tool's source tree (holding pyproject.toml and grader/), when it runs from one."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "grader").is_dir() else None


def _tool_version() -> str:
    from importlib import metadata
    try:
        return metadata.version("ml-hand-grader")
    except metadata.PackageNotFoundError:
        return ""


def build_bundle(pset: ProblemSet, roster_path, secret: bytes, out: Path, *,
                 visibility: str = "visible", test_visibility: str = "visible",
                 tool_spec: str | None = None) -> Path:
    """Write ``out/autograder.zip``; returns its path. Byte-identical for the same inputs."""
    if visibility not in GRADESCOPE_VISIBILITY or test_visibility not in GRADESCOPE_VISIBILITY:
        raise UsageError("visibility must be one of: " + ", ".join(GRADESCOPE_VISIBILITY))
    people = load_people(roster_path)
    directory = Directory(people)
    if not (directory.has_column("email") or directory.has_column("sid")):
        raise AuthorError(roster_path, "Gradescope identifies students by email or SID, and the roster "
                          "has neither", line=1, field="email",
                          expected="a header like student_id,name,email (or sid)")
    files: dict[str, bytes] = {}
    modes: dict[str, int] = {}

    banks = []
    for entry in pset.entries:
        root = bank_root(entry.problem.file)
        if root not in banks:
            banks.append(root)
    bank_dirs = []
    for n, root in enumerate(banks, 1):
        name = f"banks/{n}"
        bank_dirs.append(name)
        for sub in ("problems", "reference"):
            _add_tree(files, root / sub, f"{name}/{sub}")
    if tool_spec:
        install = tool_spec
    elif (src := tool_source()) is not None:
        for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
            if (src / name).is_file():
                files[f"tool/{name}"] = (src / name).read_bytes()
        for sub in ("grader", "reference", "problems", "sets"):
            _add_tree(files, src / sub, f"tool/{sub}")
        install = "./tool"
    else:
        version = _tool_version()
        install = f"'ml-hand-grader=={version}'" if version else "ml-hand-grader"

    files["set.yaml"] = Path(pset.file).read_bytes()
    files["roster.csv"] = Path(roster_path).read_bytes()
    files["secret"] = secret + b"\n"
    modes["secret"] = 0o600
    config = {"set": "set.yaml", "roster": "roster.csv", "secret": "secret", "set_id": pset.id,
              "visibility": visibility, "test_visibility": test_visibility, "banks": bank_dirs}
    files[CONFIG] = (json.dumps(config, indent=2) + "\n").encode()
    files["setup.sh"] = SETUP_SH.replace("{install}", install).encode()
    banks_env = ":".join(f"$SOURCE/{d}" for d in bank_dirs)
    files["run_autograder"] = RUN_AUTOGRADER.replace("{banks}", banks_env).encode()
    modes["setup.sh"] = modes["run_autograder"] = 0o755

    out.mkdir(parents=True, exist_ok=True)
    target = out / "autograder.zip"
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | modes.get(name, 0o644)) << 16
            zf.writestr(info, files[name])
    os.chmod(tmp, 0o600)     # it holds the secret
    os.replace(tmp, target)
    return target


def _add_tree(files: dict, folder: Path, prefix: str) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in SKIP for part in rel.parts) or path.suffix in (".pyc", ".pyo") or not path.is_file():
            continue
        files[f"{prefix}/{rel.as_posix()}"] = path.read_bytes()


# ---------------------------------------------------------------------------------
# Running inside Gradescope

def find_answers(submission: Path) -> tuple[Path | None, str]:
    """The answers file under ``submission/``: answers.yaml (shallowest) first, else the only YAML."""
    if not submission.is_dir():
        return None, "no_file"
    found = sorted((p for p in submission.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")
                    and not any(part.startswith(".") or part == "__MACOSX" for part in p.relative_to(submission).parts)),
                   key=lambda p: (len(p.relative_to(submission).parts), p.as_posix()))
    named = [p for p in found if p.name in ("answers.yaml", "answers.yml")]
    if named:
        return named[0], ""
    if len(found) == 1:
        return found[0], ""
    return None, "many_files" if found else "no_file"


def identify(metadata: dict, directory: Directory):
    """The roster person Gradescope names (first submitter found), and who it was for messages."""
    users = metadata.get("users") or []
    if not isinstance(users, list) or not users:
        return None, ""
    for user in users:
        if not isinstance(user, dict):
            continue
        person = directory.find(email=str(user.get("email") or ""), sid=str(user.get("sid") or ""))
        if person is not None:
            return person, ""
    first = next((u for u in users if isinstance(u, dict)), {})
    who = first.get("email") or first.get("sid") or first.get("name") or "?"
    return None, str(who)


def run(root: Path) -> int:
    """Grade the submission under ``root`` and write ``root/results/results.json``. Always exit 0
    once results.json is written: Gradescope shows our message instead of a crash."""
    from ..bank.loader import load_set
    from ..grading.batch import grade_batch, iter_rows
    from ..grading.reports import gradescope_json
    from ..grading.submission import SubmissionGrader
    from ..variants import load_secret

    source = root / "source"
    results = root / "results"
    try:
        config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AuthorError(source / CONFIG, f"not an autograder bundle made by `grader export gradescope` ({exc})") from None
    results.mkdir(parents=True, exist_ok=True)
    pset = load_set(source / config["set"])
    lang = pset.lang
    msgs = MESSAGES.get(lang, MESSAGES["en"])
    options = {"visibility": config.get("visibility", "visible"),
               "test_visibility": config.get("test_visibility", "visible")}
    secret = load_secret(str(source / config["secret"]), lang=pset.lang)
    directory = Directory(load_people(source / config["roster"]))

    def write(result) -> int:
        text = gradescope_json(pset, result, lang, **options)
        (results / "results.json").write_text(text, encoding="utf-8")
        return 0

    def refuse(student: str, message: str) -> int:
        print(message, file=sys.stderr)
        return write(SubmissionGrader(pset, secret, lang).empty(student, "invalid", message))

    try:
        metadata = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        metadata = {}
    person, who = identify(metadata if isinstance(metadata, dict) else {}, directory)
    if person is None:
        return refuse("unknown", msgs["not_on_roster"].format(who=who) if who else msgs["no_users"])
    answers, problem = find_answers(root / "submission")
    if answers is None:
        files = ", ".join(sorted(p.name for p in (root / "submission").rglob("*.y*ml")))[:200]
        return refuse(person.student_id, msgs[problem].format(files=files))
    try:
        with tempfile.TemporaryDirectory(prefix="grader-gs-") as tmp:
            staged = Path(tmp) / "submissions"
            staged.mkdir()
            # filed under the roster's id: the batch grades a file only as the student its path names
            shutil.copyfile(answers, staged / f"{person.student_id}.yaml")
            out = Path(tmp) / "out"
            grade_batch(pset, secret, staged, out, roster=[person.student_id], workers=1, lang=lang)
            rows = [r for r, duplicate in iter_rows(out / "results.jsonl") if not duplicate]
        return write(rows[0])
    except Exception as exc:  # noqa: BLE001 -- Gradescope must get a results.json whatever happens
        from ..grading.submission import report_internal_error
        report_internal_error(str(answers), exc)
        return refuse(person.student_id, msgs["internal"])


def autograder_root(arg: str | None) -> Path:
    return Path(arg or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def bundle_listing(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()

