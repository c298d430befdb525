"""The pool of variants every question export reads.

For a set, ``pool(pset, secret, n)`` draws ``n`` distinct variants per problem key
(``roster_pool`` draws each roster student's own variant instead) and describes each as
a foreign format needs it: the drawn parameters, the statement and prompts rendered in
one language, and each part's points with its ``ForeignEntry`` list (numeric values with
tolerances, choices, or "manual"), taken from the answer type itself.

Pool variants are seeded like students' (HMAC of the secret, the set, a pseudo-student
``pool-<i>`` and the key), so the same secret always exports the same questions and no
one can recompute them without it. Draws whose parameters repeat an earlier variant are
skipped, up to a few times ``n`` attempts (families with few distinct draws give fewer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..answer_types.base import ForeignEntry
from ..bank.model import ProblemSet, SetEntry
from ..render.sheets import _jsonable, render_text
from ..variants import draw_variant, variant_seed

ATTEMPTS_PER_VARIANT = 4


@dataclass(frozen=True)
class PoolPart:
    id: str
    type: str
    points: float            # in the set's scale (the problem's points scaled to the entry's)
    prompt: str              # Markdown, rendered
    note: str                # the answer type's sheet note (tolerance, options)
    entries: tuple[ForeignEntry, ...]
    # known mistakes, as the platform can recognise them: (entries for the buggy value,
    # the misconception's feedback in this language, its credit share)
    mistakes: tuple[tuple[tuple[ForeignEntry, ...], str, float], ...] = ()

    @property
    def manual(self) -> bool:
        return any(e.kind == "manual" for e in self.entries)


@dataclass(frozen=True)
class PoolVariant:
    key: str
    number: int              # 1-based within the key
    name: str                # pseudo-student or roster id it was drawn for
    problem_id: str
    title: str
    statement: str           # Markdown, rendered
    params: dict
    parts: tuple[PoolPart, ...]

    @property
    def ident(self) -> str:
        return f"{self.key}-v{self.number:03d}"


def _mistakes(part, variant, lang) -> tuple:
    """Each misconception's value for this variant, written as the part's entries are."""
    out = []
    from ..variants import Reject     # wherever the bank loader keeps it
    for m in part.misconceptions:
        try:
            value = variant.solve(bug=m.bug).get(part.id)
        except Reject:
            continue        # the bug has no value for this draw (the grader skips it too)
        if value is None:
            continue
        try:
            entries = tuple(part.answer.foreign_entries(value))
        except (ValueError, TypeError, ArithmeticError):
            continue        # a buggy value the type cannot write (e.g. no longer a number): no feedback
        out.append((entries, m.feedback.get(lang, ""), m.credit))
    return tuple(out)


def describe(entry: SetEntry, variant, number: int, name: str, lang: str) -> PoolVariant:
    problem = variant.problem
    scale = entry.points / problem.points if problem.points else 0.0
    parts = tuple(PoolPart(id=p.id, type=p.type, points=p.points * scale,
                           prompt=" ".join(render_text(p.prompt[lang], variant.params).split()),
                           note=p.answer.sheet_note(lang),
                           entries=tuple(p.answer.foreign_entries(variant.answers[p.id])),
                           mistakes=_mistakes(p, variant, lang))
                  for p in problem.parts)
    return PoolVariant(key=entry.key, number=number, name=name, problem_id=problem.id,
                       title=problem.title[lang], statement=render_text(problem.statement[lang], variant.params).strip(),
                       params=_jsonable(variant.params), parts=parts)


def pool(pset: ProblemSet, secret: bytes, n: int, lang: str | None = None) -> dict[str, list[PoolVariant]]:
    """Problem key -> up to ``n`` variants with distinct parameters."""
    lang = lang or pset.lang
    out = {}
    for entry in pset.entries:
        seen, variants = set(), []
        for i in range(n * ATTEMPTS_PER_VARIANT):
            if len(variants) == n:
                break
            name = f"pool-{i + 1}"
            variant = draw_variant(entry.problem, variant_seed(secret, pset.id, name, entry.key))
            fingerprint = json.dumps(_jsonable(variant.params), sort_keys=True)
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
            variants.append(describe(entry, variant, len(variants) + 1, name, lang))
        out[entry.key] = variants
    return out


def roster_pool(pset: ProblemSet, secret: bytes, student_ids, lang: str | None = None) -> dict[str, list[PoolVariant]]:
    """Problem key -> each roster student's own variant (the one their sheet shows)."""
    lang = lang or pset.lang
    return {entry.key: [describe(entry, draw_variant(entry.problem, variant_seed(secret, pset.id, sid, entry.key)),
                                 i + 1, sid, lang) for i, sid in enumerate(student_ids)]
            for entry in pset.entries}


@dataclass
class ExportReport:
    """What an export wrote and which parts the platform cannot judge (graded by hand)."""

    target: str
    path: str
    variants: int = 0
    manual: list = None      # [(key, part id, type)], once per part

    def lines(self) -> list[str]:
        out = [f"wrote {self.path}: {self.variants} variants"]
        if self.manual:
            out.append(f"{len(self.manual)} part(s) the {self.target} platform cannot judge, exported for "
                       "grading by hand (expressions, matrix expressions, property checks):")
            out += [f"  {key}.{part} ({kind})" for key, part, kind in self.manual]
        return out

    def to_json(self) -> dict:
        return {"target": self.target, "path": self.path, "variants": self.variants,
                "manual": [{"key": k, "part": p, "type": t} for k, p, t in self.manual or []]}


def manual_parts(variants: dict[str, list[PoolVariant]]) -> list[tuple[str, str, str]]:
    seen = []
    for key, vs in variants.items():
        for part in (vs[0].parts if vs else ()):
            if part.manual:
                seen.append((key, part.id, part.type))
    return seen


def export_pool(pset: ProblemSet, secret: bytes, n: int, lang: str,
                students: list[str] | None = None) -> dict[str, list[PoolVariant]]:
    """What an export writes: each roster student's own variant when ``students`` is given,
    else N pool variants per key."""
    return roster_pool(pset, secret, students, lang) if students else pool(pset, secret, n, lang)
