"""The Markdown subset of statements, turned into HTML (math as MathML) or LaTeX.

Statements use a deliberately small subset (paragraphs, lists, headings, pipe tables,
bold/italic/code, $inline$ and $$display$$ math), so a short converter we own is
enough, and math never passes through a Markdown engine that would mangle `_` or `*`.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert as latex_to_mathml

from . import figures
from .figures import MARK as FIGURE_MARK

INLINE_RE = re.compile(r"(\$[^$\n]+?\$|\*\*.+?\*\*|`[^`]+`|(?<![\w*])\*[^*\s][^*]*?\*(?![\w*]))")
LIST_RE = re.compile(r"^(\s*)([-*]|\d+[.)])\s+(.*)$")


def blocks(text: str) -> list[tuple]:
    """Split Markdown into (kind, payload) blocks."""
    lines = text.replace("\r\n", "\n").split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith(FIGURE_MARK):
            # a figure: its description, then its text alternative quoted (drawn instead)
            out.append(("figure", figures.parse_mark(stripped)))
            i += 1
            while i < len(lines) and lines[i].strip().startswith(">"):
                i += 1
            continue
        if stripped.startswith("$$"):
            body = stripped[2:]
            if body.endswith("$$") and len(body) >= 2:
                out.append(("math", body[:-2].strip()))
                i += 1
                continue
            chunk = [body]
            i += 1
            while i < len(lines) and "$$" not in lines[i]:
                chunk.append(lines[i])
                i += 1
            if i < len(lines):
                chunk.append(lines[i].split("$$")[0])
                i += 1
            out.append(("math", "\n".join(chunk).strip()))
            continue
        m = re.match(r"^(#{1,4})\s+(.*)$", stripped)
        if m:
            out.append(("heading", (len(m.group(1)), m.group(2))))
            i += 1
            continue
        if stripped.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            out.append(("table", rows))
            continue
        if LIST_RE.match(line):
            marker = LIST_RE.match(line).group(2)
            ordered = marker[0].isdigit()
            items = []
            while i < len(lines) and lines[i].strip():
                m = LIST_RE.match(lines[i])
                if m and not m.group(1):
                    items.append(m.group(3))
                elif items:
                    items[-1] += " " + lines[i].strip()
                i += 1
            # an ordered list keeps its first number: "3." after a table is item 3, not 1
            out.append(("ol", (int(marker[:-1]), items)) if ordered else ("ul", items))
            continue
        para = []
        while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(("$$", "|", "#")) \
                and not (para and LIST_RE.match(lines[i])):
            para.append(lines[i].strip())
            i += 1
        out.append(("p", " ".join(para)))
    return out


def _spans(text: str):
    pos = 0
    for m in INLINE_RE.finditer(text):
        if m.start() > pos:
            yield "text", text[pos:m.start()]
        tok = m.group(0)
        if tok.startswith("$"):
            yield "math", tok[1:-1]
        elif tok.startswith("**"):
            yield "bold", tok[2:-2]
        elif tok.startswith("`"):
            yield "code", tok[1:-1]
        else:
            yield "italic", tok[1:-1]
        pos = m.end()
    if pos < len(text):
        yield "text", text[pos:]


# ---------- HTML ----------

def _mathml(latex: str, display: bool) -> str:
    try:
        return polish_mathml(latex_to_mathml(latex, display="block" if display else "inline"))
    except Exception:  # latex2mathml raises assorted errors on LaTeX it does not know
        return f'<code class="tex">{html.escape(latex)}</code>'


# Unicode letters for the alphabets browsers do not draw from `mathvariant` (MathML Core
# honours only "normal"): \mathcal N must stay a script N, \mathbb R a double-struck R.
_LETTERLIKE = {"script": {"B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ", "I": "ℐ", "L": "ℒ", "M": "ℳ", "R": "ℛ"},
               "double-struck": {"C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ"}}
_ALPHABET_START = {"script": 0x1D49C, "double-struck": 0x1D538}


def _styled_letter(variant: str, letter: str) -> str:
    special = _LETTERLIKE[variant].get(letter)
    return special or chr(_ALPHABET_START[variant] + ord(letter) - ord("A"))


_POLISH = [
    # \operatorname{step}(z): a word set as <mo> gets operator spacing ("step (z)"); a word
    # identifier followed by an invisible function application reads "step(z)"
    # (only a word applied to a parenthesis, never the base of a sub/superscript as in \lim_t)
    (re.compile(r"(?<!<msub>)(?<!<munder>)(?<!<msubsup>)(?<!<munderover>)<mo>([A-Za-z]{2,})</mo>"
                r'(?=<mo stretchy="false">&#x00028;)'),
     lambda m: f"<mi>{m.group(1)}</mi><mo>&#x02061;</mo>"),
    # L': a prime as a superscript identifier floats above the letter; the prime glyph is
    # already raised, so it follows the base as an operator without spacing
    (re.compile(r"<msup>(<mi>[^<]*</mi>)<mi>(&#x0203[23];|′|″)</mi></msup>"),
     lambda m: f'{m.group(1)}<mo lspace="0" rspace="0">{m.group(2)}</mo>'),
    # +\infty, -\infty after an operator or at the start: a sign, not a binary plus
    (re.compile(r"(?:(?<=<mrow>)|(?<=</mo>))<mo>(&#x0002B;|&#x02212;)</mo><mo>&#x0221E;</mo>"),
     lambda m: f'<mrow><mo form="prefix" lspace="0" rspace="0">{m.group(1)}</mo><mi>&#x0221E;</mi></mrow>'),
    (re.compile(r'<mi mathvariant="(script|double-struck)">([A-Z])</mi>'),
     lambda m: f"<mi>{_styled_letter(m.group(1), m.group(2))}</mi>"),
]


def polish_mathml(mathml: str) -> str:
    """Fix what latex2mathml leaves for browsers: operator names, primes, signed infinity,
    script and double-struck letters (see _POLISH)."""
    for pattern, repl in _POLISH:
        mathml = pattern.sub(repl, mathml)
    return mathml


def inline_html(text: str) -> str:
    out = []
    for kind, payload in _spans(text):
        if kind == "math":
            out.append(_mathml(payload, False))
        elif kind == "bold":
            out.append(f"<strong>{inline_html(payload)}</strong>")
        elif kind == "italic":
            out.append(f"<em>{inline_html(payload)}</em>")
        elif kind == "code":
            out.append(f"<code>{html.escape(payload)}</code>")
        else:
            out.append(html.escape(payload))
    return "".join(out)


def to_html(text: str, lang: str = "en") -> str:
    out = []
    for kind, payload in blocks(text):
        if kind == "math":
            out.append(f'<div class="display">{_mathml(payload, True)}</div>')
        elif kind == "figure":
            out.append(figures.html(payload))
        elif kind == "heading":
            level, body = payload
            out.append(f"<h{level + 1}>{inline_html(body)}</h{level + 1}>")
        elif kind == "table":
            rows = "".join("<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in r) + "</tr>" for r in payload)
            out.append(f"<table>{rows}</table>")
        elif kind == "ol":
            start, items = payload
            lis = "".join(f"<li>{inline_html(it)}</li>" for it in items)
            out.append(f'<ol start="{start}">{lis}</ol>' if start != 1 else f"<ol>{lis}</ol>")
        elif kind == "ul":
            items = "".join(f"<li>{inline_html(it)}</li>" for it in payload)
            out.append(f"<ul>{items}</ul>")
        else:
            out.append(f"<p>{inline_html(payload)}</p>")
    return "\n".join(out)


# ---------- LaTeX ----------

_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


_TEX_TABLE = str.maketrans(_TEX_ESCAPES)


def tex_escape(text: str) -> str:
    return text.translate(_TEX_TABLE)


def inline_tex(text: str) -> str:
    out = []
    for kind, payload in _spans(text):
        if kind == "math":
            out.append(f"${payload}$")
        elif kind == "bold":
            out.append(r"\textbf{" + inline_tex(payload) + "}")
        elif kind == "italic":
            out.append(r"\emph{" + inline_tex(payload) + "}")
        elif kind == "code":
            out.append(r"\texttt{" + tex_escape(payload) + "}")
        else:
            out.append(tex_escape(payload))
    return "".join(out)


def to_tex(text: str, lang: str = "en") -> str:
    out = []
    for kind, payload in blocks(text):
        if kind == "math":
            out.append(r"\[ " + payload + r" \]")
        elif kind == "figure":
            out.append(figures.tex(payload))
        elif kind == "heading":
            level, body = payload
            cmd = ["section*", "subsection*", "subsubsection*", "paragraph"][min(level, 4) - 1]
            out.append(f"\\{cmd}{{{inline_tex(body)}}}")
        elif kind == "table":
            ncols = max(len(r) for r in payload)
            body = " \\\\\n".join(" & ".join(inline_tex(c) for c in r) for r in payload)
            out.append(f"\\begin{{tabular}}{{{'c' * ncols}}}\n{body}\n\\end{{tabular}}")
        elif kind == "ol":
            start, items = payload
            body = "\n".join(r"  \item " + inline_tex(it) for it in items)
            first = f"\\setcounter{{enumi}}{{{start - 1}}}\n" if start != 1 else ""
            out.append(f"\\begin{{enumerate}}\n{first}{body}\n\\end{{enumerate}}")
        elif kind == "ul":
            body = "\n".join(r"  \item " + inline_tex(it) for it in payload)
            out.append(f"\\begin{{itemize}}\n{body}\n\\end{{itemize}}")
        else:
            out.append(inline_tex(payload))
    return "\n\n".join(out)
