"""Reports, rendered from results only: gradebook, feedback, JUnit XML, Gradescope, summary.

Every writer here takes one ``SubmissionResult`` at a time, so a batch of any size is
reported in one pass over ``results.jsonl`` with one row in memory. Nothing
run-dependent (timings, cache statistics, dates) goes into these files: the same
results give byte-identical reports.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

from ..bank.model import ProblemSet
from ..i18n import localize, t, verdict
from .results import SubmissionResult

VERDICT_MARK = {"correct": "✔", "partial": "◐", "incorrect": "✘", "undecided": "?",
                "invalid": "⚠", "missing": "—"}
TOP_WRONG = 10            # most common wrong answers kept per part
MAX_TRACKED_ANSWERS = 20_000   # distinct wrong answers counted per part; later new ones go to "other"
MAX_ANSWER_CHARS = 200    # a wrong answer is counted by its first characters
MAX_LISTED = 200          # rows listed for review / unreadable files in the summary


def fmt_points(x: float) -> str:
    """Points for people: at most two decimals, no trailing zeros."""
    text = _POINTS_TEXT.get(x) if x else None    # 0 is left out: -0.0 == 0.0 prints otherwise
    if text is None:
        text = f"{round(x, 2):g}"
        if x and len(_POINTS_TEXT) < 4096:       # a class's scores repeat: a report asks ~100 per row
            _POINTS_TEXT[x] = text
    return text


_POINTS_TEXT: dict = {}


# ---------------------------------------------------------------------------------
# Gradebook

CENT = Decimal("0.01")
GRADEBOOK_STATUS = ("ok", "missing", "invalid")


def key_cells(pset: ProblemSet, r: SubmissionResult) -> tuple[list[Decimal], Decimal]:
    """Points per problem key rounded to cents as exact decimals, and their exact sum.

    Every gradebook derives its total from the rounded cells, so the cells of a row
    always add up to its total (summing rounded floats would not).
    """
    cells = [Decimal(repr(r.problem_score(e.key))).quantize(CENT, rounding=ROUND_HALF_UP) for e in pset.entries]
    return cells, sum(cells, Decimal(0))


def fmt_decimal(d: Decimal) -> str:
    """A decimal for CSV cells: no exponent, no trailing zeros (20, 4.5, 1.43)."""
    text = format(d.quantize(CENT), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def gradebook_status(r: SubmissionResult) -> str:
    """ok, missing or invalid (a file the grader failed on counts as invalid: it is listed for review)."""
    return r.status if r.status in GRADEBOOK_STATUS else "invalid"


class GradebookWriter:
    """gradebook.csv: student_id, status, one column per problem key, total. One row per student.

    The total is the exact sum of the rounded per-key cells (``key_cells``)."""

    def __init__(self, pset: ProblemSet, fh, *, header: bool = True):
        """``header=False``: rows only (a slice of the gradebook rendered elsewhere)."""
        self.pset = pset
        self.writer = csv.writer(fh, lineterminator="\n")
        if header:
            self.writer.writerow(["student_id", "status"] + [e.key for e in pset.entries] + ["total"])

    def add(self, r: SubmissionResult) -> None:
        cells, total = key_cells(self.pset, r)
        self.writer.writerow([r.student, gradebook_status(r)] + [fmt_decimal(c) for c in cells]
                             + [fmt_decimal(total)])


def gradebook_csv(pset: ProblemSet, results) -> str:
    import io
    buf = io.StringIO()
    book = GradebookWriter(pset, buf)
    for r in results:
        book.add(r)
    return buf.getvalue()


# ---------------------------------------------------------------------------------
# Feedback

def feedback_md(pset: ProblemSet, r: SubmissionResult, lang: str) -> str:
    lines = [f"# {t('feedback.heading', lang, set=pset.title[lang], student=r.student)}", ""]
    lines.append(f"**{t('feedback.score', lang)}:** {fmt_points(r.score)} / {fmt_points(r.max)}")
    if r.status != "ok":
        lines += ["", f"**{t('feedback.invalid_file', lang)}:** {localize(r.message or r.status, lang)}"]
    for w in r.warnings:
        lines.append(f"- ⚠ {localize(w, lang)}")
    titles = {e.key: e.problem.title[lang] for e in pset.entries}
    current = None
    for p in r.parts:
        if p.key != current:
            current = p.key
            lines += ["", f"## {p.key}: {titles[p.key]}", ""]
        line = (f"- {VERDICT_MARK[p.verdict]} **{p.part}** ({fmt_points(p.score)}/{fmt_points(p.max)}) "
                f"{verdict(p.verdict, lang)}")
        if p.interpreted:
            # the answer as read: typeset (Markdown viewers render $...$) and as plain text
            line += f" — {t('feedback.read_as', lang)} `{p.interpreted['plain']}`"
            latex = p.interpreted.get("latex")
            if latex and latex != p.interpreted["plain"]:
                line += f" ${latex}$"
        lines.append(line)
        if p.feedback and r.status == "ok":
            lines.append(f"  - {localize(p.feedback, lang)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------
# JUnit XML

def _xml_text(text: str) -> str:
    """Escaped, with characters XML 1.0 cannot carry replaced (student text can hold anything)."""
    return _NOT_XML.sub("\ufffd", text)


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# what xml.sax.saxutils.escape / quoteattr replace, in one pass (the same text, faster)
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                               "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _escape(text: str) -> str:
    """Element text: XML-safe characters, with & < > escaped."""
    return _xml_text(text).translate(_TEXT_ESCAPES)


def _attr(text: str) -> str:
    """A quoted attribute value, quoted as ``quoteattr`` would quote it."""
    data = _xml_text(text).translate(_ATTR_ESCAPES)
    if '"' not in data:
        return f'"{data}"'
    if "'" not in data:
        return f"'{data}'"
    return '"' + data.replace('"', "&quot;") + '"'


class JUnitWriter:
    """junit.xml: one ``testcase`` per student and part in one ``testsuite``.

    Kept to what both widely used JUnit schemas accept (the Jenkins/Ant one that
    JUnit 5 tests against, and the Surefire-based one behind pytest's ``xunit2``):
    ``testcase`` carries ``name``, ``classname``, ``time`` and at most one of
    ``skipped`` (no attributes) or ``failure`` (``type``, ``message``), then
    ``system-out``; ``error`` is never used (one of the two schemas lacks it).

    * correct: passed; incorrect, partial, invalid: ``failure`` typed by the verdict;
    * missing, undecided: ``skipped`` (nothing to judge / listed for review).

    The test cases are streamed into ``body`` (a file); ``finish`` writes the document
    with the totals in front, which are only known at the end.
    """

    def __init__(self, pset: ProblemSet, body):
        self.pset = pset
        self.body = body
        self.counts = Counter()

    def add(self, r: SubmissionResult) -> None:
        if not r.student:       # a file whose name names no student: one case for the file, not one per part
            self.counts["tests"] += 1
            self.counts["failures"] += 1
            self.body.write(f"    <testcase classname={_attr(f'{self.pset.id}.unnamed')} name={_attr(r.source)} "
                            f"time=\"0\"><failure type=\"invalid\" message=\"invalid\">"
                            f"{_escape(r.message)}</failure></testcase>\n")
            return
        cls = _attr(f"{self.pset.id}.{r.student}")
        for p in r.parts:
            self.counts["tests"] += 1
            text = p.feedback or (r.message if r.status != "ok" else "") or p.verdict
            if p.verdict in ("incorrect", "partial", "invalid"):
                self.counts["failures"] += 1
                outcome = (f'<failure type={_attr(p.verdict)} message={_attr(p.verdict)}>'
                           f'{_escape(text)}</failure>')
            elif p.verdict in ("missing", "undecided"):
                self.counts["skipped"] += 1
                outcome = f"<skipped>{_escape(p.verdict + ': ' + text)}</skipped>"
            else:
                outcome = ""
            out = f"score {fmt_points(p.score)}/{fmt_points(p.max)}; verdict {p.verdict}; check {p.check}"
            if p.interpreted:
                out += f"; read as {p.interpreted['plain']}"
            self.body.write(f"    <testcase classname={cls} name={_attr(f'{p.key}.{p.part}')} time=\"0\">"
                            f"{outcome}<system-out>{_escape(out)}</system-out></testcase>\n")

    def head(self) -> str:
        c = self.counts
        totals = f'tests="{c["tests"]}" failures="{c["failures"]}" errors="0"'
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<testsuites name={_attr(self.pset.id)} {totals} time="0">\n'
                f'  <testsuite name={_attr(self.pset.id)} {totals} skipped="{c["skipped"]}" time="0">\n'
                f'    <properties><property name="set" value={_attr(self.pset.id)}/>'
                f'<property name="max_points" value="{fmt_points(self.pset.points)}"/></properties>\n')

    @staticmethod
    def tail() -> str:
        return "  </testsuite>\n</testsuites>\n"


def junit_xml(pset: ProblemSet, results) -> str:
    import io
    body = io.StringIO()
    writer = JUnitWriter(pset, body)
    for r in results:
        writer.add(r)
    return writer.head() + body.getvalue() + writer.tail()


# ---------------------------------------------------------------------------------
# Gradescope

GRADESCOPE_VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")


def gradescope_json(pset: ProblemSet, r: SubmissionResult, lang: str, *,
                    visibility: str = "visible", test_visibility: str = "visible") -> str:
    """One student's results in Gradescope's autograder format (``results.json``).

    ``score`` is the total; one test per part with ``name``, ``number``, ``score``,
    ``max_score``, ``status`` (``passed`` only when correct), ``visibility`` and ``output``
    in Markdown (verdict, how the answer was read with its math, feedback); the
    top-level ``output`` is the student's feedback in Markdown. ``visibility`` applies to
    the whole result, ``test_visibility`` to each test (Gradescope's values:
    visible, hidden, after_due_date, after_published).
    """
    titles = {e.key: e.problem.title[lang] for e in pset.entries}
    tests = []
    for p in r.parts:
        lines = [f"**{verdict(p.verdict, lang)}** ({fmt_points(p.score)}/{fmt_points(p.max)})"]
        if p.interpreted:
            read = f"{t('feedback.read_as', lang)}: `{p.interpreted['plain']}`"
            if p.interpreted.get("latex"):
                read += f" — $${p.interpreted['latex']}$$"
            lines.append(read)
        if p.feedback:
            lines.append(localize(p.feedback, lang))
        elif r.status != "ok" and r.message:
            lines.append(localize(r.message, lang))
        tests.append({"name": f"{p.key}.{p.part} ({titles[p.key]})", "number": f"{p.key}.{p.part}",
                      "score": p.score, "max_score": p.max,
                      "status": "passed" if p.verdict == "correct" else "failed",
                      "output": "\n\n".join(lines), "output_format": "md", "visibility": test_visibility})
    doc = {"score": r.score, "output": feedback_md(pset, r, lang), "output_format": "md",
           "test_output_format": "md", "visibility": visibility, "tests": tests}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------
# Summary

def _bin_width(max_points: float) -> float:
    """A round bin width giving at most 20 bins over [0, max]."""
    for w in (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if max_points / w <= 20:
            return float(w)
    return max_points / 20 if max_points > 0 else 1.0


def histogram(scores: Counter, max_points: float) -> dict:
    """Counts over [0, w), [w, 2w), ... with the last bin closed at ``max``."""
    width = _bin_width(max_points)
    n_bins = max(1, int(-(-max_points // width))) if max_points > 0 else 1
    counts = [0] * n_bins
    for score, count in scores.items():
        i = min(max(int(score // width), 0), n_bins - 1)
        counts[i] += count
    bins = [{"from": round(i * width, 4), "to": round(min((i + 1) * width, max_points), 4), "count": c}
            for i, c in enumerate(counts)]
    return {"bin_width": width, "bins": bins}


def _quantile(scores: Counter, q: float) -> float:
    """The lower q-quantile of the multiset ``scores`` (exact, no interpolation)."""
    n = sum(scores.values())
    if not n:
        return 0.0
    rank = max(int(-(-q * n // 1)), 1)   # ceil(q n), at least 1
    seen = 0
    for value in sorted(scores):
        seen += scores[value]
        if seen >= rank:
            return value
    return max(scores)


class SummaryBuilder:
    """Accumulates statistics one submission at a time (memory bounded by distinct answers).

    Rows flagged as duplicates (a second file for a student already graded) are counted
    and listed, but leave scores and per-part figures alone.

    Each statistic has one definition, named in its key:
    * ``attempts``: rows of the class that answered the part (a readable file, not blank);
    * ``correct_pct_of_attempts``: correct answers as a % of those attempts;
    * ``correct_pct_of_class``: correct answers as a % of the class;
    * the class: with a roster, its enrolled students (a file from anyone else is listed
      as unreadable but counts in no score figure); without one, every graded row.
    ``mean_score``, the median, quartiles, histogram and ``mean_points`` are over the class.

    Slices of the results can be summarised apart and merged in order (``merge``): every
    figure is then what one pass over all rows gives. Sums of points are kept as counts of
    each value and added with ``math.fsum`` (exactly rounded), so no figure depends on the
    order in which rows were added up.
    """

    def __init__(self, pset: ProblemSet, roster=None, *, one_slice: bool = False):
        """``one_slice``: summarises a slice that is merged later: its wrong answers are all
        counted (a slice holds at most one per row), and the cap applies when merging."""
        self.pset = pset
        self.one_slice = one_slice
        self.roster = set(roster) if roster is not None else None
        self.outsiders = 0
        self.stats = defaultdict(_part_stats)
        self.scores: Counter = Counter()
        self.status = Counter()
        self.rows = 0
        self.duplicates = 0
        self.review: list[dict] = []
        self.review_total = 0
        self.unreadable: list[dict] = []
        self.duplicate_files: list[dict] = []
        self.unnamed = 0

    def add(self, r: SubmissionResult, duplicate: bool | str = False) -> None:
        """``duplicate``: the path of the student's graded file when ``r`` is a second file for
        them, or True for a row that is no student's (a file whose name names nobody)."""
        self.rows += 1
        if duplicate:
            if isinstance(duplicate, str):
                self.duplicates += 1
                if len(self.duplicate_files) < MAX_LISTED:
                    self.duplicate_files.append({"student": r.student, "source": r.source, "graded": duplicate})
            else:
                self.unnamed += 1
                if len(self.unreadable) < MAX_LISTED:
                    self.unreadable.append({"student": r.student, "source": r.source, "message": r.message})
            return
        self.status[r.status] += 1
        if r.status not in ("ok", "missing") and len(self.unreadable) < MAX_LISTED:
            self.unreadable.append({"student": r.student, "source": r.source, "message": r.message})
        if self.roster is not None and r.student not in self.roster:
            self.outsiders += 1   # not in the class: listed above, never in a score figure
            return
        self.scores[round(r.score, 3)] += 1
        for p in r.parts:
            name = f"{p.key}.{p.part}"
            s = self.stats[name]
            s["verdicts"][p.verdict] += 1
            s["points"][p.score] += 1
            if p.verdict != "missing" and r.status == "ok":
                s["attempts"] += 1
            if p.verdict in ("incorrect", "partial") and p.interpreted:
                answer = p.interpreted["plain"][:MAX_ANSWER_CHARS]
                if answer in s["wrong"] or self.one_slice or len(s["wrong"]) < MAX_TRACKED_ANSWERS:
                    s["wrong"][answer] += 1
                else:
                    s["other_wrong"] += 1
            if p.misconception:
                s["misconceptions"][p.misconception] += 1
            if p.verdict == "undecided" and r.status == "ok":
                self.review_total += 1
                if len(self.review) < MAX_LISTED:
                    self.review.append({"student": r.student, "part": name, "check": p.check,
                                        "answer": p.interpreted["plain"] if p.interpreted else ""})

    def __getstate__(self) -> dict:          # a worker's summary of its slice travels pickled
        return {**self.__dict__, "stats": dict(self.stats)}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.stats = defaultdict(_part_stats, state["stats"])

    def merge(self, later: SummaryBuilder) -> None:
        """Adds the rows ``later`` summarised, which come after the rows of this one.

        Lists keep their first ``MAX_LISTED`` entries and a part's wrong answers the first
        ``MAX_TRACKED_ANSWERS`` distinct ones, as one pass would: a Counter lists its answers
        in the order they were first seen, and ``later`` (built with ``one_slice``) counted
        every answer of its slice."""
        for name in ("outsiders", "rows", "duplicates", "unnamed", "review_total"):
            setattr(self, name, getattr(self, name) + getattr(later, name))
        self.scores.update(later.scores)
        self.status.update(later.status)
        for name in ("review", "unreadable", "duplicate_files"):
            mine = getattr(self, name)
            mine.extend(getattr(later, name)[:max(0, MAX_LISTED - len(mine))])
        for part, theirs in later.stats.items():
            s = self.stats[part]
            s["attempts"] += theirs["attempts"]
            s["other_wrong"] += theirs["other_wrong"]
            for name in ("points", "verdicts", "misconceptions"):
                s[name].update(theirs[name])
            for answer, count in theirs["wrong"].items():
                if answer in s["wrong"] or len(s["wrong"]) < MAX_TRACKED_ANSWERS:
                    s["wrong"][answer] += count
                else:
                    s["other_wrong"] += count

    def build(self, extra: dict | None = None) -> dict:
        parts = {}
        fired = []
        n = sum(self.scores.values())
        for entry in self.pset.entries:
            for part in entry.problem.parts:
                name = f"{entry.key}.{part.id}"
                s = self.stats[name]
                attempts = s["attempts"]
                correct = s["verdicts"]["correct"]
                top = sorted(s["wrong"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_WRONG]
                parts[name] = {
                    "problem": entry.problem.id, "type": part.type, "attempts": attempts,
                    "correct": correct,
                    "correct_pct_of_attempts": round(100 * correct / attempts, 1) if attempts else 0.0,
                    "correct_pct_of_class": round(100 * correct / n, 1) if n else 0.0,
                    "mean_points": round(_total(s["points"]) / n, 4) if n else 0.0,
                    "max_points": round(part.points * entry.points / entry.problem.points, 6)
                    if entry.problem.points else 0.0,
                    "verdicts": dict(sorted(s["verdicts"].items())),
                    "common_wrong_answers": [{"answer": a, "count": c} for a, c in top],
                    "misconceptions": {m.bug: s["misconceptions"][m.bug] for m in part.misconceptions},
                }
                for m in part.misconceptions:
                    fired.append({"part": name, "misconception": m.bug, "count": s["misconceptions"][m.bug],
                                  "percent_of_attempts": round(100 * s["misconceptions"][m.bug] / attempts, 1)
                                  if attempts else 0.0})
        fired.sort(key=lambda f: (-f["count"], f["part"], f["misconception"]))
        total = _total(self.scores)
        out = {"set": self.pset.id, "submissions": n, "class_size": n, "rows": self.rows,
               "not_enrolled": self.outsiders, "duplicates": self.duplicates,
               "duplicate_files": self.duplicate_files, "unnamed_files": self.unnamed,
               "max": self.pset.points,
               "status": dict(sorted(self.status.items())),
               "mean_score": round(total / n, 4) if n else 0.0,
               "median_score": _quantile(self.scores, 0.5),
               "quartiles": [_quantile(self.scores, 0.25), _quantile(self.scores, 0.75)],
               "histogram": histogram(self.scores, self.pset.points),
               "parts": parts,
               "misconceptions": fired,
               "review": {"total": self.review_total, "listed": self.review},
               "unreadable_files": self.unreadable}
        if extra:
            out.update(extra)
        return out


def _part_stats() -> dict:
    return {"attempts": 0, "points": Counter(), "verdicts": Counter(), "wrong": Counter(),
            "other_wrong": 0, "misconceptions": Counter()}


def _total(counts: Counter) -> float:
    """The sum of value x count, exactly rounded: the same whatever order the counts came in."""
    return math.fsum(v * c for v, c in counts.items())


def summary_json(summary: dict) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
