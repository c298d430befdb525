"""`kind: plane`: points (with labels and classes) and lines a x + b y + c = 0 in a window.

```yaml
figure:
  kind: plane
  x: {range: [-1.5, 1.5], label: x_1}     # label optional (default x / y)
  y: {range: [-1.5, 1.5], label: x_2}
  width: 5                                # cm, optional
  points:                                 # optional
    - {at: ["{{ low }}", 1], class: "{{ gate[1] }}", label: B}   # class 1 filled, 0 hollow
  lines:                                  # optional
    - {coef: ["{{ a }}", "{{ b }}", "{{ -c }}"], shade: ">", label: "h_1"}
```
`shade: ">"` tints the side where a x + b y + c > 0 (`"<"` the other side); where two
shaded sides overlap the tint is darker. A line's label defaults to its equation.
"""

from __future__ import annotations

import math

from . import Drawing, FigureError, f2, number, plain_label, show

FIELDS = ("x", "y", "width", "points", "lines")
REQUIRED = ("x", "y")


def _axis(desc, name):
    ax = desc[name]
    if not isinstance(ax, dict) or not isinstance(ax.get("range"), list) or len(ax["range"]) != 2:
        raise FigureError(f"figure.{name}: expected {{range: [lo, hi], label: ...}}")
    lo, hi = (number(v, f"figure.{name}.range") for v in ax["range"])
    if not lo < hi:
        raise FigureError(f"figure.{name}.range: expected lo < hi, got {ax['range']!r}")
    return lo, hi, str(ax.get("label") or name)


def _num(v: float) -> str:
    return show(int(v) if float(v).is_integer() else round(v, 6))


def equation(a, b, c, xl, yl) -> str:
    """``2x_1 − x_2 + 1 = 0`` from the coefficients (terms with a zero coefficient left out)."""
    out = ""
    for coef, name in ((a, xl), (b, yl), (c, "")):
        if coef == 0:
            continue
        mag = abs(coef)
        body = (_num(mag) if (mag != 1 or not name) else "") + name
        if not out:
            out = ("\u2212" if coef < 0 else "") + body
        else:
            out += (" \u2212 " if coef < 0 else " + ") + body
    return (out or "0") + " = 0"


def _segment(a, b, c, box):
    """The part of a x + b y + c = 0 inside the box, or None."""
    x0, x1, y0, y1 = box
    pts = []
    if b:
        for x in (x0, x1):
            y = -(a * x + c) / b
            if y0 - 1e-9 <= y <= y1 + 1e-9:
                pts.append((x, y))
    if a:
        for y in (y0, y1):
            x = -(b * y + c) / a
            if x0 - 1e-9 <= x <= x1 + 1e-9:
                pts.append((x, y))
    pts = sorted({(round(x, 9), round(y, 9)) for x, y in pts})
    return (pts[0], pts[-1]) if len(pts) >= 2 and pts[0] != pts[-1] else None


