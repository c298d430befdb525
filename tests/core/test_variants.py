"""Variant seeds: HMAC(secret, set, student, key), stable and separated."""

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.errors import UsageError
from grader.variants import load_secret, variant_seed

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12)


class TestSeed:
    def test_matches_an_independent_hmac(self):
        digest = hmac.new(b"k", "demo\x1fs001\x1fq1".encode(), hashlib.sha256).digest()
        assert variant_seed(b"k", "demo", "s001", "q1") == int.from_bytes(digest[:8], "big")

    @given(ids, ids, ids, ids)
    def test_fields_cannot_bleed_into_each_other(self, a, b, c, d):
        """("ab", "c") and ("a", "bc") must not share a seed."""
        if (a, b) != (c, d):
            assert variant_seed(b"s", a, b, "q1") != variant_seed(b"s", c, d, "q1")

    def test_concatenation_ambiguity(self):
        assert variant_seed(b"s", "ab", "c", "q1") != variant_seed(b"s", "a", "bc", "q1")

    def test_secret_changes_everything(self):
        assert variant_seed(b"one", "demo", "s001", "q1") != variant_seed(b"two", "demo", "s001", "q1")


class TestSecret:
    def test_refuses_without_one(self, monkeypatch):
        monkeypatch.delenv("GRADER_SECRET", raising=False)
        with pytest.raises(UsageError, match="GRADER_SECRET"):
            load_secret(None)

    def test_file_wins_and_is_stripped(self, tmp_path, monkeypatch):
        monkeypatch.setenv("GRADER_SECRET", "from-the-environment")
        f = tmp_path / "s"
        f.write_text("  from-file-0123456789\n")
        assert load_secret(str(f)) == b"from-file-0123456789"

    def test_empty_file_is_refused(self, tmp_path):
        f = tmp_path / "s"
        f.write_text("\n")
        with pytest.raises(UsageError, match="empty"):
            load_secret(str(f))
