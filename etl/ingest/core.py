"""ETL layer: one ingestion path for the CLI and the upload page — sniff, read, map, validate, write, audit."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from base.clock import now_local
from base.database import attach_read_only
from base.settings import city_settings
from etl.audit import next_load_id, record_load
from etl.ingest import programmes, service_requests, skm, skm_actions, tourism
from etl.ingest.dataset import Dataset
from etl.ingest.mapping import SAMPLE_ROWS, describe, prepare
from etl.ingest.read import parse_macros, read_raw
from etl.ingest.result import MAX_REPORTED_ERRORS, FileRejected, LoadResult, Problem
from etl.ingest.sniff import DELIMITER_NAMES, Sniffed, sniff
from etl.ingest.validate import byte_to_line, collect, line_map, messages, write_rejects
from etl.reference import refresh_calendar
from etl.store import (
    LAST_COPY,
    StoreBusy,
    StoreError,
    check_readable,
    mark_touched,
    refresh_marts,
    write_transaction,
)

DATASETS: dict[str, Dataset] = {"service_requests": service_requests, "tourism": tourism, "programmes": programmes,
                                 "skm": skm, "skm_actions": skm_actions}
LOAD_MEMORY = os.environ.get("PANTAU_LOAD_MEMORY", "1GB")
CLOCK_SKEW = timedelta(minutes=10)  # a device clock a few minutes ahead is not a "future" timestamp
_NIK = re.compile(r"\d{16}|\d\.\d+[eE]\+15")


class _Ticker:
    """Seconds per phase into result.timings (the benchmark reads them)."""

    def __init__(self, res: LoadResult) -> None:
        self.res, self.t = res, time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.res.timings[phase] = round(self.res.timings.get(phase, 0.0) + now - self.t, 3)
        self.t = now


class _Rejected(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].code if problems else "rejected")
        self.problems = problems


@contextlib.contextmanager
def _read_only(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection whose default catalog is the live database, attached read-only (for --dry-run)."""
    check_readable(db)
    con = attach_read_only(db, {"memory_limit": LOAD_MEMORY})
    try:
        yield con
    finally:
        con.close()


def _already_loaded(con: duckdb.DuckDBPyConnection, dataset: str, sha: str) -> int | None:
    row = con.execute(
        "SELECT load_id FROM loads WHERE dataset = $d AND sha256 = $s AND status = 'loaded' ORDER BY load_id LIMIT 1",
        {"d": dataset, "s": sha},
    ).fetchone()
    return int(row[0]) if row else None


def _fast(con: duckdb.DuckDBPyConnection, s: Sniffed, res: LoadResult, *, module: Dataset, mode: str, load_id: int,
          mapping: dict[str, str | None] | None, options: dict[str, Any]) -> bool:
    """module.fast_write for a file with nothing to reject; False, with nothing written, when the full path must run.

    The mapping and the personal-data check see the file's first SAMPLE_ROWS records, as on the full path.
    """
    try:
        nrows, ragged = read_raw(con, s, limit=SAMPLE_ROWS)
    except FileRejected:
        return False
    if nrows == 0 or ragged:
        return False
    m, warnings = prepare(con, s, module.FIELDS, module.uses_extra_columns, mapping,
                          reader=getattr(module, "read_header", None), options=options)
    if module.missing_required(con, m, s.header, options):
        return False
    written = module.fast_write(con, s, m, load_id, mode, now=now_local() + CLOCK_SKEW)
    if written is None:
        return False
    n, row_warnings = written
    describe(res, s, m, module.FIELDS, warnings + row_warnings + module.fast_warnings(m))
    res.date_order = module.date_order(con, m.col("submitted_at"))
    res.rows_read = res.rows_loaded = n
    res.rows_rejected = 0
    res.status = "loaded"
    return True


