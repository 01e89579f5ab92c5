"""ETL layer: `python -m etl build` — a fresh database from the city pack plus generated sample data."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from etl.config import city_dir, city_settings
from etl.generate import SAMPLE_SOURCE, generate_requests, generate_tourism
from etl.reference import load_reference
from etl.store import refresh_marts, write_transaction

DEFAULT_ROWS = 400_000
DEFAULT_SEED = 42
WIB = timezone(timedelta(hours=7))


def now_wib() -> datetime:
    """Current WIB wall-clock time, without offset (how every timestamp is stored)."""
    return datetime.now(WIB).replace(tzinfo=None, microsecond=0)


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT nextval('seq_load_id')").fetchone()[0])


def record_load(con: duckdb.DuckDBPyConnection, *, load_id: int, dataset: str, file_name: str, sha256: str | None,
                mode: str, rows_read: int, rows_loaded: int, rows_rejected: int, status: str, source: str,
                detail: dict | None = None) -> None:
    """Write the audit row for one load attempt."""
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, dataset, file_name, sha256, mode, rows_read, rows_loaded, rows_rejected, status, now_wib(),
         source, json.dumps(detail or {}, ensure_ascii=False)],
    )


def build(db: Path, *, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, city: str | None = None,
          progress: Callable[[str], None] = print) -> dict[str, float]:
    """Create `db` from scratch (atomically replacing any existing file); return timing figures."""
    t0 = time.perf_counter()
    pack = city_dir(city)
    settings = city_settings(city)
    with write_transaction(db, create=True, refresh=False) as con:
        load_reference(con, city)
        progress(f"Reference data: {pack.name} ({con.execute('SELECT count(*) FROM kecamatan').fetchone()[0]} "
                 f"kecamatan, {con.execute('SELECT count(*) FROM services').fetchone()[0]} services)")
        t1 = time.perf_counter()
        if rows > 0:
            load_id = next_load_id(con)
            progress(f"Generating {rows:,} sample service requests {settings.sample_start} .. {settings.sample_end} "
                     f"(seed {seed}) ...")
            generate_requests(con, pack, settings, rows, seed, load_id, progress=progress)
            record_load(con, load_id=load_id, dataset="service_requests", file_name=f"sample generator, seed {seed}",
                        sha256=None, mode="sample", rows_read=rows, rows_loaded=rows, rows_rejected=0,
                        status="loaded", source=SAMPLE_SOURCE)
        t2 = time.perf_counter()
        if rows > 0:
            progress(f"  {rows:,} rows in {t2 - t1:.1f} s ({rows / max(t2 - t1, 1e-9):,.0f} rows/s)")
        load_id = next_load_id(con)
        n_tourism = generate_tourism(con, pack, settings, seed, load_id)
        record_load(con, load_id=load_id, dataset="tourism", file_name=f"sample generator, seed {seed}", sha256=None,
                    mode="sample", rows_read=n_tourism, rows_loaded=n_tourism, rows_rejected=0, status="loaded",
                    source=SAMPLE_SOURCE)
        progress(f"Sample tourism data: {n_tourism} monthly values")
        t3 = time.perf_counter()
        refresh_marts(con)
        t4 = time.perf_counter()
        progress(f"Marts built in {t4 - t3:.1f} s")
    total = time.perf_counter() - t0
    progress(f"Database ready: {db} ({total:.1f} s)")
    return {"rows": rows, "seconds": total, "generate_seconds": t2 - t1, "marts_seconds": t4 - t3,
            "rows_per_second": rows / max(t2 - t1, 1e-9)}
