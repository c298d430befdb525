"""Rules of grader/grading/submission.py: which student a file counts for, what makes a
file unusable (and what the row then says), and how each part of a usable file is graded.

A one-problem set with a tiny solver keeps every expected score known by construction.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.answer_types.registry import ANSWER_TYPES
from grader.bank.model import Part, Problem, ProblemSet, SetEntry
from grader.errors import SubmissionError
from grader.grading import submission as sub
from grader.grading.submission import (INTERNAL_ERROR_TEXT, MAX_ANSWER_FILE_BYTES, Snapshot, SubmissionGrader,
                                       read_answer_file, snapshot, student_from_path)
from grader.lang import sympy_worker
from grader.variants import draw_variant, variant_seed

SECRET = b"rules-submission-secret"
TEXT = {"en": "t", "ru": "t"}


def solver(p, *, bug=None, given=None):
    return {"a": p["n"], "b": 2 * p["n"], "c": 7}


def make_set(lang="en", entry_points=(6.0,), part_points=(1.0, 2.0), budget=10.0, types="number") -> ProblemSet:
    number = ANSWER_TYPES["number"]({})
    parts = tuple(Part(pid, types if i == 0 else "number", pts, TEXT, number)
                  for i, (pid, pts) in enumerate(zip("ab", part_points)))
    prob = Problem(id="p", family="P", topic="t", title=TEXT, statement=TEXT,
                   params={"n": {"type": "int", "min": 1, "max": 10 ** 6}}, constraints=(),
                   solver_name="tests:solver", solver=solver, parts=parts, seed={}, notes="", file="p.yaml")
    entries = tuple(SetEntry(f"q{i + 1}", prob, pts) for i, pts in enumerate(entry_points))
    return ProblemSet(id="s1", title=TEXT, lang=lang, entries=entries, practice=False, file="s1.yaml",
                      time_budget_s=budget)


def truth(pset, student, key="q1"):
    """The reference values of one student's variant, drawn as the grader must draw it."""
    entry = next(e for e in pset.entries if e.key == key)
    return draw_variant(entry.problem, variant_seed(SECRET, pset.id, student, key)).answers


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TestWhoAFileCountsFor:
    @pytest.mark.parametrize("rel, student", [
        ("s001.yaml", "s001"), ("s001.yml", "s001"), ("s001/answers.yaml", "s001"),
        ("a.b_c-d.yaml", "a.b_c-d"),
        ("s001.txt", None), ("s001.yaml.bak", None), ("s001/answers.yml", None), ("s001/other.yaml", None),
        ("x/s001/answers.yaml", None), ("x/s001.yaml", None), ("bad id.yaml", None), ("../answers.yaml", None),
        ("../x.yaml", None),
    ])
    def test_only_the_three_layouts_name_a_student(self, tmp_path, rel, student):
        """DIR/<id>.yaml, DIR/<id>.yml, DIR/<id>/answers.yaml; anything else names nobody."""
        root = tmp_path / "subs"
        assert student_from_path(root / rel, root) == student


