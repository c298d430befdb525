"""`grader render`: per-student files, determinism across processes, no leaks, secret required."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main

ROSTER = "student_id,name\ns001,Ada\ns002,Boris\ns003,Vera\n"


@pytest.fixture
def roster(tmp_path) -> Path:
    p = tmp_path / "roster.csv"
    p.write_text(ROSTER, encoding="utf-8")
    return p


def render(root, roster, out, *extra) -> int:
    return main(["render", str(root / "tests" / "data" / "small-set.yaml"), "--roster", str(roster), "--out", str(out), *extra])


def tree_bytes(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class TestRender:
    def test_writes_every_file(self, root, roster, tmp_path, secret_env):
        out = tmp_path / "out"
        assert render(root, roster, out, "--format", "md,html,tex") == 0
        for sid in ("s001", "s002", "s003"):
            folder = out / "students" / sid
            for name in ("sheet.md", "sheet.html", "sheet.tex", "answers.yaml"):
                assert (folder / name).stat().st_size > 100, name
        key = json.loads((out / "key.json").read_text())
        assert key["set"] == "small" and set(key["students"]) == {"s001", "s002", "s003"}
        entry = key["students"]["s001"]["q1"]
        assert entry["problem"] == "mlp-param-count" and "params" in entry and "total" in entry["answers"]

    def test_html_is_self_contained_with_typeset_math(self, root, roster, tmp_path, secret_env):
        out = tmp_path / "out"
        render(root, roster, out, "--format", "html")
        html = (out / "students" / "s001" / "sheet.html").read_text()
        assert "<math" in html and "<script" not in html
        assert 'src="http' not in html and 'href="http' not in html  # nothing fetched from the network

    def test_students_differ(self, root, roster, tmp_path, secret_env):
        out = tmp_path / "out"
        render(root, roster, out)
        key = json.loads((out / "key.json").read_text())["students"]
        params = [json.dumps(key[s]["q1"]["params"], sort_keys=True) for s in ("s001", "s002", "s003")]
        assert len(set(params)) == 3

    def test_answer_template_parses_and_lists_every_part(self, root, roster, tmp_path, secret_env):
        import yaml
        out = tmp_path / "out"
        render(root, roster, out)
        data = yaml.safe_load((out / "students" / "s002" / "answers.yaml").read_text())
        assert data["student"] == "s002" and data["set"] == "small"
        assert set(data["answers"]["q1"]) == {"layers", "total", "total_no_bias", "half"}
        assert all(v is None for v in data["answers"]["q1"].values())

    def test_nothing_under_students_leaks_answers_or_secret(self, root, roster, tmp_path, secret_env):
        out = tmp_path / "out"
        render(root, roster, out, "--format", "md,html,tex")
        key = json.loads((out / "key.json").read_text())["students"]
        for sid, problems in key.items():
            blob = b"".join(tree_bytes(out / "students" / sid).values()).decode()
            assert secret_env.decode() not in blob
            for entry in problems.values():
                for value in entry["answers"].values():
                    # long enough to be a real leak rather than a coincidence (e.g. "1")
                    text = json.dumps(value) if isinstance(value, list) else str(value)
                    # words (choice ids) legitimately appear on the sheet as options
                    if len(text) >= 5 and any(ch.isdigit() for ch in text):
                        assert text not in blob, (sid, text)

    def test_refuses_without_secret(self, root, roster, tmp_path, monkeypatch, capsys):
        monkeypatch.delenv("GRADER_SECRET", raising=False)
        assert render(root, roster, tmp_path / "out") == 2
        assert "GRADER_SECRET" in capsys.readouterr().err
        assert not (tmp_path / "out").exists()

    def test_secret_file(self, root, roster, tmp_path, monkeypatch):
        monkeypatch.delenv("GRADER_SECRET", raising=False)
        secret = tmp_path / "secret.txt"
        secret.write_text("from-a-file-0123456789\n")
        secret.chmod(0o600)
        assert render(root, roster, tmp_path / "a", "--secret-file", str(secret)) == 0
        monkeypatch.setenv("GRADER_SECRET", "from-a-file-0123456789")
        render(root, roster, tmp_path / "b")
        assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")

    def test_different_secret_different_variants(self, root, roster, tmp_path, monkeypatch):
        monkeypatch.setenv("GRADER_SECRET", "secret one: 0123456789")
        render(root, roster, tmp_path / "a")
        monkeypatch.setenv("GRADER_SECRET", "secret two: 0123456789")
        render(root, roster, tmp_path / "b")
        assert (tmp_path / "a" / "key.json").read_bytes() != (tmp_path / "b" / "key.json").read_bytes()

    def test_russian_sheets(self, root, roster, tmp_path, secret_env):
        out = tmp_path / "out"
        render(root, roster, out, "--lang", "ru")
        assert "Задача 1" in (out / "students" / "s001" / "sheet.md").read_text()

    @pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
    @pytest.mark.parametrize("set_name", ["networks", "optimization", "matrix-calculus", "em", "kernels"])
    @pytest.mark.parametrize("lang", ["en", "ru"])
    def test_tex_compiles(self, root, roster, tmp_path, secret_env, set_name, lang):
        out = tmp_path / "out"
        main(["render", str(root / "sets" / f"{set_name}.yaml"), "--roster", str(roster), "--out", str(out),
              "--format", "tex", "--lang", lang])
        folder = out / "students" / "s001"
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"],
                             cwd=folder, capture_output=True, timeout=120)
        assert run.returncode == 0, run.stdout[-2000:]
        assert (folder / "sheet.pdf").stat().st_size > 10_000


class TestDeterminism:
    def test_byte_identical_across_processes_and_hash_seeds(self, root, roster, tmp_path):
        outs = []
        for i, hash_seed in enumerate(("0", "1234", "random")):
            out = tmp_path / f"run{i}"
            env = {**os.environ, "PYTHONHASHSEED": hash_seed, "GRADER_SECRET": "fixed-secret"}
            subprocess.run([sys.executable, "-m", "grader", "render", str(root / "tests" / "data" / "small-set.yaml"),
                            "--roster", str(roster), "--out", str(out), "--format", "md,html,tex"],
                           check=True, env=env, cwd=tmp_path, capture_output=True)
            outs.append(tree_bytes(out))
        assert outs[0] == outs[1] == outs[2]
        assert len(outs[0]) == 3 * 4 + 1
