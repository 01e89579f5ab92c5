"""Shared helpers for the ingest tests: database checksums and CLI runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from etl.build import build
from etl.cli import main


@pytest.fixture(scope="session")
def ingest_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """City pack + sample tourism + 200 sample requests: small, so each load in a test stays quick. Copy it."""
    path = tmp_path_factory.mktemp("ingest") / "base.duckdb"
    build(path, rows=200, seed=7, progress=lambda _m: None)
    return path


def checksum(db: Path) -> tuple:
    """Row counts and order-independent hashes of both fact tables and the undo tables."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            """SELECT (SELECT count(*) FROM fct_service_requests),
                      (SELECT sum(hash(request_id, service_code, kecamatan_code, channel, submitted_at, completed_at,
                                       status, lat, lon, load_id)) FROM fct_service_requests),
                      (SELECT count(*) FROM fct_tourism_monthly),
                      (SELECT sum(hash(indicator, area, period, value, unit, source, load_id))
                       FROM fct_tourism_monthly),
                      (SELECT count(*) FROM undo_service_requests), (SELECT count(*) FROM rejects)"""
        ).fetchone()
    finally:
        con.close()


def copy_db(src: Path, dst_dir: Path) -> Path:
    dst = dst_dir / "pantau.duckdb"
    shutil.copyfile(src, dst)
    return dst


def run_load(capsys, db: Path, dataset: str, path: Path, *extra: str) -> tuple[int, dict]:
    code = main(["load", dataset, str(path), "--db", str(db), "--json", *extra])
    out = capsys.readouterr().out
    return code, json.loads(out)


def all_text(db: Path) -> str:
    """Every value of every table, as text (to look for personal data)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return "\n".join(str(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    finally:
        con.close()