class TestSnapshot:
    def test_a_regular_file_is_read_whole(self, tmp_path):
        f = write(tmp_path, "a.yaml", "student: s1\n")
        assert snapshot(f) == Snapshot(b"student: s1\n", 12, None)

    def test_a_file_at_the_limit_is_read_one_byte_more_is_not(self, tmp_path):
        f = tmp_path / "big.yaml"
        f.write_bytes(b"x" * MAX_ANSWER_FILE_BYTES)
        assert snapshot(f).size == MAX_ANSWER_FILE_BYTES and snapshot(f).data is not None
        f.write_bytes(b"x" * (MAX_ANSWER_FILE_BYTES + 1))
        assert snapshot(f) == Snapshot(None, MAX_ANSWER_FILE_BYTES + 1, None)

    def test_a_fifo_is_not_a_regular_file_and_never_blocks(self, tmp_path):
        fifo = tmp_path / "f.yaml"
        os.mkfifo(fifo)
        assert snapshot(fifo) == Snapshot(None, 0, "not a regular file")

    def test_a_missing_file_is_an_error_with_the_reason(self, tmp_path):
        assert snapshot(tmp_path / "none.yaml") == Snapshot(None, 0, "No such file or directory")

    def test_the_digest_changes_with_the_bytes_the_size_and_the_error(self):
        digests = {Snapshot(b"a", 1).digest, Snapshot(b"b", 1).digest, Snapshot(None, 1).digest,
                   Snapshot(None, 2).digest, Snapshot(None, 0, "x").digest, Snapshot(None, 0, "y").digest,
                   Snapshot(None, 0).digest, Snapshot(b"", 0).digest}
        assert len(digests) == 7                 # no data and empty data read the same
        assert all(len(d) == 24 and int(d, 16) >= 0 for d in digests)
        assert Snapshot(b"a", 1).digest == Snapshot(b"a", 1).digest


ENVELOPE = "student: s001\nset: s1\nanswers:\n  q1: {a: 1}\n"


