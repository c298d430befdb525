"""Figures drawn from a variant's own parameters: one module per kind, each turning one
description into SVG (inline in HTML), TikZ (LaTeX) and a text alternative (Markdown).

A problem's ``figure`` field names the kind and its fields; string values are Jinja
expressions over the drawn parameters (``weights: ["W1", "[w2]"]``). A sheet in Markdown
carries the figure as an invisible marker followed by its text alternative, so the
Markdown reads well and the HTML and LaTeX converters draw the picture in its place.
"""

from __future__ import annotations

import base64
import json

from . import network, plane

KINDS = {"network": network, "plane": plane}
MARKER = "<!--figure:"


def describe(spec: dict, params: dict) -> dict:
    """The figure's description with every expression evaluated for this variant."""
    from ..sheets import _env as env
    out = {}
    for key, value in spec.items():
        if key == "kind":
            out[key] = value
        elif isinstance(value, str):
            out[key] = env.compile_expression(value)(**params)
        elif isinstance(value, list):
            out[key] = [env.compile_expression(v)(**params) if isinstance(v, str) and key != "layers" else v
                        for v in value]
        else:
            out[key] = value
    return json.loads(json.dumps(out, default=float))   # plain lists and numbers


def markdown(spec: dict, params: dict, lang: str) -> str:
    """The marker line (read by to_html / to_tex) and the text alternative as a quote."""
    desc = describe(spec, params)
    payload = base64.b64encode(json.dumps(desc, sort_keys=True).encode()).decode()
    text = KINDS[desc["kind"]].text(desc, lang)
    return f"{MARKER}{payload}-->\n> {text}"


def decode(line: str) -> dict:
    return json.loads(base64.b64decode(line[len(MARKER):-3]))


def svg(desc: dict, lang: str) -> str:
    return KINDS[desc["kind"]].svg(desc, lang)


def tikz(desc: dict, lang: str) -> str:
    return KINDS[desc["kind"]].tikz(desc, lang)
