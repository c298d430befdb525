"""The hand-written parser against the normative one: Lark with grammar.lark.

Both build raw nodes; on every input the fast parser builds exactly what Lark
builds (kinds, parts, positions, depths), or it stops where Lark stops: at the same
unexpected token, the end of the text, or the same character no token starts with.
Inputs: the grammar's vocabulary shuffled at random, sentences generated from the
grammar's productions (and near misses of them), printed trees, and every string
the language tests and the benchmark mix contain.
"""

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from grader.lang import AnswerError, parse, parser, to_plain
from grader.lang.errors import DEFAULT_LIMITS
from grader.lang.fast_parser import LITERALS, NAME, NUMBER, WHITESPACE, Raw, Rejection, parse_raw
from grader.lang.normalize import normalize

from lang_strategies import NAMES, trees
from test_hostile import payloads

ROOT = Path(__file__).resolve().parents[2]


def flat(raw: Raw) -> tuple:
    """A raw tree as a flat pre-order tuple (iterative: hostile chains are deep).
    Lists are tagged with their length, so the flat form fixes the structure."""
    out, stack = [], [raw]
    while stack:
        item = stack.pop()
        if isinstance(item, Raw):
            out.append((item.kind, item.pos, item.depth, len(item.parts)))
            stack.extend(reversed(item.parts))
        elif isinstance(item, list):
            out.append(("list", len(item)))
            stack.extend(reversed(item))
        else:
            out.append(item)
    return tuple(out)


def by_lark(text: str) -> tuple | Rejection:
    try:
        return flat(parser._lark().parse(text))
    except (UnexpectedCharacters, UnexpectedEOF, UnexpectedToken) as exc:
        return parser.lark_rejection(text, exc)


def by_fast(text: str) -> tuple | Rejection | None:
    raw = parse_raw(text)
    return flat(raw) if isinstance(raw, Raw) else raw


def assert_same(text: str) -> None:
    assert by_fast(text) == by_lark(text), text


def nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


# -- the vocabulary ------------------------------------------------------------------

def test_tokens_are_the_grammars_terminals():
    """Same literals, same NUMBER and NAME patterns, same ignored characters."""
    grammar = parser._lark()
    terminals = {term.name: term.pattern for term in grammar.terminals}
    literals = {p.value for p in terminals.values() if p.type == "str"}
    assert literals == set(LITERALS)
    assert terminals["NUMBER"].value == NUMBER and terminals["NAME"].value == NAME
    [ignored] = grammar.ignore_tokens
    skipped = {chr(c) for c in range(0x3000) if re.fullmatch(terminals[ignored].value, chr(c))}
    assert skipped == set(WHITESPACE)


# -- generated inputs ----------------------------------------------------------------

WORDS = ("x", "y", "A", "v", "e", "T", "I", "log", "sigma", "max", "w_1", "x1", "E")
NUMBERS = ("0", "2", "10", "0.5", ".5", "1e3", "2E-2", "3.25e+1", "007")
ODD = ("!", "=", "|", "$", ".", "_", "#", "e", "\v", "٣")
SPACES = st.sampled_from(["", "", " ", "  ", "\t", "\n"])


@settings(max_examples=600)
@given(st.lists(st.tuples(st.sampled_from(LITERALS + WORDS + NUMBERS + ODD), SPACES),
                max_size=14))
def test_token_soup(tokens):
    """Any sequence of tokens, run together or spaced: mostly rejected by both."""
    assert_same("".join(token + space for token, space in tokens))


def sentences():
    """Texts derived from the grammar's productions with random spacing; joining
    them without a space may fuse tokens (`2` `e3`), which is still a text to read."""
    leaves = st.sampled_from(WORDS + NUMBERS)

    def extend(inner):
        operators = st.sampled_from(("+", "-", "*", "@", "/", ".*", "^", "**", " ", ""))
        listed = st.lists(inner, min_size=1, max_size=3)
        return st.one_of(
            st.builds(lambda a, s1, op, s2, b: f"{a}{s1}{op}{s2}{b}",
                      inner, SPACES, operators, SPACES, inner),
            st.builds(lambda sign, s, a: f"{sign}{s}{a}", st.sampled_from("-+"), SPACES, inner),
            st.builds(lambda a, primes: a + "'" * primes, inner, st.integers(1, 2)),
            st.builds(lambda pair, a: pair[0] + a + pair[1], st.sampled_from(["()", "{}"]), inner),
            st.builds(lambda name, args: f"{name}({', '.join(args)})",
                      st.sampled_from(WORDS), listed),
            st.builds(lambda rows: "[" + "; ".join(",".join(row) for row in rows) + "]",
                      st.lists(listed, min_size=1, max_size=3)),
        )

    return st.recursive(leaves, extend, max_leaves=14)