class TestEnvelope:
    def read(self, tmp_path, text, pset=None, expected="s001", name="s001.yaml"):
        return read_answer_file(write(tmp_path, name, text), pset or make_set(), expected)

    def refused(self, tmp_path, text, pset=None, expected="s001") -> str:
        """The reason an envelope is refused; the error always names the file."""
        with pytest.raises(SubmissionError) as err:
            self.read(tmp_path, text, pset, expected)
        assert err.value.file == str(tmp_path / "s001.yaml")
        return err.value.detail

    def test_a_clean_file(self, tmp_path):
        f = self.read(tmp_path, ENVELOPE)
        assert (f.student, f.set_id, f.answers, f.warnings) == ("s001", "s1", {"q1": {"a": 1}}, ())

    def test_an_unreadable_file_says_why_in_the_sets_language(self, tmp_path):
        pset = make_set()
        with pytest.raises(SubmissionError) as err:
            read_answer_file(tmp_path / "s001.yaml", pset, "s001", Snapshot(None, 0, "Permission denied"))
        assert err.value.detail == "the file cannot be read: Permission denied"
        assert err.value.file == str(tmp_path / "s001.yaml")
        with pytest.raises(SubmissionError) as err:
            read_answer_file(tmp_path / "s001.yaml", make_set("ru"), "s001", Snapshot(None, 0, "Permission denied"))
        assert err.value.detail == "файл не читается: Permission denied"

    def test_a_too_large_file_names_its_size_and_the_limit(self, tmp_path):
        with pytest.raises(SubmissionError) as err:
            read_answer_file(tmp_path / "s001.yaml", make_set(), "s001", Snapshot(None, 300_000))
        assert err.value.detail == "file is 300,000 bytes; the limit is 262,144"
        assert err.value.file == str(tmp_path / "s001.yaml")

    def test_the_given_snapshot_is_what_is_graded(self, tmp_path):
        """A batch digests the bytes it read: the file is not read a second time."""
        path = write(tmp_path, "s001.yaml", "not: this\n")
        f = read_answer_file(path, make_set(), "s001", Snapshot(ENVELOPE.encode(), len(ENVELOPE)))
        assert f.answers == {"q1": {"a": 1}}

    def test_binary_bytes_are_refused(self, tmp_path):
        path = tmp_path / "s001.yaml"
        path.write_bytes(b"student: s001\x00\n")
        with pytest.raises(SubmissionError, match="binary"):
            read_answer_file(path, make_set(), "s001")

    @pytest.mark.parametrize("lang, prefix", [("en", "line 2: "), ("ru", "строка 2: ")])
    def test_a_yaml_error_names_its_line_in_the_sets_language(self, tmp_path, lang, prefix):
        detail = self.refused(tmp_path, "student: s001\nset: a: b\n", make_set(lang))   # error on line 2
        assert detail.startswith(prefix) and len(detail) > len(prefix)

    def test_a_yaml_error_without_a_line_has_no_line_prefix(self, tmp_path):
        nodes = "answers: [" + ", ".join(["1"] * (sub.MAX_ANSWER_NODES + 5)) + "]\n"
        detail = self.refused(tmp_path, nodes)
        assert not detail.startswith("line") and detail

    @pytest.mark.parametrize("text, detail", [
        ("- 1\n- 2\n", "expected a mapping with fields student, set, answers"),
        ("student: a b\nset: s1\n", "field 'student' must be an id of letters, digits, '.', '_' or '-' "
                                    "(got 'a b')"),
        ("set: s1\n", "field 'student' must be an id of letters, digits, '.', '_' or '-' (got None)"),
        ("student: s002\nset: s1\n", "the file says student 's002' but is filed as 's001'"),
        ("student: s001\nset: other\n", "field 'set' is 'other', but this is set 's1'"),
        ("student: s001\n", "field 'set' is None, but this is set 's1'"),
        ("student: s001\nset: s1\nanswers: [1]\n", "field 'answers' must be a mapping of problem keys"),
    ])
    def test_each_unusable_envelope_says_what_is_wrong(self, tmp_path, text, detail):
        assert self.refused(tmp_path, text) == detail

    def test_a_numeric_student_id_is_read_as_its_text(self, tmp_path):
        f = read_answer_file(write(tmp_path, "12345.yaml", "student: 12345\nset: s1\n"), make_set(), "12345")
        assert f.student == "12345" and f.answers == {}

    def test_without_an_expected_student_any_valid_id_is_taken(self, tmp_path):
        assert self.read(tmp_path, ENVELOPE.replace("s001", "zz9"), expected=None).student == "zz9"

    def test_a_numeric_set_id_compares_as_text(self, tmp_path):
        pset = make_set()
        pset = ProblemSet(**{**pset.__dict__, "id": "2024"})
        f = self.read(tmp_path, "student: s001\nset: 2024\n", pset)
        assert f.set_id == "2024"

    def test_empty_answers_are_no_answers(self, tmp_path):
        f = self.read(tmp_path, "student: s001\nset: s1\nanswers:\n")
        assert f.answers == {} and f.warnings == ()

    def test_unknown_fields_keys_and_parts_are_warned_about_and_dropped(self, tmp_path):
        text = ("student: s001\nset: s1\nextra: 1\nanswers:\n  q9: {a: 1}\n  q1: {a: 1, z: 2, b: 3}\n"
                "  q2: 5\n  q3:\n")
        pset = make_set(entry_points=(6.0, 6.0, 6.0))
        f = self.read(tmp_path, text, pset)
        assert f.answers == {"q1": {"a": 1, "b": 3}}
        assert f.warnings == (
            "unknown top-level field 'extra' ignored",
            "unknown problem key 'q9' ignored (the set has q1, q2, q3)",
            "unknown part 'q1.z' ignored (expected a, b)",
            "answers.q2 should map part ids to answers; ignored",
        )


class FailingType(type(ANSWER_TYPES["number"]({}))):
    """A number type with a bug: reading any answer raises (stands in for a grader bug)."""

    def read(self, raw, ctx):
        raise RuntimeError("grader bug")


