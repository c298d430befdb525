"""Every message in the set's language: render and grade every set in Russian, with the
synthesized right, rewritten, wrong, half and malformed answers, and find no English."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from grader.bank.loader import load_set
from grader.check import check_file
from grader.demo import synthesize
from grader.grading.batch import grade_batch
from grader.grading.report_html import report_html
from grader.i18n import CATALOGUES, localize, plural_form, t
from grader.render.sheets import render_set
from grader.variants import DEMO_SECRET
from tests.core.report_samples import PSET, summary

SETS = ["networks", "optimization", "matrix-calculus", "em", "kernels", "demo"]

# Words that only English prose uses; identifiers (part ids, option ids, function names)
# are not in the list, so `relu`, `mse` or `grad_lin` never count as English.
ENGLISH = set("""
the of to is are was be an and or not no with for from at by in on as than that this these
expected got entries entry number numbers list formula matrix vector scalar answer answers
character characters unexpected missing correct incorrect invalid partial undecided read
should must needs need cannot can only use write between did you mean unknown name function
too large long deeply nested brackets level levels shape shapes differ your value sign wrong
twice half what it enrolled submission submissions attempts share score scores total mean
median points part problem type verdicts misconception fired review file files reason none
nothing students student class report grading set accepted each within relative absolute
significant figures exactly any mapping fields field required property valid scores yes
options option one e.g. means output outputs unit input there but so
""".split())

MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|`[^`\n]*`|<math.*?</math>|<style.*?</style>|<code>.*?</code>|"
                  r"<svg.*?</svg>", re.S)
WORDS = re.compile(r"[A-Za-z][A-Za-z.']*")


def english_fragments(text: str) -> list[str]:
    """Runs of two or more Latin words, one of them English prose, in any text node."""
    found = []
    text = re.sub(r"\w+(?:[-_.]\w+)+", " ", MATH.sub(" ", text))   # ids: no-penalty, grad_lin, q1.total
    for node in re.split(r"<[^>]+>|\||\n", text):
        for run in re.findall(r"[A-Za-z][A-Za-z.' ,:()-]*[A-Za-z.]", node):
            words = [w.lower().strip(".'") for w in WORDS.findall(run)]
            if len(words) >= 2 and any(w in ENGLISH for w in words):
                found.append(run.strip())
            elif len(words) == 1 and words[0] in ("correct", "incorrect", "invalid", "missing", "undecided"):
                found.append(run.strip())
    return found


class TestCatalogue:
    def test_every_key_has_both_languages(self):
        assert set(CATALOGUES["en"]) == set(CATALOGUES["ru"])

    @pytest.mark.parametrize("n,form", [(1, "элемент"), (2, "элемента"), (4, "элемента"), (5, "элементов"),
                                        (11, "элементов"), (12, "элементов"), (21, "элемент"),
                                        (22, "элемента"), (25, "элементов"), (111, "элементов")])
    def test_russian_plural_forms(self, n, form):
        assert plural_form(n, "ru", ["элемент", "элемента", "элементов"]) == form
        assert t("phrase.entries", "ru", n=n) == f"{n} {form}"

    def test_english_plural(self):
        assert t("phrase.entries", "en", n=1) == "1 entry" and t("phrase.entries", "en", n=3) == "3 entries"

    @pytest.mark.parametrize("english,russian", [
        ("expected 2 entries, got 3 entries", "ожидалось 2 элемента, получено: 3 элемента"),
        ("1 of 2 entries are off: 2.", "неверных элементов: 1 из 2 (2)."),
        ("unexpected ',' at character 2; use a dot for decimals (3.5) and brackets for a vector ([1, 2])",
         "неожиданное ',' на позиции 2; десятичную дробь пишите через точку (3.5), а вектор — в скобках ([1, 2])"),
        ("W1: expected 2×2, got 2×3", "W1: ожидалось 2×2, получено: 2×3"),
    ])
    def test_engine_messages_read_back(self, english, russian):
        assert localize(english, "ru") == russian
        assert localize(english, "en") == english

    def test_tolerance_line_reads_naturally(self):
        from grader.answer_types.numeric import Tolerance
        assert Tolerance(abs=0.001, rel=0).describe("ru") == "с абсолютной погрешностью 0.001"
        assert Tolerance(sigfigs=3).describe("ru") == "с точностью до 3 значащих цифр"

    def test_detector_finds_english_and_spares_identifiers(self):
        assert english_fragments("- ⚠ **grad** (0/1) invalid\n  - expected 2 entries, got 3")
        assert not english_fragments("- ✔ **grad_lin** (1/1) верно — `B^T a` $B^\\top a$ | relu, mse |")


class TestReportPage:
    """report.html takes its words from the catalogue, like every other output."""

    @staticmethod
    def pages(lang: str) -> str:
        return "\n".join(report_html(PSET, summary(full), lang) for full in (True, False))

    def test_the_russian_report_page_has_no_english(self):
        """Every section of report.html, filled and empty, speaks Russian (ids and code aside)."""
        page = self.pages("ru")
        assert not english_fragments(page)
        svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)   # the detector skips SVG: its words here
        words = re.findall(r'>([^<]+)<|aria-label="([^"]*)"', re.sub(r"<style>.*?</style>", "", svg, flags=re.S))
        assert not english_fragments("\n".join(a or b for a, b in words))

    @pytest.mark.parametrize("lang", ["en", "ru"])
    def test_every_word_of_the_report_page_is_in_the_catalogue(self, lang):
        """Each ``report.html.*`` message shows on the page (its text between fields), so the
        catalogue is where the page's words live and none of its keys is dead."""
        from html import escape
        page = self.pages(lang)
        keys = [k for k in CATALOGUES[lang] if k.startswith("report.html.")]
        assert len(keys) > 20
        missing = [k for k in keys for piece in re.split(r"\{[^}]*\}", CATALOGUES[lang][k])
                   if piece.strip() and escape(piece) not in page]
        assert not missing