def _clip(poly, a, b, c, sign):
    """The polygon cut to the side sign·(a x + b y + c) >= 0 (Sutherland–Hodgman, one edge)."""
    def val(p):
        return sign * (a * p[0] + b * p[1] + c)
    out = []
    for i, p in enumerate(poly):
        q = poly[(i + 1) % len(poly)]
        vp, vq = val(p), val(q)
        if vp >= 0:
            out.append(p)
        if (vp >= 0) != (vq >= 0):
            t = vp / (vp - vq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _ticks(lo, hi):
    step = 1 if hi - lo <= 8 else (2 if hi - lo <= 16 else 5)
    first = math.ceil(lo / step) * step
    out, v = [], first
    while v <= hi + 1e-9:
        out.append(v)
        v += step
    return out


def draw(desc: dict, words: dict) -> tuple[Drawing, str, str]:
    xlo, xhi, xl = _axis(desc, "x")
    ylo, yhi, yl = _axis(desc, "y")
    width = number(desc.get("width") or 5, "figure.width")
    s = width / (xhi - xlo)

    def P(x, y):
        return ((x - xlo) * s, (y - ylo) * s)

    d = Drawing()
    box = (xlo, xhi, ylo, yhi)
    rect = [(xlo, ylo), (xhi, ylo), (xhi, yhi), (xlo, yhi)]
    lines = desc.get("lines") or []
    points = desc.get("points") or []
    if not isinstance(lines, list) or not isinstance(points, list):
        raise FigureError("figure.lines and figure.points: expected lists")
    parsed = []
    for i, ln in enumerate(lines):
        if not isinstance(ln, dict) or not isinstance(ln.get("coef"), list) or len(ln["coef"]) != 3:
            raise FigureError(f"figure.lines[{i}].coef: expected [a, b, c] of a x + b y + c = 0")
        unknown = sorted(set(ln) - {"coef", "shade", "label"})
        if unknown:
            raise FigureError(f"figure.lines[{i}].{unknown[0]}: unknown field; expected coef, shade, label")
        a, b, c = (number(v, f"figure.lines[{i}].coef") for v in ln["coef"])
        if a == 0 and b == 0:
            raise FigureError(f"figure.lines[{i}].coef: a and b are both 0")
        shade = ln.get("shade")
        if shade not in (None, ">", "<"):
            raise FigureError(f"figure.lines[{i}].shade: expected '>' or '<', got {shade!r}")
        parsed.append((a, b, c, shade, str(ln.get("label") or equation(a, b, c, xl, yl))))
    for a, b, c, shade, _ in parsed:   # tints first, under everything
        if shade:
            poly = _clip(rect, a, b, c, 1 if shade == ">" else -1)
            if len(poly) >= 3:
                d.items.append(("poly", [P(x, y) for x, y in poly]))
    # frame, axes and ticks
    (fx0, fy0), (fx1, fy1) = P(xlo, ylo), P(xhi, yhi)
    for seg in (((fx0, fy0), (fx1, fy0)), ((fx1, fy0), (fx1, fy1)), ((fx1, fy1), (fx0, fy1)),
                ((fx0, fy1), (fx0, fy0))):
        d.items.append(("line", *seg[0], *seg[1], "plain"))
    ax_y = min(max(0.0, ylo), yhi)
    ax_x = min(max(0.0, xlo), xhi)
    d.items.append(("line", *P(xlo, ax_y), *P(xhi, ax_y), "axis"))
    d.items.append(("line", *P(ax_x, ylo), *P(ax_x, yhi), "axis"))
    d.items.append(("text", P(xhi, ax_y)[0] + 0.12, P(xhi, ax_y)[1], xl, "normal", "start", False))
    d.items.append(("text", P(ax_x, yhi)[0], P(ax_x, yhi)[1] + 0.3, yl, "normal", "middle", False))
    for v in _ticks(xlo, xhi):
        x, y = P(v, ax_y)
        d.items.append(("line", x, y - 0.07, x, y + 0.07, "plain"))
        if v != ax_x or ax_x == xlo:
            d.items.append(("text", x, y - 0.28, _num(v), "small", "middle", True))
    for v in _ticks(ylo, yhi):
        x, y = P(ax_x, v)
        d.items.append(("line", x - 0.07, y, x + 0.07, y, "plain"))
        if v != ax_y or ax_y == ylo:
            d.items.append(("text", x - 0.12, y, _num(v), "small", "end", True))
    line_text = []
    for k, (a, b, c, shade, label) in enumerate(parsed):
        seg = _segment(a, b, c, box)
        eq = equation(a, b, c, xl, yl)
        if shade:
            rel = ">" if shade == ">" else "<"
            eq += f" ({words['shaded']} {equation(a, b, c, xl, yl)[:-4]} {rel} 0)"
        line_text.append(plain_label(eq if label == equation(a, b, c, xl, yl) else f"{label}: {eq}"))
        if seg is None:
            continue
        (p, q) = seg
        d.items.append(("line", *P(*p), *P(*q), "thick"))
        # labels sit on their line (white behind), alternately near either end, so two
        # lines meeting the same edge of the window do not stack their labels
        t = 0.8 if k % 2 == 0 else 0.2
        lx, ly = P(p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
        d.items.append(("text", lx, ly, label, "small", "middle", True))
    point_text, classes = [], set()
    for i, pt in enumerate(points):
        if not isinstance(pt, dict) or not isinstance(pt.get("at"), list) or len(pt["at"]) != 2:
            raise FigureError(f"figure.points[{i}].at: expected [x, y]")
        unknown = sorted(set(pt) - {"at", "class", "label"})
        if unknown:
            raise FigureError(f"figure.points[{i}].{unknown[0]}: unknown field; expected at, class, label")
        x, y = (number(v, f"figure.points[{i}].at") for v in pt["at"])
        cls = pt.get("class")
        if cls is not None:
            cls = int(number(cls, f"figure.points[{i}].class"))
            if cls not in (0, 1):
                raise FigureError(f"figure.points[{i}].class: expected 0 or 1, got {cls!r}")
            classes.add(cls)
        px, py = P(x, y)
        d.items.append(("circle", px, py, 0.12, "black" if cls == 1 else "white"))
        if pt.get("label"):
            d.items.append(("text", px + 0.15, py + 0.26, str(pt["label"]), "small", "start", True))
        desc_pt = f"({_num(x)}, {_num(y)})"
        if pt.get("label"):
            desc_pt = f"{pt['label']} {desc_pt}"
        if cls is not None:
            desc_pt += f" {words['class']} {cls}"
        point_text.append(plain_label(desc_pt))
    if classes:   # a legend under the frame
        y = fy0 - 0.75
        x = fx0 + 0.2
        for cls in sorted(classes, reverse=True):
            d.items.append(("circle", x, y, 0.12, "black" if cls == 1 else "white"))
            d.items.append(("text", x + 0.22, y, f"{words['class']} {cls}", "small", "start", False))
            x += 1.8
    text = (words["x_range"].format(lo=_num(xlo), hi=_num(xhi)) + f" ({plain_label(xl)}), "
            + words["y_range"].format(lo=_num(ylo), hi=_num(yhi)) + f" ({plain_label(yl)}).")
    if point_text:
        text += f" {words['points']}: " + "; ".join(point_text) + "."
    if line_text:
        text += f" {words['lines']}: " + "; ".join(line_text) + "."
    text = text[0].upper() + text[1:]
    return d, words["plane"], text


__all__ = ["draw", "equation", "f2"]
