"""report.html: the instructor's page, built from the summary dict alone.

One self-contained file: inline CSS, the score histogram as inline SVG (drawn here,
no plotting library), no scripts, no network. Sections: the score distribution, each
part's share correct, the most common wrong answers per part, how often each
misconception fired, answers listed for review, and files that could not be read.
"""

from __future__ import annotations

from html import escape

from ..bank.model import ProblemSet
from ..i18n import localize, t, verdict
from .reports import fmt_points

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:980px;
color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde2ea}
h3{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;padding:.25rem .5rem;
border-bottom:1px solid #eceff4;vertical-align:top}th{background:#f5f7fa;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f7;padding:0 .2rem;border-radius:3px;
word-break:break-all}
.bar{background:#e7ebf1;height:.8rem;width:160px;display:inline-block;vertical-align:middle;border-radius:2px}
.bar span{display:block;height:100%;background:#3f7bd9;border-radius:2px}
.bar.red span{background:#d9653f}
.muted{color:#68707d}.figures{display:flex;gap:2rem;flex-wrap:wrap;margin:.6rem 0}
.figures div{min-width:7rem}.figures b{display:block;font-size:1.3rem}
"""


def _words(lang: str):
    """The page's own words from the catalogue (``report.html.*``); escaped for HTML."""
    return lambda key, **fields: escape(t(f"report.html.{key}", lang, **fields))


def _bar(fraction: float, cls: str = "") -> str:
    pct = max(0.0, min(1.0, fraction)) * 100
    return f'<span class="bar {cls}"><span style="width:{pct:.1f}%"></span></span>'


def _nice_step(peak: int) -> int:
    """A gridline step of 1, 2 or 5 times a power of ten giving at most 6 lines."""
    scale = 1
    while True:
        for m in (1, 2, 5):
            if peak / (m * scale) <= 6:
                return m * scale
        scale *= 10


def histogram_svg(hist: dict, max_points: float, *, width: int = 720, height: int = 260,
                  lang: str = "en") -> str:
    """A bar chart of the score histogram as an SVG element (axes, ticks, counts on bars)."""
    say = _words(lang)
    bins = hist["bins"]
    left, right, top, bottom = 48, 16, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((b["count"] for b in bins), default=0)
    step = _nice_step(max(peak, 1))
    ymax = step * max(1, -(-peak // step))
    span = max_points or 1.0
    x = lambda v: left + plot_w * v / span            # noqa: E731
    y = lambda c: top + plot_h * (1 - c / ymax)       # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{say("hist_label")}">',
           '<style>text{font:11px system-ui,sans-serif;fill:#3b4250}</style>']
    for c in range(0, ymax + 1, step):
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(c):.1f}" y2="{y(c):.1f}" '
                   f'stroke="#e3e7ee"/>')
        out.append(f'<text x="{left - 6}" y="{y(c) + 4:.1f}" text-anchor="end">{c}</text>')
    for b in bins:
        x0, x1 = x(b["from"]), x(b["to"])
        if b["count"]:
            out.append(f'<rect x="{x0 + 1:.1f}" y="{y(b["count"]):.1f}" width="{max(x1 - x0 - 2, 1):.1f}" '
                       f'height="{top + plot_h - y(b["count"]):.1f}" fill="#3f7bd9">'
                       f'<title>{fmt_points(b["from"])}–{fmt_points(b["to"])}: {b["count"]}</title></rect>')
            out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{y(b["count"]) - 3:.1f}" '
                       f'text-anchor="middle">{b["count"]}</text>')
    ticks = [b["from"] for b in bins] + [max_points]
    every = max(1, len(ticks) // 10)
    for i, v in enumerate(ticks):
        if i % every == 0 or i == len(ticks) - 1:
            out.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
                       f'stroke="#8a93a3"/>')
            out.append(f'<text x="{x(v):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{fmt_points(v)}</text>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#8a93a3"/>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
               f'{say("hist_x", max=fmt_points(max_points))}</text>')
    out.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{say("students")}</text>')
    out.append("</svg>")
    return "\n".join(out)


def report_html(pset: ProblemSet, summary: dict, lang: str) -> str:
    say = _words(lang)
    title = escape(pset.title.get(lang) or pset.title.get("en") or pset.id)
    n = summary["submissions"]
    parts = summary["parts"]
    h = []
    h.append(f"<!DOCTYPE html>\n<html lang=\"{escape(lang)}\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             f"<title>{title}: {say('report')}</title>\n<style>{CSS}</style>\n</head>\n<body>")
    h.append(f"<h1>{title}</h1>\n<p class=\"muted\">{say('set')} <code>{escape(pset.id)}</code> · {say('report')}</p>")
    status = summary["status"]
    h.append('<div class="figures">'
             f'<div>{say("class")}<b>{n}</b></div>'
             f'<div>{say("mean")}<b>{fmt_points(summary["mean_score"])} / {fmt_points(summary["max"])}</b></div>'
             f'<div>{say("median")}<b>{fmt_points(summary["median_score"])}</b></div>'
             f'<div>{say("quartiles")}<b>{fmt_points(summary["quartiles"][0])}–{fmt_points(summary["quartiles"][1])}</b></div>'
             f'<div>{escape(t("report.unreadable", lang))}<b>{sum(v for k, v in status.items() if k not in ("ok", "missing"))}</b></div>'
             f'<div>{escape(t("report.no_submission", lang))}<b>{status.get("missing", 0)}</b></div>'
             f'<div>{escape(t("report.for_review", lang))}<b>{summary["review"]["total"]}</b></div></div>')
    h.append(f'<p class="muted">{say("class_note", n=n, outsiders=summary.get("not_enrolled", 0))}</p>')
    if summary.get("duplicates"):
        h.append(f'<p class="muted">{say("duplicates", n=summary["duplicates"])}</p>')

    h.append(f"<h2>{say('distribution')}</h2>")
    h.append(histogram_svg(summary["histogram"], summary["max"], lang=lang))

    h.append(f"<h2>{say('parts')}</h2>\n<table><tr><th>{t('report.part', lang)}</th><th>{t('report.problem', lang)}</th>"
             f"<th>{t('report.type', lang)}</th><th class=n>{t('report.attempts', lang)}</th>"
             f"<th>{t('report.correct_of_attempts', lang)}</th><th>{t('report.correct_of_class', lang)}</th>"
             f"<th class=n>{t('report.mean_points', lang)}</th><th>{t('report.verdicts', lang)}</th></tr>")
    for name, p in parts.items():
        verdicts = ", ".join(f"{verdict(k, lang)} {v}" for k, v in p["verdicts"].items())
        h.append(f"<tr><td><code>{escape(name)}</code></td><td>{escape(p['problem'])}</td>"
                 f"<td>{escape(p['type'])}</td><td class=n>{p['attempts']}</td>"
                 f"<td>{_bar(p['correct_pct_of_attempts'] / 100)} {p['correct_pct_of_attempts']:.1f}%</td>"
                 f"<td>{_bar(p['correct_pct_of_class'] / 100)} {p['correct_pct_of_class']:.1f}%</td>"
                 f"<td class=n>{fmt_points(p['mean_points'])} / {fmt_points(p['max_points'])}</td>"
                 f"<td class=muted>{escape(verdicts)}</td></tr>")
    h.append(f"</table>\n<p class=\"muted\">{say('stats_note')}</p>")

    h.append(f"<h2>{say('wrong')}</h2>")
    any_wrong = False
    for name, p in parts.items():
        wrong = p["common_wrong_answers"]
        if not wrong:
            continue
        any_wrong = True
        h.append(f"<h3><code>{escape(name)}</code> <span class=muted>{escape(p['problem'])}</span></h3>"
                 f"<table><tr><th>{say('answer_read')}</th><th class=n>{say('students')}</th></tr>")
        for w in wrong:
            h.append(f"<tr><td><code>{escape(w['answer'])}</code></td><td class=n>{w['count']}</td></tr>")
        h.append("</table>")
    if not any_wrong:
        h.append(f"<p class=muted>{say('no_wrong')}</p>")

    h.append(f"<h2>{say('misconceptions')}</h2>")
    fired = summary["misconceptions"]
    if fired:
        top = max(f["percent_of_attempts"] for f in fired) or 1.0
        h.append(f"<table><tr><th>{t('report.part', lang)}</th><th>{t('report.misconception', lang)}</th>"
                 f"<th class=n>{t('report.fired', lang)}</th><th>{t('report.of_attempts', lang)}</th></tr>")
        for f in fired:
            h.append(f"<tr><td><code>{escape(f['part'])}</code></td><td>{escape(f['misconception'])}</td>"
                     f"<td class=n>{f['count']}</td><td>{_bar(f['percent_of_attempts'] / top, 'red')} "
                     f"{f['percent_of_attempts']:.1f}%</td></tr>")
        h.append("</table>")
    else:
        h.append(f"<p class=muted>{say('no_misconceptions')}</p>")

    review = summary["review"]
    h.append(f"<h2>{say('for_review', n=review['total'])}</h2>")
    if review["listed"]:
        h.append(f"<p class=muted>{say('review_note')}</p>"
                 f"<table><tr><th>{t('report.student', lang)}</th><th>{t('report.part', lang)}</th>"
                 f"<th>{say('answer_read')}</th><th>{say('check')}</th></tr>")
        for r in review["listed"]:
            h.append(f"<tr><td>{escape(r['student'])}</td><td><code>{escape(r['part'])}</code></td>"
                     f"<td><code>{escape(r['answer'])}</code></td><td>{escape(r['check'])}</td></tr>")
        h.append("</table>")
        if review["total"] > len(review["listed"]):
            h.append(f"<p class=muted>{say('more', n=review['total'] - len(review['listed']))}</p>")
    else:
        h.append(f"<p class=muted>{say('nothing_review')}</p>")

    bad = summary["unreadable_files"]
    unreadable = sum(v for k, v in status.items() if k not in ("ok", "missing"))
    h.append(f"<h2>{say('bad_files', n=unreadable)}</h2>")
    if bad:
        h.append(f"<table><tr><th>{t('report.student', lang)}</th><th>{t('report.file', lang)}</th>"
                 f"<th>{t('report.reason', lang)}</th></tr>")
        for b in bad:
            h.append(f"<tr><td>{escape(b['student'])}</td><td><code>{escape(b['source'])}</code></td>"
                     f"<td>{escape(localize(b['message'], lang))}</td></tr>")
        h.append("</table>")
    else:
        h.append(f"<p class=muted>{say('none')}</p>")
    h.append("</body>\n</html>\n")
    return "\n".join(h)
