"""Authoring errors point at the source: the problem file, the language, the template line
(once, not once per seed); a failing solver's own file and line and the drawn parameters."""

from __future__ import annotations

import pytest

from grader.bank.loader import load_problem, use_banks
from grader.cli import main
from grader.errors import AuthorError

from bank_helpers import make_bank


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv("GRADER_BANK", raising=False)
    monkeypatch.setenv("GRADER_SECRET", "authoring-test-secret-0123456789")
    use_banks(())


def family(bank):
    return bank / "problems" / "course" / "course-sum.yaml"


def file_line(path, needle: str) -> int:
    return next(i for i, row in enumerate(path.read_text().splitlines(), 1) if needle in row)


def break_template(path, lang: str, old: str, new: str) -> None:
    text = path.read_text()
    marker = f'  {lang}: "'
    start = text.index(marker)
    end = text.index("\n", start)
    path.write_text(text[:start] + text[start:end].replace(old, new) + text[end:])


def test_undefined_name_names_file_language_and_line(tmp_path):
    bank = make_bank(tmp_path / "c")
    break_template(family(bank), "ru", "{{ b }}", "{{ c }}")
    with pytest.raises(AuthorError) as err:
        load_problem(family(bank))
    text = err.value.render()
    assert text.startswith(f"{family(bank)}:{file_line(family(bank), '{{ c }}')}:")
    assert "statement.ru" in text and "the ru template, line 1" in text and "'c' is undefined" in text


def test_block_template_syntax_error_points_at_the_file_line(tmp_path):
    bank = make_bank(tmp_path / "c")
    text = family(bank).read_text().replace('  en: "Add {{ a }} and {{ b }}."',
                                            "  en: |\n    Add {{ a }}\n    and {{ b + }}.")
    family(bank).write_text(text)
    with pytest.raises(AuthorError) as err:
        load_problem(family(bank))
    assert err.value.line == file_line(family(bank), "{{ b + }}")
    assert "the en template, line 2" in err.value.render()


def test_validate_reports_a_template_error_once(tmp_path, monkeypatch, capsys):
    bank = make_bank(tmp_path / "c")
    break_template(family(bank), "en", "{{ a }}", "{{ nope }}")
    monkeypatch.chdir(bank)
    assert main(["validate", "--seeds", "20", "--workers", "1"]) == 1
    out = capsys.readouterr().out
    assert out.count("'nope' is undefined") == 1 and "course-sum.yaml" in out


def test_a_template_failing_on_every_draw_is_one_error_with_a_count(tmp_path, monkeypatch, capsys):
    bank = make_bank(tmp_path / "c")
    break_template(family(bank), "en", "{{ a }}", "{{ a.missing_attribute }}")
    monkeypatch.chdir(bank)
    assert main(["validate", "--seeds", "10", "--workers", "1"]) == 1
    out = capsys.readouterr().out
    from grader.render.leaks import LEAK_SEEDS
    from grader.validate import RENDER_EVERY
    rendered = sum(1 for s in range(10) if s % RENDER_EVERY == 0 or s < LEAK_SEEDS)   # the seeds templates render on
    assert out.count("the en template, line 1 does not render") == 1 and f"the same on {rendered} of 10 seeds" in out
    (bank / "roster.csv").write_text("student_id\ns1\n")
    assert main(["render", "sets/mixed.yaml", "--roster", "roster.csv", "--out", "out"]) == 1
    err = capsys.readouterr().err
    assert "course-sum.yaml" in err and "does not render" in err and "Traceback" not in err


def test_a_failing_solver_names_its_line_and_the_params(tmp_path, monkeypatch, capsys):
    bank = make_bank(tmp_path / "c", solver_body="return {'answer': p['a'] / (p['b'] - p['b'])}")
    monkeypatch.chdir(bank)
    (bank / "roster.csv").write_text("student_id\ns1\n")
    assert main(["render", "sets/mixed.yaml", "--roster", "roster.csv", "--out", "out"]) == 1
    err = capsys.readouterr().err
    line = file_line(bank / "reference" / "course.py", "p['b'] - p['b']")
    assert f"course.py:{line}: ZeroDivisionError" in err and "params: a=" in err and "Traceback" not in err
    assert main(["validate", "--seeds", "5", "--workers", "1"]) == 1
    out = capsys.readouterr().out
    assert out.count("ZeroDivisionError") == 1 and "the same on 5 of 5 seeds" in out
