"""Unicode clean-up before parsing: reject what cannot be seen, map what students type.

The result is ASCII text plus, for each of its characters, the offset of the
character typed, so error positions point into the original answer.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import AnswerError

GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma",
    "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi",
    "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda",
    "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}

SYMBOLS = {
    "−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-", "﹣": "-", "－": "-",
    "·": "*", "⋅": "*", "×": "*", "∗": "*", "∙": "*", "•": "*",
    "÷": "/", "∕": "/", "⁄": "/",
    "⊙": ".*", "∘": ".*",
    "ᵀ": "'", "⊤": "'", "′": "'", "’": "'", "‘": "'",
    "√": " sqrt ",
}

# Superscript digits, signs, brackets and the lower-case letters Unicode has
# (there is no superscript q): e⁻ˣ is e^(-x), x²ʸ is x^(2y).
_SUPERSCRIPT_FROM = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"
_SUPERSCRIPT_TO = "0123456789-+()abcdefghijklmnoprstuvwxyz"
SUPERSCRIPTS = str.maketrans(_SUPERSCRIPT_FROM, _SUPERSCRIPT_TO)
_SUPERSCRIPT_RUN = re.compile(f"[{_SUPERSCRIPT_FROM}]+")

# Vulgar fractions read as the fraction in brackets: x^½ is x^(1/2), ½x is x/2.
VULGAR_FRACTIONS = {
    "½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5",
    "⅗": "3/5", "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅐": "1/7", "⅛": "1/8", "⅜": "3/8",
    "⅝": "5/8", "⅞": "7/8", "⅑": "1/9", "⅒": "1/10",
}
_CARET_TRANSPOSE = re.compile(r"\^\s*[ᵀ⊤]")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Letters from other scripts that look like Latin ones (a Russian keyboard layout).
_LOOKALIKE_SCRIPTS = ("CYRILLIC", "GREEK CAPITAL LETTER ALPHA", "GREEK CAPITAL LETTER BETA",
                      "GREEK SMALL LETTER OMICRON", "GREEK CAPITAL LETTER OMICRON")


def normalize(text: str) -> tuple[str, list[int] | None]:
    """ASCII text and the origin offset of each character (``None``: the identity)."""
    if text.isascii():
        bad = _ASCII_CONTROL.search(text)
        if bad:
            _control_error(bad.group(), bad.start())
        return text, None
    out: list[str] = []
    origin: list[int] = []

    def emit(piece: str, at: int) -> None:
        out.append(piece)
        origin.extend([at] * len(piece))

    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        caret = _CARET_TRANSPOSE.match(text, i) if ch == "^" else None
        if caret:
            emit("'", i)
            i = caret.end()
            continue
        if ch.isascii():
            if _ASCII_CONTROL.match(ch):
                _control_error(ch, i)
            emit(ch, i)
            i += 1
            continue
        run = _SUPERSCRIPT_RUN.match(text, i)
        if run:
            emit("^(" + run.group().translate(SUPERSCRIPTS) + ")", i)
            i = run.end()
        elif ch in VULGAR_FRACTIONS:
            if i and text[i - 1].isdigit():
                # 2½ is a mixed number to most people, and a product to the grammar
                whole = re.search(r"\d+\Z", text[:i]).group()
                raise AnswerError(
                    f"'{whole}{ch}' at character {i + 1} is a mixed number; write it as a "
                    f"fraction or a decimal, e.g. ({whole} + {VULGAR_FRACTIONS[ch]})", i)
            emit("(" + VULGAR_FRACTIONS[ch] + ")", i)
            i += 1
        elif ch in SYMBOLS:
            emit(SYMBOLS[ch], i)
            i += 1
        elif ch in GREEK:
            emit(" " + GREEK[ch] + " ", i)
            i += 1
        else:
            emit(_plain_ascii(ch, i), i)
            i += 1
    return "".join(out), origin


def _plain_ascii(ch: str, at: int) -> str:
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"):
        _control_error(ch, at)
    if category == "Zs":
        return " "
    name = unicodedata.name(ch, "")
    if name.startswith(_LOOKALIKE_SCRIPTS):
        raise AnswerError(
            f"character {at + 1} is '{ch}' ({name.title()}, U+{ord(ch):04X}), which only looks "
            "like a Latin letter; switch the keyboard to English and retype it", at)
    folded = unicodedata.normalize("NFKC", ch)   # full-width digits and letters, ligatures
    if folded.isascii() and folded.isprintable():
        return folded
    raise AnswerError(f"unsupported character '{ch}' (U+{ord(ch):04X}) at character {at + 1}", at)


def _control_error(ch: str, at: int) -> None:
    raise AnswerError(
        f"the answer contains an invisible control character (U+{ord(ch):04X}) at character "
        f"{at + 1}; retype the answer without it", at)
