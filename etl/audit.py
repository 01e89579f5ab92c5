"""ETL layer: the audit trail — load ids and the `loads` row every load attempt writes, even a rejected one."""

from __future__ import annotations

import json

import duckdb

from base.clock import now_local


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT nextval('seq_load_id')").fetchone()[0])


def record_load(con: duckdb.DuckDBPyConnection, *, load_id: int, dataset: str, file_name: str, sha256: str | None,
                mode: str, rows_read: int, rows_loaded: int, rows_rejected: int, status: str, source: str,
                detail: dict | None = None) -> None:
    """Write the audit row for one load attempt (loaded_at in the city's local time)."""
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, dataset, file_name, sha256, mode, rows_read, rows_loaded, rows_rejected, status, now_local(),
         source, json.dumps(detail or {}, ensure_ascii=False)],
    )
