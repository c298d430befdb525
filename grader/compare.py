"""`grader compare`: what would a reference accept? One pair, or a JSONL batch."""

from __future__ import annotations

import json
import sys

from .answer_types.base import Context, Reading
from .answer_types.registry import ANSWER_TYPES
from .errors import UsageError
from .lang import AnswerError


def parse_vars(text: str) -> dict:
    """'A:3x3,x:3x1,t' -> {A: [3, 3], x: [3, 1], t: []}."""
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, _, shape = item.partition(":")
        try:
            out[name.strip()] = [int(n) for n in shape.lower().split("x")] if shape else []
        except ValueError:
            raise UsageError(f"--vars: bad shape in {item!r}; expected like A:3x3") from None
    return out


def _variable(name, spec) -> dict:
    """One variable of a batch line or --vars: `[]`, `[r, c]`, or a part-style mapping
    `{"shape": [...], "domain": [lo, hi], "kind": "spd"}`."""
    if isinstance(spec, (list, tuple)):
        spec = {"shape": list(spec)}
    if not isinstance(spec, dict):
        raise UsageError(f"variable {name!r}: expected [], [rows, cols] or a mapping with "
                         f"shape, domain, kind; got {spec!r}")
    unknown = set(spec) - {"shape", "domain", "kind", "equals"}
    if unknown:
        raise UsageError(f"variable {name!r}: unknown key {sorted(unknown)[0]!r} "
                         "(expected shape, domain, kind, equals)")
    shape = spec.get("shape", [])
    if not (isinstance(shape, (list, tuple)) and len(shape) in (0, 2)
            and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)):
        raise UsageError(f"variable {name!r}: shape must be [] or [rows, cols], got {shape!r}")
    domain = spec.get("domain")
    if domain is not None and not (
            isinstance(domain, (list, tuple)) and len(domain) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in domain)
            and domain[0] < domain[1]):
        raise UsageError(f"variable {name!r}: domain must be [low, high] with low < high, "
                         f"got {domain!r}")
    out = {"shape": list(shape)}
    if domain is not None:
        out["domain"] = [float(domain[0]), float(domain[1])]
    for key in ("kind", "equals"):
        if key in spec:
            out[key] = spec[key]
    return out


def _answer_type(kind: str | None, variables: dict):
    variables = {str(n): _variable(n, s) for n, s in variables.items()}
    matrices = any(v["shape"] for v in variables.values())
    if kind is None:
        kind = ("matrix-expression" if matrices else "expression") if variables else "number"
    if kind == "expression":
        if matrices:
            raise UsageError("kind expression takes scalar variables only; "
                             "use matrix-expression")
        options = {"variables": {n: {k: v for k, v in s.items() if k != "shape"}
                                 for n, s in variables.items()}}
    elif kind == "matrix-expression":
        options = {"variables": variables}
    elif kind in ("number", "matrix"):
        options = {"tolerance": None}
    else:
        raise UsageError(f"unknown kind {kind!r}; expected expression, matrix-expression, number or matrix")
    answer_type = ANSWER_TYPES[kind](options)
    if kind in ("expression", "matrix-expression"):
        try:
            answer_type.declared          # bad declarations are the line's fault, said now
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return answer_type


def compare_one(reference, answer, variables: dict, kind: str | None, shape=None) -> dict:
    """The verdict on one pair. ``shape``: the expected result's [rows, cols], which
    sizes a lone ``I`` in the reference."""
    answer_type = _answer_type(kind, variables)
    ctx = Context(params={})
    try:
        ref = _read_reference(answer_type, reference, ctx, shape)
    except AnswerError as exc:
        return {"verdict": "invalid", "check": "reference", "interpreted": None,
                "message": f"the reference itself is not readable: {exc.message}"}
    ctx = Context(params={}, reference=ref)
    try:
        ans = answer_type.read(answer, ctx)
    except AnswerError as exc:
        return {"verdict": "invalid", "check": "parse", "interpreted": None, "message": exc.message}
    try:
        comp = answer_type.compare(ref, ans, ctx)
    except AnswerError as exc:
        return {"verdict": "invalid", "check": "shape", "message": exc.message,
                "interpreted": {"plain": ans.plain, "latex": ans.latex}}
    verdict = ("undecided" if comp.score is None else "correct" if comp.score >= 1
               else "partial" if comp.score > 0 else "incorrect")
    return {"verdict": verdict, "check": comp.check,
            "interpreted": {"plain": ans.plain, "latex": ans.latex}, "message": comp.message}


def _read_reference(answer_type, reference, ctx, shape):
    if shape is None:
        return answer_type.read_reference(reference, ctx)
    if not (isinstance(shape, (list, tuple)) and len(shape) in (0, 2)
            and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)):
        raise UsageError(f"shape must be [] or [rows, cols], got {shape!r}")
    if not hasattr(answer_type, "names"):
        return answer_type.read_reference(reference, ctx)
    # Read as an answer would be next to a reference of that shape: `I` gets its size.
    from .lang import parse
    from .lang.shapes import with_sizes
    node = parse(str(reference), names=answer_type.names)
    node, found = with_sizes(node, answer_type.names, expected=tuple(shape) or None)
    if answer_type.name == "matrix-expression":
        return Reading((node, tuple(found)), "")
    return Reading(node, "")


def _batch_line(line: str, n: int) -> dict:
    """One output object for one input line; every failure is an ``{"error": …}``."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": f"line {n}: not JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(item, dict):
        return {"error": f"line {n}: expected a JSON object, got {type(item).__name__}"}
    missing = [k for k in ("reference", "answer") if k not in item]
    if missing:
        return {"error": f"line {n}: missing {', '.join(repr(k) for k in missing)}"}
    unknown = set(item) - {"reference", "answer", "variables", "kind", "shape"}
    if unknown:
        return {"error": f"line {n}: unknown key {sorted(unknown)[0]!r} "
                         "(expected reference, answer, variables, kind, shape)"}
    variables = item.get("variables") or {}
    if not isinstance(variables, dict):
        return {"error": f"line {n}: variables must be a mapping of names, "
                         f"got {type(variables).__name__}"}
    try:
        out = compare_one(item["reference"], item["answer"], variables, item.get("kind"),
                          item.get("shape"))
        if out["check"] == "reference":           # nothing to judge the answer against
            return {"error": f"line {n}: {out['message']}"}
        return out
    except UsageError as exc:
        return {"error": f"line {n}: {exc}"}
    except AnswerError as exc:          # e.g. a lone `I` with nothing to size it
        return {"error": f"line {n}: the reference cannot be used: {exc.message}"}
    except ValueError as exc:
        return {"error": f"line {n}: {exc}"}
    except Exception as exc:            # noqa: BLE001 - one bad line never stops the batch
        return {"error": f"line {n}: could not judge this line ({type(exc).__name__}: {exc})"}


def run_compare(args) -> int:
    if args.batch:
        with open(args.batch, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                out = _batch_line(line, n)
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
                sys.stdout.flush()
        return 0
    if args.reference is None or args.answer is None:
        raise UsageError("give --reference and --answer, or --batch FILE.jsonl")
    out = compare_one(args.reference, args.answer, parse_vars(args.vars), args.kind)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{out['verdict']} (by {out['check']})")
        if out["interpreted"]:
            print(f"  read as: {out['interpreted']['plain']}")
        if out["message"]:
            print(f"  {out['message']}")
    return 0
