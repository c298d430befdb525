"""A tiny bank built in a temporary folder, for the bank and authoring-error tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


def make_bank(root: Path, *, solver_body: str = "return {'answer': p['a'] + p['b']}",
              problem_id: str = "course-sum", helper: str | None = None, marker: bool = True) -> Path:
    """A minimal bank: one family, its solver module `course.py`, a set."""
    (root / "problems" / "course").mkdir(parents=True)
    (root / "reference").mkdir()
    (root / "sets").mkdir()
    if marker:
        (root / "grader.toml").write_text("[course]\n")
    (root / "problems" / "course" / f"{problem_id}.yaml").write_text(textwrap.dedent(f"""\
        schema_version: 1
        id: {problem_id}
        family: X1
        topic: course
        title: {{en: A sum, ru: Сумма}}
        seed: {{source: test}}
        params:
          a: {{type: int, min: 1, max: 9}}
          b: {{type: int, min: 10, max: 19}}
        solver: reference.course:solve
        statement:
          en: "Add {{{{ a }}}} and {{{{ b }}}}."
          ru: "Сложите {{{{ a }}}} и {{{{ b }}}}."
        parts:
          - id: answer
            type: integer
            prompt: {{en: The sum?, ru: Сумма?}}
        """), encoding="utf-8")
    (root / "reference" / "course.py").write_text(
        (helper or "") + "\n\ndef solve(p, *, bug=None, given=None):\n    " + solver_body + "\n", encoding="utf-8")
    (root / "sets" / "mixed.yaml").write_text(textwrap.dedent(f"""\
        id: mixed
        title: {{en: Mixed, ru: Смесь}}
        problems:
          - {{key: q1, problem: {problem_id}, points: 2}}
          - {{key: q2, problem: mlp-param-count, points: 5}}
        """), encoding="utf-8")
    return root
