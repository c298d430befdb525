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
            ordered = LIST_RE.match(line).group(2)[0].isdigit()
            items = []
            while i < len(lines) and lines[i].strip():
                m = LIST_RE.match(lines[i])
                if m and not m.group(1):
                    items.append(m.group(3))
                elif items:
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append(("ol" if ordered else "ul", items))
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
        return latex_to_mathml(latex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises assorted errors on LaTeX it does not know
        return f'<code class="tex">{html.escape(latex)}</code>'


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


def to_html(text: str) -> str:
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
        elif kind in ("ul", "ol"):
            items = "".join(f"<li>{inline_html(it)}</li>" for it in payload)
            out.append(f"<{kind}>{items}</{kind}>")
        else:
            out.append(f"<p>{inline_html(payload)}</p>")
    return "\n".join(out)


# ---------- LaTeX ----------

_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in text)


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


def to_tex(text: str) -> str:
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
        elif kind in ("ul", "ol"):
            env = "itemize" if kind == "ul" else "enumerate"
            items = "\n".join(r"  \item " + inline_tex(it) for it in payload)
            out.append(f"\\begin{{{env}}}\n{items}\n\\end{{{env}}}")
        else:
            out.append(inline_tex(payload))
    return "\n\n".join(out)
