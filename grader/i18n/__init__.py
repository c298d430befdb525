"""Messages in the set's language: one catalogue per language, messages referred to by key.

``t(key, lang, **fields)`` formats the message ``key`` of ``grader/i18n/<lang>.py``. A
field may carry a plural choice, ``{n:p:entry|entries}`` in English and
``{n:p:элемент|элемента|элементов}`` in Russian (1 элемент, 2 элемента, 5 элементов).

Much of the engine (``grader/lang``, the answer types, the property checks of reference
solvers) writes its messages in English as it finds them. ``localize(text, lang)`` turns
such a message into the set's language: the English templates of the catalogue are read
backwards (each ``{field}`` matches any text), so the English message names its key, and
the fields it matched are formatted into the other language's template; fields that are
themselves messages ("row 2: …") are localized the same way. An English message with no
template stays English, which the all-sets test in ``tests/e2e/test_i18n.py`` catches.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

from . import en, ru

CATALOGUES = {"en": en.MESSAGES, "ru": ru.MESSAGES}
LANGS = tuple(CATALOGUES)


def plural_form(n, lang: str, forms: list[str]) -> str:
    """The form of a noun after the number n (English: one/other; Russian: one/few/many)."""
    try:
        k = abs(int(float(n)))
        whole = float(n) == int(float(n))
    except (TypeError, ValueError):
        return forms[-1]
    if lang == "ru":
        if not whole:
            return forms[1] if len(forms) > 1 else forms[0]   # 1.5 элемента
        if k % 10 == 1 and k % 100 != 11:
            return forms[0]
        if 2 <= k % 10 <= 4 and not 12 <= k % 100 <= 14:
            return forms[1] if len(forms) > 1 else forms[0]
        return forms[-1]
    return forms[0] if whole and k == 1 else forms[-1]


class _Formatter(string.Formatter):
    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value, spec):
        if spec.startswith("p:"):
            return plural_form(value, self.lang, spec[2:].split("|"))
        return super().format_field(value, spec)


def t(key: str, lang: str, **fields) -> str:
    """The message ``key`` in ``lang`` (English when the language has no such message)."""
    if not fields:
        return _plain(key, lang)   # headings and verdicts: a report asks for them on every row
    return _format(key, lang, fields)


@lru_cache(maxsize=2048)
def _plain(key: str, lang: str) -> str:
    return _format(key, lang, {})


def _format(key: str, lang: str, fields: dict) -> str:
    catalogue = CATALOGUES.get(lang, en.MESSAGES)
    template = catalogue.get(key) or en.MESSAGES[key]
    return _Formatter(lang if key in catalogue else "en").format(template, **fields)


def verdict(word: str, lang: str) -> str:
    """A verdict (correct, partial, ...) as the reader's language says it."""
    return t(f"verdict.{word}", lang)


# --------------------------------------------------------------- reading English back

_FIELD = re.compile(r"\{(\w+)(?::p:([^}]*))?\}")


def _pattern(template: str) -> re.Pattern:
    out, seen, pos = [], set(), 0
    for m in _FIELD.finditer(template):
        out.append(re.escape(template[pos:m.start()]))
        name, forms = m.group(1), m.group(2)
        if forms is not None:
            out.append("(?:" + "|".join(re.escape(f) for f in sorted(forms.split("|"), key=len,
                                                                       reverse=True)) + ")")
        elif name in seen:
            out.append(f"(?P={name})")
        else:
            seen.add(name)
            out.append(f"(?P<{name}>.+?)")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out), re.S)


@lru_cache(maxsize=1)
def _patterns() -> list:
    """English templates, most literal text first (so the most specific one wins)."""
    rows = []
    for key, template in en.MESSAGES.items():
        if key.startswith(("msg.", "phrase.")):
            literal = len(_FIELD.sub("", template))
            rows.append((-literal, key, _pattern(template)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(key, pattern) for _, key, pattern in rows]


# fields that hold what the student typed or a name: never translated
_VERBATIM = {"token", "ch", "name", "text", "code", "func", "ids", "list", "value", "got_raw",
             "opener", "closer", "open", "close", "env", "close_names", "declared", "example", "fields",
             "point", "unit_z"}


def localize(text: str, lang: str, _depth: int = 0) -> str:
    """An English engine message in ``lang`` (unchanged for English or an unknown message)."""
    if lang == "en" or not text or _depth > 6:
        return text
    text = str(text)
    for key, pattern in _patterns():
        m = pattern.fullmatch(text)
        if m is None:
            continue
        fields = {}
        for name, value in m.groupdict().items():
            fields[name] = value if name in _VERBATIM else localize(value, lang, _depth + 1)
        try:
            return t(key, lang, **fields)
        except (KeyError, IndexError, ValueError):
            return text
    # a message with a hint after '; ' or a sentence after '. ': each piece on its own
    for sep in ("; ", ". "):
        if sep in text:
            pieces = text.split(sep)
            done = [localize(p, lang, _depth + 1) for p in pieces]
            if done != pieces:
                return sep.join(done)
    return text
