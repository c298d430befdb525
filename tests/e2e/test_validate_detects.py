"""`grader validate` proves it detects: one broken family per detection branch (issue 17 item 2).

The families live in a mini bank outside the shipped one, ``tests/data/broken/``
(``problems/`` and ``reference/broken_families.py``); each breaks one rule, and
``fine`` breaks none. Every test checks the exact messages: a validator that stops
looking (or reports something else) fails here. Which seeds a check runs on (misconceptions
on every MISCONCEPTION_EVERY-th, templates on every RENDER_EVERY-th and on the LEAK_SEEDS,
rewritten forms on every REWRITE_EVERY-th) comes from validate's own constants.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from grader.bank.loader import load_problem
from grader.cli import main
from grader.render.leaks import LEAK_SEEDS
from grader.validate import (MISCONCEPTION_EVERY, RENDER_EVERY, REWRITE_EVERY, VALIDATE_SECRET,
                             validate_bank)
from grader.variants import draw_variant, variant_seed

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"
FEW = 3        # seeds for the error branches (each seed reports once)
MANY = 20      # the stress rules (warnings, an answer that barely varies) look at 20 seeds or more


@pytest.fixture(autouse=True)
def broken_bank(monkeypatch):
    """The mini bank in force (as `GRADER_BANK` puts it), so its families use its own
    ``reference/broken_families.py``."""
    monkeypatch.setenv("GRADER_BANK", str(BROKEN))
    yield
    sys.modules.pop("reference.broken_families", None)


def validate(family: str, seeds: int):
    ok, report = validate_bank([BROKEN / "problems" / f"{family}.yaml"], seeds=seeds)
    assert not report.load_errors
    [problem] = report.problems
    return ok, problem


def variants(family: str, seeds: int) -> list:
    """The variants validate draws for each seed."""
    problem = load_problem(BROKEN / "problems" / f"{family}.yaml")
    return [draw_variant(problem, variant_seed(VALIDATE_SECRET, "validate", f"s{s:04d}", problem.id))
            for s in range(seeds)]


def drawn(family: str, seeds: int) -> list[dict]:
    """The parameters validate draws for each seed (to count what a warning must count)."""
    return [v.params for v in variants(family, seeds)]


def deep(seeds: int) -> range:
    """The seeds misconceptions are graded on."""
    return range(0, seeds, MISCONCEPTION_EVERY)


def rendered(seeds: int) -> list[int]:
    """The seeds both languages' templates are rendered on."""
    return [s for s in range(seeds) if s % RENDER_EVERY == 0 or s < LEAK_SEEDS]


def per_seed(text: str, seeds=range(FEW)) -> list[str]:
    return [text.format(seed=f"s{s:04d}") for s in seeds]


def barely_varies(distinct: int, seeds: int = MANY) -> str:
    return (f"part x: the answer barely varies ({distinct} distinct values over {seeds} seeds); make it "
            "depend on the drawn parameters or mark it `fixed: true` with `why`")


# family -> the exact errors over FEW seeds
ERRORS = {
    "reference-unwritable": per_seed("seed {seed}, part x: the reference cannot be written as an answer: "
                                     "invalid literal for int() with base 10: 'many'"),
    "reference-wrong": per_seed("seed {seed}, part w: the reference written as -1 grades incorrect "
                                "(property: the weight must be positive)"),
    "hostile-values": [line for s in range(FEW) for line in (
        f"seed s{s:04d}, part f: fraction 1/10007 is not hand-friendly",
        f"seed s{s:04d}, part big: value 1000000000 is out of range for a hand calculation")],
    # misconceptions are graded on every MISCONCEPTION_EVERY-th seed only
    "bug-crashes": per_seed("seed {seed}, part x: solver with bug=boom fails: KeyError: 'boom'", deep(FEW)) + [
        f"part x: bug=boom never produces a distinct wrong answer (it equals the reference on 0 of "
        f"{len(deep(FEW))} seeds)"],
    "bug-silent": per_seed("seed {seed}, part x: the answer of bug=half (2) grades incorrect without its "
                           "feedback (exact)", deep(FEW)) + [
        f"part x: bug=half never produces a distinct wrong answer (it equals the reference on 0 of "
        f"{len(deep(FEW))} seeds)"],
    "bug-never-distinct": [f"part x: bug=same never produces a distinct wrong answer "
                           f"(it equals the reference on {len(deep(FEW))} of {len(deep(FEW))} seeds)"],
}


