"""The rules of the per-row reports and the summary (grader/grading/reports.py), in-process.

Each test builds results by hand on a toy set (``report_samples.toy_set``: q1 is worth 6
points on a problem of 3, so its parts a and b are worth 4 and 2; q2.c is worth 4) and
checks one rule the reports promise: what is counted where, how points are rounded,
which verdict becomes which JUnit outcome, what a student's feedback shows.
"""

from __future__ import annotations

import io
import json
import pickle
import xml.etree.ElementTree as ET
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.grading import reports
from grader.grading.reports import (MAX_ANSWER_CHARS, MAX_LISTED, TOP_WRONG, GradebookWriter, JUnitWriter,
                                    SummaryBuilder, _bin_width, _quantile, feedback_md, fmt_decimal,
                                    fmt_points, gradebook_csv, gradebook_status, gradescope_json, histogram,
                                    junit_xml, key_cells, summary_json)
from grader.grading.results import PartResult, SubmissionResult
from tests.core.report_samples import toy_set

PSET = toy_set()
MAX = {"q1.a": 4.0, "q1.b": 2.0, "q2.c": 4.0}


def part(name: str, verdict: str = "correct", score: float | None = None, **kw) -> PartResult:
    key, pid = name.split(".")
    if score is None:
        score = MAX[name] if verdict == "correct" else 0.0
    return PartResult(key=key, part=pid, verdict=verdict, score=score, max=MAX[name],
                      check=kw.pop("check", "tolerance"), **kw)


def row(student: str = "s1", *parts: PartResult, status: str = "ok", message: str = "", warnings=()):
    if not parts:
        parts = tuple(part(n) for n in MAX)
    return SubmissionResult(student=student, source=f"{student}.yaml", status=status, message=message,
                            parts=tuple(parts), max=10.0, warnings=tuple(warnings))


def read(plain: str, latex: str | None = None) -> dict:
    return {"plain": plain, "latex": plain if latex is None else latex}


# ------------------------------------------------------------------ points and the gradebook

class TestPoints:
    @pytest.mark.parametrize("x,text", [(2.0, "2"), (12.5, "12.5"), (0.3333, "0.33"), (0.005, "0.01"),
                                        (0.0, "0"), (1.999, "2"), (100.0, "100")])
    def test_points_show_at_most_two_decimals_without_trailing_zeros(self, x, text):
        """fmt_points: round to cents, then drop zeros (people read "2", not "2.00")."""
        assert fmt_points(x) == text

    @pytest.mark.parametrize("d,text", [("20", "20"), ("20.00", "20"), ("4.50", "4.5"), ("1.43", "1.43"),
                                        ("0", "0"), ("0.1", "0.1"), ("105.0", "105")])
    def test_gradebook_decimals_have_no_exponent_and_no_trailing_zeros(self, d, text):
        """fmt_decimal: CSV cells as plain decimals (20, 4.5, 1.43)."""
        assert fmt_decimal(Decimal(d)) == text

    def test_cells_round_half_up_and_the_total_is_their_exact_sum(self):
        """key_cells: 0.125 is 0.13 (half up, not to even), and the total adds the rounded cells."""
        r = row("s1", part("q1.a", "partial", 0.125), part("q1.b", "partial", 0.125), part("q2.c", "partial", 0.335))
        cells, total = key_cells(PSET, r)
        assert cells == [Decimal("0.25"), Decimal("0.34")]        # q1 = 0.25 exactly; q2: 0.335 -> 0.34
        assert total == Decimal("0.59")
        r2 = row("s2", part("q1.a", "partial", 0.125), part("q2.c", "partial", 0.005))
        assert key_cells(PSET, r2) == ([Decimal("0.13"), Decimal("0.01")], Decimal("0.14"))

    @pytest.mark.parametrize("status,shown", [("ok", "ok"), ("missing", "missing"), ("invalid", "invalid"),
                                              ("error", "invalid")])
    def test_a_file_the_grader_failed_on_is_invalid_in_the_gradebook(self, status, shown):
        """gradebook_status: ok, missing or invalid only; an internal error reads as invalid."""
        assert gradebook_status(row(status=status)) == shown

    def test_gradebook_has_one_row_per_student_with_cells_and_total(self):
        """gradebook.csv: header student_id, status, the problem keys, total; cells add up."""
        text = gradebook_csv(PSET, [row("s1"), row("s2", part("q1.a", "partial", 1.005), status="ok"),
                                    row("s3", status="error")])
        assert text == ("student_id,status,q1,q2,total\n"
                        "s1,ok,6,4,10\n"
                        "s2,ok,1.01,0,1.01\n"
                        "s3,invalid,6,4,10\n")

    def test_the_writer_streams_rows_as_they_come(self):
        """GradebookWriter writes the header at once and each row on add (no buffering of rows)."""
        buf = io.StringIO()
        book = GradebookWriter(PSET, buf)
        assert buf.getvalue() == "student_id,status,q1,q2,total\n"
        book.add(row("s9"))
        assert buf.getvalue().splitlines()[1] == "s9,ok,6,4,10"


# ------------------------------------------------------------------ feedback.md

