"""`grader compare`: what would a reference accept? One pair, or a JSONL batch."""

from __future__ import annotations

import json
import sys

from .answer_types.base import Context
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


def _answer_type(kind: str | None, variables: dict):
    if kind is None:
        kind = ("matrix-expression" if any(variables.values()) else "expression") if variables else "number"
    if kind == "expression":
        options = {"variables": {n: {} for n in variables}}
    elif kind == "matrix-expression":
        options = {"variables": {n: {"shape": list(s)} for n, s in variables.items()}}
    elif kind in ("number", "matrix"):
        options = {"tolerance": None}
    else:
        raise UsageError(f"unknown kind {kind!r}; expected expression, matrix-expression, number or matrix")
    return ANSWER_TYPES[kind](options)


def compare_one(reference, answer, variables: dict, kind: str | None) -> dict:
    answer_type = _answer_type(kind, variables)
    ctx = Context(params={})
    try:
        ref = answer_type.read_reference(reference, ctx)
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


def run_compare(args) -> int:
    if args.batch:
        with open(args.batch, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    out = compare_one(item["reference"], item["answer"], item.get("variables") or {},
                                      item.get("kind"))
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    out = {"verdict": "invalid", "check": "input", "interpreted": None,
                           "message": f"line {n}: {type(exc).__name__}: {exc}"}
                except UsageError as exc:
                    out = {"verdict": "invalid", "check": "input", "interpreted": None,
                           "message": f"line {n}: {exc}"}
                except RecursionError:      # json.loads of thousands of nested brackets
                    out = {"verdict": "invalid", "check": "input", "interpreted": None,
                           "message": f"line {n}: the JSON is nested too deeply"}
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
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
