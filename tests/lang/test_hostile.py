"""Hostile input: every item is refused quickly with a clear message, nothing runs.

Each payload that would act if executed touches a marker file; the tests assert the
file never appears, and that eval, exec and sympy's string parser are never called.
"""

import builtins
import time

import pytest
import sympy.parsing.sympy_parser as sympy_parser

from grader.lang import AnswerError, Limits, parse, to_plain
from grader.lang.equivalence import VarSpec, compare_scalar

NAMES = {"x": ()}
QUICK_S = 0.5          # parsing is bounded by the length cap; this is a generous ceiling


def payloads(marker: str) -> list[str]:
    return [
        f"__import__('os').system('touch {marker}')",
        "().__class__.__bases__[0].__subclasses__()",
        "x.__class__", "[].__class__.__mro__", "lambda: 1", "lambda x: x",
        'exec("x")', "exec('x')", "eval", "eval('1')", "import os", "getattr(x, 'y')",
        f"open('{marker}', 'w')", "globals()", "__builtins__", "sympify('x')",
        "'x'", '"x"', "x; x", "x # comment", "x if x else x", "f'{x}'", "x.real",
        "9^9^9^9", "10^10^10", "2^2^2^2^2^2", "factorial(10^10)", "x!", "10**10**10",
        "(" * 30 + "x" + ")" * 29, "x" + "^x" * 300, "x" + "^-x" * 300,
        "\x00", "x\x00", "x\x01 + 1", "x\x1b[31m", "x\x7f", "\u202ex + 1", "x\u200b",
        "\ufeffx", "x\u2066 + 1\u2069", "а + 1", "x + с", "ｅｘｅｃ('x')", "ℯ𝓍ℯ𝒸",
        r"$\input{/etc/passwd}$", r"$\def\x{1}$", r"$\write18{touch " + marker + "}$",
        r"$\immediate$", r"$\csname x\endcsname$", "$" + "{" * 100 + "x" + "}" * 100 + "$",
        r"$\sqrt" * 100 + "x$",
    ]


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a payload ran"


@pytest.fixture
def nothing_executes(monkeypatch):
    """Fail loudly if anything tries eval/exec or sympy's string parser while parsing."""
    parse("x", names=NAMES)                      # the Lark parser is built before guarding
    calls = []

    def guard(name):
        def refuse(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} called")
        return refuse

    monkeypatch.setattr(builtins, "eval", guard("eval"))
    monkeypatch.setattr(builtins, "exec", guard("exec"))
    monkeypatch.setattr(sympy_parser, "parse_expr", guard("parse_expr"))
    yield calls
    assert calls == []


def test_every_payload_is_refused_quickly(marker, nothing_executes):
    for text in payloads(str(marker)):
        started = time.perf_counter()
        with pytest.raises(AnswerError) as caught:
            parse(text, names=NAMES)
        assert time.perf_counter() - started < QUICK_S, text
        assert caught.value.message.strip(), text


def test_payloads_as_latex_are_quick_and_inert(marker, nothing_executes):
    """Between dollars some payloads are valid LaTeX ($10^10^10$ is 10^1 0^1 0)."""
    for text in payloads(str(marker)):
        started = time.perf_counter()
        try:
            parse(f"${text}$", names=NAMES)
        except AnswerError:
            pass
        assert time.perf_counter() - started < QUICK_S, text


def test_undeclared_mode_runs_nothing_either(marker, nothing_executes):
    """Without declared names some payloads are just symbols; still nothing runs."""
    for text in payloads(str(marker)):
        try:
            to_plain(parse(text))
        except AnswerError:
            pass


@pytest.mark.parametrize("text, fragment", [
    ("x" * 5_000_000, "too long: 5000000 characters (at most 2000)"),
    ("9^9^9^9", "exponent at character 5 is too large (3.8742e+08; at most 1000)"),
    ("10^10^10", "too large (1e+10; at most 1000)"),
    ("factorial(10^10)", "unknown name 'factorial'"),
    ("(" * 10_000 + "x" + ")" * 10_000, "too long"),
    ("\x00", "invisible control character (U+0000)"),
    ("\u202ex + 1", "invisible control character (U+202E)"),
    ("а + 1", "'а' (Cyrillic Small Letter A, U+0430), which only looks like a Latin letter"),
    ("__import__('os')", "unexpected character '_'"),
    ("lambda: 1", "unexpected character ':'"),
    ('exec("x")', "unexpected character '\"'"),
    ("x" + "^x" * 300, "nested too deeply (more than 250 levels)"),
])
def test_messages_say_what_is_wrong(text, fragment):
    started = time.perf_counter()
    with pytest.raises(AnswerError) as caught:
        parse(text, names=NAMES)
    assert time.perf_counter() - started < QUICK_S
    assert fragment in caught.value.message


def test_deep_nesting_never_reaches_the_recursion_limit():
    """With the length cap lifted, 10 000 nested brackets hit the depth cap, not Python's."""
    limits = Limits(max_length=10 ** 6)
    for opener, closer in (("(", ")"), ("[", "]"), ("{", "}")):
        with pytest.raises(AnswerError, match="nested too deeply"):
            parse(opener * 10_000 + "x" + closer * 10_000, names=NAMES, limits=limits)
    with pytest.raises(AnswerError, match="nested too deeply"):
        parse("$" + r"\sqrt" * 10_000 + " x$", names=NAMES, limits=limits)
    with pytest.raises(AnswerError, match="nested too deeply"):
        parse("-" * 10_000 + "x", names=NAMES, limits=limits)


def test_full_width_digits_are_read_as_digits():
    """Confusable digits are normalised (the API contract), letters of other scripts are not."""
    assert to_plain(parse("１２ x", names=NAMES)) == "12*x"


def test_explosive_but_valid_answers_are_bounded_by_the_budget():
    """exp(exp(exp(x))) is legal; it overflows to inf in sampling and the sympy
    fallback is killed at the budget, so grading ends promptly as undecided or decided."""
    ref = parse("x", names=NAMES)
    ans = parse("exp(exp(exp(100 + x^2)))", names=NAMES)
    started = time.monotonic()
    outcome = compare_scalar(ref, ans, {"x": VarSpec()}, budget_s=1.0)
    assert time.monotonic() - started < 30             # interpreter start-up + 1 s budget
    assert outcome.equal is not True


def test_a_flat_chain_of_hundreds_of_terms_is_not_nesting():
    """Only real depth counts against the cap: a sum or product of 900 terms is read."""
    names = {"x": ()}
    for op, ref in (("+", "900 x"), ("-", "-898 x"), ("*", "x^900")):
        node = parse(op.join(["x"] * 900), names=names)
        outcome = compare_scalar(parse(ref, names=names), node, {"x": {"domain": [0.99, 1.01]}})
        assert outcome.equal is True
    with pytest.raises(AnswerError, match="nested too deeply"):
        parse("x" + "^x" * 300, names=names)