def statement_breaks_errors(seeds: int) -> list[str]:
    """One error for the English statement, with the first seed's parameters and how often."""
    params = drawn("statement-breaks", 1)[0]
    count = len(rendered(seeds))
    return [f"seed s0000: the en template, line 1 does not render: integer division or modulo by zero "
            f"(params: {params})" + (f"; the same on {count} of {seeds} seeds" if count > 1 else "")]


class TestErrors:
    @pytest.mark.parametrize("family", ERRORS)
    def test_each_broken_family_fails_with_its_message(self, family):
        ok, problem = validate(family, FEW)
        assert not ok
        assert problem.errors == ERRORS[family]
        assert problem.warnings == []

    def test_the_control_family_passes_clean(self):
        [part] = load_problem(BROKEN / "problems" / "fine.yaml").parts
        for seeds in (FEW, MANY):
            ok, problem = validate("fine", seeds)
            assert ok and problem.errors == [] and problem.warnings == []
            # the reference on every seed, its rewritten forms on every REWRITE_EVERY-th, and
            # its one slip on every MISCONCEPTION_EVERY-th
            rewrites = sum(len(part.answer.rewrites(part.answer.key_value(v.answers["x"])))
                           for v in variants("fine", seeds)[::REWRITE_EVERY])
            assert problem.stats["checks"] == seeds + rewrites + len(deep(seeds))

    @pytest.mark.parametrize("seeds", [FEW, MANY])
    def test_a_draw_that_always_fails_is_one_error_with_where_and_how_often(self, seeds):
        ok, problem = validate("draw-fails", seeds)
        assert not ok
        error, *rest = problem.errors
        where = BROKEN / "reference" / "broken_families.py"
        assert re.fullmatch(
            r"seed s0000: drawing failed: solver reference\.broken_families:draw_fails raised at "
            + re.escape(f"{where}:13: ZeroDivisionError: integer division or modulo by zero") +
            rf" \(params: n=\d+\); the same on {seeds} of {seeds} seeds", error), error
        # with no answer drawn at all, the stress rules (20 seeds or more) see no variety either
        assert rest == ([barely_varies(0, seeds)] if seeds >= MANY else [])
        assert problem.warnings == ([f"only 0 distinct variants over {seeds} seeds: neighbours may share "
                                     "a variant"] if seeds >= MANY else [])

    @pytest.mark.parametrize("seeds", [FEW, MANY])
    def test_a_statement_that_does_not_render_is_one_error_not_a_crash(self, seeds):
        """Checked on every RENDER_EVERY-th seed and on the LEAK_SEEDS, whose leak check is skipped."""
        ok, problem = validate("statement-breaks", seeds)
        assert not ok
        assert problem.errors == statement_breaks_errors(seeds)
        assert problem.warnings == []

    def test_a_crashing_check_is_reported_not_raised(self):
        ok, problem = validate("check-crashes", FEW)
        assert not ok
        [error] = problem.errors
        assert error.startswith("validation crashed:\n") and error.rstrip().endswith(
            "ValueError: this check is broken")

    def test_a_family_that_does_not_load_is_a_load_error(self, tmp_path):
        bad = tmp_path / "fine.yaml"
        bad.write_text((BROKEN / "problems" / "fine.yaml").read_text().replace("type: integer", "type: integre"))
        ok, report = validate_bank([bad], seeds=FEW)
        assert not ok and report.problems == []
        [error] = report.load_errors
        assert error.startswith(f"{bad}:") and "unknown answer type" in error and "got 'integre'" in error


