"""ETL layer: read an upload into a DuckDB temp table of text columns c1..cN, keeping track of physical lines."""

from __future__ import annotations

import re

import duckdb

from base.clock import utc_offset_minutes
from base.settings import city_settings
from etl.ingest.result import FileRejected
from etl.ingest.sniff import Sniffed
from etl.store import SQL_DIR


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


def parse_macros() -> str:
    """The parsing macros (etl/sql/staging/000_macros.sql) for this city: offsets convert to its local time."""
    zone = city_settings().timezone
    if not re.fullmatch(r"[A-Za-z_]+(/[A-Za-z_+\-]+)*", zone):  # an IANA name, validated by base.settings too
        raise ValueError(f"time zone {zone!r} is not an IANA name")
    text = (SQL_DIR / "staging" / "000_macros.sql").read_text(encoding="utf-8")
    return text.replace("{offset_minutes}", str(int(utc_offset_minutes()))).replace("{zone}", zone)


def run_script(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> None:
    """Run a multi-statement SQL file; each statement gets the parameters it names (DuckDB binds per statement)."""
    for stmt in (p.strip() for p in sql.split(";\n")):
        body = "\n".join(ln for ln in stmt.splitlines() if not ln.lstrip().startswith("--")).strip()
        if body:
            con.execute(stmt, {k: v for k, v in params.items() if f"${k}" in body})
