"""Uploads: upsert, unchanged, rollback, atomicity under SIGKILL, concurrent loads and loads during reads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from etl.cli import main
from etl.store import writer_lock
from kpi.db import Reader
from tests import ingest_helpers
from tests.ingest_helpers import checksum, copy_db, run_load

ingest_base = ingest_helpers.ingest_base  # the shared fixture
ROOT = Path(__file__).resolve().parents[1]
HEADER = "request_id,service_code,kecamatan_code,channel,submitted_at,completed_at,status\n"


def _csv(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "etl", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def test_upsert_fills_completed_at_and_rollback_restores(ingest_base: Path, tmp_path: Path, capsys) -> None:
    db = copy_db(ingest_base, tmp_path)
    start = checksum(db)
    first = _csv(tmp_path / "first.csv", "U-1,KK,12.71.01,online,2024-03-04 10:00:00,,open",
                 "U-2,KK,12.71.02,online,2024-03-04 11:00:00,,open")
    code, out1 = run_load(capsys, db, "service_requests", first)
    assert code == 0 and out1["rows_loaded"] == 2
    after_first = checksum(db)
    code, again = run_load(capsys, db, "service_requests", first)
    assert code == 0 and again["status"] == "unchanged" and again["load_id"] == out1["load_id"]
    assert checksum(db) == after_first

    later = _csv(tmp_path / "later.csv", "U-1,KK,12.71.01,online,2024-03-04 10:00:00,2024-03-05 09:00:00,selesai")
    code, out2 = run_load(capsys, db, "service_requests", later)
    assert code == 0 and out2["status"] == "loaded"
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT completed_at::VARCHAR, status, load_id FROM fct_service_requests "
                       "WHERE request_id = 'U-1'").fetchall()
    undo = con.execute("SELECT completed_at, undo_load_id FROM undo_service_requests "
                       "WHERE request_id = 'U-1'").fetchall()
    con.close()
    assert rows == [("2024-03-05 09:00:00", "completed", out2["load_id"])]
    assert undo == [(None, out2["load_id"])]

    # the first load has a dependant now: refused, nothing changes
    before = checksum(db)
    assert main(["rollback", str(out1["load_id"]), "--db", str(db)]) == 1
    assert "cannot be undone" in capsys.readouterr().err
    assert checksum(db) == before
    # undo the latest: exactly the state after the first load; then the first: exactly the start
    assert main(["rollback", str(out2["load_id"]), "--db", str(db)]) == 0
    assert checksum(db) == after_first
    assert main(["rollback", str(out1["load_id"]), "--db", str(db)]) == 0
    assert checksum(db)[:4] == start[:4]
    con = duckdb.connect(str(db), read_only=True)
    statuses = con.execute("SELECT status FROM loads WHERE load_id IN (?, ?)",
                           [out1["load_id"], out2["load_id"]]).fetchall()
    con.close()
    assert statuses == [("rolled_back",), ("rolled_back",)]
    capsys.readouterr()


def test_dry_run_and_replace(ingest_base: Path, tmp_path: Path, capsys) -> None:
    db = copy_db(ingest_base, tmp_path)
    before = checksum(db)
    f = _csv(tmp_path / "r.csv", "R-1,KK,12.71.01,online,2024-03-04 10:00:00,,open")
    code, out = run_load(capsys, db, "service_requests", f, "--dry-run")
    assert (code, out["status"], out["load_id"], out["rows_loaded"]) == (0, "validated", None, 1)
    assert checksum(db) == before
    code, out = run_load(capsys, db, "service_requests", f, "--mode", "replace")
    assert code == 0 and checksum(db)[0] == 1
    assert main(["rollback", str(out["load_id"]), "--db", str(db)]) == 0
    capsys.readouterr()
    assert checksum(db)[:4] == before[:4]
    # the rolled-back file loads again (its earlier load no longer counts), then an id already present is refused
    assert run_load(capsys, db, "service_requests", f, "--mode", "append")[0] == 0
    code, out = run_load(capsys, db, "service_requests", _csv(tmp_path / "r2.csv",
                         "R-1,KK,12.71.01,online,2024-03-04 10:00:00,,proses"), "--mode", "append")
    assert code == 1 and out["errors"][0]["code"] == "already_loaded"


@pytest.mark.slow
def test_sigkill_during_large_load_leaves_database_intact(ingest_base: Path, tmp_path: Path, capsys) -> None:
    db = copy_db(ingest_base, tmp_path)
    big = tmp_path / "big.csv"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'K-' || i AS request_id, 'KTP_EL' AS service_code, '12.71.01' AS kecamatan_code,
                           'online' AS channel, TIMESTAMP '2023-01-01' + to_minutes(i) AS submitted_at,
                           NULL AS completed_at, 'open' AS status FROM range(400000) t(i))
                    TO '{big}' (HEADER)""")
    con.close()
    before = checksum(db)
    proc = _cli("load", "service_requests", str(big), "--db", str(db))
    copies = list(db.parent.glob(f".{db.name}.*.tmp"))
    while proc.poll() is None and not copies:
        time.sleep(0.05)
        copies = list(db.parent.glob(f".{db.name}.*.tmp"))
    time.sleep(0.3)  # well inside reading / validating / writing the copy
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.communicate()
    assert copies, "the load finished before it could be killed"
    assert checksum(db) == before
    code, out = run_load(capsys, db, "service_requests",
                         _csv(tmp_path / "after.csv", "K-A,KK,12.71.01,online,2024-03-04 10:00:00,,open"))
    assert code == 0 and out["status"] == "loaded"
    assert not list(db.parent.glob(f".{db.name}.*.tmp"))  # the dead writer's copy was swept up


