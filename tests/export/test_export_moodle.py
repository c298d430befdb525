"""Moodle XML: it parses, each variant's numbers are the key's, and every Cloze sub-question
is well formed by Moodle's own grammar (transcribed below from qtype_multianswer)."""

from __future__ import annotations

import re
from fractions import Fraction
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.bank.loader import load_set
from grader.cli import main
from grader.export.moodle import cloze_escape, number_text, tolerance_text
from grader.render.sheets import key_entry
from grader.variants import draw_variant, variant_seed

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-0123456789"

# Moodle's Cloze grammar (question/type/multianswer/questiontype.php), as regular expressions
TYPES = ("NUMERICAL|NM|MULTICHOICE|MC|MULTICHOICE_V|MCV|MULTICHOICE_H|MCH|SHORTANSWER|SA|MW|"
         "SHORTANSWER_C|SAC|MWC|MULTICHOICE_S|MCS|MULTICHOICE_VS|MCVS|MULTICHOICE_HS|MCHS|"
         "MULTIRESPONSE|MR|MULTIRESPONSE_H|MRH|MULTIRESPONSE_S|MRS|MULTIRESPONSE_HS|MRHS")
START = re.compile(r"\{([0-9]*):(" + TYPES + r"):")
FRACTION = r"(=|%(-?[0-9]+(?:[.,][0-9]*)?)%)?"
ANSWER = r"(.+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$))"
FEEDBACK = r"(#(.*?(?<!\\)(?=[~}]|$)))?"
ALTERNATIVE = re.compile(FRACTION + ANSWER + FEEDBACK, re.S)
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL = re.compile(r"^(" + NUMBER + r")(:" + NUMBER + r")?$")


def subquestions(text: str) -> list[tuple[str, str, list[tuple]]]:
    """(weight, type, [(fraction, answer, feedback)]) for every {n:TYPE:...} in a question text.

    Fails when a sub-question does not close, or its alternatives leave text unparsed."""
    out = []
    for m in START.finditer(text):
        rest = text[m.end():]
        alts, pos = [], 0
        while True:
            a = ALTERNATIVE.match(rest, pos)
            assert a and a.end() > pos, f"unparsable alternative at {rest[pos:pos + 40]!r}"
            alts.append((a.group(1) or "", a.group(3), a.group(5) or ""))
            pos = a.end()
            assert pos < len(rest), f"sub-question not closed: {text[m.start():m.start() + 80]!r}"
            if rest[pos] == "}":
                break
            assert rest[pos] == "~", f"expected ~ or }} at {rest[pos:pos + 20]!r}"
            pos += 1
        out.append((m.group(1), m.group(2), alts))
    return out


def check_subquestion(weight, kind, alts):
    assert weight.isdigit(), "a weight is a whole number"
    if kind.startswith(("MULTIRESPONSE", "MR")):
        assert any(f == "=" for f, _, _ in alts), "a multi-response needs a right option"
    else:
        assert sum(f == "=" or f == "%100%" for f, _, _ in alts) >= 1, "needs a 100% answer"
    if kind in ("NUMERICAL", "NM"):
        for _, answer, _ in alts:
            assert NUMERICAL.match(answer), f"not a Moodle number[:tolerance]: {answer!r}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("moodle") / "course" / "demo.xml"
    import os
    os.environ["GRADER_SECRET"] = SECRET
    try:
        assert main(["export", "moodle", str(ROOT / "sets" / "demo.yaml"), "--variants", "3", "--out", str(out)]) == 0
    finally:
        del os.environ["GRADER_SECRET"]
    return out


def numbers_of(value) -> list[float]:
    """The key's numbers in reading order (exact ones are written like '-2/5')."""
    if isinstance(value, list):
        return [x for v in value for x in numbers_of(v)]
    return [float(Fraction(value)) if isinstance(value, str) else float(value)]