class TestFeedback:
    def test_feedback_shows_score_problems_and_each_part_with_its_verdict(self):
        """Title with the student, the score, one heading per problem key, one line per part."""
        r = row("s1", part("q1.a", feedback="Check the sign."), part("q1.b", "incorrect"), part("q2.c", "missing"))
        assert feedback_md(PSET, r, "en") == (
            "# Toy: feedback for s1\n\n"
            "**Score:** 4 / 10\n\n"
            "## q1: First\n\n"
            "- ✔ **a** (4/4) correct\n"
            "  - Check the sign.\n"
            "- ✘ **b** (0/2) incorrect\n\n"
            "## q2: Second\n\n"
            "- — **c** (0/4) missing\n")

    def test_feedback_in_russian(self):
        """The set's language: title, score and verdict words in Russian."""
        r = row("s1", part("q1.a", "partial", 1.5), part("q1.b"), part("q2.c", "undecided"))
        text = feedback_md(PSET, r, "ru")
        assert text.startswith("# Игрушка: отзыв для s1\n\n**Баллы:** 3.5 / 10\n")
        assert "- ◐ **a** (1.5/4) частично\n" in text and "## q2: Вторая" in text
        assert "- ? **c** (0/4) не решено" in text

    def test_how_an_answer_was_read_is_shown_typeset_only_when_it_differs(self):
        """read as `plain`, then $latex$ when the LaTeX says something the plain form does not."""
        r = row("s1", part("q1.a", interpreted=read("x^2/2", r"\frac{x^{2}}{2}")),
                part("q1.b", interpreted=read("3")), part("q2.c", interpreted={"plain": "b"}))
        lines = feedback_md(PSET, r, "en").splitlines()
        assert "- ✔ **a** (4/4) correct — read as `x^2/2` $\\frac{x^{2}}{2}$" in lines
        assert "- ✔ **b** (2/2) correct — read as `3`" in lines
        assert "- ✔ **c** (4/4) correct — read as `b`" in lines

    def test_a_parts_engine_feedback_is_shown_in_the_readers_language(self):
        """A graded part's feedback from the engine is localized like the file's message."""
        r = row("s1", part("q1.a", "incorrect", 0.0, feedback="the answer is empty"))
        assert "\n  - ответ пуст\n" in feedback_md(PSET, r, "ru")
        assert "\n  - the answer is empty\n" in feedback_md(PSET, r, "en")

    def test_an_ungraded_file_says_why_and_hides_part_feedback(self):
        """status != ok: the file's message (localized) is shown, the parts' feedback is not."""
        r = row("s1", part("q1.a", "invalid", feedback="should not show"), status="invalid",
                message="the answer is empty")
        text = feedback_md(PSET, r, "en")
        assert "\n**Your file could not be graded:** the answer is empty\n" in text
        assert "should not show" not in text
        ru = feedback_md(PSET, r, "ru")
        assert "**Файл не удалось проверить:** ответ пуст" in ru

    def test_an_ungraded_file_without_a_message_shows_its_status(self):
        """No message: the status itself is the reason shown."""
        r = row("s1", part("q1.a", "invalid"), status="invalid")
        assert "**Your file could not be graded:** invalid" in feedback_md(PSET, r, "en")

    def test_warnings_are_listed_in_the_set_language(self):
        """Each warning is a '- ⚠' line under the score, localized."""
        r = row("s1", part("q1.a"), warnings=("the answer is empty",))
        assert feedback_md(PSET, r, "en").splitlines()[3] == "- ⚠ the answer is empty"
        assert "- ⚠ ответ пуст" in feedback_md(PSET, r, "ru")


# ------------------------------------------------------------------ JUnit

def junit(*results) -> ET.Element:
    return ET.fromstring(junit_xml(PSET, results))


