"""`grader check`: how every answer was read, before submitting. Correctness only on practice sets."""

from __future__ import annotations

from pathlib import Path

from .answer_types.base import Context
from .bank.model import ProblemSet
from .errors import SubmissionError
from .grading.reports import VERDICT_MARK
from .grading.submission import SubmissionGrader, read_answer_file
from .lang import AnswerError


def check_data(path: Path, pset: ProblemSet, *, lang: str, secret: bytes | None) -> dict:
    """How every answer was read, as data (`grader check --json`); the text is built from it."""
    data: dict = {"file": str(path), "set": pset.id, "student": None, "ok": True, "error": None,
                  "warnings": [], "answers": [], "practice": None}
    try:
        answer_file = read_answer_file(path, pset, None)
    except SubmissionError as exc:
        data.update(ok=False, error=str(exc))
        return data
    data["student"] = answer_file.student
    data["warnings"] = list(answer_file.warnings)
    ctx = Context(params={}, lang=lang)
    for entry in pset.entries:
        given = answer_file.answers.get(entry.key, {})
        for part in entry.problem.parts:
            row = {"key": entry.key, "title": entry.problem.title[lang], "part": part.id,
                   "status": "read", "plain": None, "latex": None, "message": None,
                   "expected": part.answer.hint(lang)}
            data["answers"].append(row)
            raw = given.get(part.id)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                row["status"] = "missing"
                continue
            try:
                reading = part.answer.read(raw, ctx)
            except AnswerError as exc:
                data["ok"] = False
                row.update(status="unreadable", message=exc.text(lang))
                continue
            row.update(plain=reading.plain, latex=reading.latex)
    if pset.practice:
        if secret is None:
            data["practice"] = {"revealed": False}
        else:
            result = SubmissionGrader(pset, secret, lang).grade_answers(answer_file.student, answer_file.answers)
            data["practice"] = {"revealed": True, "score": result.score, "max": result.max,
                                "parts": [{"key": p.key, "part": p.part, "verdict": p.verdict,
                                           "feedback": p.feedback} for p in result.parts]}
    return data


def check_file(path: Path, pset: ProblemSet, *, lang: str, secret: bytes | None) -> tuple[str, bool]:
    """Returns the report text and whether every answer was readable."""
    data = check_data(path, pset, lang=lang, secret=secret)
    if data["error"]:
        return f"✘ {data['error']}", False
    lines = [f"{path}: student {data['student']}, set {pset.id}"]
    lines += [f"⚠ {w}" for w in data["warnings"]]
    key = None
    for row in data["answers"]:
        if row["key"] != key:
            key = row["key"]
            lines.append(f"{key}: {row['title']}")
        if row["status"] == "missing":
            lines.append(f"  — {row['part']}: no answer yet ({row['expected']})")
        elif row["status"] == "unreadable":
            lines.append(f"  ✘ {row['part']}: {row['message']}")
            lines.append(f"      expected {row['expected']}")
        else:
            lines.append(f"  ✔ {row['part']}: read as {row['plain']}")
            if row["latex"] and row["latex"] != row["plain"]:
                lines.append(f"      LaTeX: {row['latex']}")
    practice = data["practice"]
    if practice is not None:
        if not practice["revealed"]:
            lines.append("(practice set: pass --secret-file or set GRADER_SECRET to see correctness)")
        else:
            lines.append(f"practice score: {practice['score']:g} / {practice['max']:g}")
            for p in practice["parts"]:
                lines.append(f"  {VERDICT_MARK[p['verdict']]} {p['key']}.{p['part']}: {p['verdict']}"
                             + (f" — {p['feedback']}" if p["feedback"] else ""))
    ok = data["ok"]
    lines.append("all answers readable" if ok else "some answers could not be read; fix them before submitting")
    return "\n".join(lines), ok