def _file_warnings(res: LoadResult, module: Dataset) -> None:
    """What the file's form made the load decide, said as warnings on both paths: a non-UTF-8 encoding, dates written
    day first (or, for a dataset that decides the order per file, month first)."""
    if res.encoding and res.encoding not in ("utf-8", "utf-8-sig", "xlsx"):
        res.warnings.append(Problem("encoding", values={"encoding": res.encoding}, kind="warning"))
    per_file = getattr(module, "DATE_ORDER_PER_FILE", False)
    if res.date_order and res.date_order.startswith("MM/DD"):  # a whole file written month first (Google Forms)
        res.warnings.append(Problem("date_order_month_first", values={"order": res.date_order}, kind="warning"))
    elif per_file and res.date_order and res.date_order.startswith("DD/MM"):
        res.warnings.append(Problem("date_order_day_first_file", values={"order": res.date_order}, kind="warning"))
    elif res.date_order and not res.date_order.startswith("YYYY"):
        res.warnings.append(Problem("date_order", values={"order": res.date_order}, kind="warning"))


def _process(con: duckdb.DuckDBPyConnection, s: Sniffed, res: LoadResult, *, module: Dataset, mode: str, partial: bool,
             write_load_id: int | None, mapping: dict[str, str | None] | None, options: dict[str, Any]) -> None:
    """Read, map, validate and (when write_load_id is set and the file passes) write. Raises _Rejected."""
    con.execute(f"SET memory_limit = '{LOAD_MEMORY}'")
    con.execute("SET enable_progress_bar = false")
    tick = _Ticker(res)
    con.execute(parse_macros())
    fast = options.get("fast_path", os.environ.get("PANTAU_FAST_LOAD", "1") != "0")
    if write_load_id is not None and fast:
        done = _fast(con, s, res, module=module, mode=mode, load_id=write_load_id, mapping=mapping, options=options)
        tick("fast")
        if done:
            return
    try:
        nrows, ragged = read_raw(con, s)
    except FileRejected as exc:
        raise _Rejected([Problem(exc.code, values=dict(exc.values))]) from None
    tick("read")
    m, warnings = prepare(con, s, module.FIELDS, module.uses_extra_columns, mapping,
                          reader=getattr(module, "read_header", None), options=options)
    describe(res, s, m, module.FIELDS, warnings)
    if nrows == 0 and not ragged:
        raise _Rejected([Problem("header_only")])
    missing = module.missing_required(con, m, s.header, options)
    if missing:
        raise _Rejected(missing)
    now = now_local() + CLOCK_SKEW
    extra = module.stage(con, m, s, now=now, append=(mode == "append"), options=options)
    tick("stage")
    res.warnings += extra.get("warnings", [])
    res.layout = extra.get("layout")
    res.date_order = extra.get("date_order")
    res.rows_read = int(extra["rows_read"]) + len(ragged)
    if res.rows_read == 0:
        raise _Rejected([Problem("header_only")])
    byte_lines = byte_to_line(s.path, [r["byte"] for r in ragged])
    line_map(con, s, set(byte_lines.values()), nrows)
    res.rows_rejected = collect(con, s, m, module, ragged, byte_lines, res,
                                 int(options.get("max_errors", MAX_REPORTED_ERRORS)))
    tick("errors")
    if res.rows_rejected and not partial:
        res.status = "rejected"
        return
    if write_load_id is None:
        res.rows_loaded = res.rows_read - res.rows_rejected - int(extra.get("repeats", 0))
        res.status = "validated" if (res.rows_loaded > 0 or not res.rows_rejected) else "rejected"
        return
    rows_loaded = module.write(con, write_load_id, mode)
    tick("write")
    if rows_loaded == 0 and res.rows_rejected:
        res.status = "rejected"
        return
    res.rows_loaded = rows_loaded
    if res.rows_rejected:
        messages(con)
        write_rejects(con, s, m, module, write_load_id, ragged, byte_lines)
    res.status = "loaded"