class TestJUnit:
    def test_verdicts_map_to_passed_failure_and_skipped(self):
        """correct passes; incorrect, partial, invalid fail typed by verdict; missing, undecided skip."""
        r = row("s1", part("q1.a", "correct"), part("q1.b", "partial", 1.0, feedback="half"),
                part("q2.c", "undecided", check="sampling"))
        r2 = row("s2", part("q1.a", "incorrect"), part("q1.b", "invalid", feedback="unreadable"),
                 part("q2.c", "missing"))
        doc = junit(r, r2)
        cases = {c.get("classname") + "/" + c.get("name"): c for c in doc.iter("testcase")}
        assert len(cases) == 6
        assert list(cases["toy.s1/q1.a"]) == [cases["toy.s1/q1.a"].find("system-out")]
        partial = cases["toy.s1/q1.b"].find("failure")
        assert (partial.get("type"), partial.get("message"), partial.text) == ("partial", "partial", "half")
        assert cases["toy.s2/q1.a"].find("failure").get("type") == "incorrect"
        assert cases["toy.s2/q1.a"].find("failure").text == "incorrect"     # no feedback: the verdict
        assert cases["toy.s2/q1.b"].find("failure").get("type") == "invalid"
        assert cases["toy.s1/q2.c"].find("skipped").text == "undecided: undecided"
        assert cases["toy.s2/q2.c"].find("skipped").text == "missing: missing"
        assert cases["toy.s1/q2.c"].find("failure") is None
        suite = doc.find("testsuite")
        assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
            ("6", "3", "0", "2")
        assert (doc.get("tests"), doc.get("failures"), doc.get("errors")) == ("6", "3", "0")

    def test_system_out_tells_score_verdict_check_and_reading(self):
        """Each case's output: score, verdict, the deciding check, and how the answer was read."""
        r = row("s1", part("q1.a", "partial", 1.5, check="sympy", interpreted=read("2*x")), part("q1.b"))
        cases = list(junit(r).iter("testcase"))
        assert cases[0].find("system-out").text == "score 1.5/4; verdict partial; check sympy; read as 2*x"
        assert cases[1].find("system-out").text == "score 2/2; verdict correct; check tolerance"

    def test_an_ungraded_files_message_is_the_failure_text(self):
        """A part of a file that was not graded fails with the file's message."""
        r = row("s1", part("q1.a", "invalid"), status="invalid", message="bad file")
        [case] = junit(r).iter("testcase")
        assert case.find("failure").text == "bad file"

    def test_a_file_naming_no_student_is_one_failed_case(self):
        """No student: one case for the file (classname <set>.unnamed, named by the file), invalid."""
        r = SubmissionResult(student="", source="odd name.yaml", status="invalid", message="names nobody",
                             parts=(part("q1.a", "invalid"), part("q1.b", "invalid")), max=10.0)
        doc = junit(r)
        [case] = doc.iter("testcase")
        assert (case.get("classname"), case.get("name"), case.get("time")) == ("toy.unnamed", "odd name.yaml", "0")
        failure = case.find("failure")
        assert (failure.get("type"), failure.get("message"), failure.text) == ("invalid", "invalid", "names nobody")
        assert (doc.get("tests"), doc.get("failures")) == ("1", "1")

    def test_text_xml_cannot_carry_is_replaced_not_dropped(self):
        """Control characters in student text become U+FFFD; the document still parses."""
        r = row("s1", part("q1.a", "incorrect", feedback="a\x00b\x1bc\td"))
        [case, *_] = junit(r).iter("testcase")
        assert case.find("failure").text == "a\ufffdb\ufffdc\td"

    def test_the_suite_names_the_set_and_its_points(self):
        """testsuites/testsuite are named by the set id; properties give the set and max points."""
        text = junit_xml(PSET, [])
        doc = ET.fromstring(text)
        assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
        assert doc.tag == "testsuites" and doc.get("name") == "toy" and doc.get("time") == "0"
        suite = doc.find("testsuite")
        assert (suite.get("name"), suite.get("tests"), suite.get("skipped"), suite.get("time")) == \
            ("toy", "0", "0", "0")
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props == {"set": "toy", "max_points": "10"}

    def test_the_writer_streams_cases_into_its_body(self):
        """JUnitWriter.add writes each case to the body at once; head() counts them."""
        body = io.StringIO()
        w = JUnitWriter(PSET, body)
        w.add(row("s1"))
        assert body.getvalue().count("<testcase ") == 3 and 'tests="3"' in w.head()
        assert w.tail() == "  </testsuite>\n</testsuites>\n"


# ------------------------------------------------------------------ Gradescope

class TestGradescope:
    def test_one_test_per_part_passed_only_when_correct(self):
        """Gradescope: total score, one test per part named key.part (title); passed iff correct."""
        r = row("s1", part("q1.a"), part("q1.b", "partial", 1.0, feedback="half way"), part("q2.c", "undecided"))
        doc = json.loads(gradescope_json(PSET, r, "en"))
        assert doc["score"] == 5.0
        assert [t["name"] for t in doc["tests"]] == ["q1.a (First)", "q1.b (First)", "q2.c (Second)"]
        assert [t["number"] for t in doc["tests"]] == ["q1.a", "q1.b", "q2.c"]
        assert [t["status"] for t in doc["tests"]] == ["passed", "failed", "failed"]
        assert [(t["score"], t["max_score"]) for t in doc["tests"]] == [(4.0, 4.0), (1.0, 2.0), (0.0, 4.0)]
        assert doc["tests"][1]["output"] == "**partial** (1/2)\n\nhalf way"
        assert all(t["output_format"] == "md" and t["visibility"] == "visible" for t in doc["tests"])
        assert (doc["output_format"], doc["test_output_format"], doc["visibility"]) == ("md", "md", "visible")
        assert doc["output"] == feedback_md(PSET, r, "en")

    def test_visibility_is_passed_through(self):
        """visibility applies to the whole result, test_visibility to each test."""
        doc = json.loads(gradescope_json(PSET, row(), "en", visibility="hidden", test_visibility="after_due_date"))
        assert doc["visibility"] == "hidden"
        assert {t["visibility"] for t in doc["tests"]} == {"after_due_date"}

    def test_each_test_shows_the_reading_with_its_math(self):
        """read as `plain`, then the LaTeX as display math, in the set's language."""
        r = row("s1", part("q1.a", interpreted=read("x/2", r"\frac{x}{2}")), part("q1.b", interpreted={"plain": "1"}))
        en = json.loads(gradescope_json(PSET, r, "en"))["tests"]
        assert en[0]["output"] == "**correct** (4/4)\n\nread as: `x/2` — $$\\frac{x}{2}$$"
        assert en[1]["output"] == "**correct** (2/2)\n\nread as: `1`"
        ru = json.loads(gradescope_json(PSET, r, "ru"))["tests"]
        assert ru[1]["output"] == "**верно** (2/2)\n\nпрочитано как: `1`"

    def test_a_russian_set_gets_its_verdicts_and_messages_in_russian(self):
        """Gradescope output speaks the set's language, like feedback.md (verdict, feedback, file message)."""
        r = row("s1", part("q1.a", "invalid", feedback="the answer is empty"), part("q1.b", "incorrect"))
        tests = json.loads(gradescope_json(PSET, r, "ru"))["tests"]
        assert tests[0]["output"] == "**не прочитано** (0/4)\n\nответ пуст"
        assert tests[1]["output"] == "**неверно** (0/2)"
        bad = row("s1", part("q1.a", "invalid"), status="invalid", message="the answer is empty")
        assert json.loads(gradescope_json(PSET, bad, "ru"))["tests"][0]["output"].endswith("\n\nответ пуст")

    def test_an_ungraded_file_gives_its_message_in_each_test(self):
        """A part without feedback of a file that was not graded shows the file's message."""
        r = row("s1", part("q1.a", "invalid"), status="invalid", message="bad file")
        [test] = json.loads(gradescope_json(PSET, r, "en"))["tests"]
        assert test["output"] == "**invalid** (0/4)\n\nbad file"
        r2 = row("s1", part("q1.a", "invalid"), status="invalid")
        assert json.loads(gradescope_json(PSET, r2, "en"))["tests"][0]["output"] == "**invalid** (0/4)"
        graded = row("s1", part("q1.a", "incorrect"), message="a note on a graded file")
        assert json.loads(gradescope_json(PSET, graded, "en"))["tests"][0]["output"] == "**incorrect** (0/4)"

    def test_the_document_is_indented_utf8_with_a_final_newline(self):
        """results.json: human-readable (indent 2, Cyrillic kept), ends with a newline."""
        text = gradescope_json(PSET, row(), "ru")
        assert text.endswith("}\n") and "\n  \"score\"" in text and "Первая" in text


