"""Reading YAML: safe loader, size cap, binary refusal, line numbers in messages."""

import pytest

from grader.errors import AuthorError
from grader.yamlio import MAX_YAML_DEPTH, load_yaml, parse_yaml


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


def answer(text, max_nodes=100_000):
    """An answer file as ``read_answer_file`` reads it (no key lines: the one-pass path)."""
    return parse_yaml(text, "s.yaml", max_nodes=max_nodes, as_typed=True, key_lines=False)


def refusal(text, **kw):
    with pytest.raises(AuthorError) as info:
        answer(text, **kw)
    return info.value.line, info.value.detail


class TestAnswerFilesWithoutLines:
    """Answer files without anchors are read in one pass; data and refusals are those of the general path."""

    @pytest.mark.parametrize("text, data", [
        ("", None),
        ("~", None),
        ("a", "a"),
        ("a: 1\nb: -2.5\nc: true\nd: ~\ne:\nf: 'x'\n", {"a": 1, "b": -2.5, "c": True, "d": None, "e": None, "f": "x"}),
        ("a: 0x10\nb: 1:30\nc: yes\nd: .inf\ne: 017\nf: 1_000\n",
         {"a": "0x10", "b": "1:30", "c": "yes", "d": ".inf", "e": "017", "f": "1_000"}),
        ("a: !!int 12\nb: !!int 0x10\nc: !!float .inf\nd: !!str 5\ne: !!timestamp 2001-01-01\nf: 2001-01-01\n",
         {"a": 12, "b": "0x10", "c": ".inf", "d": "5", "e": "2001-01-01", "f": "2001-01-01"}),
        ("1: a\n'1': b\n", {1: "a", "1": "b"}),            # an int key and a str key are two keys
        ("1: a\n+1: b\n", {1: "b"}),                       # equal as values: YAML keeps the last
        ("true: a\nTrue: b\n", {True: "b"}),
        ("q: [[1, 2], {w: [1, -1], b: 0.5}, []]\nr: {}\n", {"q": [[1, 2], {"w": [1, -1], "b": 0.5}, []], "r": {}}),
        ("d:\n  <<: {x: 1, y: 2}\n  y: 3\n", {"d": {"x": 1, "y": 3}}),   # merge keys
        ("a: &l [1, 2]\nb: *l\nc: 'R&D'\n", {"a": [1, 2], "b": [1, 2], "c": "R&D"}),
        ("!!set {a, b}\n", {"a", "b"}),
    ])
    def test_data_is_what_yaml_says(self, text, data):
        doc = answer(text)
        assert doc.data == data
        assert [type(v) for v in (doc.data.values() if isinstance(doc.data, dict) else ())] == \
               [type(v) for v in (data.values() if isinstance(data, dict) else ())]
        assert doc.lines == {}

    def test_a_key_written_twice_names_both_lines(self):
        assert refusal("a: 1\nb:\n  c: [1]\n  d: 2\n  c: 3\n") == (
            5, "key 'b.c' is written twice (lines 3 and 5); "
               "YAML would keep only the last one: remove or rename one of them")

    def test_the_depth_cap_itself_is_allowed_one_more_is_not(self):
        """The root mapping is a level: ``a: [[...]]`` with the cap's levels in all is read."""
        inner = MAX_YAML_DEPTH - 1
        ok = "a: " + "[" * inner + "1" + "]" * inner + "\n"
        assert answer(ok).data["a"] is not None
        deep = "a: " + "[" * (inner + 1) + "1" + "]" * (inner + 1) + "\n"
        assert refusal(deep) == (1, f"the document is nested more than {MAX_YAML_DEPTH} levels deep")

    @pytest.mark.parametrize("shape", ["[{}]", "{{{}}}"])
    def test_the_size_cap_counts_every_value_and_key(self, shape):
        n = 30
        items = ", ".join(["x"] * n) if shape == "[{}]" else ", ".join(f"k{i}: v" for i in range(n // 2))
        text = shape.format(items)
        assert answer(text, max_nodes=n + 1).data is not None          # n values and the root
        assert refusal(text, max_nodes=n) == (1, f"the document expands to more than {n:,} values "
                                                 "(nested anchors and aliases)")

    def test_an_alias_bomb_is_still_refused(self):
        assert refusal(BOMB, max_nodes=1000)[1].startswith("the document expands to more than 1,000")

    def test_a_loop_is_still_refused(self):
        assert refusal("q: &a {t: [1, *a]}\n") == (1, "an alias refers to a value that contains it (a loop)")

    def test_without_key_lines_the_general_path_gives_the_same_data(self):
        text = "student: s1\nset: demo\nanswers:\n  q1: {total: 3, w: [1, -1]}\n  q2: [0.5, '1/2']\n"
        fast = answer(text)
        slow = parse_yaml(text, "s.yaml", max_nodes=100_000, as_typed=True)
        assert fast.data == slow.data == {"student": "s1", "set": "demo",
                                          "answers": {"q1": {"total": 3, "w": [1, -1]}, "q2": [0.5, "1/2"]}}
        assert slow.line("answers", "q2", 1) == 5 and fast.lines == {}
