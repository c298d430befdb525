"""The rules of a batch (grader/grading/batch.py), in-process and small.

The end-to-end batch tests run `grader grade` in subprocesses (kills, full disks, real
workers), which mutation testing cannot see. These call the batch's own functions, and
``grade_batch`` with one worker (it then grades in this process) on a one-problem set:
which files are submissions, which rows are written and in what order, what a row's and
the manifest's digests depend on, what ``--resume`` keeps and what it refuses.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
import yaml

from grader.bank.loader import load_set
from grader.errors import InputError, UsageError
from grader.fsio import OutputLock
from grader.grading import batch
from grader.grading.batch import (INTERNAL_ERROR_MESSAGE, MANIFEST, REPORTS, RESULTS, STATS, WorkItem,
                                  build_manifest, clear_outputs, current_inputs, describe_changes, discover,
                                  grade_batch, item_inputs, iter_lines, iter_rows, parse_shard, plan,
                                  read_line, read_manifest, read_stats, result_line, secret_tag, shard_items)
from grader.render.sheets import student_variants

SECRET = b"test-secret-0123456789"
SET_YAML = """id: one
title: {en: "One problem", ru: "Одна задача"}
lang: en
problems:
  - {key: q1, problem: mlp-param-count, points: 5}
"""


@pytest.fixture(scope="module")
def pset(tmp_path_factory):
    path = tmp_path_factory.mktemp("set") / "one.yaml"
    path.write_text(SET_YAML, encoding="utf-8")
    return load_set(path)


def key_answers(pset, student: str) -> dict:
    return {e.key: {p.id: p.answer.key_value(v.answers[p.id]) for p in e.problem.parts}
            for e, v in student_variants(pset, SECRET, student)}


def write(folder: Path, name: str, student: str, answers: dict | str, set_id: str = "one") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(answers, str):
        path.write_text(answers, encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump({"student": student, "set": set_id, "answers": answers}), encoding="utf-8")
    return path


def lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / RESULTS).read_text(encoding="utf-8").splitlines()]


def files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in (STATS, ".lock")}


# ------------------------------------------------------------------ what is a submission

class TestDiscoverAndPlan:
    def test_answer_files_are_the_three_spec_forms_in_path_order(self, tmp_path):
        """DIR/*.yaml, DIR/*.yml, DIR/<id>/answers.yaml; other files and folders are not submissions."""
        for name in ("b.yaml", "a.yml", "c/answers.yaml", "notes.txt", "d/other.yaml", "weird name.yaml"):
            write(tmp_path, name, "x", "x: 1\n")
        (tmp_path / "empty").mkdir()
        assert discover(tmp_path) == [("a.yml", None), ("b.yaml", None), ("c/answers.yaml", None),
                                      ("weird name.yaml", None)]

    def test_a_folder_named_like_an_answer_file_is_looked_into(self, tmp_path):
        """A folder `x.yaml/` is no file: it counts only with an answers.yaml inside."""
        (tmp_path / "x.yaml").mkdir()
        write(tmp_path, "y.yml/answers.yaml", "y", "a: 1\n")
        assert discover(tmp_path) == [("y.yml/answers.yaml", None)]

    def test_a_broken_link_is_still_an_entry(self, tmp_path):
        """A dangling link named like an answer file is listed (its row will say it cannot be read)."""
        os.symlink(tmp_path / "nowhere", tmp_path / "s1.yaml")
        assert discover(tmp_path) == [("s1.yaml", None)]

    def test_plan_is_by_student_then_path_with_every_roster_student(self, tmp_path):
        """Items sorted by student id then path; enrolled students without a file get an item without a path."""
        for name in ("s2.yaml", "s1.yml", "odd-name.txt.yaml/x", "bad name.yaml"):
            write(tmp_path, name, "x", "a: 1\n")
        items = plan(tmp_path, ["s3", "s1", "s3"])
        assert [(w.student, w.path) for w in items] == [("", "bad name.yaml"), ("s1", "s1.yml"),
                                                        ("s2", "s2.yaml"), ("s3", None)]
        assert plan(tmp_path, None)[-1] == WorkItem("s2", "s2.yaml")

    def test_a_students_second_file_is_a_duplicate_of_the_graded_one(self, tmp_path):
        """One graded row per student (the first by path); the others point at it, and it lists them."""
        for name in ("s1.yaml", "s1/answers.yaml", "s1.yml"):
            write(tmp_path, name, "s1", "a: 1\n")
        items = plan(tmp_path, None)
        assert items == [WorkItem("s1", "s1.yaml", also=("s1.yml", "s1/answers.yaml")),
                         WorkItem("s1", "s1.yml", duplicate_of="s1.yaml"),
                         WorkItem("s1", "s1/answers.yaml", duplicate_of="s1.yaml")]

    def test_ids_differing_in_case_are_one_student_graded_as_the_roster_spells_it(self, tmp_path):
        """Ann.yaml and ann.yaml would share feedback/ann.md: one is graded, the roster's spelling first."""
        write(tmp_path, "Ann.yaml", "Ann", "a: 1\n")
        write(tmp_path, "ann.yaml", "ann", "a: 1\n")
        no_roster = plan(tmp_path, None)
        assert [(w.student, w.duplicate_of) for w in no_roster] == [("Ann", None), ("ann", "Ann.yaml")]
        rostered = plan(tmp_path, ["ann"])
        assert [(w.student, w.path, w.duplicate_of, w.also) for w in rostered] == [
            ("Ann", "Ann.yaml", "ann.yaml", ()), ("ann", "ann.yaml", None, ("Ann.yaml",))]

    @pytest.mark.parametrize("text,shard", [(None, None), ("1/1", (1, 1)), ("2/4", (2, 4)), ("4/4", (4, 4))])
    def test_a_shard_is_i_of_n(self, text, shard):
        """--shard i/n with 1 <= i <= n."""
        assert parse_shard(text) == shard

    @pytest.mark.parametrize("text,says", [("0/4", "expected 1 <= i <= n"), ("5/4", "expected 1 <= i <= n"),
                                           ("2", "expected i/n"), ("a/b", "expected i/n"), ("1/2/3", "expected i/n")])
    def test_a_bad_shard_is_a_usage_error(self, text, says):
        """Anything else is refused with what was expected."""
        with pytest.raises(UsageError, match=says):
            parse_shard(text)

    def test_shards_split_the_plan_without_overlap(self):
        """Shard i of n keeps every n-th item from the i-th; together they are the plan."""
        items = [WorkItem(f"s{i}", f"s{i}.yaml") for i in range(7)]
        shards = [shard_items(items, (i, 3)) for i in (1, 2, 3)]
        assert shards[0] == items[0::3] and shards[1] == items[1::3] and shards[2] == items[2::3]
        assert sorted(sum(shards, []), key=items.index) == items
        assert shard_items(items, None) == items


# ------------------------------------------------------------------ what a row depends on

class TestRowDigests:
    def test_a_rows_inputs_change_with_each_fact_it_depends_on(self):
        """item_inputs: student, path, duplicate_of, other files, entry error, enrolment, file bytes."""
        base = WorkItem("s1", "s1.yaml")
        ref = item_inputs(base, {"s1"}, "d1")
        variants = [item_inputs(WorkItem("s2", "s1.yaml"), {"s1"}, "d1"),
                    item_inputs(WorkItem("s1", "s1.yml"), {"s1"}, "d1"),
                    item_inputs(WorkItem("s1", "s1.yaml", duplicate_of="x"), {"s1"}, "d1"),
                    item_inputs(WorkItem("s1", "s1.yaml", also=("x",)), {"s1"}, "d1"),
                    item_inputs(WorkItem("s1", "s1.yaml", error="EACCES"), {"s1"}, "d1"),
                    item_inputs(base, set(), "d1"), item_inputs(base, None, "d1"), item_inputs(base, {"s1"}, "d2")]
        assert len({ref, *variants}) == 1 + len(variants)
        assert item_inputs(base, {"s1", "s9"}, "d1") == ref      # other students' enrolment is not this row's
        assert len(ref) == 24 and int(ref, 16) >= 0

    def test_current_inputs_read_the_file_only_for_a_graded_file(self, tmp_path):
        """The file's digest counts for a file that is graded; not for a duplicate, a missing or unnamed one."""
        write(tmp_path, "s1.yaml", "s1", "a: 1\n")
        graded = WorkItem("s1", "s1.yaml")
        before = current_inputs(graded, tmp_path, None)
        others = [WorkItem("s1", "s1.yaml", duplicate_of="s1/answers.yaml"), WorkItem("", "s1.yaml"),
                  WorkItem("s1", "s1.yaml", error="EIO")]
        others_before = [current_inputs(w, tmp_path, None) for w in others]
        write(tmp_path, "s1.yaml", "s1", "a: 2\n")
        assert current_inputs(graded, tmp_path, None) != before
        assert [current_inputs(w, tmp_path, None) for w in others] == others_before
        assert current_inputs(WorkItem("s2", None), tmp_path, None) == item_inputs(WorkItem("s2", None), None, "")

    def test_a_line_carries_a_checksum_that_catches_any_change(self):
        """result_line appends row_digest; read_line gives the row back, or None if anything changed."""
        data = {"ident": "s1\x1fs1.yaml", "b": [1, 2], "a": "группа"}
        line = result_line(data)
        assert json.loads(line)["row_digest"] and "группа" in line and "\n" not in line
        assert read_line(line.encode()) == data
        assert read_line(line.replace("группа", "группы").encode()) is None
        assert read_line(line.replace('[1, 2]', '[1, 3]').encode()) is None
        assert read_line(json.dumps(data).encode()) is None            # no checksum
        assert read_line(line[:-5].encode()) is None                   # torn
        assert read_line(b"[1, 2]") is None and read_line(b"") is None and read_line(b"\xff") is None
        assert read_line(b'{"row_digest": 5}') is None

    def test_the_checksum_does_not_depend_on_key_order(self):
        """Rows are written with sorted keys: the same row gives the same line."""
        assert result_line({"a": 1, "b": 2}) == result_line({"b": 2, "a": 1})


# ------------------------------------------------------------------ the manifest

class TestManifest:
    def manifest(self, pset, **kw):
        args = {"secret": SECRET, "lang": "en", "plan_all": [WorkItem("s1", "s1.yaml"), WorkItem("s2", None)],
                "shard": None, "items": 2, "formats": (), "roster": None}
        args.update(kw)
        return build_manifest(pset, args.pop("secret"), args.pop("lang"), args.pop("plan_all"), args.pop("shard"),
                              args.pop("items"), args.pop("formats"), args.pop("roster"))

    def test_the_manifest_names_every_batch_wide_input(self, pset):
        """version, set, its files' digests, language, a tag of the secret, formats, roster, plan, shard, items."""
        m = self.manifest(pset, shard=(2, 3), items=1, formats=("gradescope",), roster=["s2", "s1", "s1"])
        assert m["version"] == batch.MANIFEST_VERSION and m["set"] == "one" and m["set_file"] == pset.file
        assert (m["lang"], m["shard"], m["items"], m["formats"], m["plan_items"]) == ("en", "2/3", 1, ["gradescope"], 2)
        assert pset.file in m["files"] and any(f.endswith("mlp-param-count.yaml") for f in m["files"])
        assert any(f.endswith(".py") for f in m["files"])        # the solver's code
        assert all(len(d) == 16 for d in m["files"].values())
        assert m["secret_tag"] == secret_tag(SECRET) and SECRET.decode() not in json.dumps(m)
        assert m["roster_digest"] == self.manifest(pset, roster=["s1", "s2"])["roster_digest"]
        assert self.manifest(pset)["roster_digest"] is None and self.manifest(pset)["shard"] is None

    def test_each_input_changes_the_manifest_where_it_should(self, pset):
        """Another secret, plan or roster gives another tag or digest; the same inputs the same manifest."""
        m = self.manifest(pset)
        assert self.manifest(pset) == m
        assert self.manifest(pset, secret=b"another-secret-0123456789")["secret_tag"] != m["secret_tag"]
        assert self.manifest(pset, plan_all=[WorkItem("s1", "s1.yaml")])["plan_digest"] != m["plan_digest"]
        assert self.manifest(pset, roster=["s1"])["roster_digest"] != self.manifest(pset, roster=["s2"])["roster_digest"]
        assert len(secret_tag(SECRET)) == 12 and secret_tag(SECRET) != secret_tag(SECRET + b"x")

    def test_an_unreadable_bank_file_is_recorded_as_such(self, pset, monkeypatch):
        """A bank file that cannot be read is 'unreadable' in the manifest, not a crash."""
        monkeypatch.setattr(batch, "bank_files", lambda _: [Path(pset.file), Path("/nonexistent/x.yaml")])
        m = self.manifest(pset)
        assert m["files"]["/nonexistent/x.yaml"] == "unreadable"

    def test_the_set_digest_follows_the_files_contents(self, pset, monkeypatch, tmp_path):
        """Editing any file the grades depend on changes set_digest."""
        extra = tmp_path / "helper.py"
        extra.write_text("x = 1\n")
        monkeypatch.setattr(batch, "bank_files", lambda _: [Path(pset.file), extra])
        before = self.manifest(pset)["set_digest"]
        extra.write_text("x = 2\n")
        assert self.manifest(pset)["set_digest"] != before

    def test_changes_are_named(self):
        """describe_changes names each batch-wide setting that differs, in words; the rest is not a change."""
        m = {"version": 2, "set": "a", "set_digest": "d", "files": {"x": "1"}, "lang": "en", "secret_tag": "t",
             "shard": None, "items": 3, "formats": [], "plan_digest": "p"}
        assert describe_changes(m, dict(m, items=4, formats=["gradescope"], plan_digest="q")) == []
        assert describe_changes(m, dict(m, version=3)) == ["the grader's result format"]
        assert describe_changes(m, dict(m, set="b")) == ["the set id"]
        assert describe_changes(m, dict(m, lang="ru")) == ["the language"]
        assert describe_changes(m, dict(m, secret_tag="u")) == ["the secret"]
        assert describe_changes(m, dict(m, shard="1/2")) == ["the shard"]
        assert describe_changes(m, dict(m, lang="ru", shard="1/2")) == ["the language", "the shard"]

    def test_changed_bank_files_are_named_up_to_four(self):
        """The files whose digests differ (added, removed or edited), sorted; past four, how many more."""
        old = {"version": 2, "set_digest": "d", "files": {"b": "1", "a": "1", "c": "1"}}
        assert describe_changes(old, dict(old, set_digest="e", files={"a": "2", "b": "1", "d": "1"})) == \
            ["bank files (a, c, d)"]
        many = {f"f{i}": "2" for i in range(6)}
        assert describe_changes(old, dict(old, set_digest="e", files=many)) == \
            ["bank files (a, b, c, f0 and 5 more)"]
        assert describe_changes(old, dict(old, set_digest="e")) == ["bank files (the set, problem or solver files)"]
        assert describe_changes({"set_digest": "d"}, {"set_digest": "e"}) == \
            ["bank files (the set, problem or solver files)"]

    def test_a_missing_or_broken_manifest_reads_as_none(self, tmp_path):
        """read_manifest: no file or not JSON -> None; read_stats likewise gives {}."""
        assert read_manifest(tmp_path) is None and read_stats(tmp_path) == {}
        (tmp_path / MANIFEST).write_text("{oops")
        (tmp_path / STATS).write_text("[")
        assert read_manifest(tmp_path) is None and read_stats(tmp_path) == {}
        (tmp_path / MANIFEST).write_text('{"set": "one"}')
        (tmp_path / STATS).write_text('{"graded": 2}')
        assert read_manifest(tmp_path) == {"set": "one"} and read_stats(tmp_path) == {"graded": 2}


# ------------------------------------------------------------------ what resume keeps

def scan(tmp_path, raw_lines: list[bytes], items, expected):
    path = tmp_path / RESULTS
    path.write_bytes(b"".join(raw_lines))
    return batch._scan(path, items, expected)


class TestScan:
    items = [WorkItem(f"s{i}", f"s{i}.yaml") for i in range(3)]

    def line(self, i: int, inputs: str = "ok") -> bytes:
        return (result_line({"ident": self.items[i].ident, "inputs": inputs}) + "\n").encode()

    @property
    def expected(self):
        return {w.ident: "ok" for w in self.items}

    def test_matching_lines_in_plan_order_are_a_prefix(self, tmp_path):
        """Every line complete, checked and current, in plan order: all kept, appended after."""
        raw = [self.line(0), self.line(1), self.line(2)]
        assert scan(tmp_path, raw, self.items, self.expected) == (3, sum(map(len, raw)), {})

    def test_a_stale_line_ends_the_prefix_and_later_good_lines_are_kept_elsewhere(self, tmp_path):
        """A line whose inputs changed is regraded; the good lines after it are kept by offset."""
        raw = [self.line(0), self.line(1, inputs="old"), self.line(2)]
        prefix, size, elsewhere = scan(tmp_path, raw, self.items, self.expected)
        assert (prefix, size) == (1, len(raw[0]))
        assert elsewhere == {self.items[2].ident: (len(raw[0]) + len(raw[1]), len(raw[2]))}

    def test_lines_out_of_order_are_kept_elsewhere(self, tmp_path):
        """Kept lines need not be in plan order: those after the prefix are copied by offset."""
        raw = [self.line(1), self.line(0)]
        prefix, size, elsewhere = scan(tmp_path, raw, self.items, self.expected)
        assert (prefix, size) == (0, 0)
        assert elsewhere == {self.items[1].ident: (0, len(raw[0])), self.items[0].ident: (len(raw[0]), len(raw[1]))}

    def test_a_torn_last_line_ends_the_scan(self, tmp_path):
        """A line without its newline (a kill mid-write) is never kept, even if it parses."""
        raw = [self.line(0), self.line(1)[:-1]]
        assert scan(tmp_path, raw, self.items, self.expected) == (1, len(raw[0]), {})

    def test_corrupt_unknown_and_repeated_lines_are_not_kept(self, tmp_path):
        """A bad checksum, an item no longer planned, or a second line for an item: dropped."""
        other = (result_line({"ident": "gone\x1fgone.yaml", "inputs": "ok"}) + "\n").encode()
        corrupt = self.line(1).replace(b'"ok"', b'"ko"', 1)
        raw = [self.line(0), self.line(0), corrupt, other, self.line(2)]
        prefix, size, elsewhere = scan(tmp_path, raw, self.items, self.expected)
        assert (prefix, size) == (1, len(raw[0]))
        assert list(elsewhere) == [self.items[2].ident]

    def test_no_results_file_keeps_nothing(self, tmp_path):
        """Nothing to resume from: grade everything."""
        assert batch._scan(tmp_path / RESULTS, self.items, self.expected) == (0, 0, {})


# ------------------------------------------------------------------ a whole batch, in this process

@pytest.fixture
def klass(pset, tmp_path):
    """s1 and s2 right, s3 with a broken file, s1 with a second file, a file naming nobody; s4 absent."""
    subs = tmp_path / "subs"
    for s in ("s1", "s2"):
        write(subs, f"{s}.yaml", s, key_answers(pset, s))
    write(subs, "s1/answers.yaml", "s1", key_answers(pset, "s1"))
    write(subs, "s3.yaml", "s3", "student: s3\nset: one\nanswers: {q1: [unclosed\n")
    write(subs, "notes here.yaml", "s2", key_answers(pset, "s2"))
    return subs, ["s1", "s2", "s3", "s4"]


def run(pset, subs, out, roster, **kw):
    return grade_batch(pset, kw.pop("secret", SECRET), subs, out, roster=roster, workers=1, **kw)


class TestBatch:
    def test_every_plan_item_is_one_line_in_plan_order(self, pset, klass, tmp_path):
        """results.jsonl: one checked line per item (student, path order), each with its row's facts."""
        subs, roster = klass
        out = tmp_path / "out"
        summary = run(pset, subs, out, roster)
        rows = lines(out)
        assert [(r["student"], r["source"]) for r in rows] == [
            ("", "notes here.yaml"), ("s1", "s1.yaml"), ("s1", "s1/answers.yaml"), ("s2", "s2.yaml"),
            ("s3", "s3.yaml"), ("s4", "")]
        raw = (out / RESULTS).read_bytes().splitlines(keepends=True)
        assert all(read_line(x) is not None for x in raw)
        by = {(r["student"], r["source"]): r for r in rows}
        assert by[("", "notes here.yaml")]["status"] == "invalid"
        assert by[("s1", "s1.yaml")]["status"] == "ok" and by[("s1", "s1.yaml")]["score"] == 5
        assert by[("s1", "s1.yaml")]["warnings"] == ["another file for this student was not graded: s1/answers.yaml"]
        dup = by[("s1", "s1/answers.yaml")]
        assert (dup["status"], dup["duplicate_of"], dup["message"]) == \
            ("invalid", "s1.yaml", "a second file for this student; s1.yaml is graded")
        assert by[("s3", "s3.yaml")]["status"] == "invalid"
        assert (by[("s4", "")]["status"], by[("s4", "")]["message"]) == ("missing", "no submission")
        assert [r["ident"] for r in rows] == [w.ident for w in plan(subs, roster)]
        assert summary["submissions"] == 4 and summary["duplicates"] == 1 and summary["unnamed_files"] == 1

    def test_every_report_is_written_and_feedback_only_for_students(self, pset, klass, tmp_path):
        """All reports, the manifest and stats; feedback for each roster student, not for extra files."""
        subs, roster = klass
        out = tmp_path / "out"
        run(pset, subs, out, roster)
        for name in (MANIFEST, STATS, RESULTS, "gradebook.csv", "junit.xml", "summary.json", "report.html"):
            assert (out / name).is_file(), name
        assert not (out / "results.json").exists() and not (out / "results").exists()
        assert sorted(p.name for p in (out / "feedback").iterdir()) == ["s1.md", "s2.md", "s3.md", "s4.md"]
        gradebook = (out / "gradebook.csv").read_text().splitlines()
        assert gradebook == ["student_id,status,q1,total", "s1,ok,5,5", "s2,ok,5,5", "s3,invalid,0,0",
                             "s4,missing,0,0"]
        stats = read_stats(out)
        assert (stats["submissions"], stats["resumed_from"], stats["graded"], stats["workers"]) == (6, 0, 6, 1)
        assert read_manifest(out)["items"] == 6 and read_manifest(out)["plan_items"] == 6
        assert not list(out.rglob("*.tmp"))

    def test_resume_of_a_finished_batch_regrades_nothing_and_changes_nothing(self, pset, klass, tmp_path):
        """--resume with the same inputs keeps every line; the files are the same bytes."""
        subs, roster = klass
        out = tmp_path / "out"
        run(pset, subs, out, roster)
        before = files(out)
        run(pset, subs, out, roster, resume=True)
        assert files(out) == before
        assert (read_stats(out)["graded"], read_stats(out)["resumed_from"]) == (0, 6)

    def test_resume_regrades_exactly_the_changed_rows(self, pset, klass, tmp_path):
        """An edited file and a roster change regrade their rows only; the result equals a fresh run."""
        subs, roster = klass
        out = tmp_path / "out"
        run(pset, subs, out, roster)
        write(subs, "s2.yaml", "s2", {"q1": {"total": 1}})
        run(pset, subs, out, roster + ["s5"], resume=True)
        assert (read_stats(out)["graded"], read_stats(out)["resumed_from"]) == (2, 5)   # s2 and the new s5
        run(pset, subs, tmp_path / "fresh", roster + ["s5"])
        assert files(out) == files(tmp_path / "fresh")

    def test_resume_keeps_good_lines_out_of_order_and_drops_a_torn_tail(self, pset, klass, tmp_path):
        """Lines shuffled and a torn half line: the kept ones are reused, the file rebuilt in plan order."""
        subs, roster = klass
        out = tmp_path / "out"
        run(pset, subs, out, roster)
        fresh = files(out)
        raw = (out / RESULTS).read_bytes().splitlines(keepends=True)
        (out / RESULTS).write_bytes(b"".join([raw[3], raw[0], raw[2], raw[1]]) + raw[4][:10])
        (out / "feedback" / "s1.md.tmp").write_text("left by a kill")
        run(pset, subs, out, roster, resume=True)
        assert files(out) == fresh
        assert (read_stats(out)["graded"], read_stats(out)["resumed_from"]) == (2, 4)

    def test_resume_refuses_other_batch_wide_inputs_by_name(self, pset, klass, tmp_path):
        """Another secret or language: refused, naming it; the earlier rows stay as they were."""
        subs, roster = klass
        out = tmp_path / "out"
        run(pset, subs, out, roster)
        before = files(out)
        with pytest.raises(UsageError, match=r"graded with other inputs \(the secret changed\)"):
            run(pset, subs, out, roster, resume=True, secret=b"another-secret-0123456789")
        with pytest.raises(UsageError, match=r"\(the language changed\).*drop --resume"):
            run(pset, subs, out, roster, resume=True, lang="ru")
        assert files(out) == before

    def test_resume_refuses_results_without_a_manifest(self, pset, klass, tmp_path):
        """results.jsonl alone cannot be trusted: refused; an empty folder just grades."""
        subs, roster = klass
        out = tmp_path / "out"
        run(pset, subs, out, roster)
        (out / MANIFEST).unlink()
        with pytest.raises(UsageError, match="results.jsonl has no batch.json beside it"):
            run(pset, subs, out, roster, resume=True)
        run(pset, subs, tmp_path / "new", roster, resume=True)
        assert read_stats(tmp_path / "new")["graded"] == 6

    def test_a_fresh_run_clears_the_earlier_batch(self, pset, klass, tmp_path):
        """Without --resume nothing of an earlier batch survives: stale feedback and old rows go."""
        subs, roster = klass
        out = tmp_path / "out"
        run(pset, subs, out, roster + ["s9"])
        assert (out / "feedback" / "s9.md").exists()
        run(pset, subs, out, roster)
        assert not (out / "feedback" / "s9.md").exists()
        assert [r["student"] for r in lines(out)].count("s9") == 0
        assert read_stats(out)["graded"] == 6

    def test_a_crash_on_one_file_is_an_internal_error_row(self, pset, klass, tmp_path, monkeypatch, capsys):
        """A grader bug on one file: that row is status error, every part undecided; the batch goes on."""
        subs, roster = klass
        real = batch.CachingSubmissionGrader.grade_file

        def grade_file(self, path, *args):
            if path.name == "s2.yaml":
                raise RuntimeError("boom")
            return real(self, path, *args)
        monkeypatch.setattr(batch.CachingSubmissionGrader, "grade_file", grade_file)
        out = tmp_path / "out"
        run(pset, subs, out, roster)
        by = {r["student"]: r for r in lines(out) if not r.get("duplicate_of")}
        row = by["s2"]
        assert (row["status"], row["message"], row["source"], row["max"]) == \
            ("error", INTERNAL_ERROR_MESSAGE, "s2.yaml", 5.0)
        problem = pset.entries[0].problem
        assert [(p["part"], p["verdict"], p["score"], p["check"], p["feedback"]) for p in row["parts"]] == [
            (p.id, "undecided", 0.0, "internal-error:RuntimeError", INTERNAL_ERROR_MESSAGE) for p in problem.parts]
        assert [p["max"] for p in row["parts"]] == [round(p.points * 5 / problem.points, 6) for p in problem.parts]
        assert by["s1"]["status"] == "ok"
        assert "boom" not in (out / "report.html").read_text()

    def test_a_shard_grades_its_share_and_says_so(self, pset, klass, tmp_path):
        """Shard 2/2: every other plan item from the second; the manifest records the shard and the plan."""
        subs, roster = klass
        out = tmp_path / "out"
        run(pset, subs, out, roster, shard=(2, 2))
        assert [r["ident"] for r in lines(out)] == [w.ident for w in plan(subs, roster)[1::2]]
        m = read_manifest(out)
        assert (m["shard"], m["items"], m["plan_items"]) == ("2/2", 3, 6)

    def test_gradescope_output_per_student_or_single(self, pset, klass, tmp_path):
        """--format gradescope: results/<id>/results.json per student, or results.json for one student."""
        subs, roster = klass
        out = tmp_path / "out"
        run(pset, subs, out, roster, formats=("gradescope",))
        assert sorted(p.parent.name for p in (out / "results").glob("*/results.json")) == ["s1", "s2", "s3", "s4"]
        assert not (out / "results.json").exists()
        one = tmp_path / "one"
        write(one, "s1.yaml", "s1", key_answers(pset, "s1"))
        run(pset, one, tmp_path / "o1", None, formats=("gradescope",))
        assert json.loads((tmp_path / "o1" / "results.json").read_text())["score"] == 5
        assert not (tmp_path / "o1" / "results").exists()
        run(pset, subs, out, roster)                # without the format: its files go
        assert not (out / "results").exists()

    def test_an_unknown_format_is_a_usage_error(self, pset, klass, tmp_path):
        """--format takes the optional outputs only."""
        subs, roster = klass
        with pytest.raises(UsageError, match="unknown format 'pdf'; expected one of: gradescope"):
            run(pset, subs, tmp_path / "out", roster, formats=("pdf",))
        assert not (tmp_path / "out").exists()

    @pytest.mark.parametrize("lang,says", [("en", "is being written by another `grader` run"),
                                           ("ru", "уже пишет другой запуск `grader`")])
    def test_a_folder_being_written_is_refused(self, pset, klass, tmp_path, lang, says):
        """One writer per output folder: a second run is refused in the set's language, nothing written."""
        subs, roster = klass
        out = tmp_path / "out"
        out.mkdir()
        with OutputLock(out):
            with pytest.raises(InputError, match=says):
                run(pset, subs, out, roster, lang=lang)
        assert not (out / RESULTS).exists()
        run(pset, subs, out, roster)               # the lock is released after a refusal too
        assert (out / RESULTS).exists()