@pytest.mark.slow
@pytest.mark.parametrize("name", SETS)
def test_every_set_speaks_russian(root, tmp_path, name):
    pset = dataclasses.replace(load_set(root / "sets" / f"{name}.yaml"), lang="ru")
    render_set(pset, [{"student_id": "s001", "name": "Аня", "email": ""}], tmp_path / "render",
               DEMO_SECRET, formats=("md", "html"))
    synthesize(pset, tmp_path / "subs")
    grade_batch(pset, DEMO_SECRET, tmp_path / "subs", tmp_path / "grade", workers=1,
                roster=["s001", "s002", "s003", "s004", "s005", "s006"])
    texts = {}
    for path in (tmp_path / "render").rglob("*"):
        if path.suffix in (".md", ".html"):
            texts[str(path)] = path.read_text(encoding="utf-8")
        elif path.name == "answers.yaml":   # its comments: titles and hints
            texts[str(path)] = "\n".join(line.split("#", 1)[1] for line in path.read_text().splitlines()
                                         if "#" in line and "grader check" not in line)
    for path in (tmp_path / "grade" / "feedback").glob("*.md"):
        texts[str(path)] = path.read_text(encoding="utf-8")
    texts["report.html"] = (tmp_path / "grade" / "report.html").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in (tmp_path / "grade" / "results.jsonl").read_text().splitlines()]
    texts["results.jsonl"] = "\n".join(p["feedback"] for r in rows for p in r["parts"])
    for sid in ("s003", "s005"):   # mistakes and malformed answers, as `grader check` shows them
        texts[f"check {sid}"] = check_file(tmp_path / "subs" / f"{sid}.yaml", pset, lang="ru", secret=None)[0]
    found = {where: english_fragments(text) for where, text in texts.items()}
    found = {where: sorted(set(f))[:6] for where, f in found.items() if f}
    assert not found, found
