"""`grader validate`: lint the bank by exercising every family on many seeds.

For each family and seed: the variant draws, both languages render, the reference
(as a student would write it, and in rewritten forms) grades correct, and every
misconception grades incorrect with its own feedback. A stress report then flags
degenerate or repetitive families. Errors fail the run; warnings are printed.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from .bank.banks import bank_of
from .bank.loader import active_banks, bank_files, load_problem, load_set, problem_files, template_line
from .bank.model import Problem
from .errors import AuthorError
from .grading.part import ProblemGrader
from .render.leaks import HTML_SEEDS, LEAK_SEEDS, check_variant as check_leaks
from .render.sheets import render_text
from .variants import draw_variant, variant_seed

VALIDATE_SECRET = b"grader-validate"
MAX_ABS = 1e7            # hand calculations do not produce bigger numbers
MAX_DENOMINATOR = 10_000  # nor 12-digit fractions
MAX_ERRORS_PER_PROBLEM = 8
# Rewritten forms of a reference (LaTeX, reordered, sympy's expanded and factored) cost
# most of a run; every REWRITE_EVERY-th seed is enough to catch a form the grader rejects.
REWRITE_EVERY = 25
# Misconceptions are graded on every other seed: a slip that hides on many draws still
# shows on half of them, and the run stays within its time budget (SPEC: < 30 s, 2 cores).
MISCONCEPTION_EVERY = 2
RENDER_EVERY = 8   # both languages rendered on every eighth seed (template errors show on any draw)
#                    and on the LEAK_SEEDS, before their sheets are rendered


@dataclass
class ProblemReport:
    problem: str
    file: str
    bank: str = ""
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def error(self, text: str) -> bool:
        """Record an error; False when it was suppressed (past MAX_ERRORS_PER_PROBLEM)."""
        if len(self.errors) < MAX_ERRORS_PER_PROBLEM:
            self.errors.append(text)
            return True
        if len(self.errors) == MAX_ERRORS_PER_PROBLEM:
            self.errors.append("… further errors suppressed")
        return False


@dataclass
class BankReport:
    problems: list
    load_errors: list
    sets: list = field(default_factory=list)   # set files that loaded

    @property
    def ok(self) -> bool:
        return not self.load_errors and bool(self.problems) and all(not p.errors for p in self.problems)

    def text(self) -> str:
        lines = [f"✘ {e}" for e in self.load_errors]
        for p in self.problems:
            mark = "✘" if p.errors else ("!" if p.warnings else "✔")
            s = p.stats
            lines.append(f"{mark} {p.problem:<32} {s.get('seeds', 0)} seeds, {s.get('distinct_variants', 0)} "
                         f"distinct variants, {s.get('checks', 0)} checks" + (f"  [{p.bank}]" if p.bank else ""))
            lines += [f"    error: {e}" for e in p.errors]
            lines += [f"    warning: {w}" for w in p.warnings]
        bad = sum(1 for p in self.problems if p.errors)
        if self.sets:
            lines.append(f"✔ {len(self.sets)} set files load: " + ", ".join(self.sets))
        lines.append(f"\n{len(self.problems)} families checked; {bad} with errors, "
                     f"{sum(len(p.warnings) for p in self.problems)} warnings")
        if not self.problems and not self.load_errors:
            lines.append("✘ no problem families found: give problem files or folders, or run inside a bank "
                         "(a folder with problems/), or pass --bank DIR")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"ok": self.ok, "load_errors": self.load_errors,
                "problems": [p.__dict__ for p in self.problems]}


def _numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, (list, tuple, np.ndarray)):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, (int, float, Fraction, np.number)) and not isinstance(value, bool):
        yield value


def _decimal_places(x: Fraction) -> int | None:
    """Digits after the point if x is a short terminating decimal (like 0.47068), else None."""
    d, twos, fives = x.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    places = max(twos, fives)   # 1/(2^a 5^b) has max(a, b) decimal places
    return places if d == 1 and places <= 8 else None


def _sanity(value, where: str, report: ProblemReport) -> None:
    for x in _numbers(value):
        if isinstance(x, Fraction) and _decimal_places(x) is None and x.denominator > MAX_DENOMINATOR:
            report.error(f"{where}: fraction {x} is not hand-friendly")
            return
        if not math.isfinite(float(x)) or abs(float(x)) > MAX_ABS:
            report.error(f"{where}: value {x} is out of range for a hand calculation")
            return


def validate_problem(problem: Problem, seeds: int) -> ProblemReport:
    report = ProblemReport(problem.id, problem.file)
    checks = 0
    variants, values = set(), defaultdict(Counter)
    same_as_ref, caught, zeros = Counter(), Counter(), Counter()
    failures: dict = {}   # a failure repeated over seeds -> [its index in report.errors, seeds]

    def once(key: str, text: str) -> None:
        """Report a failure the first time; later seeds only count (shown at the end)."""
        if key not in failures:   # a suppressed error has no line to carry its count
            failures[key] = [len(report.errors) - 1 if report.error(text) else None, 0]
        failures[key][1] += 1
    for s in range(seeds):
        seed = variant_seed(VALIDATE_SECRET, "validate", f"s{s:04d}", problem.id)
        tag = f"seed s{s:04d}"
        try:
            variant = draw_variant(problem, seed)
        except Exception as exc:  # a solver or constraint failing is exactly what validate reports
            text = exc.detail if isinstance(exc, AuthorError) else f"{type(exc).__name__}: {exc}"
            once(text.split(" (params: ")[0], f"{tag}: drawing failed: {text}")
            continue
        variants.add(json.dumps(variant.params, sort_keys=True, default=str))
        rendered = True
        # the leak seeds render the sheets anyway: their templates are checked first, so a
        # statement that does not render is reported here rather than crashing the leak check
        for lang in ("en", "ru") if s % RENDER_EVERY == 0 or s < LEAK_SEEDS else ():
            try:
                render_text(problem.statement[lang], variant.params)
                for part in problem.parts:
                    render_text(part.prompt[lang], variant.params)
            except Exception as exc:  # jinja errors of every kind: one message, not one per seed
                rendered = False
                line = template_line(exc)
                message = f"the {lang} template{f', line {line}' if line else ''} does not render: {exc}"
                once(message, f"{tag}: {message} (params: {variant.params})")
        if s < LEAK_SEEDS and rendered:
            # render/leaks.py: no reference answer on a sheet or in the hints
            check_leaks(problem, variant, tag, report.error, html=s < HTML_SEEDS)
        for part in problem.parts:
            where = f"{tag}, part {part.id}"
            ref_value = variant.answers[part.id]
            _sanity(ref_value, where, report)
            numbers = list(_numbers(ref_value))
            if numbers and all(float(x) == 0 for x in numbers):
                zeros[part.id] += 1   # a zero gradient or step is usually a degenerate draw
            try:
                written = part.answer.key_value(ref_value)
                values[part.id][json.dumps(written, sort_keys=True, default=str)] += 1
                forms = [written]
                if s % REWRITE_EVERY == 0:
                    forms += list(part.answer.rewrites(written))
            except Exception as exc:
                report.error(f"{where}: the reference cannot be written as an answer: {exc}")
                continue
            for form in forms:
                checks += 1
                result = ProblemGrader("q", variant, 1.0, "en").grade(part, form)
                if result.verdict != "correct":
                    report.error(f"{where}: the reference written as {form!r} grades {result.verdict} "
                                 f"({result.check}: {result.feedback})")
            if s % MISCONCEPTION_EVERY:
                continue
            for m in part.misconceptions:
                checks += 1
                try:
                    wrong = variant.solve(bug=m.bug)[part.id]
                    wrong_written = part.answer.key_value(wrong)
                except Exception as exc:
                    report.error(f"{where}: solver with bug={m.bug} fails: {type(exc).__name__}: {exc}")
                    continue
                if wrong_written == written:
                    same_as_ref[(part.id, m.bug)] += 1
                    continue
                result = ProblemGrader("q", variant, 1.0, "en").grade(part, wrong_written)
                if result.verdict == "correct":
                    same_as_ref[(part.id, m.bug)] += 1
                elif result.misconception == m.bug:
                    caught[(part.id, m.bug)] += 1
                elif result.misconception is None:
                    report.error(f"{where}: the answer of bug={m.bug} ({wrong_written!r}) grades "
                                 f"{result.verdict} without its feedback ({result.check})")
    for index, count in failures.values():
        if count > 1 and index is not None:
            report.errors[index] += f"; the same on {count} of {seeds} seeds"
    deep = len(range(0, seeds, MISCONCEPTION_EVERY))   # the seeds misconceptions were graded on
    for part in problem.parts:
        for m in part.misconceptions:
            k = (part.id, m.bug)
            if deep and not caught[k]:
                report.error(f"part {part.id}: bug={m.bug} never produces a distinct wrong answer "
                             f"(it equals the reference on {same_as_ref[k]} of {deep} seeds)")
            elif same_as_ref[k] > deep // 4:
                report.warnings.append(f"part {part.id}: bug={m.bug} equals the reference on "
                                       f"{same_as_ref[k]} of {deep} seeds")
        if seeds >= 20 and zeros[part.id] > seeds // 10:
            report.warnings.append(f"part {part.id}: the answer is zero on {zeros[part.id]} of {seeds} "
                                   "seeds (degenerate draws?)")
        distinct = len(values[part.id])
        few = distinct < max(3, seeds // 20)
        if part.fixed:
            # fixed: one answer, or a few forms set by a drawn convention (a loss with or
            # without 1/2); an answer that varies freely is not fixed
            if seeds >= 20 and distinct >= max(10, seeds // 20):
                report.error(f"part {part.id} is marked `fixed: true` but its answer takes {distinct} "
                             f"values over {seeds} seeds; drop `fixed`")
        elif seeds >= 20 and not part.answer.few_answers and few:
            # Students sitting side by side could copy it: vary the parameters it depends on,
            # or say in the YAML that it cannot vary (`fixed: true` with `why`).
            report.error(f"part {part.id}: the answer barely varies ({distinct} distinct values "
                         f"over {seeds} seeds); make it depend on the drawn parameters or mark "
                         "it `fixed: true` with `why`")
    if seeds >= 20 and len(variants) < seeds // 2:
        report.warnings.append(f"only {len(variants)} distinct variants over {seeds} seeds: neighbours "
                               "may share a variant")
    report.stats = {"seeds": seeds, "distinct_variants": len(variants), "checks": checks,
                    "distinct_answers": {pid: len(c) for pid, c in values.items()},
                    "zero_answers": dict(zeros)}
    return report


_BANK: dict = {}   # set before the worker pool forks, so workers do not reload the bank


def _validate_one(args):
    problem_id, seeds = args
    try:
        return validate_problem(_BANK[problem_id], seeds)
    except Exception:  # keep one broken family from hiding the others
        report = ProblemReport(problem_id, "")
        report.error("validation crashed:\n" + traceback.format_exc(limit=4))
        return report


def _cost(problem: Problem) -> int:
    """A rough cost estimate, so the pool starts the slow families first (shorter tail)."""
    weight = {"expression": 6, "matrix-expression": 6}
    return sum(weight.get(p.type, 1) + len(p.misconceptions) for p in problem.parts)


def _default_banks(all_banks: bool) -> list:
    """What `validate` without paths lints: the banks in force other than the bundled one
    (a course checks its own families), or the bundled bank when it is the only one."""
    banks = active_banks()
    own = [b for b in banks if not b.bundled]
    return banks if all_banks or not own else own


def _shadow_warnings(bank_map: dict, banks: list) -> dict[str, list[str]]:
    """id -> warnings for families that hide a different file of the same id in a later bank."""
    out: dict[str, list[str]] = {}
    for problem_id, holders in bank_files(active_banks()).items():
        if problem_id not in bank_map or len(holders) < 2:
            continue
        (first_bank, first), rest = holders[0], holders[1:]
        for bank, file in rest:
            if file.read_bytes() != first.read_bytes():
                out.setdefault(problem_id, []).append(
                    f"shadows {file} ({bank.label}), a different file of the same id; "
                    f"sets get the one in {first_bank.label}")
    return out


def _load_all(paths, banks) -> tuple[dict, list[str]]:
    """Every family, each file on its own: one broken file is reported, the others still run."""
    files = []
    try:
        if paths:
            for p in map(Path, paths):
                if not p.exists():
                    raise AuthorError(p, "file or folder not found")
                files.extend(problem_files(p) if p.is_dir() else [p])
        else:
            for b in banks:
                files.extend(problem_files(b.problems) if b.problems.is_dir() else [])
    except AuthorError as exc:
        return {}, [exc.render()]
    bank, errors = {}, []
    for file in files:
        try:
            problem = load_problem(file)
        except AuthorError as exc:
            errors.append(exc.render())
            continue
        if problem.id in bank:
            if paths or bank_of(file, banks) == bank_of(bank[problem.id].file, banks):
                errors.append(f"{file}: problem id '{problem.id}' is already used by {bank[problem.id].file}")
            continue   # a later bank's family of the same id is shadowed (see the warnings)
        bank[problem.id] = problem
    return bank, errors


def validate_bank(paths=None, *, seeds: int = 200, workers: int = 1, all_banks: bool = False,
                  progress=None) -> tuple[bool, BankReport]:
    """Validate every family, in parallel over families; ``progress(done, total, id)`` is
    called as each one finishes."""
    banks = None if paths else _default_banks(all_banks)
    bank, load_errors = _load_all(paths, banks)
    set_errors, set_names = list(load_errors), []
    for b in banks or ():
        for file in sorted(b.sets.glob("*.yaml")) if b.sets.is_dir() else ():
            try:
                load_set(file, bank)     # the families just loaded, not loaded again
                set_names.append(f"{file.name} [{b.label}]")
            except AuthorError as exc:
                if exc.render() not in set_errors:   # a broken family is reported once
                    set_errors.append(exc.render())
    shadows = _shadow_warnings(bank, banks or [])
    _BANK.clear()
    _BANK.update(bank)
    order = sorted(bank, key=lambda pid: (-_cost(bank[pid]), pid))
    jobs = [(pid, seeds) for pid in order]
    done = {}
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(min(workers, len(jobs))) as pool:
            for report in pool.imap_unordered(_validate_one, jobs, chunksize=1):
                done[report.problem] = report
                if progress:
                    progress(len(done), len(jobs), report.problem)
    else:
        for job in jobs:
            report = _validate_one(job)
            done[report.problem] = report
            if progress:
                progress(len(done), len(jobs), report.problem)
    problems = [done[pid] for pid in sorted(done)]
    everywhere = active_banks()
    for report in problems:
        home = bank_of(bank[report.problem].file, everywhere)
        report.bank = home.label if home else ""
        report.warnings = shadows.get(report.problem, []) + report.warnings
    report = BankReport(problems, set_errors, set_names)
    return report.ok, report
