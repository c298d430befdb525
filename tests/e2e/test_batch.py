"""`grader grade` on a class: the verdict cache, reports, CI formats, bad files, the CLI."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from grader.bank.loader import load_set
from grader.cli import main
from grader.grading.batch import grade_batch, plan, read_stats
from grader.grading.cache import CachingSubmissionGrader, _TooBig, canonical
from grader.grading.progress import Progress
from grader.grading.submission import SubmissionGrader
from grader.render.sheets import student_variants

SECRET = b"test-secret-0123456789"
ROOT = Path(__file__).resolve().parents[2]
SET = str(ROOT / "sets" / "demo.yaml")
MALFORMED = ["(1 + ", [[1, 2], [3]], "2 ** ** 3", {"oops": 1}, "sqrt("]


# ---------------------------------------------------------------------------------
# A synthesized class (shared by test_batch_resume.py)

def _follow_through_answers(entry, variant) -> dict:
    """Earlier parts wrong (a misconception's value), later ones right *given* those values."""
    parts, given = {}, {}
    for part in entry.problem.parts:
        written = part.answer.key_value(variant.answers[part.id])
        if part.follows and all(d in given for d in part.follows):
            try:
                rerun = variant.solve(given={d: given[d] for d in part.follows})
                parts[part.id] = part.answer.key_value(rerun[part.id])
                continue
            except Exception:  # noqa: BLE001 -- not every draw allows it; the plain answer then
                pass
        if part.misconceptions:
            wrong = variant.solve(bug=part.misconceptions[0].bug).get(part.id)
            if wrong is not None:
                given[part.id] = wrong
                parts[part.id] = part.answer.key_value(wrong)
                continue
        parts[part.id] = written
    return parts


def class_answers(pset, student: str, kind: int) -> dict:
    """Six kinds of student: key, rewritten, mistakes, half done, slips, follow-through."""
    answers = {}
    for entry, variant in student_variants(pset, SECRET, student):
        if kind == 5:
            answers[entry.key] = _follow_through_answers(entry, variant)
            continue
        parts = {}
        for j, part in enumerate(entry.problem.parts):
            written = part.answer.key_value(variant.answers[part.id])
            if kind == 0:
                value = written
            elif kind == 1:
                forms = part.answer.rewrites(written)
                value = forms[j % len(forms)] if forms else written
            elif kind == 2:
                wrong = (variant.solve(bug=part.misconceptions[j % len(part.misconceptions)].bug).get(part.id)
                         if part.misconceptions else None)
                value = part.answer.key_value(wrong) if wrong is not None else written
            elif kind == 3:
                value = written if j % 2 else None
            else:
                value = MALFORMED[j % len(MALFORMED)] if j % 2 == 0 else written
            if value is not None:
                parts[part.id] = value
        answers[entry.key] = parts
    return answers


def write_answers(folder: Path, student: str, answers: dict, set_id: str = "demo", name: str | None = None):
    path = folder / (name or f"{student}.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"student": student, "set": set_id, "answers": answers}, allow_unicode=True),
                    encoding="utf-8")
    return path


def write_class(pset, folder: Path, n: int) -> list[str]:
    """n students of the six kinds, plus one unreadable file; returns the roster."""
    students = [f"s{i:03d}" for i in range(1, n + 1)]
    for i, sid in enumerate(students):
        write_answers(folder, sid, class_answers(pset, sid, i % 6))
    (folder / f"{students[-1]}.yaml").write_text("student: x\nset: demo\nanswers: {q1: [unclosed\n")
    return students + ["absent1"]


def tree(out: Path) -> dict[str, bytes]:
    """Every output file but the run statistics, by relative path."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "stats.json"}


def rows(out: Path) -> dict:
    """Rows by student (a second file for a student is not one of them)."""
    return {r["student"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())
            if not r.get("duplicate_of")}


@pytest.fixture(scope="module")
def pset():
    return load_set(SET)


@pytest.fixture(scope="module")
def klass(pset, tmp_path_factory):
    folder = tmp_path_factory.mktemp("class") / "subs"
    roster = write_class(pset, folder, 18)
    return folder, roster


@pytest.fixture(scope="module")
def graded(pset, klass, tmp_path_factory):
    folder, roster = klass
    out = tmp_path_factory.mktemp("graded") / "out"
    summary = grade_batch(pset, SECRET, folder, out, roster=roster, workers=1)
    return out, summary


def grade_cli(subs, out, *extra) -> int:
    return main(["grade", SET, "--submissions", str(subs), "--out", str(out), "--workers", "1", "--quiet", *extra])


# ---------------------------------------------------------------------------------

class TestVerdictCache:
    def test_cached_and_uncached_batches_are_byte_identical(self, pset, klass, graded, tmp_path):
        """The cache changes nothing but speed, in one process or several."""
        folder, roster = klass
        ref, _ = graded
        grade_batch(pset, SECRET, folder, tmp_path / "nocache", roster=roster, workers=1, cache_size=0)
        grade_batch(pset, SECRET, folder, tmp_path / "two", roster=roster, workers=2)
        assert tree(tmp_path / "nocache") == tree(ref)
        assert tree(tmp_path / "two") == tree(ref)
        assert read_stats(tmp_path / "nocache")["verdict_cache"]["hits"] == 0

    def test_batch_grader_agrees_with_the_plain_grader(self, pset):
        """The memo and the class-wide sampling seed must not change a single verdict."""
        cached = CachingSubmissionGrader(pset, SECRET)
        for i in range(12):
            sid = f"s{i + 1:03d}"
            answers = class_answers(pset, sid, i % 6)
            plain = SubmissionGrader(pset, SECRET).grade_answers(sid, answers)
            assert cached.grade_answers(sid, answers) == plain, sid
        assert cached.stats.hits > 0 and cached.stats.bypassed == 0

    def test_repeated_answers_are_judged_once_and_the_hit_rate_is_reported(self, graded):
        """Formulas and choices repeat across the class (their reference does not depend on
        the draw), so their comparisons hit; the rate is reported."""
        out, _ = graded
        cache = read_stats(out)["verdict_cache"]
        assert cache["lookups"] == cache["hits"] + cache["misses"] + cache["not_cacheable"] > 0
        assert cache["hits"] > 0
        assert cache["hit_rate"] == round(cache["hits"] / cache["lookups"], 4)

    def test_symbolic_answer_shared_across_students(self, pset):
        """Two students, different draws with the same formula reference: the second is a hit,
        same verdict. (The formulas carry a drawn factor, so pick two students who share it.)"""
        def formulas(sid):
            variant = student_variants(pset, SECRET, sid)[4][1]   # q5: matrix-gradients
            return variant.answers["grad_lin"], variant.answers["jac"], variant.params
        seen, pair = {}, None
        for i in range(1, 200):
            sid = f"s{i:03d}"
            lin, jac, params = formulas(sid)
            if (lin, jac) in seen and params != formulas(seen[(lin, jac)])[2]:
                pair = (seen[(lin, jac)], sid)
                break
            seen.setdefault((lin, jac), sid)
        assert pair, "no two students share the formula references"
        grader = CachingSubmissionGrader(pset, SECRET)
        a = grader.grade_answers(pair[0], {"q5": {"grad_lin": "b a^T", "jac": "x^T x I"}})
        hits = grader.stats.hits
        b = grader.grade_answers(pair[1], {"q5": {"grad_lin": "b a^T", "jac": "x^T x I"}})
        assert grader.stats.hits >= hits + 2
        pick = lambda r: [p for p in r.parts if p.part in ("grad_lin", "jac")]  # noqa: E731
        assert pick(a) == pick(b)
        fresh = CachingSubmissionGrader(pset, SECRET, cache_size=0).grade_answers(
            pair[1], {"q5": {"grad_lin": "b a^T", "jac": "x^T x I"}})
        assert pick(fresh) == pick(b)

    def test_follow_through_is_not_confused_by_the_cache(self, pset):
        """Same later answer, different earlier answers: judged separately."""
        grader = CachingSubmissionGrader(pset, SECRET)
        ft = class_answers(pset, "s001", 5)["q3"]
        later = next(p for p in pset.entries[2].problem.parts if p.follows)
        dep = later.follows[0]
        with_wrong_dep = grader.grade_answers("s001", {"q3": ft})
        right_dep = dict(ft)
        right_dep.pop(dep)
        without_dep = grader.grade_answers("s001", {"q3": right_dep})
        verdict = lambda r: next(p for p in r.parts if p.key == "q3" and p.part == later.id)  # noqa: E731
        assert verdict(with_wrong_dep).check.startswith("follow-through")
        assert not verdict(without_dep).check.startswith("follow-through")

    def test_canonical_keeps_types_apart_and_refuses_alias_bombs(self):
        assert len({canonical(v) for v in (1, 1.0, "1", True, [1], (1,), None, "None")}) == 8
        assert canonical({"a": 1, "b": 2}) != canonical({"b": 2, "a": 1})
        bomb = yaml.safe_load("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                              + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                        for p, c in zip("abcdefg", "bcdefgh")))
        with pytest.raises(_TooBig):
            canonical(bomb)


class TestReports:
    def test_summary_has_histogram_parts_wrong_answers_and_misconceptions(self, graded, pset):
        out, summary = graded
        saved = json.loads((out / "summary.json").read_text())
        assert saved == json.loads(json.dumps(summary))
        assert sum(b["count"] for b in saved["histogram"]["bins"]) == saved["submissions"] == 19
        assert saved["histogram"]["bins"][-1]["to"] == pset.points
        part = saved["parts"]["q1.total"]
        assert 0 < part["correct_pct_of_attempts"] < 100 and 0 < part["correct_pct_of_class"] < 100
        assert part["correct_pct_of_class"] <= part["correct_pct_of_attempts"]
        wrong = [w for p in saved["parts"].values() for w in p["common_wrong_answers"]]
        assert wrong and all(w["count"] >= 1 for w in wrong)
        fired = saved["misconceptions"]
        assert any(f["count"] > 0 for f in fired)
        assert {f["misconception"] for f in fired if f["part"] == "q1.total"} == \
            {m.bug for m in pset.entries[0].problem.part("total").misconceptions}
        assert saved["status"] == {"invalid": 1, "missing": 1, "ok": 17}

    def test_report_html_is_self_contained_with_a_real_histogram(self, graded):
        out, summary = graded
        html = (out / "report.html").read_text()
        assert "<script" not in html and not re.search(r'(src|href)=["\']?https?:', html)
        svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
        ET.fromstring(svg)                                     # well-formed
        bars = re.findall(r"<rect [^>]*height=\"([\d.]+)\"", svg)
        assert len(bars) == sum(1 for b in summary["histogram"]["bins"] if b["count"])
        tallest = max(summary["histogram"]["bins"], key=lambda b: b["count"])
        assert f"<title>{tallest['from']:g}–{tallest['to']:g}: {tallest['count']}</title>" in svg
        for name in summary["parts"]:
            assert f"<code>{name}</code>" in html
        top = next(p for p in summary["parts"].values() if p["common_wrong_answers"])["common_wrong_answers"][0]
        assert top["answer"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html
        assert summary["misconceptions"][0]["misconception"] in html

    def test_junit_fits_the_common_schemas(self, graded):
        """What both the Jenkins/Ant and the Surefire-based JUnit schemas accept, and honest totals."""
        out, summary = graded
        root = ET.parse(out / "junit.xml").getroot()
        assert root.tag == "testsuites"
        suites = list(root)
        assert [s.tag for s in suites] == ["testsuite"]
        suite = suites[0]
        for attr in ("name", "tests", "failures", "errors"):
            assert suite.get(attr) is not None
        cases = suite.findall("testcase")
        assert [c.tag for c in suite] == ["properties"] + ["testcase"] * len(cases)
        assert int(suite.get("tests")) == len(cases) == 19 * 35
        failures = skipped = 0
        for case in cases:
            assert set(case.attrib) <= {"name", "classname", "time"} and case.get("name")
            tags = [c.tag for c in case]
            assert tags in (["system-out"], ["failure", "system-out"], ["skipped", "system-out"]), tags
            if tags[0] == "failure":
                failures += 1
                assert set(case[0].attrib) == {"type", "message"}
            if tags[0] == "skipped":
                skipped += 1
                assert not case[0].attrib
        assert int(suite.get("failures")) == failures and int(suite.get("skipped")) == skipped
        assert failures and skipped and suite.get("errors") == "0"

    def test_gradescope_for_one_student_and_for_many(self, pset, klass, tmp_path, secret_env):
        folder, _ = klass
        one = tmp_path / "one"
        write_answers(one, "s001", class_answers(pset, "s001", 2))
        assert grade_cli(one, tmp_path / "o1", "--format", "gradescope") == 0
        doc = json.loads((tmp_path / "o1" / "results.json").read_text())
        assert set(doc) >= {"score", "output", "tests"}
        assert len(doc["tests"]) == 35
        assert abs(sum(t["score"] for t in doc["tests"]) - doc["score"]) <= 1e-3   # the total is rounded
        for t in doc["tests"]:
            assert set(t) >= {"name", "score", "max_score", "output", "status"}
            assert t["status"] in ("passed", "failed") and t["score"] <= t["max_score"]
        assert any(t["status"] == "failed" for t in doc["tests"])
        assert grade_cli(folder, tmp_path / "many", "--format", "gradescope") == 0
        per = sorted(p.parent.name for p in (tmp_path / "many" / "results").glob("*/results.json"))
        assert per == sorted(rows(tmp_path / "many"))
        assert not (tmp_path / "many" / "results.json").exists()

    def test_same_inputs_give_byte_identical_files(self, pset, klass, graded, tmp_path):
        folder, roster = klass
        grade_batch(pset, SECRET, folder, tmp_path / "again", roster=roster, workers=1)
        assert tree(tmp_path / "again") == tree(graded[0])


class TestMalformedFiles:
    def test_every_bad_file_is_a_row_and_the_batch_goes_on(self, pset, tmp_path, secret_env):
        subs = tmp_path / "subs"
        good = class_answers(pset, "s001", 0)
        write_answers(subs, "s001", good)
        write_answers(subs, "s001", good, name="s001/answers.yaml")         # a second file, same student
        (subs / "s002.yaml").write_text("student: s002\nset: demo\nanswers: {q1: [unclosed\n")
        (subs / "s003.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00binary")
        (subs / "s004.yaml").write_bytes(b"student: s004\nset: demo\nanswers: {}\n\xff\xfe")
        (subs / "s005.yaml").write_text("")
        (subs / "s006.yaml").write_text("a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\n"
                                        "student: s006\nset: demo\nanswers:\n  q1: {layers: *b, total: *a}\n")
        nested = "[" * 400 + "1" + "]" * 400              # a string: the answer language's cap
        deep = "[" * 40 + "1" + "]" * 40                 # YAML nesting within its cap (test_nesting.py: beyond)
        (subs / "s007.yaml").write_text(f"student: s007\nset: demo\nanswers:\n  q1: {{total: '{nested}'}}\n"
                                        f"  q2: {{p_hi: {deep}}}\n")
        write_answers(subs, "s008", {"q1": {"total": "9" * 5000, "layers": "1e999999"}})
        write_answers(subs, "s009", {"q1": {"total": 5}}, set_id="another")
        (subs / "s010.yml").write_text("student: s010\nset: demo\nanswers: [1, 2]\n")
        roster = tmp_path / "roster.csv"
        roster.write_text("student_id\n" + "\n".join(f"s{i:03d}" for i in range(1, 12)) + "\n")
        out = tmp_path / "out"
        assert grade_cli(subs, out, "--roster", str(roster)) == 0
        lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
        assert len(lines) == 12                                    # 10 files + a duplicate + s011 absent
        by = rows(out)
        assert by["s001"]["score"] == 40 and by["s001"]["status"] == "ok"
        dup = [x for x in lines if x.get("duplicate_of")]
        assert len(dup) == 1 and dup[0]["source"] == "s001/answers.yaml" and "second file" in dup[0]["message"]
        assert by["s002"]["status"] == by["s003"]["status"] == by["s004"]["status"] == "invalid"
        assert "UTF-8" in by["s004"]["message"]
        assert by["s009"]["status"] == "invalid" and "another" in by["s009"]["message"]
        assert by["s010"]["status"] == "invalid" and "answers" in by["s010"]["message"]
        assert by["s011"]["status"] == "missing"
        for sid in ("s005", "s006", "s007", "s008"):               # readable envelope, bad answers
            assert by[sid]["status"] in ("ok", "invalid"), sid
            assert by[sid]["score"] == 0, sid
        bad_parts = [p for sid in ("s007", "s008") for p in by[sid]["parts"] if p["key"] == "q1" and
                     p["part"] in ("total", "layers") and p["verdict"] != "missing"]
        assert bad_parts and all(p["verdict"] == "invalid" and p["feedback"] for p in bad_parts)
        book = (out / "gradebook.csv").read_text().splitlines()
        assert [r.split(",")[0] for r in book[1:]].count("s001") == 1   # the duplicate is not a second row
        assert "40" in (out / "feedback" / "s001.md").read_text().splitlines()[2]
        summary = json.loads((out / "summary.json").read_text())
        assert summary["duplicates"] == 1 and summary["submissions"] == 11
        assert {f["student"] for f in summary["unreadable_files"]} >= {"s002", "s003", "s004", "s009", "s010"}


class TestCommandLine:
    def test_fail_under_for_a_single_students_repository(self, pset, tmp_path, secret_env, capsys):
        subs = tmp_path / "subs"
        write_answers(subs, "s001", class_answers(pset, "s001", 3))           # half done
        assert grade_cli(subs, tmp_path / "a", "--fail-under", "10") == 0
        score = rows(tmp_path / "a")["s001"]["score"]
        assert 0 < score < 40
        assert grade_cli(subs, tmp_path / "b", "--fail-under", str(score + 0.5)) == 3
        assert "s001" in capsys.readouterr().err
        assert grade_cli(subs, tmp_path / "c", "--fail-under", "99%") == 3
        assert grade_cli(subs, tmp_path / "d", "--fail-under", f"{100 * score / 40 - 1:.2f}%") == 0

    def test_summary_table_printed_and_progress_silent_off_a_terminal(self, klass, tmp_path, secret_env, capsys):
        folder, _ = klass
        assert main(["grade", SET, "--submissions", str(folder), "--out", str(tmp_path / "o"),
                     "--workers", "2"]) == 0
        captured = capsys.readouterr()
        assert "\r" not in captured.err and "█" not in captured.err
        assert re.search(r"q1\.total\s+integer\s+\d+\s+\d+%", captured.out)
        assert re.search(r"verdict cache hit rate \d+\.\d%", captured.out)
        assert "report.html" in captured.out

    def test_progress_bar_draws_on_a_terminal_and_not_when_quiet(self):
        class Tty(io.StringIO):
            def isatty(self):
                return True
        stream = Tty()
        with Progress(stream=stream) as bar:
            bar.start(4, 1)
            for _ in range(3):
                bar.tick()
        assert "4/4" in stream.getvalue() and stream.getvalue().endswith("\n")
        quiet = Tty()
        with Progress(stream=quiet, quiet=True) as bar:
            bar.start(4)
            bar.tick()
        assert quiet.getvalue() == ""

    @pytest.mark.parametrize("args, words", [
        (["--shard", "0/3"], "1 <= i <= n"),
        (["--shard", "two/3"], "expected i/n"),
        (["--cache-size", "-1"], "0 or more"),
    ])
    def test_usage_errors(self, tmp_path, secret_env, capsys, args, words):
        (tmp_path / "subs").mkdir()
        assert grade_cli(tmp_path / "subs", tmp_path / "o", *args) == 2
        assert words in capsys.readouterr().err

    def test_bad_format_is_a_usage_error(self, tmp_path, secret_env, capsys):
        (tmp_path / "subs").mkdir()
        with pytest.raises(SystemExit) as info:
            grade_cli(tmp_path / "subs", tmp_path / "o", "--format", "moodle")
        assert info.value.code == 2 and "gradescope" in capsys.readouterr().err

    def test_plan_order_is_by_student_then_path(self, tmp_path):
        subs = tmp_path / "subs"
        for name in ("b.yaml", "a.yml", "c/answers.yaml", "a/answers.yaml"):
            (subs / name).parent.mkdir(parents=True, exist_ok=True)
            (subs / name).write_text("{}")
        items = plan(subs, ["z", "a"])
        assert [(w.student, w.path, w.duplicate_of) for w in items] == [
            ("a", "a.yml", None), ("a", "a/answers.yaml", "a.yml"), ("b", "b.yaml", None),
            ("c", "c/answers.yaml", None), ("z", None, None)]