# ------------------------------------------------------------------ histogram and quantiles

class TestHistogram:
    @pytest.mark.parametrize("max_points,width", [(10, 0.5), (10.5, 1.0), (20, 1.0), (25, 2.0), (40, 2.0),
                                                  (41, 2.5), (50, 2.5), (51, 5.0), (100, 5.0), (101, 10.0),
                                                  (400, 20.0), (500, 25.0), (1000, 50.0), (2000, 100.0),
                                                  (4000, 200.0), (5000, 250.0), (10000, 500.0),
                                                  (20000, 1000.0), (30000, 1500.0), (0, 0.5)])
    def test_bins_are_round_and_at_most_twenty(self, max_points, width):
        """The smallest round width giving at most 20 bins; beyond the list, max/20."""
        assert _bin_width(max_points) == width

    def test_bins_cover_zero_to_max_and_the_last_is_closed(self):
        """[0, w), [w, 2w), ...; a full score lands in the last bin, which ends at max."""
        h = histogram(Counter({0.0: 1, 0.49: 2, 0.5: 3, 9.99: 1, 10.0: 4}), 10.0)
        assert h["bin_width"] == 0.5 and len(h["bins"]) == 20
        assert h["bins"][0] == {"from": 0.0, "to": 0.5, "count": 3}
        assert h["bins"][1] == {"from": 0.5, "to": 1.0, "count": 3}
        assert h["bins"][-1] == {"from": 9.5, "to": 10.0, "count": 5}
        assert sum(b["count"] for b in h["bins"]) == 11

    def test_a_max_that_is_not_a_multiple_of_the_width_ends_the_last_bin_at_max(self):
        """max 10.5 with width 1: 11 bins, the last [10, 10.5]; a score below 0 counts in the first."""
        h = histogram(Counter({10.5: 1, -1.0: 2}), 10.5)
        assert len(h["bins"]) == 11
        assert h["bins"][-1] == {"from": 10.0, "to": 10.5, "count": 1}
        assert h["bins"][0]["count"] == 2

    def test_bin_edges_are_rounded(self):
        """Edges are rounded to 4 decimals (no 0.30000000000000004 in summary.json)."""
        h = histogram(Counter(), 0.9)
        assert [b["to"] for b in h["bins"]][:3] == [0.5, 0.9] and h["bins"][0]["from"] == 0.0
        h = histogram(Counter(), 30000.3)
        assert h["bins"][1]["from"] == round(30000.3 / 20, 4)

    @pytest.mark.parametrize("max_points", [0.3, 0.5])
    def test_a_set_worth_one_bin_width_or_less_has_one_bin(self, max_points):
        """max <= the narrowest width (0.5): a single bin [0, max] holds every score."""
        h = histogram(Counter({0.0: 1, max_points: 2}), max_points)
        assert h == {"bin_width": 0.5, "bins": [{"from": 0.0, "to": max_points, "count": 3}]}

    def test_a_set_worth_nothing_has_one_empty_bin(self):
        """max 0: one bin [0, 0] holding every score."""
        assert histogram(Counter({0.0: 3}), 0.0) == {"bin_width": 0.5, "bins": [{"from": 0.0, "to": 0.0, "count": 3}]}

    @pytest.mark.parametrize("q,value", [(0.25, 1.0), (0.5, 2.0), (0.75, 5.0), (1.0, 7.0), (0.01, 1.0)])
    def test_quantiles_are_lower_and_exact(self, q, value):
        """The value at rank ceil(q n) of the sorted scores (1, 1, 2, 2, 5, 5, 5, 7: n = 8)."""
        assert _quantile(Counter({1.0: 2, 2.0: 2, 5.0: 3, 7.0: 1}), q) == value

    def test_quantiles_of_nothing_are_zero_and_of_one_score_that_score(self):
        """No scores: 0; a single score: itself for any q."""
        assert _quantile(Counter(), 0.5) == 0.0
        assert _quantile(Counter({3.5: 1}), 0.0) == 3.5 and _quantile(Counter({3.5: 1}), 0.9) == 3.5

    def test_median_of_an_odd_class(self):
        """n = 3: rank 2 is the median."""
        assert _quantile(Counter({1.0: 1, 4.0: 1, 9.0: 1}), 0.5) == 4.0


