"""Reports, rendered from results only: gradebook, feedback, JUnit XML, summary."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from xml.sax.saxutils import escape, quoteattr

from ..bank.model import ProblemSet
from .results import SubmissionResult

VERDICT_MARK = {"correct": "✔", "partial": "◐", "incorrect": "✘", "undecided": "?",
                "invalid": "⚠", "missing": "—"}


def fmt_points(x: float) -> str:
    """Points for people: at most two decimals, no trailing zeros."""
    return f"{round(x, 2):g}"


def gradebook_csv(pset: ProblemSet, results) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student_id"] + [e.key for e in pset.entries] + ["total"])
    for r in results:
        writer.writerow([r.student] + [fmt_points(r.problem_score(e.key)) for e in pset.entries]
                        + [fmt_points(r.score)])
    return buf.getvalue()


def feedback_md(pset: ProblemSet, r: SubmissionResult, lang: str) -> str:
    en = lang == "en"
    lines = [f"# {pset.title[lang]}: " + ("feedback for " if en else "отзыв для ") + r.student, ""]
    lines.append(("**Score:** " if en else "**Баллы:** ") + f"{fmt_points(r.score)} / {fmt_points(r.max)}")
    if r.status != "ok":
        lines += ["", ("**Your file could not be graded:** " if en else "**Файл не удалось проверить:** ")
                  + (r.message or r.status)]
    for w in r.warnings:
        lines.append(f"- ⚠ {w}")
    current = None
    for p in r.parts:
        if p.key != current:
            current = p.key
            entry = next(e for e in pset.entries if e.key == p.key)
            lines += ["", f"## {p.key}: {entry.problem.title[lang]}", ""]
        line = f"- {VERDICT_MARK[p.verdict]} **{p.part}** ({fmt_points(p.score)}/{fmt_points(p.max)}) {p.verdict}"
        if p.interpreted:
            line += (" — read as " if en else " — прочитано как ") + f"`{p.interpreted['plain']}`"
        lines.append(line)
        if p.feedback and r.status == "ok":
            lines.append(f"  - {p.feedback}")
    return "\n".join(lines) + "\n"


def junit_xml(pset: ProblemSet, results) -> str:
    """One testcase per student and part; failures carry the feedback (JUnit XML as CI viewers read it)."""
    cases, counts = [], Counter()
    for r in results:
        for p in r.parts:
            counts["tests"] += 1
            name = quoteattr(f"{p.key}.{p.part}")
            cls = quoteattr(f"{pset.id}.{r.student}")
            body = ""
            text = escape(p.feedback or p.verdict)
            if p.verdict in ("incorrect", "partial"):
                counts["failures"] += 1
                body = f'<failure message={quoteattr(p.verdict)} type="{p.verdict}">{text}</failure>'
            elif p.verdict in ("invalid",):
                counts["errors"] += 1
                body = f'<error message={quoteattr(p.verdict)} type="invalid">{text}</error>'
            elif p.verdict in ("missing", "undecided"):
                counts["skipped"] += 1
                body = f'<skipped message={quoteattr(p.verdict)}/>'
            props = (f'<properties><property name="score" value="{p.score}"/>'
                     f'<property name="max" value="{p.max}"/><property name="check" value={quoteattr(p.check)}/>'
                     f'</properties>')
            cases.append(f'    <testcase classname={cls} name={name} time="0">{props}{body}</testcase>')
    head = (f'<testsuite name={quoteattr(pset.id)} tests="{counts["tests"]}" failures="{counts["failures"]}" '
            f'errors="{counts["errors"]}" skipped="{counts["skipped"]}" time="0">')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  ' + head + "\n"
            + "\n".join(cases) + "\n  </testsuite>\n</testsuites>\n")


class SummaryBuilder:
    """Accumulates per-part statistics one submission at a time (no need to hold every result)."""

    def __init__(self, pset: ProblemSet):
        self.pset = pset
        self.stats = defaultdict(lambda: {"attempts": 0, "verdicts": Counter(), "wrong": Counter(),
                                          "misconceptions": Counter()})
        self.scores: list[float] = []
        self.status = Counter()

    def add(self, r: SubmissionResult) -> None:
        self.scores.append(r.score)
        self.status[r.status] += 1
        for p in r.parts:
            s = self.stats[f"{p.key}.{p.part}"]
            s["verdicts"][p.verdict] += 1
            if p.verdict not in ("missing",) and r.status == "ok":
                s["attempts"] += 1
            if p.verdict in ("incorrect", "partial") and p.interpreted:
                s["wrong"][p.interpreted["plain"]] += 1
            if p.misconception:
                s["misconceptions"][p.misconception] += 1

    def build(self, extra: dict | None = None) -> dict:
        parts = {}
        for entry in self.pset.entries:
            for part in entry.problem.parts:
                s = self.stats[f"{entry.key}.{part.id}"]
                attempts = s["attempts"]
                parts[f"{entry.key}.{part.id}"] = {
                    "problem": entry.problem.id, "type": part.type, "attempts": attempts,
                    "percent_correct": round(100 * s["verdicts"]["correct"] / attempts, 1) if attempts else 0.0,
                    "verdicts": dict(sorted(s["verdicts"].items())),
                    "common_wrong_answers": [{"answer": a, "count": c}
                                             for a, c in sorted(s["wrong"].items(), key=lambda kv: (-kv[1], kv[0]))[:5]],
                    "misconceptions": dict(sorted(s["misconceptions"].items())),
                }
        n = len(self.scores)
        out = {"set": self.pset.id, "submissions": n, "max": self.pset.points,
               "status": dict(sorted(self.status.items())),
               "mean_score": round(sum(self.scores) / n, 4) if n else 0.0,
               "parts": parts}
        if extra:
            out.update(extra)
        return out


def summary_json(summary: dict) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
