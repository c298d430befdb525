"""A hand-written parser for exactly the language of ``grammar.lark``.

``grammar.lark`` is the normative grammar. This parser exists for speed: Lark's
LALR loop (token objects, table look-ups, transformer callbacks) was half the cost
of reading a typical answer, and its error path (exception objects, expected-token
sets) cost more than a whole parse here. It builds the very same raw nodes that
``parser._RawBuilder`` builds from Lark's parse (kinds, parts, positions, depths).

On a text outside the language it says where the text stops being the start of
any sentence: the first token that cannot follow, or the first character no token
starts with (a ``Rejection``). Lark stops at the same place: an LALR parser never
shifts a token that cannot follow, its lexer is asked for a token only when the
parser needs one, and every state here can still be completed. The error messages
are made from that place, whichever parser found it.

The differential tests (tests/lang/test_fast_parser.py) hold the two parsers to
the same tree or the same rejection on generated and collected inputs.
"""

from __future__ import annotations

import re


class Raw:
    """A syntax node before names are resolved (see ``parser._Resolver``).

    ``pos`` is the offset of the node's first leaf, not of a leading sign or
    bracket: both parsers take it from the first child, as Lark's callbacks see them.
    ``depth`` is checked against ``Limits.max_tree_depth`` before any recursion
    over the tree.
    """

    __slots__ = ("kind", "parts", "pos", "depth")

    def __init__(self, kind: str, parts: tuple, pos: int, depth: int):
        self.kind, self.parts, self.pos, self.depth = kind, parts, pos, depth


# The grammar's terminals: literals, then NUMBER and NAME, with whitespace skipped in
# front of each token. The literal alternation lists `**` before `*`, as Lark's lexer
# tries longer literals first; `.*` cannot be confused with a NUMBER like `.5`.
LITERALS = ("**", ".*", "+", "-", "*", "@", "/", "^", "'", "(", ")", "{", "}", "[", "]",
            ",", ";")
NUMBER = r"(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?"
NAME = r"[A-Za-z][A-Za-z0-9_]*"
WHITESPACE = " \t\r\n"

# One match per token: (whitespace before it, operator, number, name). A character
# no alternative matches is skipped by findall, so the lengths are added up to
# tell a text covered end to end from one with a gap.
_TOKEN = re.compile(
    f"([{WHITESPACE}]*)(?:({'|'.join(map(re.escape, LITERALS))})"
    f"|({NUMBER.replace('(', '(?:')})|({NAME}))")
_END = "$END"
_BAD = "$BAD"          # a character no token starts with

_ADDITIVE = {"+": "add", "-": "sub"}
_MULTIPLICATIVE = {"*": "mul", "@": "mul", "/": "div", ".*": "hadamard"}
_SIGNS = {"-": "neg", "+": "pos"}
_POWER = ("^", "**")
# Tokens that can begin a `power`: after a term, they make a juxtaposed factor.
_STARTS_POWER = frozenset(("NUMBER", "NAME", "(", "{", "["))
_GROUPS = {"(": (")", "paren"), "{": ("}", "brace")}


class Rejection:
    """Where a text leaves the language: the offset ``pos``, and the token there
    (``""`` at the end of the text) or, with ``character``, the character no token
    starts with."""

    __slots__ = ("pos", "token", "character")

    def __init__(self, pos: int, token: str, character: bool = False):
        self.pos, self.token, self.character = pos, token, character

    def __eq__(self, other) -> bool:
        return isinstance(other, Rejection) and \
            (self.pos, self.token, self.character) == (other.pos, other.token, other.character)

    def __repr__(self) -> str:
        return f"Rejection({self.pos!r}, {self.token!r}, character={self.character!r})"


