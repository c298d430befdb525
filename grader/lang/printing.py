"""Tree → text: ``to_plain`` (canonical, parses back to an equal tree) and ``to_latex``.

Both printers put parentheses only where the grammar needs them. Levels, loosest
first: sum < product < signed < power < postfix/atom.
"""

from __future__ import annotations

import functools
import typing
from fractions import Fraction

from . import tree as t
from .memo import IdentityMemo
from .normalize import GREEK

SUM, PRODUCT, SIGNED, POWER, ATOM = range(5)
_GREEK_NAMES = frozenset(GREEK.values())
_LATEX_FUNCTIONS = {"exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos",
                    "tan": r"\tan", "tanh": r"\tanh", "det": r"\det", "max": r"\max",
                    "min": r"\min", "sigmoid": r"\sigma", "tr": r"\operatorname{tr}",
                    "cosh": r"\cosh", "sinh": r"\sinh", "atan": r"\arctan",
                    "asin": r"\arcsin", "acos": r"\arccos", "log2": r"\log_{2}",
                    "log10": r"\log_{10}",
                    **{name: r"\operatorname{" + name + "}"
                       for name in ("sech", "atanh", "asinh", "acosh", "softplus", "relu",
                                    "erf")}}


def format_decimal(value: Fraction) -> str:
    """The exact decimal for a non-negative number with a finite expansion."""
    if value.denominator == 1:
        # Integers, most numbers in answers: plain unless more than six trailing zeros.
        digits = str(value.numerator)
        if len(digits) - len(digits.rstrip("0")) <= 6:
            return digits
    elif value == 0:
        return "0"
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        raise ValueError(f"{value} has no finite decimal expansion")
    scale = max(twos, fives)
    digits = str(value.numerator * 10 ** scale // value.denominator)
    stripped = digits.rstrip("0")
    exponent = len(digits) - len(stripped) - scale      # value = stripped * 10**exponent
    if exponent >= 0:
        plain = stripped + "0" * exponent
    else:
        point = len(stripped) + exponent
        plain = (stripped[:point] + "." + stripped[point:] if point > 0
                 else "0." + "0" * -point + stripped)
    if len(plain) <= len(stripped) + 6:
        return plain
    mantissa = stripped[0] + ("." + stripped[1:] if len(stripped) > 1 else "")
    return f"{mantissa}e{exponent + len(stripped) - 1}"


# The parser hands out one Num per distinct number token, and both printers write it.
_DECIMALS = IdentityMemo(4096)


def _decimal(node: t.Num) -> str:
    text = _DECIMALS.get(node)
    if text is None:
        text = _DECIMALS.put(node, format_decimal(node.value))
    return text


_LEVELS = {t.Add: SUM, t.Sub: SUM, t.Mul: PRODUCT, t.Div: PRODUCT, t.Hadamard: PRODUCT,
           t.Neg: SIGNED, t.Pow: POWER, t.Transpose: POWER}


def _level(node: t.Node) -> int:
    return _LEVELS.get(type(node), ATOM)


# Both printers dispatch on the node's type through a table: they run for every
# answer read, and a chain of isinstance tests cost as much as the printing itself.

# ---------------------------------------------------------------------------------

def to_plain(node: t.Node) -> str:
    """Canonical plain text; ``parse(to_plain(n))`` gives back ``n``."""
    return _plain(node)


def _not_a_node(node) -> str:
    raise TypeError(f"not an answer-language node: {node!r}")


def _needs_brackets(kind: type, level: int, tidy: bool, fraction_groups: bool) -> bool:
    """Does a node of type ``kind`` need brackets where the grammar expects at least
    ``level``? A minus sign right of a sum always does (``a - (-b)``); a fraction does
    not where it is drawn as one (LaTeX's \\frac groups it)."""
    if tidy and kind is t.Neg:
        return True
    return _LEVELS.get(kind, ATOM) < level and not (fraction_groups and kind is t.Div)


# The rule above as one table per printer, consulted for every sub-expression printed
# (a look-up costs less than the call).
_PLAIN_BRACKETS, _LATEX_BRACKETS = (
    {(kind, level, tidy): _needs_brackets(kind, level, tidy, groups)
     for kind in typing.get_args(t.Node) for level in range(ATOM + 1) for tidy in (False, True)}
    for groups in (False, True))


def _plain(node: t.Node) -> str:
    return _PLAIN.get(type(node), _not_a_node)(node)


def _plain_at(node: t.Node, level: int, tidy: bool = False) -> str:
    """``node`` printed where the grammar expects at least ``level``."""
    kind = type(node)
    text = _PLAIN.get(kind, _not_a_node)(node)
    return "(" + text + ")" if _PLAIN_BRACKETS[kind, level, tidy] else text


def _plain_exponent(node: t.Node) -> str:
    # A bare T exponent would read as a transpose, so it gets parentheses.
    kind = type(node)
    if kind is t.Sym and node.name == "T":
        return "(T)"
    if _LEVELS.get(kind, ATOM) >= POWER and kind is not t.Transpose:
        return _plain(node)
    return "(" + _plain(node) + ")"


_PLAIN_OPS = {t.Add: " + ", t.Sub: " - ", t.Mul: "*", t.Div: "/", t.Hadamard: " .* "}
_PLAIN = {
    t.Num: lambda n: _decimal(n),
    t.Const: lambda n: n.name,
    t.Sym: lambda n: n.name,
    t.Identity: lambda n: "I",
    t.Add: lambda n: _plain_at(n.left, SUM) + _PLAIN_OPS[type(n)] + _plain_at(n.right, PRODUCT, True),
    t.Mul: lambda n: _plain_at(n.left, PRODUCT) + _PLAIN_OPS[type(n)] + _plain_at(n.right, POWER),
    t.Neg: lambda n: "-" + _plain_at(n.arg, POWER),
    t.Pow: lambda n: _plain_at(n.base, ATOM) + "^" + _plain_exponent(n.exp),
    t.Transpose: lambda n: _plain_at(n.arg, ATOM) + "^T",
    t.Call: lambda n: n.func + "(" + ", ".join(map(_plain, n.args)) + ")",
    t.Vector: lambda n: "[" + ", ".join(map(_plain, n.items)) + "]",
    t.Matrix: lambda n: "[" + ", ".join("[" + ", ".join(map(_plain, row)) + "]"
                                        for row in n.rows) + "]",
}
_PLAIN[t.Sub] = _PLAIN[t.Add]
_PLAIN[t.Div] = _PLAIN[t.Hadamard] = _PLAIN[t.Mul]


# ---------------------------------------------------------------------------------

def to_latex(node: t.Node) -> str:
    """LaTeX for feedback ("how your answer was read"); parses back to an equal value."""
    return _latex(node)


def clear_cache() -> None:
    """Forget the memoised LaTeX spellings of names and decimals of numbers."""
    _latex_name.cache_clear()
    _DECIMALS.clear()


@functools.lru_cache(maxsize=1024)
def _latex_name(name: str) -> str:
    base, _, sub = name.partition("_")
    if base in _GREEK_NAMES:
        head = "\\" + base
    elif len(base) == 1:
        head = base
    else:
        head = r"\mathrm{" + base + "}"
    return head + ("_{" + sub + "}" if sub else "")


def _latex(node: t.Node) -> str:
    return _LATEX.get(type(node), _not_a_node)(node)


def _latex_at(node: t.Node, level: int, tidy: bool = False) -> str:
    kind = type(node)
    text = _LATEX.get(kind, _not_a_node)(node)
    return r"\left(" + text + r"\right)" if _LATEX_BRACKETS[kind, level, tidy] else text


def _latex_number(node: t.Num) -> str:
    text = _decimal(node)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return mantissa + r" \cdot 10^{" + exponent + "}"
    return text


def _latex_power(node: t.Pow) -> str:
    exp = _latex(node.exp)
    if type(node.exp) is t.Sym and node.exp.name == "T":
        exp = r"\left(" + exp + r"\right)"      # a bare T would read as a transpose
    return "{" + _latex_at(node.base, ATOM) + "}^{" + exp + "}"


def _latex_call(node: t.Call) -> str:
    args = ", ".join(map(_latex, node.args))
    if node.func == "sqrt":
        return r"\sqrt{" + args + "}"
    if node.func == "abs":
        return r"\left|" + args + r"\right|"
    if node.func == "inv":
        return "{" + _latex_at(node.args[0], ATOM) + "}^{-1}"
    return _LATEX_FUNCTIONS[node.func] + r"\left(" + args + r"\right)"


def _latex_rows(rows) -> str:
    return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"


_LATEX_OPS = {t.Add: " + ", t.Sub: " - ", t.Mul: r" \cdot ", t.Hadamard: r" \odot "}
_LATEX = {
    t.Num: _latex_number,
    t.Const: lambda n: r"\pi" if n.name == "pi" else "e",
    t.Sym: lambda n: _latex_name(n.name),
    t.Identity: lambda n: "I",
    t.Add: lambda n: _latex_at(n.left, SUM) + _LATEX_OPS[type(n)] + _latex_at(n.right, PRODUCT, True),
    t.Div: lambda n: r"\frac{" + _latex(n.left) + "}{" + _latex(n.right) + "}",
    t.Mul: lambda n: _latex_at(n.left, PRODUCT) + _LATEX_OPS[type(n)] + _latex_at(n.right, POWER),
    t.Neg: lambda n: "-" + _latex_at(n.arg, POWER),
    t.Pow: _latex_power,
    t.Transpose: lambda n: "{" + _latex_at(n.arg, ATOM) + r"}^{\top}",
    t.Call: _latex_call,
    t.Vector: lambda n: _latex_rows(map(_latex, n.items)),
    t.Matrix: lambda n: _latex_rows(" & ".join(map(_latex, row)) for row in n.rows),
}
_LATEX[t.Sub] = _LATEX[t.Add]
_LATEX[t.Hadamard] = _LATEX[t.Mul]
