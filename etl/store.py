"""ETL layer: the only writer of the database.

Every write works on a private copy of the database file and is swapped in with an atomic rename, so
- readers (the dashboard, a kiosk) never wait and see either the old or the new file, never a mix;
- a process killed mid-load leaves the live file untouched (its copy is swept up by the next writer);
- two writers never interleave: an exclusive lock file serialises them, the second waits, then fails clearly.

The private copy costs what the load changed, not the database's size: the file a load replaces is kept as a standby
(`.<db>.standby`, never opened by readers), and the next write brings it level with the live file by copying only the
storage blocks whose checksum differs (a nightly load changes a handful of them), then works on it. See
docs/architecture.md ("A load's cost").
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from base.database import attach_read_only

SQL_DIR = Path(__file__).resolve().parent / "sql"
LOCK_WAIT_SECONDS = float(os.environ.get("PANTAU_LOCK_WAIT", "120"))
# A writer's DuckDB buffer pool: larger sorts and joins spill to a directory beside the copy instead of growing the
# process (DuckDB's default is 80% of RAM), so a 10-million-row build or load runs in bounded memory.
WRITER_MEMORY_LIMIT = os.environ.get("PANTAU_WRITER_MEMORY", "1GB")
# PANTAU_STANDBY=0: no standby (every write copies the whole file, and the disk holds one database instead of two).
STANDBY = os.environ.get("PANTAU_STANDBY", "1") != "0"


class StoreBusy(RuntimeError):
    """Another load holds the database for longer than we are willing to wait."""


class StoreError(RuntimeError):
    """The database file cannot be used (missing, corrupt, not a DuckDB file)."""


def _lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


@contextlib.contextmanager
def writer_lock(db: Path, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the exclusive writer lock; wait up to `wait_seconds`, then raise StoreBusy."""
    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(_lock_path(db), os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"Another load is writing {db.name}; waited {wait_seconds:.0f} s. "
                                    "Try again when it has finished.") from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _sweep_stale_copies(db: Path) -> None:
    # Only called while holding the writer lock, so any copy left is from a writer that died.
    for stale in db.parent.glob(f".{db.name}.*.tmp*"):
        if stale.is_dir():  # a spill directory
            shutil.rmtree(stale, ignore_errors=True)
            continue
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run_sql_file(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Mart:
    """One mart: etl/sql/marts/NNN_<name>.sql holds its SELECT and, in comment lines, its key. The SELECT reads the
    facts as `{facts}`, or as `{requests}`: the facts with their deadline (etl/sql/requests_due.sql); a mart made from
    the daily mart reads it as `{daily}` (on a refresh, only the days of the months it replaces), one made from the
    completions as `{completions}` (on a refresh, only the touched days' rows). An earlier file name builds first.

    key      the column (or expression) a refresh replaces rows by
    touched  how a touched day (mart_touched_days.day) maps to key values
    order    the sort key that keeps zone maps useful (default: key)
    """

    name: str
    select: str
    key: str
    touched: str
    order: str

    def over(self, facts: str, daily: str = "mart_requests_daily", completions: str = "mart_completions") -> str:
        """The mart's SELECT over the tables `facts`, `daily` and `completions` (names from this module, never
        input)."""
        return (self.select.replace("{requests}", f"({requests_due(facts)})").replace("{facts}", facts)
                .replace("{daily}", daily).replace("{completions}", completions))


def requests_due(facts: str) -> str:
    """SELECT of the facts in `facts` with due_at and on_time: the one definition of a deadline."""
    return (SQL_DIR / "requests_due.sql").read_text(encoding="utf-8").replace("{facts}", facts)


def write_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the analyst-facing views (etl/sql/views.sql)."""
    con.execute((SQL_DIR / "views.sql").read_text(encoding="utf-8")
                .replace("{requests}", requests_due("fct_service_requests")))
    con.execute((SQL_DIR / "programmes.sql").read_text(encoding="utf-8"))  # the master plan's tables and view
    con.execute((SQL_DIR / "skm.sql").read_text(encoding="utf-8"))  # the satisfaction survey's tables


def marts() -> list[Mart]:
    """The marts in file-name order (a later mart may read an earlier one)."""
    out = []
    for path in sorted((SQL_DIR / "marts").glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        meta = dict(re.findall(r"^-- (key|touched|order): (.+)$", text, flags=re.M))
        out.append(Mart(name=path.stem.split("_", 1)[1], select=text, key=meta["key"], touched=meta["touched"],
                        order=meta.get("order", meta["key"])))
    return out


# Fact rows a load or a rollback of `$id` adds or removes, old and new versions (upserts keep the old ones in undo).
_TOUCHED_ROWS = """
    SELECT submitted_at, completed_at FROM fct_service_requests WHERE load_id = $id
    UNION ALL
    SELECT submitted_at, completed_at FROM undo_service_requests WHERE undo_load_id = $id
"""
# Above this share of the facts a full rebuild is cheaper than replacing days, and it restores the sort order.
INCREMENTAL_MAX_SHARE = 0.25


def mark_touched(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Remember the days (submitted or completed) of every fact row load `load_id` adds or removes.

    Call it when the rows of both versions are present: after a load's write, before a rollback's delete. When the
    rows are more than INCREMENTAL_MAX_SHARE of the facts the marts are rebuilt whole, so their days are not listed.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE mart_touched_rows AS SELECT count(*) AS n FROM ({_TOUCHED_ROWS})",
                {"id": load_id})
    many = con.execute(
        "SELECT (SELECT n FROM mart_touched_rows) > $share * (SELECT count(*) FROM fct_service_requests)",
        {"share": INCREMENTAL_MAX_SHARE}).fetchone()[0]
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE mart_touched_days AS
        SELECT DISTINCT day FROM (
            SELECT unnest([CAST(submitted_at AS DATE), CAST(completed_at AS DATE)]) AS day FROM ({_TOUCHED_ROWS}))
        WHERE day IS NOT NULL AND NOT $many
        """,
        {"id": load_id, "many": many},
    )


