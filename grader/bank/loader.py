"""Loading problem families and sets from YAML into frozen objects, with precise errors."""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path

from ..answer_types.registry import ANSWER_TYPES
from ..errors import AuthorError
from ..fields import Field, check_fields
from ..grading.follow import DISTRIBUTIONS, GUARD_FIELDS
from ..yamlio import Document, load_yaml
from .banks import Bank, bank_of, discover
from .model import Misconception, Part, Problem, ProblemSet, SetEntry
from .params import check_param, compile_expression
from .solvers import load_module, module_file

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
    Field("params", "mapping", "Parameters drawn per student, in order (see parameter types).", default={},
          items="param"),
    Field("constraints", "list", "Jinja expressions that must hold; otherwise the draw is redone.", default=[],
          items="str"),
    Field("solver", "str", "Reference solver, `reference.<module>:<function>`.", required=True),
    Field("statement", "text", "Statement templates (Markdown + LaTeX + Jinja), `{en, ru}`.", required=True),
    Field("parts", "list", "The graded parts.", required=True, items="part"),
    Field("figure", "any", "Optional drawing after the statement, from the drawn params: a mapping "
          "`{kind: network | graph | plane | grid, ...}` or a list of them (see problem-format.md, Figures).",
          default=None),
)
PART_FIELDS = (
    Field("id", "str", "Part id: the key in answer files and key.json.", required=True),
    Field("type", "str", "Answer type: " + ", ".join(ANSWER_TYPES) + ".", required=True),
    Field("points", "number", "Points for this part.", default=1),
    Field("prompt", "text", "The question, `{en, ru}` (Jinja).", required=True),
    Field("misconceptions", "list", "Known wrong answers: `{bug, feedback: {en, ru}, credit}`.", default=[],
          items="misconception"),
    Field("follows", "list", "Earlier part ids this part builds on (follow-through credit).", default=[],
          items="str"),
    Field("follow_credit", "number", "Share of the points for a follow-through match.", default=1.0),
    Field("follow_guard", "mapping", "When a student's value of this part may be followed by later "
          "parts (see Follow guard).", default={}),
    Field("fixed", "bool", "The answer is the same for every student by nature (a fact such as "
          "σ(0) = 1/2); `grader validate` then does not ask it to vary. Needs `why`.", default=False),
    Field("why", "str", "With `fixed: true`: why this answer cannot depend on the drawn parameters.",
          default=""),
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
    Field("problems", "list", "Ordered `{key, problem, points}` entries.", required=True, items="set_entry"),
    Field("practice", "bool", "When true, `grader check` also reveals correctness.", default=False),
    Field("time_budget_s", "number", "Seconds one answer file may cost, all parts together; parts "
          "left when it runs out are `undecided`.", default=10),
)
SET_ENTRY_FIELDS = (
    Field("key", "str", "Problem key in the set (q1, q2, ...).", required=True),
    Field("problem", "str", "Problem id from the bank.", required=True),
    Field("points", "number", "Points for the problem (part points are scaled to this).", required=False),
)


_SOLVER_HOME: list[Path] = []   # reference/ folder of the problem being built (innermost last)
_BANKS: list[Bank] | None = None   # set by the command line; None: discover on every call


def use_banks(explicit=()) -> None:
    """Fix the banks in force for this process (`--bank DIR ...`); none: discover on each use."""
    global _BANKS
    _BANKS = discover(explicit) if explicit else None


def active_banks() -> list[Bank]:
    return list(_BANKS) if _BANKS is not None else discover()


def _solver_home(file) -> Path | None:
    """The reference/ folder of the bank holding a problem file, None when no bank holds it."""
    bank = bank_of(Path(file), active_banks())
    if bank is not None:
        return bank.reference
    for folder in Path(file).resolve().parents:   # a bank not in force, e.g. `validate other/problems`
        if (folder / "problems").is_dir() and (folder / "reference").is_dir():
            return folder / "reference"
    return None


def resolve_callable(name: str, home: Path | None = None):
    """`reference.module:function` -> the function, from the reference/ of the problem's bank.

    A problem file outside every bank (a scratch file) uses the first bank in force that has
    the module."""
    if not CALLABLE_RE.match(name):
        raise ValueError(f"'{name}' is not of the form reference.<module>:<function>")
    module_name, func_name = name.split(":")
    module_name = module_name[len("reference."):]
    home = _pick_home(module_name, home)
    source = module_file(home, module_name)
    if not source.is_file():
        raise ValueError(f"no solver module {source}")
    try:
        module = load_module(home, module_name)
    except Exception as exc:  # a syntax error or failing import in the solver's own file
        raise ValueError(f"solver module {source} does not import: {_where(exc, home)}") from None
    function = getattr(module, func_name, None)
    if not callable(function):
        raise ValueError(f"{source} has no function {func_name}")
    return function


