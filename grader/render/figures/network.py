"""A layered network: nodes in columns, an arrow per weight labelled with its value (or a
placeholder), a bias under each unit.

Description: ``layers``: node labels per layer, LaTeX (``[["x_1", "x_2"], ["h_1"], ["\\hat y"]]``);
``weights``: one matrix per pair of layers, ``weights[k][j][i]`` from node i of layer k to
node j of layer k+1 (a row per unit, as W x + b), or null for "?" placeholders;
``biases``: one vector per non-input layer, or null; a null entry is drawn as "?" (a
weight the student is asked to find).
"""

from __future__ import annotations

from html import escape

from ..filters import format_number

COL, ROW, R = 150, 70, 18   # column and row spacing, node radius (px)


def _label(v) -> str:
    return "?" if v is None else format_number(v)


def _layout(desc):
    layers = desc["layers"]
    height = max(len(layer) for layer in layers)
    pos = []
    for k, layer in enumerate(layers):
        top = (height - len(layer)) * ROW / 2
        pos.append([(40 + k * COL, 30 + top + i * ROW) for i in range(len(layer))])
    return pos, 80 + (len(layers) - 1) * COL, 40 + height * ROW


def _weight(desc, k, j, i):
    w = (desc.get("weights") or [None] * len(desc["layers"]))[k]
    return None if w is None or w[j] is None else w[j][i]


def _bias(desc, k, j):
    b = (desc.get("biases") or [None] * len(desc["layers"]))[k - 1]
    return None if b is None or b[j] is None else b[j]


def _plain(label: str) -> str:
    """A LaTeX node label as plain text for SVG (x_1 -> x₁, \\hat y -> ŷ)."""
    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    text = label.replace("\\hat y", "ŷ").replace("\\hat{y}", "ŷ")
    if "^" in text:
        base, _, rest = text.partition("^")
        text = base + rest[0].translate(sup) + rest[1:]
    if "_" in text:
        base, _, idx = text.partition("_")
        text = base + idx.strip("{}").translate(sub)
    return text


def svg(desc: dict, lang: str) -> str:
    pos, width, height = _layout(desc)
    title = text(desc, lang).replace("$", "")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="figure" width="{width}" height="{height + 20}" '
           f'viewBox="0 0 {width} {height + 20}" role="img" aria-label="{escape(title)}">',
           "<title>" + escape(title) + "</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
           '<style>text{font:13px system-ui,sans-serif;fill:#1d2330}.w{font-size:12px;fill:#2456a6}'
           '.b{font-size:11px;fill:#8a3b12}</style>']
    for k in range(len(pos) - 1):
        for j, (x1, y1) in enumerate(pos[k + 1]):
            for i, (x0, y0) in enumerate(pos[k]):
                dx, dy = x1 - x0, y1 - y0
                d = (dx * dx + dy * dy) ** 0.5
                sx, sy, ex, ey = x0 + R * dx / d, y0 + R * dy / d, x1 - R * dx / d, y1 - R * dy / d
                out.append(f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="#555" '
                           'marker-end="url(#arrow)"/>')
                lx, ly = x0 + 0.3 * dx, y0 + 0.3 * dy - 4
                out.append(f'<text class="w" x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle">'
                           f'{escape(_label(_weight(desc, k, j, i)))}</text>')
    for k, layer in enumerate(desc["layers"]):
        for i, (x, y) in enumerate(pos[k]):
            out.append(f'<circle cx="{x}" cy="{y}" r="{R}" fill="#f5f7fa" stroke="#1d2330"/>')
            out.append(f'<text x="{x}" y="{y + 4}" text-anchor="middle">{escape(_plain(layer[i]))}</text>')
            if k and desc.get("biases") is not None:
                out.append(f'<text class="b" x="{x}" y="{y + R + 14}" text-anchor="middle">'
                           f'b = {escape(_label(_bias(desc, k, i)))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def tikz(desc: dict, lang: str) -> str:
    # coordinates on a 2.5 cm x 1.2 cm grid with one decimal: short numbers that cannot be
    # mistaken for an answer by the leak check (render/leaks.py)
    height = max(len(layer) for layer in desc["layers"])
    out = [r"\begin{center}\begin{tikzpicture}[>=stealth,every node/.style={font=\small}]"]
    for k, layer in enumerate(desc["layers"]):
        for i in range(len(layer)):
            x, y = 2.5 * k, -1.2 * ((height - len(layer)) / 2 + i)
            out.append(f"\\node[circle,draw,minimum size=0.7cm] (n{k}_{i}) at ({x:.1f},{y:.1f}) "
                       f"{{${layer[i]}$}};")
            if k and desc.get("biases") is not None:
                out.append(f"\\node[below=0 of n{k}_{i}.south,font=\\scriptsize] "
                           f"{{$b = {_label(_bias(desc, k, i))}$}};")
    layers = desc["layers"]
    for k in range(len(layers) - 1):
        for j in range(len(layers[k + 1])):
            for i in range(len(layers[k])):
                out.append(f"\\draw[->] (n{k}_{i}) -- node[pos=0.3,above,sloped,font=\\scriptsize] "
                           f"{{${_label(_weight(desc, k, j, i))}$}} (n{k + 1}_{j});")
    out.append(r"\end{tikzpicture}\end{center}")
    return "\n".join(out)


def text(desc: dict, lang: str) -> str:
    """The text alternative: every unit, its incoming weights and its bias."""
    sizes = "–".join(str(len(layer)) for layer in desc["layers"])
    head = (f"Figure: a network with layers of {sizes} units." if lang == "en"
            else f"Рисунок: сеть со слоями из {sizes} нейронов.")
    units = []
    for k in range(1, len(desc["layers"])):
        for j, name in enumerate(desc["layers"][k]):
            ins = ", ".join(f"{_label(_weight(desc, k - 1, j, i))} ← ${src}$"
                            for i, src in enumerate(desc["layers"][k - 1]))
            bias = "" if desc.get("biases") is None else (
                f"; bias {_label(_bias(desc, k, j))}" if lang == "en" else f"; сдвиг {_label(_bias(desc, k, j))}")
            units.append(f"${name}$: {ins}{bias}")
    return head + " " + "; ".join(units) + "."
