"""No nesting reaches Python's recursion limit: deep YAML and deep answers are `invalid`.

Each depth runs through the three commands a student's text reaches (`grade`, `check`,
`compare`). 500 levels is a ~1 KB file; 5 000 and 50 000 levels also cross libyaml's own
cap and the answer length cap, which must give the same kind of message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import grader.yamlio as yamlio
from grader.cli import main
from grader.errors import AuthorError
from grader.yamlio import MAX_YAML_DEPTH, parse_yaml

ROOT = Path(__file__).resolve().parents[2]
SET = str(ROOT / "sets" / "demo.yaml")
DEPTHS = (500, 5_000, 50_000)
HEAD = "student: s001\nset: demo\nanswers:\n"
TOO_DEEP = f"nested more than {MAX_YAML_DEPTH} levels deep"


def flow(depth: int) -> str:
    """``total: [[[...1...]]]`` on line 5."""
    return HEAD + "  q1:\n    total: " + "[" * depth + "1" + "]" * depth + "\n"


def block(depth: int) -> str:
    """Block style without indentation blow-up: ``- - - 1`` nests one level per dash (line 6)."""
    return HEAD + "  q1:\n    total:\n    " + "- " * depth + "1\n"


def deep_mapping(depth: int) -> str:
    return HEAD + "  q1: " + "{a: " * depth + "1" + "}" * depth + "\n"


STYLES = {"flow": (flow, 5), "block": (block, 6), "mapping": (deep_mapping, 4)}


def grade_one(tmp_path: Path, text: str, name: str = "s001.yaml") -> dict:
    subs = tmp_path / "subs"
    subs.mkdir(exist_ok=True)
    (subs / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["grade", SET, "--submissions", str(subs), "--out", str(out), "--workers", "1",
                 "--quiet"]) == 0
    [row] = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return row


def no_internal_error(row: dict, capsys) -> None:
    assert row["status"] != "error", row.get("message")
    assert not any(p["check"].startswith("internal-error") for p in row["parts"])
    assert "internal error" not in capsys.readouterr().err


class TestDeepYaml:
    @pytest.mark.parametrize("depth", DEPTHS)
    @pytest.mark.parametrize("style", STYLES)
    def test_grade_gives_an_invalid_row_naming_the_line(self, tmp_path, secret_env, capsys, depth, style):
        make, line = STYLES[style]
        row = grade_one(tmp_path, make(depth))
        no_internal_error(row, capsys)
        assert row["status"] == "invalid"
        assert row["message"] == f"line {line}: the document is {TOO_DEEP}"
        assert {p["verdict"] for p in row["parts"]} == {"invalid"}

    @pytest.mark.parametrize("depth", DEPTHS)
    @pytest.mark.parametrize("style", STYLES)
    def test_check_says_why_and_exits_1(self, tmp_path, capsys, depth, style):
        make, line = STYLES[style]
        path = tmp_path / "s001.yaml"
        path.write_text(make(depth))
        assert main(["check", str(path), "--set", SET]) == 1
        captured = capsys.readouterr()
        assert f"line {line}: the document is {TOO_DEEP}" in captured.out + captured.err
        assert "Traceback" not in captured.out + captured.err

    @pytest.mark.parametrize("loader", ["libyaml", "pure-python"])
    @pytest.mark.parametrize("depth", DEPTHS)
    def test_both_yaml_parsers_stop_at_the_same_cap(self, monkeypatch, loader, depth):
        """PyYAML's own composer recurses 2-3 frames a level; libyaml's is capped at 1000."""
        if loader == "pure-python":
            if depth > 500:
                pytest.skip("the pure-Python scanner takes seconds over 10 kB of brackets; 500 shows it")
            monkeypatch.setattr(yamlio, "_SafeLoader", yaml.SafeLoader)
        elif not hasattr(yaml, "CSafeLoader"):
            pytest.skip("libyaml not installed")
        for make in (flow, block):
            with pytest.raises(AuthorError, match=TOO_DEEP):
                parse_yaml(make(depth), "a.yaml", max_nodes=100_000, as_typed=True)
            with pytest.raises(AuthorError, match=TOO_DEEP):
                parse_yaml(make(depth), "problem.yaml")

    @pytest.mark.parametrize("loader", ["libyaml", "pure-python"])
    def test_the_cap_itself_is_allowed(self, monkeypatch, loader):
        if loader == "pure-python":
            monkeypatch.setattr(yamlio, "_SafeLoader", yaml.SafeLoader)
        ok = "[" * MAX_YAML_DEPTH + "1" + "]" * MAX_YAML_DEPTH
        assert parse_yaml(ok, "f.yaml").data is not None
        with pytest.raises(AuthorError, match=TOO_DEEP):
            parse_yaml("[" + ok + "]", "f.yaml")

    def test_aliases_count_their_depth(self):
        """Depth through an alias is the depth of what it stands for, not of where it is written."""
        half = MAX_YAML_DEPTH // 2 + 1
        text = "a: &a " + "[" * half + "1" + "]" * half + "\nb: " + "[" * half + "*a" + "]" * half + "\n"
        with pytest.raises(AuthorError, match=TOO_DEEP):
            parse_yaml(text, "f.yaml")

    def test_an_alias_inside_itself_is_a_loop_not_a_crash(self, tmp_path, secret_env, capsys):
        row = grade_one(tmp_path, HEAD + "  q1: &a {total: [1, *a]}\n")
        no_internal_error(row, capsys)
        assert row["status"] == "invalid" and "loop" in row["message"] and row["message"].startswith("line 4")

    def test_merge_keys_chained_deeply_are_a_message(self):
        """The constructor flattens merge keys recursively: a long chain is still only a message."""
        text = "a0: &a0 {x: 1}\n" + "".join(f"a{i}: &a{i} {{<<: *a{i - 1}, y{i}: 1}}\n" for i in range(1, 1500))
        with pytest.raises(AuthorError):
            parse_yaml(text, "f.yaml")

    @pytest.mark.parametrize("depth", DEPTHS)
    def test_a_deep_problem_file_fails_validate_naming_it(self, tmp_path, capsys, depth):
        path = tmp_path / "deep.yaml"
        path.write_text("schema_version: 1\nid: deep\nparams: " + "[" * depth + "]" * depth + "\n")
        assert main(["validate", str(path), "--seeds", "1"]) == 1
        captured = capsys.readouterr()
        assert f"{path}:3: the document is {TOO_DEEP}" in captured.out + captured.err
        assert "Traceback" not in captured.out + captured.err


def answer_strings(depth: int) -> dict:
    return {"brackets": "(" * depth + "a" + ")" * depth, "lists": "[" * depth + "1" + "]" * depth,
            "powers": "a^" * depth + "a", "signs": "-" * depth + "a",
            "latex": "$" + "{" * depth + "a" + "}" * depth + "$"}


class TestDeepAnswerStrings:
    @pytest.mark.parametrize("depth", DEPTHS)
    def test_grade_makes_the_part_invalid_with_a_message(self, tmp_path, secret_env, capsys, depth):
        """One file per string (all five at 50 000 levels would pass the file size cap)."""
        subs = tmp_path / "subs"
        subs.mkdir()
        texts = answer_strings(depth)
        for i, text in enumerate(texts.values(), 1):
            (subs / f"s{i:03d}.yaml").write_text(
                f"student: s{i:03d}\nset: demo\nanswers:\n  q5:\n    grad_lin: {json.dumps(text)}\n")
        out = tmp_path / "out"
        assert main(["grade", SET, "--submissions", str(subs), "--out", str(out), "--workers", "1",
                     "--quiet"]) == 0
        rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
        assert len(rows) == len(texts)
        for name, row in zip(texts, sorted(rows, key=lambda r: r["student"])):
            no_internal_error(row, capsys)
            [part] = [p for p in row["parts"] if p["key"] == "q5" and p["part"] == "grad_lin"]
            assert part["verdict"] == "invalid" and part["score"] == 0, name
            assert "nested too deeply" in part["feedback"] or "too long" in part["feedback"], (name, part)

    @pytest.mark.parametrize("depth", DEPTHS)
    def test_check_flags_the_answer(self, tmp_path, capsys, depth):
        for name, text in answer_strings(depth).items():
            path = tmp_path / f"{name}.yaml"
            path.write_text(HEAD + f"  q5:\n    grad_lin: {json.dumps(text)}\n")
            assert main(["check", str(path), "--set", SET]) == 1, name
            out = capsys.readouterr().out
            assert "Traceback" not in out
            assert "nested too deeply" in out or "too long" in out, (name, out[-300:])

    @pytest.mark.parametrize("depth", DEPTHS)
    @pytest.mark.parametrize("kind", ["expression", "matrix-expression", "number", "matrix"])
    def test_compare_answers_invalid(self, capsys, depth, kind):
        variables = "a:2x1" if kind == "matrix-expression" else "a"
        for name, text in answer_strings(depth).items():
            reference = {"matrix": "[[1], [2]]", "number": "1"}.get(kind, "a")
            assert main(["compare", "--reference", reference,
                         f"--answer={text}", "--vars", variables, "--kind", kind, "--json"]) == 0, name
            out = json.loads(capsys.readouterr().out)
            assert out["verdict"] == "invalid", (name, out)
            assert "nested too deeply" in out["message"] or "too long" in out["message"], (name, out)

    @pytest.mark.parametrize("depth", DEPTHS)
    def test_compare_batch_lines_nested_in_json(self, tmp_path, capsys, depth):
        """json.loads itself recurses: a deep line is a message and the batch goes on."""
        batch = tmp_path / "b.jsonl"
        batch.write_text(
            '{"reference": "x", "answer": ' + "[" * depth + "]" * depth + ', "variables": {"x": []}}\n'
            + json.dumps({"reference": "x", "answer": "(" * depth + "x" + ")" * depth, "variables": {"x": []}})
            + "\n" + json.dumps({"reference": "x", "answer": "x", "variables": {"x": []}}) + "\n")
        assert main(["compare", "--batch", str(batch)]) == 0
        lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert len(lines) == 3
        # a line that cannot be judged is an error object (SPEC); a deep answer string is invalid
        assert "error" in lines[0] or lines[0]["verdict"] == "invalid", lines[0]
        assert "error" in lines[1] or lines[1]["verdict"] == "invalid", lines[1]
        assert lines[2]["verdict"] == "correct"


# Strings just inside every cap: the deepest answers the language accepts must be graded
# (a verdict, any verdict) by every walk over their tree -- printing, evaluation, shapes,
# equivalence -- at the stack depth of a real batch, not only from a shallow test.
AT_THE_CAP = {
    "grad_lin": "a" + " + a" * 249,                       # a left-deep sum, 250 levels
    "grad_quad": "-" * 249 + "(A + A^T) x",
    "hess_quad": "(" * 59 + "A + A^T" + ")" * 59,          # 60 levels of brackets
    "grad_log": "x^T" * 1 + "^T" * 240,
    "grad_X": "sigmoid(" * 59 + "1" + ")" * 59 + " * a a^T",
}


class TestAtTheCaps:
    def test_deepest_accepted_answers_are_graded_without_internal_error(self, tmp_path, secret_env, capsys):
        text = HEAD + "  q5:\n" + "".join(f"    {k}: {json.dumps(v)}\n" for k, v in AT_THE_CAP.items())
        row = grade_one(tmp_path, text)
        no_internal_error(row, capsys)
        got = {p["part"]: p for p in row["parts"] if p["key"] == "q5" and p["part"] in AT_THE_CAP}
        assert set(got) == set(AT_THE_CAP)
        for part in got.values():
            assert part["verdict"] in ("correct", "incorrect", "invalid", "undecided", "partial"), part

    def test_powers_at_the_cap_from_deep_in_the_stack(self, capsys):
        """Printing a power chain costs three frames a level: the cap leaves room for callers."""
        def nested(n):
            return nested(n - 1) if n else main(["compare", "--reference", "x", "--answer", "x^" * 249 + "x",
                                                  "--vars", "x", "--json"])
        assert nested(300) == 0
        assert json.loads(capsys.readouterr().out)["verdict"] in ("incorrect", "undecided")
