"""Figures drawn from a variant's own parameters: one description, three renderings.

A problem's ``figure`` field (a mapping, or a list of them drawn side by side) names a
``kind`` (one module here per kind) and that kind's data. Its strings are Jinja, rendered
from the drawn parameters like the statement: a string that is exactly one
``{{ expression }}`` takes the expression's value (a number, a list, a matrix), any other
string is rendered as text, and a ``{en, ru}`` mapping picks the sheet's language.

Each kind turns the resolved description into a :class:`Drawing` (a few primitives in
centimetres, y upwards) and a text alternative; the backends below write the drawing as
inline SVG (HTML sheet, with the text as ``<title>``/``<desc>``) and as TikZ (LaTeX sheet).
The Markdown sheet carries the text alternative as a quote, preceded by the resolved
description in an HTML comment (invisible to Markdown readers), which is what the HTML and
LaTeX converters draw from: the sheet's Markdown stays the one source of every format.

Figures show given data only: never a reference answer (tests check this).
Output is deterministic: numbers go through one formatter, nothing depends on dict order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from html import escape

from ...answer_types.numeric import format_number

MARK = "<!-- figure "
_WHOLE_EXPR = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)

WORDS = {
    "en": {"figure": "Figure", "class": "class", "point": "point", "points": "Points", "line": "line",
           "lines": "Lines", "shaded": "shaded where", "x_range": "horizontal axis from {lo} to {hi}",
           "y_range": "vertical axis from {lo} to {hi}", "plane": "Points and lines in the plane",
           "network": "Network diagram", "layers": "Layers, left to right",
           "bias": "bias", "weights": "Edge weights", "dense": "each node is connected to every node "
           "of the next layer; the weights are not shown",
           "graph": "Computational graph", "nodes": "Nodes", "edges": "Edges (tail → head)",
           "input": "input", "output": "output", "grid": "Matrix",
           "grid_rows": "{n}×{m} cells, rows from the top",
           "grid_pad": "The outer ring of width {p} (shaded) is zero padding.",
           "grid_window": "The thick frame marks the window of rows {r0}–{r1}, columns {c0}–{c1}."},
    "ru": {"figure": "Рисунок", "class": "класс", "point": "точка", "points": "Точки", "line": "прямая",
           "lines": "Прямые", "shaded": "закрашено там, где", "x_range": "горизонтальная ось от {lo} до {hi}",
           "y_range": "вертикальная ось от {lo} до {hi}", "plane": "Точки и прямые на плоскости",
           "network": "Схема сети", "layers": "Слои слева направо",
           "bias": "смещение", "weights": "Веса рёбер", "dense": "каждый узел соединён с каждым узлом "
           "следующего слоя; веса не показаны",
           "graph": "Вычислительный граф", "nodes": "Узлы", "edges": "Рёбра (начало → конец)",
           "input": "вход", "output": "выход", "grid": "Матрица",
           "grid_rows": "{n}×{m} клеток, строки сверху вниз",
           "grid_pad": "Внешнее кольцо шириной {p} (закрашено) — нулевое дополнение.",
           "grid_window": "Жирная рамка выделяет окно: строки {r0}–{r1}, столбцы {c0}–{c1}."},
}


class FigureError(ValueError):
    """A figure description that cannot be drawn; the message names the field."""


# ---------- resolving the Jinja in a description ----------

def resolve(raw, params: dict, lang: str, render_text, compile_expression):
    """The description with every template evaluated (values plain JSON-able Python)."""
    if isinstance(raw, dict):
        if set(raw) == {"en", "ru"}:
            return resolve(raw[lang], params, lang, render_text, compile_expression)
        return {str(k): resolve(v, params, lang, render_text, compile_expression) for k, v in raw.items()}
    if isinstance(raw, (list, tuple)):
        return [resolve(v, params, lang, render_text, compile_expression) for v in raw]
    if isinstance(raw, str):
        m = _WHOLE_EXPR.match(raw)
        if m and "{{" not in m.group(1) and "}}" not in m.group(1):
            return _plain(compile_expression(m.group(1).strip())(**params))
        if "{{" in raw or "{%" in raw:
            return render_text(raw, params).strip()
        return raw
    return _plain(raw)


def _plain(value):
    """Values as JSON can hold them: fractions as "p/q", numpy as Python numbers."""
    import numpy as np
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def number(value, where: str) -> float:
    """A coordinate or coefficient: a number or a "p/q" string."""
    if isinstance(value, bool):
        raise FigureError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(Fraction(str(value)))
    except (ValueError, ZeroDivisionError):
        raise FigureError(f"{where}: expected a number, got {value!r}") from None


def show(value) -> str:
    """A value as a label: numbers by the one formatter (typographic minus), text as given."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return format_number(value).replace("-", "\u2212")
    if isinstance(value, str) and re.fullmatch(r"-?\d+/\d+", value):
        return value.replace("-", "\u2212")
    return str(value)


