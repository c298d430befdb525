"""Frozen objects the rest of the pipeline works with (specs in, results out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..answer_types.base import AnswerType


@dataclass(frozen=True)
class Misconception:
    bug: str
    feedback: dict  # {en, ru}
    credit: float = 0.0


@dataclass(frozen=True)
class Part:
    id: str
    type: str
    points: float
    prompt: dict  # {en, ru}
    answer: AnswerType = field(compare=False, repr=False)
    misconceptions: tuple[Misconception, ...] = ()
    follows: tuple[str, ...] = ()
    follow_credit: float = 1.0
    follow_guard: dict = field(default_factory=dict, compare=False)  # see grading/follow.py
    fixed: bool = False   # the same answer for every student by design (validate does not flag it)


@dataclass(frozen=True)
class Problem:
    id: str
    family: str
    topic: str
    title: dict
    statement: dict
    params: dict
    constraints: tuple[str, ...]
    solver_name: str
    solver: Callable = field(compare=False, repr=False)
    parts: tuple[Part, ...]
    seed: dict
    notes: str
    file: str
    figure: object = None   # raw `figure` description (Jinja unrendered); see grader/render/figures

    def part(self, part_id: str) -> Part:
        for p in self.parts:
            if p.id == part_id:
                return p
        raise KeyError(part_id)

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts)


@dataclass(frozen=True)
class SetEntry:
    key: str
    problem: Problem
    points: float  # the set's weight for this problem; part points are scaled to it


@dataclass(frozen=True)
class ProblemSet:
    id: str
    title: dict
    lang: str
    entries: tuple[SetEntry, ...]
    practice: bool
    file: str
    time_budget_s: float = 10.0   # per answer file, all parts together

    @property
    def points(self) -> float:
        return sum(e.points for e in self.entries)
