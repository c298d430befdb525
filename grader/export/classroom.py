"""GitHub Classroom: what its grading reporter reads, one runner per problem key.

The reporter (``classroom-resources/autograding-grading-reporter``) takes a list of runner
ids and, for each, reads the environment variable ``<ID>_RESULTS``: base64 of a JSON
result ``{"version": 1, "status": "pass"|"fail"|"error", "max_score": M, "tests": [{"name",
"status": "pass"|"fail", "score", "message", ...}]}``. The points it sends to Classroom
are the sum of every test's ``score`` over the sum of every runner's ``max_score``; its
console table, though, counts passed tests. With one runner per problem key, whose tests
are that key's parts, the points Classroom records equal the gradebook total: each part's
score is rounded to cents so that a key's tests add up exactly to its gradebook cell.

``grader grade … --format classroom`` writes into ``OUT/classroom/`` (or
``OUT/classroom/<student_id>/`` when the batch has several students):

    <runner>.json    the runner result (readable)
    outputs.txt      ``<runner>=<base64>`` lines, to append to ``$GITHUB_OUTPUT``
    runners.txt      the runner ids, comma-separated (the reporter's ``runners`` input)

The student of a Classroom repository is its GitHub user: ``--github-user`` (default
``$GITHUB_ACTOR``) looked up in the roster's ``github`` column, and the repository's
answers file is graded as that roster student. ``workflow_yaml`` writes the Actions
workflow that does all this; ``grader init`` can add it to a course repository.
"""

from __future__ import annotations

import base64
import json
import re
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

from ..bank.model import ProblemSet
from ..grading.reports import CENT, key_cells
from ..grading.results import SubmissionResult

WORKFLOW_PATH = ".github/workflows/classroom.yml"

MESSAGES = {
    "en": {"not_on_roster": "GitHub user '{login}' is not in the roster's github column; no points were "
                            "given. Ask your instructor to add you.",
           "no_file": "No answers file (answers.yaml) was found in the repository.",
           "many_files": "Several YAML files and none named answers.yaml: keep your answers in answers.yaml."},
    "ru": {"not_on_roster": "Пользователя GitHub '{login}' нет в столбце github списка курса; баллы не "
                            "начислены. Обратитесь к преподавателю.",
           "no_file": "В репозитории нет файла с ответами (answers.yaml).",
           "many_files": "Несколько YAML-файлов, и ни один не называется answers.yaml: храните ответы в answers.yaml."},
}


READ_AS = {"en": "read as", "ru": "прочитано как"}


def runner_id(key: str) -> str:
    """A step id and environment-variable stem from a problem key (q1 -> q1, 'Q 2.a' -> q-2-a)."""
    return re.sub(r"[^a-z0-9_-]+", "-", key.lower()).strip("-") or "key"


def _apportion(scores: list[float], total: Decimal) -> list[Decimal]:
    """Cents per part that add up exactly to ``total`` (largest remainders get the spare cents)."""
    exact = [Decimal(repr(s)) for s in scores]
    floors = [e.quantize(CENT, rounding=ROUND_FLOOR) for e in exact]
    spare = int((total - sum(floors, Decimal(0))) / CENT)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    out = list(floors)
    for i in order[:max(0, spare)]:
        out[i] += CENT
    for i in order[::-1][:max(0, -spare)]:   # rounding the key down took more than the floors left
        out[i] -= CENT
    return out


def runner_results(pset: ProblemSet, r: SubmissionResult, lang: str) -> dict[str, dict]:
    """Runner id -> the reporter's result for that problem key."""
    cells, _ = key_cells(pset, r)
    out = {}
    for entry, cell in zip(pset.entries, cells):
        parts = [p for p in r.parts if p.key == entry.key]
        scores = _apportion([p.score for p in parts], cell)
        tests = []
        for p, score in zip(parts, scores):
            message = p.feedback or (r.message if r.status != "ok" else "") or p.verdict
            if p.interpreted:
                message = f"{p.verdict}: {message}" if message != p.verdict else message
                message += f" ({READ_AS.get(lang, READ_AS['en'])} {p.interpreted['plain']})"
            tests.append({"name": f"{entry.key}.{p.part}", "status": "pass" if p.verdict == "correct" else "fail",
                          "score": float(score), "message": message, "line_no": 0, "execution_time": "0ms"})
        out[runner_id(entry.key)] = {
            "version": 1,
            "status": "pass" if all(t["status"] == "pass" for t in tests) else "fail",
            "max_score": float(Decimal(repr(round(entry.points, 6))).quantize(CENT)),
            "tests": tests,
        }
    return out


