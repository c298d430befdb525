"""The rules of `grader validate`'s own bookkeeping (grader/validate.py), in-process.

tests/e2e/test_validate_detects.py proves each detection branch on broken families;
these pin the helpers around them: which numbers count as hand-friendly, how errors
are capped, what the report prints and returns, which families a run loads and in
what order, and which banks it lints by default.
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from grader import validate as V
from grader.validate import (MAX_ABS, MAX_DENOMINATOR, MAX_ERRORS_PER_PROBLEM, BankReport, ProblemReport,
                             _cost, _decimal_places, _numbers, _sanity, validate_bank)

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"


class TestHandFriendlyNumbers:
    @pytest.mark.parametrize("x,places", [
        (Fraction(3), 0), (Fraction(1, 2), 1), (Fraction(1, 5), 1), (Fraction(1, 4), 2), (Fraction(3, 25), 2),
        (Fraction(7, 40), 3), (Fraction(1, 8), 3), (Fraction(1, 16), 4), (Fraction(47068, 100000), 5),
        (Fraction(3, 20000), 5), (Fraction(1, 15625), 6), (Fraction(1, 2 ** 8), 8), (Fraction(1, 10 ** 8), 8),
        (Fraction(-1, 2 ** 8), 8), (Fraction(1, 5 ** 8), 8), (Fraction(1, 2 ** 7 * 5 ** 3), 7)])
    def test_a_terminating_decimal_has_its_places(self, x, places):
        """1/(2^a 5^b) has max(a, b) decimal places (0.175 = 7/40 has 3)."""
        assert _decimal_places(x) == places

    @pytest.mark.parametrize("x", [Fraction(1, 3), Fraction(1, 6), Fraction(5, 14), Fraction(1, 2 ** 9),
                                   Fraction(1, 5 ** 9), Fraction(1, 10 ** 9), Fraction(1, 2 ** 9 * 5),
                                   Fraction(1, 10007)])
    def test_anything_else_is_not_a_short_decimal(self, x):
        """Repeating decimals, and terminating ones longer than 8 places, are not short decimals."""
        assert _decimal_places(x) is None

    def test_numbers_are_found_in_every_container(self):
        """_numbers walks dicts, lists, tuples and arrays; booleans and strings are not numbers."""
        value = {"a": [1, (2.5, Fraction(1, 3))], "b": np.array([[4, 5]]), "c": True, "d": "7", "e": np.float64(6)}
        assert [float(x) for x in _numbers(value)] == [1, 2.5, 1 / 3, 4, 5, 6]
        assert list(_numbers(False)) == [] and list(_numbers(None)) == []

    def sanity(self, value) -> list[str]:
        report = ProblemReport("p", "p.yaml")
        _sanity(value, "here", report)
        return report.errors

    def test_a_long_fraction_is_not_hand_friendly(self):
        """A fraction whose denominator is over MAX_DENOMINATOR and that is no short decimal is an error."""
        assert self.sanity([Fraction(1, 10007)]) == ["here: fraction 1/10007 is not hand-friendly"]
        assert self.sanity(Fraction(1, 2 ** 14)) == ["here: fraction 1/16384 is not hand-friendly"]

    @pytest.mark.parametrize("x", [Fraction(1, 2 ** 1100), Fraction(3, 5 ** 500)])
    def test_a_fraction_finer_than_any_float_is_reported_not_a_crash(self, x):
        """Halving or fifthing a denominator beyond float range stays exact integer arithmetic."""
        assert _decimal_places(x) is None
        assert self.sanity(x) == [f"here: fraction {x} is not hand-friendly"]

    def test_short_decimals_and_small_denominators_are_fine(self):
        """0.00015 (a big denominator, few places) and 1/3 (a small one) are what hand calculations give."""
        assert MAX_DENOMINATOR == 10_000
        assert self.sanity([Fraction(3, 20000), Fraction(1, 15625), Fraction(1, 3), Fraction(9999, 10000)]) == []
        assert self.sanity(Fraction(1, 9973)) == []                    # prime, but not over the bound
        assert self.sanity(Fraction(1, 10001)) == ["here: fraction 1/10001 is not hand-friendly"]

    @pytest.mark.parametrize("x", [MAX_ABS * 1.0000001, -MAX_ABS - 1, math.inf, -math.inf, math.nan,
                                   np.float64(2e7), 10 ** 8])
    def test_huge_or_non_finite_values_are_out_of_range(self, x):
        """Beyond ±MAX_ABS, infinite or NaN: out of range for a hand calculation."""
        assert self.sanity([1, x]) == [f"here: value {x} is out of range for a hand calculation"]

    def test_the_bound_itself_is_in_range(self):
        """|x| = MAX_ABS is still fine."""
        assert self.sanity([MAX_ABS, -MAX_ABS, 0]) == []

    def test_one_error_per_value(self):
        """The first bad number of a value is reported; the rest of that value is not."""
        assert self.sanity([math.inf, Fraction(1, 10007), 1e9]) == ["here: value inf is out of range for a hand "
                                                                    "calculation"]
        assert self.sanity([Fraction(1, 10007), math.inf]) == ["here: fraction 1/10007 is not hand-friendly"]


class TestReports:
    def test_errors_are_capped_per_family(self):
        """At most MAX_ERRORS_PER_PROBLEM errors, then one line saying more were suppressed."""
        report = ProblemReport("p", "p.yaml")
        for i in range(MAX_ERRORS_PER_PROBLEM + 5):
            report.error(f"e{i}")
        assert report.errors == [f"e{i}" for i in range(MAX_ERRORS_PER_PROBLEM)] + ["… further errors suppressed"]

    def test_ok_needs_families_and_no_errors_anywhere(self):
        """A bank is ok with at least one family, no family errors and no load errors; warnings are fine."""
        fine = ProblemReport("a", "a.yaml", warnings=["w"])
        assert BankReport([fine], []).ok
        assert not BankReport([], []).ok
        assert not BankReport([fine], ["broken.yaml: bad"]).ok
        assert not BankReport([fine, ProblemReport("b", "b.yaml", errors=["x"])], []).ok

    def test_the_text_report_marks_each_family_and_counts(self):
        """✘ errors, ! warnings only, ✔ clean; each with its stats, bank, errors and warnings; then totals."""
        stats = {"seeds": 20, "distinct_variants": 17, "checks": 45}
        problems = [ProblemReport("alpha", "a.yaml", "course", errors=["e1", "e2"], stats=stats),
                    ProblemReport("beta", "b.yaml", warnings=["w1"], stats=stats),
                    ProblemReport("gamma", "c.yaml")]
        text = BankReport(problems, ["x.yaml: cannot load"], ["s.yaml [course]", "t.yaml [bundled]"]).text()
        assert text.splitlines() == [
            "✘ x.yaml: cannot load",
            f"✘ {'alpha':<32} 20 seeds, 17 distinct variants, 45 checks  [course]",
            "    error: e1", "    error: e2",
            f"! {'beta':<32} 20 seeds, 17 distinct variants, 45 checks",
            "    warning: w1",
            f"✔ {'gamma':<32} 0 seeds, 0 distinct variants, 0 checks",
            "✔ 2 set files load: s.yaml [course], t.yaml [bundled]",
            "",
            "3 families checked; 1 with errors, 1 warnings"]

    def test_nothing_found_says_how_to_point_at_a_bank(self):
        """No family and no load error: the report says where validate looks."""
        text = BankReport([], []).text()
        assert text.splitlines()[-2:] == [
            "0 families checked; 0 with errors, 0 warnings",
            "✘ no problem families found: give problem files or folders, or run inside a bank "
            "(a folder with problems/), or pass --bank DIR"]
        assert "no problem families found" not in BankReport([], ["x: bad"]).text()

    def test_json_has_ok_load_errors_and_each_family(self):
        """to_json: ok, load_errors, and every family's fields."""
        p = ProblemReport("a", "a.yaml", "b", errors=["e"], warnings=["w"], stats={"seeds": 3})
        assert BankReport([p], ["l"]).to_json() == {
            "ok": False, "load_errors": ["l"],
            "problems": [{"problem": "a", "file": "a.yaml", "bank": "b", "errors": ["e"], "warnings": ["w"],
                          "stats": {"seeds": 3}}]}


