"""YAML's silent surprises, refused: duplicate keys and YAML 1.1 conversions (issue 11 item 7).

A student's scalar is read as typed: ``1:30`` is not 90, ``0x10`` is not 16, ``yes`` is not
True; the answer language then reads the text and says what is wrong with it. In
instructors' files the same forms, and duplicate keys, are errors naming file and line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli import main
from grader.errors import AuthorError
from grader.yamlio import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
SET = str(ROOT / "sets" / "demo.yaml")

# what the student typed, the part, the verdict, a piece of the feedback or of how it was read
AS_TYPED = [
    ("1:30", "q1.total", "invalid", "':' is not part of the answer language"),        # YAML 1.1: 90
    ("1:30", "q3.ols", "invalid", "':' is not part of the answer language"),
    ("0x10", "q1.total", "invalid", "contains 'x10'"),                                 # YAML 1.1: 16
    ("0b101", "q3.ols", "invalid", "contains 'b101'"),                                 # YAML 1.1: 5
    ("0o17", "q1.total", "invalid", "contains 'o17'"),
    ("017", "q1.total", "incorrect", "read as 17"),                                   # YAML 1.1: 15
    ("1_000", "q3.ols", "invalid", "unexpected character '_'"),                       # YAML 1.1: 1000
    ("yes", "q1.total", "invalid", "contains 'yes'"),                                 # YAML 1.1: True
    ("on", "q3.ols", "invalid", "contains 'on'"),
    ("off", "q4.one_unit_c", "invalid", "expected yes or no"),                        # not False
    (".inf", "q3.ols", "invalid", "unexpected character '.'"),
    (".nan", "q3.ols", "invalid", "unexpected character '.'"),
    ("!!int 0x10", "q1.total", "invalid", "contains 'x10'"),                           # explicit tags too
    ("!!float .nan", "q3.ols", "invalid", "unexpected character '.'"),
    ("=", "q3.ols", "invalid", "without '='"),                                         # YAML 1.1: an error
    ("2024-01-01", "q3.ols", "incorrect", "read as 2024 - 1 - 1"),                     # YAML 1.1: a date
    ("1e3", "q3.ols", "incorrect", "read as 1000"),                                    # plain forms still read
]


def grade_texts(tmp_path: Path, texts: dict[str, str], set_path: str = SET) -> dict:
    subs = tmp_path / "subs"
    subs.mkdir(exist_ok=True)
    for student, text in texts.items():
        (subs / f"{student}.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["grade", set_path, "--submissions", str(subs), "--out", str(out), "--workers", "1",
                 "--quiet"]) == 0
    return {r["student"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}


def part_of(row: dict, dotted: str) -> dict:
    key, part = dotted.split(".")
    return next(p for p in row["parts"] if p["key"] == key and p["part"] == part)


class TestAnswersReadAsTyped:
    def test_every_yaml_1_1_conversion_is_the_text_the_student_typed(self, tmp_path, secret_env):
        texts = {}
        for i, (typed, dotted, _, _) in enumerate(AS_TYPED, 1):
            key, part = dotted.split(".")
            texts[f"s{i:03d}"] = f"student: s{i:03d}\nset: demo\nanswers:\n  {key}:\n    {part}: {typed}\n"
        got = grade_texts(tmp_path, texts)
        for i, (typed, dotted, verdict, words) in enumerate(AS_TYPED, 1):
            row = got[f"s{i:03d}"]
            assert row["status"] == "ok", (typed, row.get("message"))
            part = part_of(row, dotted)
            shown = part["feedback"] + " read as " + ((part.get("interpreted") or {}).get("plain") or "")
            assert part["verdict"] == verdict, (typed, part)
            assert words in shown, (typed, shown)

    def test_a_leading_zero_student_id_stays_as_written(self, tmp_path, secret_env):
        """YAML 1.1 reads ``student: 0012`` as the octal 10; the file named 0012 is 0012's."""
        got = grade_texts(tmp_path, {"0012": "student: 0012\nset: demo\nanswers: {}\n"})
        assert got["0012"]["status"] == "ok"

    def test_check_shows_the_typed_text(self, tmp_path, capsys):
        path = tmp_path / "s001.yaml"
        path.write_text("student: s001\nset: demo\nanswers:\n  q1:\n    total: 0x10\n")
        assert main(["check", str(path), "--set", SET]) == 1
        assert "contains 'x10'" in capsys.readouterr().out


