"""Shared fixtures: the repository root and a temporary secret."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "test-secret-0123456789")
    return b"test-secret-0123456789"
