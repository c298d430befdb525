"""One answer file: read it defensively, then grade every part of every problem in the set."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from ..bank.model import ProblemSet
from ..bank.roster import valid_student_id
from ..errors import AuthorError, SubmissionError
from ..i18n import localize
from ..lang import sympy_worker
from ..variants import draw_variant, variant_seed
from ..yamlio import decode_text, parse_yaml
from .part import ProblemGrader
from .results import PartResult, SubmissionResult

MAX_ANSWER_FILE_BYTES = 256 * 1024   # a full set of answers is a few kB
MAX_ANSWER_NODES = 100_000           # values in an answer file, aliases expanded
INTERNAL_ERROR_TEXT = {
    "en": "The grader failed on this answer (an internal error); it is listed for the instructor's review.",
    "ru": "Проверка этого ответа завершилась внутренней ошибкой; ответ передан преподавателю.",
}


def report_internal_error(where: str, exc: BaseException) -> None:
    """A grader bug surfaces on stderr (the verdict itself says only "undecided")."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    print(f"grader: internal error while grading {where}: {text}", file=sys.stderr)


@dataclass(frozen=True)
class AnswerFile:
    student: str
    set_id: str
    answers: dict
    warnings: tuple[str, ...]


def student_from_path(path: Path, root: Path) -> str | None:
    """The student a file's location names: DIR/<id>.yaml, DIR/<id>.yml or DIR/<id>/answers.yaml.

    Any other name names nobody: such a file is an ``invalid`` row of its own and is never
    graded as the student its ``student:`` field claims (one file must not count for another).
    """
    rel = Path(path).relative_to(root)
    if len(rel.parts) == 1 and rel.suffix in (".yaml", ".yml"):
        name = rel.stem
    elif len(rel.parts) == 2 and rel.parts[1] == "answers.yaml":
        name = rel.parts[0]
    else:
        return None
    return name if valid_student_id(name) else None


MESSAGES = {
    "unnamed": {
        "en": "the file name names no student, so it is not graded: name it <student_id>.yaml, "
              "<student_id>.yml or <student_id>/answers.yaml (ids: letters, digits, '.', '_', '-')",
        "ru": "имя файла не называет студента, поэтому он не проверяется: назовите его <student_id>.yaml, "
              "<student_id>.yml или <student_id>/answers.yaml (буквы, цифры, '.', '_', '-')",
    },
    "unreadable": {"en": "the file cannot be read: {why}", "ru": "файл не читается: {why}"},
    "none": {"en": "no submission", "ru": "работа не сдана"},
    "also": {"en": "another file for this student was not graded: {path}",
             "ru": "другой файл этого студента не проверялся: {path}"},
    "second": {"en": "a second file for this student; {path} is graded",
               "ru": "второй файл этого студента; проверяется {path}"},
}


def message(key: str, lang: str, **fields) -> str:
    return MESSAGES[key].get(lang, MESSAGES[key]["en"]).format(**fields)


@dataclass(frozen=True)
class Snapshot:
    """What grading sees of one answer file, read once; ``digest`` changes whenever that does."""
    data: bytes | None        # None: too large or unreadable
    size: int
    error: str | None = None  # why it could not be read

    @property
    def digest(self) -> str:
        h = hashlib.sha256(f"{self.size}\0{self.error or ''}\0".encode("utf-8", "replace"))
        h.update(self.data or b"")
        return h.hexdigest()[:24]


