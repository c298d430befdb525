"""Points and lines in the plane (x1 across, x2 up): labelled points (a truth table's
inputs with their outputs: 1 filled, 0 hollow) and lines a x1 + b x2 = c (region borders).

Description: ``box``: ``[x_min, x_max, y_min, y_max]``; ``points``: ``[[x1, x2, label], ...]``;
``lines``: ``[[a, b, c], ...]``.
"""

from __future__ import annotations

from html import escape

from ..filters import format_number

SIZE, PAD = 260, 28


def _segment(a, b, c, box):
    """The part of a x + b y = c inside the box, as two end points (or None)."""
    x0, x1, y0, y1 = box
    pts = []
    if b:
        pts += [(x, (c - a * x) / b) for x in (x0, x1)]
    if a:
        pts += [((c - b * y) / a, y) for y in (y0, y1)]
    inside = sorted({(round(x, 9), round(y, 9)) for x, y in pts
                     if x0 - 1e-9 <= x <= x1 + 1e-9 and y0 - 1e-9 <= y <= y1 + 1e-9})
    return (inside[0], inside[-1]) if len(inside) >= 2 else None


def _equation(a, b, c) -> str:
    terms = []
    for k, name in ((a, "x_1"), (b, "x_2")):
        if k:
            coef = "" if abs(k) == 1 else format_number(abs(k))
            terms.append(("-" if k < 0 else ("+" if terms else "")) + coef + name)
    return " ".join(terms).replace("+", "+ ").replace("-", "- ").strip() + f" = {format_number(c)}"


def svg(desc: dict, lang: str) -> str:
    x0, x1, y0, y1 = desc["box"]
    sx = lambda x: PAD + (x - x0) / (x1 - x0) * SIZE           # noqa: E731
    sy = lambda y: PAD + (y1 - y) / (y1 - y0) * SIZE           # noqa: E731
    title = text(desc, lang).replace("$", "")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="figure" width="{SIZE + 2 * PAD}" '
           f'height="{SIZE + 2 * PAD}" viewBox="0 0 {SIZE + 2 * PAD} {SIZE + 2 * PAD}" role="img" '
           f'aria-label="{escape(title)}">', f"<title>{escape(title)}</title>",
           "<style>text{font:12px system-ui,sans-serif;fill:#1d2330}</style>",
           f'<rect x="{PAD}" y="{PAD}" width="{SIZE}" height="{SIZE}" fill="none" stroke="#c5ccd6"/>']
    if x0 <= 0 <= x1:
        out.append(f'<line x1="{sx(0):.1f}" y1="{PAD}" x2="{sx(0):.1f}" y2="{PAD + SIZE}" stroke="#8a93a3"/>')
    if y0 <= 0 <= y1:
        out.append(f'<line x1="{PAD}" y1="{sy(0):.1f}" x2="{PAD + SIZE}" y2="{sy(0):.1f}" stroke="#8a93a3"/>')
    out.append(f'<text x="{PAD + SIZE - 4}" y="{PAD + SIZE + 18}" text-anchor="end">x₁</text>')
    out.append(f'<text x="{PAD - 18}" y="{PAD + 10}">x₂</text>')
    for a, b, c in desc.get("lines") or []:
        seg = _segment(a, b, c, desc["box"])
        if seg:
            (ax, ay), (bx, by) = seg
            out.append(f'<line x1="{sx(ax):.1f}" y1="{sy(ay):.1f}" x2="{sx(bx):.1f}" y2="{sy(by):.1f}" '
                       'stroke="#2456a6" stroke-width="2"/>')
    for x, y, label in desc.get("points") or []:
        fill = "#1d2330" if label == 1 else "#ffffff"
        out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="6" fill="{fill}" stroke="#1d2330" stroke-width="1.5"/>')
        out.append(f'<text x="{sx(x) + 9:.1f}" y="{sy(y) - 8:.1f}">{escape(format_number(label))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def tikz(desc: dict, lang: str) -> str:
    x0, x1, y0, y1 = desc["box"]
    out = [r"\begin{center}\begin{tikzpicture}[scale=0.8]",
           f"\\draw[gray!40] ({x0},{y0}) rectangle ({x1},{y1});",
           f"\\draw[->,gray] ({x0},0) -- ({x1},0) node[right] {{$x_1$}};" if y0 <= 0 <= y1 else "",
           f"\\draw[->,gray] (0,{y0}) -- (0,{y1}) node[above] {{$x_2$}};" if x0 <= 0 <= x1 else ""]
    for a, b, c in desc.get("lines") or []:
        seg = _segment(a, b, c, desc["box"])
        if seg:
            (ax, ay), (bx, by) = seg
            out.append(f"\\draw[blue!70!black,thick] ({ax:.1f},{ay:.1f}) -- ({bx:.1f},{by:.1f});")
    for x, y, label in desc.get("points") or []:
        style = "fill=black" if label == 1 else "fill=white"
        out.append(f"\\draw[{style}] ({x},{y}) circle (3pt) node[above right] {{${format_number(label)}$}};")
    out.append(r"\end{tikzpicture}\end{center}")
    return "\n".join(line for line in out if line)


def text(desc: dict, lang: str) -> str:
    en = lang == "en"
    parts = ["Figure: the plane of $(x_1, x_2)$." if en else "Рисунок: плоскость $(x_1, x_2)$."]
    if desc.get("points"):
        pts = ", ".join(f"$({format_number(x)}, {format_number(y)})$ → {format_number(v)}"
                        for x, y, v in desc["points"])
        parts.append(("Points and their outputs: " if en else "Точки и их выходы: ") + pts + ".")
    if desc.get("lines"):
        lines = ", ".join(f"${_equation(a, b, c)}$" for a, b, c in desc["lines"])
        parts.append(("Lines: " if en else "Прямые: ") + lines + ".")
    return " ".join(parts)
