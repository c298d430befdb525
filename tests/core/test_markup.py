"""The statement Markdown subset: HTML with MathML, LaTeX with escapes."""

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