def fake(parts) -> SimpleNamespace:
    return SimpleNamespace(parts=[SimpleNamespace(type=t, misconceptions=[None] * m) for t, m in parts])


@pytest.mark.usefixtures("broken_bank")
class TestRunOrder:
    def test_the_cost_weighs_symbolic_parts_and_misconceptions(self):
        """Expression parts cost 6, others 1, plus one per misconception: slow families start first."""
        assert _cost(fake([("number", 0)])) == 1
        assert _cost(fake([("expression", 0), ("matrix-expression", 2), ("vector", 3)])) == 6 + 8 + 4

    def test_families_are_validated_costliest_first_and_reported_by_id(self, monkeypatch):
        """The pool gets the slowest families first (shorter tail); the report lists them by id."""
        seen = []
        monkeypatch.setattr(V, "validate_problem", lambda problem, seeds: (seen.append(problem.id),
                                                                           ProblemReport(problem.id, problem.file))[1])
        progress = []
        ok, report = validate_bank([BROKEN / "problems" / f"{f}.yaml" for f in ("fine", "constant-answer", "bug-silent")],
                                   seeds=3, progress=lambda done, total, pid: progress.append((done, total, pid)))
        costs = {pid: _cost(V._BANK[pid]) for pid in seen}
        assert [costs[p] for p in seen] == sorted(costs.values(), reverse=True)
        assert seen == sorted(seen, key=lambda p: (-costs[p], p)) == ["bug-silent", "fine", "constant-answer"]
        assert [p.problem for p in report.problems] == sorted(seen)
        assert progress == [(i + 1, 3, pid) for i, pid in enumerate(seen)]
        assert ok and report.load_errors == []

    def test_a_crash_in_one_family_is_its_error_not_the_runs(self, monkeypatch):
        """validate_problem raising: that family reports 'validation crashed' with the traceback's tail."""
        def boom(problem, seeds):
            raise RuntimeError(f"boom in {problem.id}")
        monkeypatch.setattr(V, "validate_problem", boom)
        ok, report = validate_bank([BROKEN / "problems" / "fine.yaml"], seeds=3)
        [p] = report.problems
        assert not ok and p.errors[0].startswith("validation crashed:\nTraceback")
        assert (p.problem, p.file, p.warnings) == ("fine", "", [])
        assert p.errors[0].rstrip().endswith("RuntimeError: boom in fine")

    def test_a_missing_path_is_a_load_error(self, tmp_path):
        """A path that does not exist: one load error naming it, and nothing validated."""
        ok, report = validate_bank([tmp_path / "nope.yaml"], seeds=3)
        assert not ok and report.problems == []
        assert report.load_errors == [f"{tmp_path / 'nope.yaml'}: file or folder not found"]

    def test_the_same_id_twice_in_the_given_files_is_an_error(self, tmp_path):
        """Two files given with one id: the second is an error naming the first; the first is validated."""
        copy = tmp_path / "fine.yaml"
        copy.write_text((BROKEN / "problems" / "fine.yaml").read_text())
        ok, report = validate_bank([BROKEN / "problems" / "fine.yaml", copy], seeds=3)
        assert [p.problem for p in report.problems] == ["fine"]
        assert report.load_errors == [f"{copy}: problem id 'fine' is already used by "
                                      f"{BROKEN / 'problems' / 'fine.yaml'}"]