def plain_label(label: str) -> str:
    """A label for the text alternative: braces of sub/superscripts dropped."""
    return re.sub(r"([_^])\{([^{}]*)\}", r"\1\2", label)


# ---------- the drawing ----------

@dataclass
class Drawing:
    """Primitives in centimetres, y upwards. ``items`` are tuples:

    ("line", x1, y1, x2, y2, style)  style: "plain", "arrow", "axis", "thick"
    ("circle", x, y, r, fill)         fill: "white", "black"
    ("box", x, y, w, h)               a rounded box centred at (x, y)
    ("poly", [(x, y), ...])           a lightly shaded polygon
    ("text", x, y, label, size, anchor, halo)  centred vertically at y; size "normal" | "small";
                                      anchor "middle" | "start" | "end"; halo: white behind
    """
    items: list = field(default_factory=list)
    caption: str = ""

    def bounds(self) -> tuple[float, float, float, float]:
        xs, ys = [], []
        for it in self.items:
            kind = it[0]
            if kind == "line":
                xs += [it[1], it[3]]
                ys += [it[2], it[4]]
            elif kind == "circle":
                xs += [it[1] - it[3], it[1] + it[3]]
                ys += [it[2] - it[3], it[2] + it[3]]
            elif kind == "box":
                xs += [it[1] - it[3] / 2, it[1] + it[3] / 2]
                ys += [it[2] - it[4] / 2, it[2] + it[4] / 2]
            elif kind == "poly":
                xs += [p[0] for p in it[1]]
                ys += [p[1] for p in it[1]]
            elif kind == "text":
                w = text_width(it[3], it[4])
                left = {"middle": it[1] - w / 2, "start": it[1], "end": it[1] - w}[it[5]]
                xs += [left, left + w]
                ys += [it[2] - 0.25, it[2] + 0.25]
        if not xs:
            return 0.0, 0.0, 1.0, 1.0
        pad = 0.15
        return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def text_width(label: str, size: str = "normal") -> float:
    """A generous estimate of a label's width in cm (no font metrics at hand)."""
    runs = label_runs(label)
    chars = sum(len(t) * (0.7 if kind else 1.0) for t, kind in runs)
    return chars * (0.2 if size == "normal" else 0.16)


def label_runs(label: str) -> list[tuple[str, str]]:
    """Split ``x_1``, ``w_{12}``, ``o^1_2`` into (text, "" | "sub" | "sup") runs."""
    out, i = [], 0
    buf = ""
    while i < len(label):
        ch = label[i]
        if ch in "_^" and i + 1 < len(label):
            if buf:
                out.append((buf, ""))
                buf = ""
            kind = "sub" if ch == "_" else "sup"
            if label[i + 1] == "{":
                end = label.find("}", i + 2)
                end = len(label) if end < 0 else end
                out.append((label[i + 2:end], kind))
                i = end + 1
            else:
                out.append((label[i + 1], kind))
                i += 2
            continue
        buf += ch
        i += 1
    if buf:
        out.append((buf, ""))
    return out