class TestWarnings:
    def test_a_bug_that_often_equals_the_reference(self):
        params = drawn("bug-often-same", MANY)
        same = sum(params[s]["n"] % 2 == 0 for s in deep(MANY))    # odd-only changes odd n only
        assert 0 < same and same > len(deep(MANY)) // 4
        ok, problem = validate("bug-often-same", MANY)
        assert ok and problem.errors == []
        assert problem.warnings == [f"part x: bug=odd-only equals the reference on {same} of "
                                    f"{len(deep(MANY))} seeds"]

    def test_an_answer_that_is_often_zero(self):
        zeros = sum(p["n"] % 3 == 0 for p in drawn("zero-often", MANY))
        assert zeros > MANY // 10
        ok, problem = validate("zero-often", MANY)
        assert ok and problem.warnings == [f"part x: the answer is zero on {zeros} of {MANY} seeds "
                                           "(degenerate draws?)"]

    def test_an_answer_that_never_varies_is_an_error(self):
        ok, problem = validate("constant-answer", MANY)
        assert not ok
        assert problem.errors == [barely_varies(1)] and problem.warnings == []

    def test_fixed_true_with_why_allows_a_constant_answer(self):
        ok, problem = validate("constant-fixed", MANY)
        assert ok and problem.errors == [] and problem.warnings == []
        assert problem.stats["distinct_answers"] == {"x": 1}

    def test_a_fixed_part_whose_answer_varies_freely_is_an_error(self):
        distinct = len({2 * p["n"] for p in drawn("fixed-varies", MANY)})
        assert distinct >= 10
        ok, problem = validate("fixed-varies", MANY)
        assert not ok
        assert problem.errors == [f"part x is marked `fixed: true` but its answer takes {distinct} values "
                                  f"over {MANY} seeds; drop `fixed`"]
        assert problem.warnings == []

    def test_too_few_distinct_variants(self):
        distinct = len({p["n"] for p in drawn("few-variants", MANY)})
        assert distinct <= 3
        ok, problem = validate("few-variants", MANY)
        assert ok and problem.warnings == [f"only {distinct} distinct variants over {MANY} seeds: neighbours "
                                           "may share a variant"]

    def test_the_stress_rules_need_enough_seeds(self):
        for family in ("zero-often", "constant-answer", "fixed-varies", "few-variants"):
            ok, problem = validate(family, FEW)
            assert ok and problem.errors == [] and problem.warnings == [], family


class TestCommandLine:
    def test_exit_1_and_every_error_printed(self, capsys):
        families = ("fine", "bug-never-distinct", "constant-answer", "zero-often")
        paths = [str(BROKEN / "problems" / f"{f}.yaml") for f in families]
        assert main(["validate", *paths, "--seeds", str(MANY), "--workers", "1"]) == 1
        out = capsys.readouterr().out
        assert "✔ fine" in out and "✘ bug-never-distinct" in out and "✘ constant-answer" in out
        assert "! zero-often" in out
        assert ("    error: part x: bug=same never produces a distinct wrong answer "
                f"(it equals the reference on {len(deep(MANY))} of {len(deep(MANY))} seeds)") in out
        assert f"    error: {barely_varies(1)}" in out
        zeros = sum(p["n"] % 3 == 0 for p in drawn("zero-often", MANY))
        assert f"    warning: part x: the answer is zero on {zeros} of {MANY} seeds (degenerate draws?)" in out
        assert "Traceback" not in out
        assert "4 families checked; 2 with errors, 1 warnings" in out

    def test_exit_0_when_only_warnings(self, capsys):
        assert main(["validate", str(BROKEN / "problems" / "zero-often.yaml"), "--seeds", str(MANY)]) == 0
        assert "1 families checked; 0 with errors, 1 warnings" in capsys.readouterr().out

    def test_the_whole_broken_bank_in_parallel_reports_every_family(self, tmp_path):
        """Workers fork: the same reports as one process, and one crash hides nothing."""
        ok, report = validate_bank([BROKEN / "problems"], seeds=FEW, workers=2)
        assert not ok
        by = {p.problem: p for p in report.problems}
        assert len(by) == len(list((BROKEN / "problems").glob("*.yaml")))
        for family, errors in ERRORS.items():
            assert by[family].errors == errors, family
        assert by["statement-breaks"].errors == statement_breaks_errors(FEW)
        assert by["fine"].errors == [] and by["constant-fixed"].errors == [] and by["check-crashes"].errors
