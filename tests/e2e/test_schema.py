"""`grader schema --json`: accepts every shipped problem and set, rejects what the loader rejects."""

from __future__ import annotations

import json

import pytest
import yaml

from grader.bank.loader import build_problem, load_set
from grader.cli import main
from grader.errors import AuthorError
from grader.schema import json_schema
from grader.yamlio import parse_yaml

jsonschema = pytest.importorskip("jsonschema")

PROBLEM = jsonschema.Draft202012Validator(json_schema("problem"))
SET = jsonschema.Draft202012Validator(json_schema("set"))
EITHER = jsonschema.Draft202012Validator(json_schema("all"))


def test_the_schemas_are_valid_json_schema(capsys):
    for kind in ("problem", "set", "all"):
        jsonschema.Draft202012Validator.check_schema(json_schema(kind))
    assert main(["schema", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["$defs"]["part"]["properties"]["type"]["enum"]


def shipped(root, folder: str):
    return sorted((root / folder).rglob("*.yaml")) + sorted((root / "grader" / "course_template" / folder).rglob("*.yaml"))


def test_every_shipped_problem_and_set_is_accepted(root):
    problems, sets = shipped(root, "problems"), shipped(root, "sets")
    assert len(problems) >= 40 and len(sets) >= 7
    for file in problems:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        errors = [e.message for e in PROBLEM.iter_errors(data)]
        assert not errors, f"{file}: {errors[:3]}"
        assert EITHER.is_valid(data)
    for file in sets:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        assert not list(SET.iter_errors(data)), file
        assert EITHER.is_valid(data)


def _mutations(problem: dict):
    def edit(fn):
        data = json.loads(json.dumps(problem))
        fn(data)
        return data
    yield "unknown field", edit(lambda d: d.update(solvr="x"))
    yield "missing field", edit(lambda d: d.pop("statement"))
    yield "wrong type", edit(lambda d: d.update(topic=3))
    yield "missing translation", edit(lambda d: d["title"].pop("ru"))
    yield "extra language", edit(lambda d: d["title"].update(de="Titel"))
    yield "bad id", edit(lambda d: d.update(id="Bad_Id"))
    yield "schema version", edit(lambda d: d.update(schema_version=2))
    yield "unknown answer type", edit(lambda d: d["parts"][0].update(type="intger"))
    yield "field of another answer type", edit(lambda d: d["parts"][0].update(variables={}))
    yield "unknown parameter type", edit(lambda d: d["params"]["n_in"].update(type="integer"))
    yield "parameter field", edit(lambda d: d["params"]["n_in"].update(step=2))
    yield "misconception field", edit(lambda d: d["parts"][0]["misconceptions"][0].update(bugs="x"))
    yield "bad part id", edit(lambda d: d["parts"][0].update(id="1st"))


def test_mistakes_the_loader_rejects_the_schema_rejects_too(root):
    file = root / "problems" / "networks" / "mlp-param-count.yaml"
    problem = yaml.safe_load(file.read_text(encoding="utf-8"))
    assert PROBLEM.is_valid(problem)
    for what, broken in _mutations(problem):
        with pytest.raises(AuthorError):
            build_problem(parse_yaml(yaml.safe_dump(broken, allow_unicode=True), str(file)))
        assert not PROBLEM.is_valid(broken), f"the schema accepts a problem with: {what}"


def test_set_mistakes(root, tmp_path):
    base = {"id": "s", "title": {"en": "S", "ru": "С"}, "problems": [{"key": "q1", "problem": "mlp-param-count"}]}
    assert SET.is_valid(base)
    for broken in ({**base, "lang": "de"}, {**base, "problems": []}, {**base, "practise": True},
                   {**base, "problems": [{"key": "q1"}]}, {**base, "id": "a b"}):
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(broken))
        with pytest.raises(AuthorError):
            load_set(path)
        assert not SET.is_valid(broken), broken