# ------------------------------------------------------------------ the summary

def build(rows, roster=None, duplicates=()) -> dict:
    b = SummaryBuilder(PSET, roster=roster)
    for r in rows:
        b.add(r)
    for r, dup in duplicates:
        b.add(r, dup)
    return b.build()


class TestSummary:
    def test_attempts_correct_and_points_follow_their_definitions(self):
        """attempts: answered parts of readable files; % of attempts and of class; mean over the class."""
        rows = [row("s1", part("q1.a"), part("q1.b", "incorrect"), part("q2.c", "missing")),
                row("s2", part("q1.a", "partial", 1.0), part("q1.b"), part("q2.c")),
                row("s3", part("q1.a", "missing"), part("q1.b", "missing"), part("q2.c", "missing")),
                row("s4", part("q1.a", "invalid"), part("q1.b", "invalid"), part("q2.c", "invalid"),
                    status="invalid", message="unreadable")]
        s = build(rows)
        a, b, c = s["parts"]["q1.a"], s["parts"]["q1.b"], s["parts"]["q2.c"]
        assert (a["attempts"], a["correct"]) == (2, 1)         # s3 did not answer, s4's file was not read
        assert a["correct_pct_of_attempts"] == 50.0 and a["correct_pct_of_class"] == 25.0
        assert a["mean_points"] == round(5.0 / 4, 4)
        assert (b["attempts"], b["correct"], b["correct_pct_of_attempts"]) == (2, 1, 50.0)
        assert (c["attempts"], c["correct"], c["correct_pct_of_attempts"], c["correct_pct_of_class"]) == \
            (1, 1, 100.0, 25.0)
        assert a["verdicts"] == {"correct": 1, "invalid": 1, "missing": 1, "partial": 1}
        assert list(a["verdicts"]) == sorted(a["verdicts"])
        assert (a["max_points"], b["max_points"], c["max_points"]) == (4.0, 2.0, 4.0)
        assert (a["problem"], a["type"], c["problem"], c["type"]) == ("p-one", "number", "p-two", "choice")
        assert s["status"] == {"invalid": 1, "ok": 3}
        assert (s["submissions"], s["class_size"], s["rows"], s["max"]) == (4, 4, 4, 10.0)

    def test_percentages_are_rounded_to_one_decimal_and_zero_without_attempts(self):
        """1 of 3 is 33.3 %; a part nobody answered is 0 %, not a division error."""
        rows = [row("s1", part("q1.a")), row("s2", part("q1.a", "incorrect")), row("s3", part("q1.a", "incorrect"))]
        s = build(rows)
        assert s["parts"]["q1.a"]["correct_pct_of_attempts"] == 33.3
        assert s["parts"]["q1.a"]["correct_pct_of_class"] == 33.3
        assert s["parts"]["q1.b"]["attempts"] == 0 and s["parts"]["q1.b"]["correct_pct_of_attempts"] == 0.0
        empty = build([])
        assert empty["parts"]["q1.a"] == {**empty["parts"]["q1.a"], "attempts": 0, "correct_pct_of_attempts": 0.0,
                                          "correct_pct_of_class": 0.0, "mean_points": 0.0}
        assert (empty["mean_score"], empty["median_score"], empty["quartiles"]) == (0.0, 0.0, [0.0, 0.0])

    def test_score_figures_are_over_the_class(self):
        """mean, median, quartiles and histogram come from each class row's total score."""
        scores = [10.0, 4.0, 6.0, 0.0]   # s1 all right; s2 a only; s3 b and c; s4 nothing
        rows = [row("s1"), row("s2", part("q1.a")), row("s3", part("q1.b"), part("q2.c")),
                row("s4", part("q1.a", "incorrect"))]
        s = build(rows)
        assert [r.score for r in rows] == scores
        assert s["mean_score"] == 5.0
        assert s["median_score"] == 4.0 and s["quartiles"] == [0.0, 6.0]
        assert s["histogram"] == histogram(Counter(scores), 10.0)

    def test_the_mean_is_rounded_to_four_decimals(self):
        """mean_score and mean_points: 4 decimals (1/3 -> 0.3333)."""
        rows = [row("s1", part("q1.b", "partial", 1.0)), row("s2", part("q1.b", "incorrect")),
                row("s3", part("q1.b", "incorrect"))]
        s = build(rows)
        assert s["mean_score"] == 0.3333 and s["parts"]["q1.b"]["mean_points"] == 0.3333

    def test_students_not_enrolled_are_listed_but_count_in_no_figure(self):
        """With a roster, rows of students not enrolled are counted (not_enrolled, status) and an
        unreadable one is listed, but none enters a score or part figure."""
        rows = [row("s1"), row("x9", part("q1.a", "incorrect", interpreted=read("7"))),
                row("x8", status="invalid", message="bad")]
        s = build(rows, roster=["s1", "s2"])
        assert s["not_enrolled"] == 2 and s["submissions"] == 1 and s["mean_score"] == 10.0
        assert s["parts"]["q1.a"]["attempts"] == 1 and s["parts"]["q1.a"]["common_wrong_answers"] == []
        assert s["status"] == {"invalid": 1, "ok": 2}     # every file's status is counted
        assert [u["student"] for u in s["unreadable_files"]] == ["x8"]
        no_roster = build(rows)
        assert no_roster["not_enrolled"] == 0 and no_roster["submissions"] == 3

    def test_an_empty_roster_is_a_roster(self):
        """roster=[] means nobody is enrolled (not "no roster"): every row is outside the class."""
        s = build([row("s1")], roster=[])
        assert s["not_enrolled"] == 1 and s["submissions"] == 0

    def test_duplicate_files_are_listed_and_leave_every_figure_alone(self):
        """A second file for a student: counted and listed with the graded one, nothing else."""
        dup = row("s1", part("q1.a", "incorrect", interpreted=read("5")), status="invalid", message="second")
        s = build([row("s1")], duplicates=[(dup, "s1/answers.yaml")])
        assert s["duplicates"] == 1 and s["rows"] == 2
        assert s["duplicate_files"] == [{"student": "s1", "source": "s1.yaml", "graded": "s1/answers.yaml"}]
        assert s["status"] == {"ok": 1} and s["submissions"] == 1 and s["unreadable_files"] == []
        assert s["parts"]["q1.a"]["common_wrong_answers"] == [] and s["unnamed_files"] == 0

    def test_every_duplicate_file_is_counted(self):
        """Three more files for one student: duplicates is 3, each listed with the graded one."""
        dups = [(row("s1", status="invalid"), "s1.yaml")] * 3
        s = build([row("s1")], duplicates=dups)
        assert s["duplicates"] == 3 and s["rows"] == 4 and len(s["duplicate_files"]) == 3

    def test_a_parts_maximum_keeps_six_decimals(self):
        """A key worth 5 on a problem of 3: part a (2 of 3) is worth 10/3, rounded to 6 decimals, not to units."""
        pset = toy_set()
        pset.entries[0].points = 5.0
        b = SummaryBuilder(pset)
        b.add(row("s1"))
        parts = b.build()["parts"]
        assert (parts["q1.a"]["max_points"], parts["q1.b"]["max_points"]) == (3.333333, 1.666667)

    def test_a_file_naming_nobody_is_unreadable_but_no_row_of_the_class(self):
        """duplicate=True: a file whose name names no student is listed as unreadable, counted as unnamed."""
        odd = SubmissionResult(student="", source="notes.yaml", status="invalid", message="names nobody",
                               parts=(part("q1.a", "invalid"),), max=10.0)
        s = build([row("s1")], duplicates=[(odd, True)])
        assert s["unnamed_files"] == 1 and s["duplicates"] == 0 and s["duplicate_files"] == []
        assert s["unreadable_files"] == [{"student": "", "source": "notes.yaml", "message": "names nobody"}]
        assert s["status"] == {"ok": 1} and s["submissions"] == 1 and s["rows"] == 2

    def test_unreadable_files_are_the_rows_not_ok_nor_missing(self):
        """invalid and error rows are listed with their message; missing rows are not."""
        rows = [row("s1", status="invalid", message="bad yaml"), row("s2", status="missing"),
                row("s3", status="error", message="internal"), row("s4")]
        s = build(rows)
        assert s["unreadable_files"] == [{"student": "s1", "source": "s1.yaml", "message": "bad yaml"},
                                         {"student": "s3", "source": "s3.yaml", "message": "internal"}]

    def test_lists_stop_at_max_listed_but_totals_count_everything(self):
        """Review and unreadable lists keep MAX_LISTED rows; the review total counts all."""
        n = MAX_LISTED + 3
        rows = [row(f"u{i:04d}", status="invalid", message="m") for i in range(n)]
        rows += [row(f"r{i:04d}", part("q1.a", "undecided", check="sampling")) for i in range(n)]
        s = build(rows)
        assert len(s["unreadable_files"]) == MAX_LISTED
        assert s["review"]["total"] == n and len(s["review"]["listed"]) == MAX_LISTED
        dups = [(row(f"d{i}"), "x.yaml") for i in range(n)]
        assert len(build([], duplicates=dups)["duplicate_files"]) == MAX_LISTED
        unnamed = [(row(""), True) for _ in range(n)]
        s = build([], duplicates=unnamed)
        assert s["unnamed_files"] == n and len(s["unreadable_files"]) == MAX_LISTED

    def test_review_lists_undecided_answers_of_readable_files(self):
        """undecided parts of ok rows are listed (student, part, check, answer as read)."""
        rows = [row("s1", part("q1.a", "undecided", check="sampling", interpreted=read("x+1")),
                    part("q1.b", "undecided", check="sympy")),
                row("s2", part("q1.a", "undecided"), status="error", message="internal")]
        review = build(rows)["review"]
        assert review == {"total": 2, "listed": [
            {"student": "s1", "part": "q1.a", "check": "sampling", "answer": "x+1"},
            {"student": "s1", "part": "q1.b", "check": "sympy", "answer": ""}]}

    def test_common_wrong_answers_count_incorrect_and_partial_as_read(self):
        """Wrong answers: incorrect or partial parts with a reading, commonest first, ties by text."""
        rows = []
        for i, (verdict, plain) in enumerate([("incorrect", "b"), ("incorrect", "a"), ("partial", "b"),
                                              ("incorrect", "c"), ("correct", "z"), ("invalid", "y"),
                                              ("incorrect", "c"), ("incorrect", "b")]):
            rows.append(row(f"s{i}", part("q1.a", verdict, interpreted=read(plain))))
        rows.append(row("s9", part("q1.a", "incorrect")))           # no reading: not counted
        wrong = build(rows)["parts"]["q1.a"]["common_wrong_answers"]
        assert wrong == [{"answer": "b", "count": 3}, {"answer": "c", "count": 2}, {"answer": "a", "count": 1}]

    def test_at_most_top_wrong_answers_are_kept_and_long_ones_are_cut(self):
        """TOP_WRONG answers per part; an answer counts by its first MAX_ANSWER_CHARS characters."""
        rows = [row(f"s{i}", part("q1.a", "incorrect", interpreted=read(f"w{i:02d}")))
                for i in range(TOP_WRONG + 5)]
        long = "x" * (MAX_ANSWER_CHARS + 50)
        rows += [row("t1", part("q1.a", "incorrect", interpreted=read(long))),
                 row("t2", part("q1.a", "incorrect", interpreted=read(long + "different tail")))]
        wrong = build(rows)["parts"]["q1.a"]["common_wrong_answers"]
        assert len(wrong) == TOP_WRONG
        assert wrong[0] == {"answer": "x" * MAX_ANSWER_CHARS, "count": 2}
        assert [w["answer"] for w in wrong[1:]] == [f"w{i:02d}" for i in range(TOP_WRONG - 1)]

    def test_distinct_wrong_answers_are_tracked_up_to_a_bound(self, monkeypatch):
        """Past MAX_TRACKED_ANSWERS distinct answers a new one is not tracked; known ones still count."""
        monkeypatch.setattr(reports, "MAX_TRACKED_ANSWERS", 3)
        rows = [row(f"s{i}", part("q1.a", "incorrect", interpreted=read(a)))
                for i, a in enumerate(["a", "b", "c", "d", "d", "a"])]
        wrong = build(rows)["parts"]["q1.a"]["common_wrong_answers"]
        assert wrong == [{"answer": "a", "count": 2}, {"answer": "b", "count": 1}, {"answer": "c", "count": 1}]

    def test_misconceptions_are_counted_per_part_and_sorted_by_how_often_they_fired(self):
        """Every listed misconception of every part is reported (0 when it never fired), commonest first."""
        rows = [row("s1", part("q1.a", "incorrect", misconception="off-by-one"), part("q2.c", "incorrect",
                                                                                    misconception="guess")),
                row("s2", part("q1.a", "partial", 1.0, misconception="off-by-one"), part("q2.c", "missing")),
                row("s3", part("q1.a", "incorrect", misconception="sign-flip"), part("q2.c", "incorrect"))]
        s = build(rows)
        assert s["parts"]["q1.a"]["misconceptions"] == {"sign-flip": 1, "off-by-one": 2}
        assert s["parts"]["q1.b"]["misconceptions"] == {}
        assert s["misconceptions"] == [
            {"part": "q1.a", "misconception": "off-by-one", "count": 2, "percent_of_attempts": 66.7},
            {"part": "q1.a", "misconception": "sign-flip", "count": 1, "percent_of_attempts": 33.3},
            {"part": "q2.c", "misconception": "guess", "count": 1, "percent_of_attempts": 50.0}]

    def test_a_misconception_on_a_part_nobody_attempted_is_zero_percent(self):
        """No attempts: percent_of_attempts is 0, and ties sort by part then name."""
        s = build([row("s1", part("q1.a", "missing"), part("q2.c", "missing"))])
        assert s["misconceptions"] == [
            {"part": "q1.a", "misconception": "off-by-one", "count": 0, "percent_of_attempts": 0.0},
            {"part": "q1.a", "misconception": "sign-flip", "count": 0, "percent_of_attempts": 0.0},
            {"part": "q2.c", "misconception": "guess", "count": 0, "percent_of_attempts": 0.0}]

    def test_a_problem_worth_nothing_has_parts_worth_nothing(self):
        """max_points is 0 when the problem's own points are 0 (no division by zero)."""
        pset = toy_set()
        pset.entries[1].problem.points = 0.0
        s = SummaryBuilder(pset).build()
        assert s["parts"]["q2.c"]["max_points"] == 0.0 and s["parts"]["q1.a"]["max_points"] == 4.0

    def test_extra_fields_are_added_and_the_json_is_stable(self):
        """build(extra) adds fields; summary_json keeps key order, Cyrillic and a final newline."""
        s = build([row("s1")])
        more = SummaryBuilder(PSET)
        more.add(row("s1"))
        assert more.build({"lang": "ru"}) == {**s, "lang": "ru"}
        text = summary_json({"b": "группа", "a": 1})
        assert text == '{\n  "b": "группа",\n  "a": 1\n}\n'
        assert s["set"] == "toy" and list(s)[:3] == ["set", "submissions", "class_size"]


