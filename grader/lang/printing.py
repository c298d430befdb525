"""Tree → text: ``to_plain`` (canonical, parses back to an equal tree) and ``to_latex``.

Both printers put parentheses only where the grammar needs them. Levels, loosest
first: sum < product < signed < power < postfix/atom.
"""

from __future__ import annotations

from fractions import Fraction

from . import tree as t
from .normalize import GREEK

SUM, PRODUCT, SIGNED, POWER, ATOM = range(5)
_GREEK_NAMES = frozenset(GREEK.values())
_LATEX_FUNCTIONS = {"exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos",
                    "tan": r"\tan", "tanh": r"\tanh", "det": r"\det", "max": r"\max",
                    "min": r"\min", "sigmoid": r"\sigma", "tr": r"\operatorname{tr}"}


def format_decimal(value: Fraction) -> str:
    """The exact decimal for a non-negative number with a finite expansion."""
    if value == 0:
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


def _level(node: t.Node) -> int:
    if isinstance(node, (t.Add, t.Sub)):
        return SUM
    if isinstance(node, (t.Mul, t.Div, t.Hadamard)):
        return PRODUCT
    if isinstance(node, t.Neg):
        return SIGNED
    if isinstance(node, (t.Pow, t.Transpose)):
        return POWER
    return ATOM


# ---------------------------------------------------------------------------------

def to_plain(node: t.Node) -> str:
    """Canonical plain text; ``parse(to_plain(n))`` gives back ``n``."""
    return _Plain().show(node)


class _Plain:
    def show(self, node: t.Node) -> str:
        if isinstance(node, t.Num):
            return format_decimal(node.value)
        if isinstance(node, (t.Const, t.Sym)):
            return node.name
        if isinstance(node, t.Identity):
            return "I"
        if isinstance(node, (t.Add, t.Sub)):
            op = " + " if isinstance(node, t.Add) else " - "
            return self.at(node.left, SUM) + op + self.at(node.right, PRODUCT, tidy=True)
        if isinstance(node, (t.Mul, t.Div, t.Hadamard)):
            op = {t.Mul: "*", t.Div: "/", t.Hadamard: " .* "}[type(node)]
            return self.at(node.left, PRODUCT) + op + self.at(node.right, POWER)
        if isinstance(node, t.Neg):
            return "-" + self.at(node.arg, POWER)
        if isinstance(node, t.Pow):
            return self.at(node.base, ATOM) + "^" + self.exponent(node.exp)
        if isinstance(node, t.Transpose):
            return self.at(node.arg, ATOM) + "^T"
        if isinstance(node, t.Call):
            return node.func + "(" + ", ".join(self.show(a) for a in node.args) + ")"
        if isinstance(node, t.Vector):
            return "[" + ", ".join(self.show(a) for a in node.items) + "]"
        if isinstance(node, t.Matrix):
            return "[" + ", ".join("[" + ", ".join(self.show(a) for a in row) + "]"
                                   for row in node.rows) + "]"
        raise TypeError(f"not an answer-language node: {node!r}")

    def at(self, node: t.Node, level: int, tidy: bool = False) -> str:
        """``node`` printed where the grammar expects at least ``level``."""
        text = self.show(node)
        needs = _level(node) < level or (tidy and isinstance(node, t.Neg))
        return "(" + text + ")" if needs else text

    def exponent(self, node: t.Node) -> str:
        # A bare T exponent would read as a transpose, so it gets parentheses.
        if isinstance(node, t.Sym) and node.name == "T":
            return "(T)"
        if _level(node) >= POWER and not isinstance(node, t.Transpose):
            return self.show(node)
        return "(" + self.show(node) + ")"


# ---------------------------------------------------------------------------------

def to_latex(node: t.Node) -> str:
    """LaTeX for feedback ("how your answer was read"); parses back to an equal value."""
    return _Latex().show(node)


def _latex_name(name: str) -> str:
    base, _, sub = name.partition("_")
    if base in _GREEK_NAMES:
        head = "\\" + base
    elif len(base) == 1:
        head = base
    else:
        head = r"\mathrm{" + base + "}"
    return head + ("_{" + sub + "}" if sub else "")


class _Latex:
    def show(self, node: t.Node) -> str:
        if isinstance(node, t.Num):
            text = format_decimal(node.value)
            if "e" in text:
                mantissa, exponent = text.split("e")
                return mantissa + r" \cdot 10^{" + exponent + "}"
            return text
        if isinstance(node, t.Const):
            return r"\pi" if node.name == "pi" else "e"
        if isinstance(node, t.Sym):
            return _latex_name(node.name)
        if isinstance(node, t.Identity):
            return "I"
        if isinstance(node, (t.Add, t.Sub)):
            op = " + " if isinstance(node, t.Add) else " - "
            return self.at(node.left, SUM) + op + self.at(node.right, PRODUCT, tidy=True)
        if isinstance(node, t.Div):
            return r"\frac{" + self.show(node.left) + "}{" + self.show(node.right) + "}"
        if isinstance(node, (t.Mul, t.Hadamard)):
            op = r" \cdot " if isinstance(node, t.Mul) else r" \odot "
            return self.at(node.left, PRODUCT) + op + self.at(node.right, POWER)
        if isinstance(node, t.Neg):
            return "-" + self.at(node.arg, POWER)
        if isinstance(node, t.Pow):
            exp = self.show(node.exp)
            if isinstance(node.exp, t.Sym) and node.exp.name == "T":
                exp = r"\left(" + exp + r"\right)"      # a bare T would read as a transpose
            return "{" + self.at(node.base, ATOM) + "}^{" + exp + "}"
        if isinstance(node, t.Transpose):
            return "{" + self.at(node.arg, ATOM) + r"}^{\top}"
        if isinstance(node, t.Call):
            return self.call(node)
        if isinstance(node, t.Vector):
            return r"\begin{pmatrix} " + r" \\ ".join(self.show(a) for a in node.items) \
                + r" \end{pmatrix}"
        if isinstance(node, t.Matrix):
            rows = (" & ".join(self.show(a) for a in row) for row in node.rows)
            return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"
        raise TypeError(f"not an answer-language node: {node!r}")

    def at(self, node: t.Node, level: int, tidy: bool = False) -> str:
        text = self.show(node)
        needs = (_level(node) < level and not isinstance(node, t.Div)) \
            or (tidy and isinstance(node, t.Neg))
        return r"\left(" + text + r"\right)" if needs else text

    def call(self, node: t.Call) -> str:
        args = ", ".join(self.show(a) for a in node.args)
        if node.func == "sqrt":
            return r"\sqrt{" + args + "}"
        if node.func == "abs":
            return r"\left|" + args + r"\right|"
        if node.func == "inv":
            return "{" + self.at(node.args[0], ATOM) + "}^{-1}"
        return _LATEX_FUNCTIONS[node.func] + r"\left(" + args + r"\right)"
