"""Rosters: ids become folder names, so unsafe ones are refused with file, line and field."""

import pytest

from grader.bank.roster import load_roster
from grader.errors import AuthorError


def write(tmp_path, text):
    p = tmp_path / "roster.csv"
    p.write_text(text, encoding="utf-8")
    return p


class TestRoster:
    def test_reads_ids_and_names(self, tmp_path):
        rows = load_roster(write(tmp_path, "student_id,name\ns001,Ada\ns-2.b_3,Boris\n"))
        assert [r["student_id"] for r in rows] == ["s001", "s-2.b_3"]
        assert rows[0]["name"] == "Ada"

    @pytest.mark.parametrize("bad", ["../x", "a/b", "", "x" * 65, "..", "a b", "имя"])
    def test_unsafe_id_is_refused_with_line(self, tmp_path, bad):
        with pytest.raises(AuthorError) as info:
            load_roster(write(tmp_path, f"student_id,name\ns001,Ada\n{bad},Eve\n"))
        assert info.value.line == 3
        assert info.value.field == "student_id"
        assert "roster.csv:3" in str(info.value)

    def test_missing_column(self, tmp_path):
        with pytest.raises(AuthorError, match="no student_id column"):
            load_roster(write(tmp_path, "id,name\ns001,Ada\n"))

    def test_duplicate(self, tmp_path):
        with pytest.raises(AuthorError, match="duplicate"):
            load_roster(write(tmp_path, "student_id\ns001\ns001\n"))