class TestOutputs:
    def test_clearing_removes_every_batch_output_and_nothing_else(self, tmp_path):
        """clear_outputs: manifest, results, stats, reports, feedback/ and results/; other files stay."""
        for name in (MANIFEST, RESULTS, STATS, *REPORTS, "feedback/s1.md", "results/s1/results.json", "mine.txt"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text("x")
        clear_outputs(tmp_path)
        assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]

    def test_lines_are_read_back_without_their_bookkeeping(self, tmp_path):
        """iter_lines drops ident, inputs and row_digest and gives duplicate_of apart; iter_rows flags
        rows that are no student's graded row."""
        from grader.grading.results import SubmissionResult
        rows = [SubmissionResult("s1", "s1.yaml", "ok"), SubmissionResult("s1", "s1.yml", "invalid"),
                SubmissionResult("", "x y.yaml", "invalid")]
        text = "".join(result_line({"ident": "i", "inputs": "n", **r.to_json(),
                                    **({"duplicate_of": "s1.yaml"} if r.source == "s1.yml" else {})}) + "\n"
                       for r in rows)
        (tmp_path / RESULTS).write_text(text)
        assert list(iter_lines(tmp_path / RESULTS)) == [(rows[0], None), (rows[1], "s1.yaml"), (rows[2], None)]
        assert [skip for _, skip in iter_rows(tmp_path / RESULTS)] == [False, True, True]
        assert list(batch.iter_results(tmp_path / RESULTS)) == rows


