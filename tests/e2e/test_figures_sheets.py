"""Every family with a figure draws it in every sheet format, in both languages, from the
variant's own parameters, and the figure shows given data only (no reference answer)."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from grader.bank.loader import load_bank
from grader.render import leaks
from grader.render.figures import MARK, parse_mark
from grader.render.sheets import problem_markdown, sheet_html, sheet_tex
from grader.variants import draw_variant

SEEDS = (0, 1, 2)
# the families the issue names; more may draw a figure
NAMED = {"relu-forward-pass", "formula-to-network", "perceptron-weights", "logic-gates-step",
         "xor-extra-feature", "graph-partial-derivatives", "mlp-backprop-two-steps",
         "rnn-forward", "bptt-by-hand", "conv2d-by-hand"}   # issue 16: unrolled RNNs, a padded input
SVG_RE = re.compile(r"<svg\b.*?</svg>", re.S)
TIKZ_RE = re.compile(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.S)


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def _with_figure(bank):
    return sorted(pid for pid, p in bank.items() if p.figure is not None)


def test_the_named_families_have_a_figure(bank):
    assert NAMED <= set(_with_figure(bank))


def _figure_block(md: str) -> str:
    """The figure's lines of a problem's Markdown: the comment and its quoted text."""
    lines = md.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(MARK))
    end = start + 1
    while end < len(lines) and lines[end].startswith(">"):
        end += 1
    return "\n".join(lines[start:end])


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_figure_renders_in_md_html_and_tex(bank, lang):
    for pid in _with_figure(bank):
        problem = bank[pid]
        for seed in SEEDS:
            md = problem_markdown("q1", 5, draw_variant(problem, seed), lang, 1)
            block = _figure_block(md)
            payload = parse_mark(block.split("\n")[0])
            count = len(payload["figures"])
            word = "Figure" if lang == "en" else "Рисунок"
            assert block.count(f"> **{word}.**") == count, pid
            # after the statement, before the parts
            assert md.index(MARK) < md.index("`answers.yaml`"), pid
            html = sheet_html(md, "t", lang)
            svgs = SVG_RE.findall(html)
            assert len(svgs) == count, pid
            for svg in svgs:
                tree = ET.fromstring(svg)
                assert tree.find("{http://www.w3.org/2000/svg}desc").text.strip(), pid
            assert "> **" not in html and MARK not in html, pid   # drawn, not quoted
            tex = sheet_tex(md, lang)
            assert len(TIKZ_RE.findall(tex)) == count, pid
            assert tex.count(r"\usepackage{tikz}") == 1, pid
            assert tex.index(r"\usepackage{tikz}") < tex.index(r"\begin{document}")


def test_a_sheet_without_figures_does_not_load_tikz(bank):
    problem = next(p for p in bank.values() if p.figure is None)
    md = problem_markdown("q1", 5, draw_variant(problem, 0), "en", 1)
    assert r"\usepackage{tikz}" not in sheet_tex(md, "en") and "<svg" not in sheet_html(md, "t", "en")


def test_the_figure_follows_the_variant(bank):
    problem = bank["relu-forward-pass"]
    drawn = {_figure_block(problem_markdown("q1", 5, draw_variant(problem, s), "en", 1)) for s in range(6)}
    assert len(drawn) == 6


def _numbers(value, skip=("range", "width", "window")):
    if isinstance(value, dict):
        for k, v in sorted(value.items()):
            if k not in skip:
                yield from _numbers(v, skip)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v, skip)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield abs(float(value))
    elif isinstance(value, str) and re.fullmatch(r"-?\d+/\d+", value):
        a, b = value.lstrip("-").split("/")
        yield int(a) / int(b)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_figures_show_only_numbers_the_statement_gives(bank, lang):
    """Every number a figure draws (its window aside) is printed in the statement too:
    the figure repeats given data and adds none, so it cannot add an answer."""
    for pid in _with_figure(bank):
        problem = bank[pid]
        for seed in SEEDS:
            md = problem_markdown("q1", 5, draw_variant(problem, seed), lang, 1)
            payload = parse_mark(_figure_block(md).split("\n")[0])
            statement = md[:md.index(MARK)]
            given = {float(m) for m in re.findall(r"\d+(?:\.\d+)?", statement)}
            given |= {float(a) / float(b) for a, b in re.findall(r"\\frac\{(\d+)\}\{(\d+)\}", statement)}
            extra = sorted(set(_numbers(payload["figures"])) - given)
            assert not extra, f"{pid} seed {seed}: the figure draws {extra}, absent from the statement"


def test_figure_text_never_holds_a_reference_answer(bank):
    for pid in _with_figure(bank):
        problem = bank[pid]
        for seed in range(5):
            variant = draw_variant(problem, seed)
            for lang in ("en", "ru"):
                md = problem_markdown("q1", 5, variant, lang, 1)
                block = _figure_block(md)
                # drawn text only: coordinates and markup are not read (leaks.as_read)
                svgs, tikzs = SVG_RE.findall(sheet_html(md, "t", lang)), TIKZ_RE.findall(sheet_tex(md, lang))
                drawn = [leaks.as_read(t, html=True) for t in svgs] + [leaks.as_read(t, html=False) for t in tikzs]
                assert all(t.split() for t in drawn), pid   # the labels are kept
                texts = [block, *drawn]
                for part in problem.parts:
                    numbers, formulas = leaks.needles(part, variant.answers[part.id], variant.params)
                    for text in texts:
                        assert leaks.find(text, numbers, formulas) is None, (pid, seed, part.id)


def test_formula_to_network_draws_the_shape_not_the_weights(bank):
    """A3's answer is the weights: its figure names them and gives no number."""
    problem = bank["formula-to-network"]
    for seed in SEEDS:
        md = problem_markdown("q1", 5, draw_variant(problem, seed), "en", 1)
        payload = parse_mark(_figure_block(md).split("\n")[0])
        assert not list(_numbers(payload["figures"]))
        assert all("weights" not in layer for layer in payload["figures"][0]["layers"])


@pytest.mark.skipif(not (shutil.which("pdflatex") or shutil.which("xelatex")), reason="no TeX engine")
def test_a_sheet_with_figures_compiles(bank, tmp_path):
    md = "\n".join(problem_markdown("q1", 5, draw_variant(bank[pid], 0), "ru", 1) for pid in sorted(NAMED))
    (tmp_path / "sheet.tex").write_text(sheet_tex(md, "ru"), encoding="utf-8")
    engine = shutil.which("pdflatex") or shutil.which("xelatex")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
