"""Declarative field tables: the one place that says what a YAML object may hold.

Each object kind (problem, part, misconception, set, param) lists its fields with a
type, a default and a description. ``check_fields`` enforces the table with messages
that name the file, line and field; ``docs/format-reference.md`` is generated from the
same tables (``grader schema-docs``), so the documentation cannot drift from the code.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .yamlio import Document

# name -> (python types accepted, how to say it in a message)
KINDS = {
    "str": ((str,), "a string"),
    "int": ((int,), "an integer"),
    "number": ((int, float), "a number"),
    "bool": ((bool,), "true or false"),
    "text": ((dict, str), "a mapping {en: ..., ru: ...}"),
    "list": ((list,), "a list"),
    "mapping": ((dict,), "a mapping"),
    "any": ((object,), "any value"),
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    doc: str
    required: bool = False
    default: object = None
    items: str | None = None   # lists: what each item is; mappings: each value (a schema name)


def check_fields(doc: Document, path: tuple, value, fields: tuple[Field, ...], what: str) -> dict:
    """Validate one mapping against its field table; return it with defaults filled in."""
    if not isinstance(value, dict):
        raise doc.error(path, f"{what} must be a mapping", expected="a mapping",
                        got=type(value).__name__)
    known = {f.name: f for f in fields}
    for key in value:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise doc.error(path + (key,), f"unknown field in {what}{hint}",
                            expected="one of " + ", ".join(known))
    out = {}
    for f in fields:
        if f.name not in value or value[f.name] is None:
            if f.required:
                raise doc.error(path + (f.name,), f"missing required field in {what}",
                                expected=KINDS[f.kind][1])
            out[f.name] = f.default
            continue
        v = value[f.name]
        types, said = KINDS[f.kind]
        if not isinstance(v, types) or (f.kind in ("int", "number") and isinstance(v, bool)):
            raise doc.error(path + (f.name,), "wrong type", expected=said, got=v)
        if f.kind == "text":
            v = check_text(doc, path + (f.name,), v)
        out[f.name] = v
    return out


def check_text(doc: Document, path: tuple, value) -> dict:
    """A bilingual text: {en: ..., ru: ...}, both required and non-empty."""
    if not isinstance(value, dict):
        raise doc.error(path, "text must be given in both languages",
                        expected="a mapping {en: ..., ru: ...}", got=value)
    for lang in ("en", "ru"):
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise doc.error(path + (lang,), "missing translation", expected="a non-empty string")
    extra = set(value) - {"en", "ru"}
    if extra:
        raise doc.error(path + (sorted(extra)[0],), "unknown language", expected="en or ru")
    return {"en": value["en"], "ru": value["ru"]}


def fields_markdown(title: str, fields: tuple[Field, ...]) -> str:
    """One table of the format reference."""
    rows = [f"### {title}", "", "| field | type | required | default | meaning |",
            "|---|---|---|---|---|"]
    for f in fields:
        default = "" if f.default is None else f"`{f.default}`"
        rows.append(f"| `{f.name}` | {f.kind} | {'yes' if f.required else ''} | {default} | {f.doc} |")
    return "\n".join(rows) + "\n"