# ------------------------------------------------------------------ the worker pool, in this process
# These fork real workers from the test process (the fork inherits this module as it is,
# patched or mutated), so what the pool does is seen here and not only in `grader` runs.

ROSTER = ["s1", "s2", "s3", "s4", "s5", "t1", "t2", "t3", "t4", "t5", "t6"]
WINDOW = 8                       # chunks in flight with two workers (four per worker)


def new_run() -> dict:
    return {"hits": 0, "misses": 0, "bypassed": 0, "worker_kb": 0, "workers_lost": 0}


@pytest.fixture
def pool_batch(pset, tmp_path, monkeypatch):
    """Eleven items, more chunks than two workers keep in flight: s1, s3, s4 right, s2 wrong,
    s5 and t1..t6 enrolled without a file; init_args as grade_batch builds them. The module's
    worker state starts empty, so a forked worker has only what its initializer gives it."""
    subs = tmp_path / "subs"
    for s in ("s1", "s3", "s4"):
        write(subs, f"{s}.yaml", s, key_answers(pset, s))
    write(subs, "s2.yaml", "s2", {"q1": {"total": 1}})
    monkeypatch.setattr(batch, "_worker", {})
    init_args = (pset, SECRET, "en", str(subs), set(ROSTER), batch.DEFAULT_CACHE_ENTRIES)
    return plan(subs, ROSTER), init_args


