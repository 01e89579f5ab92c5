"""ETL layer: operations on the whole database file — backup, restore and a health check (`python -m etl doctor`).

A backup is a directory holding either a DuckDB EXPORT DATABASE in Parquet (portable across DuckDB versions, the
default) or a verified copy of the database file, plus `manifest.json` with the row count of every table and the
sha256 of every file. Restore checks the manifest, rebuilds the database in a private file next to the live one,
verifies it, rebuilds the marts and swaps it in with one atomic rename under the writer lock, exactly like a load:
a restore killed half-way leaves the live database as it was. The replaced file is kept as a hard link
(`<db>.pre-restore-<time>`), which costs no disk space because loads and restores never modify a file in place.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from base.alerts import rules, rules_file
from base.calendar import year_notes
from base.clock import now_local
from base.settings import PackError, city_dir, city_settings, db_path
from base.units import pack_name_keys, pack_responsibility
from etl.store import StoreError, open_read_only, outdated_marts_in, refresh_marts, writer_lock

MANIFEST = "manifest.json"
FORMATS = ("export", "copy")
COPY_NAME = "pantau.duckdb"
# Tables a database must have to be a Pantau database (restore refuses anything else).
REQUIRED_TABLES = ("loads", "dim_kecamatan", "dim_service", "fct_service_requests", "fct_tourism_monthly")


def default_backup_dir(db: Path) -> Path:
    """Backups go beside the database by default: data/backups/ (gitignored)."""
    return db.parent / "backups"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal "
                       "AND database_name = current_database() ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def scan(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every table, reading every column of every row so that DuckDB checks every block's checksum.

    A plain count(*) only touches metadata: a damaged data block would go unnoticed until a page read it.
    """
    counts: dict[str, int] = {}
    for table in _tables(con):
        ident = '"' + table.replace('"', '""') + '"'  # names come from the catalogue, quoted anyway
        n, _ = con.execute(f"SELECT count(*), sum(hash(t)) FROM {ident} AS t").fetchone()
        counts[table] = int(n)
    return counts


def verify(db: Path) -> dict[str, int]:
    """Open `db` read-only and read all of it; return the row counts or raise StoreError saying what is wrong."""
    db = Path(db)
    if not db.is_file():
        raise StoreError(f"Database {db} does not exist. Create it with: python -m etl build --db {db}, "
                         f"or restore a backup with: python -m etl restore BACKUP --db {db}")
    try:
        con = open_read_only(db)
    except duckdb.Error as exc:
        if "Could not set lock" in str(exc):
            raise StoreError(f"Database {db} is held open for writing by another program ({_short(exc)}). Close "
                             "that program: Pantau writes only through `python -m etl`, never in place.") from exc
        raise StoreError(f"Database {db} is not a readable DuckDB file ({_short(exc)}). {_remedy(db)}") from exc
    try:
        counts = scan(con)
    except duckdb.Error as exc:
        raise StoreError(f"Database {db} is damaged ({_short(exc)}). {_remedy(db)}") from exc
    finally:
        con.close()
    missing = [t for t in REQUIRED_TABLES if t not in counts]
    if missing:
        raise StoreError(f"{db} is a DuckDB file but not a Pantau database (no table {', '.join(missing)}).")
    return counts


def _remedy(db: Path) -> str:
    return (f"Restore a backup (python -m etl restore BACKUP --db {db}) "
            f"or rebuild it (python -m etl build --force --db {db}).")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def _stamp() -> str:
    return now_local().strftime("%Y%m%d-%H%M%S")