def f2(x: float) -> str:
    """Fixed coordinate formatting: two decimals, no trailing zeros, no negative zero."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


# ---------- SVG ----------

PX = 48  # px per cm on screen

def _svg_label(label: str) -> str:
    out = []
    for text, kind in label_runs(label):
        if kind:
            shift = "sub" if kind == "sub" else "super"
            out.append(f'<tspan baseline-shift="{shift}" font-size="70%">{escape(text)}</tspan>')
        else:
            out.append(escape(text))
    return "".join(out)


def to_svg(drawing: Drawing, title: str, desc: str) -> str:
    x0, y0, x1, y1 = drawing.bounds()
    w, h = (x1 - x0) * PX, (y1 - y0) * PX

    def X(x):
        return f2((x - x0) * PX)

    def Y(y):
        return f2((y1 - y) * PX)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{f2(w)}" height="{f2(h)}" '
           f'viewBox="0 0 {f2(w)} {f2(h)}" font-family="serif" font-size="17">',
           f"<title>{escape(title)}</title>", f"<desc>{escape(desc)}</desc>",
           '<defs><marker id="fig-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#222"/>'
           "</marker></defs>"]
    for it in drawing.items:
        kind = it[0]
        if kind == "poly":
            pts = " ".join(f"{X(x)},{Y(y)}" for x, y in it[1])
            out.append(f'<polygon points="{pts}" fill="#5b8bd0" fill-opacity="0.16" stroke="none"/>')
        elif kind == "line":
            _, a, b, c, d, style = it
            attrs = {"plain": 'stroke="#222" stroke-width="1.3"',
                     "thick": 'stroke="#1f4f99" stroke-width="2"',
                     "arrow": 'stroke="#222" stroke-width="1.2" marker-end="url(#fig-arrow)"',
                     "axis": 'stroke="#777" stroke-width="1" marker-end="url(#fig-arrow)"'}[style]
            out.append(f'<line x1="{X(a)}" y1="{Y(b)}" x2="{X(c)}" y2="{Y(d)}" {attrs}/>')
        elif kind == "circle":
            _, a, b, r, fill = it
            fill_c = "#222" if fill == "black" else "#fff"
            out.append(f'<circle cx="{X(a)}" cy="{Y(b)}" r="{f2(r * PX)}" fill="{fill_c}" '
                       f'stroke="#222" stroke-width="1.3"/>')
        elif kind == "box":
            _, a, b, bw, bh = it
            out.append(f'<rect x="{X(a - bw / 2)}" y="{Y(b + bh / 2)}" width="{f2(bw * PX)}" '
                       f'height="{f2(bh * PX)}" rx="5" fill="#fff" stroke="#222" stroke-width="1.3"/>')
        elif kind == "text":
            _, a, b, label, size, anchor, halo = it
            extra = ' font-size="14"' if size == "small" else ""
            if halo:
                extra += ' paint-order="stroke" stroke="#fff" stroke-width="4" stroke-linejoin="round"'
            out.append(f'<text x="{X(a)}" y="{Y(b)}" text-anchor="{anchor}" dominant-baseline="central"'
                       f'{extra}>{_svg_label(label)}</text>')
    out.append("</svg>")
    return "".join(out[:4]) + "\n" + "\n".join(out[4:])


# ---------- TikZ ----------

# characters the sheet's preamble does not map and T1/T2A text fonts lack
_TEX_CHARS = {"ŷ": r"$\hat{y}$", "→": r"$\to$", "σ": r"$\sigma$", "·": r"$\cdot$", "×": r"$\times$",
              "\u2212": r"$-$", "≤": r"$\le$", "≥": r"$\ge$"}


def _tex_text(text: str) -> str:
    from ..markup import tex_escape
    return "".join(_TEX_CHARS.get(ch) or tex_escape(ch) for ch in text)


def _tex_label(label: str) -> str:
    out = []
    for text, kind in label_runs(label):
        body = _tex_text(text)
        out.append(body if not kind else
                   (r"\textsubscript{" if kind == "sub" else r"\textsuperscript{") + body + "}")
    return "".join(out)


def to_tikz(drawing: Drawing) -> str:
    x0, y0, x1, y1 = drawing.bounds()
    scale = min(1.0, 16.0 / max(x1 - x0, 0.01))
    out = [r"\begin{tikzpicture}[x=%scm,y=%scm,>=stealth]" % (f2(scale), f2(scale))]
    for it in drawing.items:
        kind = it[0]
        if kind == "poly":
            out.append(r"\fill[blue!30,opacity=0.4] " + " -- ".join(f"({f2(x)},{f2(y)})" for x, y in it[1])
                       + " -- cycle;")
        elif kind == "line":
            _, a, b, c, d, style = it
            opt = {"plain": "", "thick": "[very thick,blue!60!black]", "arrow": "[->]",
                   "axis": "[->,gray]"}[style]
            out.append(rf"\draw{opt} ({f2(a)},{f2(b)}) -- ({f2(c)},{f2(d)});")
        elif kind == "circle":
            _, a, b, r, fill = it
            out.append(rf"\draw[fill={fill}] ({f2(a)},{f2(b)}) circle ({f2(r)});")
        elif kind == "box":
            _, a, b, bw, bh = it
            out.append(rf"\draw[rounded corners=2pt,fill=white] ({f2(a - bw / 2)},{f2(b - bh / 2)}) "
                       rf"rectangle ({f2(a + bw / 2)},{f2(b + bh / 2)});")
        elif kind == "text":
            _, a, b, label, size, anchor, halo = it
            opts = ["inner sep=1pt"]
            if anchor != "middle":
                opts.append("anchor=" + ("west" if anchor == "start" else "east"))
            if size == "small":
                opts.append(r"font=\footnotesize")
            if halo:
                opts.append("fill=white")
            out.append(rf"\node[{','.join(opts)}] at ({f2(a)},{f2(b)}) {{{_tex_label(label)}}};")
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)


# ---------- one figure, every format ----------

def _kinds():
    from . import graph, grid, network, plane
    return {"network": network, "graph": graph, "plane": plane, "grid": grid}


KINDS = ("network", "graph", "plane", "grid")


def check(raw, where: str = "figure") -> None:
    """Load-time check of the description's shape (kind known, required fields present)."""
    items = raw if isinstance(raw, list) else [raw]
    for i, item in enumerate(items):
        at = f"{where}[{i}]" if isinstance(raw, list) else where
        if not isinstance(item, dict):
            raise FigureError(f"{at}: expected a mapping with a 'kind'")
        kind = item.get("kind")
        if kind not in KINDS:
            raise FigureError(f"{at}.kind: expected {' | '.join(KINDS)}, got {kind!r}")
        module = _kinds()[kind]
        unknown = sorted(set(item) - set(module.FIELDS) - {"kind", "caption"})
        if unknown:
            raise FigureError(f"{at}.{unknown[0]}: unknown field of a {kind} figure; "
                              f"expected one of {', '.join(('caption',) + module.FIELDS)}")
        for name in module.REQUIRED:
            if name not in item:
                raise FigureError(f"{at}.{name}: missing, a {kind} figure needs it")


