"""The rules of report.html (grader/grading/report_html.py), in-process on hand-made summaries.

The page is built from the summary dict alone; these tests feed it summaries whose
figures are known (``report_samples.summary``) and check that each figure lands where
the page says it is, in the reader's language, escaped, and that the histogram's
geometry follows its counts.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from grader.grading.report_html import _bar, _nice_step, histogram_svg, report_html
from grader.i18n import t
from tests.core.report_samples import PSET, summary

# the histogram's layout: 720 x 260 with margins left 48, right 16, top 16, bottom 44
LEFT, TOP, PLOT_W, PLOT_H = 48, 16, 720 - 48 - 16, 260 - 16 - 44
TICK = f'y="{TOP + PLOT_H + 16}"'   # the score labels, under the axis


def page(lang: str = "en", **changes) -> str:
    s = summary(changes.pop("full", True))
    s.update(changes)
    return report_html(PSET, s, lang)


def figures(html: str) -> dict[str, str]:
    box = re.search(r'<div class="figures">(.*?)</div></div>', html, re.S).group(1) + "</div>"
    return dict(re.findall(r"<div>(.*?)<b>(.*?)</b></div>", box))


class TestPage:
    def test_one_self_contained_document_in_the_readers_language(self):
        """A whole HTML document, lang set, UTF-8, no scripts, nothing fetched from the network."""
        html = page("ru")
        assert html.startswith('<!DOCTYPE html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n'
                               '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                               "<title>Игрушечный набор: отчёт о проверке</title>\n<style>")
        assert html.endswith("</body>\n</html>\n")
        assert "<script" not in html and not re.search(r"(src|href)=", html)
        assert '<h1>Игрушечный набор</h1>\n<p class="muted">Набор <code>toy-set</code> · отчёт о проверке</p>' in html

    def test_the_title_falls_back_to_english_then_to_the_set_id_and_is_escaped(self):
        """No title in the language: the English one; none at all: the id; always escaped."""
        from types import SimpleNamespace
        s = summary()
        english_only = report_html(SimpleNamespace(id="x", title={"en": "A <b> & c"}), s, "ru")
        assert "<title>A &lt;b&gt; &amp; c: отчёт о проверке</title>" in english_only
        assert "<h1>A &lt;b&gt; &amp; c</h1>" in english_only
        untitled = report_html(SimpleNamespace(id="set<1>", title={}), s, "en")
        assert "<h1>set&lt;1&gt;</h1>" in untitled and "<code>set&lt;1&gt;</code>" in untitled

    def test_an_unknown_language_reads_english(self):
        """A language without a catalogue: English words (the lang attribute is still the one asked)."""
        html = page("de")
        assert html.startswith('<!DOCTYPE html>\n<html lang="de">') and "<h2>Score distribution</h2>" in html
        assert "<h2>Parts</h2>" in html and "correct 2" in html

    def test_the_figures_are_the_summarys(self):
        """class, mean / max, median, quartiles, unreadable (not ok, not missing), no submission, review."""
        f = figures(page(status={"ok": 3, "invalid": 1, "error": 2, "missing": 4}))
        assert f == {"class": "5", "mean": "5.5 / 10", "median": "5", "quartiles": "2.5–7.5",
                     "unreadable files": "3", "no submission": "4", "for review": "3"}
        f = figures(page("ru", status={"ok": 5}, full=False))
        assert f == {"группа": "5", "среднее": "5.5 / 10", "медиана": "5", "квартили": "2.5–7.5",
                     "нечитаемые файлы": "0", "нет работы": "0", "на проверку преподавателю": "0"}

    def test_the_class_note_counts_rows_and_students_not_enrolled(self):
        """The class size and how many files from outside the class were left out of every figure."""
        assert t("report.html.class_note", "en", n=5, outsiders=2) in page()
        s = summary()
        del s["not_enrolled"]
        assert t("report.html.class_note", "en", n=5, outsiders=0) in report_html(PSET, s, "en")

    def test_extra_files_are_mentioned_only_when_there_are_some(self):
        """The duplicates sentence shows with their number, and not at all when there are none."""
        assert f'<p class="muted">{t("report.html.duplicates", "en", n=3)}</p>' in page()
        assert "extra file" not in page(duplicates=0) and "extra file" not in page(full=False)


class TestParts:
    def test_each_part_is_a_row_with_its_figures(self):
        """part, problem, type, attempts, both shares (bar and number), mean / max points, verdicts."""
        html = page()
        assert ("<tr><td><code>q1.a</code></td><td>toy-problem</td><td>numeric</td><td class=n>4</td>"
                f"<td>{_bar(0.5)} 50.0%</td><td>{_bar(0.4)} 40.0%</td>"
                "<td class=n>1.25 / 2.5</td>"
                "<td class=muted>correct 2, incorrect 1, partial 1, missing 1</td></tr>") in html
        assert ("<tr><th>part</th><th>problem</th><th>type</th><th class=n>attempts</th>"
                "<th>correct, % of attempts</th><th>correct, % of class</th><th class=n>mean points</th>"
                "<th>verdicts</th></tr>") in html

    def test_verdicts_and_headings_in_russian(self):
        """The verdict words and the table headings come in the set's language."""
        html = page("ru")
        assert "<td class=muted>верно 2, неверно 1, частично 1, нет ответа 1</td>" in html
        assert "<th>пункт</th><th>задача</th><th>тип</th><th class=n>попыток</th>" in html
        heads = "".join(f"<th>{t(k, 'ru')}</th>" for k in ("report.correct_of_attempts", "report.correct_of_class"))
        assert heads + f"<th class=n>{t('report.mean_points', 'ru')}</th><th>{t('report.verdicts', 'ru')}</th></tr>" in html
        assert t("report.verdicts", "ru") != t("report.verdicts", "en")

    def test_part_names_and_problems_are_escaped(self):
        """Ids come from YAML files: whatever they hold is text, never markup."""
        s = summary()
        s["parts"] = {"q<1>": {**s["parts"]["q1.a"], "problem": "a&b", "type": "<i>"}}
        html = report_html(PSET, s, "en")
        assert "<td><code>q&lt;1&gt;</code></td><td>a&amp;b</td><td>&lt;i&gt;</td>" in html
        assert "<h3><code>q&lt;1&gt;</code> <span class=muted>a&amp;b</span></h3>" in html