class TestMoodleXml:
    def test_categories_and_variants(self, exported):
        pset = load_set(ROOT / "sets" / "demo.yaml")
        root = ET.parse(exported).getroot()
        assert root.tag == "quiz"
        questions = root.findall("question")
        cats = [q for q in questions if q.get("type") == "category"]
        assert len(cats) == len(pset.entries)
        for entry, cat in zip(pset.entries, cats):
            path = cat.find("category/text").text
            assert path.startswith("$course$/top/") and f"{entry.key}: {entry.problem.title['en']}" in path
        clozes = [q for q in questions if q.get("type") == "cloze"]
        assert len(clozes) == 3 * len(pset.entries)
        assert len({q.find("idnumber").text for q in clozes}) == len(clozes)
        assert oct(exported.stat().st_mode & 0o777) == "0o600"

    def test_every_subquestion_is_well_formed(self, exported):
        root = ET.parse(exported).getroot()
        count = 0
        for q in root.findall("question[@type='cloze']"):
            subs = subquestions(q.find("questiontext/text").text)
            assert subs, q.find("name/text").text
            for sub in subs:
                check_subquestion(*sub)
                count += 1
        assert count > 50

    def test_numeric_answers_are_the_keys(self, exported):
        pset = load_set(ROOT / "sets" / "demo.yaml")
        entries = {e.key: e for e in pset.entries}
        root = ET.parse(exported).getroot()
        checked = 0
        for q in root.findall("question[@type='cloze']"):
            _, key, name = q.find("idnumber").text.split(":")
            entry = entries[key]
            variant = draw_variant(entry.problem, variant_seed(SECRET.encode(), pset.id, name, key))
            answers = key_entry([(entry, variant)])[key]["answers"]
            expected = []
            for part in entry.problem.parts:
                if part.type in ("number", "integer", "vector", "matrix"):
                    expected += numbers_of(answers[part.id])
            got = [float(a.split(":")[0]) for _, kind, alts in subquestions(q.find("questiontext/text").text)
                   if kind == "NUMERICAL" for f, a, _ in alts if f == "="]
            assert len(got) == len(expected)
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
            checked += len(got)
        assert checked > 100

    def test_tolerances_carry_the_parts(self, exported):
        # demo q3 (lsq-gd-two-steps) numbers have a relative tolerance: each NUMERICAL margin is it
        root = ET.parse(exported).getroot()
        q = next(q for q in root.findall("question[@type='cloze']") if ":q3:" in q.find("idnumber").text)
        for _, kind, alts in subquestions(q.find("questiontext/text").text):
            value, margin = (float(x) for x in alts[0][1].split(":"))
            assert margin > 0 and margin >= 1e-9
            assert margin <= max(0.05 * abs(value), 1e-6)

    def test_misconceptions_are_wrong_alternatives_with_their_feedback(self, exported):
        pset = load_set(ROOT / "sets" / "demo.yaml")
        entry = pset.entries[0]                                   # mlp-param-count
        part = entry.problem.part("total")
        q = next(q for q in ET.parse(exported).getroot().findall("question[@type='cloze']")
                 if q.find("idnumber").text == "demo:q1:pool-1")
        variant = draw_variant(entry.problem, variant_seed(SECRET.encode(), pset.id, "pool-1", "q1"))
        subs = [alts for _, kind, alts in subquestions(q.find("questiontext/text").text) if kind == "NUMERICAL"]
        total = next(alts for alts in subs if float(alts[0][1].split(":")[0]) == variant.answers["total"])
        wrong = {float(a.split(":")[0]): fb for f, a, fb in total[1:]}
        assert wrong and all(f == "%0%" for f, _, _ in total[1:])
        for m in part.misconceptions:
            value = float(variant.solve(bug=m.bug)["total"])
            if value != variant.answers["total"]:
                assert value in wrong and m.feedback["en"].split()[0] in wrong[value]

    def test_statement_in_the_sets_language(self, tmp_path, secret_env):
        out = tmp_path / "ru.xml"
        assert main(["export", "moodle", str(ROOT / "sets" / "demo.yaml"), "--variants", "1", "--out", str(out),
                     "--lang", "ru"]) == 0
        text = ET.parse(out).getroot().find("question[@type='cloze']/questiontext/text").text
        assert re.search("[а-яА-Я]", text)


class TestEscaping:
    @pytest.mark.parametrize("text", ["a}b", "x#y", "p~q", "<b>&", "a\\}b"])
    def test_escaped_text_is_one_alternative(self, text):
        subs = subquestions("{1:MULTICHOICE:=" + cloze_escape(text) + "~other}")
        (_, _, alts), = subs
        assert len(alts) == 2 and alts[1][1] == "other"

    @pytest.mark.parametrize("x", [0.0, -1.5, 1e-05, 123456789.0, 2.5e20, 1 / 3])
    def test_numbers_read_back(self, x):
        assert NUMERICAL.match(number_text(x) + ":" + tolerance_text(abs(x) * 0.005))
        assert float(number_text(x)) == x

    def test_tolerance_never_shrinks(self):
        for t in (1e-9, 0.0033333333, 0.1234567891, 5.0):
            assert float(tolerance_text(t)) >= t


class TestRosterVariants:
    def test_each_students_own_variant(self, tmp_path, secret_env):
        from grader.render.sheets import student_variants
        roster = tmp_path / "roster.csv"
        roster.write_text("student_id\ns001\ns002\n")
        out = tmp_path / "own.xml"
        assert main(["export", "moodle", str(ROOT / "sets" / "demo.yaml"), "--roster", str(roster),
                     "--out", str(out)]) == 0
        pset = load_set(ROOT / "sets" / "demo.yaml")
        key = key_entry(student_variants(pset, secret_env, "s002"))["q1"]["answers"]
        q = next(q for q in ET.parse(out).getroot().findall("question[@type='cloze']")
                 if q.find("idnumber").text == "demo:q1:s002")
        got = [float(a.split(":")[0]) for _, kind, alts in subquestions(q.find("questiontext/text").text)
               if kind == "NUMERICAL" for f, a, _ in alts if f == "="]
        expected = [x for part in pset.entries[0].problem.parts for x in numbers_of(key[part.id])]
        assert got == expected