class TestGrading:
    def grader(self, pset=None, lang=None):
        return SubmissionGrader(pset or make_set(), SECRET, lang)

    def test_each_problem_is_graded_against_the_students_own_variant(self):
        """Variant seed = HMAC(secret, set, student, key): another student's values earn nothing."""
        pset = make_set(entry_points=(6.0, 3.0))
        mine, theirs = truth(pset, "s001", "q1"), truth(pset, "s002", "q1")
        assert mine != theirs
        res = self.grader(pset).grade_answers("s001", {"q1": {"a": mine["a"], "b": theirs["b"]},
                                                       "q2": {"a": truth(pset, "s001", "q2")["a"]}})
        assert [(p.key, p.part, p.verdict) for p in res.parts] == [
            ("q1", "a", "correct"), ("q1", "b", "incorrect"), ("q2", "a", "correct"), ("q2", "b", "missing")]

    def test_part_points_are_scaled_to_the_sets_weight(self):
        """A problem of 1 + 2 points weighed 6 in the set: the parts are worth 2 and 4."""
        pset = make_set(entry_points=(6.0,))
        t = truth(pset, "s001")
        res = self.grader(pset).grade_answers("s001", {"q1": {"a": t["a"], "b": t["b"]}}, "s001.yaml", ("w",))
        assert [(p.score, p.max) for p in res.parts] == [(2.0, 2.0), (4.0, 4.0)]
        assert (res.student, res.source, res.status, res.max, res.warnings, res.score) == (
            "s001", "s001.yaml", "ok", 6.0, ("w",), 6.0)

    def test_a_problem_of_zero_points_scales_to_zero_without_dividing(self):
        pset = make_set(part_points=(0.0, 0.0))
        t = truth(pset, "s001")
        res = self.grader(pset).grade_answers("s001", {"q1": {"a": t["a"]}})
        assert [(p.verdict, p.score, p.max) for p in res.parts] == [("correct", 0.0, 0.0), ("missing", 0.0, 0.0)]

    def test_the_grader_speaks_the_sets_language_unless_told(self):
        assert self.grader(make_set("ru")).lang == "ru"
        assert self.grader(make_set("ru"), "en").lang == "en"

    def test_a_grader_bug_is_an_undecided_part_and_the_rest_is_graded(self, capsys):
        """Never silently wrong: the failing part is undecided (0 points, for review), named on stderr."""
        pset = make_set(entry_points=(6.0,))
        broken = Part("a", "number", 1.0, TEXT, FailingType({}))
        prob = pset.entries[0].problem
        prob = Problem(**{**prob.__dict__, "parts": (broken,) + prob.parts[1:]})
        pset = ProblemSet(**{**pset.__dict__, "entries": (SetEntry("q1", prob, 6.0),)})
        t = truth(pset, "s001")
        for lang in ("en", "ru"):
            res = self.grader(pset, lang).grade_answers("s001", {"q1": {"a": 1, "b": t["b"]}})
            a, b = res.parts
            assert (a.verdict, a.score, a.max, a.check) == ("undecided", 0.0, 2.0, "internal-error:RuntimeError")
            assert a.feedback == INTERNAL_ERROR_TEXT[lang] and (a.key, a.part) == ("q1", "a")
            assert b.verdict == "correct"
            assert capsys.readouterr().err == "grader: internal error while grading s001: q1.a: RuntimeError: grader bug\n"

    def test_the_files_time_budget_bounds_every_part(self, monkeypatch):
        """grade_answers opens the set's time budget; parts graded after it ran out are undecided."""
        seen = []
        real = sympy_worker.deadline

        def spy(seconds):
            seen.append(seconds)
            return real(seconds)
        monkeypatch.setattr(sub.sympy_worker, "deadline", spy)
        t = truth(make_set(budget=2.5), "s001")
        res = self.grader(make_set(budget=2.5)).grade_answers("s001", {"q1": {"a": t["a"]}})
        assert seen == [2.5] and res.parts[0].verdict == "correct"
        res = self.grader(make_set(budget=-1.0)).grade_answers("s001", {"q1": {"a": t["a"], "b": t["b"]}})
        assert [p.verdict for p in res.parts] == ["undecided", "undecided"]
        assert all(p.check == "time-budget" for p in res.parts)

    @pytest.mark.parametrize("kind, prewarmed", [("number", 0), ("expression", 1), ("matrix-expression", 1)])
    def test_symbolic_parts_start_the_worker_early(self, monkeypatch, kind, prewarmed):
        calls = []
        monkeypatch.setattr(sub.sympy_worker, "prewarm", lambda: calls.append(1))
        SubmissionGrader(make_set(types=kind), SECRET)
        assert len(calls) == prewarmed

    def test_sampling_seeds_and_the_memo_reach_each_problem(self, monkeypatch):
        made = []
        real = sub.ProblemGrader

        def spy(key, variant, scale, lang, **kw):
            made.append((key, scale, lang, kw))
            return real(key, variant, scale, lang, **kw)
        monkeypatch.setattr(sub, "ProblemGrader", spy)
        memo = object()
        pset = make_set(entry_points=(6.0, 3.0))
        SubmissionGrader(pset, SECRET, "ru", memo=memo, sampling_seeds={"q2": 99})._grade_parts("s1", {}, [])
        assert made == [("q1", 2.0, "ru", {"sampling_seed": None, "memo": memo}),
                        ("q2", 1.0, "ru", {"sampling_seed": 99, "memo": memo})]