class _TableText(HTMLParser):
    """Collects text that stands inside a table but outside every cell (browsers hoist it above the table)."""

    def __init__(self):
        super().__init__()
        self.open, self.stray = [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("table", "tr", "td", "th"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in ("table", "tr", "td", "th"):
            assert self.open and self.open[-1] == tag, (tag, self.open)
            self.open.pop()

    def handle_data(self, data):
        if self.open and self.open[-1] in ("table", "tr") and data.strip():
            self.stray.append(data)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_table_is_closed_with_no_text_outside_its_cells(lang):
    """Each table's rows and cells nest and close in order, and no text sits between a row and its table."""
    parser = _TableText()
    parser.feed(page(lang))
    parser.close()
    assert parser.open == [] and parser.stray == []


class TestSections:
    def test_common_wrong_answers_are_listed_per_part_escaped(self):
        """A heading per part that has wrong answers, then answer (as read) and how many students."""
        html = page()
        assert ("<h3><code>q1.a</code> <span class=muted>toy-problem</span></h3><table><tr>"
                "<th>answer (as read)</th><th class=n>students</th></tr>") in html
        assert "<tr><td><code>3 &lt; 4</code></td><td class=n>2</td></tr>" in html
        assert "No wrong answers." not in html

    def test_parts_without_wrong_answers_get_no_heading(self):
        """Only parts with wrong answers are listed; with none anywhere, one sentence says so."""
        s = summary()
        s["parts"]["q1.b"] = {**s["parts"]["q1.a"], "common_wrong_answers": []}
        assert "<h3><code>q1.b</code>" not in report_html(PSET, s, "en")
        assert "<p class=muted>No wrong answers.</p>" in page(full=False)
        assert "<p class=muted>Неверных ответов нет.</p>" in page("ru", full=False)

    def test_misconception_bars_are_relative_to_the_commonest(self):
        """The commonest misconception's bar is full; the others in proportion; numbers as percentages."""
        fired = [{"part": "q1.a", "misconception": "sign-flip", "count": 2, "percent_of_attempts": 40.0},
                 {"part": "q1.a", "misconception": "off<by>one", "count": 1, "percent_of_attempts": 10.0}]
        html = page(misconceptions=fired)
        assert ("<tr><th>part</th><th>misconception</th><th class=n>fired</th><th>% of attempts</th></tr>"
                in html)
        assert f"<tr><td><code>q1.a</code></td><td>sign-flip</td><td class=n>2</td><td>{_bar(1.0, 'red')} 40.0%</td></tr>" in html
        assert (f"<tr><td><code>q1.a</code></td><td>off&lt;by&gt;one</td><td class=n>1</td>"
                f"<td>{_bar(0.25, 'red')} 10.0%</td></tr>") in html
        assert "No part of this set lists misconceptions." not in html

    def test_misconceptions_that_never_fired_have_empty_bars(self):
        """All at 0 %: empty bars (no division by zero)."""
        fired = [{"part": "q1.a", "misconception": "sign-flip", "count": 0, "percent_of_attempts": 0.0}]
        assert f"<td>{_bar(0.0, 'red')} 0.0%</td>" in page(misconceptions=fired)

    def test_no_misconceptions_is_said(self):
        """A set whose parts list none: one sentence."""
        assert "<h2>Misconceptions</h2>\n<p class=muted>No part of this set lists misconceptions.</p>" in page(full=False)

    def test_answers_for_review_are_listed_with_how_many_more(self):
        """Heading with the total, a row per listed answer, and how many more are in results.jsonl."""
        review = {"total": 5, "listed": [{"student": "s<1>", "part": "q1.a", "check": "sampling", "answer": "x&y"},
                                         {"student": "s2", "part": "q2.c", "check": "sympy", "answer": ""}]}
        html = page(review=review)
        assert "<h2>For review (5)</h2>" in html
        assert ("<p class=muted>The checks could not settle these answers; they scored 0 until reviewed.</p>"
                "<table><tr><th>student</th><th>part</th><th>answer (as read)</th><th>check</th></tr>") in html
        assert "<tr><td>s&lt;1&gt;</td><td><code>q1.a</code></td><td><code>x&amp;y</code></td><td>sampling</td></tr>" in html
        assert "<p class=muted>… and 3 more in results.jsonl.</p>" in html
        everything = page(review={"total": 2, "listed": review["listed"]})
        assert "more in results.jsonl" not in everything
        assert "<h2>For review (0)</h2>\n<p class=muted>Nothing to review.</p>" in page(full=False)

    def test_unreadable_files_are_listed_with_the_reason_in_the_readers_language(self):
        """The heading counts every unreadable row; each listed file shows its reason, localized."""
        html = page("ru", status={"ok": 1, "invalid": 2, "error": 1, "missing": 3})
        assert "<h2>Файлы, которые не удалось проверить (3)</h2>" in html
        assert ("<table><tr><th>студент</th><th>файл</th><th>причина</th></tr>"
                "\n<tr><td>s2</td><td><code>s2.yaml</code></td><td>ответ пуст</td></tr>\n</table>") in html
        s = summary()
        s["unreadable_files"] = [{"student": "<s>", "source": "a&b.yaml", "message": "<oops>"}]
        assert "<tr><td>&lt;s&gt;</td><td><code>a&amp;b.yaml</code></td><td>&lt;oops&gt;</td></tr>" in \
            report_html(PSET, s, "en")
        assert "<h2>Files that could not be graded (0)</h2>\n<p class=muted>None.</p>" in \
            page(full=False, status={"ok": 4, "missing": 1})


class TestHistogram:
    def test_the_score_axis_is_a_horizontal_line_along_the_plots_foot(self):
        """The x axis runs from the left margin to the plot's right edge at y = top + plot height."""
        svg = histogram_svg({"bins": [{"from": 0.0, "to": 5.0, "count": 2}, {"from": 5.0, "to": 10.0, "count": 1}]},
                            10.0)
        foot = TOP + PLOT_H
        assert (f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{foot}" y2="{foot}" stroke="#8a93a3"/>') in svg
        axes = re.findall(r'<line x1="48" x2="704" y1="([^"]+)" y2="([^"]+)" stroke="#8a93a3"/>', svg)
        assert axes == [(str(foot), str(foot))]

    @pytest.mark.parametrize("peak,step", [(1, 1), (6, 1), (7, 2), (12, 2), (13, 5), (30, 5), (31, 10),
                                           (60, 10), (61, 20), (120, 20), (121, 50), (300, 50), (301, 100),
                                           (6000, 1000), (6001, 2000)])
    def test_gridlines_step_by_one_two_or_five_times_a_power_of_ten(self, peak, step):
        """The smallest 1-2-5 step giving at most 6 gridlines above zero."""
        assert _nice_step(peak) == step

    @pytest.mark.parametrize("fraction,width", [(0.5, "50.0"), (-0.2, "0.0"), (1.7, "100.0"), (1 / 3, "33.3"),
                                                (0.0, "0.0"), (1.0, "100.0")])
    def test_a_bar_is_clamped_to_its_track(self, fraction, width):
        """A share bar fills its fraction of the track, never below 0 or past 100 %."""
        assert _bar(fraction) == f'<span class="bar "><span style="width:{width}%"></span></span>'
        assert _bar(fraction, "red").startswith('<span class="bar red">')

    def svg(self, counts, max_points=10.0, lang="en"):
        width = max_points / len(counts)
        bins = [{"from": i * width, "to": (i + 1) * width, "count": c} for i, c in enumerate(counts)]
        return histogram_svg({"bins": bins}, max_points, lang=lang)

    def test_bars_stand_on_the_axis_with_heights_in_proportion(self):
        """Each non-empty bin is a bar from the axis up to its count; empty bins draw nothing."""
        svg = self.svg([2, 0, 4, 1])         # peak 4: step 1, the axis goes to 4
        rects = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" '
                           r'fill="#3f7bd9"><title>(.*?)</title></rect>', svg)
        assert [r[4] for r in rects] == ["0–2.5: 2", "5–7.5: 4", "7.5–10: 1"]
        for (x, y, w, h, _), count, start in zip(rects, (2, 4, 1), (0.0, 5.0, 7.5)):
            assert float(h) == pytest.approx(PLOT_H * count / 4, abs=0.05)
            assert float(y) + float(h) == pytest.approx(TOP + PLOT_H, abs=0.1)
            assert float(x) == pytest.approx(LEFT + PLOT_W * start / 10 + 1, abs=0.05)
            assert float(w) == pytest.approx(PLOT_W / 4 - 2, abs=0.05)
        labels = re.findall(r'<text x="[\d.]+" y="([\d.]+)" text-anchor="middle">(\d+)</text>', svg)
        assert ("2", "4", "1") == tuple(c for _, c in labels[:3])
        assert float(labels[1][0]) == pytest.approx(TOP - 3, abs=0.05)     # the peak's count sits on top

    def test_gridlines_go_from_zero_to_a_round_top(self):
        """Gridlines every step from 0 up to the first multiple of the step at or above the peak."""
        svg = self.svg([7, 3])               # peak 7: step 2, the axis goes to 8
        grid = re.findall(r'<text x="42" y="([\d.]+)" text-anchor="end">(\d+)</text>', svg)
        assert [int(c) for _, c in grid] == [0, 2, 4, 6, 8]
        assert float(grid[-1][0]) == pytest.approx(TOP + 4) and float(grid[0][0]) == pytest.approx(TOP + PLOT_H + 4)
        lines = re.findall(r'<line x1="48" x2="704" y1="([\d.]+)" y2="\1" stroke="#e3e7ee"/>', svg)
        assert len(lines) == 5

    def test_an_empty_histogram_still_has_an_axis(self):
        """No scores at all: gridlines 0 and 1, no bars."""
        svg = self.svg([0, 0])
        assert "<rect" not in svg
        assert [c for c in re.findall(r'text-anchor="end">(\d+)</text>', svg)] == ["0", "1"]

    def test_score_ticks_are_thinned_to_about_ten_and_keep_the_maximum(self):
        """20 bins: every other bin edge is labelled, and the maximum always is."""
        ticks = re.findall(TICK + r' text-anchor="middle">([\d.]+)</text>', self.svg([1] * 20))
        assert ticks == [str(v) for v in range(11)]
        few = re.findall(TICK + r' text-anchor="middle">([\d.]+)</text>', self.svg([1] * 4))
        assert few == ["0", "2.5", "5", "7.5", "10"]
        odd = re.findall(TICK + r' text-anchor="middle">([\d.]+)</text>', self.svg([1] * 21, 21.0))
        assert odd == [str(v) for v in range(0, 21, 2)] + ["21"]     # 22 edges, every 2nd, and 21

    def test_ticks_sit_under_their_values(self):
        """A tick's x is its score's place on the axis."""
        svg = self.svg([1, 1])
        xs = re.findall(r'<text x="([\d.]+)" ' + TICK + r' text-anchor="middle">([\d.]+)</text>', svg)
        for x, v in xs:
            assert float(x) == pytest.approx(LEFT + PLOT_W * float(v) / 10, abs=0.05)

    def test_axis_labels_in_the_readers_language(self):
        """The x label gives the maximum; the y label counts students; the whole has an aria label."""
        ru = self.svg([1], 7.5, "ru")
        assert 'role="img" aria-label="Гистограмма итоговых баллов"' in ru
        assert f'text-anchor="middle">{t("report.html.hist_x", "ru", max="7.5")}</text>' in ru
        assert 'transform="rotate(-90 12 116.0)">студентов</text>' in ru
        en = self.svg([1], 7.5)
        assert '<text x="376.0" y="254" text-anchor="middle">total score (out of 7.5)</text>' in en

    def test_a_set_worth_nothing_does_not_divide_by_zero(self):
        """max 0: the axis spans 1 point, and the page still draws."""
        svg = histogram_svg({"bins": [{"from": 0.0, "to": 0.0, "count": 3}]}, 0.0)
        assert "0–0: 3" in svg and svg.endswith("</svg>")
