"""The standby (etl/store.py): a write after the first copies only the storage blocks that changed, yet works on an
exact private copy of the live file; a standby a reader still holds, one without its checksum list, or one that is
the live file under a second name is never written into; a kill at any moment leaves the last complete state and the
next write works. Behaviour only: the benchmarks measure the speed."""

from __future__ import annotations

import filecmp
import gc
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from etl import store
from etl.ingest.core import load_file
from kpi import metrics
from kpi.db import Reader
from kpi.filters import Filters
from tests.reliability_helpers import ROOT, fingerprint
from tests.test_marts_incremental import assert_marts_equal_full_rebuild

HEADER = "request_id,service_code,kecamatan_code,channel,submitted_at,completed_at,status\n"
ALL_TIME = Filters(date(2000, 1, 1), date(2100, 1, 1))


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "live" / "pantau.duckdb"
    path.parent.mkdir()
    shutil.copyfile(sample_db, path)
    return path


def _file(tmp_path: Path, prefix: str, n: int, day: int = 5) -> Path:
    path = tmp_path / f"{prefix}.csv"
    rows = [f"{prefix}-{i},KTP_EL,12.71.{1 + i % 21:02d},online,2024-06-{day:02d} 09:{i % 60:02d}:00,"
            f"2024-06-{day + 1:02d} 10:00:00,completed" for i in range(n)]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _load(db: Path, path: Path) -> dict:
    res = load_file(db, "service_requests", path, source="cli")
    assert res.status == "loaded", res.errors[:1]
    return res.copied


