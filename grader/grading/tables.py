"""Plain-text tables for the terminal."""

from __future__ import annotations

from pathlib import Path

from ..bank.model import ProblemSet
from .batch import iter_results
from .reports import fmt_points


def score_table(pset: ProblemSet, results_path: Path, limit: int = 60) -> str:
    keys = [e.key for e in pset.entries]
    rows = []
    for i, r in enumerate(iter_results(results_path)):
        if i >= limit:
            rows.append(["…"] + [""] * (len(keys) + 2))
            break
        rows.append([r.student] + [fmt_points(r.problem_score(k)) for k in keys]
                    + [f"{fmt_points(r.score)}/{fmt_points(r.max)}", r.status if r.status != "ok" else ""])
    header = ["student"] + keys + ["total", "note"]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = lambda row: "  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])