def _same_shape(con: duckdb.DuckDBPyConnection, m: Mart) -> bool:
    """Whether mart `m` exists with the columns its SQL makes now (a database from an older version may differ:
    then only a full rebuild brings it up to date)."""
    have = con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                       "WHERE table_name = $t AND database_name = current_database() AND schema_name = 'main' "
                       "ORDER BY column_index", {"t": m.name}).fetchall()
    if not have:
        return False
    try:
        want = con.execute(f"DESCRIBE SELECT * FROM ({m.over('fct_service_requests')}) LIMIT 0")
    except duckdb.CatalogException:  # a mart it reads (an earlier one) is missing
        return False
    return have == [(r[0], r[1]) for r in want.fetchall()]


def outdated_marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Marts missing, or shaped differently from their SQL (a database made by an older release)."""
    return [m.name for m in marts() if not _same_shape(con, m)]


def outdated_marts_in(db: Path) -> list[str]:
    """outdated_marts() of the database file `db`, read through a private read-only connection."""
    con = open_read_only(db)
    try:
        return outdated_marts(con)
    finally:
        con.close()


def refresh_marts(con: duckdb.DuckDBPyConnection, *, only_touched: bool = False) -> str:
    """Bring every mart up to date with the facts; returns "full" or "incremental".

    Full: rebuild each mart from all facts, sorted. Incremental (after mark_touched): replace only the mart rows of
    the touched days, computed from the facts of those days — a nightly load into ten million requests then costs
    its own days, not a rebuild. The rows of a day depend only on facts submitted or completed that day, and every
    touched day is replaced whole, so the result equals a full rebuild (tests/test_marts_incremental.py checks it).
    """
    items = marts()
    # a load (or rollback) that touched more rows than the share: rebuild without copying the touched days first
    many = only_touched and con.execute(
        "SELECT (SELECT n FROM mart_touched_rows) > $share * (SELECT count(*) FROM fct_service_requests)",
        {"share": INCREMENTAL_MAX_SHARE}).fetchone()[0]
    if only_touched and not many and not outdated_marts(con):
        # The facts of the touched days. Each half also gives a range on a plain column, so DuckDB's zone maps skip the
        # row groups outside it (facts arrive roughly in time order) instead of reading every fact: the cost follows
        # the load, not the database.
        lo, hi = con.execute("SELECT min(day), max(day) + 1 FROM mart_touched_days").fetchone()
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE mart_facts AS
            SELECT * FROM fct_service_requests
            WHERE submitted_at >= CAST($lo AS TIMESTAMP) AND submitted_at < CAST($hi AS TIMESTAMP)
              AND CAST(submitted_at AS DATE) IN (SELECT day FROM mart_touched_days)
            UNION ALL
            SELECT * FROM fct_service_requests
            WHERE completed_at >= CAST($lo AS TIMESTAMP) AND completed_at < CAST($hi AS TIMESTAMP)
              AND CAST(completed_at AS DATE) IN (SELECT day FROM mart_touched_days)
              AND CAST(submitted_at AS DATE) NOT IN (SELECT day FROM mart_touched_days)
            """, {"lo": lo, "hi": hi})
        scope, total = con.execute(
            "SELECT (SELECT count(*) FROM mart_facts), (SELECT count(*) FROM fct_service_requests)").fetchone()
        if scope <= INCREMENTAL_MAX_SHARE * total:
            for m in items:
                keys = f"{m.key} IN (SELECT DISTINCT {m.touched} FROM mart_touched_days)"
                k_lo, k_hi = con.execute(f"SELECT min({m.touched}), max({m.touched}) FROM mart_touched_days").fetchone()
                # the range again lets the zone maps of the mart (sorted by its key) skip untouched row groups
                in_range = f"{m.key} BETWEEN $k_lo AND $k_hi"
                con.execute(f"DELETE FROM {m.name} WHERE {in_range} AND {keys}", {"k_lo": k_lo, "k_hi": k_hi})
                daily = "mart_requests_daily"
                if "{daily}" in m.select:  # only the daily rows of the replaced keys' months
                    con.execute(
                        """
                        CREATE OR REPLACE TEMP TABLE mart_daily_scope AS
                        SELECT * FROM mart_requests_daily
                        WHERE day >= date_trunc('month', $lo::DATE) AND day < date_trunc('month', $hi::DATE)
                                                                          + INTERVAL 1 MONTH
                          AND date_trunc('month', day) IN
                              (SELECT DISTINCT date_trunc('month', day) FROM mart_touched_days)
                        """, {"lo": lo, "hi": hi})
                    daily = "mart_daily_scope"
                completions = "mart_completions"
                if "{completions}" in m.select:  # only the completions of the touched days (refreshed just before)
                    con.execute(
                        """
                        CREATE OR REPLACE TEMP TABLE mart_completions_scope AS
                        SELECT * FROM mart_completions
                        WHERE completed_day >= $lo::DATE AND completed_day < $hi::DATE
                          AND completed_day IN (SELECT day FROM mart_touched_days)
                        """, {"lo": lo, "hi": hi})
                    completions = "mart_completions_scope"
                con.execute(f"INSERT INTO {m.name} SELECT * FROM ({m.over('mart_facts', daily, completions)}) "
                            f"WHERE {keys} ORDER BY {m.order}")
            return "incremental"
    for m in items:
        con.execute(f"CREATE OR REPLACE TABLE {m.name} AS "
                    f"SELECT * FROM ({m.over('fct_service_requests')}) ORDER BY {m.order}")
    names = [m.name for m in items]
    for (old,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                              "AND schema_name = 'main' AND table_name LIKE 'mart\\_%' ESCAPE '\\' "
                              "AND NOT list_contains($names, table_name)", {"names": names}).fetchall():
        con.execute(f'DROP TABLE "{old}"')  # a mart an older release made and this one no longer does
    return "full"


