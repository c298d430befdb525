"""No reference answer reaches a student before grading (issue 11, item 3): the leak check."""

from __future__ import annotations

import dataclasses

import pytest

from grader.bank.loader import load_bank
from grader.bank.model import Misconception
from grader.render.leaks import check_variant, find, needles
from grader.validate import VALIDATE_SECRET
from grader.variants import draw_variant, variant_seed

BANK = load_bank()


def _variant(problem, s=0):
    return draw_variant(problem, variant_seed(VALIDATE_SECRET, "validate", f"s{s:04d}", problem.id))


def _errors(problem, variant, html=False):
    out = []
    variant = dataclasses.replace(variant, problem=problem)   # the sheet renders variant.problem
    check_variant(problem, variant, "seed s0000", out.append, html=html)
    return out


def _with_statement(problem, extra):
    statement = {lang: text + "\n\n" + extra for lang, text in problem.statement.items()}
    return dataclasses.replace(problem, statement=statement)


class TestReportedLeaksAreCaught:
    """Each example issue 11 saw, put back on a sheet, fails the check; the bank as fixed passes."""

    @pytest.mark.parametrize("pid, example, part", [
        ("gaussian-mle", "Products with a space (`inv(Sigma) (x - mu)`).", "grad_mu"),
        # these two formulas now carry a drawn factor (issue 15): the example is the variant's own
        ("sigmoid-facts", "Write a formula (for example `{answer}`).", "dsig_s"),
        ("matrix-gradients", "Write products with a space (`{answer}`, `A * x`).", "grad_log"),
    ])
    def test_old_typing_examples(self, pid, example, part):
        problem = BANK[pid]
        if "{answer}" in example:
            variant = _variant(problem)
            example = example.format(answer=variant.answers[part])
        else:
            variant = next(v for v in map(lambda s: _variant(problem, s), range(40))
                           if example.split("`")[1].replace(" ", "") in v.answers[part].replace(" ", ""))
        assert not _errors(problem, variant)
        errors = _errors(_with_statement(problem, example), variant)
        assert any(f"part {part}" in e and "sheet.md (en)" in e for e in errors), errors
        assert any("sheet.tex (ru)" in e for e in errors)

    def test_the_old_matrix_expression_hint(self):
        problem = BANK["matrix-gradients"]
        variant = _variant(problem)
        # the old hint's example was grad_quad's answer; it now carries the drawn factor (issue 15)
        parts = tuple(dataclasses.replace(p, answer=_OldHint(p.answer, variant.answers["grad_quad"]))
                      if p.type == "matrix-expression" else p for p in problem.parts)
        errors = _errors(dataclasses.replace(problem, parts=parts), variant)
        assert any("answers.yaml" in e and "grad_quad" in e for e in errors), errors

    def test_feedback_that_states_the_answer(self):
        problem = BANK["nearest-symmetric"]
        part = problem.part("grad_obj")
        told = Misconception("no-transpose", {"en": "The gradient is $G^\\top = 2(X - A)$.", "ru": "Ответ 2(X - A)."})
        parts = tuple(dataclasses.replace(p, misconceptions=(told,)) if p.id == part.id else p for p in problem.parts)
        errors = _errors(dataclasses.replace(problem, parts=parts), _variant(problem))
        assert any("feedback of bug=no-transpose (en)" in e for e in errors), errors
        assert any("feedback of bug=no-transpose (ru)" in e for e in errors)

    def test_html_is_checked_as_the_student_reads_it(self):
        problem = BANK["gaussian-mle"]
        variant = _variant(problem)
        errors = _errors(_with_statement(problem, "`inv(Sigma) (x - mu)`"), variant, html=True)
        assert any("sheet.html (en)" in e for e in errors)


class _OldHint:
    """A matrix-expression type whose hint shows the example the issue found."""

    def __init__(self, inner, example="(A + A^T) x"):
        self._inner = inner
        self._example = example

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def hint(self, lang):
        return f"a formula in A, x, e.g. {self._example}"


class TestNumberRule:
    def test_tiny_numbers_are_not_needles(self):
        part = BANK["lsq-gd-two-steps"].part("ols")
        assert needles(part, 2, {})[0] == set()
        assert needles(part, 0.5, {})[0] == set()
        assert needles(part, 12, {})[0] == set()

    def test_three_significant_digits_are(self):
        part = BANK["lsq-gd-two-steps"].part("ols")
        numbers, _ = needles(part, 0.4761591, {})
        assert "0.476" in numbers
        assert find("the answer is 0.476 here", numbers, set()) == "0.476"
        assert find("the answer is 10.4763 here", numbers, set()) is None    # a piece of another number
        assert find("x = 0.4761", numbers, set()) is None

    def test_a_value_given_in_the_statement_is_not_a_leak(self):
        part = BANK["lsq-gd-two-steps"].part("ols")
        assert needles(part, 125, {"n": 125})[0] == set()
        assert needles(part, 125, {"n": 124})[0] == {"125"}

    def test_short_formulas_are_not_needles(self):
        part = BANK["matrix-gradients"].part("grad_quad")
        assert needles(part, "A^T", {})[1] == set()
        assert "(A+A^T)x" in needles(part, "(A + A^T) x", {})[1]
        assert find(r"we get $(A + A^\top)\, x$", set(), needles(part, "(A + A^T) x", {})[1])


def test_the_whole_bank_passes_on_a_seed():
    """validate runs this on LEAK_SEEDS seeds; here one seed per family, every format."""
    errors = []
    for problem in BANK.values():
        check_variant(problem, _variant(problem, 1), problem.id, errors.append, html=True)
    assert errors == []


def test_validate_fails_on_a_leak():
    """`grader validate` reports the leak as an error (so it exits 1)."""
    from grader.validate import validate_problem
    problem = BANK["sigmoid-facts"]
    leaky = _with_statement(problem, "For example `1 - u^2`.")   # dtanh_u's answer (a fixed part)
    report = validate_problem(leaky, 2)
    assert any("contains the reference of part dtanh_u" in e for e in report.errors), report.errors
    assert not [e for e in validate_problem(problem, 2).errors if "reference of part" in e]


def test_a_tikz_picture_is_read_by_its_labels_not_its_coordinates():
    """Coordinates are markup (like SVG attributes): ``(1.81,-0.64)`` is no answer 1.81,
    but a label that prints 1.81 is one."""
    from grader.render.leaks import as_read
    tex = ("see\n\\begin{tikzpicture}[x=1cm,y=1cm,>=stealth]\n\\draw[->] (1.81,-0.31) -- (2.4,-0.64);\n"
           "\\node[inner sep=1pt,font=\\footnotesize,fill=white] at (0.5,1.81) {%s};\n\\end{tikzpicture}\n$a<b$ c>1.81")
    assert find(as_read(tex % "h_1", html=False).replace("c>1.81", ""), {"1.81"}, set()) is None
    assert find(as_read(tex % "y = 1.81", html=False), {"1.81"}, set()) == "1.81"
    assert "c>1.81" in as_read(tex % "h_1", html=False)   # LaTeX text outside pictures is kept whole
    assert find(as_read('<svg><text x="1.81">h</text></svg>', html=True), {"1.81"}, set()) is None
