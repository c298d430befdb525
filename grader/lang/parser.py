"""Text → tree: Unicode clean-up, LaTeX translation, a parse into raw nodes, then
name resolution against the declared variables.

The parse is by the hand-written parser in ``fast_parser``; Lark with
``grammar.lark`` (the normative grammar) parses only what that parser cannot
settle. Either says where a text leaves the language, and the syntax error
messages are made from that.

The raw layer knows only syntax. ``_Resolver`` decides what names mean: a declared
variable, a constant, the identity ``I``, a function, or a run of declared letters
(``xy`` → ``x*y``). Nothing here executes or imports anything named in the answer.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

from lark import Lark, Token, Transformer, Tree
from lark.lexer import Lexer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from . import tree as t
from .errors import DEFAULT_LIMITS, FLOAT_MAX, AnswerError, Limits, too_large
from .fast_parser import CHAINS, Raw, Rejection, chain_depth, parse_raw
from .latex import latex_to_plain
from .normalize import GREEK, normalize

FUNCTION_ALIASES = {
    "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt", "abs": "abs", "sin": "sin",
    "cos": "cos", "tan": "tan", "tanh": "tanh", "sigmoid": "sigmoid", "sigma": "sigmoid",
    "max": "max", "min": "min", "inv": "inv", "det": "det", "tr": "tr", "Tr": "tr",
    "trace": "tr",
    "cosh": "cosh", "sinh": "sinh", "sech": "sech", "atan": "atan", "arctan": "atan",
    "asin": "asin", "arcsin": "asin", "acos": "acos", "arccos": "acos", "atanh": "atanh",
    "artanh": "atanh", "arctanh": "atanh", "asinh": "asinh", "arsinh": "asinh",
    "arcsinh": "asinh", "acosh": "acosh", "arcosh": "acosh", "arccosh": "acosh",
    "log2": "log2", "log_2": "log2", "log10": "log10", "log_10": "log10",
    "softplus": "softplus", "relu": "relu", "ReLU": "relu", "erf": "erf",
}
_NUMBER = re.compile(r"(\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?\Z")
_MULTIPLY_KINDS = {"mul": t.Mul, "div": t.Div, "hadamard": t.Hadamard, "juxt": t.Mul}
_OPEN, _CLOSE = "([{", ")]}"


# ---------------------------------------------------------------------------------
# Lark's parse becomes raw nodes (fast_parser.Raw) bottom-up, in its LALR callbacks
# (no recursion).

def _node(kind: str, *parts: Raw) -> Raw:
    if len(parts) == 2 and kind in CHAINS:
        return Raw(kind, parts, parts[0].pos, chain_depth(kind, *parts))
    return Raw(kind, parts, parts[0].pos, 1 + max(p.depth for p in parts))


class _RawBuilder(Transformer):
    def number(self, c):
        return Raw("num", (str(c[0]),), c[0].start_pos, 1)

    def name(self, c):
        return Raw("name", (str(c[0]),), c[0].start_pos, 1)

    def call(self, c):
        tok, args = c
        return Raw("call", (str(tok), args), tok.start_pos, 1 + max(a.depth for a in args))

    def args(self, c):
        return c

    row = args

    def rows(self, c):
        return c

    def bracket(self, c):
        rows = c[0]
        depth = 1 + max(item.depth for row in rows for item in row)
        return Raw("bracket", (rows,), rows[0][0].pos, depth)

    def hadamard(self, c):
        return _node("hadamard", c[0], c[2])

    def __default__(self, data, children, meta):
        if data.startswith("_"):
            return Tree(data, children)   # Lark's own repetition rules; it splices them
        return _node(str(data), *(ch for ch in children if not isinstance(ch, Token)))


class _Lexer(Lexer):
    """One regular expression over the grammar's own terminals.

    Lark's general lexer took about half the time of a parse; this grammar needs no
    context, so a single alternation (longest literals first) gives the same tokens.
    """

    def __init__(self, conf):
        literals = sorted((term for term in conf.terminals if term.pattern.type == "str"),
                          key=lambda term: -len(term.pattern.value))
        patterns = [term for term in conf.terminals if term.pattern.type == "re"]
        self.ignore = set(conf.ignore)
        self.regex = re.compile("|".join(f"(?P<{term.name}>{term.pattern.to_regexp()})"
                                         for term in [*literals, *patterns]))

    def lex(self, text: str):
        pos, end, match = 0, len(text), self.regex.match
        while pos < end:
            m = match(text, pos)
            if m is None:
                raise UnexpectedCharacters(text, pos, 1, pos + 1)
            if m.lastgroup not in self.ignore:
                yield Token(m.lastgroup, m.group(), pos)
            pos = m.end()


@functools.cache
def _lark() -> Lark:
    # Built once, lazily; the parser is immutable and safe to share.
    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer=_Lexer, transformer=_RawBuilder(),
                maybe_placeholders=False)


# ---------------------------------------------------------------------------------
# Public entry point.

def parse(text: str, *, names: Mapping[str, t.Shape] | None = None,
          limits: Limits = DEFAULT_LIMITS) -> t.Node:
    """Parse plain text or ``$…$`` LaTeX into a tree; see docs/answer-language-api.md."""
    if not isinstance(text, str):
        raise TypeError(f"parse() needs a str, got {type(text).__name__}")
    if len(text) > limits.max_length:
        raise AnswerError(f"the answer is too long: {len(text)} characters "
                          f"(at most {limits.max_length})", limits.max_length)
    key = None if names is None else t.names_key(names)
    return _parse_cached(text, key, limits)


def clear_cache() -> None:
    """Forget memoised parses, number tokens and name tables."""
    _parse_cached.cache_clear()
    _number.cache_clear()
    _declared.cache_clear()


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str, names: tuple | None, limits: Limits) -> t.Node:
    # Trees are immutable, so a reference parsed for every answer to a part, or an
    # answer many students typed alike, is parsed once. Errors are not cached.
    return _parse(text, None if names is None else _declared(names), limits)


@functools.lru_cache(maxsize=256)
def _declared(names: tuple) -> "_Declared":
    return _Declared(dict(names))


class _Declared(t.Names):
    """Declared names with the spellings a student may use for each (Greek letters
    spelled out; underscores optional), built once per set of declarations."""

    def __init__(self, names: Mapping[str, t.Shape]):
        super().__init__(names)
        self.exact: dict[str, str] = {}
        self.loose: dict[str, str] = {}
        for key in names:
            spelled = _spell(key)
            self.exact[spelled] = key
            self.loose.setdefault(spelled.replace("_", ""), key)
        # One leaf per exact spelling, shared by every parse: trees are immutable.
        self.symbols = {spelled: t.Sym(key) for spelled, key in self.exact.items()}


# Most answers are plain numbers ("0.25", "-3", "3/4"); they skip the grammar.
# The tree built here is exactly the one the grammar builds (tests compare them).
_PLAIN_NUMBER = re.compile(r"[ \t]*(-?)(\d{1,30}(?:\.\d{1,30})?)(?:[ \t]*/[ \t]*(\d{1,30}))?[ \t]*\Z")


def _plain_number(text: str) -> t.Node | None:
    m = _PLAIN_NUMBER.match(text)
    if m is None:
        return None
    sign, digits, denominator = m.groups()
    node: t.Node = t.Num(Fraction(digits))
    if sign:
        node = t.Neg(node)
    return t.Div(node, t.Num(Fraction(denominator))) if denominator else node


# Next commonest: a bracket literal of plain numbers ("[0.5, -1]", "[[1, 2], [3, 4]]",
# "[1, 2; 3, 4]"). Ragged rows and oversized literals go to the grammar for the message.
_ENTRY = r"[ \t]*-?\d{1,30}(?:\.\d{1,30})?[ \t]*"
_ROW = rf"{_ENTRY}(?:,{_ENTRY})*"
_NESTED_ROW = rf"[ \t]*\[{_ROW}\][ \t]*"
_PLAIN_LITERAL = re.compile(
    rf"[ \t]*\[(?:(?P<rows>{_ROW}(?:;{_ROW})*)|(?P<nested>{_NESTED_ROW}(?:,{_NESTED_ROW})*))\][ \t]*\Z")


_INNER_ROWS = re.compile(r"\[([^\[\]]*)\]")


def _plain_literal(text: str, limits: Limits) -> t.Node | None:
    m = _PLAIN_LITERAL.match(text)
    if m is None:
        return None
    if m["rows"] is not None:
        rows = m["rows"].split(";")
    else:
        rows = _INNER_ROWS.findall(m["nested"])
    cells = [row.split(",") for row in rows]
    if len({len(row) for row in cells}) > 1 or sum(map(len, cells)) > limits.max_matrix_entries:
        return None

    def entry(cell: str) -> t.Node:
        cell = cell.strip()
        number = _number(cell.lstrip("-"), limits.max_digits, limits.max_exponent)
        return t.Neg(number) if cell.startswith("-") else number

    if m["rows"] is not None and len(cells) == 1:
        return t.Vector(tuple(entry(cell) for cell in cells[0]))
    return t.Matrix(tuple(tuple(entry(cell) for cell in row) for row in cells))


def _parse(text: str, names: Mapping[str, t.Shape] | None, limits: Limits) -> t.Node:
    fast = _plain_number(text)
    if fast is None and "[" in text:
        fast = _plain_literal(text, limits)
    if fast is not None:
        return fast
    plain, origin = normalize(text)
    plain, origin = _unwrap_latex(plain, origin, limits)
    where = _Where(origin)
    if not plain.strip():
        raise AnswerError("the answer is empty")
    # The grammar only accepts balanced brackets, so a text with too few brackets to
    # exceed the depth cap goes straight to the fast parser; the bracket walk (and its
    # messages) is for texts that could nest too deeply or that fail to parse.
    shallow = sum(map(plain.count, _OPEN)) <= limits.max_depth
    raw = parse_raw(plain) if shallow else None
    if type(raw) is not Raw:
        _check_brackets(plain, limits, where)    # its messages come before syntax errors
        if not shallow:
            raw = parse_raw(plain)
    if raw is None:
        raw = _lark_parse(plain)
    if type(raw) is Rejection:
        raise _syntax_error(plain, raw, where)
    if raw.depth > limits.max_tree_depth:
        raise AnswerError(f"the expression is nested too deeply (more than "
                          f"{limits.max_tree_depth} levels)", where(raw.pos))
    return _Resolver(names, limits, where).node(raw)


def _lark_parse(plain: str) -> Raw | Rejection:
    """The normative parse, for what the fast parser could not settle."""
    try:
        return _lark().parse(plain)
    except (UnexpectedCharacters, UnexpectedEOF, UnexpectedToken) as exc:
        return lark_rejection(plain, exc)


def lark_rejection(plain: str, exc: Exception) -> Rejection:
    """Where Lark found that ``plain`` leaves the language."""
    if isinstance(exc, UnexpectedCharacters):
        return Rejection(exc.pos_in_stream, plain[exc.pos_in_stream], True)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        return Rejection(exc.token.start_pos, str(exc.token.value))
    return Rejection(len(plain), "")


class _Where:
    """Maps an offset in the parsed text back to the text as typed."""

    def __init__(self, origin: list[int] | None):
        self.origin = origin

    def __call__(self, pos: int) -> int:
        if self.origin is None:
            return pos
        if not self.origin:
            return 0
        return self.origin[min(pos, len(self.origin) - 1)]


def _unwrap_latex(text: str, origin: list[int] | None,
                  limits: Limits) -> tuple[str, list[int] | None]:
    stripped = text.strip()
    if not (stripped.startswith("$") or "\\" in text):
        if "$" in text:
            at = text.index("$")
            raise AnswerError(f"unexpected '$' at character {_Where(origin)(at) + 1}; "
                              "put LaTeX between two '$'", _Where(origin)(at))
        return text, origin
    start = len(text) - len(text.lstrip())
    body = stripped
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if body.startswith(opener):
            if not body.endswith(closer) or len(body) < len(opener) + len(closer):
                raise AnswerError(f"the LaTeX that starts with '{opener}' must end with "
                                  f"'{closer}'", _Where(origin)(start))
            body = body[len(opener):len(body) - len(closer)]
            start += len(opener)
            break
    base = _Where(origin)
    plain, inner = latex_to_plain(body, limits, lambda pos: base(start + pos))
    return plain, [base(start + i) for i in inner]


def _check_brackets(text: str, limits: Limits, where: _Where) -> None:
    """Balance and depth are checked before parsing, so deep nesting reaches neither parser."""
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch in _OPEN:
            stack.append(i)
            if len(stack) > limits.max_depth:
                raise AnswerError(f"the answer is nested too deeply (more than "
                                  f"{limits.max_depth} levels of brackets)", where(i))
        elif ch in _CLOSE:
            if not stack:
                raise AnswerError(f"unmatched '{ch}' at character {where(i) + 1}", where(i))
            opened = stack.pop()
            if _OPEN.index(text[opened]) != _CLOSE.index(ch):
                raise AnswerError(f"'{text[opened]}' at character {where(opened) + 1} is "
                                  f"closed by '{ch}' at character {where(i) + 1}", where(i))
    if stack:
        raise AnswerError(f"'{text[stack[-1]]}' at character {where(stack[-1]) + 1} is never "
                          "closed", where(stack[-1]))


_CHARACTER_HINTS = {
    "|": "write abs(x) for an absolute value",
    "!": "factorials are not supported",
    "=": "write only the expression, without '='",
    "_": "names start with a letter",
    '"': "quotes are not part of the answer language",
    ":": "':' is not part of the answer language",
    ".": "write decimals with digits on both sides of the point, e.g. 0.5",
}


def _syntax_error(text: str, rejection: Rejection, where: _Where) -> AnswerError:
    pos, token = rejection.pos, rejection.token
    if rejection.character:
        hint = _CHARACTER_HINTS.get(token)
        message = f"unexpected character '{token}' at character {where(pos) + 1}"
        return AnswerError(message + (f"; {hint}" if hint else ""), where(pos))
    if not token:
        return AnswerError("the answer ends too early: something is missing at the end",
                           where(len(text)))
    message = f"unexpected '{token}' at character {where(pos) + 1}"
    if token == ",":
        message += "; use a dot for decimals (3.5) and brackets for a vector ([1, 2])"
    elif token in ("^", "**", "*", "/", "@", ".*", "'"):
        message += "; an operand is missing"
    return AnswerError(message, where(pos))


# ---------------------------------------------------------------------------------
# Name resolution: raw syntax → tree.

class _FuncRef:
    """A function name not yet applied (``log x``), possibly under leading minus signs."""

    __slots__ = ("func", "negated", "pos")

    def __init__(self, func: str, pos: int, negated: bool = False):
        self.func, self.pos, self.negated = func, pos, negated


def _spell(name: str) -> str:
    """A declared name with Greek letters spelled out, as the parser sees it."""
    return "".join(GREEK.get(ch, ch) for ch in name)


class _Resolver:
    def __init__(self, names: Mapping[str, t.Shape] | None, limits: Limits, where: _Where):
        self.names = names
        self.limits = limits
        self.where = where
        if names is None:
            self.exact: dict[str, str] = {}
            self.loose: dict[str, str] = {}
            self.symbols: dict[str, t.Sym] = {}
        else:
            if not isinstance(names, _Declared):
                names = self.names = _Declared(names)
            self.exact, self.loose, self.symbols = names.exact, names.loose, names.symbols

    # -- dispatch ------------------------------------------------------------------
    def node(self, r: Raw) -> t.Node:
        value = _OPERAND[r.kind](self, r)
        if isinstance(value, _FuncRef):
            raise self.needs_argument(value)
        return value

    def operand(self, r: Raw) -> t.Node | _FuncRef:
        return _OPERAND[r.kind](self, r)      # a table: this runs for every raw node

    def name_operand(self, r: Raw) -> t.Node | _FuncRef:
        symbol = self.symbols.get(r.parts[0])        # the usual case: a declared name
        if symbol is not None:
            return symbol
        factors = self.name(r.parts[0], r.pos)
        return factors if isinstance(factors, _FuncRef) else _product(factors)

    def group(self, r: Raw) -> t.Node:
        return self.node(r.parts[0])

    def signed(self, r: Raw) -> t.Node | _FuncRef:
        negate = r.kind == "neg"
        inner = self.operand(r.parts[0])
        if isinstance(inner, _FuncRef):
            return _FuncRef(inner.func, inner.pos, inner.negated != negate)
        return t.Neg(inner) if negate else inner

    def sum(self, r: Raw) -> t.Node:
        cls = t.Add if r.kind == "add" else t.Sub
        return cls(self.node(r.parts[0]), self.node(r.parts[1]))

    def prime(self, r: Raw) -> t.Node:
        factors = self.factors(r.parts[0])
        return _product(factors[:-1] + [t.Transpose(factors[-1])])

    # -- leaves --------------------------------------------------------------------
    def number(self, r: Raw) -> t.Num:
        text = r.parts[0]
        node = _number(text, self.limits.max_digits, self.limits.max_exponent)
        if type(node) is t.Num:
            return node
        if node == "digits":
            raise AnswerError(f"the number at character {self.where(r.pos) + 1} has too many "
                              f"digits (at most {self.limits.max_digits})", self.where(r.pos))
        if node == "exponent":
            raise AnswerError(f"the number '{text}' is out of range (exponent at most "
                              f"{self.limits.max_exponent})", self.where(r.pos))
        if node == "large":
            at = self.where(r.pos)
            shown = text if len(text) <= 24 else text[:12] + "…" + text[-6:]
            raise too_large(f"the number '{shown}' at character {at + 1}", at)
        return node

    def name(self, text: str, pos: int) -> list[t.Node] | _FuncRef:
        """A name as a list of factors (``xy`` → [x, y]) or an unapplied function."""
        if self.names is not None:
            symbol = self.symbols.get(text)
            if symbol is not None:
                return [symbol]
            key = self.loose.get(text.replace("_", ""))
            if key is not None:
                return [t.Sym(key)]
        if text in t.CONSTANTS:
            return [t.Const(text)]
        if text == "I":
            return [t.Identity()]
        if text in FUNCTION_ALIASES:
            return _FuncRef(FUNCTION_ALIASES[text], pos)
        if self.names is None:
            return [t.Sym(text)]
        return self.split(text, pos)

    def split(self, text: str, pos: int) -> list[t.Node]:
        """Read an undeclared run of letters as a product of declared names, if unique."""
        pieces = set(self.exact) | {c for c in t.CONSTANTS if c not in self.exact}
        n = len(text)
        count = [0] * (n + 1)
        step = [""] * (n + 1)
        count[n] = 1
        for i in range(n - 1, -1, -1):
            for piece in pieces:
                if text.startswith(piece, i) and count[i + len(piece)]:
                    count[i] = min(2, count[i] + count[i + len(piece)])
                    step[i] = step[i] or piece
        at = self.where(pos)
        if count[0] == 1:
            factors, i = [], 0
            while i < n:
                piece = step[i]
                factors.append(t.Sym(self.exact[piece]) if piece in self.exact
                               else t.Const(piece))
                i += len(piece)
            return factors
        if count[0] > 1:
            raise AnswerError(f"'{text}' at character {at + 1} can be read in more than one way; "
                              "separate the names with '*'", at)
        raise AnswerError(self.unknown(text, at), at)

    def unknown(self, text: str, at: int) -> str:
        message = f"unknown name '{text}' at character {at + 1}"
        candidates = sorted(set(self.exact) | set(FUNCTION_ALIASES) | set(t.CONSTANTS))
        close = difflib.get_close_matches(text, candidates, n=2, cutoff=0.6)
        if close:
            message += "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        if self.names is not None:
            declared = ", ".join(sorted(self.names)) or "none"
            message += f" (variables here: {declared})"
        return message

    def needs_argument(self, ref: _FuncRef) -> AnswerError:
        at = self.where(ref.pos)
        return AnswerError(f"the function '{ref.func}' at character {at + 1} needs an "
                           f"argument in parentheses, e.g. {ref.func}(x)", at)

    # -- composite -----------------------------------------------------------------
    def factors(self, r: Raw) -> list[t.Node]:
        """Factors of a postfix operand: a split name keeps its last letter apart."""
        if r.kind == "name":
            symbol = self.symbols.get(r.parts[0])
            if symbol is not None:
                return [symbol]
            factors = self.name(r.parts[0], r.pos)
            if isinstance(factors, _FuncRef):
                raise self.needs_argument(factors)
            return factors
        return [self.node(r)]

    def product_chain(self, r: Raw) -> t.Node:
        items: list[tuple[str | None, Raw]] = []
        while r.kind in _MULTIPLY_KINDS:
            items.append((r.kind, r.parts[1]))
            r = r.parts[0]
        items.append((None, r))
        items.reverse()
        acc = None
        i, count = 0, len(items)
        while i < count:
            op, raw = items[i]
            i += 1
            if raw.kind == "name":
                value = self.symbols.get(raw.parts[0]) or self.name(raw.parts[0], raw.pos)
            else:
                value = self.operand(raw)
            if type(value) is list:
                # A split run of letters (`Av` → A, v) joins the chain factor by factor.
                acc = value[0] if acc is None else _MULTIPLY_KINDS[op](acc, value[0])
                for factor in value[1:]:
                    acc = t.Mul(acc, factor)
                continue
            if type(value) is _FuncRef:
                # `log x`, `2 sigma t`: a bare function takes the next juxtaposed factor.
                if i >= count or items[i][0] != "juxt":
                    raise self.needs_argument(value)
                value = self.apply(value.func, [self.node(items[i][1])], value.pos,
                                   value.negated)
                i += 1
            elif op == "juxt" and raw.kind == "num" and items[i - 2][1].kind == "num":
                at = self.where(raw.pos)
                raise AnswerError(f"two numbers side by side at character {at + 1}; write "
                                  "'*' between them (or remove the space)", at)
            acc = value if acc is None else _MULTIPLY_KINDS[op](acc, value)
        return acc

    def power(self, r: Raw) -> t.Node:
        base_raw, exp_raw = r.parts
        if exp_raw.kind == "call" and len(exp_raw.parts[1]) == 1 \
                and not self.is_function(exp_raw.parts[0]):
            # `e^x(1+x)`, `x^T(A + B)`: a bracket after a name exponent is a factor.
            name_raw = Raw("name", (exp_raw.parts[0],), exp_raw.pos, 1)
            head = self.power(Raw("pow", (base_raw, name_raw), r.pos, r.depth))
            return t.Mul(head, self.node(exp_raw.parts[1][0]))
        if _is_bare_t(exp_raw):
            factors = self.factors(base_raw)
            if not self.t_is_a_power(factors[-1]):
                return _product(factors[:-1] + [t.Transpose(factors[-1])])
        exp_node = self.node(exp_raw)
        self.check_exponent(exp_node, exp_raw.pos)
        factors = self.factors(base_raw)
        if len(factors) == 1:                                  # the usual case
            return t.Pow(factors[0], exp_node)
        return _product(factors[:-1] + [t.Pow(factors[-1], exp_node)])

    def is_function(self, name: str) -> bool:
        declared = self.names is not None and (
            name in self.exact or name.replace("_", "") in self.loose)
        return not declared and name in FUNCTION_ALIASES

    def t_is_a_power(self, base: t.Node) -> bool:
        """`^T` is a power only when T is a declared scalar and the base is a scalar."""
        if self.names is None or "T" not in self.exact:
            return False
        if self.names[self.exact["T"]] not in ((), (1, 1)):
            return False
        from .shapes import shape_of
        try:
            return shape_of(base, self.names) in ((), (1, 1))
        except AnswerError:
            return False

    def check_exponent(self, exp: t.Node, pos: int) -> None:
        """Cap constant exponents so that exact (sympy) arithmetic stays small."""
        literal = exp.arg if isinstance(exp, t.Neg) else exp
        if isinstance(literal, t.Num):                       # the usual case: x^2, x^-1
            if literal.value.denominator == 1 and literal.value.numerator <= self.limits.max_exponent:
                return
            value = complex(float(literal.value)) if literal.value < 10 ** 300 else None
        elif t.free_names(exp) or t.has_identity(exp):
            return
        else:
            from .evaluate import constant_value
            value = constant_value(exp)
        at = self.where(pos)
        if value is None or not math.isfinite(abs(value)):
            raise AnswerError(f"the exponent at character {at + 1} is not a finite number", at)
        if abs(value) > self.limits.max_exponent:
            raise AnswerError(f"the exponent at character {at + 1} is too large "
                              f"({abs(value):.6g}; at most {self.limits.max_exponent})", at)

    def call(self, r: Raw) -> t.Node:
        name, args = r.parts
        if name in FUNCTION_ALIASES and self.is_function(name):     # the usual case
            return self.apply(FUNCTION_ALIASES[name], [self.node(a) for a in args], r.pos)
        target = self.name(name, r.pos)
        if isinstance(target, _FuncRef):
            return self.apply(target.func, [self.node(a) for a in args], r.pos)
        at = self.where(r.pos)
        if len(args) != 1:
            raise AnswerError(f"'{name}' at character {at + 1} is not a function; "
                              f"did you mean {name}*(...)?", at)
        if self.names is None and len(name) > 1 and target == [t.Sym(name)]:
            message = f"unknown function '{name}' at character {at + 1}"
            close = difflib.get_close_matches(name, sorted(FUNCTION_ALIASES), n=1, cutoff=0.6)
            raise AnswerError(message + (f"; did you mean '{close[0]}'?" if close else ""), at)
        return t.Mul(_product(target), self.node(args[0]))

    def apply(self, func: str, args: list[t.Node], pos: int, negated: bool = False) -> t.Node:
        if func in t.VARIADIC_FUNCTIONS:
            if len(args) < 2:
                at = self.where(pos)
                raise AnswerError(f"{func} needs at least two arguments, e.g. {func}(0, x) "
                                  f"(character {at + 1})", at)
        elif func == "log" and len(args) == 2:
            # log(x, b): the logarithm to base b, as log(x)/log(b)
            quotient = t.Div(t.Call("log", (args[0],)), t.Call("log", (args[1],)))
            return t.Neg(quotient) if negated else quotient
        elif len(args) != 1:
            at = self.where(pos)
            raise AnswerError(f"{func} takes one argument, got {len(args)} "
                              f"(character {at + 1})", at)
        call = t.Call(func, tuple(args))
        return t.Neg(call) if negated else call

    def bracket(self, r: Raw) -> t.Node:
        rows = r.parts[0]
        at = self.where(r.pos)
        nested = [item.kind == "bracket" for row in rows for item in row]
        if any(nested) and not (all(nested) and len(rows) == 1):
            raise AnswerError(f"the bracket at character {at + 1} mixes numbers and rows; write "
                              "a vector [1, 2] or a matrix [[1, 2], [3, 4]]", at)
        if any(nested):
            rows = [row for item in rows[0] for row in item.parts[0]]
            if any(item.kind == "bracket" for row in rows for item in row):
                raise AnswerError(f"too many levels of brackets at character {at + 1}", at)
        entries = sum(len(row) for row in rows)
        if entries > self.limits.max_matrix_entries:
            raise AnswerError(f"the matrix at character {at + 1} has {entries} entries "
                              f"(at most {self.limits.max_matrix_entries})", at)
        widths = [len(row) for row in rows]
        if len(set(widths)) > 1:
            raise AnswerError(f"the rows of the matrix at character {at + 1} have different "
                              f"lengths: {', '.join(map(str, widths))}", at)
        if not any(nested) and len(rows) == 1:
            return t.Vector(tuple(self.node(item) for item in rows[0]))
        return t.Matrix(tuple(tuple(self.node(item) for item in row) for row in rows))


@functools.lru_cache(maxsize=4096)
def _number(text: str, max_digits: int, max_exponent: int) -> t.Num | str:
    """The exact value of a NUMBER token, or which cap it breaks ("digits", "exponent",
    "large": beyond the float range, where no sample could be computed).

    Memoised: the same few numbers (1, 2, 0.5) fill most answers, and building the
    Fraction is the dearest step of reading a number."""
    whole, frac, exp = _NUMBER.match(text).groups()
    digits = (whole + (frac or "")).lstrip("0")
    power = int(exp) if exp else 0
    if len(digits) > max_digits:
        # a 400-digit integer is first of all beyond the float range
        return "large" if len(whole.lstrip("0")) + power > 309 else "digits"
    if abs(power) > max_exponent:
        return "large" if power > 0 and digits else "exponent"
    power -= len(frac or "")
    mantissa = int(whole + (frac or "") or "0")
    value = Fraction(mantissa * 10 ** power) if power >= 0 else Fraction(mantissa, 10 ** -power)
    if value > _FLOAT_MAX:
        return "large"
    return t.Num(value)


_FLOAT_MAX = Fraction(FLOAT_MAX)


_OPERAND = {
    "num": _Resolver.number, "name": _Resolver.name_operand, "paren": _Resolver.group,
    "brace": _Resolver.group, "neg": _Resolver.signed, "pos": _Resolver.signed,
    "add": _Resolver.sum, "sub": _Resolver.sum, "pow": _Resolver.power,
    "prime": _Resolver.prime, "call": _Resolver.call, "bracket": _Resolver.bracket,
    **{kind: _Resolver.product_chain for kind in _MULTIPLY_KINDS},
}


def _is_bare_t(r: Raw) -> bool:
    """`^T` or `^{T}` (not `^(T)`, which is always a power)."""
    if r.kind == "brace":
        r = r.parts[0]
    return r.kind == "name" and r.parts[0] == "T"


def _product(factors: list[t.Node]) -> t.Node:
    acc = factors[0]
    for factor in factors[1:]:
        acc = t.Mul(acc, factor)
    return acc
