"""Reliability: backup/restore, damaged or missing database files, SIGKILL mid-write, a full disk, other processes."""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from etl import ops
from etl.audit import next_load_id
from etl.store import StoreError, check_readable, write_transaction, writer_lock
from kpi.db import DataUnavailable, Reader
from tests.reliability_helpers import ROOT, damage_data_block, etl, fingerprint, has_traceback, sha256


@pytest.fixture
def live_db(sample_db: Path, tmp_path: Path) -> Path:
    """A writable copy of the session sample database."""
    db = tmp_path / "live" / "pantau.duckdb"
    db.parent.mkdir()
    shutil.copyfile(sample_db, db)
    return db


def _change_something(db: Path) -> None:
    with write_transaction(db) as con:
        con.execute("DELETE FROM fct_service_requests WHERE kecamatan_code = '12.71.11'")
        con.execute("INSERT INTO loads VALUES (nextval('seq_load_id'), 'service_requests', 'x.csv', NULL, 'upsert', "
                    "0, 0, 0, 'loaded', TIMESTAMP '2025-01-01 08:00:00', 'cli', '{}')")


# --- backup and restore ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["export", pytest.param("copy", marks=pytest.mark.slow)])
def test_backup_restore_round_trip(live_db: Path, tmp_path: Path, fmt: str) -> None:
    original = fingerprint(live_db)
    out = etl("backup", "--db", str(live_db), "--to", str(tmp_path / "bk"), "--format", fmt)
    assert out.returncode == 0, out.stderr
    backup_dir = ops.list_backups(tmp_path / "bk")[-1]
    assert str(backup_dir) in out.stdout and "30,000 requests" in out.stdout

    _change_something(live_db)
    changed = fingerprint(live_db)
    assert changed != original

    out = etl("restore", str(backup_dir), "--db", str(live_db))
    assert out.returncode == 0, out.stderr
    assert fingerprint(live_db) == original
    # the replaced database is kept (a hard link: no copy) and holds the changed state
    kept = next(live_db.parent.glob("pantau.duckdb.pre-restore-*"))
    assert fingerprint(kept) == changed
    # the load-id sequence continues after the restored loads: the next load cannot reuse an id
    with write_transaction(live_db) as con:
        max_id = con.execute("SELECT max(load_id) FROM loads").fetchone()[0]
        assert next_load_id(con) > max_id
    assert not list(live_db.parent.glob(".pantau.duckdb.*.tmp*"))


def test_restore_into_a_new_place_and_from_a_plain_export(sample_db: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    con = duckdb.connect(str(sample_db), read_only=True)
    con.execute(f"EXPORT DATABASE '{plain}' (FORMAT parquet)")
    con.close()
    target = tmp_path / "new-city" / "pantau.duckdb"
    target.parent.mkdir()
    out = etl("restore", str(plain), "--db", str(target))
    assert out.returncode == 0, out.stderr
    assert fingerprint(target) == fingerprint(sample_db)
    assert "pre-restore" not in out.stdout  # nothing was replaced


@pytest.mark.parametrize("damage", ["flipped_byte", *(pytest.param(d, marks=pytest.mark.slow)
                                                     for d in ("missing_file", "bad_manifest", "not_a_backup"))])
def test_restore_refuses_a_damaged_backup(live_db: Path, tmp_path: Path, damage: str) -> None:
    backup_dir = ops.backup(live_db, tmp_path / "bk")
    if damage == "flipped_byte":
        victim = backup_dir / "fct_service_requests.parquet"
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))
    elif damage == "missing_file":
        (backup_dir / "loads.parquet").unlink()
    elif damage == "bad_manifest":
        (backup_dir / "manifest.json").write_text("{not json", encoding="utf-8")
    else:
        backup_dir = tmp_path / "empty"
        backup_dir.mkdir()
    before = sha256(live_db)
    out = etl("restore", str(backup_dir), "--db", str(live_db))
    assert out.returncode == 1
    assert out.stderr.startswith("error: ") and not has_traceback(out.stderr)
    assert any(word in out.stderr for word in ("damaged", "missing", "not valid JSON", "neither"))
    assert sha256(live_db) == before
    assert not list(live_db.parent.glob(".pantau.duckdb.*"))


