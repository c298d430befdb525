"""`grader check`: how every answer was read, before submitting. Correctness only on practice sets."""

from __future__ import annotations

from pathlib import Path

from .answer_types.base import Context
from .bank.model import ProblemSet
from .errors import SubmissionError
from .grading.reports import VERDICT_MARK
from .grading.submission import SubmissionGrader, read_answer_file
from .i18n import localize, t, verdict
from .lang import AnswerError

READ_MARK = "○"   # read, not judged: never the ✔ that feedback uses for "correct"


def check_data(path: Path, pset: ProblemSet, *, lang: str, secret: bytes | None) -> dict:
    """How every answer was read, as data (`grader check --json`); the text is built from it.
    Every message in it is already in the set's language."""
    data: dict = {"file": str(path), "set": pset.id, "student": None, "ok": True, "error": None,
                  "warnings": [], "answers": [], "practice": None}
    try:
        answer_file = read_answer_file(path, pset, None)
    except SubmissionError as exc:
        data.update(ok=False, error=localize(str(exc), lang))
        return data
    data["student"] = answer_file.student
    data["warnings"] = [localize(w, lang) for w in answer_file.warnings]
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
                row.update(status="unreadable", message=localize(exc.text(lang), lang))
                continue
            row.update(plain=reading.plain, latex=reading.latex)
    if pset.practice:
        if secret is None:
            data["practice"] = {"revealed": False}
        else:
            result = SubmissionGrader(pset, secret, lang).grade_answers(answer_file.student, answer_file.answers)
            data["practice"] = {"revealed": True, "score": result.score, "max": result.max,
                                "parts": [{"key": p.key, "part": p.part, "verdict": p.verdict,
                                           "feedback": localize(p.feedback, lang) if p.feedback else p.feedback}
                                          for p in result.parts]}
    return data


def check_file(path: Path, pset: ProblemSet, *, lang: str, secret: bytes | None) -> tuple[str, bool]:
    """Returns the report text and whether every answer was readable."""
    data = check_data(path, pset, lang=lang, secret=secret)
    if data["error"]:
        return f"✘ {data['error']}", False
    lines = [t("check.header", lang, path=path, student=data["student"], set=pset.id)]
    lines += [f"⚠ {w}" for w in data["warnings"]]
    key = None
    for row in data["answers"]:
        if row["key"] != key:
            key = row["key"]
            lines.append(f"{key}: {row['title']}")
        if row["status"] == "missing":
            lines.append(f"  — {row['part']}: " + t("check.no_answer", lang, hint=row["expected"]))
        elif row["status"] == "unreadable":
            lines.append(f"  ✘ {row['part']}: {row['message']}")
            lines.append("      " + t("check.expected", lang, hint=row["expected"]))
        else:
            lines.append(f"  {READ_MARK} {row['part']}: " + t("check.read_as", lang, plain=row["plain"]))
            if row["latex"] and row["latex"] != row["plain"]:
                lines.append("      " + t("check.latex", lang, latex=row["latex"]))
    practice = data["practice"]
    if practice is not None:
        if not practice["revealed"]:
            lines.append(t("check.practice_needs_secret", lang))
        else:
            lines.append(t("check.practice_score", lang, score=f"{practice['score']:g}", max=f"{practice['max']:g}"))
            for p in practice["parts"]:
                lines.append(f"  {VERDICT_MARK[p['verdict']]} {p['key']}.{p['part']}: {verdict(p['verdict'], lang)}"
                             + (f" — {p['feedback']}" if p["feedback"] else ""))
    lines.append(t("check.legend", lang))
    ok = data["ok"]
    lines.append(t("check.all_readable", lang) if ok else t("check.some_unreadable", lang))
    return "\n".join(lines), ok