class TestRows:
    def test_an_empty_row_lists_every_part_with_its_scaled_max(self):
        pset = make_set(entry_points=(6.0, 3.0))
        row = SubmissionGrader(pset, SECRET).empty("s001", "missing")
        assert [(p.key, p.part, p.verdict, p.max, p.check, p.feedback) for p in row.parts] == [
            ("q1", "a", "missing", 2.0, "file", ""), ("q1", "b", "missing", 4.0, "file", ""),
            ("q2", "a", "missing", 1.0, "file", ""), ("q2", "b", "missing", 2.0, "file", "")]
        assert (row.student, row.status, row.message, row.source, row.max, row.score) == (
            "s001", "missing", "", "", 9.0, 0.0)

    def test_an_unusable_file_is_invalid_with_the_message_once_in_the_sets_language(self):
        row = SubmissionGrader(make_set("ru"), SECRET).empty("s001", "invalid",
                                                              "student 's001' is not enrolled in the roster", "x")
        assert {p.verdict for p in row.parts} == {"invalid"} and row.status == "invalid"
        assert row.message == "студента 's001' нет в списке группы"
        assert all(p.feedback == "" for p in row.parts) and row.source == "x"

    def test_a_file_that_names_nobody_is_an_invalid_row_for_nobody(self, tmp_path):
        root = tmp_path / "subs"
        path = write(root, "notes.txt", ENVELOPE)
        row = SubmissionGrader(make_set(), SECRET).grade_file(path, root, None)
        assert (row.student, row.status, row.source) == ("", "invalid", "notes.txt")
        assert row.message.startswith("the file name names no student, so it is not graded")

    def test_an_unusable_file_is_an_invalid_row_for_the_student_its_path_names(self, tmp_path):
        root = tmp_path / "subs"
        path = write(root, "s001/answers.yaml", "student: s002\nset: s1\n")
        row = SubmissionGrader(make_set(), SECRET).grade_file(path, root, None)
        assert (row.student, row.status, row.source) == ("s001", "invalid", "s001/answers.yaml")
        assert row.message == "the file says student 's002' but is filed as 's001'"

    def test_a_student_outside_the_roster_is_not_graded(self, tmp_path):
        root = tmp_path / "subs"
        path = write(root, "s001.yaml", ENVELOPE)
        grader = SubmissionGrader(make_set(), SECRET)
        row = grader.grade_file(path, root, {"s002"})
        assert (row.student, row.status) == ("s001", "invalid")
        assert row.message == "student 's001' is not enrolled in the roster"
        assert grader.grade_file(path, root, {"s001"}).status == "ok"

    def test_a_usable_file_is_graded_with_its_warnings(self, tmp_path):
        root = tmp_path / "subs"
        pset = make_set()
        a = truth(pset, "s001")["a"]
        path = write(root, "s001.yaml", f"student: s001\nset: s1\nextra: 1\nanswers:\n  q1: {{a: {a}}}\n")
        row = SubmissionGrader(pset, SECRET).grade_file(path, root, None)
        assert (row.student, row.status, row.source, row.warnings) == (
            "s001", "ok", "s001.yaml", ("unknown top-level field 'extra' ignored",))
        assert [p.verdict for p in row.parts] == ["correct", "missing"]
        snap = Snapshot(b"student: s001\nset: s1\n", 22)
        assert [p.verdict for p in SubmissionGrader(pset, SECRET).grade_file(path, root, None, snap).parts] == [
            "missing", "missing"]