def open_read_only(db: Path) -> duckdb.DuckDBPyConnection:
    """A private read-only connection to `db` (base.database.attach_read_only), independent of any other connection
    in this process (the dashboard's locked-down Reader may have the same file open during an upload)."""
    return attach_read_only(db)


def check_readable(db: Path) -> None:
    """Raise StoreError with a clear message if `db` is not a usable Pantau database."""
    if not db.exists():
        raise StoreError(f"Database {db} does not exist. Create it with: python -m etl build --db {db}")
    try:
        con = open_read_only(db)
        try:
            con.execute("SELECT count(*) FROM loads").fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        if "Could not set lock" in str(exc):  # not damage: another program opened the file for writing
            raise StoreError(f"Database {db} is held open for writing by another program ({str(exc)[:200]}). Close "
                             "that program: Pantau writes only through `python -m etl`, never in place.") from exc
        raise StoreError(
            f"Database {db} cannot be read ({type(exc).__name__}). Restore it from a backup "
            f"(python -m etl restore) or rebuild it (python -m etl build --force)."
        ) from exc


_NO_ROOM = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def _raise_if_no_room(exc: BaseException | None, db: Path) -> None:
    """A full disk (or quota / file-size limit) becomes a StoreError that says so, instead of a traceback."""
    no_room = (isinstance(exc, OSError) and exc.errno in _NO_ROOM) or (
        isinstance(exc, duckdb.Error) and any(m in str(exc) for m in ("No space left", "File too large", "quota")))
    if no_room:
        raise StoreError(f"Not enough disk space to write {db.name} ({str(exc).splitlines()[0][:160]}). The database "
                         f"is unchanged. A write needs room for one more copy of it: free some space in {db.parent} "
                         "(python -m etl doctor shows how much).") from exc


