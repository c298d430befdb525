"""Answers built to fool the comparison, the way a student trading tricks would.

Every expression and matrix-expression part of the bank (a few variants each) is
tried with wrong answers that hide behind floating point: huge cancelling terms,
factors like ``10^20 + 2 - 10^20`` that round to something else, trig of huge
arguments, the right answer scaled by a constant that is not 1. None may be
``correct`` or ``partial``. The same tricks arranged to be exactly equal to the
reference may be ``correct`` or ``undecided``, never ``incorrect``.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.answer_types.base import Context
from grader.answer_types.registry import ANSWER_TYPES
from grader.compare import compare_one
from grader.lang import AnswerError, parse, to_plain

HUGE = ("10^20", "10^16", "exp(30)", "exp(40)", "1e12", "2^60", "10^300")
# tanh and sigmoid of a huge argument are 1 to within e^(-10^20): no finite precision
# tells them from 1 (a documented limit), so only sin and cos serve as noise here.
TRIG = ("sin", "cos")
ACCEPTED = ("correct", "partial")
FORMULA_TYPES = ("expression", "matrix-expression")
SEEDS = (1, 2)


@functools.cache
def bank_parts() -> tuple:
    """(problem id, part id, answer type, reference value, seed) for every formula part
    of the bank, over a few variants; one entry per distinct reference."""
    from grader.bank.loader import load_bank
    from grader.variants import draw_variant
    out, seen = [], set()
    for pid, problem in sorted(load_bank().items()):
        for seed in SEEDS:
            variant = draw_variant(problem, seed)
            for part in problem.parts:
                if part.type not in FORMULA_TYPES:
                    continue
                key = (pid, part.id, str(variant.answers[part.id]))
                if key in seen:
                    continue
                seen.add(key)
                out.append((pid, part.id, part.answer, variant.answers[part.id], seed))
    return tuple(out)


def verdict(answer_type, reference, answer: str, seed: int = 0) -> str:
    ctx = Context(params={}, seed=seed)
    ref = answer_type.read_reference(reference, ctx)
    ctx = ctx._replace(reference=ref)
    try:
        ans = answer_type.read(answer, ctx)
        comp = answer_type.compare(ref, ans, ctx)
    except AnswerError:
        return "invalid"
    if comp.score is None:
        return "undecided"
    return "correct" if comp.score >= 1 else "partial" if comp.score > 0 else "incorrect"


def plain(answer_type, reference) -> str:
    return to_plain(parse(str(reference), names=answer_type.names))


def wrong_forms(r: str) -> list[str]:
    """Answers that differ from the reference r (unless r is identically 0)."""
    return [
        f"({r})*(10^20 + 2 - 10^20)",                 # 2r, rounded to 0·r or r
        f"({r})*(exp(40) + 2 - exp(40))",
        f"({r})*(1 + sin(10^20))",                     # times 0.355…
        f"({r})*(1 + 10^-6)",
        f"({r})*(1 + 10^-9)",
        f"-({r})",
        f"({r}) + ({r})*(10^16 + 1 - 10^16)",          # 2r
        f"({r})*(10^20 - 10^20)",                      # 0
        f"({r})*(exp(30) - exp(30))",
        f"({r})*(1e12 + 3 - 1e12)",
        f"({r})*sin(10^22)",
        f"({r})*(2^60 + 1 - 2^60 + 1)",
    ]


def equal_forms(r: str) -> list[str]:
    """Answers exactly equal to r, whose floats lose that."""
    return [
        f"({r})*(10^20 + 1 - 10^20)",
        f"({r})*(exp(40) + 1 - exp(40))",
        f"({r})*(sin(10^20)^2 + cos(10^20)^2)",
        f"({r})*(1e12 + 1 - 1e12)",
        f"({r}) + ({r})*(10^20 - 10^20)",
    ]


def _ids(entries):
    return [f"{pid}.{part}.{seed}" for pid, part, _, _, seed in entries]


def test_the_sweep_covers_the_bank():
    parts = bank_parts()
    kinds = {at.name for _, _, at, _, _ in parts}
    assert kinds == set(FORMULA_TYPES)
    assert len({(pid, part) for pid, part, *_ in parts}) >= 30


@pytest.mark.parametrize("entry", bank_parts(), ids=_ids(bank_parts()))
def test_no_disguised_wrong_answer_is_accepted_on_any_bank_part(entry):
    pid, part, answer_type, reference, seed = entry
    r = plain(answer_type, reference)
    assert verdict(answer_type, reference, r, seed) == "correct"
    for text in wrong_forms(r):
        assert verdict(answer_type, reference, text, seed) not in ACCEPTED, text
    for text in equal_forms(r):
        assert verdict(answer_type, reference, text, seed) in ("correct", "undecided"), text


# -- hypothesis: tricks composed at random ----------------------------------------------

huge = st.sampled_from(HUGE)
factor = st.sampled_from(["2", "3", "1/2", "-1", "0", "1.001", "0.999999", "1 + 10^-7"])


@st.composite
def disguised_constant(draw, value: str) -> str:
    """A constant expression exactly equal to ``value`` whose float is something else."""
    h = draw(huge)
    shape = draw(st.integers(0, 3))
    if shape == 0:
        return f"({h} + {value} - {h})"
    if shape == 1:
        return f"((({value}) + {h})*1 - {h})"
    if shape == 2:
        return f"({value})*(sin({h})^2 + cos({h})^2)"
    return f"({h} - {h} + {value})"


SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.data())
def test_random_disguises_of_wrong_factors_are_never_accepted(data):
    pid, part, answer_type, reference, seed = data.draw(st.sampled_from(bank_parts()))
    r = plain(answer_type, reference)
    c = data.draw(factor)
    text = f"({r})*{data.draw(disguised_constant(c))}"
    assert verdict(answer_type, reference, text, seed) not in ACCEPTED, (pid, part, text)


@SETTINGS
@given(st.data())
def test_random_disguises_of_one_keep_the_answer_right(data):
    pid, part, answer_type, reference, seed = data.draw(st.sampled_from(bank_parts()))
    r = plain(answer_type, reference)
    text = f"({r})*{data.draw(disguised_constant('1'))}"
    assert verdict(answer_type, reference, text, seed) in ("correct", "undecided"), (pid, text)


@SETTINGS
@given(huge, st.sampled_from(TRIG), st.integers(-3, 3))
def test_constants_alone_never_pass_for_a_formula(h, fn, k):
    """Huge or cancelling constants, and trig of huge arguments, against formulas in t."""
    answer_type = ANSWER_TYPES["expression"]({"variables": {"t": {}}})
    for reference in ("sigmoid(t)*(1 - sigmoid(t))", "2*t", "t^2 + 1", "log(1 + exp(t))"):
        for text in (f"{fn}({h})", f"{h} - {h}", f"{h} + {k} - {h}", f"{fn}({h})*{k}",
                     f"t + {h} - {h}", f"t*({fn}({h})^2 + {k})"):
            assert verdict(answer_type, reference, text) not in ACCEPTED, (reference, text)


@SETTINGS
@given(huge, st.integers(-5, 5), st.sampled_from(["sigmoid", "sin", "exp"]))
def test_exact_cancellations_are_not_lost(h, k, fn):
    """t + h - h against t, exact constants against their value: never incorrect."""
    answer_type = ANSWER_TYPES["expression"]({"variables": {"t": {}}})
    assert verdict(answer_type, f"{fn}(t) + {k}", f"{fn}(t) + {h} + {k} - {h}") in \
        ("correct", "undecided")
    assert verdict(answer_type, f"{fn}(t) + {k}", f"{fn}(t) + {h} + {k + 1} - {h}") not in ACCEPTED


@SETTINGS
@given(huge, st.integers(-5, 5))
def test_numbers_are_computed_exactly(h, k):
    """10^16 + 1 - 10^16 is 1 for a number answer, whatever the tolerance."""
    answer_type = ANSWER_TYPES["number"]({})
    assert verdict(answer_type, k, f"{h} + {k} - {h}") == "correct"
    assert verdict(answer_type, k, f"{h} + {k + 1} - {h}") != "correct"
    assert verdict(answer_type, k, f"({h} + 1 - {h})*{k}") == "correct"


@SETTINGS
@given(huge, st.integers(-3, 3))
def test_matrix_answers_resist_the_same_tricks(h, k):
    answer_type = ANSWER_TYPES["matrix-expression"](
        {"variables": {"A": {"shape": [3, 3]}, "x": {"shape": [3, 1]}}})
    reference = "(A + A^T) x"
    for text in (f"x*({h} - {h})", f"x*({h} + {k} - {h})", f"(A + A^T) x * ({h} + 2 - {h})",
                 f"A x * sin({h})", f"(A + A^T) x + x*({h} + 1 - {h})"):
        assert verdict(answer_type, reference, text) not in ACCEPTED, text
    assert verdict(answer_type, reference, f"(A + A^T) x * ({h} + 1 - {h})") in \
        ("correct", "undecided")
    assert verdict(ANSWER_TYPES["matrix"]({}), "[[1, 2], [3, 4]]",
                   f"[[1, 2], [3, {h} + 4 - {h}]]") == "correct"
    assert verdict(ANSWER_TYPES["matrix"]({}), "[[1, 2], [3, 4]]",
                   f"[[1, 2], [3, {h} + 5 - {h}]]") != "correct"


# -- the cases from the issue, through `grader compare` ---------------------------------

ISSUE_CASES = [
    ("sigmoid(t)*(1-sigmoid(t))", "sin(10^20)", {"t": []}, None),
    ("sigmoid(t)*(1-sigmoid(t))", "10^20 - 10^20", {"t": []}, None),
    ("sigmoid(t)*(1-sigmoid(t))", "exp(30) - exp(30)", {"t": []}, None),
    ("2*t", "t + 1e12 - 1e12", {"t": []}, None),
    ("(A + A^T) x", "x*(10^20-10^20)", {"A": [3, 3], "x": [3, 1]}, None),
    ("0", "10^16 + 1 - 10^16", {}, "number"),
    ("exp(100)", "exp(100) + 1", {"t": []}, None),
    ("exp(100)", "exp(100) + 1", {}, "number-exact"),
]


@pytest.mark.parametrize("ref, ans, variables, kind", ISSUE_CASES)
def test_the_reported_cases_are_rejected(ref, ans, variables, kind):
    if kind == "number-exact":
        return                      # a number's declared tolerance accepts +1 on e^100
    out = compare_one(ref, ans, variables, kind)
    assert out["verdict"] not in ACCEPTED, out


def test_exact_value_of_a_number_answer():
    assert compare_one("1", "10^16 + 1 - 10^16", {}, "number")["verdict"] == "correct"
    assert compare_one("1", "exp(40) + 1 - exp(40)", {}, "number")["verdict"] == "correct"
    assert compare_one("t", "t + 1e12 - 1e12", {"t": []}, None)["verdict"] == "correct"


# -- overflow and size --------------------------------------------------------------

BIG_INT = int("9" * 400)


@pytest.mark.parametrize("kind, text", [
    ("number", "1e400"), ("number", "-1e400"), ("number", "10^400"), ("number", "exp(1000)"),
    ("number", BIG_INT), ("number", -BIG_INT), ("number", float("inf")),
    ("matrix", "[[1, 1e400]]"), ("expression", "t + 1e400"),
    ("matrix-expression", "x * 1e400"),
])
def test_beyond_the_float_range_is_invalid_too_large(kind, text):
    variables = {"t": []} if kind == "expression" else \
        {"x": [3, 1]} if kind == "matrix-expression" else {}
    reference = {"number": "1", "matrix": "[[1, 2]]", "expression": "t",
                 "matrix-expression": "x"}[kind]
    out = compare_one(reference, text, variables, kind)
    assert out["verdict"] == "invalid", out
    assert "too large: at most" in out["message"]


def test_too_large_has_a_russian_message():
    answer_type = ANSWER_TYPES["number"]({})
    with pytest.raises(AnswerError) as caught:
        answer_type.read(BIG_INT, Context(params={}))
    assert "too large: at most" in caught.value.text("en")
    assert "слишком большое число" in caught.value.text("ru")


def test_compare_batch_answers_every_line(tmp_path):
    lines = [
        {"reference": "I", "answer": "I", "variables": {"A": [3, 3]}},
        {"reference": "I", "answer": "A inv(A)", "variables": {"A": [3, 3]}, "shape": [3, 3]},
        {"reference": "1", "answer": "1e400"},
        {"reference": "log(t)", "answer": "log(t^2)/2",
         "variables": {"t": {"domain": [0.5, 3]}}},
        {"reference": "log(det(S))", "answer": "-log(det(inv(S)))",
         "variables": {"S": {"shape": [3, 3], "kind": "spd"}}},
        {"reference": "1", "answer": BIG_INT},
        {"reference": "x", "answer": "x", "variables": {"x": {"shape": [0, 1]}}},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grader", "compare", "--batch", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(out) == len(lines) + 1
    assert "error" in out[0] and "size of I" in out[0]["error"]
    assert out[1]["verdict"] == "correct"
    assert out[2]["verdict"] == "invalid" and "too large" in out[2]["message"]
    assert out[3]["verdict"] == "correct"
    assert out[4]["verdict"] == "correct"
    assert out[5]["verdict"] == "invalid" and "too large" in out[5]["message"]
    assert "error" in out[6] and "shape" in out[6]["error"]
    assert "error" in out[7] and "not JSON" in out[7]["error"]


def test_check_and_grade_say_too_large_in_both_languages(root, tmp_path, capsys, monkeypatch):
    """A 400-digit YAML integer, a YAML float beyond range and '-1e400' in an answer file."""
    from grader.bank.loader import load_set
    from grader.cli import main
    from grader.demo import synthesize
    monkeypatch.setenv("GRADER_SECRET", "sound-adversarial-test-secret")
    synthesize(load_set(root / "sets" / "demo.yaml"), tmp_path / "subs")
    text = (tmp_path / "subs" / "s001.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("    total: "))
    lines[first] = "    total: " + "9" * 400
    lines[first + 1] = "    total_no_bias: 1.0e+400"
    lines[first + 2] = "    half: '-1e400'"
    (tmp_path / "one").mkdir()
    answers = tmp_path / "one" / "s001.yaml"
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for lang, phrase in (("en", "too large: at most"), ("ru", "слишком большое число")):
        main(["check", str(answers), "--set", str(root / "sets" / "demo.yaml"), "--lang", lang])
        out = capsys.readouterr().out
        assert out.count(phrase) == 3, out
        assert "Traceback" not in out
    assert main(["grade", str(root / "sets" / "demo.yaml"), "--submissions", str(tmp_path / "one"),
                 "--out", str(tmp_path / "out"), "--quiet"]) == 0
    row = json.loads((tmp_path / "out" / "results.jsonl").read_text().splitlines()[0])
    parts = {p["part"]: p for p in row["parts"] if p["part"] in ("total", "total_no_bias", "half")}
    assert len(parts) == 3
    for p in parts.values():
        assert p["verdict"] == "invalid", p
        assert not p["check"].startswith("internal-error")


@SETTINGS
@given(huge, st.integers(-3, 3), st.sampled_from(["number", "integer", "vector"]))
def test_numeric_types_read_exact_values(h, k, kind):
    """number, integer and vector answers: the exact value, whatever floats would round."""
    answer_type = ANSWER_TYPES[kind]({})
    if kind == "vector":
        ref, right, wrong = [k, 1], f"[{h} + {k} - {h}, 1]", f"[{h} + {k + 1} - {h}, 1]"
    else:
        ref, right, wrong = k, f"{h} + {k} - {h}", f"{h} + {k + 1} - {h}"
    assert verdict(answer_type, ref, right) == "correct"
    assert verdict(answer_type, ref, wrong) not in ACCEPTED
