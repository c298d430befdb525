"""Helpers for reference tests: reading problem files (the solver and its YAML must agree)
and drawing solved examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from reference import Reject

PROBLEMS = Path(__file__).resolve().parents[2] / "problems"


def yaml_parts(topic: str, name: str) -> dict:
    """The parts of problems/<topic>/<name>, by id, as plain YAML data."""
    text = (PROBLEMS / topic / name).read_text(encoding="utf-8")
    return {part["id"]: part for part in yaml.safe_load(text)["parts"]}


def assert_visible_lists_match(topic: str, name: str, visible: dict) -> None:
    """Every part a solver keeps slips visible in lists the YAML's bugs and tolerance."""
    parts = yaml_parts(topic, name)
    for part_id, (bugs, abs_tol, rel_tol) in visible.items():
        part = parts[part_id]
        assert sorted(m["bug"] for m in part["misconceptions"]) == sorted(bugs), part_id
        assert part["tolerance"].get("abs", 0) == abs_tol, part_id
        assert part["tolerance"].get("rel", 0) == rel_tol, part_id


def solved(solver, make, n=25, seed=0):
    """``n`` (params, solver answers) pairs from a seeded draw; draws the solver rejects are skipped."""
    rng, out = np.random.default_rng(seed), []
    while len(out) < n:
        p = make(rng)
        try:
            out.append((p, solver(p)))
        except Reject:
            pass
    return out
