"""Tier 2: after a load or a rollback the marts are refreshed only for the days it touched, and every mart then
equals a full rebuild from the facts (row for row; sums of hours within 1e-6)."""

from __future__ import annotations

import csv
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from etl.ingest.core import load_file
from etl.ingest.undo import rollback
from etl.store import mark_touched, marts, refresh_marts

FIELDS = ["request_id", "service_code", "kecamatan_code", "channel", "submitted_at", "completed_at", "status",
          "lat", "lon"]


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    df = con.execute(sql).df()
    for col in df.select_dtypes("float").columns:
        df[col] = df[col].round(6)
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def assert_marts_equal_full_rebuild(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        for m in marts():
            stored = _frame(con, f"SELECT * FROM {m.name}")
            full = _frame(con, m.over("fct_service_requests"))  # the monthly mart over the whole daily mart
            assert len(stored) > 0, m.name
            pd.testing.assert_frame_equal(stored, full, check_dtype=False, obj=m.name)
    finally:
        con.close()


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, FIELDS)
        w.writeheader()
        w.writerows(rows)
    return path


def _ts(value: pd.Timestamp | None) -> str:
    return "" if value is None or pd.isna(value) else value.strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "pantau.duckdb"
    shutil.copyfile(sample_db, path)
    return path


def test_refresh_of_touched_days_is_incremental_and_equals_a_full_rebuild(db: Path) -> None:
    """The store level: facts of one load changed in place, then only its days refreshed."""
    con = duckdb.connect(str(db))
    try:
        load_id = con.execute("SELECT max(load_id) + 1 FROM loads").fetchone()[0]
        # a late extract: 40 requests move to other days and get completed (old versions kept in undo, as a load does)
        con.execute("""CREATE TEMP TABLE picked AS SELECT request_id FROM fct_service_requests
                       WHERE completed_at IS NULL ORDER BY request_id LIMIT 40""")
        con.execute("""INSERT INTO undo_service_requests SELECT f.*, $id FROM fct_service_requests AS f
                       WHERE request_id IN (SELECT request_id FROM picked)""", {"id": load_id})
        con.execute("""UPDATE fct_service_requests
                       SET submitted_at = submitted_at - INTERVAL 2 DAY, completed_at = submitted_at + INTERVAL 30 HOUR,
                           status = 'completed', load_id = $id
                       WHERE request_id IN (SELECT request_id FROM picked)""", {"id": load_id})
        mark_touched(con, load_id)
        assert refresh_marts(con, only_touched=True) == "incremental"
    finally:
        con.close()
    assert_marts_equal_full_rebuild(db)


@pytest.mark.parametrize("touched_rows", ["0", "(SELECT count(*) FROM fct_service_requests)"],
                         ids=["days-cover-the-facts", "load-larger-than-the-share"])
def test_a_large_share_of_the_facts_gets_a_full_rebuild(db: Path, touched_rows: str) -> None:
    """Full when the touched days hold over the share of the facts (counted), or when the load itself touched more
    rows than that (no count needed)."""
    con = duckdb.connect(str(db))
    try:
        con.execute("CREATE TEMP TABLE mart_touched_days AS SELECT DISTINCT CAST(submitted_at AS DATE) AS day "
                    "FROM fct_service_requests")
        con.execute(f"CREATE TEMP TABLE mart_touched_rows AS SELECT {touched_rows} AS n")
        assert refresh_marts(con, only_touched=True) == "full"
    finally:
        con.close()
    assert_marts_equal_full_rebuild(db)


def test_a_mart_from_an_older_version_gets_a_full_rebuild(db: Path) -> None:
    """A database made before a mart changed shape (here: mart_completions without a column, and a mart no longer
    made) still loads: the marts are rebuilt whole and the old one is dropped."""
    con = duckdb.connect(str(db))
    try:
        con.execute("ALTER TABLE mart_completions DROP COLUMN submitted_at")
        con.execute("CREATE TABLE mart_open_spans AS SELECT submitted_at FROM fct_service_requests")
        con.execute("CREATE TEMP TABLE mart_touched_days AS SELECT DISTINCT CAST(submitted_at AS DATE) AS day "
                    "FROM fct_service_requests LIMIT 3")
        con.execute("CREATE TEMP TABLE mart_touched_rows AS SELECT 3 AS n")
        assert refresh_marts(con, only_touched=True) == "full"
        marts_now = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'mart_%' "
                                               "AND NOT temporary").fetchall()}
        assert marts_now == {m.name for m in marts()}
    finally:
        con.close()
    assert_marts_equal_full_rebuild(db)


def test_loads_and_rollback_keep_the_marts_equal_to_a_full_rebuild(db: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    latest = con.execute("SELECT max(submitted_at) FROM fct_service_requests").fetchone()[0]
    open_rows = con.execute("""SELECT * FROM fct_service_requests WHERE completed_at IS NULL
                               ORDER BY request_id LIMIT 30""").df()
    done_rows = con.execute("""SELECT * FROM fct_service_requests WHERE completed_at IS NOT NULL
                               ORDER BY request_id LIMIT 20""").df()
    con.close()

    # 1. new requests on the last days of the data (append through upsert, the default)
    new = [{"request_id": f"NEW-{i}", "service_code": "KTP_EL", "kecamatan_code": f"12.71.{1 + i % 21:02d}",
            "channel": "online", "submitted_at": _ts(latest - timedelta(hours=5 * i)),
            "completed_at": _ts(latest - timedelta(hours=5 * i - 3)) if i % 2 else "",
            "status": "completed" if i % 2 else "open", "lat": "", "lon": ""} for i in range(60)]
    first = load_file(db, "service_requests", _write(tmp_path / "new.csv", new))
    assert first.status == "loaded", first.errors
    assert_marts_equal_full_rebuild(db)

    # 2. a later extract: open requests completed, completed ones corrected to another day
    changed = []
    for r in open_rows.itertuples():
        changed.append({"request_id": r.request_id, "service_code": r.service_code, "kecamatan_code": r.kecamatan_code,
                        "channel": r.channel, "submitted_at": _ts(r.submitted_at),
                        "completed_at": _ts(min(r.submitted_at + timedelta(hours=20), latest)),
                        "status": "completed", "lat": "", "lon": ""})
    for r in done_rows.itertuples():
        changed.append({"request_id": r.request_id, "service_code": r.service_code, "kecamatan_code": r.kecamatan_code,
                        "channel": r.channel, "submitted_at": _ts(r.submitted_at - timedelta(days=3)),
                        "completed_at": _ts(r.completed_at), "status": "completed", "lat": "", "lon": ""})
    second = load_file(db, "service_requests", _write(tmp_path / "changed.csv", changed))
    assert second.status == "loaded", second.errors
    assert_marts_equal_full_rebuild(db)

    # 3. undo the later extract: the marts follow the restored facts
    assert rollback(db, second.load_id).ok
    assert_marts_equal_full_rebuild(db)