def one_worker(todo, init_args) -> tuple[list[str], dict]:
    """The lines and counters of the one-worker path (it grades in this process)."""
    run = new_run()
    got = list(batch._graded(todo, 1, init_args, run))
    batch._worker.clear()       # workers forked later must build their own grader
    return got, run


class Deaths:
    """Patches the pool so that grading a marked student in a forked worker ends that process
    (os._exit) the first `times` attempts (None: every one), after the parent has received the
    results of the students in `after`. Workers share no memory with the test, so attempts and
    receipts are files."""

    def __init__(self, monkeypatch, folder: Path, deaths: dict[str, tuple[int | None, tuple[str, ...]]]):
        self.folder, parent = folder, os.getpid()
        real_grade, real_submit = batch._grade_one, batch._Pool.submit

        def grade_one(item):
            with (folder / f"tried-{item.student}").open("a") as fh:
                fh.write("x")
            if item.student in deaths and os.getpid() != parent:
                times, after = deaths[item.student]
                if times is None or self.attempts(item.student) <= times:
                    for _ in range(600):            # a bound against a hang, not a timing check
                        if all((folder / f"received-{s}").exists() for s in after):
                            break
                        time.sleep(0.05)
                    os._exit(1)
            return real_grade(item)

        def submit(pool, chunk):
            future = real_submit(pool, chunk)
            future.add_done_callback(lambda f: f.exception() is None and [
                (folder / f"received-{w.student}").touch() for w in chunk])
            return future
        monkeypatch.setattr(batch, "_grade_one", grade_one)
        monkeypatch.setattr(batch._Pool, "submit", submit)

    def attempts(self, student: str) -> int:
        path = self.folder / f"tried-{student}"
        return len(path.read_text()) if path.exists() else 0


