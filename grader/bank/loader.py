"""Loading problem families and sets from YAML into frozen objects, with precise errors."""

from __future__ import annotations

import difflib
import importlib
import math
import re
from pathlib import Path

from ..answer_types.registry import ANSWER_TYPES
from ..errors import AuthorError
from ..fields import Field, check_fields
from ..grading.follow import DISTRIBUTIONS, GUARD_FIELDS
from ..yamlio import Document, load_yaml
from .model import Misconception, Part, Problem, ProblemSet, SetEntry
from .params import check_param, compile_expression

SCHEMA_VERSION = 1
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
PART_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
CALLABLE_RE = re.compile(r"^reference(\.[a-z_][a-z0-9_]*)+:[a-z_][a-z0-9_]*$")

PROBLEM_FIELDS = (
    Field("schema_version", "int", f"Format version; currently {SCHEMA_VERSION}.", required=True),
    Field("id", "str", "Unique lower-kebab id; sets refer to it.", required=True),
    Field("family", "str", "Family code from PROBLEMS.md (e.g. A7).", required=True),
    Field("topic", "str", "Topic; also the folder under problems/.", required=True),
    Field("title", "text", "Title, `{en, ru}`.", required=True),
    Field("seed", "mapping", "Provenance: `{source: '004', section: '§1, ex. 10'}`.", required=True),
    Field("notes", "str", "For maintainers: what was left out and why.", default=""),
    Field("params", "mapping", "Parameters drawn per student, in order (see parameter types).", default={}),
    Field("constraints", "list", "Jinja expressions that must hold; otherwise the draw is redone.", default=[]),
    Field("solver", "str", "Reference solver, `reference.<module>:<function>`.", required=True),
    Field("statement", "text", "Statement templates (Markdown + LaTeX + Jinja), `{en, ru}`.", required=True),
    Field("parts", "list", "The graded parts.", required=True),
    Field("figure", "any", "Optional drawing after the statement, from the drawn params: a mapping "
          "`{kind: network | graph | plane, ...}` or a list of them (see problem-format.md, Figures).",
          default=None),
)
PART_FIELDS = (
    Field("id", "str", "Part id: the key in answer files and key.json.", required=True),
    Field("type", "str", "Answer type: " + ", ".join(ANSWER_TYPES) + ".", required=True),
    Field("points", "number", "Points for this part.", default=1),
    Field("prompt", "text", "The question, `{en, ru}` (Jinja).", required=True),
    Field("misconceptions", "list", "Known wrong answers: `{bug, feedback: {en, ru}, credit}`.", default=[]),
    Field("follows", "list", "Earlier part ids this part builds on (follow-through credit).", default=[]),
    Field("follow_credit", "number", "Share of the points for a follow-through match.", default=1.0),
    Field("follow_guard", "mapping", "When a student's value of this part may be followed by later "
          "parts (see Follow guard).", default={}),
)
MISCONCEPTION_FIELDS = (
    Field("bug", "str", "Passed to the solver as `bug=`; its answer is the typical wrong one.", required=True),
    Field("feedback", "text", "What the student reads when the answer matches, `{en, ru}`.", required=True),
    Field("credit", "number", "Share of the points still given (0..1).", default=0.0),
)
SET_FIELDS = (
    Field("id", "str", "Set id; answer files name it.", required=True),
    Field("title", "text", "Title, `{en, ru}`.", required=True),
    Field("lang", "str", "Default language of the sheets: en or ru.", default="en"),
    Field("problems", "list", "Ordered `{key, problem, points}` entries.", required=True),
    Field("practice", "bool", "When true, `grader check` also reveals correctness.", default=False),
    Field("time_budget_s", "number", "Seconds one answer file may cost, all parts together; parts "
          "left when it runs out are `undecided`.", default=10),
)
SET_ENTRY_FIELDS = (
    Field("key", "str", "Problem key in the set (q1, q2, ...).", required=True),
    Field("problem", "str", "Problem id from the bank.", required=True),
    Field("points", "number", "Points for the problem (part points are scaled to this).", required=False),
)


