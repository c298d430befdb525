"""The HTML sheet's figures in a real browser (headless Chromium; skipped without one).

A copy of the sheet gets a small script that measures every figure after layout: each SVG
has a size, and no label spills out of its drawing (text cut off at the edge). The sheet
itself carries no script. A screenshot is written too, for a person to look at:
FIGURES_SHOT=/tmp/sheet.png python -m pytest tests/e2e/test_figures_browser.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from grader.bank.loader import load_bank
from grader.render.sheets import problem_markdown, sheet_html
from grader.variants import draw_variant

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(b)), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

MEASURE = """<script>
window.addEventListener("load", () => {
  const out = [...document.querySelectorAll("svg")].map(svg => {
    const box = svg.getBoundingClientRect();
    const spill = [...svg.querySelectorAll("text")].filter(t => {
      const r = t.getBoundingClientRect();
      return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1;
    }).map(t => t.textContent);
    return {w: box.width, h: box.height, spill: spill, texts: svg.querySelectorAll("text").length};
  });
  const pre = document.createElement("pre");
  pre.id = "measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _run(args, tmp_path):
    return subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=180)


@pytest.mark.slow
@pytest.mark.skipif(BROWSER is None, reason="no Chromium installed")
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_figures_lay_out_in_chromium_without_cut_labels(tmp_path, lang):
    bank = load_bank()
    families = sorted(pid for pid, p in bank.items() if p.figure is not None)
    md = "\n".join(problem_markdown(f"q{i + 1}", 5, draw_variant(bank[pid], 3), lang, i + 1)
                   for i, pid in enumerate(families))
    page = sheet_html(md, "figures", lang)
    assert "<script" not in page
    expected = page.count("<svg")
    (tmp_path / "sheet.html").write_text(page.replace("</body>", MEASURE + "\n</body>"), encoding="utf-8")
    url = (tmp_path / "sheet.html").as_uri()
    dom = _run(["--virtual-time-budget=5000", "--dump-dom", url], tmp_path)
    m = re.search(r'<pre id="measure">(.*?)</pre>', dom.stdout, re.S)
    assert m, dom.stderr[-2000:]
    figures = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(figures) == expected >= len(families)
    for fig in figures:
        assert fig["w"] > 50 and fig["h"] > 50 and fig["texts"] > 0, fig
        assert not fig["spill"], f"labels cut at the edge of a figure: {fig['spill']}"
    shot = os.environ.get("FIGURES_SHOT") or str(tmp_path / "sheet.png")
    _run(["--window-size=900,6000", f"--screenshot={shot}", (tmp_path / "sheet.html").as_uri()], tmp_path)
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
