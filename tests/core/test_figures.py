"""Figures from the variant's own parameters (grader/render/figures/): one description, three
renderings (SVG, TikZ, text), checked against values worked out for a fixed network."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from grader.bank.loader import load_bank
from grader.render.figures import describe, markdown, network
from grader.render.markup import to_html, to_tex
from grader.render.sheets import problem_markdown, sheet_html
from grader.variants import draw_variant

SPEC = {"kind": "network", "layers": [["x_1", "x_2"], ["h_1"], ["\\hat y"]],
        "weights": ["W", "[v]"], "biases": ["b", "[c]"]}
PARAMS = {"W": [[2, -1]], "b": [0.5], "v": [3], "c": -2}


class TestNetwork:
    def test_description_takes_the_variant_values(self):
        desc = describe(SPEC, PARAMS)
        assert desc["weights"] == [[[2, -1]], [[3]]] and desc["biases"] == [[0.5], [-2]]

    def test_svg_draws_every_unit_and_weight(self):
        svg = network.svg(describe(SPEC, PARAMS), "en")
        root = ET.fromstring(svg)   # well-formed
        ns = "{http://www.w3.org/2000/svg}"
        assert len(root.findall(f"{ns}circle")) == 4 and len(root.findall(f"{ns}line")) == 3
        labels = [t.text for t in root.findall(f"{ns}text")]
        assert {"2", "-1", "3", "b = 0.5", "b = -2", "x₁", "ŷ"} <= set(labels)

    def test_tikz_draws_the_same(self):
        tex = network.tikz(describe(SPEC, PARAMS), "en")
        assert tex.count("\\draw[->]") == 3 and tex.count("\\node[circle") == 4
        assert "{$-1$} (n1_0)" in tex and "$b = -2$" in tex

    def test_text_alternative_names_every_weight(self):
        assert network.text(describe(SPEC, PARAMS), "en") == (
            "Figure: a network with layers of 2–1–1 units. $h_1$: 2 ← $x_1$, -1 ← $x_2$; bias 0.5; "
            "$\\hat y$: 3 ← $h_1$; bias -2.")
        assert network.text(describe(SPEC, PARAMS), "ru").startswith("Рисунок: сеть")

    def test_placeholders_when_weights_are_asked(self):
        desc = describe({"kind": "network", "layers": [["x"], ["y"]]}, {})
        assert "?" in network.text(desc, "en") and ">?</text>" in network.svg(desc, "en")

    def test_markdown_carries_it_to_html_and_tex(self):
        md = "Before.\n\n" + markdown(SPEC, PARAMS, "en") + "\n\nAfter."
        html, tex = to_html(md), to_tex(md)
        assert html.count("<svg") == 1 and "Figure:" not in html.replace("aria-label", "").split("<svg")[0]
        assert "\\begin{tikzpicture}" in tex and "> Figure" not in tex


def test_relu_forward_pass_sheet_shows_its_network():
    problem = load_bank()["relu-forward-pass"]
    variant = draw_variant(problem, 7)
    md = problem_markdown("q1", 10, variant, "en", 1)
    w = variant.params["W1"]
    assert f"{w[0][0]:g} ← $x_1$".replace(".0 ", " ") in md or f"{w[0][0]} ← $x_1$" in md
    html = sheet_html(md, "t", "en")
    assert "<svg" in html and "<!--figure" not in html


def test_sheet_html_in_a_browser(tmp_path):
    """The inline SVG renders in headless Chromium (skipped when no browser is installed)."""
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no headless Chromium on this machine")
    problem = load_bank()["relu-forward-pass"]
    page = tmp_path / "sheet.html"
    page.write_text(sheet_html(problem_markdown("q1", 10, draw_variant(problem, 7), "en", 1), "t", "en"))
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=900,1400", page.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


class TestPlane:
    from grader.render.figures import plane

    DESC = {"kind": "plane", "box": [-0.5, 1.5, -0.5, 1.5],
            "points": [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]], "lines": [[1, 1, 1]]}

    def test_svg_points_filled_by_output_and_the_line_clipped(self):
        svg = self.plane.svg(self.DESC, "en")
        root = ET.fromstring(svg)
        ns = "{http://www.w3.org/2000/svg}"
        fills = sorted(c.get("fill") for c in root.findall(f"{ns}circle"))
        assert fills == ["#1d2330", "#1d2330", "#ffffff", "#ffffff"]
        # x1 + x2 = 1 crosses the box [-0.5, 1.5]^2 from (-0.5, 1.5) to (1.5, -0.5)
        assert self.plane._segment(1, 1, 1, self.DESC["box"]) == ((-0.5, 1.5), (1.5, -0.5))

    def test_tikz_and_text(self):
        tex = self.plane.tikz(self.DESC, "en")
        assert tex.count("circle (3pt)") == 4 and "(-0.5,1.5) -- (1.5,-0.5)" in tex
        assert self.plane.text(self.DESC, "en") == (
            "Figure: the plane of $(x_1, x_2)$. Points and their outputs: $(0, 0)$ → 0, $(0, 1)$ → 1, "
            "$(1, 0)$ → 1, $(1, 1)$ → 0. Lines: $x_1 + x_2 = 1$.")
        assert self.plane._equation(2, -1, 0) == "2x_1 - x_2 = 0"