class TestMessages:
    def test_a_language_without_a_translation_reads_english(self):
        assert sub.message("unreadable", "de", why="x") == "the file cannot be read: x"
        assert sub.message("unreadable", "ru", why="x") == "файл не читается: x"

    def test_an_internal_error_report_keeps_every_line_of_the_exception(self, capsys):
        exc = ValueError("bad value")
        exc.add_note("while reading q1.a")
        sub.report_internal_error("s1: q1.a", exc)
        assert capsys.readouterr().err == ("grader: internal error while grading s1: q1.a: ValueError: bad value\n"
                                           "while reading q1.a\n")


def test_an_empty_rows_maxima_are_rounded_to_six_decimals():
    """A problem of 1 + 2 points weighed 1: its parts are worth a third and two thirds."""
    row = SubmissionGrader(make_set(entry_points=(1.0,)), SECRET).empty("s001", "invalid", "x")
    assert [p.max for p in row.parts] == [0.333333, 0.666667]


class TestReadingRulesSeenInProcess:
    """Rules of reading one answer file that the batch tests prove only through `grader` subprocesses."""

    def test_a_yaml_error_is_worded_in_the_sets_language(self, tmp_path):
        """The parser's own message (not only the line prefix) is in the set's language."""
        path = write(tmp_path, "s001.yaml", "student: s001\nset: a: b\n")
        with pytest.raises(SubmissionError) as err:
            read_answer_file(path, make_set("ru"), "s001")
        assert err.value.detail.startswith("строка 2: некорректный YAML: ")

    def test_bytes_beyond_the_answer_limit_are_refused_even_when_read(self, tmp_path):
        """A file that grew past the limit after its size was checked is still refused by its bytes."""
        text = ENVELOPE + "#" * (MAX_ANSWER_FILE_BYTES + 1 - len(ENVELOPE) - 1) + "\n"
        data = text.encode()
        assert len(data) == MAX_ANSWER_FILE_BYTES + 1
        with pytest.raises(SubmissionError) as err:
            read_answer_file(tmp_path / "s001.yaml", make_set(), "s001", Snapshot(data, len(data)))
        assert err.value.detail == f"file is {MAX_ANSWER_FILE_BYTES + 1:,} bytes; the limit is {MAX_ANSWER_FILE_BYTES:,}"

    def test_a_student_outside_the_roster_keeps_the_files_path(self, tmp_path):
        """The not-enrolled row names the file it came from (relative to the submissions folder)."""
        root = tmp_path / "subs"
        path = write(root, "s001/answers.yaml", ENVELOPE)
        row = SubmissionGrader(make_set(), SECRET).grade_file(path, root, {"s002"})
        assert (row.status, row.source) == ("invalid", "s001/answers.yaml")

    def test_an_answer_file_is_opened_without_blocking(self, tmp_path, monkeypatch):
        """O_NONBLOCK: a FIFO swapped in after the regular-file check cannot hang the grader."""
        flags = []
        real_open = os.open

        def recording_open(path, flag, *args):
            flags.append(flag)
            return real_open(path, flag, *args)
        monkeypatch.setattr(sub.os, "open", recording_open)
        assert snapshot(write(tmp_path, "a.yaml", "x: 1\n")).data == b"x: 1\n"
        assert flags and all(f & os.O_NONBLOCK for f in flags)
