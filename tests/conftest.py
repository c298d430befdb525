"""Shared fixtures: the repository root and a temporary secret."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

if "mutmut" in sys.modules:
    # bench/mutation.py: mutmut runs the suite many times in one process; the same
    # examples every time keep a mutant's verdict reproducible.
    settings.register_profile("mutmut", derandomize=True, database=None,
                              suppress_health_check=[HealthCheck.differing_executors])
    settings.load_profile("mutmut")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "test-secret-0123456789")
    return b"test-secret-0123456789"
