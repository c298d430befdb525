"""Figures: one description per kind drawn as SVG, TikZ and text, byte for byte (golden
files), geometry checked against values worked out by hand, and the figure field's errors.

When a change of the drawing is intended:
UPDATE_GOLDEN=1 python -m pytest tests/core/test_figures.py
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest

from grader.bank.loader import load_problem
from grader.bank.params import compile_expression
from grader.errors import AuthorError
from grader.render.figures import FigureError, build, check, resolve, to_svg, to_tikz
from grader.render.figures import graph as graph_kind
from grader.render.figures import grid as grid_kind
from grader.render.figures import plane as plane_kind
from grader.render.sheets import render_text

SVG_NS = "{http://www.w3.org/2000/svg}"

# one description per kind, written out by hand (independent of the bank)
SAMPLES = {
    "network": {
        "kind": "network",
        "layers": [
            {"label": "input", "nodes": ["x_1", "x_2"]},
            {"label": "hidden", "nodes": ["h_1", "h_2"], "weights": [[1, -2], [0.5, "w_{22}"]],
             "bias": [3, None]},
            {"nodes": ["ŷ"], "weights": [[-1, 2]], "bias": ["1/2"]},
        ],
    },
    "graph": {
        "kind": "graph",
        "nodes": [{"id": "x", "label": "x"}, {"id": "y", "label": "y"},
                  {"id": "u", "label": "u", "op": "x · y"}, {"id": "f", "label": "f", "op": "u + x"}],
        "edges": [["x", "u"], ["y", "u"], ["u", "f", "1"], ["x", "f"]],
    },
    "grid": {
        "kind": "grid", "caption": "X",
        "values": [[1, -2], [0.5, "a"]], "pad": 1, "window": [0, 1, 2, 3],
    },
    "plane": {
        "kind": "plane", "caption": "C",
        "x": {"range": [-2, 2], "label": "x_1"}, "y": {"range": [-2, 2], "label": "x_2"},
        "points": [{"at": [0, 0], "class": 0}, {"at": [1, 1], "class": 1, "label": "P"}],
        "lines": [{"coef": [1, 1, -1], "shade": ">"}, {"coef": [0, 1, 0.5], "label": "h_2"}],
    },
}


def _golden(root, name: str, got: str) -> None:
    path = root / "tests" / "data" / "golden" / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8"), f"{path} differs; see the module docstring"


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_matches_its_golden_svg_tikz_and_text(root, kind):
    drawing, title, text = build(SAMPLES[kind], "en")
    svg = to_svg(drawing, title, text)
    ET.fromstring(svg)   # well-formed XML
    _golden(root, f"figure-{kind}.svg", svg + "\n")
    _golden(root, f"figure-{kind}.tex", to_tikz(drawing) + "\n")
    ru = build(SAMPLES[kind], "ru")
    _golden(root, f"figure-{kind}.txt", f"en: {title}. {text}\nru: {ru[1]}. {ru[2]}\n")


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_svg_carries_the_text_alternative_as_title_and_desc(kind):
    drawing, title, text = build(SAMPLES[kind], "en")
    tree = ET.fromstring(to_svg(drawing, title, text))
    assert tree.get("role") == "img"
    assert tree.find(SVG_NS + "title").text == title
    assert tree.find(SVG_NS + "desc").text == text


def test_output_does_not_depend_on_the_order_of_mapping_keys():
    desc = SAMPLES["plane"]
    shuffled = {k: desc[k] for k in reversed(list(desc))}
    a, b = build(desc, "en"), build(shuffled, "en")
    assert to_svg(a[0], a[1], a[2]) == to_svg(b[0], b[1], b[2])
    assert to_tikz(a[0]) == to_tikz(b[0])


def test_network_labels_every_weight_on_its_own_edge():
    drawing, _, text = build(SAMPLES["network"], "en")
    # 2·2 + 2·1 edges, each an arrow; 5 of them carry a label (w_{22} is a placeholder)
    assert sum(1 for it in drawing.items if it[0] == "line" and it[-1] == "arrow") == 6
    labels = [it[3] for it in drawing.items if it[0] == "text" and it[4] == "small" and it[6]]
    assert sorted(labels) == sorted(["1", "\u22122", "0.5", "w_{22}", "\u22121", "2",
                                     "+ 3", "+ 1/2"])
    # weights[j][i] joins input i to unit j (as in W x): x_2 -> h_1 is -2, x_1 -> h_2 is 0.5
    assert "x_2 → h_1: −2" in text and "x_1 → h_2: 0.5" in text and "x_2 → h_2: w_22" in text


def test_network_weights_by_from_reads_the_matrix_as_x_w():
    desc = {"kind": "network", "weights_by": "from",
            "layers": [{"nodes": ["a", "b"]}, {"nodes": ["c"], "weights": [[7], [9]]}]}
    _, _, text = build(desc, "en")
    assert "a → c: 7" in text and "b → c: 9" in text


def test_a_weight_matrix_of_the_wrong_shape_names_the_layer():
    desc = {"kind": "network", "layers": [{"nodes": ["a", "b"]}, {"nodes": ["c"], "weights": [[1, 2, 3]]}]}
    with pytest.raises(FigureError, match=r"layers\[1\]\.weights: expected a 1×2 matrix"):
        build(desc, "en")


def test_graph_columns_are_longest_paths_and_long_edges_pass_between_boxes():
    ids, edges = graph_kind._check(SAMPLES["graph"])
    assert graph_kind._columns(ids, edges) == {"x": 0, "y": 0, "u": 1, "f": 2}
    with pytest.raises(FigureError, match="cycle"):
        graph_kind._columns(["a", "b"], [("a", "b", None), ("b", "a", None)])


def test_graph_of_a_missing_node_is_an_error():
    with pytest.raises(FigureError, match=r"edges\[0\]"):
        build({"kind": "graph", "nodes": [{"id": "a"}], "edges": [["a", "zz"]]}, "en")


def test_plane_segment_and_half_plane_worked_by_hand():
    # x + y - 1 = 0 in [-2, 2]^2 enters at (-1, 2) and leaves at (2, -1)
    assert plane_kind._segment(1, 1, -1, (-2, 2, -2, 2)) == ((-1.0, 2.0), (2.0, -1.0))
    # the side x + y - 1 > 0 of that square is the triangle (2,-1), (2,2), (-1,2): area 9/2
    poly = plane_kind._clip([(-2, -2), (2, -2), (2, 2), (-2, 2)], 1, 1, -1, 1)
    area = abs(sum(poly[i][0] * poly[i - 1][1] - poly[i - 1][0] * poly[i][1] for i in range(len(poly)))) / 2
    assert area == pytest.approx(4.5)
    assert plane_kind._segment(1, 0, -5, (-2, 2, -2, 2)) is None   # x = 5 misses the window
    assert plane_kind.equation(2, -1, 0, "x_1", "x_2") == "2x_1 − x_2 = 0"
    assert plane_kind.equation(-1, 0, 1.5, "x", "y") == "−x + 1.5 = 0"


def test_plane_marks_classes_filled_and_hollow():
    drawing, _, text = build(SAMPLES["plane"], "en")
    dots = [it for it in drawing.items if it[0] == "circle"]
    # two points and a two-entry legend
    assert [d[4] for d in dots] == ["white", "black", "black", "white"]
    assert "(0, 0) class 0" in text and "P (1, 1) class 1" in text


def test_resolve_takes_whole_expressions_as_values_and_other_strings_as_text():
    raw = {"a": "{{ W }}", "b": "w = {{ W[0][1] }}", "c": {"en": "input", "ru": "вход"}, "d": "{{ k / 2 }}"}
    params = {"W": [[1, 2], [3, 4]], "k": 3}
    got = resolve(raw, params, "ru", render_text, compile_expression)
    assert got == {"a": [[1, 2], [3, 4]], "b": "w = 2", "c": "вход", "d": 1.5}


def test_check_names_unknown_kinds_and_fields():
    with pytest.raises(FigureError, match="kind: expected network | graph | plane"):
        check({"kind": "pie"})
    with pytest.raises(FigureError, match="figure.colour: unknown field"):
        check({"kind": "plane", "x": {}, "y": {}, "colour": "red"})
    with pytest.raises(FigureError, match=r"figure\[1\]\.layers: missing"):
        check([{"kind": "graph", "nodes": [], "edges": []}, {"kind": "network"}])


def test_a_bad_figure_in_a_problem_file_is_a_located_author_error(root, tmp_path):
    text = (root / "problems" / "networks" / "xor-extra-feature.yaml").read_text(encoding="utf-8")
    text = text.replace("  kind: plane\n", "  kind: plane\n  colour: red\n", 1)
    path = tmp_path / "xor-extra-feature.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AuthorError) as err:
        load_problem(path)
    assert err.value.field == "figure" and err.value.line and "colour" in str(err.value)


def test_grid_pads_with_shaded_zeros_and_frames_the_window():
    drawing, title, text = build(SAMPLES["grid"], "en")
    assert title == "Matrix: X"
    # 4×4 drawn: the 12 ring cells are shaded, the 4 given cells are not
    assert sum(1 for it in drawing.items if it[0] == "poly") == 12
    cells = [it[3] for it in drawing.items if it[0] == "text"]
    assert cells == ["0"] * 5 + ["1", "\u22122", "0", "0", "0.5", "a"] + ["0"] * 5
    frame = [it[1:5] for it in drawing.items if it[0] == "line" and it[5] == "thick"]
    xs = {round(v, 6) for f in frame for v in (f[0], f[2])}
    ys = {round(v, 6) for f in frame for v in (f[1], f[3])}
    assert xs == {0.8, 3.2} and ys == {0.0, -1.6}   # columns 2-4, rows 1-2 of 0.8 cm cells
    assert "4×4 cells" in text and "rows 1–2, columns 2–4" in text and "width 1" in text
    ru = build(SAMPLES["grid"], "ru")[2]
    assert "строки 1–2, столбцы 2–4" in ru


def test_grid_rejects_ragged_rows_and_a_window_outside():
    with pytest.raises(FigureError, match="figure.values"):
        build({"kind": "grid", "values": [[1, 2], [3]]}, "en")
    with pytest.raises(FigureError, match="figure.window: .* leaves the 2×2 grid"):
        build({"kind": "grid", "values": [[1, 2], [3, 4]], "window": [1, 0, 2, 1]}, "en")
    with pytest.raises(FigureError, match="figure.pad"):
        grid_kind.draw({"values": [[1]], "pad": -1}, {})