@settings(max_examples=600)
@given(sentences())
def test_grammar_sentences(text):
    """Nearly all accepted: precedence, associativity, positions and depths agree."""
    assert_same(text)


@settings(max_examples=600)
@given(sentences(), st.data())
def test_near_misses(text, data):
    """One character dropped, doubled or replaced: where the parsers' edges are."""
    at = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.sampled_from(LITERALS + ("", " ", "x", "1", "!")))
    cut = data.draw(st.integers(0, 1))
    assert_same(text[:at] + insert + text[at + cut:])


# The shared strategy filters matrix entries; when a draw gives up, Hypothesis spells
# out the whole strategy in a (harmless) warning.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(max_examples=300)
@given(trees())
def test_printed_trees(tree):
    assert_same(to_plain(tree))


@pytest.mark.parametrize("text", [
    "- " * 999 + "x", "-" * 1999 + "x", "+-" * 999 + "x", "2^" * 999 + "2", "2**" * 600 + "2",
    "x^-" * 600 + "x", "x" + "'" * 1999, "x" + " x" * 999, "x" + "+x" * 999,
    "(" * 60 + "x" + ")" * 60, "[" * 60 + "1" + "]" * 60, "f(" * 60 + "x" + ")" * 60,
])
def test_long_chains_need_no_recursion(text):
    """2000-character chains parse in the fast parser itself (a RecursionError there
    would make it decline), to the same tree as Lark's."""
    assert isinstance(parse_raw(text), Raw)
    assert_same(text)


# -- every string the tests and the benchmark use -------------------------------------

def corpus() -> list[str]:
    """String constants of tests/lang/*.py and bench/compare.py, the hostile payloads,
    and each of them after Unicode clean-up (what the parsers really see)."""
    texts = set(payloads("/tmp/marker"))
    for path in [*sorted((ROOT / "tests" / "lang").glob("*.py")), ROOT / "bench" / "compare.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.add(node.value)
    for text in list(texts):
        try:
            texts.add(normalize(text)[0])
        except AnswerError:
            pass
    # Beyond the bracket cap the pipeline stops before either parser.
    return sorted(text for text in texts if nesting(text) <= DEFAULT_LIMITS.max_depth)


CORPUS = corpus()


def test_corpus_is_large_and_mixed():
    accepted = sum(not isinstance(by_lark(text), Rejection) for text in CORPUS)
    assert len(CORPUS) >= 500 and 200 <= accepted <= len(CORPUS) - 200


@pytest.mark.parametrize("text", CORPUS)
def test_corpus(text):
    assert_same(text)


# -- the public parse -----------------------------------------------------------------

def outcome(text: str, names) -> tuple:
    parser.clear_cache()
    try:
        return ("tree", parse(text, names=names))
    except AnswerError as exc:
        return ("error", exc.message, exc.position)


@pytest.mark.parametrize("names", [None, {"x": ()}, NAMES], ids=["undeclared", "x", "matrices"])
def test_public_parse_is_unchanged(names, monkeypatch):
    """Same trees and the same messages at the same positions as with Lark alone,
    on the hostile payloads (also as LaTeX) and the collected corpus."""
    texts = payloads("/tmp/marker")
    texts += [f"${text}$" for text in texts] + CORPUS
    fast = [outcome(text, names) for text in texts]
    monkeypatch.setattr(parser, "parse_raw", lambda text: None)
    lark_only = [outcome(text, names) for text in texts]
    for text, mine, normative in zip(texts, fast, lark_only):
        assert mine == normative, text


# -- where a text leaves the language ---------------------------------------------------

@pytest.mark.parametrize("text, rejection", [
    ("x +", Rejection(3, "")),                    # the end of the text
    ("1,5", Rejection(1, ",")),
    ("[1, 0,, -1]", Rejection(6, ",")),
    ("1//6x", Rejection(2, "/")),
    ("x $ y", Rejection(2, "$", character=True)),
    ("x ) $", Rejection(2, ")")),                 # a syntax error before the bad character wins
    ("  # x", Rejection(2, "#", character=True)),
])
def test_rejections(text, rejection):
    assert parse_raw(text) == rejection == by_lark(text)


@pytest.mark.parametrize("text, message", [
    ("x +", "the answer ends too early"),
    ("1,5", "unexpected ',' at character 2; use a dot"),
    ("x ! y", "unexpected character '!' at character 3; factorials are not supported"),
    ("2 ** * 3", "unexpected '*' at character 6; an operand is missing"),
])
def test_messages_come_from_the_fast_parsers_rejection(text, message, monkeypatch):
    """Syntax errors no longer go through Lark: it is not called at all."""
    parser.clear_cache()
    monkeypatch.setattr(parser, "_lark", lambda: pytest.fail("Lark was asked"))
    with pytest.raises(AnswerError) as caught:
        parse(text)
    assert caught.value.message.startswith(message)