def _pick_home(module_name: str, home: Path | None) -> Path:
    if home is None and _SOLVER_HOME:
        home = _SOLVER_HOME[-1]
    if home is None:
        homes = [b.reference for b in active_banks() if module_file(b.reference, module_name).is_file()]
        home = homes[0] if homes else active_banks()[-1].reference
    return home


def _where(exc: Exception, home: Path) -> str:
    """`file:line: Type: message` for the innermost frame inside the bank's reference/."""
    import traceback
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}: SyntaxError: {exc.msg}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve().is_relative_to(home)]
    at = f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""
    return f"{at}{type(exc).__name__}: {exc}"


def template_line(exc: BaseException) -> int | None:
    """The template line a Jinja error happened on (syntax errors carry it, render errors
    have it in a traceback frame Jinja names `<template>`)."""
    import traceback
    if getattr(exc, "lineno", None):
        return exc.lineno
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    return frames[-1].lineno if frames else None


def _file_line(doc: Document, path: tuple, line_in_template: int | None) -> int | None:
    """The file line of a template line: block scalars (`en: |`) start one line below the key."""
    key_line = doc.line(*path)
    if key_line is None or line_in_template is None:
        return key_line
    try:
        text = Path(doc.file).read_text(encoding="utf-8").splitlines()[key_line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        return key_line
    block = re.search(r":\s*[|>][-+0-9]*\s*(#.*)?$", text) is not None
    return key_line + line_in_template - (0 if block else 1)


def _check_templates(doc: Document, texts: list[tuple[tuple, dict]], names: set) -> None:
    """Every statement and prompt parses and uses only known names: an author's slip is one
    message naming the file, the language and the line, before any seed is drawn."""
    from jinja2 import TemplateSyntaxError, meta
    from ..render.sheets import _env   # the environment sheets are rendered with
    known = names | set(_env.globals)
    for path, text in texts:
        for lang in ("en", "ru"):
            source = text[lang]
            where = path + (lang,)
            try:
                tree = _env.parse(source)
            except TemplateSyntaxError as exc:
                raise AuthorError(doc.file, f"the {lang} template, line {exc.lineno}: {exc.message}",
                                  line=_file_line(doc, where, exc.lineno), field=".".join(map(str, where))) from None
            unknown = sorted(meta.find_undeclared_variables(tree) - known)
            if unknown:
                name = unknown[0]
                at = next((i for i, row in enumerate(source.splitlines(), 1)
                           if re.search(rf"\b{re.escape(name)}\b", row)), None)
                raise AuthorError(doc.file, f"the {lang} template, line {at}: '{name}' is undefined",
                                  line=_file_line(doc, where, at), field=".".join(map(str, where)),
                                  expected="a parameter: " + ", ".join(sorted(names)) if names else "no names")


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
    if fields["fixed"] and not fields["why"].strip():
        raise doc.error(path + ("why",), "a part marked `fixed: true` must say why its answer cannot vary",
                        expected="a non-empty string")
    guard = check_fields(doc, path + ("follow_guard",), fields["follow_guard"] or {}, GUARD_FIELDS,
                         "follow guard")
    if guard["distribution"] not in DISTRIBUTIONS:
        raise doc.error(path + ("follow_guard", "distribution"), "unknown distribution",
                        expected=" | ".join(d for d in DISTRIBUTIONS if d), got=guard["distribution"])
    return Part(id=fields["id"], type=kind, points=float(fields["points"]), prompt=fields["prompt"],
                answer=answer, misconceptions=tuple(miscs), follows=tuple(fields["follows"]),
                follow_credit=float(fields["follow_credit"]),
                follow_guard={k: v for k, v in (fields["follow_guard"] or {}).items()},
                fixed=fields["fixed"])


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
    home = _solver_home(doc.file)
    try:
        solver = resolve_callable(f["solver"], home)
    except ValueError as exc:
        raise doc.error(("solver",), str(exc), expected="reference.<module>:<function>") from None
    home = _pick_home(f["solver"].split(":")[0][len("reference."):], home)
    _SOLVER_HOME.append(home)   # answer types that name checks (property) resolve them here too
    try:
        parts = tuple(_build_part(doc, ("parts", i), raw) for i, raw in enumerate(f["parts"]))
    finally:
        _SOLVER_HOME.pop()
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
    _check_templates(doc, [(("statement",), f["statement"])]
                     + [(("parts", i, "prompt"), part.prompt) for i, part in enumerate(parts)], set(params))
    return Problem(id=f["id"], family=f["family"], topic=f["topic"], title=f["title"],
                   statement=f["statement"], params=params,
                   constraints=tuple(str(c) for c in f["constraints"]), solver_name=f["solver"],
                   solver=solver, parts=parts, seed=f["seed"], notes=f["notes"] or "", file=doc.file,
                   figure=f["figure"])


def load_problem(path) -> Problem:
    return build_problem(load_yaml(path))


def default_root() -> Path:
    """The bundled bank's folder (problems/, reference/, sets/)."""
    return active_banks()[-1].root


def problem_files(root: Path | None = None) -> list[Path]:
    root = Path(root or default_root() / "problems")
    if not root.is_dir():
        raise AuthorError(root, "folder not found")
    return sorted(p for p in root.rglob("*.yaml"))


def bank_files(banks: list[Bank] | None = None) -> dict[str, list[tuple[Bank, Path]]]:
    """Every problem id in the banks, with each (bank, file) defining it, in search order."""
    index: dict[str, list[tuple[Bank, Path]]] = {}
    for bank in banks if banks is not None else active_banks():
        if not bank.problems.is_dir():
            continue
        for file in problem_files(bank.problems):
            index.setdefault(file.stem, []).append((bank, file))
    return index


def _load_files(files: list[Path]) -> dict[str, Problem]:
    bank: dict[str, Problem] = {}
    for file in files:
        problem = load_problem(file)
        if problem.id in bank:
            raise AuthorError(file, f"problem id '{problem.id}' is already used by {bank[problem.id].file}",
                              field="id")
        bank[problem.id] = problem
    return bank


def load_bank(paths=None, banks: list[Bank] | None = None) -> dict[str, Problem]:
    """The given problem files/folders by id (duplicates are errors), or, without paths,
    every family of the banks in force, the first bank defining an id winning."""
    if paths:
        files: list[Path] = []
        for p in paths:
            p = Path(p)
            if not p.exists():
                raise AuthorError(p, "file or folder not found")
            files.extend(problem_files(p) if p.is_dir() else [p])
        return _load_files(files)
    out: dict[str, Problem] = {}
    for bank in banks if banks is not None else active_banks():
        if not bank.problems.is_dir():
            continue
        for problem_id, problem in _load_files(problem_files(bank.problems)).items():
            out.setdefault(problem_id, problem)
    return out


def _find_problem(doc: Document, path: tuple, problem_id: str, banks: list[Bank]) -> Problem:
    """Load only the problem a set names: the first bank with problems/**/<id>.yaml."""
    index = bank_files(banks)
    if problem_id not in index:
        close = difflib.get_close_matches(problem_id, list(index), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        searched = ", ".join(b.label for b in banks)
        raise doc.error(path, f"unknown problem id '{problem_id}'{hint} (banks searched: {searched})",
                        expected="an id from `grader list`")
    return load_problem(index[problem_id][0][1])


def find_set(path) -> Path:
    """A set file: as given (relative to the current directory), else inside a bank in force
    (`sets/demo.yaml`, `demo.yaml` or `demo` all name the bundled demo set)."""
    given = Path(path)
    if given.exists() or given.is_absolute():
        return given
    names = [given] if given.suffix else [given, given.with_suffix(".yaml")]
    for bank in active_banks():
        for name in names:
            for candidate in (bank.root / name, bank.sets / name):
                if candidate.is_file():
                    return candidate
    return given


def _banks_for_set(file: Path) -> list[Bank]:
    """The banks in force, and the bank holding the set file when it is not among them."""
    banks = active_banks()
    if bank_of(file, banks) is None:
        folder = file.resolve().parent
        if folder.name == "sets" and (folder.parent / "problems").is_dir():
            banks.insert(len(banks) - 1, Bank(folder.parent, "set"))
    return banks


def load_set(path, bank: dict[str, Problem] | None = None) -> ProblemSet:
    """A set file, with every problem id resolved against the bank."""
    path = find_set(path)
    if not Path(path).exists():
        raise AuthorError(path, "set file not found, here or in the sets/ of the banks: "
                          + ", ".join(f"{b.label} ({b.root})" if b.bundled else b.label for b in active_banks()))
    doc = load_yaml(path)
    banks = _banks_for_set(path)
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
        problem = (bank or {}).get(e["problem"]) or _find_problem(doc, ("problems", i, "problem"), e["problem"], banks)
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