def test_the_second_write_copies_changed_blocks_only_and_the_data_is_the_same(db: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin" / "pantau.duckdb"  # the same loads with a whole copy each time
    twin.parent.mkdir()
    shutil.copyfile(db, twin)
    first = _load(db, _file(tmp_path, "A", 40))
    second = _load(db, _file(tmp_path, "B", 30, day=12))
    third = _load(db, _file(tmp_path, "C", 20, day=20))
    assert first["how"] == "copy"  # no standby yet
    assert second["how"] == third["how"] == "blocks"
    size = db.stat().st_size
    assert 0 < second["bytes"] < size / 2 and 0 < third["bytes"] < size / 2
    store.STANDBY = False
    try:
        for name in ("A", "B", "C"):
            assert _load(twin, tmp_path / f"{name}.csv")["how"] == "copy"
    finally:
        store.STANDBY = True
    ours, theirs = fingerprint(db), fingerprint(twin)
    for table in ours:  # the audit rows carry their own load times; every other table is equal
        if table != "loads":
            assert ours[table] == theirs[table], table
    assert_marts_equal_full_rebuild(db)


def test_the_private_copy_is_byte_for_byte_the_live_file(db: Path, tmp_path: Path) -> None:
    _load(db, _file(tmp_path, "A", 40))
    _load(db, _file(tmp_path, "B", 30, day=12))  # the standby is now the file before this load
    tmp = db.with_name(".pantau.duckdb.check.tmp")
    with store.writer_lock(db):
        how, copied, _ = store._level_copy(db, tmp)
        assert how == "blocks" and copied < db.stat().st_size
        assert filecmp.cmp(db, tmp, shallow=False)
        tmp.unlink()
    # the standby went into that copy: the next write copies the whole file, and keeps a standby again
    assert not store.standby_path(db).exists()
    assert _load(db, _file(tmp_path, "C", 20, day=20))["how"] == "copy"
    assert _load(db, _file(tmp_path, "D", 20, day=22))["how"] == "blocks"


def test_a_standby_a_reader_holds_is_never_written_into(db: Path, tmp_path: Path) -> None:
    _load(db, _file(tmp_path, "A", 40))
    reader = Reader(db)
    before = metrics.summary(reader, ALL_TIME)["received"]  # the reader now holds the live file open
    held = os.stat(db).st_ino
    _load(db, _file(tmp_path, "B", 30, day=12))  # that file becomes the standby, still held by the reader
    assert os.stat(store.standby_path(db)).st_ino == held
    kept = store.standby_path(db).read_bytes()
    assert _load(db, _file(tmp_path, "C", 20, day=20))["how"] == "copy"  # not levelled while held
    fd = _fd_of(held)  # the reader's own descriptor: the file it reads is exactly as it was
    assert fd is not None and Path(f"/proc/self/fd/{fd}").read_bytes() == kept
    assert metrics.summary(reader, ALL_TIME)["received"] == before + 50  # the reader moved on to the new file
    del reader
    gc.collect()
    assert _load(db, _file(tmp_path, "D", 20, day=22))["how"] == "blocks"
    assert metrics.summary(Reader(db), ALL_TIME)["received"] == before + 70


def _fd_of(inode: int) -> int | None:
    """A descriptor of this process open on `inode`, if any (the reader's, through DuckDB)."""
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.stat(f"/proc/self/fd/{fd}").st_ino == inode:
                return int(fd)
        except OSError:
            continue
    return None


def test_a_standby_a_reader_in_another_process_holds_is_never_written_into(db: Path, tmp_path: Path) -> None:
    _load(db, _file(tmp_path, "A", 40))
    code = ("import sys, duckdb; c = duckdb.connect(':memory:'); "
            "c.execute('ATTACH ? AS p (READ_ONLY)', [sys.argv[1]]); c.execute('SELECT count(*) FROM p.loads'); "
            "print('open', flush=True); sys.stdin.read()")
    holder = subprocess.Popen([sys.executable, "-c", code, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        _load(db, _file(tmp_path, "B", 30, day=12))  # the file it holds becomes the standby
        kept = store.standby_path(db).read_bytes()
        assert _load(db, _file(tmp_path, "C", 20, day=20))["how"] == "copy"
        fd = os.listdir(f"/proc/{holder.pid}/fd")
        held = [f for f in fd if Path(f"/proc/{holder.pid}/fd/{f}").resolve().name.startswith(".pantau.duckdb")
                or Path(f"/proc/{holder.pid}/fd/{f}").resolve().name.startswith("pantau.duckdb")]
        assert held and Path(f"/proc/{holder.pid}/fd/{held[0]}").read_bytes() == kept
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert _load(db, _file(tmp_path, "D", 20, day=22))["how"] == "blocks"


def test_a_standby_without_its_checksums_or_that_is_the_live_file_is_not_trusted(db: Path, tmp_path: Path) -> None:
    _load(db, _file(tmp_path, "A", 40))
    _load(db, _file(tmp_path, "B", 30, day=12))
    store._sums_path(db).unlink()  # as a writer killed while levelling it leaves it
    assert _load(db, _file(tmp_path, "C", 20, day=20))["how"] == "copy"
    assert _load(db, _file(tmp_path, "D", 20, day=22))["how"] == "blocks"
    # a writer killed between keeping the standby and the swap: the standby is the live file under a second name
    standby = store.standby_path(db)
    standby.unlink()
    os.link(db, standby)
    store._write_sums(db, standby, store.block_sums(db))
    live = fingerprint(db)
    assert _load(db, _file(tmp_path, "E", 20, day=24))["how"] == "copy"
    assert fingerprint(db)["fct_service_requests"][0] == live["fct_service_requests"][0] + 20
    assert_marts_equal_full_rebuild(db)


def test_standby_off_keeps_no_second_file(db: Path, tmp_path: Path) -> None:
    store.STANDBY = False
    try:
        _load(db, _file(tmp_path, "A", 40))
        _load(db, _file(tmp_path, "B", 30, day=12))
    finally:
        store.STANDBY = True
    assert not store.standby_path(db).exists() and not store._sums_path(db).exists()


def test_sigkill_at_any_moment_of_a_levelled_load(db: Path, tmp_path: Path) -> None:
    """Loads into a database that has a standby, killed at moments spread over a load's own duration: the live file
    is the last complete state (before or after the load, never a part), and the next load works and keeps the
    marts equal to a full rebuild."""
    big = tmp_path / "big.csv"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'K-' || i AS request_id, 'KTP_EL' AS service_code, '12.71.11' AS kecamatan_code,
                          'online' AS channel, TIMESTAMP '2024-01-01 08:00' + INTERVAL (i % 5000) MINUTE AS submitted_at
                   FROM range(150000) t(i)) TO '{big}' (HEADER)""")
    con.close()
    _load(db, _file(tmp_path, "A", 40))  # a standby exists from here on
    original = fingerprint(db)["fct_service_requests"]
    cmd = [sys.executable, "-m", "etl", "load", "service_requests", str(big), "--db", str(db)]
    kept = tmp_path / "kept.duckdb"
    shutil.copyfile(db, kept)
    started = time.monotonic()
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode == 0
    duration = time.monotonic() - started
    complete = fingerprint(db)["fct_service_requests"]
    outcomes = []
    for share in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8):
        shutil.copyfile(kept, db)  # the state before the load, written into the live file (the standby stays)
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(share * duration)
        proc.send_signal(signal.SIGKILL)
        status = proc.wait(timeout=30)
        now = fingerprint(db)["fct_service_requests"]
        assert now in (original, complete), (share, now)
        outcomes.append((status, now == original))
    assert sum(1 for status, _ in outcomes if status == -signal.SIGKILL) >= 4
    assert any(before for _, before in outcomes)
    res = load_file(db, "service_requests", _file(tmp_path, "Z", 25, day=26), source="cli")
    assert res.status == "loaded" and res.copied["how"] in ("copy", "blocks")
    assert not list(db.parent.glob(".pantau.duckdb.*.tmp*"))
    assert_marts_equal_full_rebuild(db)