# --- the standby: a private copy that follows the live file block by block --------------------------------------
# A DuckDB file is a 12 KiB header (a main header and two database headers) followed by storage blocks of 256 KiB,
# each starting with an 8-byte checksum of its contents. A block whose checksum equals the live file's block at the
# same place holds the same bytes, so making the standby equal to the live file means copying the headers and the
# blocks whose checksums differ. The standby's checksums are kept beside it (`.sums`), written only once it is
# complete and removed before anything writes into it: a standby without them is never trusted (a writer killed
# while copying leaves a file that is not what any checksum list says).
HEADER_BYTES = 3 * 4096
BLOCK_BYTES = 262144


def standby_path(db: Path) -> Path:
    return db.with_name(f".{db.name}.standby")


def _sums_path(db: Path) -> Path:
    return db.with_name(f".{db.name}.standby.sums")


def block_sums(path: Path) -> bytes | None:
    """The checksum of every storage block of a DuckDB file, in order; None if the file is not laid out that way."""
    size = os.path.getsize(path)
    if size < HEADER_BYTES or (size - HEADER_BYTES) % BLOCK_BYTES:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        if os.pread(fd, 4, 8) != b"DUCK":
            return None
        return b"".join(os.pread(fd, 8, off) for off in range(HEADER_BYTES, size, BLOCK_BYTES))
    finally:
        os.close(fd)


def _in_use(path: Path) -> bool:
    """Whether any DuckDB connection holds `path` open. In this process: a descriptor open on the file (DuckDB keeps
    one for as long as a database is attached; its fcntl lock is no proof here, as any close of another descriptor
    on the same file drops a process's own locks). In other processes: their DuckDB lock, which an
    open-file-description lock conflicts with. Without /proc the answer is yes (the write then copies the file)."""
    st = os.stat(path)
    try:
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                other = os.stat(f"/proc/self/fd/{fd}")
                if (other.st_ino, other.st_dev) == (st.st_ino, st.st_dev):
                    return True
    except OSError:
        return True
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
        return False
    except OSError:
        return True
    finally:
        os.close(fd)  # releases the lock