def resolve_callable(name: str):
    """`reference.module:function` -> the function (authors may only point into reference/)."""
    if not CALLABLE_RE.match(name):
        raise ValueError(f"'{name}' is not of the form reference.<module>:<function>")
    module_name, func_name = name.split(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, func_name)
    except AttributeError:
        raise ValueError(f"module {module_name} has no function {func_name}") from None


def _build_part(doc: Document, path: tuple, raw) -> Part:
    if not isinstance(raw, dict):
        raise doc.error(path, "a part must be a mapping", got=raw)
    kind = raw.get("type")
    if kind not in ANSWER_TYPES:
        raise doc.error(path + ("type",), "unknown answer type", expected=" | ".join(ANSWER_TYPES), got=kind)
    cls = ANSWER_TYPES[kind]
    fields = check_fields(doc, path, raw, PART_FIELDS + cls.fields, f"part of type {kind}")
    if not PART_ID_RE.match(fields["id"]):
        raise doc.error(path + ("id",), "bad part id", expected="a letter, then letters, digits, _ or -",
                        got=fields["id"])
    options = {f.name: fields[f.name] for f in cls.fields}
    try:
        answer = cls(options)
    except ValueError as exc:
        raise doc.error(path, str(exc)) from None
    answer.check_config(doc, path)
    miscs = []
    for i, m in enumerate(fields["misconceptions"]):
        m = check_fields(doc, path + ("misconceptions", i), m, MISCONCEPTION_FIELDS, "misconception")
        feedback = {lang: " ".join(text.split()) for lang, text in m["feedback"].items()}
        miscs.append(Misconception(bug=m["bug"], feedback=feedback, credit=float(m["credit"])))
    guard = check_fields(doc, path + ("follow_guard",), fields["follow_guard"] or {}, GUARD_FIELDS,
                         "follow guard")
    if guard["distribution"] not in DISTRIBUTIONS:
        raise doc.error(path + ("follow_guard", "distribution"), "unknown distribution",
                        expected=" | ".join(d for d in DISTRIBUTIONS if d), got=guard["distribution"])
    return Part(id=fields["id"], type=kind, points=float(fields["points"]), prompt=fields["prompt"],
                answer=answer, misconceptions=tuple(miscs), follows=tuple(fields["follows"]),
                follow_credit=float(fields["follow_credit"]),
                follow_guard={k: v for k, v in (fields["follow_guard"] or {}).items()})


def build_problem(doc: Document) -> Problem:
    """Validate a parsed problem document and build the Problem."""
    f = check_fields(doc, (), doc.data, PROBLEM_FIELDS, "problem")
    if f["schema_version"] != SCHEMA_VERSION:
        raise doc.error(("schema_version",), "unsupported schema version",
                        expected=SCHEMA_VERSION, got=f["schema_version"])
    if not ID_RE.match(f["id"]):
        raise doc.error(("id",), "bad problem id", expected="lower-kebab-case, 2-64 chars", got=f["id"])
    if Path(doc.file).stem != f["id"]:
        # sets find a problem by its file name, so the two must agree
        raise doc.error(("id",), "the id must equal the file name", expected=Path(doc.file).stem, got=f["id"])
    params = {str(name): check_param(doc, ("params", name), spec) for name, spec in f["params"].items()}
    for i, c in enumerate(f["constraints"]):
        try:
            compile_expression(str(c))
        except Exception as exc:  # jinja syntax errors
            raise doc.error(("constraints", i), f"not a valid expression: {exc}") from None
    try:
        solver = resolve_callable(f["solver"])
    except (ValueError, ImportError) as exc:
        raise doc.error(("solver",), str(exc), expected="reference.<module>:<function>") from None
    parts = tuple(_build_part(doc, ("parts", i), raw) for i, raw in enumerate(f["parts"]))
    seen: set = set()
    for i, part in enumerate(parts):
        if part.id in seen:
            raise doc.error(("parts", i, "id"), "duplicate part id", got=part.id)
        for dep in part.follows:
            if dep not in seen:
                raise doc.error(("parts", i, "follows"), "follows must name an earlier part",
                                expected=" | ".join(sorted(seen)) or "an earlier part", got=dep)
        seen.add(part.id)
    if not parts:
        raise doc.error(("parts",), "a problem needs at least one part")
    if f["figure"] is not None:
        from ..render.figures import FigureError, check as check_figure
        try:
            check_figure(f["figure"])
        except FigureError as exc:
            raise doc.error(("figure",), str(exc)) from None
    return Problem(id=f["id"], family=f["family"], topic=f["topic"], title=f["title"],
                   statement=f["statement"], params=params,
                   constraints=tuple(str(c) for c in f["constraints"]), solver_name=f["solver"],
                   solver=solver, parts=parts, seed=f["seed"], notes=f["notes"] or "", file=doc.file,
                   figure=f["figure"])


