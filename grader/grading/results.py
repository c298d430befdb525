"""Result objects: everything reports need, and nothing they must recompute."""

from __future__ import annotations

from dataclasses import dataclass, field

VERDICTS = ("correct", "partial", "incorrect", "undecided", "invalid", "missing")


@dataclass(frozen=True)
class PartResult:
    key: str            # problem key in the set
    part: str
    verdict: str
    score: float
    max: float
    check: str          # which check decided: tolerance, sampling, sympy, misconception:<bug>, ...
    feedback: str = ""
    interpreted: dict | None = None   # {"plain": ..., "latex": ...}
    misconception: str | None = None

    def to_json(self) -> dict:
        # by hand: dataclasses.asdict deep-copies every value, a fifth of a batch's report time
        return {"key": self.key, "part": self.part, "verdict": self.verdict, "score": self.score,
                "max": self.max, "check": self.check, "feedback": self.feedback,
                "interpreted": dict(self.interpreted) if self.interpreted is not None else None,
                "misconception": self.misconception}


@dataclass(frozen=True)
class SubmissionResult:
    student: str
    source: str                 # the file graded ("" when missing)
    status: str                 # ok | missing | invalid
    message: str = ""
    parts: tuple[PartResult, ...] = field(default_factory=tuple)
    max: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        return round(sum(p.score for p in self.parts), 3)

    def problem_score(self, key: str) -> float:
        return round(sum(p.score for p in self.parts if p.key == key), 3)

    def to_json(self) -> dict:
        return {"student": self.student, "source": self.source, "status": self.status,
                "message": self.message, "score": self.score, "max": self.max,
                "warnings": list(self.warnings), "parts": [p.to_json() for p in self.parts]}

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        parts = tuple(PartResult(**p) for p in data["parts"])
        return cls(student=data["student"], source=data["source"], status=data["status"],
                   message=data["message"], parts=parts, max=data["max"],
                   warnings=tuple(data.get("warnings", ())))