def backup(db: Path, to_dir: Path | None = None, *, fmt: str = "export", keep: int | None = None) -> Path:
    """Write a verified backup of `db` into a new directory under `to_dir`; return that directory.

    The live file is only ever replaced whole, never changed in place, so reading it while the dashboard runs or a
    load is under way gives a consistent snapshot. The backup directory appears under its final name only when
    complete (written as `.name.partial`, then renamed).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    db = Path(db)
    to_dir = Path(to_dir) if to_dir else default_backup_dir(db)
    to_dir.mkdir(parents=True, exist_ok=True)
    name = f"{db.stem}-{_stamp()}"
    final = to_dir / name
    n = 1
    while final.exists():
        n += 1
        final = to_dir / f"{name}-{n}"
    partial = to_dir / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        if fmt == "copy":
            # Open the file first: should a load swap in a new file meanwhile, we keep copying the old one whole.
            with open(db, "rb") as src, open(partial / COPY_NAME, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
            tables = verify(partial / COPY_NAME)
        else:
            tables = verify(db)  # refuse to back up a damaged database: a backup must restore
            con = open_read_only(db)
            try:
                # EXPORT takes no bound parameter; the path is ours (not user input) and quoted as a literal.
                con.execute(f"EXPORT DATABASE '{_sql_str(partial)}' (FORMAT parquet, COMPRESSION zstd)")
            finally:
                con.close()
        files = {p.name: {"bytes": p.stat().st_size, "sha256": _sha256(p)}
                 for p in sorted(partial.iterdir()) if p.is_file()}
        manifest = {"pantau_backup": 1, "format": fmt, "created_at_local": now_local().isoformat(),
                    "source": str(db), "duckdb_version": duckdb.__version__, "tables": tables, "files": files}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for p in partial.iterdir():
            _fsync_path(p)
        os.rename(partial, final)
        _fsync_path(to_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if keep:
        prune(to_dir, keep, prefix=f"{db.stem}-")
    return final


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def list_backups(to_dir: Path, prefix: str = "") -> list[Path]:
    """Complete backups (directories with a manifest), oldest first."""
    if not to_dir.is_dir():
        return []
    found = [p for p in to_dir.iterdir() if p.is_dir() and p.name.startswith(prefix) and (p / MANIFEST).is_file()]
    return sorted(found, key=lambda p: (p / MANIFEST).stat().st_mtime_ns)


def prune(to_dir: Path, keep: int, prefix: str = "") -> list[Path]:
    """Delete all but the newest `keep` complete backups; return the deleted ones."""
    backups = list_backups(to_dir, prefix)
    doomed = backups[:-keep] if keep > 0 else []
    for p in doomed:
        shutil.rmtree(p)
    return doomed


def _read_manifest(src: Path) -> dict[str, Any] | None:
    path = src / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path} is not valid JSON ({exc}); this backup cannot be trusted.") from None
    if manifest.get("format") not in FORMATS or not isinstance(manifest.get("files"), dict):
        raise StoreError(f"{path} is not a Pantau backup manifest.")
    for fname, meta in manifest["files"].items():
        f = src / fname
        if not f.is_file():
            raise StoreError(f"Backup {src} is incomplete: {fname} is missing.")
        if f.stat().st_size != meta["bytes"] or _sha256(f) != meta["sha256"]:
            raise StoreError(f"Backup {src} is damaged: {fname} does not match its checksum in {MANIFEST}.")
    return manifest


@dataclass
class RestoreResult:
    db: Path
    source: Path
    tables: dict[str, int]
    previous: Path | None = None          # hard link to the database that was replaced, if there was one
    notes: list[str] = field(default_factory=list)


def restore(src: Path, db: Path, *, keep_previous: bool = True) -> RestoreResult:
    """Replace `db` with the backup at `src` (a backup directory, a bare EXPORT DATABASE directory or a .duckdb file).

    Nothing happens to the live database unless the restored copy verified completely.
    """
    src, db = Path(src), Path(db)
    if not src.exists():
        raise StoreError(f"Backup {src} does not exist. List backups with: ls {default_backup_dir(db)}")
    manifest = _read_manifest(src) if src.is_dir() else None
    if src.is_dir():
        kind = manifest["format"] if manifest else "export"
        if kind == "export" and not (src / "schema.sql").is_file():
            raise StoreError(f"{src} is neither a Pantau backup nor a DuckDB EXPORT DATABASE directory "
                             "(it has no manifest.json and no schema.sql).")
    else:
        kind = "file"
    result = RestoreResult(db=db, source=src, tables={})
    with writer_lock(db):
        tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")  # the name store sweeps if we are killed
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        try:
            if kind == "export":
                con = duckdb.connect(str(tmp))
                try:
                    con.execute("SET preserve_insertion_order = true")
                    con.execute(f"IMPORT DATABASE '{_sql_str(src)}'")
                finally:
                    con.close()
            else:
                copy_from = src / COPY_NAME if kind == "copy" else src
                shutil.copyfile(copy_from, tmp)
            try:
                verify(tmp)
            except StoreError as exc:
                why = _short(exc.__cause__) if exc.__cause__ else str(exc)
                raise StoreError(f"{src} cannot be restored: it is not a complete Pantau database ({why}). "
                                 f"The database {db} is unchanged.") from exc
            con = duckdb.connect(str(tmp))
            try:
                # Marts are derived data: rebuilding them makes a backup from an older release fit this one.
                refresh_marts(con)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            result.tables = verify(tmp)
            if manifest:
                facts = {t: n for t, n in manifest["tables"].items() if not t.startswith("mart_")}
                got = {t: result.tables.get(t) for t in facts}
                if got != facts:
                    raise StoreError(f"Restored row counts {got} differ from the backup's manifest {facts}; "
                                     "the live database was not touched.")
            _fsync_path(tmp)
            if keep_previous and db.exists():
                result.previous = db.with_name(f"{db.name}.pre-restore-{_stamp()}")
                with contextlib.suppress(FileExistsError):
                    os.link(db, result.previous)
            os.replace(tmp, db)
            _fsync_path(db.parent)
        except BaseException:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            raise
    return result


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    warning: bool = False   # ok, but something an operator should act on soon (printed as WARN, exit code 0)


def doctor(db: Path, backup_dir: Path | None = None, max_backup_age_hours: float = 36) -> list[Check]:
    """Health checks an operator runs after an incident or from monitoring; each says what to do when it fails."""
    db = Path(db)
    checks: list[Check] = []
    try:
        counts = verify(db)
        checks.append(Check("database", True, f"{db}: readable, every block checked, "
                                              f"{counts.get('fct_service_requests', 0):,} requests, "
                                              f"{counts.get('loads', 0)} loads"))
        stale = outdated_marts_in(db)
        checks.append(Check("marts", not stale, "the marts match this release" if not stale else
                            f"{', '.join(stale)} made by another release: rebuild with python -m etl refresh --db {db} "
                            "(the dashboard also does it by itself on its next start)"))
        checks += _city_checks(db)
    except StoreError as exc:
        checks.append(Check("database", False, str(exc)))
    checks.append(_unit_check())
    checks.append(_skm_words_check())
    checks.append(_alert_rules_check())
    if db.parent.is_dir():
        free = shutil.disk_usage(db.parent).free
        need = 2 * db.stat().st_size if db.exists() else 0
        checks.append(Check("disk", free >= need,
                            f"{free / 2**30:.1f} GiB free in {db.parent}; a load needs room for one more copy of the "
                            f"database ({(need / 2) / 2**20:.0f} MiB)" + ("" if free >= need else
                                                                          " — free some space before the next load")))
    stale = sorted(db.parent.glob(f".{db.name}.*.tmp*")) if db.parent.is_dir() else []
    busy = _writer_busy(db)
    if stale and not busy:
        checks.append(Check("leftovers", True, f"{len(stale)} unfinished copy/copies from an interrupted load; "
                                               "the next load deletes them"))
    checks.append(Check("writer", True, "a load is running now" if busy else "no load running"))
    bdir = backup_dir or default_backup_dir(db)
    backups = list_backups(bdir, prefix=f"{db.stem}-")
    if not backups:
        checks.append(Check("backup", False, f"no backup in {bdir}; make one with: python -m etl backup --db {db}"))
    else:
        newest = backups[-1]
        age_h = (datetime.now().timestamp() - (newest / MANIFEST).stat().st_mtime) / 3600
        checks.append(Check("backup", age_h <= max_backup_age_hours,
                            f"newest backup {newest.name} is {age_h:.1f} h old"
                            + ("" if age_h <= max_backup_age_hours else " — check the nightly backup job")))
    return checks


def _writer_busy(db: Path) -> bool:
    import fcntl

    lock = db.with_name(db.name + ".lock")  # the file etl.store.writer_lock holds
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _unit_check() -> Check:
    """The pack's units.csv: every request has one responsible unit (a tie is BAD, a request with none a warning)."""
    try:
        owner = pack_responsibility()
        pack_name_keys()
    except PackError as exc:
        return Check("units", False, str(exc))
    orphans = sorted(k for k, u in owner.items() if u is None)
    if orphans:
        shown = "; ".join(" / ".join(k) for k in orphans[:5])
        return Check("units", True, f"{len(orphans)} kecamatan / service / channel combination(s) have no responsible "
                                    f"unit (e.g. {shown}): their overdue requests alert no unit; add a unit to "
                                    f"units.csv whose scope holds them", warning=True)
    n = len({u.unit_code for u in owner.values() if u is not None})
    return Check("units", True, f"{n} units answer for requests; every request has one responsible unit")