# ---------------------------------------------------------------------------------
# The fast escapes are the standard library's, character for character

from xml.sax.saxutils import escape as sax_escape, quoteattr as sax_quoteattr  # noqa: E402

_NASTY = st.text(alphabet=st.sampled_from(list("&<>\"'\n\r\t a\x00\x0b\ud7ff\ufffe\U0001f600é")), max_size=30)


@given(_NASTY)
def test_attribute_quoting_is_quoteattrs(text):
    assert reports._attr(text) == sax_quoteattr(reports._xml_text(text))


@given(_NASTY)
def test_element_text_escaping_is_escapes(text):
    assert reports._escape(text) == sax_escape(reports._xml_text(text))


@pytest.mark.parametrize("x, text", [(0.0, "0"), (-0.0, "-0"), (1, "1"), (1.0, "1"), (2.345, "2.35"),
                                     (2.344999, "2.34"), (1e7, "1e+07"), (10.5, "10.5")])
def test_points_text_is_the_same_however_often_asked(x, text):
    for _ in range(3):      # the first answer is computed, later ones come from the memo
        assert reports.fmt_points(x) == text
    assert reports.fmt_points(-0.0) == "-0" and reports.fmt_points(0.0) == "0"


# ------------------------------------------------------------------ summaries of slices, merged