class TestDefaultBanks:
    def bank(self, name, bundled=False):
        return SimpleNamespace(bundled=bundled, name=name)

    def test_a_course_lints_its_own_banks_not_the_bundled_one(self, monkeypatch):
        """Without paths: the banks in force other than the bundled one; all of them with all_banks."""
        own, other, shipped = self.bank("own"), self.bank("other"), self.bank("bundled", True)
        monkeypatch.setattr(V, "active_banks", lambda: [own, other, shipped])
        assert V._default_banks(False) == [own, other]
        assert V._default_banks(True) == [own, other, shipped]

    def test_the_bundled_bank_alone_is_linted_when_it_is_the_only_one(self, monkeypatch):
        """Only the bundled bank in force: that is the one validate checks."""
        shipped = self.bank("bundled", True)
        monkeypatch.setattr(V, "active_banks", lambda: [shipped])
        assert V._default_banks(False) == [shipped] and V._default_banks(True) == [shipped]


@pytest.fixture
def broken_bank(monkeypatch):
    """The mini bank of deliberately broken families (and its reference module) in force."""
    monkeypatch.setenv("GRADER_BANK", str(BROKEN))
    yield
    sys.modules.pop("reference.broken_families", None)


@pytest.fixture
def fine(broken_bank):
    """The control family of the broken bank: one part x, one slip plus-one."""
    from grader.bank.loader import load_problem
    return load_problem(BROKEN / "problems" / "fine.yaml")


