"""`grader list`, `check`, `compare`, `validate`, `schema-docs`, `demo` as SPEC describes them."""

from __future__ import annotations

import json

import pytest
import yaml

from grader.cli import main


class TestList:
    def test_json_lists_every_family_with_parts(self, root, capsys):
        assert main(["list", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        ids = {r["id"] for r in rows}
        assert {"mlp-param-count", "softmax-temperature", "lsq-gd-two-steps"} <= ids
        assert len(ids) == len(list((root / "problems").rglob("*.yaml")))
        row = next(r for r in rows if r["id"] == "mlp-param-count")
        assert row["topic"] == "networks" and row["title"]
        assert {"id": "total", "type": "integer"} in row["parts"]

    def test_every_family_of_problems_md_is_in_the_bank(self, capsys):
        main(["list", "--json"])
        families = {r["family"] for r in json.loads(capsys.readouterr().out)}
        expected = {f"{letter}{n}" for letter, count in zip("ABCDEFGH", (7, 5, 2, 2, 3, 6, 6, 5))
                    for n in range(1, count + 1)}
        assert expected <= families


class TestCheck:
    def write(self, tmp_path, answers, set_id="small"):
        p = tmp_path / "answers.yaml"
        p.write_text(yaml.safe_dump({"student": "s001", "set": set_id, "answers": answers}))
        return p

    def test_echoes_readings_and_flags_problems(self, root, tmp_path, capsys):
        p = self.write(tmp_path, {"q1": {"total": "3*4+1", "layers": [1, 2]},
                                  "q2": {"p_one": "[0.2, 0.3, 0.5]"}})
        code = main(["check", str(p), "--set", str(root / "tests" / "data" / "small-set.yaml")])
        out = capsys.readouterr().out
        assert code == 1                       # the layers list has the wrong length
        assert "total: read as 13" in out
        assert "expected 4 entries, got 2 entries" in out
        assert "p_one: read as [0.2, 0.3, 0.5]" in out
        assert "correct" not in out            # no correctness on a non-practice set

    def test_all_readable(self, root, tmp_path, capsys):
        p = self.write(tmp_path, {"q1": {"total": 84701}})
        assert main(["check", str(p), "--set", str(root / "tests" / "data" / "small-set.yaml")]) == 0
        assert "all answers readable" in capsys.readouterr().out

    def test_wrong_set(self, root, tmp_path, capsys):
        p = self.write(tmp_path, {}, set_id="other")
        assert main(["check", str(p), "--set", str(root / "tests" / "data" / "small-set.yaml")]) == 1
        assert "this is set 'small'" in capsys.readouterr().out

    def test_practice_set_reveals_correctness(self, root, tmp_path, capsys, secret_env):
        practice = tmp_path / "practice.yaml"
        practice.write_text("id: practice\ntitle: {en: P, ru: П}\npractice: true\n"
                            "problems:\n  - {key: q1, problem: mlp-param-count}\n")
        p = self.write(tmp_path, {"q1": {"total": 1}}, set_id="practice")
        main(["check", str(p), "--set", str(practice)])
        out = capsys.readouterr().out
        assert "practice score" in out and "q1.total: incorrect" in out


class TestCompare:
    @pytest.mark.parametrize("ref, ans, extra, verdict", [
        ("(A + A^T) x", "A x + A^T x", ["--vars", "A:3x3,x:3x1"], "correct"),
        ("(A + A^T) x", "2 A x", ["--vars", "A:3x3,x:3x1"], "incorrect"),
        ("(A + A^T) x", "x^T A", ["--vars", "A:3x3,x:3x1"], "invalid"),
        ("tanh(x)", "2*sigmoid(2x) - 1", ["--vars", "x"], "correct"),
        ("0.75", "3/4", [], "correct"),
        ("0.75", "3/", [], "invalid"),
    ])
    def test_single(self, ref, ans, extra, verdict, capsys):
        assert main(["compare", "--reference", ref, "--answer", ans, "--json", *extra]) == 0
        assert json.loads(capsys.readouterr().out)["verdict"] == verdict

    def test_batch_keeps_order(self, tmp_path, capsys):
        lines = [
            {"reference": "x^2 - 1", "answer": "(x-1)(x+1)", "variables": {"x": []}, "kind": "expression"},
            {"reference": "A^T", "answer": "A", "variables": {"A": [2, 2]}, "kind": "matrix-expression"},
            {"reference": "[[1, 2], [3, 4]]", "answer": "[[1, 3], [2, 4]]", "variables": {}, "kind": "matrix"},
            {"reference": "1e-8", "answer": "0", "variables": {}, "kind": "number"},
            {"oops": 1},
        ]
        batch = tmp_path / "b.jsonl"
        batch.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        assert main(["compare", "--batch", str(batch)]) == 0
        out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert [o["verdict"] for o in out[:4]] == ["correct", "incorrect", "incorrect", "incorrect"]
        assert "transpose" in out[2]["message"]
        assert all(set(o) == {"verdict", "check", "interpreted", "message"} for o in out[:4])
        assert set(out[4]) == {"error"} and "line 5" in out[4]["error"]   # judged: nothing


class TestValidate:
    def test_one_family_passes(self, root, capsys):
        code = main(["validate", str(root / "problems" / "networks" / "mlp-param-count.yaml"),
                     "--seeds", "20", "--workers", "1"])
        assert code == 0, capsys.readouterr().out

    def test_broken_problem_fails_with_a_readable_list(self, root, tmp_path, capsys):
        text = (root / "problems" / "networks" / "mlp-param-count.yaml").read_text()
        broken = tmp_path / "mlp-param-count.yaml"
        broken.write_text(text.replace("bug: no-output-layer", "bug: no-such-bug", 1))
        code = main(["validate", str(broken), "--seeds", "5", "--workers", "1"])
        out = capsys.readouterr().out
        assert code == 1 and "no-such-bug" in out and "never produces a distinct wrong answer" in out

    def test_schema_error_names_file_line_field(self, root, tmp_path, capsys):
        text = (root / "problems" / "networks" / "mlp-param-count.yaml").read_text()
        broken = tmp_path / "mlp-param-count.yaml"
        broken.write_text(text.replace("type: integer", "type: intger", 1))
        assert main(["validate", str(broken), "--seeds", "1"]) == 1
        out = capsys.readouterr().out
        line = next(i for i, l in enumerate(broken.read_text().splitlines(), 1) if "intger" in l)
        assert f"mlp-param-count.yaml:{line}" in out and "parts.1.type" in out and "intger" in out


class TestSchemaDocs:
    def test_committed_reference_matches_the_schema(self, root, capsys):
        main(["schema-docs"])
        generated = capsys.readouterr().out
        committed = (root / "docs" / "format-reference.md").read_text()
        assert generated == committed, "run: grader schema-docs > docs/format-reference.md"


class TestDemo:
    def test_demo_runs_and_writes_every_output(self, tmp_path, capsys):
        out = tmp_path / "demo"
        assert main(["demo", "--out", str(out), "--workers", "1"]) == 0
        printed = capsys.readouterr().out
        for name in ("results.jsonl", "gradebook.csv", "junit.xml", "summary.json"):
            assert (out / "grade" / name).is_file()
        assert (out / "render" / "key.json").is_file()
        rows = {r["student"]: r for r in map(json.loads, (out / "grade" / "results.jsonl").read_text().splitlines())}
        assert rows["s001"]["score"] == rows["s001"]["max"]          # the key itself
        assert rows["s002"]["score"] == rows["s002"]["max"]          # right, written differently
        assert rows["s003"]["score"] < rows["s003"]["max"] / 2       # typical mistakes
        assert any(p["misconception"] for p in rows["s003"]["parts"])
        assert rows["s006"]["status"] == "invalid" and rows["s007"]["status"] == "missing"
        assert rows["x999"]["status"] == "invalid"
        assert "s001" in printed and "total" in printed
