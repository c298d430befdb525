"""`kind: network`: layered nodes, left to right, with edge weights (numbers or placeholders).

```yaml
figure:
  kind: network
  weights_by: to          # "to" (default): a layer's weights[j][i] joins node i of the previous
                          # layer to its node j, as in W x; "from": weights[i][j], as in x W
  layers:
    - {label: {en: input, ru: вход}, nodes: [x_1, x_2]}
    - label: {en: hidden (ReLU), ru: скрытый (ReLU)}
      nodes: [h_1, h_2]
      weights: "{{ W1 }}"   # optional: omitted = every edge drawn, unlabelled
      bias: "{{ b1 }}"      # optional: one entry per node, shown under it
    - {nodes: [ŷ], weights: "{{ [w2] }}", bias: "{{ [b2] }}"}
```
A weight or bias is a number, a text placeholder (`w_{11}`, `?`), or null (edge drawn,
no label); a bias shows under its node as the term it adds (`+ 3`). Node labels take `_`/`^` for sub- and superscripts.
"""

from __future__ import annotations

from . import Drawing, FigureError, plain_label, show

FIELDS = ("layers", "weights_by")
REQUIRED = ("layers",)

GAP, LABELLED_GAP, STEP, R = 2.6, 3.8, 1.6, 0.4


def _layers(desc) -> list[dict]:
    layers = desc["layers"]
    if not isinstance(layers, list) or len(layers) < 2:
        raise FigureError("figure.layers: expected a list of at least two layers")
    out = []
    for k, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("nodes"), list) or not layer["nodes"]:
            raise FigureError(f"figure.layers[{k}].nodes: expected a non-empty list of labels")
        unknown = sorted(set(layer) - {"label", "nodes", "weights", "bias"})
        if unknown:
            raise FigureError(f"figure.layers[{k}].{unknown[0]}: unknown field; expected label, nodes, "
                              "weights, bias")
        out.append(layer)
    return out


def _weight(layers, k, i, j, by) -> object:
    """Weight from node i of layer k-1 to node j of layer k (None when not given)."""
    w = layers[k].get("weights")
    if w is None:
        return None
    rows, cols = (len(layers[k]["nodes"]), len(layers[k - 1]["nodes"]))
    if by == "from":
        rows, cols = cols, rows
    if not isinstance(w, list) or len(w) != rows or any(not isinstance(r, list) or len(r) != cols for r in w):
        raise FigureError(f"figure.layers[{k}].weights: expected a {rows}×{cols} matrix "
                          f"(weights_by: {by}), got {w!r}")
    return w[j][i] if by == "to" else w[i][j]


def _added(bias) -> str:
    """A bias under its node, as the term it adds: "+ 3", "− 2", "+ a_1"."""
    text = show(bias)
    return "\u2212 " + text[1:] if text.startswith("\u2212") else "+ " + text


def draw(desc: dict, words: dict) -> tuple[Drawing, str, str]:
    layers = _layers(desc)
    by = desc.get("weights_by") or "to"
    if by not in ("to", "from"):
        raise FigureError(f"figure.weights_by: expected to | from, got {by!r}")
    labelled = any(layer.get("weights") is not None for layer in layers[1:])
    gap = LABELLED_GAP if labelled else GAP
    tallest = max(len(layer["nodes"]) for layer in layers)
    top = (tallest - 1) * STEP / 2
    pos = [[(k * gap, (len(layer["nodes"]) - 1) * STEP / 2 - i * STEP) for i in range(len(layer["nodes"]))]
           for k, layer in enumerate(layers)]
    d = Drawing()
    weights_text = []
    for k in range(1, len(layers)):
        src, dst = pos[k - 1], pos[k]
        # labels go where this gap's edges fan out most, so neighbours do not collide
        t = 0.68 if len(dst) > len(src) else 0.32
        for i, (ax, ay) in enumerate(src):
            for j, (bx, by_) in enumerate(dst):
                dx, dy = bx - ax, by_ - ay
                n = (dx * dx + dy * dy) ** 0.5
                d.items.append(("line", ax + dx / n * R, ay + dy / n * R, bx - dx / n * R, by_ - dy / n * R,
                                "arrow"))
                w = _weight(layers, k, i, j, by)
                if w is not None:
                    d.items.append(("text", ax + dx * t, ay + dy * t, show(w), "small", "middle", True))
                    weights_text.append(f"{plain_label(str(layers[k - 1]['nodes'][i]))} → "
                                        f"{plain_label(str(layers[k]['nodes'][j]))}: {plain_label(show(w))}")
    parts = []
    for k, layer in enumerate(layers):
        bias = layer.get("bias")
        if bias is not None and (not isinstance(bias, list) or len(bias) != len(layer["nodes"])):
            raise FigureError(f"figure.layers[{k}].bias: expected {len(layer['nodes'])} entries, got {bias!r}")
        names = []
        for i, (x, y) in enumerate(pos[k]):
            label = str(layer["nodes"][i])
            d.items.append(("circle", x, y, R, "white"))
            d.items.append(("text", x, y, label, "normal", "middle", False))
            name = plain_label(label)
            if bias is not None and bias[i] is not None:
                d.items.append(("text", x, y - R - 0.22, _added(bias[i]), "small", "middle", True))
                name += f" ({words['bias']} {plain_label(show(bias[i]))})"
            names.append(name)
        if layer.get("label"):
            d.items.append(("text", pos[k][0][0], top + R + 0.4, str(layer["label"]), "small", "middle", False))
        head = f"{layer['label']}: " if layer.get("label") else ""
        parts.append(head + ", ".join(names))
    text = f"{words['layers']}: " + "; ".join(parts) + ". "
    text += (f"{words['weights']}: " + "; ".join(weights_text) + ".") if weights_text else \
        words["dense"][0].upper() + words["dense"][1:] + "."
    return d, words["network"], text
