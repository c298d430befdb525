"""`grader check`: how every answer was read, before submitting. Correctness only on practice sets."""

from __future__ import annotations

from pathlib import Path

from .answer_types.base import Context
from .bank.model import ProblemSet
from .errors import SubmissionError
from .grading.reports import VERDICT_MARK
from .grading.submission import SubmissionGrader, read_answer_file
from .lang import AnswerError


def check_file(path: Path, pset: ProblemSet, *, lang: str, secret: bytes | None) -> tuple[str, bool]:
    """Returns the report text and whether every answer was readable."""
    try:
        answer_file = read_answer_file(path, pset, None)
    except SubmissionError as exc:
        return f"✘ {exc}", False
    lines = [f"{path}: student {answer_file.student}, set {pset.id}"]
    lines += [f"⚠ {w}" for w in answer_file.warnings]
    ok = True
    ctx = Context(params={}, lang=lang)
    for entry in pset.entries:
        lines.append(f"{entry.key}: {entry.problem.title[lang]}")
        given = answer_file.answers.get(entry.key, {})
        for part in entry.problem.parts:
            raw = given.get(part.id)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                lines.append(f"  — {part.id}: no answer yet ({part.answer.hint(lang)})")
                continue
            try:
                reading = part.answer.read(raw, ctx)
            except AnswerError as exc:
                ok = False
                lines.append(f"  ✘ {part.id}: {exc.text(lang)}")
                lines.append(f"      expected {part.answer.hint(lang)}")
                continue
            lines.append(f"  ✔ {part.id}: read as {reading.plain}")
            if reading.latex and reading.latex != reading.plain:
                lines.append(f"      LaTeX: {reading.latex}")
    if pset.practice:
        if secret is None:
            lines.append("(practice set: pass --secret-file or set GRADER_SECRET to see correctness)")
        else:
            result = SubmissionGrader(pset, secret, lang).grade_answers(answer_file.student, answer_file.answers)
            lines.append(f"practice score: {result.score:g} / {result.max:g}")
            for p in result.parts:
                lines.append(f"  {VERDICT_MARK[p.verdict]} {p.key}.{p.part}: {p.verdict}"
                             + (f" — {p.feedback}" if p.feedback else ""))
    lines.append("all answers readable" if ok else "some answers could not be read; fix them before submitting")
    return "\n".join(lines), ok
