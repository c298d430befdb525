"""Rules of grading/cache.py beyond key soundness (test_cache_soundness.py): the LRU bound,
the statistics a batch reports, the node budget of a key, the class-wide sampling seed."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pytest

from grader.grading import cache as cache_module
from grader.grading.cache import (DEFAULT_CACHE_ENTRIES, MAX_CANON_NODES, CacheStats, CachingSubmissionGrader,
                                  ComparisonCache, _TooBig, canonical, sampling_seed)


def counter():
    calls = []

    def compute(tag):
        def run():
            calls.append(tag)
            return f"outcome {tag}"
        return run
    return calls, compute


class TestLru:
    def test_the_least_recently_used_entry_goes_first(self):
        memo = ComparisonCache(size=2)
        calls, compute = counter()
        memo.compare(("p",), (1,), compute(1))
        memo.compare(("p",), (2,), compute(2))
        memo.compare(("p",), (1,), compute(1))      # a hit: 1 is now the most recent
        memo.compare(("p",), (3,), compute(3))      # evicts 2, not 1
        assert len(memo.table) == 2
        memo.compare(("p",), (1,), compute(1))
        assert calls == [1, 2, 3]
        memo.compare(("p",), (2,), compute(2))
        assert calls == [1, 2, 3, 2]

    def test_size_entries_are_kept_not_one_less(self):
        memo = ComparisonCache(size=3)
        calls, compute = counter()
        for v in (1, 2, 3, 1, 2, 3):
            memo.compare(("p",), (v,), compute(v))
        assert calls == [1, 2, 3] and len(memo.table) == 3

    def test_size_zero_computes_every_time_and_counts_misses(self):
        memo = ComparisonCache(size=0)
        calls, compute = counter()
        for _ in range(3):
            assert memo.compare(("p",), (1,), compute(1)) == "outcome 1"
        assert calls == [1, 1, 1] and memo.table == {}
        assert (memo.stats.hits, memo.stats.misses, memo.stats.bypassed) == (0, 3, 0)

    def test_the_default_size(self):
        assert ComparisonCache().size == DEFAULT_CACHE_ENTRIES == 50_000

    def test_the_scope_is_part_of_the_key(self):
        memo = ComparisonCache()
        calls, compute = counter()
        memo.compare(("p", "a", 1), (1,), compute("a"))
        memo.compare(("p", "b", 1), (1,), compute("b"))
        memo.compare(("p", "a", 1), (1,), compute("a"))
        assert calls == ["a", "b"]


class TestStats:
    def test_hits_misses_and_bypasses_are_counted(self):
        memo = ComparisonCache()
        _, compute = counter()
        memo.compare(("p",), (1,), compute(1))
        memo.compare(("p",), (1,), compute(1))
        memo.compare(("p",), (1,), compute(1))
        memo.compare(("p",), (object(),), compute(2))
        assert (memo.stats.hits, memo.stats.misses, memo.stats.bypassed) == (2, 1, 1)
        assert memo.stats.lookups == 4 and memo.stats.hit_rate == 0.5

    def test_hit_rate_is_zero_before_any_lookup_and_rounded_in_json(self):
        assert CacheStats().hit_rate == 0.0
        assert CacheStats(hits=1, misses=2).to_json() == {"hits": 1, "misses": 2, "bypassed": 0, "hit_rate": 0.3333}
        assert CacheStats(hits=2, misses=1, bypassed=1).hit_rate == 0.5

    def test_the_batch_grader_reports_its_memos_stats(self):
        from tests.core.test_rules_submission import SECRET, make_set, truth
        pset = make_set(entry_points=(6.0, 3.0))
        grader = CachingSubmissionGrader(pset, SECRET)
        assert grader.stats is grader.memo.stats and grader.memo.size == DEFAULT_CACHE_ENTRIES
        t = truth(pset, "s001")
        grader.grade_answers("s001", {"q1": {"a": t["a"]}})
        grader.grade_answers("s001", {"q1": {"a": t["a"]}})
        assert (grader.stats.hits, grader.stats.misses) == (1, 1)
        assert CachingSubmissionGrader(pset, SECRET, cache_size=7).memo.size == 7


class TestKeys:
    def test_the_node_budget_is_exact(self):
        """A value of exactly MAX_CANON_NODES nodes is keyed; one more node is not."""
        fits = list(range(MAX_CANON_NODES - 1))          # the list itself is a node
        assert canonical(fits).startswith("list[int:0,")
        with pytest.raises(_TooBig):
            canonical(fits + [0])

    def test_a_too_big_value_is_computed_not_cached(self, monkeypatch):
        monkeypatch.setattr(cache_module, "MAX_CANON_NODES", 3)
        memo = ComparisonCache()
        calls, compute = counter()
        memo.compare(("p",), ([1, 2, 3],), compute(1))
        memo.compare(("p",), ([1, 2, 3],), compute(1))
        assert calls == [1, 1] and memo.stats.bypassed == 2 and memo.table == {}

    @pytest.mark.parametrize("value, text", [
        (None, "NoneType:None"), (True, "bool:True"), (3, "int:3"), (0.5, "float:0.5"), ("a", "str:'a'"),
        ([1, (2,)], "list[int:1,tuple[int:2,],]"), ({"k": 1}, "{str:'k':int:1,}"),
        (np.array([1.5]), "numpy.ndarray:float64:(1,)list[float:1.5,]"),
        (np.int32(2), "numpy.int32:int32:()int:2"), (np.float64(2.0), "float64:np.float64(2.0)"),
        (1 + 2j, "complex:(1+2j)"),
    ])
    def test_the_canonical_text_names_type_and_value(self, value, text):
        assert canonical(value) == text


class TestSamplingSeed:
    def test_is_an_independent_hmac_of_set_and_key(self):
        digest = hmac.new(b"k", "sampling\x1fdemo\x1fq1".encode(), hashlib.sha256).digest()
        assert sampling_seed(b"k", "demo", "q1") == int.from_bytes(digest[:4], "big")

    def test_differs_by_key_set_and_secret_and_fits_32_bits(self):
        seeds = {sampling_seed(s, set_id, key) for s in (b"a", b"b") for set_id in ("s1", "s2")
                 for key in ("q1", "q2")}
        assert len(seeds) == 8 and all(0 <= s < 2 ** 32 for s in seeds)

    def test_the_batch_grader_samples_each_key_with_its_seed(self):
        from tests.core.test_rules_submission import SECRET, make_set
        pset = make_set(entry_points=(6.0, 3.0))
        grader = CachingSubmissionGrader(pset, SECRET, "ru")
        assert grader.sampling_seeds == {"q1": sampling_seed(SECRET, "s1", "q1"),
                                         "q2": sampling_seed(SECRET, "s1", "q2")}
        assert grader.lang == "ru" and grader.secret == SECRET