def test_second_load_waits_then_fails_clearly(ingest_base: Path, tmp_path: Path) -> None:
    db = copy_db(ingest_base, tmp_path)
    f = _csv(tmp_path / "w.csv", "W-1,KK,12.71.01,online,2024-03-04 10:00:00,,open")
    before = checksum(db)
    with writer_lock(db):
        proc = _cli("load", "service_requests", str(f), "--db", str(db), "--json", env={"PANTAU_LOCK_WAIT": "1"})
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    result = json.loads(out)
    assert result["status"] == "rejected" and result["errors"][0]["code"] == "store_busy"
    assert "Another load" in result["errors"][0]["reason"]
    assert "Could not set lock" not in out + err
    assert checksum(db) == before


def test_two_concurrent_loads_both_land(ingest_base: Path, tmp_path: Path) -> None:
    db = copy_db(ingest_base, tmp_path)
    a = _csv(tmp_path / "a.csv", *[f"A-{i},KK,12.71.01,online,2024-03-04 10:00:00,,open" for i in range(50)])
    b = _csv(tmp_path / "b.csv", *[f"B-{i},KTP_EL,12.71.02,mpp,2024-03-05 10:00:00,,open" for i in range(70)])
    procs = [_cli("load", "service_requests", str(p), "--db", str(db), "--json") for p in (a, b)]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all("Could not set lock" not in o + e for o, e in results)
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute("SELECT count(*) FROM fct_service_requests WHERE load_id IN "
                    "(SELECT load_id FROM loads WHERE status = 'loaded' AND source = 'cli')").fetchone()[0]
    con.close()
    assert n == 120


def _count_in_new_process(db: Path) -> int:
    code = "import sys, duckdb; print(duckdb.connect(sys.argv[1], read_only=True).sql('SELECT count(*) FROM " \
           "service_requests').fetchall()[0][0])"
    return int(subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True,
                              check=True).stdout)


def test_load_while_reader_queries(ingest_base: Path, tmp_path: Path) -> None:
    """The reader keeps answering during a load, always with a whole state (old or new), never an error."""
    db = copy_db(ingest_base, tmp_path)
    reader = Reader(db)
    old = reader.one("SELECT count(*) FROM service_requests")[0]
    f = _csv(tmp_path / "r.csv", *[f"Q-{i},KK,12.71.01,online,2024-03-04 10:00:00,,open" for i in range(30)])
    proc = _cli("load", "service_requests", str(f), "--db", str(db))
    seen = set()
    while proc.poll() is None:
        seen.add(reader.one("SELECT count(*) FROM service_requests")[0])
    proc.communicate()
    assert proc.returncode == 0
    seen.add(reader.one("SELECT count(*) FROM service_requests")[0])
    assert seen <= {old, old + 30} and old + 30 in seen
    assert _count_in_new_process(db) == old + 30


def test_reader_sees_the_new_load(ingest_base: Path, tmp_path: Path) -> None:
    db = copy_db(ingest_base, tmp_path)
    reader = Reader(db)
    old = reader.one("SELECT count(*) FROM service_requests")[0]
    f = _csv(tmp_path / "n.csv", "N-1,KK,12.71.01,online,2024-03-04 10:00:00,,open")
    assert main(["load", "service_requests", str(f), "--db", str(db)]) == 0
    assert reader.one("SELECT count(*) FROM service_requests")[0] == old + 1


def test_partial_replace_with_no_valid_row_changes_nothing(ingest_base: Path, tmp_path: Path, capsys) -> None:
    db = copy_db(ingest_base, tmp_path)
    before = checksum(db)
    bad = _csv(tmp_path / "bad.csv", "Z-1,KK,Medan Nowhere,online,2024-03-04 10:00:00,,open")
    code, out = run_load(capsys, db, "service_requests", bad, "--mode", "replace", "--partial")
    assert (code, out["status"], out["rows_loaded"]) == (1, "rejected", 0)
    assert checksum(db)[:4] == before[:4]


def test_tourism_upsert_and_rollback(ingest_base: Path, tmp_path: Path, capsys) -> None:
    from tests.corpus import CASES, write_case

    db = copy_db(ingest_base, tmp_path)
    before = checksum(db)
    case = next(c for c in CASES if c.name == "tourism_long")
    code, out = run_load(capsys, db, "tourism", write_case(case, tmp_path))
    assert code == 0 and out["rows_loaded"] == 2
    con = duckdb.connect(str(db), read_only=True)
    value, undo = con.execute(
        "SELECT (SELECT value FROM fct_tourism_monthly WHERE indicator = 'wisman_visits' AND period = '2024-01-01'), "
        "(SELECT count(*) FROM undo_tourism_monthly WHERE undo_load_id = ?)", [out["load_id"]]).fetchall()[0]
    con.close()
    assert value == 21345 and undo >= 1  # '45,6' elsewhere: the file writes decimal commas, so '21.345' is 21345
    assert main(["rollback", str(out["load_id"]), "--db", str(db)]) == 0
    assert checksum(db)[:4] == before[:4]
