"""Shared fixtures: databases built by the real ETL (never mocks)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from etl.build import build

SAMPLE_ROWS = 30_000


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built by `etl build` with 30,000 sample requests (seed 42). Treat as read-only."""
    path = tmp_path_factory.mktemp("sample") / "pantau.duckdb"
    build(path, rows=SAMPLE_ROWS, seed=42, progress=lambda _msg: None)
    return path


@pytest.fixture
def fresh_db(tmp_path: Path) -> Path:
    """A database with the city pack only (no requests, sample tourism data): safe to write to."""
    path = tmp_path / "pantau.duckdb"
    build(path, rows=0, seed=42, progress=lambda _msg: None)
    return path


@pytest.fixture
def app_env(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app (PANTAU_DB) at the sample database for AppTest runs."""
    monkeypatch.setenv("PANTAU_DB", str(sample_db))
    return sample_db


def browser_required() -> bool:
    return os.environ.get("PANTAU_REQUIRE_BROWSER") == "1"
