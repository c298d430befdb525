"""Statement Markdown as the HTML a platform shows, with math the way it renders it.

The block and span structure comes from ``render.markup`` (one reading of the Markdown
subset); only how math is written differs per platform: Moodle's MathJax filter reads
TeX between ``\\(…\\)`` and ``\\[…\\]``; QTI wants MathML (``math`` elements).
"""

from __future__ import annotations

import html
import re
from typing import Callable

from ..render.figures import build as build_figure
from ..render.markup import _mathml, _spans, blocks


def tex_math(latex: str, display: bool) -> str:
    return (r"\[" if display else r"\(") + html.escape(latex, quote=False) + (r"\]" if display else r"\)")


# MathML 3 named negative spaces (which latex2mathml writes for \\!) that MathML 2, the
# version QTI 2.1 imports, lacks: the same widths in em
_NEGATIVE_SPACES = {f"negative{name}mathspace": f"-{i / 18:.4f}em" for i, name in enumerate(
    ("veryverythin", "verythin", "thin", "medium", "thick", "verythick", "veryverythick"), start=1)}
_NEGATIVE_RE = re.compile(r'="(' + "|".join(_NEGATIVE_SPACES) + r')"')


def mathml_math(latex: str, display: bool) -> str:
    """MathML 2 (as QTI 2.1 validates it) for a LaTeX formula."""
    return _NEGATIVE_RE.sub(lambda m: f'="{_NEGATIVE_SPACES[m.group(1)]}"', _mathml(latex, display))


def inline(text: str, math: Callable[[str, bool], str]) -> str:
    out = []
    for kind, payload in _spans(text):
        if kind == "math":
            out.append(math(payload, False))
        elif kind == "bold":
            out.append(f"<strong>{inline(payload, math)}</strong>")
        elif kind == "italic":
            out.append(f"<em>{inline(payload, math)}</em>")
        elif kind == "code":
            out.append(f"<code>{html.escape(payload, quote=False)}</code>")
        else:
            out.append(html.escape(payload, quote=False))
    return "".join(out)


def to_html(text: str, math: Callable[[str, bool], str], *, tbody: bool = False) -> str:
    """Block HTML; ``tbody`` wraps table rows as strict XHTML (QTI) requires."""
    out = []
    for kind, payload in blocks(text):
        if kind == "math":
            out.append(f"<div>{math(payload, True)}</div>")
        elif kind == "heading":
            level, body = payload
            out.append(f"<h{min(level + 2, 6)}>{inline(body, math)}</h{min(level + 2, 6)}>")
        elif kind == "table":
            rows = "".join("<tr>" + "".join(f"<td>{inline(c, math)}</td>" for c in r) + "</tr>" for r in payload)
            out.append(f"<table><tbody>{rows}</tbody></table>" if tbody else f"<table>{rows}</table>")
        elif kind == "ul":
            items = "".join(f"<li>{inline(it, math)}</li>" for it in payload)
            out.append(f"<ul>{items}</ul>")
        elif kind == "ol":          # (first number, items); QTI's XHTML has no `start`, so none here
            _start, entries = payload
            items = "".join(f"<li>{inline(it, math)}</li>" for it in entries)
            out.append(f"<ol>{items}</ol>")
        elif kind == "figure":      # platforms get the figure's text alternative, not its SVG
            for desc in payload["figures"]:
                _, title, text = build_figure(desc, payload["lang"])
                out.append(f"<p><em>{html.escape(title, quote=False)}.</em> {html.escape(text, quote=False)}</p>")
        else:
            out.append(f"<p>{inline(payload, math)}</p>")
    return "\n".join(out)