def _trusted_standby(db: Path) -> tuple[Path, bytes] | None:
    """The standby and its checksums, when it can be made level with `db` by copying blocks: its checksum list is
    there and names this very file, it is not the live file under another name, and no reader holds it."""
    standby, sums_file = standby_path(db), _sums_path(db)
    try:
        raw = sums_file.read_bytes()
        st_standby, st_db = os.stat(standby), os.stat(db)
    except FileNotFoundError:
        return None
    ino, size = struct.unpack_from("qq", raw)
    sums = raw[16:]
    if (st_standby.st_ino, st_standby.st_size) != (ino, size) or st_standby.st_ino == st_db.st_ino:
        return None
    if len(sums) != 8 * ((size - HEADER_BYTES) // BLOCK_BYTES) or _in_use(standby):
        return None
    return standby, sums


def _write_sums(db: Path, standby: Path, sums: bytes) -> None:
    st = os.stat(standby)
    part = db.with_name(f".{db.name}.standby.sums.tmp")
    with open(part, "wb") as fh:
        fh.write(struct.pack("qq", st.st_ino, st.st_size) + sums)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(part, _sums_path(db))


def _forget_standby(db: Path) -> None:
    for path in (_sums_path(db), standby_path(db)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _level_copy(db: Path, tmp: Path) -> tuple[str, int, bytes | None]:
    """Make `tmp` a private, exact copy of `db`: from the standby by changed blocks when it can be trusted, else a
    whole copy. Returns (how, bytes copied, the checksums of `db` when they were read)."""
    live_sums = block_sums(db) if STANDBY else None
    found = _trusted_standby(db) if live_sums is not None else None
    if found is None:
        shutil.copyfile(db, tmp)
        return "copy", os.path.getsize(db), live_sums
    standby, old = found
    _sums_path(db).unlink()  # from here on the standby is not what its checksums say
    _fsync_dir(db.parent)
    copied = 0
    size = os.path.getsize(db)
    with open(db, "rb") as src, open(standby, "r+b") as dst:
        def copy(offset: int, length: int) -> None:
            nonlocal copied
            done = 0
            while done < length:
                n = os.copy_file_range(src.fileno(), dst.fileno(), length - done, offset + done, offset + done)
                if n == 0:
                    raise OSError(errno.EIO, f"short copy of {db.name} at {offset + done}")
                done += n
            copied += length

        copy(0, HEADER_BYTES)
        for i in range(len(live_sums) // 8):
            if live_sums[8 * i:8 * i + 8] != old[8 * i:8 * i + 8]:
                copy(HEADER_BYTES + i * BLOCK_BYTES, BLOCK_BYTES)
        dst.truncate(size)
        os.fsync(dst.fileno())
    os.replace(standby, tmp)
    return "blocks", copied, live_sums


def _keep_as_standby(db: Path, sums: bytes | None) -> None:
    """Before `db` is replaced: keep the file it names as the next standby (a second name for it, with its
    checksums). A crash between here and the swap leaves a standby that is the live file itself, which
    _trusted_standby refuses."""
    if sums is None:
        _forget_standby(db)
        return
    link = db.with_name(f".{db.name}.standby.tmp")
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    try:
        os.link(db, link)
    except OSError:  # a filesystem without hard links: every write copies the whole file
        _forget_standby(db)
        return
    with contextlib.suppress(FileNotFoundError):
        _sums_path(db).unlink()
    os.replace(link, standby_path(db))
    _write_sums(db, standby_path(db), sums)


# How the last write in this process made its private copy ("copy" or "blocks") and how many bytes that copied: the
# load's timings and the benchmarks read it.
LAST_COPY: dict[str, object] = {}


@contextlib.contextmanager
def write_transaction(db: Path, *, create: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS,
                      refresh: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-write connection to a private copy of `db`; on success swap it in atomically.

    With `create=True` the copy starts empty and gets the schema (a fresh build). If the body raises, the
    live database is untouched and the copy is deleted.
    """
    db = Path(db)
    with writer_lock(db, wait_seconds):
        _sweep_stale_copies(db)
        tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
        live_sums: bytes | None = None
        if not create:
            check_readable(db)
            try:
                how, copied, live_sums = _level_copy(db, tmp)
                LAST_COPY.update(how=how, bytes=copied)
            except BaseException as exc:  # e.g. a full disk: do not leave half a copy taking the space
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                _raise_if_no_room(exc, db)
                raise
        con = duckdb.connect(str(tmp), config={"memory_limit": WRITER_MEMORY_LIMIT,
                                               "temp_directory": str(tmp) + ".spill"})
        try:
            con.execute("SET preserve_insertion_order = true")
            if create:
                run_sql_file(con, SQL_DIR / "schema.sql")
            yield con
            if refresh:
                refresh_marts(con)
            con.execute("CHECKPOINT")
            con.close()
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            if STANDBY and db.exists():
                _keep_as_standby(db, live_sums if live_sums is not None else block_sums(db))
            os.replace(tmp, db)
            _fsync_dir(db.parent)
        except BaseException:
            with contextlib.suppress(Exception):
                con.close()
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            shutil.rmtree(str(tmp) + ".spill", ignore_errors=True)
            _raise_if_no_room(sys.exc_info()[1], db)
            raise
