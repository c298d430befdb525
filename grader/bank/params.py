"""Parameter specs and drawing one variant's parameters from a seed.

Derived values and constraints are Jinja expressions written by problem authors;
they are compiled in Jinja's sandbox, never evaluated as Python.
"""

from __future__ import annotations

import random
from functools import lru_cache

from jinja2 import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..fields import Field, check_fields

SCALAR_TYPES = ("int", "int-nonzero", "uniform", "choice")
PARAM_FIELDS = {
    "int": (Field("type", "str", "`int`", required=True),
            Field("min", "int", "Smallest value (inclusive).", required=True),
            Field("max", "int", "Largest value (inclusive).", required=True)),
    "int-nonzero": (Field("type", "str", "`int-nonzero`: an int, never 0", required=True),
                    Field("min", "int", "Smallest value (inclusive).", required=True),
                    Field("max", "int", "Largest value (inclusive).", required=True)),
    "uniform": (Field("type", "str", "`uniform`", required=True),
                Field("min", "number", "Lower bound.", required=True),
                Field("max", "number", "Upper bound.", required=True),
                Field("round", "int", "Decimals kept.", default=2)),
    "choice": (Field("type", "str", "`choice`", required=True),
               Field("options", "list", "Values to pick from (any YAML values).", required=True)),
    "vector": (Field("type", "str", "`vector`", required=True),
               Field("size", "int", "Number of entries.", required=True),
               Field("of", "mapping", "Spec of each entry (a scalar type).", required=True)),
    "matrix": (Field("type", "str", "`matrix`", required=True),
               Field("shape", "list", "`[rows, cols]`.", required=True),
               Field("of", "mapping", "Spec of each entry (a scalar type).", required=True)),
    "derived": (Field("type", "str", "`derived`", required=True),
                Field("expr", "str", "Jinja expression over earlier parameters.", required=True)),
}

_env = ImmutableSandboxedEnvironment()
_env.globals.update(abs=abs, min=min, max=max, round=round, sum=sum, len=len, range=range,
                    sorted=sorted, int=int, float=float)


class _Expression:
    """An author's expression compiled once by the sandbox, called as Jinja's own
    ``TemplateExpression`` is (same template, same sandboxed code, an undefined result
    is None) but handing Jinja a context it need not build: Jinja copies the
    environment's globals into a fresh mapping at every call, and drawing a variant
    evaluates dozens of derived values and constraints."""

    __slots__ = ("_template", "_globals")

    def __init__(self, expr: str):
        self._template = _env.compile_expression(expr)._template
        self._globals = dict(self._template.globals)

    def __call__(self, **values):
        context = self._template.new_context({**self._globals, **values}, shared=True)
        for _ in self._template.root_render_func(context):
            pass
        result = context.vars["result"]
        return None if isinstance(result, Undefined) else result


@lru_cache(maxsize=4096)
def compile_expression(expr: str) -> _Expression:
    """Compile an author's Jinja expression once (syntax errors surface at load time)."""
    return _Expression(expr)


def check_param(doc, path, spec) -> dict:
    """Validate one parameter spec (recursively for vectors and matrices)."""
    if not isinstance(spec, dict) or spec.get("type") not in PARAM_FIELDS:
        got = spec.get("type") if isinstance(spec, dict) else spec
        raise doc.error(path + ("type",), "unknown parameter type",
                        expected=" | ".join(PARAM_FIELDS), got=got)
    spec = check_fields(doc, path, spec, PARAM_FIELDS[spec["type"]], f"parameter of type {spec['type']}")
    kind = spec["type"]
    if kind in ("int", "int-nonzero", "uniform") and spec["min"] > spec["max"]:
        raise doc.error(path + ("max",), "max is below min", expected=f">= {spec['min']}", got=spec["max"])
    if kind == "int-nonzero" and spec["min"] == spec["max"] == 0:
        raise doc.error(path, "the range holds only 0")
    if kind == "choice" and not spec["options"]:
        raise doc.error(path + ("options",), "no options", expected="a non-empty list")
    if kind in ("vector", "matrix"):
        if kind == "matrix" and not (len(spec["shape"]) == 2 and all(isinstance(s, int) and s > 0
                                                                      for s in spec["shape"])):
            raise doc.error(path + ("shape",), "bad shape", expected="[rows, cols]", got=spec["shape"])
        spec["of"] = check_param(doc, path + ("of",), spec["of"])
        if spec["of"]["type"] not in SCALAR_TYPES:
            raise doc.error(path + ("of", "type"), "entries must be scalars",
                            expected=" | ".join(SCALAR_TYPES), got=spec["of"]["type"])
    if kind == "derived":
        try:
            compile_expression(spec["expr"])
        except Exception as exc:  # jinja's TemplateSyntaxError and friends
            raise doc.error(path + ("expr",), f"not a valid expression: {exc}") from None
    return spec


def draw_value(spec: dict, rng: random.Random, sofar: dict):
    kind = spec["type"]
    if kind == "int":
        return rng.randint(spec["min"], spec["max"])
    if kind == "int-nonzero":
        while True:
            v = rng.randint(spec["min"], spec["max"])
            if v != 0:
                return v
    if kind == "uniform":
        return round(rng.uniform(spec["min"], spec["max"]), spec["round"]) + 0.0
    if kind == "choice":
        return spec["options"][rng.randrange(len(spec["options"]))]
    if kind == "vector":
        return [draw_value(spec["of"], rng, sofar) for _ in range(spec["size"])]
    if kind == "matrix":
        rows, cols = spec["shape"]
        return [[draw_value(spec["of"], rng, sofar) for _ in range(cols)] for _ in range(rows)]
    if kind == "derived":
        return compile_expression(spec["expr"])(**sofar)
    raise AssertionError(kind)


def draw_params(specs: dict, constraints, rng: random.Random, max_tries: int = 2000) -> dict:
    """Draw until every constraint holds; the rng stream makes this deterministic."""
    for _ in range(max_tries):
        values: dict = {}
        for name, spec in specs.items():
            values[name] = draw_value(spec, rng, values)
        if all(compile_expression(c)(**values) for c in constraints):
            return values
    raise RuntimeError(f"no parameter draw satisfied the constraints in {max_tries} tries")
