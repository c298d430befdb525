"""`kind: grid`: a small matrix of given numbers as cells, with optional zero padding and a
framed window (where a kernel sits).

```yaml
figure:
  kind: grid
  values: "{{ X }}"          # rows top to bottom; entries number, text or null (empty cell)
  pad: 1                     # optional: a ring of that many zero cells, shaded
  window: [0, 0, 2, 2]       # optional: [row, column, height, width] in the drawn grid
                             # (padding included), 0-based from the top-left; a thick frame
```
Only given data belongs here (an input, a kernel): never an output map.
"""

from __future__ import annotations

from . import Drawing, FigureError, show

FIELDS = ("values", "pad", "window")
REQUIRED = ("values",)

CELL = 0.8   # cm


def _whole(value, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise FigureError(f"{where}: expected a whole number ≥ {low}, got {value!r}")
    return value


def _check(desc):
    rows = desc["values"]
    if (not isinstance(rows, list) or not rows or not all(isinstance(r, list) and r for r in rows)
            or len({len(r) for r in rows}) != 1):
        raise FigureError("figure.values: expected a matrix, a non-empty list of rows of one length")
    pad = _whole(desc.get("pad", 0), "figure.pad", 0)
    n, m = len(rows) + 2 * pad, len(rows[0]) + 2 * pad
    window = desc.get("window")
    if window is not None:
        if not isinstance(window, list) or len(window) != 4:
            raise FigureError(f"figure.window: expected [row, column, height, width], got {window!r}")
        r, c, h, w = (_whole(v, "figure.window", lo) for v, lo in zip(window, (0, 0, 1, 1)))
        if r + h > n or c + w > m:
            raise FigureError(f"figure.window: {window!r} leaves the {n}×{m} grid")
        window = (r, c, h, w)
    return rows, pad, n, m, window


def draw(desc: dict, words: dict) -> tuple[Drawing, str, str]:
    rows, pad, n, m, window = _check(desc)

    def cell(i, j):   # the drawn grid's entry: padding is 0
        inside = pad <= i < n - pad and pad <= j < m - pad
        return rows[i - pad][j - pad] if inside else 0, inside

    d = Drawing()
    for i in range(n):
        for j in range(m):
            if not cell(i, j)[1]:
                x, y = j * CELL, -i * CELL
                d.items.append(("poly", [(x, y), (x + CELL, y), (x + CELL, y - CELL), (x, y - CELL)]))
    for i in range(n + 1):
        d.items.append(("line", 0.0, -i * CELL, m * CELL, -i * CELL, "plain"))
    for j in range(m + 1):
        d.items.append(("line", j * CELL, 0.0, j * CELL, -n * CELL, "plain"))
    for i in range(n):
        for j in range(m):
            value = cell(i, j)[0]
            if value is not None:
                d.items.append(("text", (j + 0.5) * CELL, -(i + 0.5) * CELL, show(value), "normal", "middle", False))
    if window:
        r, c, h, w = window
        x0, y0, x1, y1 = c * CELL, -r * CELL, (c + w) * CELL, -(r + h) * CELL
        for a, b, e, f in ((x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)):
            d.items.append(("line", a, b, e, f, "thick"))
    lines = "; ".join(f"{i + 1}: " + ", ".join(show(cell(i, j)[0]) for j in range(m)) for i in range(n))
    text = words["grid_rows"].format(n=n, m=m) + ": " + lines + "."
    if pad:
        text += " " + words["grid_pad"].format(p=pad)
    if window:
        r, c, h, w = window
        text += " " + words["grid_window"].format(r0=r + 1, r1=r + h, c0=c + 1, c1=c + w)
    return d, words["grid"], text