@pytest.mark.usefixtures("broken_bank")
class TestValidateProblem:
    """validate_problem's bookkeeping on the control family `fine`, with one step replaced:
    which seeds each check runs on, how repeated failures are merged, what is counted."""

    def draws(self, monkeypatch, change):
        """Replace draw_variant by ``change(call index, real variant)``."""
        real, calls = V.draw_variant, []

        def draw(problem, seed):
            calls.append(seed)
            return change(len(calls) - 1, real(problem, seed))
        monkeypatch.setattr(V, "draw_variant", draw)
        return calls

    def test_each_distinct_failure_is_one_error_with_how_often(self, monkeypatch, fine):
        """A failure repeated over seeds is reported at its first seed, with its count; different
        failures are different errors, each with its own count."""
        def change(i, variant):
            raise ValueError("abacb"[i])
        self.draws(monkeypatch, change)
        report = V.validate_problem(fine, 5)
        assert report.errors[:3] == ["seed s0000: drawing failed: ValueError: a; the same on 2 of 5 seeds",
                                     "seed s0001: drawing failed: ValueError: b; the same on 2 of 5 seeds",
                                     "seed s0003: drawing failed: ValueError: c"]
        assert (report.problem, report.file) == ("fine", fine.file)

    def test_an_author_error_is_one_failure_whatever_the_parameters(self, monkeypatch, fine):
        """A constraint failing with other parameters on each seed is still one failure."""
        from grader.errors import AuthorError

        def change(i, variant):
            raise AuthorError(fine.file, f"the constraint fails (params: {{'n': {i}}})")
        self.draws(monkeypatch, change)
        report = V.validate_problem(fine, 3)
        assert report.errors[0] == ("seed s0000: drawing failed: the constraint fails (params: {'n': 0}); "
                                    "the same on 3 of 3 seeds")
        assert report.stats["distinct_variants"] == 0 and report.stats["checks"] == 0

    def test_a_template_failing_in_both_languages_is_one_error_per_language(self, monkeypatch, fine):
        """en and ru are separate errors; without a line number none is named."""
        monkeypatch.setattr(V, "render_text", lambda text, params: (_ for _ in ()).throw(ValueError("no good")))
        monkeypatch.setattr(V, "template_line", lambda exc: None)
        checked = []
        monkeypatch.setattr(V, "check_leaks", lambda *a, **k: checked.append(a))
        report = V.validate_problem(fine, 3)
        params = V.draw_variant(fine, V.variant_seed(V.VALIDATE_SECRET, "validate", "s0000", "fine")).params
        assert report.errors[:2] == [
            f"seed s0000: the {lang} template does not render: no good (params: {params}); the same on 3 of 3 seeds"
            for lang in ("en", "ru")]
        assert checked == []          # a sheet that does not render is not checked for leaks

    def test_templates_render_on_the_leak_seeds_and_every_fourth(self, monkeypatch, fine):
        """Both languages on the seeds whose sheets are leak-checked and on every RENDER_EVERY-th."""
        from grader.render.leaks import LEAK_SEEDS
        calls = self.draws(monkeypatch, lambda i, v: v)
        real, seen = V.render_text, set()

        def render(text, params):
            seen.add(len(calls) - 1)
            return real(text, params)
        monkeypatch.setattr(V, "render_text", render)
        seeds = LEAK_SEEDS + 11
        V.validate_problem(fine, seeds)
        assert sorted(seen) == [s for s in range(seeds) if s % V.RENDER_EVERY == 0 or s < LEAK_SEEDS]

    def test_leaks_are_checked_on_the_leak_seeds_html_on_the_first(self, monkeypatch, fine):
        """check_leaks runs on the LEAK_SEEDS first seeds, with HTML on the HTML_SEEDS first, named by seed."""
        from grader.render.leaks import HTML_SEEDS, LEAK_SEEDS
        checked = []
        monkeypatch.setattr(V, "check_leaks", lambda problem, variant, tag, error, html="unset":
                            checked.append((tag, html)))
        V.validate_problem(fine, LEAK_SEEDS + 3)
        assert checked == [(f"seed s{s:04d}", s < HTML_SEEDS) for s in range(LEAK_SEEDS)]

    def test_rewritten_forms_are_graded_every_rewrite_every_seeds(self, monkeypatch, fine):
        """The reference's rewritten forms are graded on seeds 0, REWRITE_EVERY, ... only."""
        [part] = fine.parts
        monkeypatch.setattr(type(part.answer), "rewrites", lambda self, written: ["not a number"])
        report = V.validate_problem(fine, V.REWRITE_EVERY + 1)
        wrong = [e for e in report.errors if "written as 'not a number'" in e]
        assert [e.split(",")[0] for e in wrong] == ["seed s0000", f"seed s{V.REWRITE_EVERY:04d}"]
        assert wrong[0].startswith("seed s0000, part x: the reference written as 'not a number' grades invalid (")

    def test_distinct_variants_and_answers_ignore_key_order(self, monkeypatch, fine):
        """Two draws that differ only in key order are one variant, two such answers one answer;
        any value (here a Fraction) can be counted."""
        def change(i, variant):
            extra = [("a", 1), ("z", Fraction(1, 3)), ("n", 7)]
            return replace(variant, params=dict(extra if i % 2 else reversed(extra)))
        self.draws(monkeypatch, change)
        [part] = fine.parts
        flip = []

        def key_value(self, ref):
            flip.append(1)
            items = [("a", 1), ("b", Fraction(1, 2))]
            return dict(items if len(flip) % 2 else reversed(items))
        monkeypatch.setattr(type(part.answer), "key_value", key_value)
        report = V.validate_problem(fine, 6)
        assert report.stats["distinct_variants"] == 1
        assert report.stats["distinct_answers"] == {"x": 1}
        assert not any("cannot be written" in e for e in report.errors)

    def test_the_crash_report_keeps_four_frames(self, monkeypatch):
        """A crashing family's error shows the traceback's first four frames, not the whole stack."""
        def deep(n):
            if n == 0:
                raise RuntimeError("deep")
            deep(n - 1)
        monkeypatch.setattr(V, "validate_problem", lambda problem, seeds: deep(8))
        V._BANK["x"] = None
        try:
            report = V._validate_one(("x", 3))
        finally:
            V._BANK.pop("x")
        assert report.errors[0].count('  File "') == 4 and report.file == ""


