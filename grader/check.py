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


def check_file(path: Path, pset: ProblemSet, *, lang: str, secret: bytes | None) -> tuple[str, bool]:
    """Returns the report text and whether every answer was readable."""
    try:
        answer_file = read_answer_file(path, pset, None)
    except SubmissionError as exc:
        return f"✘ {localize(str(exc), lang)}", False
    lines = [t("check.header", lang, path=path, student=answer_file.student, set=pset.id)]
    lines += [f"⚠ {localize(w, lang)}" for w in answer_file.warnings]
    ok = True
    ctx = Context(params={}, lang=lang)
    for entry in pset.entries:
        lines.append(f"{entry.key}: {entry.problem.title[lang]}")
        given = answer_file.answers.get(entry.key, {})
        for part in entry.problem.parts:
            raw = given.get(part.id)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                lines.append(f"  — {part.id}: " + t("check.no_answer", lang, hint=part.answer.hint(lang)))
                continue
            try:
                reading = part.answer.read(raw, ctx)
            except AnswerError as exc:
                ok = False
                lines.append(f"  ✘ {part.id}: {localize(exc.message, lang)}")
                lines.append("      " + t("check.expected", lang, hint=part.answer.hint(lang)))
                continue
            lines.append(f"  {READ_MARK} {part.id}: " + t("check.read_as", lang, plain=reading.plain))
            if reading.latex and reading.latex != reading.plain:
                lines.append("      " + t("check.latex", lang, latex=reading.latex))
    if pset.practice:
        if secret is None:
            lines.append(t("check.practice_needs_secret", lang))
        else:
            result = SubmissionGrader(pset, secret, lang).grade_answers(answer_file.student, answer_file.answers)
            lines.append(t("check.practice_score", lang, score=f"{result.score:g}", max=f"{result.max:g}"))
            for p in result.parts:
                lines.append(f"  {VERDICT_MARK[p.verdict]} {p.key}.{p.part}: {verdict(p.verdict, lang)}"
                             + (f" — {localize(p.feedback, lang)}" if p.feedback else ""))
    lines.append(t("check.legend", lang))
    lines.append(t("check.all_readable", lang) if ok else t("check.some_unreadable", lang))
    return "\n".join(lines), ok