def snapshot(path: Path) -> Snapshot:
    """Read an answer file defensively: never blocks on a FIFO, never raises on OSError."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return Snapshot(None, 0, "not a regular file")
        if info.st_size > MAX_ANSWER_FILE_BYTES:
            return Snapshot(None, info.st_size)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(MAX_ANSWER_FILE_BYTES + 1)
        return Snapshot(data, len(data))
    except OSError as exc:
        return Snapshot(None, 0, exc.strerror or type(exc).__name__)


def read_answer_file(path: Path, pset: ProblemSet, expected_student: str | None,
                     snap: Snapshot | None = None) -> AnswerFile:
    """Parse and check the envelope of an answer file; raises SubmissionError with the reason.

    ``snap``: the file as already read (a batch digests exactly the bytes it grades)."""
    snap = snap or snapshot(path)
    if snap.error is not None:
        raise SubmissionError(path, message("unreadable", pset.lang, why=snap.error))
    try:
        if snap.data is None:
            raise ValueError(f"file is {snap.size:,} bytes; the limit is {MAX_ANSWER_FILE_BYTES:,}")
        text = decode_text(snap.data, MAX_ANSWER_FILE_BYTES)
    except ValueError as exc:
        raise SubmissionError(path, str(exc)) from None
    try:
        doc = parse_yaml(text, str(path), max_nodes=MAX_ANSWER_NODES, as_typed=True, lang=pset.lang,
                         key_lines=False)
    except AuthorError as exc:
        where = f"{'строка' if pset.lang == 'ru' else 'line'} {exc.line}: " if exc.line is not None else ""
        raise SubmissionError(path, where + exc.detail) from None
    data = doc.data
    if not isinstance(data, dict):
        raise SubmissionError(path, "expected a mapping with fields student, set, answers")
    student = data.get("student")
    if isinstance(student, int):
        student = str(student)
    if not valid_student_id(student):
        raise SubmissionError(path, f"field 'student' must be an id of letters, digits, '.', '_' or '-' "
                                    f"(got {student!r})")
    if expected_student is not None and student != expected_student:
        raise SubmissionError(path, f"the file says student '{student}' but is filed as '{expected_student}'")
    if str(data.get("set")) != pset.id:
        raise SubmissionError(path, f"field 'set' is {data.get('set')!r}, but this is set '{pset.id}'")
    answers = data.get("answers") or {}
    if not isinstance(answers, dict):
        raise SubmissionError(path, "field 'answers' must be a mapping of problem keys")
    warnings = [f"unknown top-level field '{k}' ignored" for k in data if k not in ("student", "set", "answers")]
    keys = {e.key: e for e in pset.entries}
    clean: dict = {}
    for key, parts in answers.items():
        if key not in keys:
            warnings.append(f"unknown problem key '{key}' ignored (the set has {', '.join(keys)})")
            continue
        if parts is None:
            continue
        if not isinstance(parts, dict):
            warnings.append(f"answers.{key} should map part ids to answers; ignored")
            continue
        part_ids = {p.id for p in keys[key].problem.parts}
        for pid in parts:
            if pid not in part_ids:
                warnings.append(f"unknown part '{key}.{pid}' ignored (expected {', '.join(sorted(part_ids))})")
        clean[key] = {pid: v for pid, v in parts.items() if pid in part_ids}
    return AnswerFile(student=student, set_id=pset.id, answers=clean, warnings=tuple(warnings))


class SubmissionGrader:
    """Grades answer files of one set with one secret."""

    def __init__(self, pset: ProblemSet, secret: bytes, lang: str | None = None, *,
                 memo=None, sampling_seeds: dict | None = None):
        """``memo`` and ``sampling_seeds`` (per problem key) are what the batch shares across
        students (see ``grading.cache``); without them each student is graded on its own."""
        self.pset = pset
        self.secret = secret
        self.lang = lang or pset.lang
        self.memo = memo
        self.sampling_seeds = sampling_seeds or {}
        if any(p.type in ("expression", "matrix-expression") for e in pset.entries for p in e.problem.parts):
            sympy_worker.prewarm()   # the symbolic worker imports sympy while grading starts

    def variants(self, student: str):
        for entry in self.pset.entries:
            seed = variant_seed(self.secret, self.pset.id, student, entry.key)
            yield entry, draw_variant(entry.problem, seed)

    def grade_answers(self, student: str, answers: dict, source: str = "",
                      warnings: tuple = ()) -> SubmissionResult:
        parts: list[PartResult] = []
        with sympy_worker.deadline(self.pset.time_budget_s):   # part.py marks what is left undecided
            self._grade_parts(student, answers, parts)
        return SubmissionResult(student=student, source=source, status="ok", parts=tuple(parts),
                                max=self.pset.points, warnings=tuple(warnings))

    def _grade_parts(self, student: str, answers: dict, parts: list) -> None:
        for entry, variant in self.variants(student):
            scale = entry.points / entry.problem.points if entry.problem.points else 0.0
            grader = ProblemGrader(entry.key, variant, scale, self.lang,
                                   sampling_seed=self.sampling_seeds.get(entry.key), memo=self.memo)
            given = answers.get(entry.key, {})
            for part in entry.problem.parts:
                try:
                    parts.append(grader.grade(part, given.get(part.id)))
                except Exception as exc:  # noqa: BLE001 -- a grader bug: undecided, never silently wrong
                    report_internal_error(f"{student}: {entry.key}.{part.id}", exc)
                    parts.append(PartResult(key=entry.key, part=part.id, verdict="undecided", score=0.0,
                                            max=round(part.points * scale, 6),
                                            check=f"internal-error:{type(exc).__name__}",
                                            feedback=INTERNAL_ERROR_TEXT[self.lang]))

    def empty(self, student: str, status: str, message: str = "", source: str = "") -> SubmissionResult:
        """A row whose every part is `missing` (no file) or `invalid` (unusable file).

        The message is the row's, once: parts carry no copy of it (100 000 junk files must
        not cost a message per part); reports fall back to the row's message."""
        verdict = "missing" if status == "missing" else "invalid"
        parts = tuple(
            PartResult(key=e.key, part=p.id, verdict=verdict, score=0.0,
                       max=round(p.points * e.points / e.problem.points, 6), check="file")
            for e in self.pset.entries for p in e.problem.parts)
        return SubmissionResult(student=student, source=source, status=status,
                                message=localize(message, self.lang), parts=parts, max=self.pset.points)

    def grade_file(self, path: Path, root: Path, roster: set[str] | None,
                   snap: Snapshot | None = None) -> SubmissionResult:
        """The row of one file, graded as the student its path names (and only then)."""
        named = student_from_path(path, root)
        source = path.relative_to(root).as_posix()   # relative: the same batch graded anywhere reads the same
        if named is None:
            return self.empty("", "invalid", message("unnamed", self.lang), source)
        try:
            answer_file = read_answer_file(path, self.pset, named, snap)
        except SubmissionError as exc:
            return self.empty(named, "invalid", exc.detail, source)
        if roster is not None and answer_file.student not in roster:
            return self.empty(answer_file.student, "invalid",
                              f"student '{answer_file.student}' is not enrolled in the roster", source)
        return self.grade_answers(answer_file.student, answer_file.answers, source, answer_file.warnings)
