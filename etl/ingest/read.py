"""ETL layer: read an upload into a DuckDB temp table of text columns c1..cN, keeping track of physical lines."""

from __future__ import annotations

import contextlib
import csv
import math
import os
import tempfile
from datetime import date, datetime, time
from pathlib import Path

import duckdb

from base.clock import utc_offset_minutes
from etl.ingest.sniff import FileRejected, Sniffed
from etl.store import SQL_DIR

MAX_SHEETS = 50
MAX_SHEET_ROWS = 1_100_000


def _cell(value: object) -> str:
    """A spreadsheet cell as text: dates in ISO, whole floats without '.0' (so a NIK stays 16 digits)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    # a cell with a line break would shift physical line numbers of the CSV copy against sheet rows
    return str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def xlsx_to_csv(path: Path) -> tuple[Path, str]:
    """Cell values of the first non-empty sheet as a UTF-8 CSV whose line N is sheet row N."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise FileRejected("not_text", detail=type(exc).__name__) from None
    try:
        names = wb.sheet_names
        if len(names) > MAX_SHEETS:
            raise FileRejected("too_many_sheets", n=len(names), max=MAX_SHEETS)
        for name in names:
            sheet = wb.get_sheet_by_name(name)
            if sheet.height > MAX_SHEET_ROWS:
                raise FileRejected("too_many_rows", n=sheet.height, max=MAX_SHEET_ROWS)
            rows = sheet.to_python(skip_empty_area=False)
            if any(any(c not in (None, "") for c in row) for row in rows[:50]):
                break
        else:
            raise FileRejected("empty_file")
    finally:
        with contextlib.suppress(Exception):
            wb.close()
    # drop leading empty rows so the header is line 1, as in a CSV export
    start = next(i for i, row in enumerate(rows) if any(c not in (None, "") for c in row))
    fd, tmp = tempfile.mkstemp(prefix="pantau-xlsx-", suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        for row in rows[start:]:
            w.writerow([_cell(c) for c in row])
    return Path(tmp), name


def read_raw(con: duckdb.DuckDBPyConnection, s: Sniffed, limit: int | None = None) -> tuple[int, list[dict]]:
    """Create TEMP TABLE ing_raw (c1..cN VARCHAR, rowid = record order); return (records, ragged-row problems).

    With `limit`, only the first `limit` records (a sample for the mapping).

    Ragged rows and other unreadable records are caught by DuckDB's rejects tables, with their byte offset, so we
    can name the physical line.
    """
    n = len(s.header)
    if n == 0:
        raise FileRejected("empty_file")
    names = [f"c{i + 1}" for i in range(n)]
    for t in ("ing_raw", "ing_csv_rejects", "ing_csv_scans"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    try:
        con.execute(
            """
            CREATE TEMP TABLE ing_raw AS
            SELECT * FROM read_csv($path, delim = $delim, quote = '"', escape = '"', header = true,
                                   all_varchar = true, strict_mode = true, null_padding = false, auto_detect = false,
                                   columns = $columns, store_rejects = true, rejects_table = 'ing_csv_rejects',
                                   rejects_scan = 'ing_csv_scans', max_line_size = 4000000)
            """ + ("LIMIT $limit" if limit is not None else ""),
            {"path": str(s.path), "delim": s.delimiter, "columns": {c: "VARCHAR" for c in names},
             **({"limit": limit} if limit is not None else {})},
        )
    except duckdb.Error as exc:
        raise FileRejected("unreadable", detail=str(exc).splitlines()[0][:160]) from None
    rows = con.execute("SELECT count(*) FROM ing_raw").fetchone()[0]
    problems = [
        {"byte": int(b), "kind": kind, "raw": raw}
        for b, kind, raw in con.execute(
            "SELECT line_byte_position, error_type, csv_line FROM ing_csv_rejects ORDER BY line_byte_position"
        ).fetchall()
    ]
    return int(rows), problems


def byte_to_line(path: Path, offsets: list[int]) -> dict[int, int]:
    """Physical 1-based line of each 1-based byte offset DuckDB reports."""
    want = sorted(set(offsets))
    out: dict[int, int] = {}
    if not want:
        return out
    line, pos, i = 1, 0, 0
    with open(path, "rb") as fh:
        while i < len(want) and (chunk := fh.read(8 << 20)):
            while i < len(want) and want[i] - 1 < pos + len(chunk):
                out[want[i]] = line + chunk.count(b"\n", 0, max(0, want[i] - 1 - pos))
                i += 1
            line += chunk.count(b"\n")
            pos += len(chunk)
    for w in want[i:]:
        out[w] = line
    return out


def record_lines(s: Sniffed, skip_lines: set[int]) -> list[int]:
    """Physical start line of every data record in table order (rowid), skipping blank and rejected lines.

    Only called when a file has errors and quoted fields or blank lines; otherwise line = rowid + 2.
    """
    out: list[int] = []
    with open(s.path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=s.delimiter, quotechar='"', doublequote=True)
        prev = 0
        header_seen = False
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip() and not header_seen):
                continue
            if not header_seen:
                header_seen = True
                continue
            if not rec or start in skip_lines:
                continue
            out.append(start)
    return out


def parse_macros() -> str:
    """The parsing macros (etl/sql/staging/000_macros.sql) for this city: offsets convert to its local time."""
    text = (SQL_DIR / "staging" / "000_macros.sql").read_text(encoding="utf-8")
    return text.replace("{offset_minutes}", str(int(utc_offset_minutes())))


def run_script(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> None:
    """Run a multi-statement SQL file; each statement gets the parameters it names (DuckDB binds per statement)."""
    for stmt in (p.strip() for p in sql.split(";\n")):
        body = "\n".join(ln for ln in stmt.splitlines() if not ln.lstrip().startswith("--")).strip()
        if body:
            con.execute(stmt, {k: v for k, v in params.items() if f"${k}" in body})