def test_an_unwritable_part_does_not_stop_the_others(monkeypatch, root):
    """A part whose reference cannot be written is an error; the family's other parts are still checked."""
    from grader.answer_types.array import VectorAnswer
    from grader.bank.loader import load_problem
    problem = load_problem(root / "problems" / "networks" / "mlp-param-count.yaml")
    assert [p.type for p in problem.parts][0] == "vector" and len(problem.parts) > 1
    monkeypatch.setattr(VectorAnswer, "key_value", lambda self, ref: (_ for _ in ()).throw(ValueError("nope")))
    report = V.validate_problem(problem, 1)
    first = problem.parts[0].id
    assert f"seed s0000, part {first}: the reference cannot be written as an answer: nope" in report.errors
    assert report.stats["distinct_answers"] == {first: 0, **{p.id: 1 for p in problem.parts[1:]}}


@pytest.mark.usefixtures("broken_bank")
class TestStressRules:
    """The thresholds of validate's stress rules, at their edges, on `fine` with drawn values chosen
    per seed (n, and the reference x; the slip plus-one answers 2n + 1)."""

    def run(self, monkeypatch, problem, draws: list[tuple[int, int]], **params):
        """validate_problem over len(draws) seeds, seed i drawing n and reference x = draws[i]
        (and ``params`` besides n)."""
        real, calls = V.draw_variant, []

        def draw(p, seed):
            n, x = draws[len(calls)]
            calls.append(seed)
            return replace(real(p, seed), params={"n": n, **params}, answers={"x": x}, _by_bug={})
        monkeypatch.setattr(V, "draw_variant", draw)
        return V.validate_problem(problem, len(draws))

    @pytest.mark.parametrize("equal,warned", [(1, False), (2, True)])
    def test_a_slip_equal_to_the_reference_on_over_a_quarter_of_its_seeds_warns(self, monkeypatch, fine,
                                                                                   equal, warned):
        """8 seeds: the slip is graded on 4; equal to the reference on 1 is fine, on 2 (> 4 // 4) warns."""
        draws = [(n, 2 * n + 1 if i < 2 * equal and i % 2 == 0 else 2 * n) for i, n in enumerate(range(2, 10))]
        report = self.run(monkeypatch, fine, draws)
        assert report.errors == []
        assert report.warnings == ([f"part x: bug=plus-one equals the reference on {equal} of 4 seeds"]
                                   if warned else [])

    @pytest.mark.parametrize("zeros,warned", [(2, False), (3, True)])
    def test_an_answer_zero_on_over_a_tenth_of_the_seeds_warns(self, monkeypatch, fine, zeros, warned):
        """20 seeds: zero on 2 is fine, on 3 (> 20 // 10) warns."""
        draws = [(n, 0 if i < zeros else 2 * n) for i, n in enumerate(range(2, 22))]
        report = self.run(monkeypatch, fine, draws)
        assert report.errors == []
        assert report.warnings == ([f"part x: the answer is zero on {zeros} of 20 seeds (degenerate draws?)"]
                                   if warned else [])
        assert report.stats == {"seeds": 20, "distinct_variants": 20, "checks": 30,
                                "distinct_answers": {"x": 21 - zeros}, "zero_answers": {"x": zeros}}

    @pytest.mark.parametrize("seeds,distinct,warned", [(20, 10, False), (20, 9, True), (21, 10, False),
                                                       (20, 7, True)])
    def test_fewer_distinct_variants_than_half_the_seeds_warn(self, monkeypatch, fine, seeds, distinct, warned):
        """Neighbours may share a variant when fewer than seeds // 2 variants are distinct."""
        draws = [(2 + i % distinct, 2 * (2 + i % distinct)) for i in range(seeds)]
        report = self.run(monkeypatch, fine, draws)
        message = f"only {distinct} distinct variants over {seeds} seeds: neighbours may share a variant"
        assert report.warnings == ([message] if warned else [])

    @pytest.mark.parametrize("seeds,distinct,error", [(80, 3, True), (80, 4, False), (70, 3, False),
                                                      (20, 2, True), (20, 3, False)])
    def test_an_answer_with_too_few_values_is_an_error(self, monkeypatch, fine, seeds, distinct, error):
        """An answer with fewer than max(3, seeds // 20) values over the seeds can be copied: an error."""
        draws = [(2 + i, 2 * (i % distinct) + 100) for i in range(seeds)]
        report = self.run(monkeypatch, fine, draws)
        message = (f"part x: the answer barely varies ({distinct} distinct values over {seeds} seeds); make it "
                   "depend on the drawn parameters or mark it `fixed: true` with `why`")
        assert report.errors == ([message] if error else [])

    @pytest.mark.parametrize("seeds,distinct,error", [(20, 10, True), (20, 9, False), (210, 10, True),
                                                      (220, 10, False), (220, 11, True)])
    def test_a_fixed_answer_that_takes_many_values_is_an_error(self, monkeypatch, fine, seeds, distinct, error):
        """`fixed: true` allows a few forms; max(10, seeds // 20) values or more is not fixed."""
        [part] = fine.parts
        fixed = replace(fine, parts=[replace(part, fixed=True)])
        draws = [(2 + i, 2 * (i % distinct) + 100) for i in range(seeds)]
        report = self.run(monkeypatch, fixed, draws)
        message = (f"part x is marked `fixed: true` but its answer takes {distinct} values over {seeds} seeds; "
                   "drop `fixed`")
        assert report.errors == ([message] if error else [])

    def test_a_slip_that_grades_correct_counts_as_equal_to_the_reference(self, monkeypatch, fine):
        """A slip's answer the grader accepts is no distinct wrong answer (not 'without its feedback')."""
        class Lenient:
            def __init__(self, *args):
                pass

            def grade(self, part, answer):
                return SimpleNamespace(verdict="correct", misconception=None, check="tolerance", feedback="")
        monkeypatch.setattr(V, "ProblemGrader", Lenient)
        report = self.run(monkeypatch, fine, [(n, 2 * n) for n in range(2, 6)])
        assert report.errors == ["part x: bug=plus-one never produces a distinct wrong answer (it equals the "
                                 "reference on 2 of 2 seeds)"]

    @pytest.mark.parametrize("failing", ["never", "once", "always"])
    def test_one_slip_that_fails_or_equals_the_reference_does_not_hide_the_next(self, monkeypatch, fine, failing):
        """Each slip is checked on its own: a first one that crashes or changes nothing leaves the
        second checked. "always": the grader's own run of the slip fails too, while it looks for
        the slip an answer matches; that slip is then no match, and the family's other checks go on."""
        from grader.variants import Variant
        [part] = fine.parts
        [slip] = part.misconceptions
        two = replace(fine, parts=[replace(part, misconceptions=[replace(slip, bug="boom"), slip])])
        if failing != "never":
            real, asked = Variant.solve, []

            def solve(self, *, bug=None, given=None):
                if bug == "boom":   # validate asks first (after the draw); the grader, asking later, gets 2n
                    # the variants themselves, not their id(): a freed variant's id is reused
                    asked.append(self)
                    if failing == "always" or sum(v is self for v in asked) == 1:
                        raise KeyError("boom")
                return real(self, bug=bug, given=given)
            monkeypatch.setattr(Variant, "solve", solve)
        report = self.run(monkeypatch, two, [(n, 2 * n) for n in range(2, 6)])
        crashes = [f"seed s{s:04d}, part x: solver with bug=boom fails: KeyError: 'boom'" for s in (0, 2)]
        assert report.errors == (crashes if failing != "never" else []) + [
            f"part x: bug=boom never produces a distinct wrong answer (it equals the reference on "
            f"{0 if failing != 'never' else 2} of 2 seeds)"]


