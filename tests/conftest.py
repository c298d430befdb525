"""Shared fixtures: the repository root and a temporary secret."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

if "mutmut" in sys.modules:
    # bench/mutation.py: mutmut runs the suite many times in one process; the same
    # examples every time keep a mutant's verdict reproducible; no deadline, as the
    # trampolines and a shared machine make timings meaningless.
    settings.register_profile("mutmut", derandomize=True, database=None, deadline=None,
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


@pytest.fixture(scope="session", autouse=True)
def _sympy_worker_stopped_at_the_end():
    """Stop the shared sympy worker when the tests end, not at interpreter exit: it then
    saves its coverage data before pytest-cov combines the data files."""
    yield
    from grader.lang import sympy_worker

    sympy_worker.POOL.close()
