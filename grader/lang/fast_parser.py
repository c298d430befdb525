"""A hand-written parser for exactly the language of ``grammar.lark``.

``grammar.lark`` is the normative grammar and Lark parses with it whenever this
module declines. This parser exists for speed: Lark's LALR loop (token objects,
table look-ups, transformer callbacks) was half the cost of reading a typical
answer, and nearly every answer is well formed. It builds the very same raw
nodes that ``parser._RawBuilder`` builds from Lark's parse (kinds, parts,
positions, depths), and it has no error reporting of its own: on anything it does
not accept it returns ``None`` and the caller asks Lark, whose exceptions carry
the positions the student-facing messages are made from.

The differential tests (tests/lang/test_fast_parser.py) hold the two parsers to
the same result on generated and collected inputs.
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

_TOKEN = re.compile(
    f"[{WHITESPACE}]*(?:(?P<OP>{'|'.join(map(re.escape, LITERALS))})"
    f"|(?P<NUMBER>{NUMBER})|(?P<NAME>{NAME}))")
_END = "$END"

_ADDITIVE = {"+": "add", "-": "sub"}
_MULTIPLICATIVE = {"*": "mul", "@": "mul", "/": "div", ".*": "hadamard"}
_SIGNS = {"-": "neg", "+": "pos"}
_POWER = ("^", "**")
# Tokens that can begin a `power`: after a term, they make a juxtaposed factor.
_STARTS_POWER = frozenset(("NUMBER", "NAME", "(", "{", "["))
_GROUPS = {"(": (")", "paren"), "{": ("}", "brace")}


class _Reject(Exception):
    """Not in the language; Lark parses again to say where and why."""


def parse_raw(text: str) -> Raw | None:
    """The raw tree of ``text``, or ``None`` when the text is not accepted here.

    Any failure counts as not accepted, including a RecursionError from brackets
    nested beyond what ``Limits.max_depth`` normally allows: Lark, which does not
    recurse, then gives the answer.
    """
    try:
        parser = _Parser(*_tokens(text))
        raw = parser.sum()
        if parser.kinds[parser.i] != _END:
            raise _Reject
        return raw
    except Exception:
        return None


def _tokens(text: str) -> tuple[list[str], list[str], list[int]]:
    """Parallel lists of token kinds (the literal itself for operators), texts and
    offsets, with an end marker so that the parser never looks past the list."""
    kinds: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    pos, end, match = 0, len(text.rstrip(WHITESPACE)), _TOKEN.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            raise _Reject
        kind = m.lastgroup
        word = m[kind]
        kinds.append(word if kind == "OP" else kind)
        texts.append(word)
        starts.append(m.start(kind))
        pos = m.end()
    kinds.append(_END)
    return kinds, texts, starts


def _binary(kind: str, left: Raw, right: Raw) -> Raw:
    depth = left.depth if left.depth > right.depth else right.depth
    return Raw(kind, (left, right), left.pos, depth + 1)


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
            raise _Reject
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
            raise _Reject
        self.i += 1
