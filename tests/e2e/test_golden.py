"""Golden files: a rendered sheet and answer file, byte for byte.

A change to a statement, a filter or the layout shows up here as a readable diff.
When the change is intended: UPDATE_GOLDEN=1 python -m pytest tests/e2e/test_golden.py
"""

from __future__ import annotations

import os

import pytest

from grader.bank.loader import load_set
from grader.render.sheets import render_set

SECRET = b"golden-secret"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_sheet_and_answer_file_match_the_golden_copies(root, tmp_path, lang):
    pset = load_set(root / "tests" / "data" / "small-set.yaml")
    render_set(pset, [{"student_id": "s001", "name": "Ada", "email": ""}], tmp_path, SECRET, lang=lang)
    golden = root / "tests" / "data" / "golden"
    for name in ("sheet.md", "answers.yaml"):
        got = (tmp_path / "students" / "s001" / name).read_text(encoding="utf-8")
        path = golden / f"{lang}-{name}"
        if os.environ.get("UPDATE_GOLDEN"):
            path.write_text(got, encoding="utf-8")
        assert got == path.read_text(encoding="utf-8"), f"{path} differs; see the module docstring"