class TestDuplicateKeys:
    CASES = {
        "part": ("answers:\n  q1:\n    total: 5\n    total: 7\n", "answers.q1.total", 5, 6),
        "problem": ("answers:\n  q1: {total: 5}\n  q2: {}\n  q1: {total: 7}\n", "answers.q1", 4, 6),
        "envelope": ("answers: {}\nstudent: s002\n", "student", 1, 4),
        "flow": ("answers: {q1: {total: 5, total: 7}}\n", "answers.q1.total", 3, 3),
    }

    def test_each_duplicate_is_an_invalid_row_naming_the_key_and_both_lines(self, tmp_path, secret_env):
        texts = {f"s{i:03d}": "student: s%03d\nset: demo\n" % i + body
                 for i, (body, *_) in enumerate(self.CASES.values(), 1)}
        got = grade_texts(tmp_path, texts)
        for i, (name, (_, key, first, second)) in enumerate(self.CASES.items(), 1):
            row = got[f"s{i:03d}"]
            assert row["status"] == "invalid", name
            assert row["message"] == (f"line {second}: key '{key}' is written twice (lines {first} and "
                                      f"{second}); YAML would keep only the last one: remove or rename "
                                      "one of them"), name
            assert {p["verdict"] for p in row["parts"]} == {"invalid"}

    def test_the_message_follows_the_sets_language(self, tmp_path, secret_env):
        ru = tmp_path / "ru.yaml"
        ru.write_text((ROOT / "sets" / "demo.yaml").read_text().replace("lang: en", "lang: ru"))
        got = grade_texts(tmp_path, {"s001": "student: s001\nset: demo\nanswers: {q1: {total: 1, total: 2}}\n"},
                          set_path=str(ru))
        assert got["s001"]["message"].startswith("строка 3: ключ 'answers.q1.total' записан дважды (строки 3 и 3)")

    def test_merge_keys_may_override(self):
        doc = parse_yaml("base: &b {x: 1, y: 2}\nmore: {<<: *b, y: 3}\n", "p.yaml")
        assert doc.data["more"] == {"x": 1, "y": 3}

    def test_a_duplicate_in_a_set_file_stops_grade_naming_file_and_lines(self, tmp_path, secret_env, capsys):
        bad = tmp_path / "set.yaml"
        bad.write_text("id: demo\nlang: en\nid: other\nproblems: []\n")
        (tmp_path / "subs").mkdir()
        assert main(["grade", str(bad), "--submissions", str(tmp_path / "subs"), "--out",
                     str(tmp_path / "out")]) == 1
        assert f"{bad}:3: key 'id' is written twice (lines 1 and 3)" in capsys.readouterr().err

    def test_a_duplicate_in_a_problem_file_fails_validate(self, tmp_path, capsys):
        text = (ROOT / "problems" / "networks" / "mlp-param-count.yaml").read_text()
        bad = tmp_path / "mlp-param-count.yaml"
        lines = text.splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if line.startswith("topic:"))
        bad.write_text("".join(lines[:at + 1] + [lines[at]] + lines[at + 1:]))
        assert main(["validate", str(bad), "--seeds", "1"]) == 1
        captured = capsys.readouterr()
        assert f"{bad}:{at + 2}: key 'topic' is written twice (lines {at + 1} and {at + 2})" in (
            captured.out + captured.err)


class TestInstructorFilesRefuseConversions:
    @pytest.mark.parametrize("text, value", [("1:30", "90"), ("0x10", "16"), ("017", "15"), ("0b11", "3"),
                                             ("1_000", "1000"), ("yes", "True"), ("Off", "False")])
    def test_a_surprising_scalar_is_an_error_with_the_plain_form(self, text, value):
        with pytest.raises(AuthorError) as info:
            parse_yaml(f"id: x\npoints: {text}\n", "p.yaml")
        assert info.value.line == 2
        assert f"'{text}' is read by YAML as {value}" in str(info.value)

    @pytest.mark.parametrize("text", ["12", "-3", "0.5", ".5", "1.0e-3", "true", "False", ".inf", "-.inf",
                                      ".nan", "'1:30'", '"yes"', "1e-3", "~"])
    def test_plain_forms_and_quoted_text_are_fine(self, text):
        parse_yaml(f"id: x\npoints: {text}\n", "p.yaml")

    def test_the_whole_bank_and_every_set_read_cleanly(self):
        for path in sorted([*ROOT.glob("problems/**/*.yaml"), *ROOT.glob("sets/*.yaml")]):
            parse_yaml(path.read_text(encoding="utf-8"), str(path))
