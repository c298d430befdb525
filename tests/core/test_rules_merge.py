"""Rules of grading/merge.py: shards fit together (one plan, one secret, i = 1..n once,
each complete) or the merge is refused naming the folder; a merge equals the unsharded run.

One tiny batch (six students, three of them with a file; a file of a student not
enrolled; a file naming nobody) is
graded once per module, whole and in three shards; each test copies what it changes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.bank.loader import load_set
from grader.errors import UsageError
from grader.grading.batch import grade_batch
from grader.grading.merge import SAME, _complete_lines, merge_shards, read_shards

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"merge-rules-secret-0123456789"
ROSTER = ["s1", "s2", "s3", "s4", "s5", "s10"]   # s10 sorts after s1 as an id, before it as JSON text


@pytest.fixture(scope="module")
def pset():
    return load_set(str(ROOT / "tests" / "data" / "small-set.yaml"))


@pytest.fixture(scope="module")
def graded(pset, tmp_path_factory):
    base = tmp_path_factory.mktemp("merge")
    subs = base / "subs"
    subs.mkdir()
    for s in ("s2", "s4", "s5"):
        (subs / f"{s}.yaml").write_text(f"student: {s}\nset: small\nanswers:\n  q1: {{layers: 3}}\n")
    (subs / "x9.yaml").write_text("student: x9\nset: small\n")        # not enrolled: still a row
    (subs / "bad id.yaml").write_text("nobody\n")                  # names nobody: an invalid row
    grade_batch(pset, SECRET, subs, base / "whole", roster=ROSTER)
    for i in (1, 2, 3):
        grade_batch(pset, SECRET, subs, base / f"shard{i}", roster=ROSTER, shard=(i, 3))
    return base


@pytest.fixture
def shards(graded, tmp_path):
    """Fresh copies of the three shard folders (and the whole run) a test may edit."""
    for name in ("shard1", "shard2", "shard3", "whole"):
        shutil.copytree(graded / name, tmp_path / name)
    return [tmp_path / f"shard{i}" for i in (1, 2, 3)]


def manifest(d: Path) -> dict:
    return json.loads((d / "batch.json").read_text())


def edit(d: Path, **changes):
    m = manifest(d)
    m.update(changes)
    (d / "batch.json").write_text(json.dumps(m))


def refused(dirs) -> str:
    with pytest.raises(UsageError) as err:
        read_shards(dirs)
    return str(err.value)


class TestShardsFit:
    def test_three_shards_in_any_order_fit(self, shards):
        found = read_shards([shards[2], shards[0], shards[1]])
        assert [m["_dir"] for m in found] == [shards[2], shards[0], shards[1]]
        assert sum(m["items"] for m in found) == found[0]["plan_items"] == 8   # 6 students, x9, 'bad id.yaml'

    def test_no_folders(self):
        with pytest.raises(UsageError, match="^no shard folders given$"):
            read_shards([])

    def test_a_folder_without_a_manifest_or_results_is_not_a_batch(self, shards, tmp_path):
        (tmp_path / "empty").mkdir()
        assert refused([tmp_path / "empty"]) == (f"{tmp_path / 'empty'}: not a graded batch "
                                                 "(expected batch.json and results.jsonl)")
        (shards[1] / "results.jsonl").unlink()
        assert refused(shards) == f"{shards[1]}: not a graded batch (expected batch.json and results.jsonl)"
        (shards[0] / "batch.json").write_text("{not json")
        assert "not a graded batch" in refused(shards[:1])

    @pytest.mark.parametrize("key", SAME)
    def test_every_setting_must_match_the_first(self, shards, key):
        edit(shards[2], **{key: "other"})
        assert refused(shards) == f"{shards[2]} does not belong with {shards[0]}: {key} differ"

    def test_every_differing_setting_is_named(self, shards):
        edit(shards[1], lang="ru", secret_tag="x")
        assert refused(shards) == f"{shards[1]} does not belong with {shards[0]}: lang, secret_tag differ"

    def test_other_fields_may_differ(self, shards):
        edit(shards[1], set_file="elsewhere.yaml", files={})
        assert len(read_shards(shards)) == 3

    def test_an_unsharded_batch_merges_only_alone(self, shards, tmp_path):
        whole = tmp_path / "whole"
        assert [m["_dir"] for m in read_shards([whole])] == [whole]
        for key in SAME:   # so that only the unsharded one is wrong
            edit(whole, **{key: manifest(shards[0]).get(key)})
        assert refused([shards[0], whole]) == f"{whole} is an unsharded batch; merge only shards of one batch"

    def test_a_shard_given_twice(self, shards):
        assert refused([shards[0], shards[1], shards[0]]) == f"{shards[0]} and {shards[0]} are both shard 1/3"

    def test_two_folders_holding_the_same_shard(self, shards, tmp_path):
        twin = tmp_path / "twin"
        shutil.copytree(shards[1], twin)
        assert refused([shards[0], shards[1], twin, shards[2]]) == f"{twin} and {shards[1]} are both shard 2/3"

    def test_every_shard_must_be_there(self, shards):
        assert refused(shards[:1]) == "shard(s) 2/3, 3/3 missing"
        assert refused([shards[0], shards[2]]) == "shard(s) 2/3 missing"
        assert refused([shards[1], shards[2]]) == "shard(s) 1/3 missing"

    def test_shards_of_different_splits(self, shards):
        edit(shards[1], shard="2/4")
        assert refused(shards) == "the folders come from different splits: /3, /4"

    def test_an_unfinished_shard_must_be_resumed_first(self, shards):
        results = shards[1] / "results.jsonl"
        lines = results.read_bytes().splitlines(keepends=True)
        results.write_bytes(b"".join(lines[:-1]) + lines[-1].rstrip(b"\n"))
        n = manifest(shards[1])["items"]
        assert refused(shards) == (f"{shards[1]}: {n - 1} of {n} results; finish it with "
                                   "`grader grade --resume` first")

    def test_only_complete_lines_count(self, tmp_path):
        f = tmp_path / "r.jsonl"
        f.write_bytes(b"a\nb\nc")
        assert _complete_lines(f) == 2
        f.write_bytes(b"")
        assert _complete_lines(f) == 0


class TestMerge:
    def tree(self, d: Path) -> dict:
        return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*"))
                if p.is_file() and p.name not in (".lock", "stats.json")}

    def test_the_merge_equals_the_unsharded_run(self, pset, shards, tmp_path):
        out = tmp_path / "merged"
        summary = merge_shards(pset, [shards[1], shards[2], shards[0]], out)
        whole = self.tree(tmp_path / "whole")
        merged = self.tree(out)
        assert merged.keys() == whole.keys() - {"stats.json"}
        assert merged == whole
        assert summary["rows"] == 8 and summary == json.loads((out / "summary.json").read_text())
        # the class is the roster's, as in the unsharded run: x9's file counts in no figure
        assert (summary["class_size"], summary["not_enrolled"]) == (6, 1)
        m = manifest(out)
        assert m["shard"] is None and m["items"] == 8 and m["formats"] == []
        assert not any(p.name.endswith(".tmp") for p in out.iterdir())

    def test_a_merge_replaces_an_earlier_batch_in_out_and_can_run_again(self, pset, shards, tmp_path):
        out = tmp_path / "merged"
        out.mkdir()
        (out / "results.jsonl.tmp").write_text("stale")
        (out / "feedback").mkdir()
        (out / "feedback" / "zz9.md").write_text("an earlier batch's student")
        merge_shards(pset, shards, out)
        merge_shards(pset, shards, out)            # the lock was released
        assert not (out / "feedback" / "zz9.md").exists() and not (out / "results.jsonl.tmp").exists()
        assert self.tree(out) == self.tree(tmp_path / "whole")

    def test_the_shards_set_must_be_the_one_given(self, pset, shards, tmp_path):
        for d in shards:
            edit(d, set="other")
        with pytest.raises(UsageError, match="^the shards graded set 'other', not 'small'$"):
            merge_shards(pset, shards, tmp_path / "merged")

    def test_out_must_not_be_a_shard(self, pset, shards):
        with pytest.raises(UsageError) as err:
            merge_shards(pset, shards, shards[1])
        assert str(err.value) == f"--out {shards[1]} is one of the shard folders; merge into a new folder"

    def test_a_plan_not_covered_is_refused_and_leaves_no_results(self, pset, shards, tmp_path):
        for d in shards:
            edit(d, plan_items=9)
        out = tmp_path / "merged"
        with pytest.raises(UsageError, match="^the shards hold 8 results, the plan has 9$"):
            merge_shards(pset, shards, out)
        assert not (out / "results.jsonl").exists() and not (out / "results.jsonl.tmp").exists()
        assert not (out / "batch.json").exists()

    def test_formats_default_to_the_shards_and_may_be_overridden(self, pset, shards, tmp_path):
        for d in shards:
            edit(d, formats=["gradescope"])
        merge_shards(pset, shards, tmp_path / "a")
        assert manifest(tmp_path / "a")["formats"] == ["gradescope"]
        assert (tmp_path / "a" / "results").is_dir()
        merge_shards(pset, shards, tmp_path / "b", formats=())
        assert manifest(tmp_path / "b")["formats"] == [] and not (tmp_path / "b" / "results").exists()

    def test_rows_are_merged_in_plan_order(self, pset, shards, tmp_path):
        merge_shards(pset, shards, tmp_path / "m")
        idents = [json.loads(line)["ident"] for line in (tmp_path / "m" / "results.jsonl").read_text().splitlines()]
        keys = [tuple(i.split("\x1f")) for i in idents]        # (student, path)
        assert keys == sorted(keys) and len(idents) == 8


class TestMergeDetails:
    def test_the_plan_key_splits_the_ident_at_the_first_separator(self, tmp_path):
        """Ids never hold the separator; paths may: (student, path) splits at the first one."""
        from grader.grading.merge import _lines
        f = tmp_path / "r.jsonl"
        f.write_text(json.dumps({"ident": "\x1fa\x1fb.yaml"}) + "\n" + json.dumps({"ident": "s1\x1fs1.yaml"}) + "\n")
        assert [key for key, _ in _lines(f)] == [("", "a\x1fb.yaml"), ("s1", "s1.yaml")]
        assert [line for _, line in _lines(f)] == f.read_text().splitlines(keepends=True)

    def test_out_may_be_a_new_nested_folder(self, pset, shards, tmp_path):
        out = tmp_path / "new" / "deeper" / "merged"
        merge_shards(pset, shards, out)
        assert (out / "results.jsonl").is_file()

    def test_the_merged_manifest_is_the_first_folders(self, pset, shards, tmp_path):
        edit(shards[1], set_file="first.yaml")
        edit(shards[0], set_file="second.yaml")
        merge_shards(pset, [shards[1], shards[0], shards[2]], tmp_path / "m")
        assert manifest(tmp_path / "m")["set_file"] == "first.yaml"

    def test_a_busy_out_is_refused_in_the_shards_language(self, pset, shards, tmp_path):
        from grader.errors import InputError
        from grader.fsio import OutputLock
        for d in shards:
            edit(d, lang="ru")
        out = tmp_path / "m"
        out.mkdir()
        with OutputLock(out):
            with pytest.raises(InputError) as err:
                merge_shards(pset, shards, out)
        assert str(err.value).startswith(f"в {out} уже пишет другой запуск `grader`")

    def test_results_are_written_through_a_temporary_the_next_run_removes(self, pset, shards, tmp_path, monkeypatch):
        """Killed mid-merge, only results.jsonl.tmp is left, and the next merge clears it."""
        from grader.fsio import TMP_SUFFIX
        from grader.grading import merge as merge_module
        seen = []
        real = merge_module.os.fsync

        def spy(fd):
            seen.append(sorted(p.name for p in (tmp_path / "m").iterdir()))
            return real(fd)
        monkeypatch.setattr(merge_module.os, "fsync", spy)
        merge_shards(pset, shards, tmp_path / "m")
        assert "results.jsonl" + TMP_SUFFIX in seen[0] and "results.jsonl" not in seen[0]

    def test_results_are_read_and_written_as_utf8_whatever_the_locale(self, pset, shards, tmp_path, monkeypatch):
        import codecs
        opened = []
        real = Path.open

        def spy(self, mode="r", *args, **kwargs):
            if self.name.startswith("results.jsonl"):
                opened.append((self.name, mode, kwargs.get("encoding")))
            return real(self, mode, *args, **kwargs)
        monkeypatch.setattr(Path, "open", spy)
        merge_shards(pset, shards, tmp_path / "m")
        text = [(name, mode, enc) for name, mode, enc in opened if "b" not in mode]
        assert {mode for _, mode, _ in text} == {"r", "w"}
        assert all(enc is not None and codecs.lookup(enc).name == "utf-8" for _, _, enc in text)