def load_problem(path) -> Problem:
    return build_problem(load_yaml(path))


def default_root() -> Path:
    """The project root: where problems/ and sets/ live (the working copy)."""
    here = Path(__file__).resolve().parents[2]
    return here


def problem_files(root: Path | None = None) -> list[Path]:
    root = Path(root or default_root() / "problems")
    return sorted(p for p in root.rglob("*.yaml"))


def load_bank(paths=None) -> dict[str, Problem]:
    """Every problem under problems/ (or the given files/folders), by id; duplicates are errors."""
    files: list[Path] = []
    for p in (paths or [default_root() / "problems"]):
        p = Path(p)
        files.extend(problem_files(p) if p.is_dir() else [p])
    bank: dict[str, Problem] = {}
    for file in files:
        problem = load_problem(file)
        if problem.id in bank:
            raise AuthorError(file, f"problem id '{problem.id}' is already used by {bank[problem.id].file}",
                              field="id")
        bank[problem.id] = problem
    return bank


def _find_problem(doc: Document, path: tuple, problem_id: str) -> Problem:
    """Load only the problem a set names: its file is problems/<topic>/<id>.yaml."""
    files = {p.stem: p for p in problem_files()}
    if problem_id not in files:
        close = difflib.get_close_matches(problem_id, list(files), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise doc.error(path, f"unknown problem id '{problem_id}'{hint}", expected="an id from `grader list`")
    return load_problem(files[problem_id])


def load_set(path, bank: dict[str, Problem] | None = None) -> ProblemSet:
    """A set file, with every problem id resolved against the bank."""
    doc = load_yaml(path)
    f = check_fields(doc, (), doc.data, SET_FIELDS, "set")
    if not re.match(r"^[A-Za-z0-9._-]{1,64}$", f["id"]):
        raise doc.error(("id",), "bad set id", expected="[A-Za-z0-9._-]{1,64}", got=f["id"])
    if f["lang"] not in ("en", "ru"):
        raise doc.error(("lang",), "unknown language", expected="en | ru", got=f["lang"])
    entries, keys = [], set()
    for i, raw in enumerate(f["problems"]):
        e = check_fields(doc, ("problems", i), raw, SET_ENTRY_FIELDS, "set entry")
        if e["key"] in keys:
            raise doc.error(("problems", i, "key"), "duplicate problem key", got=e["key"])
        keys.add(e["key"])
        problem = (bank or {}).get(e["problem"]) or _find_problem(doc, ("problems", i, "problem"), e["problem"])
        points = float(e["points"]) if e["points"] is not None else problem.points
        if not math.isfinite(points) or points < 0:     # NaN would poison every score, -5 every total
            raise doc.error(("problems", i, "points"), "points must be a finite number, 0 or more",
                            expected="e.g. 5", got=e["points"])
        entries.append(SetEntry(key=e["key"], problem=problem, points=points))
    if not entries:
        raise doc.error(("problems",), "a set needs at least one problem")
    if not 0 < f["time_budget_s"] <= 3600:
        raise doc.error(("time_budget_s",), "the time budget is out of range", expected="0 < seconds <= 3600",
                        got=f["time_budget_s"])
    return ProblemSet(id=f["id"], title=f["title"], lang=f["lang"], entries=tuple(entries),
                      practice=bool(f["practice"]), file=str(path),
                      time_budget_s=float(f["time_budget_s"]))