def _skm_words_check() -> Check:
    """The survey's words: data/skm.toml and the pack's own skm_words.toml, if any (a bad one stops survey loads)."""
    from base.skm import PACK_WORDS, elements

    try:
        n = sum(len(e.answers) for e in elements())
    except PackError as exc:
        return Check("skm_words", False, str(exc))
    own = (city_dir() / PACK_WORDS).is_file()
    return Check("skm_words", True, f"{n} answer words for the nine survey elements"
                                    + (f", with the pack's {PACK_WORDS}" if own else ""))


def _alert_rules_check() -> Check:
    """The pack's alerts.toml: valid, and every stale rule names a dataset Pantau loads."""
    from etl.ingest import DATASETS  # here: doctor alone needs the loaders' list

    try:
        found = rules()
    except PackError as exc:
        return Check("alerts", False, str(exc))
    if not found:
        return Check("alerts", True, f"no alert rules ({rules_file()} is missing): nobody is told of late requests; "
                                     "copy a shipped pack's alerts.toml (data/README.md, 'Alerts')", warning=True)
    unknown = [r.key for r in found if r.kind == "stale" and r.option("dataset") not in DATASETS]
    if unknown:
        return Check("alerts", False, f"{rules_file()}: rule(s) {', '.join(unknown)} name a dataset Pantau does not "
                                      f"load; use one of {', '.join(DATASETS)}")
    return Check("alerts", True, f"{len(found)} alert rules ({', '.join(r.key for r in found)})")