def build(desc: dict, lang: str) -> tuple[Drawing, str, str]:
    """(drawing, title, text alternative) of one resolved description."""
    module = _kinds()[desc["kind"]]
    drawing, title, text = module.draw(desc, WORDS[lang])
    caption = str(desc.get("caption") or "")
    drawing.caption = caption
    if caption:
        title = f"{title}: {plain_label(caption)}"   # the text alternative drops label braces
    return drawing, title, text


def descriptions(payload) -> list[dict]:
    return payload["figures"]


def markdown(raw, params: dict, lang: str, render_text, compile_expression) -> str:
    """The sheet's Markdown for a problem's figure: the hidden description, then its text."""
    resolved = resolve(raw, params, lang, render_text, compile_expression)
    figs = resolved if isinstance(resolved, list) else [resolved]
    payload = {"lang": lang, "figures": figs}
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    body = body.replace("--", "-\\u002d")   # an HTML comment may not hold "--"
    lines = [MARK + body + " -->"]
    for desc in figs:
        _, title, text = build(desc, lang)
        lines.append(f"> **{WORDS[lang]['figure']}.** {title}. {text}")
        lines.append(">")
    return "\n".join(lines[:-1]) + "\n"


def parse_mark(line: str):
    """The payload of a figure comment line, or None."""
    s = line.strip()
    if s.startswith(MARK) and s.endswith("-->"):
        return json.loads(s[len(MARK):-3])
    return None


def html(payload) -> str:
    lang = payload["lang"]
    out = []
    for desc in payload["figures"]:
        drawing, title, text = build(desc, lang)
        cap = f"<figcaption>{escape(drawing.caption)}</figcaption>" if drawing.caption else ""
        out.append(f'<figure class="figure">{to_svg(drawing, title, text)}{cap}</figure>')
    return '<div class="figures">' + "\n".join(out) + "</div>"


def tex(payload) -> str:
    lang = payload["lang"]
    out = []
    for desc in payload["figures"]:
        drawing, _, _ = build(desc, lang)
        pic = to_tikz(drawing)
        if drawing.caption:
            pic = r"\begin{tabular}{@{}c@{}}" + pic + r"\\ " + _tex_label(drawing.caption) + r"\end{tabular}"
        out.append(pic)
    return "\\begin{center}\n" + "\n\\hfil\n".join(out) + "\n\\end{center}"
