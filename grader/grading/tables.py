"""Plain-text tables for the terminal."""

from __future__ import annotations

from pathlib import Path

from ..bank.model import ProblemSet
from .batch import iter_results
from ..i18n import t
from .reports import fmt_points


def _table(header: list[str], rows: list[list], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def fmt(row):
        cells = [str(x).rjust(w) if i in right else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def score_table(pset: ProblemSet, results_path: Path, limit: int = 60) -> str:
    """One row per student (the first ``limit``): points per problem key and the total."""
    keys = [e.key for e in pset.entries]
    rows = []
    for i, r in enumerate(iter_results(results_path)):
        if i >= limit:
            rows.append(["…"] + [""] * (len(keys) + 2))
            break
        rows.append([r.student] + [fmt_points(r.problem_score(k)) for k in keys]
                    + [f"{fmt_points(r.score)}/{fmt_points(r.max)}", r.status if r.status != "ok" else ""])
    return _table(["student"] + keys + ["total", "note"], rows)


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def part_table(summary: dict, lang: str = "en") -> str:
    """One row per part: attempts, correct (% of attempts and % of the class), the commonest
    wrong answer and misconception; the same figures and names as summary.json and report.html."""
    rows = []
    for name, p in summary["parts"].items():
        wrong = p["common_wrong_answers"]
        fired = sorted(((c, b) for b, c in p["misconceptions"].items() if c), reverse=True)
        rows.append([name, p["type"], p["attempts"], f"{p['correct_pct_of_attempts']:.0f}%",
                     f"{p['correct_pct_of_class']:.0f}%",
                     f"{_short(wrong[0]['answer'])} ×{wrong[0]['count']}" if wrong else "",
                     f"{fired[0][1]} ×{fired[0][0]}" if fired else ""])
    head = [t(k, lang) for k in ("report.part", "report.type", "report.attempts", "report.correct_of_attempts",
                                 "report.correct_of_class", "report.commonest_wrong",
                                 "report.commonest_misconception")]
    return _table(head, rows, right={2, 3, 4})


def run_lines(summary: dict, stats: dict) -> list[str]:
    """The closing lines: scores, speed, cache."""
    outsiders = summary.get("not_enrolled", 0)
    lines = [f"graded {summary['rows'] - summary['duplicates']} submissions; over the class of "
             f"{summary['class_size']}"
             + (f" ({outsiders} not enrolled excluded)" if outsiders else "")
             + f": mean {fmt_points(summary['mean_score'])}, "
             f"median {fmt_points(summary['median_score'])} / {fmt_points(summary['max'])}"
             + (f"; {summary['review']['total']} answers to review" if summary["review"]["total"] else "")]
    if stats:
        cache = stats["verdict_cache"]
        resumed = f" (+{stats['resumed_from']} kept from the interrupted run)" if stats["resumed_from"] else ""
        lines.append(f"{stats['graded']} graded{resumed} in {stats['seconds']:.1f} s with {stats['workers']} "
                     f"worker(s): {stats['submissions_per_second']:g} submissions/s; verdict cache hit rate "
                     f"{100 * cache['hit_rate']:.1f}% ({cache['hits']} of {cache['lookups']} comparisons)")
    return lines