def _city_checks(db: Path) -> list[Check]:
    """The database was built from this city pack, and its working-day calendar is settled for the data's years."""
    con = open_read_only(db)
    try:
        row = con.execute("SELECT value FROM settings WHERE key = 'city'").fetchone()
        years = con.execute("SELECT year(min(submitted_at)), year(max(submitted_at)) FROM fct_service_requests"
                            ).fetchone()
    finally:
        con.close()
    pack = city_settings()
    built_for = row[0] if row else None
    out = [Check("city", built_for == pack.folder,
                 f"built from the city pack {built_for!r}" if built_for == pack.folder else
                 f"the database was built from the city pack {built_for!r}, but PANTAU_CITY names {pack.folder!r}: "
                 f"set PANTAU_CITY={built_for} or rebuild with python -m etl build --force --city {pack.folder}")]
    if years[0] is not None:
        for year, note, days in year_notes(range(years[0], years[1] + 1), city_dir()):
            text = (f"the data reaches {year}, whose cuti bersama are not known yet (neither the holidays package nor "
                    f"the pack's holidays.csv lists them): deadlines in working days may fall too early; upgrade the "
                    f"holidays package or add the days to holidays.csv, then python -m etl refresh"
                    if note == "joint_leave_unknown" else
                    f"{year}: the holidays package marks {len(days)} date(s) as estimated ({'; '.join(days[:3])}); "
                    f"check them against the year's decree and upgrade the package when it confirms them")
            out.append(Check("calendar", True, text, warning=True))
    if len(out) == 1:
        out.append(Check("calendar", True, "the working-day calendar is settled for every year of the data"))
    return out


