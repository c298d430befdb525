"""The statement Markdown subset: HTML with MathML, LaTeX with escapes."""

import pytest

from grader.render.markup import blocks, to_html, to_tex

TEXT = """Intro with $x_1 + x_2$ and **bold** and `code`.

- first $a^2$
- second

$$
\\sigma(t) = \\frac{1}{1 + e^{-t}}
$$

| a | b |
|---|---|
| 1 | 2 |
"""


class TestBlocks:
    def test_kinds_in_order(self):
        assert [k for k, _ in blocks(TEXT)] == ["p", "ul", "math", "table"]

    def test_underscores_in_math_are_not_emphasis(self):
        html = to_html("Let $a_1 * b_2 * c$ be.")
        assert "<em>" not in html and "<math" in html


class TestHtml:
    def test_math_becomes_mathml_and_text_is_escaped(self):
        html = to_html("If $x < 1$ then <script>alert(1)</script>")
        assert "<math" in html
        assert "<script>" not in html and "&lt;script&gt;" in html

    def test_display_math(self):
        assert 'display="block"' in to_html(TEXT)


class TestTex:
    def test_special_characters_escaped_outside_math(self):
        tex = to_tex("50% of A & B cost $5 and a_b")
        assert r"50\% of A \& B" in tex

    def test_math_kept(self):
        tex = to_tex(TEXT)
        assert "$x_1 + x_2$" in tex and r"\textbf{bold}" in tex and r"\begin{itemize}" in tex


class TestListsAfterTables:
    """Regression (issue 15): an ordered list restarted at 1 after a table while prompts said 'Item 3'."""

    MD = "1. one\n2. two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n3. three\n"

    def test_html_list_keeps_its_number(self):
        from grader.render.markup import to_html
        html = to_html(self.MD)
        assert '<ol start="3"><li>three</li></ol>' in html and "<ol><li>one</li>" in html

    def test_tex_list_keeps_its_number(self):
        from grader.render.markup import to_tex
        tex = to_tex(self.MD)
        assert "\\setcounter{enumi}{2}\n  \\item three" in tex


class TestMathmlPolish:
    """latex2mathml output made right for browsers (MathML Core)."""

    @pytest.mark.parametrize("latex,want,not_want", [
        (r"\operatorname{step}(z)", "<mi>step</mi><mo>&#x02061;</mo>", "<mo>step</mo>"),
        ("L'(w)", '<mi>L</mi><mo lspace="0" rspace="0">&#x02032;</mo>', "<msup>"),
        (r"t \to +\infty", '<mo form="prefix" lspace="0" rspace="0">&#x0002B;</mo><mi>&#x0221E;</mi>',
         "<mo>&#x0002B;</mo><mo>&#x0221E;</mo>"),
        (r"\mathcal N(0, 1)", "<mi>𝒩</mi>", "mathvariant"),
        (r"\mathbb R", "<mi>ℝ</mi>", "mathvariant"),
    ])
    def test_fixes(self, latex, want, not_want):
        from grader.render.markup import _mathml
        got = _mathml(latex, False)
        assert want in got and not_want not in got

    def test_limits_keep_their_structure(self):
        """A word that is the base of a subscript (lim, max) is left alone."""
        from grader.render.markup import _mathml
        assert "<msub><mo>lim</mo>" in _mathml(r"\lim_{t \to 0} f(t)", False)
        assert "<mi>a</mi><mo>&#x0002B;</mo><mi>b</mi>" in _mathml("a + b", False)


def test_declared_names_are_typeset_as_symbols():
    """Regression (issue 15): `$lambda$: scalar` rendered as the product l·a·m·b·d·a."""
    from grader.answer_types.matrix_expression import MatrixExpressionAnswer
    ans = MatrixExpressionAnswer({"variables": {"lambda": {"shape": []}, "X": {"shape": [3, 2]},
                                                "S": {"shape": [2, 2], "kind": "symmetric"}}})
    note = ans.sheet_note("en")
    assert "$\\lambda$: a number" in note and "$lambda$" not in note and "(symmetric)" in note
    assert "(симметричная)" in ans.sheet_note("ru") and "число" in ans.sheet_note("ru")