def test_backup_refuses_a_damaged_database_and_keep_prunes(live_db: Path, tmp_path: Path) -> None:
    for _ in range(3):
        ops.backup(live_db, tmp_path / "bk", keep=2)
    assert len(ops.list_backups(tmp_path / "bk")) == 2
    damage_data_block(live_db)
    out = etl("backup", "--db", str(live_db), "--to", str(tmp_path / "bk"))
    assert out.returncode == 1 and "damaged" in out.stderr and not has_traceback(out.stderr)
    assert len(ops.list_backups(tmp_path / "bk")) == 2
    assert not [p for p in (tmp_path / "bk").iterdir() if p.name.endswith(".partial")]


# --- damaged or missing database files ------------------------------------------------------------------------

def _damage(db: Path, kind: str) -> None:
    if kind == "empty_file":
        db.write_bytes(b"")
    elif kind == "garbage_header":
        with open(db, "r+b") as fh:
            fh.write(random.Random(1).randbytes(4096))
    elif kind == "truncated":
        with open(db, "r+b") as fh:
            fh.truncate(db.stat().st_size // 2)
    elif kind == "damaged_block":
        damage_data_block(db)
    elif kind == "missing":
        db.unlink()


@pytest.mark.parametrize("kind", ["damaged_block", *(
    pytest.param(k, marks=pytest.mark.slow) for k in ("garbage_header", "empty_file", "truncated", "missing"))])
def test_damaged_database_clear_message_intact_and_recoverable(live_db: Path, tmp_path: Path, kind: str) -> None:
    backup_dir = ops.backup(live_db, tmp_path / "bk")
    _damage(live_db, kind)
    before = sha256(live_db) if live_db.exists() else None

    doctor = etl("doctor", "--db", str(live_db), "--backups", str(tmp_path / "bk"))
    assert doctor.returncode == 1 and not has_traceback(doctor.stdout + doctor.stderr)
    first = doctor.stdout.splitlines()[0]
    assert first.startswith("BAD  database")
    expected = ("does not exist",) if kind == "missing" else ("damaged", "not a readable DuckDB file")
    assert any(e in first for e in expected), first
    assert "python -m etl restore" in first

    # The read side says "unavailable" in its own words (the app turns that into a friendly page) — never a raw error.
    if kind != "damaged_block":  # with one damaged fact block the marts still answer: the dashboard keeps working
        with pytest.raises(DataUnavailable):
            reader = Reader(live_db)
            for table in ("loads", "mart_requests_daily", "mart_completions", "fct_tourism_monthly"):
                reader.one(f"SELECT count(*), sum(hash(t)) FROM {table} t")  # reads every block

    # A write refuses and leaves the file exactly as it was (evidence for whoever investigates).
    with pytest.raises((StoreError, duckdb.Error)):
        _change_something(live_db)
    assert (sha256(live_db) if live_db.exists() else None) == before
    assert not list(live_db.parent.glob(".pantau.duckdb.*.tmp*"))

    out = etl("restore", str(backup_dir), "--db", str(live_db))
    assert out.returncode == 0, out.stderr
    check_readable(live_db)
    _change_something(live_db)  # the next write works
    assert etl("doctor", "--db", str(live_db), "--backups", str(tmp_path / "bk")).returncode == 0


# --- SIGKILL during a write -----------------------------------------------------------------------------------

def _kill_during_build(db: Path, after_seconds: float, rows: int) -> int:
    """Start a long write (`build --force`, a full copy-and-swap) and SIGKILL it; return its exit status."""
    proc = subprocess.Popen([sys.executable, "-m", "etl", "build", "--db", str(db), "--force", "--rows", str(rows)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after_seconds)
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=30)


def test_sigkill_during_a_write_leaves_the_database_intact(live_db: Path) -> None:
    original = fingerprint(live_db)
    status = _kill_during_build(live_db, 2.0, rows=2_000_000)
    assert status == -signal.SIGKILL  # it really was killed mid-way, not finished
    assert fingerprint(live_db) == original
    _change_something(live_db)  # the next write works and sweeps the dead writer's copy
    assert not list(live_db.parent.glob(".pantau.duckdb.*.tmp*"))


@pytest.mark.slow
def test_sigkill_at_many_moments(live_db: Path) -> None:
    original = fingerprint(live_db)
    rng = random.Random(7)
    killed = 0
    for _ in range(12):
        status = _kill_during_build(live_db, rng.uniform(0.3, 4.0), rows=2_000_000)
        killed += status == -signal.SIGKILL
        assert fingerprint(live_db) == original
    assert killed >= 10
    _change_something(live_db)


@pytest.mark.slow
def test_sigkill_during_a_real_load(live_db: Path, tmp_path: Path) -> None:
    """`python -m etl load` of a 400,000-row extract, killed at 6 moments within its own duration; then the same
    file loads completely. All or nothing: a kill before the file swap leaves the original, a kill after it (the
    process still exiting) or a load that won the race leaves the complete load, never a part. Each attempt starts
    from the original file, written into the live file in place; the standby the first load left (the original)
    stays, so the attempts level it by changed blocks (etl/store.py) and some kills land while that happens."""
    big = tmp_path / "big.csv"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'K-' || i AS request_id, 'KTP_EL' AS service_code, '12.71.11' AS kecamatan_code,
                          'online' AS channel, TIMESTAMP '2024-01-01 08:00' + INTERVAL (i % 5000) MINUTE AS submitted_at
                   FROM range(400000) t(i)) TO '{big}' (HEADER)""")
    con.close()
    pristine = tmp_path / "pristine.duckdb"
    shutil.copyfile(live_db, pristine)
    original = fingerprint(live_db)
    cmd = [sys.executable, "-m", "etl", "load", "service_requests", str(big), "--db", str(live_db)]
    started = time.monotonic()
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode == 0
    duration = time.monotonic() - started  # how long a whole load takes here: the kills fall inside it
    complete = fingerprint(live_db)["fct_service_requests"]
    assert complete[0] == original["fct_service_requests"][0] + 400_000
    rng = random.Random(11)
    killed = untouched = 0
    for _ in range(6):
        shutil.copyfile(pristine, live_db)
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 0.9) * duration)
        proc.send_signal(signal.SIGKILL)
        status = proc.wait(timeout=30)
        assert status in (0, -signal.SIGKILL)
        killed += status == -signal.SIGKILL
        after = fingerprint(live_db)
        if after == original:
            untouched += 1
        else:
            assert after["fct_service_requests"] == complete
    assert killed >= 4 and untouched >= 3
    out = etl("load", "service_requests", str(big), "--db", str(live_db), "--json")
    assert out.returncode == 0, out.stdout[-500:] + out.stderr[-500:]
    assert json.loads(out.stdout)["copied"]["how"] in ("copy", "blocks")
    assert fingerprint(live_db)["fct_service_requests"][0] == original["fct_service_requests"][0] + 400_000
    assert not list(live_db.parent.glob(".pantau.duckdb.*.tmp*"))


# --- a full disk ----------------------------------------------------------------------------------------------

def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_via_file_size_limit(live_db: Path, tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes every write past `limit` bytes fail with EFBIG, like a full disk, in the child only."""
    size = live_db.stat().st_size
    before = sha256(live_db)
    out = etl("build", "--db", str(live_db), "--force", "--rows", "200000", preexec_fn=_limit_file_size(size // 3))
    assert out.returncode == 1 and "Not enough disk space" in out.stderr and not has_traceback(out.stderr)
    assert sha256(live_db) == before
    csv = tmp_path / "extract.csv"
    csv.write_text("request_id,service_code,kecamatan_code,channel,submitted_at\n"
                   "FD-1,KK,12.71.05,online,2024-07-01 09:00\n", encoding="utf-8")
    out = etl("load", "service_requests", str(csv), "--db", str(live_db), preexec_fn=_limit_file_size(size // 3))
    assert out.returncode == 1 and "Not enough disk space" in out.stdout + out.stderr
    assert not has_traceback(out.stderr)
    assert sha256(live_db) == before
    out = etl("backup", "--db", str(live_db), "--to", str(tmp_path / "bk"), "--format", "copy",
              preexec_fn=_limit_file_size(size // 3))
    assert out.returncode == 1 and "Backup failed" in out.stderr and not has_traceback(out.stderr)
    assert not list((tmp_path / "bk").iterdir())
    assert sha256(live_db) == before
    _change_something(live_db)  # with room again, the next write works


@pytest.fixture
def small_tmpfs(tmp_path: Path, sample_db: Path):
    """A tmpfs with room for about four copies of the sample database (root only); skipped where not permitted."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    size_mib = 4 * sample_db.stat().st_size // 2**20 + 8
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(mnt)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_disk_on_a_small_filesystem(sample_db: Path, small_tmpfs: Path) -> None:
    db = small_tmpfs / "pantau.duckdb"
    shutil.copyfile(sample_db, db)
    filler = small_tmpfs / "filler"
    free = shutil.disk_usage(small_tmpfs).free
    filler.write_bytes(b"\0" * max(free - db.stat().st_size // 2, 0))  # room for half a copy: the write must fail
    original = fingerprint(db)
    doctor = etl("doctor", "--db", str(db))
    assert "BAD  disk" in doctor.stdout
    with pytest.raises(StoreError, match="Not enough disk space"):
        _change_something(db)
    assert fingerprint(db) == original
    assert not list(small_tmpfs.glob(".pantau.duckdb.*.tmp*"))
    filler.unlink()
    _change_something(db)
    assert fingerprint(db) != original


# --- other processes on the same database ---------------------------------------------------------------------

def test_second_writer_gets_a_clear_message(live_db: Path) -> None:
    with writer_lock(live_db):
        out = etl("build", "--db", str(live_db), "--force", "--rows", "0", env={"PANTAU_LOCK_WAIT": "1"})
    assert out.returncode == 1
    assert "Another load is writing" in out.stderr and not has_traceback(out.stderr)
    assert "Could not set lock" not in out.stderr


def test_a_program_holding_the_file_open_for_writing_is_named(live_db: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(60)", str(live_db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="held open for writing by another program"):
            check_readable(live_db)
        with pytest.raises(DataUnavailable):
            Reader(live_db).one("SELECT 1")
        doctor = etl("doctor", "--db", str(live_db))
        assert "held open for writing" in doctor.stdout and "restore" not in doctor.stdout.splitlines()[0]
    finally:
        holder.kill()
        holder.wait()
    assert Reader(live_db).one("SELECT count(*) FROM loads")[0] >= 1


@pytest.mark.slow
def test_two_reader_processes_and_a_write_at_once(live_db: Path) -> None:
    code = ("import sys; from kpi.db import Reader; r = Reader(sys.argv[1]); "
            "n = [r.one('SELECT count(*) FROM mart_requests_daily')[0] for _ in range(50)]; print(len(n))")
    readers = [subprocess.Popen([sys.executable, "-c", code, str(live_db)], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    _change_something(live_db)
    for proc in readers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "50"


def test_doctor_reports_leftovers_and_a_running_writer(live_db: Path) -> None:
    leftover = live_db.with_name(".pantau.duckdb.99999.tmp")
    leftover.write_bytes(b"half a copy")
    ops.backup(live_db)
    checks = {c.name: c for c in ops.doctor(live_db)}
    assert checks["database"].ok and checks["backup"].ok and "leftovers" in checks
    with writer_lock(live_db):
        assert "a load is running now" in {c.name: c for c in ops.doctor(live_db)}["writer"].message
    _change_something(live_db)
    assert not leftover.exists()
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(live_db.parent / "backups")
    assert os.path.exists(live_db)
