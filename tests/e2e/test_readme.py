"""The README's examples run: its YAML snippets load, its answer-language examples parse,
and its `grader compare` example says what the README claims."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from grader.bank.loader import load_problem, load_set
from grader.cli import main
from grader.lang import parse


@pytest.fixture
def readme(root) -> str:
    return (root / "README.md").read_text(encoding="utf-8")


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_problem_and_set_snippets_load(readme, tmp_path):
    problem, pset = [b for b in blocks(readme, "yaml") if "schema_version" in b or "problems:" in b]
    (tmp_path / "mlp-param-count.yaml").write_text(problem, encoding="utf-8")
    assert load_problem(tmp_path / "mlp-param-count.yaml").part("total").type == "integer"
    (tmp_path / "demo.yaml").write_text(pset, encoding="utf-8")
    assert [e.problem.id for e in load_set(tmp_path / "demo.yaml").entries] == \
        ["mlp-param-count", "softmax-temperature"]


def test_answer_file_snippet_is_valid_yaml(readme):
    answers = next(yaml.safe_load(b) for b in blocks(readme, "yaml") if b.startswith("student:"))
    assert answers["set"] == "demo" and answers["answers"]["q3"]["grad"] == "(A + A^T) x"


def test_answer_language_examples_parse(readme):
    section = readme[readme.index("Numbers may be written exactly"):readme.index("Check it before")]
    examples = [e for e in re.findall(r"`([^`]+)`", section) if not e.startswith("[[")]
    names = {"A": (3, 3), "x": (3, 1), "t": ()}
    assert len(examples) >= 7
    for example in examples:
        parse(example, names=names)


def test_compare_example(readme, capsys):
    command = re.search(r"`grader compare (--reference '[^']+' --answer '[^']+' --vars '[^']+')`", readme)
    args = re.findall(r"(--\w+) '([^']+)'", command.group(1))
    assert main(["compare", *[x for pair in args for x in pair], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "correct"