def load_file(db: Path, dataset: str, path: Path, *, mode: str | None = None, partial: bool = False,
              dry_run: bool = False, source: str = "cli", file_name: str | None = None,
              mapping: dict[str, str | None] | None = None, options: dict[str, Any] | None = None) -> LoadResult:
    """Load one file into `dataset`; never raises for a bad file (the result says what is wrong)."""
    module = DATASETS[dataset]
    mode = mode or module.MODES[0]
    if mode not in module.MODES:
        raise ValueError(f"mode must be one of {', '.join(module.MODES)}")
    db, path = Path(db), Path(path)
    options = dict(options or {})
    options.setdefault("file_name", file_name or path.name)
    res = LoadResult(status="rejected", dataset=dataset, file_name=file_name or path.name, mode=mode)
    s: Sniffed | None = None
    try:
        try:
            s = sniff(path)
        except FileRejected as exc:
            raise _Rejected([Problem(exc.code, values=dict(exc.values))]) from None
        res.sha256, res.encoding, res.delimiter = s.sha256, s.encoding, DELIMITER_NAMES.get(s.delimiter)
        with _read_only(db) as ro:
            built = ro.execute("SELECT value FROM settings WHERE key = 'city'").fetchone()
            if built and built[0] != city_settings().folder:  # the pack's zone, names and calendar must be its own
                raise _Rejected([Problem("other_city", values={"built": built[0], "city": city_settings().folder})])
            previous = _already_loaded(ro, dataset, s.sha256)
            if previous is not None:
                res.status, res.load_id = "unchanged", previous
                return res
            if dry_run:
                _process(ro, s, res, module=module, mode=mode, partial=partial, write_load_id=None, mapping=mapping,
                         options=options)
                _file_warnings(res, module)
                return res
        t_copy = time.perf_counter()
        with write_transaction(db, refresh=False) as con:
            res.timings["copy"] = round(time.perf_counter() - t_copy, 3)
            res.copied = dict(LAST_COPY)
            previous = _already_loaded(con, dataset, s.sha256)  # another load may have won the race for the lock
            if previous is not None:
                res.status, res.load_id = "unchanged", previous
                raise _Unchanged
            res.load_id = next_load_id(con)
            try:
                _process(con, s, res, module=module, mode=mode, partial=partial, write_load_id=res.load_id,
                         mapping=mapping, options=options)
                _file_warnings(res, module)
            except _Rejected as exc:
                res.errors, res.error_total, res.status = exc.problems, len(exc.problems), "rejected"
            _audit(con, res, source)
            if res.status == "loaded" and module.REFRESH_MARTS:
                t0 = time.perf_counter()
                mark_touched(con, res.load_id)
                # the calendar grows with the requests; a day that changed (an edited pack) moves every deadline
                moved = refresh_calendar(con, now_local().date(), keep_if_same=True)
                refresh_marts(con, only_touched=mode != "replace" and not moved)
                res.timings["marts"] = round(time.perf_counter() - t0, 3)
            t_commit = time.perf_counter()
        res.timings["commit"] = round(time.perf_counter() - t_commit, 3)
    except _Unchanged:
        pass
    except _Rejected as exc:
        res.errors, res.error_total, res.status = exc.problems, len(exc.problems), "rejected"
        if not dry_run and db.exists():
            _audit_only(db, res, source)
    except StoreBusy as exc:
        res.status, res.load_id = "rejected", None
        res.errors = [Problem("store_busy", values={"detail": str(exc)})]
    except StoreError as exc:
        res.status, res.load_id = "rejected", None
        res.errors = [Problem("store_error", values={"detail": str(exc)})]
    finally:
        if s is not None:
            s.cleanup()
    return res


class _Unchanged(Exception):
    """Raised inside the write transaction to leave the database untouched."""


def _audit(con: duckdb.DuckDBPyConnection, res: LoadResult, source: str) -> None:
    if res.status != "loaded":
        res.rows_loaded = 0
    record_load(con, load_id=res.load_id, dataset=res.dataset, file_name=res.file_name, sha256=res.sha256,
                mode=res.mode or "", rows_read=res.rows_read, rows_loaded=res.rows_loaded,
                rows_rejected=res.rows_rejected, status=res.status, source=source, detail=res.audit_detail())


def _audit_only(db: Path, res: LoadResult, source: str) -> None:
    """A file rejected before reading: only its audit row is written."""
    try:
        with write_transaction(db, refresh=False) as con:
            res.load_id = next_load_id(con)
            _audit(con, res, source)
    except (StoreBusy, StoreError):
        res.load_id = None