def test_suppressed_failures_carry_no_counts(monkeypatch):
    """Past MAX_ERRORS_PER_PROBLEM, repeated failures are not counted onto another line."""
    monkeypatch.setenv("GRADER_BANK", str(BROKEN))
    from grader.bank.loader import load_problem
    fine = load_problem(BROKEN / "problems" / "fine.yaml")
    calls = []

    def draw(problem, seed):
        calls.append(seed)
        raise ValueError(f"e{(len(calls) - 1) % 10}")
    monkeypatch.setattr(V, "draw_variant", draw)
    try:
        report = V.validate_problem(fine, 20)
    finally:
        sys.modules.pop("reference.broken_families", None)
    assert report.errors == [f"seed s{i:04d}: drawing failed: ValueError: e{i}; the same on 2 of 20 seeds"
                             for i in range(MAX_ERRORS_PER_PROBLEM)] + ["… further errors suppressed"]


@pytest.mark.usefixtures("broken_bank")
class TestValidateBank:
    """What a run lints: given paths or the default banks (with their set files), how many seeds,
    in this process or in forked workers."""

    @pytest.fixture
    def stub(self, monkeypatch):
        """validate_problem replaced by a record of what it was asked (and in which process)."""
        import os
        asked = []

        def validate_problem(problem, seeds):
            asked.append((problem.id, seeds))
            return ProblemReport(problem.id, problem.file, stats={"seeds": seeds, "pid": os.getpid()})
        monkeypatch.setattr(V, "validate_problem", validate_problem)
        return asked

    def fake_bank(self, root: Path, label: str, *, problems=(), sets=()):
        for name in problems:
            (root / "problems").mkdir(parents=True, exist_ok=True)
            (root / "problems" / name).write_text((BROKEN / "problems" / name).read_text())
        for name in sets:
            (root / "sets").mkdir(parents=True, exist_ok=True)
            (root / "sets" / name).write_text("id: x\n")
        return SimpleNamespace(bundled=False, label=label, problems=root / "problems", sets=root / "sets")

    def test_without_paths_the_default_banks_and_their_sets_are_linted(self, monkeypatch, tmp_path, stub):
        """No paths: the banks _default_banks gives, each family and each sets/*.yaml; a broken set file
        is one load error however many banks list it; a bank without problems/ or sets/ is no error."""
        from grader.errors import AuthorError
        shared = tmp_path / "one" / "sets"
        course = self.fake_bank(tmp_path / "one", "course", problems=["fine.yaml"],
                                sets=["a.yaml", "b.YAML", "notes.txt", "broken.yaml"])
        twin = SimpleNamespace(bundled=False, label="twin", problems=tmp_path / "none", sets=shared)
        empty = SimpleNamespace(bundled=False, label="empty", problems=tmp_path / "no", sets=tmp_path / "nope")
        asked_banks = []
        monkeypatch.setattr(V, "_default_banks", lambda all_banks: (asked_banks.append(all_banks),
                                                                    [course, twin, empty])[1])

        def load_set(file, bank=None):
            if file.name == "broken.yaml":
                raise AuthorError(file, "bad set")
        monkeypatch.setattr(V, "load_set", load_set)
        ok, report = validate_bank(seeds=3)
        assert asked_banks == [False] and stub == [("fine", 3)]
        assert report.sets == ["a.yaml [course]", "a.yaml [twin]"]
        assert report.load_errors == [AuthorError(shared / "broken.yaml", "bad set").render()]
        assert [p.problem for p in report.problems] == ["fine"] and not ok
        validate_bank(seeds=3, all_banks=True)
        assert asked_banks == [False, True]

    def test_given_paths_no_bank_is_searched(self, monkeypatch, stub):
        """Paths given: exactly those families, no set files, no default banks; 200 seeds by default."""
        monkeypatch.setattr(V, "_default_banks", lambda all_banks: pytest.fail("no bank search with paths"))
        ok, report = validate_bank([BROKEN / "problems" / "fine.yaml"])
        assert ok and report.sets == [] and report.load_errors == []
        assert stub == [("fine", 200)] and report.problems[0].stats["seeds"] == 200

    def test_a_family_that_does_not_load_leaves_the_others(self, tmp_path, stub):
        """A broken file is a load error; the files after it are still validated."""
        (tmp_path / "bad.yaml").write_text("id: [\n")
        ok, report = validate_bank([tmp_path / "bad.yaml", BROKEN / "problems" / "fine.yaml"], seeds=3)
        assert len(report.load_errors) == 1 and str(tmp_path / "bad.yaml") in report.load_errors[0]
        assert [p.problem for p in report.problems] == ["fine"] and not ok

    @pytest.mark.parametrize("workers,families,forked", [(2, 3, True), (2, 2, True), (2, 1, False), (1, 3, False)])
    def test_families_go_to_forked_workers_only_when_there_are_two_of_each(self, stub, workers, families, forked):
        """More than one worker and more than one family: a pool of forked workers; otherwise this
        process. Progress is reported as each family finishes, either way."""
        import os
        names = ["fine", "zero-often", "bug-silent"][:families]
        progress = []
        ok, report = validate_bank([BROKEN / "problems" / f"{n}.yaml" for n in names], seeds=3, workers=workers,
                                   progress=lambda done, total, pid: progress.append((done, total, pid)))
        pids = {p.stats["pid"] for p in report.problems}
        assert (os.getpid() not in pids) == forked
        assert [p.problem for p in report.problems] == sorted(names)
        assert [d for d, _, _ in progress] == list(range(1, families + 1))
        assert {t for _, t, _ in progress} == {families} and sorted(p for _, _, p in progress) == sorted(names)


