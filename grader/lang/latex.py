"""The LaTeX subset students type between dollars, translated to plain answer text.

The translation works token by token and never evaluates anything: ``\\frac{a}{b}``
becomes ``((a)/(b))``, ``A^\\top`` becomes ``A'``, a ``bmatrix`` becomes a bracket
literal, and so on; the plain grammar then parses the result. Every output
character remembers the offset of the LaTeX token it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .errors import AnswerError, Limits

_TOKEN = re.compile(r"\\([A-Za-z]+)|\\(.)|(\s+)|(.)", re.S)

GREEK_COMMANDS = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi",
    "Psi", "Omega"})
GREEK_VARIANTS = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi",
                  "varsigma": "sigma", "varrho": "rho", "varpi": "pi"}
FUNCTION_COMMANDS = frozenset({"exp", "ln", "log", "sin", "cos", "tan", "tanh", "det",
                               "max", "min", "tr", "cosh", "sinh", "arctan", "arcsin",
                               "arccos", "sech", "erf"})
OPERATOR_COMMANDS = {"cdot": "*", "times": "*", "ast": "*", "bullet": "*", "div": "/",
                     "odot": ".*", "circ": ".*"}
FRACTIONS = frozenset({"frac", "dfrac", "tfrac", "cfrac"})
NAME_WRAPPERS = frozenset({"operatorname", "mathrm", "text", "textrm", "textit", "textbf",
                           "mathit", "mathbf", "mathsf", "boldsymbol", "bm", "vec",
                           "mathnormal"})
SIZING = frozenset({"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl",
                    "Bigr", "biggl", "biggr", "Biggl", "Biggr", "middle"})
IGNORED = frozenset({"displaystyle", "textstyle", "limits", "nolimits"})
SPACES = frozenset({"quad", "qquad", ",", ";", ":", "!", " ", "enspace", "thinspace"})
TRANSPOSE_COMMANDS = frozenset({"top", "intercal", "T"})
MATRIX_ENVIRONMENTS = frozenset({"bmatrix", "pmatrix", "matrix", "Bmatrix", "smallmatrix",
                                 "vmatrix", "array"})

_TRANSPOSE = "'"


class _Token:
    __slots__ = ("kind", "value", "pos")

    def __init__(self, kind: str, value: str, pos: int):
        self.kind, self.value, self.pos = kind, value, pos


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    for m in _TOKEN.finditer(text):
        command, symbol, space, char = m.groups()
        if command is not None:
            tokens.append(_Token("cmd", command, m.start()))
        elif symbol is not None:
            tokens.append(_Token("cmd", symbol, m.start()))
        elif space is not None:
            tokens.append(_Token("space", " ", m.start()))
        else:
            tokens.append(_Token("char", char, m.start()))
    return tokens


class _Out:
    """Output pieces with their origins; letters stay separate pieces for subscripts."""

    def __init__(self):
        self.pieces: list[list] = []          # [text, origin, is_name]

    def add(self, text: str, pos: int, is_name: bool = False) -> None:
        self.pieces.append([text, pos, is_name])

    def name(self, text: str, pos: int) -> None:
        self.add(" ", pos)
        self.add(text, pos, True)
        self.add(" ", pos)

    def extend(self, other: "_Out") -> None:
        self.pieces.extend(other.pieces)

    def text(self) -> str:
        return "".join(p[0] for p in self.pieces)

    def subscript(self, sub: str, pos: int) -> bool:
        """Attach ``_sub`` to the last name; False if there is no name to attach it to."""
        i = len(self.pieces) - 1
        while i >= 0 and self.pieces[i][0] == " " and not self.pieces[i][2]:
            i -= 1
        if i < 0 or not self.pieces[i][2]:
            return False
        self.pieces[i][0] += "_" + sub
        # "xy_1" is x times y_1: keep the letter before the subscripted one apart.
        if i > 0 and self.pieces[i - 1][2]:
            self.pieces.insert(i, [" ", pos, False])
        return True

    def joined(self) -> tuple[str, list[int]]:
        chars, origin = [], []
        for text, pos, _ in self.pieces:
            chars.append(text)
            origin.extend([pos] * len(text))
        return "".join(chars), origin


class _Translator:
    def __init__(self, text: str, limits: Limits, where: Callable[[int], int]):
        self.tokens = _tokenize(text)
        self.where = where
        self.i = 0
        self.depth = 0
        self.limits = limits
        self.bar_open = False      # bare |...| toggles between abs( and )

    def fail(self, message: str, pos: int) -> AnswerError:
        at = self.where(pos)
        return AnswerError(f"{message} (character {at + 1})", at)

    # -- token helpers -------------------------------------------------------------
    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self) -> _Token:
        tok = self.peek()
        if tok is None:
            raise self.fail("the LaTeX ends too early (a '}' or an argument is missing)",
                            len(self.tokens) and self.tokens[-1].pos)
        self.i += 1
        return tok

    def skip_spaces(self) -> None:
        while (tok := self.peek()) is not None and tok.kind == "space":
            self.i += 1

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise self.fail(f"the answer is nested too deeply (more than "
                            f"{self.limits.max_depth} levels)", pos)

    # -- grammar -------------------------------------------------------------------
    def sequence(self, stops: frozenset[str] = frozenset()) -> _Out:
        """Translate until the end, a closing '}' or a stop token ('&', '\\\\', 'end')."""
        out = _Out()
        while (tok := self.peek()) is not None:
            if tok.kind == "char" and tok.value == "}":
                break
            if tok.kind == "char" and tok.value == "&" and "&" in stops:
                break
            if tok.kind == "cmd" and tok.value in ("\\", "end") and tok.value in stops:
                break
            self.i += 1
            self.element(tok, out)
        return out

    def group(self, open_tok: _Token) -> _Out:
        self.enter(open_tok.pos)
        inner = self.sequence()
        close = self.peek()
        if close is None:
            raise self.fail("this '{' is never closed", open_tok.pos)
        self.i += 1
        self.depth -= 1
        return inner

    def argument(self, owner: _Token) -> _Out:
        """One argument: a {group}, a command (with its own arguments) or one character."""
        self.skip_spaces()
        tok = self.peek()
        if tok is None or (tok.kind == "char" and tok.value in "}&^_"):
            raise self.fail(f"'{_show(owner)}' needs an argument", owner.pos)
        self.i += 1
        if tok.kind == "char" and tok.value == "{":
            return self.group(tok)
        out = _Out()
        self.enter(tok.pos)
        self.element(tok, out)
        self.depth -= 1
        return out

    def element(self, tok: _Token, out: _Out) -> None:
        if tok.kind == "space":
            out.add(" ", tok.pos)
        elif tok.kind == "char":
            self.character(tok, out)
        else:
            self.command(tok, out)

    def character(self, tok: _Token, out: _Out) -> None:
        ch = tok.value
        if ch == "{":
            inner = self.group(tok)
            out.add("{", tok.pos)
            out.extend(inner)
            out.add("}", tok.pos)
        elif ch == "^":
            self.superscript(tok, out)
        elif ch == "_":
            sub = self.argument(tok).text().replace(" ", "")
            if not sub.isalnum():
                raise self.fail("only letters and digits may be subscripts", tok.pos)
            if not out.subscript(sub, tok.pos):
                raise self.fail("a subscript must follow a letter", tok.pos)
        elif ch == "[":
            out.add("(", tok.pos)
        elif ch == "]":
            out.add(")", tok.pos)
        elif ch == "|":
            out.add(")" if self.bar_open else " abs(", tok.pos)
            self.bar_open = not self.bar_open
        elif ch == "~":
            out.add(" ", tok.pos)
        elif ch == "&":
            raise self.fail("'&' is only allowed inside a matrix", tok.pos)
        elif ch == "$":
            raise self.fail("unexpected '$'", tok.pos)
        else:
            out.add(ch, tok.pos, ch.isalpha())

    def superscript(self, tok: _Token, out: _Out) -> None:
        arg = self.argument(tok).text().strip()
        if arg == _TRANSPOSE:
            out.add(_TRANSPOSE, tok.pos)
        elif arg == "T":
            out.add("^{T}", tok.pos)
        else:
            out.add("^{" + arg + "}", tok.pos)

    def command(self, tok: _Token, out: _Out) -> None:
        name = tok.value
        if name in FRACTIONS:
            num, den = self.argument(tok), self.argument(tok)
            out.add("((", tok.pos)
            out.extend(num)
            out.add(")/(", tok.pos)
            out.extend(den)
            out.add("))", tok.pos)
        elif name == "sqrt":
            self.square_root(tok, out)
        elif name in OPERATOR_COMMANDS:
            out.add(" " + OPERATOR_COMMANDS[name] + " ", tok.pos)
        elif name in GREEK_COMMANDS or name in FUNCTION_COMMANDS:
            out.name(name, tok.pos)
        elif name in GREEK_VARIANTS:
            out.name(GREEK_VARIANTS[name], tok.pos)
        elif name in NAME_WRAPPERS:
            inner = self.argument(tok).text().strip()
            if inner == "T":
                out.add("T", tok.pos, True)
            else:
                out.name(inner, tok.pos)
        elif name in TRANSPOSE_COMMANDS:
            out.add(_TRANSPOSE, tok.pos)
        elif name in SIZING:
            self.delimiter(tok, out)
        elif name in SPACES:
            out.add(" ", tok.pos)
        elif name in IGNORED:
            pass
        elif name in ("{", "lbrace"):
            out.add("(", tok.pos)
        elif name in ("}", "rbrace"):
            out.add(")", tok.pos)
        elif name in ("lvert", "rvert", "vert", "mid"):
            opening = name == "lvert" or (name != "rvert" and not self.bar_open)
            out.add(" abs(" if opening else ")", tok.pos)
            self.bar_open = opening
        elif name == "begin":
            self.environment(tok, out)
        else:
            raise self.fail(f"the LaTeX command '\\{name}' is not supported here", tok.pos)

    def square_root(self, tok: _Token, out: _Out) -> None:
        self.skip_spaces()
        index = None
        nxt = self.peek()
        if nxt is not None and nxt.kind == "char" and nxt.value == "[":
            self.i += 1
            index = _Out()
            while (t := self.next()).kind != "char" or t.value != "]":
                self.element(t, index)
        radicand = self.argument(tok)
        if index is None:
            out.add(" sqrt(", tok.pos)
            out.extend(radicand)
            out.add(")", tok.pos)
        else:
            out.add("((", tok.pos)
            out.extend(radicand)
            out.add(")^(1/(", tok.pos)
            out.extend(index)
            out.add(")))", tok.pos)

    def delimiter(self, tok: _Token, out: _Out) -> None:
        self.skip_spaces()
        delim = self.next()
        value = delim.value
        closing = tok.value == "right" or tok.value.endswith("r")
        if value in ("(", "[", "{", "lbrace", "langle"):
            out.add("(", tok.pos)
        elif value in (")", "]", "}", "rbrace", "rangle"):
            out.add(")", tok.pos)
        elif value == ".":
            pass
        elif value in ("|", "vert", "lvert", "rvert"):
            opening = not closing and (tok.value == "left" or tok.value.endswith("l")
                                       or not self.bar_open)
            out.add(" abs(" if opening else ")", tok.pos)
            self.bar_open = opening
        else:
            raise self.fail(f"unsupported delimiter after '\\{tok.value}'", tok.pos)

    def environment(self, tok: _Token, out: _Out) -> None:
        env = self.argument(tok).text().strip()
        if env not in MATRIX_ENVIRONMENTS:
            raise self.fail(f"the LaTeX environment '{env}' is not supported; use bmatrix "
                            "or pmatrix", tok.pos)
        if env == "array":
            self.argument(tok)                      # the column specification
        self.enter(tok.pos)
        rows: list[list[_Out]] = [[]]
        stops = frozenset({"&", "\\", "end"})
        while True:
            rows[-1].append(self.sequence(stops))
            sep = self.peek()
            if sep is None or (sep.kind == "char" and sep.value == "}"):
                raise self.fail(f"'\\begin{{{env}}}' has no matching '\\end'", tok.pos)
            self.i += 1
            if sep.value == "&":
                continue
            if sep.value == "\\":
                rows.append([])
                continue
            if self.argument(sep).text().strip() != env:
                raise self.fail(f"'\\end' does not match '\\begin{{{env}}}'", sep.pos)
            break
        self.depth -= 1
        if all(not cell.text().strip() for cell in rows[-1]):
            rows.pop()                               # a trailing '\\'
        if not rows:
            raise self.fail("the matrix is empty", tok.pos)
        if env == "vmatrix":
            out.add(" det(", tok.pos)
        out.add("[", tok.pos)
        for r, row in enumerate(rows):
            out.add(", [" if r else "[", tok.pos)
            for c, cell in enumerate(row):
                if c:
                    out.add(", ", tok.pos)
                out.extend(cell)
            out.add("]", tok.pos)
        out.add("]", tok.pos)
        if env == "vmatrix":
            out.add(")", tok.pos)


def _show(tok: _Token) -> str:
    return "\\" + tok.value if tok.kind == "cmd" else tok.value


def latex_to_plain(text: str, limits: Limits,
                   where: Callable[[int], int] = lambda pos: pos) -> tuple[str, list[int]]:
    """Plain answer text for a LaTeX body (without the dollars) and each character's origin.

    ``where`` maps an offset in ``text`` to the answer as typed, for error messages.
    """
    translator = _Translator(text, limits, where)
    out = translator.sequence()
    extra = translator.peek()
    if extra is not None:                            # a '}' with no '{'
        raise translator.fail("unmatched '}'", extra.pos)
    return out.joined()
