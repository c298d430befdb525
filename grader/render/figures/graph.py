"""`kind: graph`: a computational graph, nodes with their operation, edges tail → head.

```yaml
figure:
  kind: graph
  nodes:                       # in reading order; columns are found from the edges
    - {id: x, label: x}
    - {id: u, label: u, op: "x · x"}
    - {id: f, label: f, op: "{{ out_text }}"}
  edges: [[x, u], [u, f]]      # [tail, head] or [tail, head, label]
```
A node's column is the length of the longest path reaching it (inputs left, the output
right); within a column nodes keep the order they are listed in.
"""

from __future__ import annotations

from . import Drawing, FigureError, plain_label, show, text_width

FIELDS = ("nodes", "edges")
REQUIRED = ("nodes", "edges")

COL, ROW, H = 2.8, 1.5, 0.62


def _check(desc):
    nodes, edges = desc["nodes"], desc["edges"]
    if not isinstance(nodes, list) or not nodes:
        raise FigureError("figure.nodes: expected a non-empty list of {id, label, op}")
    ids = []
    for i, n in enumerate(nodes):
        if not isinstance(n, dict) or "id" not in n:
            raise FigureError(f"figure.nodes[{i}]: expected a mapping with an id")
        unknown = sorted(set(n) - {"id", "label", "op"})
        if unknown:
            raise FigureError(f"figure.nodes[{i}].{unknown[0]}: unknown field; expected id, label, op")
        if str(n["id"]) in ids:
            raise FigureError(f"figure.nodes[{i}].id: duplicate id {n['id']!r}")
        ids.append(str(n["id"]))
    if not isinstance(edges, list):
        raise FigureError("figure.edges: expected a list of [tail, head] pairs")
    out = []
    for i, e in enumerate(edges):
        if not isinstance(e, list) or len(e) not in (2, 3) or str(e[0]) not in ids or str(e[1]) not in ids:
            raise FigureError(f"figure.edges[{i}]: expected [tail, head] naming node ids, got {e!r}")
        out.append((str(e[0]), str(e[1]), e[2] if len(e) == 3 else None))
    return ids, out


def _columns(ids, edges) -> dict:
    col = {i: 0 for i in ids}
    for _ in ids:   # longest path by relaxation; a cycle stops growing after len(ids) rounds
        changed = False
        for a, b, _label in edges:
            if col[b] < col[a] + 1:
                col[b] = col[a] + 1
                changed = True
        if not changed:
            break
    else:
        raise FigureError("figure.edges: the graph has a cycle")
    return col


def _node_text(n) -> str:
    label = show(n.get("label", n["id"]))
    return f"{label} = {show(n['op'])}" if n.get("op") not in (None, "") else label


def _clip(cx, cy, w, h, tx, ty):
    """Where the segment from a box's centre toward (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    s = min(w / 2 / abs(dx) if dx else float("inf"), h / 2 / abs(dy) if dy else float("inf"))
    return cx + dx * s, cy + dy * s


def draw(desc: dict, words: dict) -> tuple[Drawing, str, str]:
    ids, edges = _check(desc)
    nodes = {str(n["id"]): n for n in desc["nodes"]}
    col = _columns(ids, edges)
    by_col: dict[int, list[str]] = {}
    for i in ids:
        by_col.setdefault(col[i], []).append(i)
    preds = {i: [a for a, b, _ in edges if b == i] for i in ids}
    pos, size = {}, {}
    for c in sorted(by_col):
        # each node sits at the mean height of its inputs (so long edges pass between
        # boxes), then the column is spread to ROW apart, keeping that order and mean
        wanted = [(sum(pos[p][1] for p in preds[i]) / len(preds[i]) if preds[i] else -r * ROW, r, i)
                  for r, i in enumerate(by_col[c])]
        wanted.sort(key=lambda t: (-t[0], t[1]))
        ys = [wanted[0][0]]
        for y, _, _ in wanted[1:]:
            ys.append(min(y, ys[-1] - ROW))
        shift = sum(t[0] for t in wanted) / len(wanted) - sum(ys) / len(ys)
        for (_, _, i), y in zip(wanted, ys):
            pos[i] = (c * COL, y + shift)
            size[i] = (max(0.8, text_width(_node_text(nodes[i])) + 0.35), H)
    d = Drawing()
    for a, b, label in edges:
        (ax, ay), (bx, by) = pos[a], pos[b]
        sx, sy = _clip(ax, ay, *size[a], bx, by)
        ex, ey = _clip(bx, by, *size[b], ax, ay)
        d.items.append(("line", sx, sy, ex, ey, "arrow"))
        if label is not None:
            d.items.append(("text", (sx + ex) / 2, (sy + ey) / 2, show(label), "small", "middle", True))
    for i in ids:
        x, y = pos[i]
        d.items.append(("box", x, y, *size[i]))
        d.items.append(("text", x, y, _node_text(nodes[i]), "normal", "middle", False))
    sources = {a for a, _, _ in edges}
    targets = {b for _, b, _ in edges}
    names = []
    for i in ids:
        role = words["input"] if i not in targets else (words["output"] if i not in sources else "")
        names.append(plain_label(_node_text(nodes[i])) + (f" ({role})" if role else ""))
    arrows = [f"{plain_label(show(nodes[a].get('label', a)))} → {plain_label(show(nodes[b].get('label', b)))}"
              + (f" ({plain_label(show(label))})" if label is not None else "") for a, b, label in edges]
    text = f"{words['nodes']}: " + "; ".join(names) + f". {words['edges']}: " + ", ".join(arrows) + "."
    return d, words["graph"], text