class TestBanks:
    """Two course banks in force (GRADER_BANK=A:B), validated without paths: each family is reported
    with its bank, the first bank's family of an id wins, a different file of the same id in a later
    bank is a warning, and the same id twice in one bank is an error."""

    @pytest.fixture
    def banks(self, tmp_path, monkeypatch):
        import os
        import shutil
        roots = {}
        for name, families in (("A", ["constant-answer", "fine", "fine@sub"]), ("B", ["fine", "zero-often"])):
            root = tmp_path / name
            (root / "reference").mkdir(parents=True)
            (root / "sets").mkdir()
            shutil.copy(BROKEN / "reference" / "broken_families.py", root / "reference")
            for family in families:
                stem, _, sub = family.partition("@")
                folder = root / "problems" / (sub or "main")
                folder.mkdir(parents=True, exist_ok=True)
                text = (BROKEN / "problems" / f"{stem}.yaml").read_text()
                (folder / f"{stem}.yaml").write_text(text if name == "A" else text + "# B's copy\n")
            roots[name] = root
        monkeypatch.setenv("GRADER_BANK", os.pathsep.join(str(r) for r in roots.values()))
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(V, "validate_problem", lambda problem, seeds: ProblemReport(problem.id, problem.file))
        yield roots
        sys.modules.pop("reference.broken_families", None)

    def test_each_family_is_reported_with_its_bank_and_shadows_warn(self, banks):
        """Banks are named by their folder relative to the current one (./A)."""
        ok, report = validate_bank(seeds=3)
        a, b = banks["A"], banks["B"]
        by = {p.problem: p for p in report.problems}
        assert sorted(by) == ["constant-answer", "fine", "zero-often"]
        assert {pid: p.bank for pid, p in by.items()} == {"constant-answer": "./A", "fine": "./A",
                                                           "zero-often": "./B"}
        assert Path(by["fine"].file).parent == a / "problems" / "main"
        assert by["fine"].warnings == [f"shadows {b / 'problems' / 'main' / 'fine.yaml'} (./B), a different file "
                                       "of the same id; sets get the one in ./A"]
        assert by["constant-answer"].warnings == [] and by["zero-often"].warnings == []
        assert report.load_errors == [f"{a / 'problems' / 'sub' / 'fine.yaml'}: problem id 'fine' is already used "
                                      f"by {a / 'problems' / 'main' / 'fine.yaml'}"]

    def test_a_family_outside_every_bank_has_no_bank(self, banks, tmp_path):
        """A file given by path is reported with the bank holding it, or none."""
        outside = tmp_path / "loose" / "fine.yaml"
        outside.parent.mkdir()
        outside.write_text((BROKEN / "problems" / "fine.yaml").read_text())
        ok, report = validate_bank([outside], seeds=3)
        assert [(p.problem, p.bank) for p in report.problems] == [("fine", "")]
        ok, report = validate_bank([banks["B"] / "problems" / "main" / "zero-often.yaml"], seeds=3)
        assert [(p.problem, p.bank) for p in report.problems] == [("zero-often", "./B")]
