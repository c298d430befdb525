"""`grader merge`: shard outputs back into one batch, equal to grading it unsharded.

Each shard folder holds ``batch.json`` and ``results.jsonl`` from ``grader grade --shard
i/n``. The shards must come from the same plan (same files, same roster), set, language
and secret, and together cover i = 1..n exactly once, each complete. Their lines are
merged in plan order (a streaming k-way merge; each shard is already in that order),
and every report is rebuilt from the merged ``results.jsonl``.
"""

from __future__ import annotations

import heapq
import json
import os
from pathlib import Path

from ..bank.model import ProblemSet
from ..errors import UsageError
from ..fsio import atomic_write
from .batch import (MANIFEST, RESULTS, SETTINGS, _json_text, _locked, _remove_temporaries, clear_outputs,
                    read_manifest, write_reports)

SAME = ("version", "set", "set_digest", "lang", "secret_tag", "roster_digest", "plan_items", "plan_digest",
        "formats")


def read_shards(dirs: list[Path]) -> list[dict]:
    """The shard manifests, checked to fit together; UsageError naming the folder otherwise."""
    if not dirs:
        raise UsageError("no shard folders given")
    manifests = []
    for d in dirs:
        m = read_manifest(d)
        if m is None or not (d / RESULTS).is_file():
            raise UsageError(f"{d}: not a graded batch (expected {MANIFEST} and {RESULTS})")
        m["_dir"] = d
        manifests.append(m)
    first = manifests[0]
    for m in manifests[1:]:
        differs = [k for k in SAME if m.get(k) != first.get(k)]
        if differs:
            raise UsageError(f"{m['_dir']} does not belong with {first['_dir']}: "
                             f"{', '.join(differs)} differ")
    shards = {}
    for m in manifests:
        if m.get("shard") is None:
            if len(manifests) != 1:
                raise UsageError(f"{m['_dir']} is an unsharded batch; merge only shards of one batch")
            continue
        i, n = (int(x) for x in m["shard"].split("/"))
        if i in shards:
            raise UsageError(f"{m['_dir']} and {shards[i]['_dir']} are both shard {i}/{n}")
        shards[i] = m
    ns = {int(m["shard"].split("/")[1]) for m in manifests if m.get("shard")}
    if len(ns) > 1:
        raise UsageError("the folders come from different splits: " + ", ".join(f"/{n}" for n in sorted(ns)))
    if ns:
        n = ns.pop()
        missing = [i for i in range(1, n + 1) if i not in shards]
        if missing:
            raise UsageError(f"shard(s) {', '.join(f'{i}/{n}' for i in missing)} missing")
    for m in manifests:
        lines = _complete_lines(m["_dir"] / RESULTS)
        if lines != m["items"]:
            raise UsageError(f"{m['_dir']}: {lines} of {m['items']} results; finish it with "
                             "`grader grade --resume` first")
    return manifests


def _complete_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.endswith(b"\n"))


def _lines(path: Path):
    with path.open("r", encoding="utf-8") as fh:
        for line in fh:
            ident = json.loads(line)["ident"]
            student, _, rel = ident.partition("\x1f")
            yield (student, rel), line


def merge_shards(pset: ProblemSet, dirs: list[Path], out: Path, *, formats: tuple[str, ...] | None = None) -> dict:
    """Merge shard folders into ``out``; returns the summary. Outputs as ``grade_batch`` writes them."""
    manifests = read_shards(dirs)
    first = manifests[0]
    if pset.id != first["set"]:
        raise UsageError(f"the shards graded set '{first['set']}', not '{pset.id}'")
    out.mkdir(parents=True, exist_ok=True)
    if any(out.resolve() == d.resolve() for d in dirs):
        raise UsageError(f"--out {out} is one of the shard folders; merge into a new folder")
    formats = tuple(first.get("formats") or ()) if formats is None else formats
    lock = _locked(out, first["lang"])
    try:
        clear_outputs(out)           # an earlier batch's manifest and results go first
        _remove_temporaries(out)
        tmp = out / (RESULTS + ".tmp")
        count = 0
        with tmp.open("w", encoding="utf-8") as fh:
            for _, line in heapq.merge(*(_lines(m["_dir"] / RESULTS) for m in manifests), key=lambda kv: kv[0]):
                fh.write(line)
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        if count != first["plan_items"]:
            tmp.unlink()
            raise UsageError(f"the shards hold {count} results, the plan has {first['plan_items']}")
        manifest = {k: v for k, v in first.items() if not k.startswith("_")}
        manifest.update(shard=None, items=count, formats=sorted(formats))
        os.replace(tmp, out / RESULTS)   # results before the manifest that vouches for them
        atomic_write(out / MANIFEST, _json_text(manifest))
        # the class the unsharded run reports over: its enrolled students (None: every row)
        return write_reports(pset, out, first["lang"], formats, roster=first.get("roster"))
    finally:
        lock.__exit__()


__all__ = ["merge_shards", "read_shards", "SETTINGS"]
