"""Shared helpers for the reliability tests: database fingerprints, damage, CLI runs (no mocks)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from etl.store import open_read_only

ROOT = Path(__file__).resolve().parent.parent
DUCKDB_HEADER_BYTES = 3 * 4096  # main header + two database headers precede block 0


def etl(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
        preexec_fn=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, preexec_fn=preexec_fn)


def fingerprint(db: Path) -> dict[str, tuple[int, int]]:
    """(row count, order-independent content hash) of every table: equal fingerprints = equal data."""
    con = open_read_only(db)  # independent of any Reader this process has open on the same file
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                            "WHERE database_name = current_database() ORDER BY 1").fetchall()]
        return {t: tuple(int(v or 0) for v in con.execute(f'SELECT count(*), sum(hash(t)) FROM "{t}" t').fetchone())
                for t in tables}
    finally:
        con.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damage_data_block(db: Path, table: str = "fct_service_requests", column: str = "request_id") -> int:
    """Overwrite bytes inside the first data block of `table.column`; return the file offset damaged.

    The file still opens and small queries still work: only reading that column finds the bad checksum.
    """
    con = duckdb.connect(str(db), read_only=True)
    try:
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        block_id, offset = con.execute(
            "SELECT block_id, block_offset FROM pragma_storage_info($t) WHERE column_name = $c AND block_id >= 0 "
            "ORDER BY row_group_id LIMIT 1", {"t": table, "c": column}).fetchone()
    finally:
        con.close()
    where = DUCKDB_HEADER_BYTES + block_id * block_size + 8 + offset + 16  # 8 = the block's checksum
    with open(db, "r+b") as fh:
        fh.seek(where)
        fh.write(b"\xa5" * 64)
    return where


def has_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" in text