_VERDICTS = ("correct", "partial", "incorrect", "undecided", "invalid", "missing")


@st.composite
def summary_rows(draw):
    """Rows and how each is added: wrong answers from a small pool (so they repeat and
    overflow a small cap), odd point values (so float sums depend on their order), some
    rows outside the roster, duplicates and unnamed files."""
    out = []
    for i in range(draw(st.integers(0, 40))):
        parts = []
        for name in MAX:
            v = draw(st.sampled_from(_VERDICTS))
            score = draw(st.sampled_from([0.0, 0.1, 0.2, 1 / 3, 0.7, 1e-9, MAX[name]]))
            answer = draw(st.sampled_from(["1", "2", "x", "y+1", "σ(t)", "0.5"]))
            parts.append(part(name, v, score, interpreted=read(answer) if v != "missing" else None,
                              misconception=draw(st.sampled_from([None, "bug"])) if v == "partial" else None,
                              check=draw(st.sampled_from(["tolerance", "file"]))))
        r = row(draw(st.sampled_from(["s1", "s2", "s3", "x9", ""])) or "", *parts,
                status=draw(st.sampled_from(["ok", "ok", "invalid", "missing"])), message=f"m{i}")
        out.append((r, draw(st.sampled_from([False, False, True, "s1.yaml"]))))
    return out