def ended(process) -> bool:
    """Whether a worker process has ended. is_alive() can say True for a moment after the process
    is gone (the executor's own thread may be reaping it at once), so it is asked again for a
    bounded while; a worker still running (a chunk sleeps 10 s in the test) stays alive throughout."""
    for _ in range(40):
        if not process.is_alive():
            return True
        time.sleep(0.05)
    return False


class TestPool:
    def test_chunks_are_consecutive_slices_in_order_the_last_shorter(self):
        """_chunks: slices of `size` in order, the last one holds the rest, nothing lost or repeated."""
        assert list(batch._chunks(list("abcdefg"), 3)) == [list("abc"), list("def"), ["g"]]
        assert list(batch._chunks(list("abcdef"), 2)) == [list("ab"), list("cd"), list("ef")]
        assert list(batch._chunks(list("ab"), 1)) == [["a"], ["b"]]
        assert list(batch._chunks([], 4)) == []

    def test_two_workers_give_the_one_worker_lines_in_plan_order(self, pool_batch):
        """workers=2: one line per item, in plan order, byte-identical to workers=1; the counters add up the same."""
        todo, init_args = pool_batch
        run = new_run()
        got = list(batch._graded(todo, 2, init_args, run))
        want, run1 = one_worker(todo, init_args)
        assert got == want
        assert [json.loads(x)["ident"] for x in got] == [w.ident for w in todo]
        assert [json.loads(x)["score"] for x in got] == [5, 0, 5, 5] + [0] * 7
        assert run["hits"] + run["misses"] == run1["hits"] + run1["misses"] > 0
        assert run["bypassed"] == run1["bypassed"]
        assert run["workers_lost"] == 0 and run["worker_kb"] > 0

    def test_a_finished_batch_lets_its_workers_exit_on_their_own(self, pool_batch, monkeypatch):
        """After the last line the idle workers end normally (exit code 0), not by SIGTERM: their
        exit handlers (coverage's data, say) run as on any exit. Killing is for Ctrl-C and lost workers."""
        todo, init_args = pool_batch
        seen: list = []
        real = batch._Pool.close

        def close(self, finished=False):
            seen.extend((getattr(self.executor, "_processes", None) or {}).values())
            real(self, finished)
        monkeypatch.setattr(batch._Pool, "close", close)
        assert len(list(batch._graded(todo, 2, init_args, new_run()))) == len(todo)
        assert len(seen) == 2 and [p.exitcode for p in seen] == [0, 0]

    def test_one_worker_or_one_item_is_graded_in_this_process(self, pool_batch, monkeypatch, tmp_path):
        """No pool for workers=1 or a single item (and Ctrl-C still reaches this process); two items and
        two workers: every item is graded in a forked worker."""
        todo, init_args = pool_batch
        pids = tmp_path / "pids"
        real = batch._grade_one

        def grade_one(item):
            with pids.open("a") as fh:
                fh.write(f"{os.getpid()}\n")
            return real(item)
        monkeypatch.setattr(batch, "_grade_one", grade_one)
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            for items, workers in ((todo, 1), (todo[:1], 2)):
                list(batch._graded(items, workers, init_args, new_run()))
                batch._worker.clear()
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        finally:
            signal.signal(signal.SIGINT, previous)
        assert pids.read_text().split() == [str(os.getpid())] * (len(todo) + 1)
        pids.unlink()
        list(batch._graded(todo[:2], 2, init_args, new_run()))
        seen = pids.read_text().split()
        assert len(seen) == 2 and str(os.getpid()) not in seen

    @pytest.mark.parametrize("students,workers,size", [(20, 2, 1), (96, 2, 3), (96, 3, 2), (300, 2, 8)])
    def test_chunks_are_small_and_four_per_worker_are_in_flight(self, pool_batch, monkeypatch,
                                                                students, workers, size):
        """Chunks of n // (16 * workers) items (1 to 8) on as many workers as asked; the pool is kept
        exactly 4 chunks per worker ahead of the lines returned, never more."""
        _, init_args = pool_batch
        todo = [WorkItem(f"m{i:03d}", None) for i in range(students)]     # enrolled, no file: cheap
        submitted: list[int] = []
        processes: set[int] = set()
        real = batch._Pool.submit

        def submit(self, chunk):
            submitted.append(len(chunk))
            future = real(self, chunk)
            processes.add(len(self.executor._processes))
            return future
        monkeypatch.setattr(batch._Pool, "submit", submit)
        chunks = -(-students // size)
        got = []
        for k, line in enumerate(batch._graded(todo, workers, init_args, new_run())):
            if k % size == 0:                  # the first line of chunk k // size
                assert len(submitted) == min(k // size + 4 * workers, chunks), k
            got.append(json.loads(line)["ident"])
        assert got == [w.ident for w in todo]
        assert submitted == [size] * (students // size) + ([students % size] if students % size else [])
        assert processes == {workers}

    def test_a_worker_that_dies_is_replaced_and_the_lines_are_unchanged(self, pool_batch, monkeypatch, tmp_path,
                                                                        capsys):
        """s3 and t6 each kill their worker once: the batch finishes with every item's real line in plan order;
        chunks finished before a death are kept, the lost one and those in flight are re-run."""
        todo, init_args = pool_batch
        # s3 dies once s4 and s5 are back (kept), with t1..t5 in flight (kept or re-run) and t6 not
        # yet sent; t6 dies alone in the last pool.
        deaths = Deaths(monkeypatch, tmp_path, {"s3": (1, ("s4", "s5")), "t6": (1, ("t4", "t5"))})
        run = new_run()
        got, said = [], []
        for k, line in enumerate(batch._graded(todo, 2, init_args, run)):
            said += [(k, err) for err in capsys.readouterr().err.splitlines()]
            got.append(line)
        assert said == [(2, f"grader: a worker process died; re-running the {WINDOW}"
                            " submissions it may have taken with it"),
                        (10, "grader: a worker process died; re-running the 1 submissions it may have taken with it")]
        assert run["workers_lost"] == 2
        assert {s: deaths.attempts(s) for s in ("s1", "s2", "s3", "s4", "s5", "t6")} == \
            {"s1": 1, "s2": 1, "s3": 2, "s4": 1, "s5": 1, "t6": 2}
        monkeypatch.undo()
        monkeypatch.setattr(batch, "_worker", {})
        want, run1 = one_worker(todo, init_args)
        assert got == want
        assert run["hits"] + run["misses"] == run1["hits"] + run1["misses"]

    def test_an_item_that_kills_every_worker_is_an_internal_error_row(self, pool_batch, monkeypatch, tmp_path,
                                                                       capsys):
        """s3 kills its worker every time: after two attempts alone it is an internal-error row; the rest is graded."""
        todo, init_args = pool_batch
        deaths = Deaths(monkeypatch, tmp_path, {"s3": (None, ())})
        run = new_run()
        got = list(batch._graded(todo, 2, init_args, run))
        assert deaths.attempts("s3") == 3           # once in the first pool, then twice alone
        assert run["workers_lost"] == 3
        assert "grader: s3.yaml: the worker died twice on this file; it is an internal-error row\n" \
            in capsys.readouterr().err
        monkeypatch.undo()
        monkeypatch.setattr(batch, "_worker", {})
        want, _ = one_worker(todo, init_args)
        assert [json.loads(x)["ident"] for x in got] == [w.ident for w in todo]
        assert got[:2] + got[3:] == want[:2] + want[3:]
        row = read_line(got[2].encode())
        assert (row["status"], row["message"], row["source"], row["student"]) == \
            ("error", batch.WORKER_LOST_MESSAGE, "s3.yaml", "s3")
        assert {(p["check"], p["feedback"], p["verdict"]) for p in row["parts"]} == \
            {("internal-error:worker-lost", batch.WORKER_LOST_MESSAGE, "undecided")}
        assert row["inputs"] == item_inputs(todo[2], init_args[4], "worker-lost")

    def test_closing_the_pool_ends_every_worker_even_a_busy_one(self, pool_batch, monkeypatch, tmp_path):
        """_Pool.close does not wait for a running chunk: no worker process of the pool is left alive."""
        todo, init_args = pool_batch
        started, finished = tmp_path / "started", tmp_path / "finished"

        def grade_one(item):
            started.write_text("")
            time.sleep(10)
            finished.write_text("")
        monkeypatch.setattr(batch, "_grade_one", grade_one)
        pool = batch._Pool(3, init_args)
        pool.submit(todo[:1])
        processes = list(pool.executor._processes.values())
        for _ in range(600):                     # until a worker is inside the chunk (a bound, not a check)
            if started.exists():
                break
            time.sleep(0.05)
        pool.close()
        assert len(processes) == 3
        assert [ended(p) for p in processes] == [True] * 3
        assert not set(multiprocessing.active_children()) & set(processes)
        assert not finished.exists()

    def test_workers_are_forked_whatever_the_default_start_method(self, pool_batch):
        """The pool asks for fork (workers inherit the loaded set), not the platform's default (spawn on
        macOS, forkserver from Python 3.14)."""
        _, init_args = pool_batch
        default = multiprocessing.get_start_method(allow_none=True)
        multiprocessing.set_start_method("spawn", force=True)
        try:
            pool = batch._Pool(2, init_args)
            pool.close()
        finally:
            multiprocessing.set_start_method(default, force=True)
        assert isinstance(pool.executor._mp_context, multiprocessing.context.ForkContext)

    def test_a_pool_that_refuses_a_chunk_is_recovered_like_a_dead_worker(self, pool_batch, monkeypatch):
        """Regression: a worker that died while the window was being filled made submit raise
        BrokenProcessPool out of the batch; now that chunk is re-run like the ones in flight."""
        todo, init_args = pool_batch
        real, calls = batch._Pool.submit, []

        def submit(pool, chunk):
            calls.append(chunk)
            if len(calls) == 3:
                raise batch.BrokenProcessPool("a worker died since the last submit")
            return real(pool, chunk)
        monkeypatch.setattr(batch._Pool, "submit", submit)
        run = new_run()
        got = list(batch._graded(todo, 2, init_args, run))
        monkeypatch.undo()
        monkeypatch.setattr(batch, "_worker", {})
        assert got == one_worker(todo, init_args)[0]
        assert run["workers_lost"] == 1