def write_classroom(pset: ProblemSet, r: SubmissionResult, folder: Path, lang: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    results = runner_results(pset, r, lang)
    lines = []
    for rid, doc in results.items():
        text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
        (folder / f"{rid}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        lines.append(f"{rid}={base64.b64encode(text.encode('utf-8')).decode('ascii')}")
    (folder / "outputs.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "runners.txt").write_text(",".join(results) + "\n", encoding="utf-8")
    return folder


def write_batch(pset: ProblemSet, out: Path, lang: str) -> list[Path]:
    """Classroom payloads for every graded student of a batch in ``out``."""
    from ..grading.batch import iter_rows
    rows = [r for r, duplicate in iter_rows(out / "results.jsonl") if not duplicate]
    base = out / "classroom"
    if len(rows) == 1:
        return [write_classroom(pset, rows[0], base, lang)]
    return [write_classroom(pset, r, base / r.student, lang) for r in rows]


def reporter_total(folder: Path) -> tuple[float, float]:
    """What the reporter sends to Classroom, computed as it does: (sum of scores, sum of max_score)."""
    total = maximum = 0.0
    for line in (folder / "outputs.txt").read_text(encoding="utf-8").splitlines():
        rid, _, encoded = line.partition("=")
        doc = json.loads(base64.b64decode(encoded))
        if not doc.get("max_score"):
            continue
        maximum += doc["max_score"]
        for t in doc["tests"]:
            total += t["score"]
    return total, maximum


def workflow_yaml(pset: ProblemSet, set_path: str, roster_path: str = "roster.csv",
                  answers_dir: str = ".", install: str = "ml-hand-grader") -> str:
    """The GitHub Actions workflow for a Classroom assignment of this set.

    It installs the tool, grades the repository's answers file as the roster student whose
    ``github`` login pushed, and hands one runner per problem key to the reporter. The
    instructor secret comes from the repository (or organisation) secret ``GRADER_SECRET``.
    ``install`` is what pip installs (a package name, a git URL, a path).
    """
    ids = [runner_id(e.key) for e in pset.entries]
    env = "\n".join(f"          {rid.upper()}_RESULTS: \"${{{{ steps.grade.outputs.{rid} }}}}\"" for rid in ids)
    return f"""# GitHub Classroom autograding for set '{pset.id}' (written by ml-hand-grader).
# The points Classroom records are the grader's total: one reporter runner per problem key.
name: Autograding Tests
on: [push, repository_dispatch, workflow_dispatch]
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the grader
        run: pip install {install}
      - name: Grade
        id: grade
        env:
          GRADER_SECRET: ${{{{ secrets.GRADER_SECRET }}}}
        run: |
          grader grade {set_path} --submissions {answers_dir} --roster {roster_path} \\
            --format classroom --github-user "${{{{ github.actor }}}}" --out grader-out --quiet
          cat grader-out/classroom/outputs.txt >> "$GITHUB_OUTPUT"
      - name: Autograding Reporter
        if: always()
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}
        with:
          runners: {",".join(ids)}
"""


def add_workflow(repo: Path, pset: ProblemSet, set_path: str, roster_path: str = "roster.csv",
                 install: str = "ml-hand-grader") -> Path:
    """Write the Classroom workflow into a course repository (for ``grader init``):
    ``set_path`` and ``roster_path`` relative to the repository root."""
    path = Path(repo) / WORKFLOW_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow_yaml(pset, set_path, roster_path, install=install), encoding="utf-8")
    return path


def unknown_user(pset: ProblemSet, secret: bytes, out: Path, lang: str, message: str) -> Path:
    """Zero payloads carrying ``message`` (the student sees it in the Actions log)."""
    from ..grading.submission import SubmissionGrader
    result = SubmissionGrader(pset, secret, lang).empty("unknown", "invalid", message)
    return write_classroom(pset, result, out / "classroom", lang)




def stage_repository(pset: ProblemSet, secret: bytes, submissions: Path, roster_path, login: str,
                     out: Path, lang: str, staging: Path):
    """A Classroom repository graded as its roster student: the answers file, copied into
    ``staging`` under the roster id of ``login``. Returns (folder, student_id), or (None, None)
    after writing zero payloads with the reason (an unknown login, no answers file)."""
    import shutil
    import sys
    from .gradescope import find_answers
    from .identity import Directory, load_people
    msgs = MESSAGES.get(lang, MESSAGES["en"])
    person = Directory(load_people(roster_path)).find(github=login)
    if person is None:
        message = msgs["not_on_roster"].format(login=login)
    else:
        answers, problem = find_answers(submissions)
        if answers is not None:
            staging.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(answers, staging / f"{person.student_id}.yaml")
            return staging, person.student_id
        message = msgs[problem]
    print(message, file=sys.stderr)
    unknown_user(pset, secret, out, lang, message)
    return None, None