class TestSummaryMerge:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(summary_rows(), st.lists(st.integers(0, 40), max_size=4), st.sampled_from([None, ["s1", "s2", "s3"]]))
    def test_slices_summarised_apart_and_merged_in_order_equal_one_pass(self, monkeypatch_caps, rows, cuts, roster):
        """SummaryBuilder.merge: any cut of the rows into consecutive slices, each summarised on its own
        (and sent through pickle, as from a worker), merged in order, builds exactly the one-pass summary:
        lists cut at MAX_LISTED, wrong answers capped at MAX_TRACKED_ANSWERS distinct (both made small here)."""
        def summarise(chunk, one_slice=True):
            b = SummaryBuilder(PSET, roster=roster, one_slice=one_slice)
            for r, dup in chunk:
                b.add(r, dup)
            return b
        whole = summarise(rows, one_slice=False).build()
        bounds = [0, *sorted(c for c in cuts if c <= len(rows)), len(rows)]
        merged = SummaryBuilder(PSET, roster=roster)
        for lo, hi in zip(bounds, bounds[1:]):
            merged.merge(pickle.loads(pickle.dumps(summarise(rows[lo:hi]))))
        assert summary_json(merged.build()) == summary_json(whole)

    def test_sums_of_points_do_not_depend_on_the_order_of_the_rows(self):
        """0.1 + 0.2 + 0.3 is not 0.3 + 0.2 + 0.1 in floats; mean_points is the same either way (fsum of counts)."""
        rows = [row(f"s{i}", part("q1.a", "partial", x), part("q1.b"), part("q2.c"))
                for i, x in enumerate([0.1, 0.2, 0.3, 1e16, -1e16, 0.7])]
        forward, backward = build(rows), build(rows[::-1])
        assert forward["parts"]["q1.a"]["mean_points"] == backward["parts"]["q1.a"]["mean_points"] \
            == round((0.1 + 0.2 + 0.3 + 0.7) / 6, 4)
        assert forward["mean_score"] == backward["mean_score"]


@pytest.fixture
def monkeypatch_caps(monkeypatch):
    monkeypatch.setattr(reports, "MAX_LISTED", 3)
    monkeypatch.setattr(reports, "MAX_TRACKED_ANSWERS", 2)
