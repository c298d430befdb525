"""`grader schema --json`: JSON Schema of problem and set files, for editors.

Generated from the same field tables the loader enforces and the format reference is
written from (``grader.fields``), so the three cannot drift apart. The schema checks the
shape of a file (fields, types, both languages, answer and parameter types); what needs the
bank or a solver (ids, solvers running, templates rendering) stays with `grader validate`.
"""

from __future__ import annotations

from .answer_types.registry import ANSWER_TYPES
from .bank.loader import (ID_RE, MISCONCEPTION_FIELDS, PART_FIELDS, PART_ID_RE, PROBLEM_FIELDS, SCHEMA_VERSION,
                          SET_ENTRY_FIELDS, SET_FIELDS)
from .bank.params import PARAM_FIELDS, SCALAR_TYPES
from .fields import Field

SCHEMA_ID = "https://ml-hand-grader.invalid/schema"   # a name, never fetched
TEXT = {"type": "object", "description": "The same text in both languages.",
        "properties": {"en": {"type": "string", "minLength": 1}, "ru": {"type": "string", "minLength": 1}},
        "required": ["en", "ru"], "additionalProperties": False}
KINDS = {"str": {"type": "string"}, "int": {"type": "integer"}, "number": {"type": "number"},
         "bool": {"type": "boolean"}, "text": {"$ref": "#/$defs/text"}, "list": {"type": "array"},
         "mapping": {"type": "object"}, "any": {}}
PATTERNS = {("problem", "id"): ID_RE.pattern, ("part", "id"): PART_ID_RE.pattern,
            ("set", "id"): r"^[A-Za-z0-9._-]{1,64}$"}


def _ref(name: str) -> dict:
    return {"type": "string"} if name == "str" else {"$ref": f"#/$defs/{name}"}


def _field(owner: str, f: Field) -> dict:
    schema = dict(KINDS[f.kind])
    if f.items and f.kind == "list":
        schema["items"] = _ref(f.items)
    elif f.items and f.kind == "mapping":
        schema["additionalProperties"] = _ref(f.items)
    if f.name == "of" and owner.startswith("param"):
        schema = _ref("scalar_param")
    if (owner, f.name) in PATTERNS:
        schema["pattern"] = PATTERNS[(owner, f.name)]
    schema["description"] = f.doc
    if not f.required:   # the loader reads an explicit null as "not given"
        schema = {"anyOf": [schema, {"type": "null"}], "description": f.doc}
    return schema


def _object(owner: str, fields, **extra) -> dict:
    props = {f.name: _field(owner, f) for f in fields}
    for name, value in extra.items():
        props[name] = {**props.get(name, {}), **value}
    return {"type": "object", "properties": props, "additionalProperties": False,
            "required": [f.name for f in fields if f.required]}


def _one_of_types(owner: str, tables: dict) -> dict:
    """An object whose `type` picks the field table (parts by answer type, params by kind)."""
    branches = [{"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                 "then": _object(owner, fields, type={"const": name})} for name, fields in tables.items()]
    return {"type": "object", "required": ["type"],
            "properties": {"type": {"enum": list(tables)}}, "allOf": branches}


def definitions() -> dict:
    part_tables = {name: PART_FIELDS + cls.fields for name, cls in ANSWER_TYPES.items()}
    return {
        "text": TEXT,
        "problem": _object("problem", PROBLEM_FIELDS, schema_version={"const": SCHEMA_VERSION}),
        "part": _one_of_types("part", part_tables),
        "misconception": _object("misconception", MISCONCEPTION_FIELDS),
        "param": _one_of_types("param", PARAM_FIELDS),
        "scalar_param": _one_of_types("param", {k: PARAM_FIELDS[k] for k in SCALAR_TYPES}),
        "set": _object("set", SET_FIELDS, lang={"enum": ["en", "ru"]},
                       problems={"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/set_entry"}}),
        "set_entry": _object("set_entry", SET_ENTRY_FIELDS),
    }


def json_schema(kind: str = "all") -> dict:
    """The schema of problem files, set files, or either (`all`, told apart by their fields)."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{SCHEMA_ID}/{kind}.json",
            "$defs": definitions()}
    if kind == "problem":
        root.update({"title": "ml-hand-grader problem family", "$ref": "#/$defs/problem"})
    elif kind == "set":
        root.update({"title": "ml-hand-grader set", "$ref": "#/$defs/set"})
    else:
        root.update({"title": "ml-hand-grader problem family or set",
                     "if": {"type": "object", "required": ["schema_version"]},
                     "then": {"$ref": "#/$defs/problem"}, "else": {"$ref": "#/$defs/set"}})
    return root
