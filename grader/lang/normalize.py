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

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
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