class _Reject(Exception):
    """The token at ``index`` cannot follow what came before it."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index


def parse_raw(text: str) -> Raw | Rejection | None:
    """The raw tree of ``text``, where it leaves the language, or ``None`` when this
    parser cannot tell: any unexpected failure, such as a RecursionError from
    brackets nested beyond what ``Limits.max_depth`` normally allows. Lark, which
    does not recurse, then gives the answer.
    """
    try:
        kinds, texts, starts = _tokens(text)
        parser = _Parser(kinds, texts, starts)
        try:
            raw = parser.sum()
            if kinds[parser.i] != _END:
                raise _Reject(parser.i)
            return raw
        except _Reject as stop:
            kind = kinds[stop.index]
            if kind == _END:
                return Rejection(len(text), "")
            return Rejection(starts[stop.index], texts[stop.index], kind == _BAD)
    except Exception:
        return None


def _tokens(text: str) -> tuple[list[str], list[str], list[int]]:
    """Parallel lists of token kinds (the literal itself for operators), texts and
    offsets, with an end marker so that the parser never looks past the list. A
    character no token starts with ends the list as a ``_BAD`` token."""
    kinds: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    pos = 0
    for space, operator, number, name in _TOKEN.findall(text):
        pos += len(space)
        word = operator or number or name
        kinds.append(operator or ("NUMBER" if number else "NAME"))
        texts.append(word)
        starts.append(pos)
        pos += len(word)
    if pos != len(text.rstrip(WHITESPACE)):
        return _tokens_to_gap(text)
    kinds.append(_END)
    return kinds, texts, starts


def _tokens_to_gap(text: str) -> tuple[list[str], list[str], list[int]]:
    """``_tokens`` for a text with a character no token starts with (rare): the tokens
    before that character, then the character as a ``_BAD`` token."""
    pos = 0
    while (m := _TOKEN.match(text, pos)) is not None:
        pos = m.end()
    gap = len(text) - len(text[pos:].lstrip(WHITESPACE))
    kinds, texts, starts = _tokens(text[:gap])       # covered end to end
    kinds[-1] = _BAD                                  # in place of the end marker
    texts.append(text[gap])
    starts.append(gap)
    return kinds, texts, starts


# A flat sum or product of many terms is a chain, not nesting: extending a chain of
# the same family (a + b - c, a*b/c d) does not deepen it, so only real nesting
# counts against ``Limits.max_tree_depth``.
CHAINS = {"add": "sum", "sub": "sum", "mul": "product", "div": "product", "juxt": "product",
          "hadamard": "product"}


def chain_depth(kind: str, left: Raw, right: Raw) -> int:
    family = CHAINS.get(kind)
    base = left.depth - 1 if family is not None and CHAINS.get(left.kind) == family \
        else left.depth
    return 1 + (base if base > right.depth else right.depth)


def _binary(kind: str, left: Raw, right: Raw) -> Raw:
    return Raw(kind, (left, right), left.pos, chain_depth(kind, left, right))


class _Parser:
    """Recursive descent with one method per grammar level. Left-recursive rules
    become loops; so do chains of signs and of `^`, which the grammar nests to the
    right: those are folded afterwards, so a 2000-character `- - - … x` or
    `2^2^2^…` costs no Python stack. Only brackets recurse, and their nesting is
    capped before parsing."""

    __slots__ = ("kinds", "texts", "starts", "i")

    def __init__(self, kinds: list[str], texts: list[str], starts: list[int]):
        self.kinds, self.texts, self.starts, self.i = kinds, texts, starts, 0

    def sum(self) -> Raw:
        left = self.term()
        while (kind := _ADDITIVE.get(self.kinds[self.i])) is not None:
            self.i += 1
            left = _binary(kind, left, self.term())
        return left

    def term(self) -> Raw:
        left = self.signed()
        kinds = self.kinds
        while True:
            token = kinds[self.i]
            kind = _MULTIPLICATIVE.get(token)
            if kind is not None:
                self.i += 1
                left = _binary(kind, left, self.signed())
            elif token in _STARTS_POWER:
                # Juxtaposition takes a `power`, not a `signed`: `2 -x` is a difference.
                left = _binary("juxt", left, self.power())
            else:
                return left

    def signed(self) -> Raw:
        if self.kinds[self.i] not in _SIGNS:          # the usual case: no sign
            return self.power()
        first = self.skip_signs()
        return self.apply_signs(first, self.i, self.power())

    def skip_signs(self) -> int:
        """Step over a run of prefix signs; returns where the run started."""
        first = self.i
        while self.kinds[self.i] in _SIGNS:
            self.i += 1
        return first

    def apply_signs(self, first: int, last: int, node: Raw) -> Raw:
        """Wrap ``node`` in the signs at tokens first..last-1; the last binds tightest."""
        kinds = self.kinds
        for i in range(last - 1, first - 1, -1):
            node = Raw(_SIGNS[kinds[i]], (node,), node.pos, node.depth + 1)
        return node

    def power(self) -> Raw:
        node = self.atom()
        if self.kinds[self.i] not in _POWER:
            return node
        # `a ^ -b ^ c`: keep each base with the span of signs in front of the exponent
        # that follows it, then build from the right, as `^` is right-associative.
        chain: list[tuple[Raw, int, int]] = []
        while self.kinds[self.i] in _POWER:
            self.i += 1
            first = self.skip_signs()
            chain.append((node, first, self.i))
            node = self.atom()
        for base, first, last in reversed(chain):
            node = _binary("pow", base, self.apply_signs(first, last, node))
        return node

    def atom(self) -> Raw:
        i = self.i
        kind = self.kinds[i]
        self.i = i + 1
        if kind == "NUMBER":
            node = Raw("num", (self.texts[i],), self.starts[i], 1)
        elif kind == "NAME":
            if self.kinds[i + 1] == "(":
                # A name before '(' is always a call here; the LALR table resolves
                # its one shift/reduce conflict the same way (the resolver may still
                # read the call as a product).
                self.i = i + 2
                args = self.items()
                self.expect(")")
                depth = max(arg.depth for arg in args)
                node = Raw("call", (self.texts[i], args), self.starts[i], depth + 1)
            else:
                node = Raw("name", (self.texts[i],), self.starts[i], 1)
        elif kind in _GROUPS:
            closer, wrapper = _GROUPS[kind]
            inner = self.sum()
            self.expect(closer)
            node = Raw(wrapper, (inner,), inner.pos, inner.depth + 1)
        elif kind == "[":
            rows = [self.items()]
            while self.kinds[self.i] == ";":
                self.i += 1
                rows.append(self.items())
            self.expect("]")
            depth = max(item.depth for row in rows for item in row)
            node = Raw("bracket", (rows,), rows[0][0].pos, depth + 1)
        else:
            raise _Reject(i)
        while self.kinds[self.i] == "'":
            self.i += 1
            node = Raw("prime", (node,), node.pos, node.depth + 1)
        return node

    def items(self) -> list[Raw]:
        """Comma-separated sums: call arguments or one row of a bracket."""
        items = [self.sum()]
        while self.kinds[self.i] == ",":
            self.i += 1
            items.append(self.sum())
        return items

    def expect(self, closer: str) -> None:
        if self.kinds[self.i] != closer:
            raise _Reject(self.i)
        self.i += 1
