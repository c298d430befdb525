"""Reading YAML: safe loader, size cap, binary refusal, line numbers in messages."""

import pytest

from grader.errors import AuthorError
from grader.yamlio import load_yaml, parse_yaml


class TestParse:
    def test_records_line_of_nested_key(self):
        doc = parse_yaml("a: 1\nb:\n  c: 2\n  d: [1, 2]\n", "f.yaml")
        assert doc.line("b", "c") == 3
        assert doc.line("b", "d", 1) == 4

    def test_unknown_path_falls_back_to_deepest_known_prefix(self):
        doc = parse_yaml("a: 1\nb:\n  c: 2\n", "f.yaml")
        assert doc.line("b", "zzz") == 2

    def test_syntax_error_names_file_and_line(self):
        with pytest.raises(AuthorError) as info:
            parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "broken.yaml")
        assert info.value.file == "broken.yaml"
        assert info.value.line is not None and info.value.line >= 2
        assert "invalid YAML" in str(info.value)

    def test_python_tags_are_refused(self):
        with pytest.raises(AuthorError):
            parse_yaml("a: !!python/object/apply:os.system ['true']\n", "evil.yaml")


class TestLoad:
    def test_too_large(self, tmp_path):
        p = tmp_path / "big.yaml"
        p.write_text("a: " + "x" * 2000 + "\n")
        with pytest.raises(AuthorError, match="limit is 1,000"):
            load_yaml(p, max_bytes=1000)

    def test_binary(self, tmp_path):
        p = tmp_path / "bin.yaml"
        p.write_bytes(b"\x00\x01\x02garbage")
        with pytest.raises(AuthorError, match="binary"):
            load_yaml(p)

    def test_not_utf8(self, tmp_path):
        p = tmp_path / "latin.yaml"
        p.write_bytes("a: caf\xe9\n".encode("latin-1"))
        with pytest.raises(AuthorError, match="not UTF-8"):
            load_yaml(p)

    def test_missing_file(self, tmp_path):
        with pytest.raises(AuthorError, match="file not found"):
            load_yaml(tmp_path / "nope.yaml")


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))


class TestAliases:
    def test_alias_bomb_is_refused_where_size_is_capped(self):
        """Regression: recording line numbers once walked every aliased path (9^9 of them)."""
        with pytest.raises(AuthorError, match="expands to more than 1,000 values"):
            parse_yaml(BOMB, "answers.yaml", max_nodes=1000)

    def test_alias_bomb_in_author_files_is_walked_once(self):
        doc = parse_yaml(BOMB, "problem.yaml")
        assert doc.line("i") == 9

    def test_shared_anchors_are_fine(self):
        doc = parse_yaml("opts: &o [1, 2]\nagain: *o\n", "p.yaml", max_nodes=100)
        assert doc.data["again"] == [1, 2]