# --- `python -m etl backup | restore | doctor` (registered in etl/cli.py) ---------------------------------------

def _cmd_backup(args: argparse.Namespace) -> int:
    db = db_path(args.db)
    try:
        out = backup(db, Path(args.to) if args.to else None, fmt=args.format, keep=args.keep)
    except OSError as exc:  # e.g. the disk is full: the partial backup was removed, the database is untouched
        raise StoreError(f"Backup failed: {exc.strerror or exc} ({getattr(exc, 'filename', '') or ''}); "
                         "nothing was written.") from exc
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    size = sum(f["bytes"] for f in manifest["files"].values())
    tables = manifest["tables"]
    print(f"Backup written: {out} ({args.format}, {size / 2**20:.1f} MiB, "
          f"{tables.get('fct_service_requests', 0):,} requests, {tables.get('loads', 0)} loads)")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    db = db_path(args.db)
    try:
        result = restore(Path(args.source).expanduser(), db)
    except OSError as exc:
        raise StoreError(f"Restore failed: {exc.strerror or exc}; the database {db} is unchanged.") from exc
    except duckdb.Error as exc:
        raise StoreError(f"Restore failed: {args.source} could not be imported ({_short(exc)}); "
                         f"the database {db} is unchanged.") from exc
    print(f"Restored {db} from {result.source}: {result.tables.get('fct_service_requests', 0):,} requests, "
          f"{result.tables.get('loads', 0)} loads.")
    if result.previous:
        print(f"The replaced database is kept as {result.previous} (delete it when no longer needed).")
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    checks = doctor(db_path(args.db), Path(args.backups) if args.backups else None)
    if args.json:
        print(json.dumps([c.__dict__ for c in checks], ensure_ascii=False))
    else:
        for c in checks:
            print(f"{('WARN' if c.warning else 'ok  ') if c.ok else 'BAD '} {c.name:<9} {c.message}")
    return 0 if all(c.ok for c in checks) else 1


def add_commands(sub: Any) -> None:
    """Register backup, restore and doctor on the `python -m etl` sub-parser."""
    b = sub.add_parser("backup", help="write a verified backup (DuckDB EXPORT as Parquet, or a file copy)")
    b.add_argument("--db", help="database file (default: PANTAU_DB or data/pantau.duckdb)")
    b.add_argument("--to", help="backup folder (default: backups/ beside the database)")
    b.add_argument("--format", choices=FORMATS, default="export",
                   help="export = Parquet, readable by other DuckDB versions (default); copy = the file itself")
    b.add_argument("--keep", type=int, help="then delete all but the newest KEEP backups of this database")
    b.set_defaults(func=_cmd_backup)

    r = sub.add_parser("restore", help="replace the database with a backup, atomically, after verifying it")
    r.add_argument("source", help="a backup folder, a DuckDB EXPORT DATABASE folder or a .duckdb file")
    r.add_argument("--db")
    r.set_defaults(func=_cmd_restore)

    d = sub.add_parser("doctor", help="check the database (every block), free disk, leftovers and the newest backup")
    d.add_argument("--db")
    d.add_argument("--backups", help="backup folder (default: backups/ beside the database)")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=_cmd_doctor)
