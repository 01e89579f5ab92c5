"""ETL layer: what the upload page shows before loading — detected format, first rows, guessed mapping, history."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl.ingest.core import DATASETS
from etl.ingest.mapping import guess_mapping, personal_columns
from etl.ingest.read import parse_macros, read_raw
from etl.ingest.sniff import DELIMITER_NAMES, FileRejected, sniff

PREVIEW_ROWS = 20


@dataclass
class Preview:
    encoding: str | None = None
    delimiter: str | None = None
    header: list[str] = field(default_factory=list)
    rows: pd.DataFrame | None = None             # first rows, personal-data columns left out
    mapping: dict[str, str | None] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)   # column -> pii_name | pii_nik
    date_order: str | None = None                # how submitted_at is written: YYYY-MM-DD, DD/MM/YYYY, ...
    error: str | None = None                     # message code when the file cannot be read at all
    error_values: dict = field(default_factory=dict)


def preview(path: Path, dataset: str) -> Preview:
    """Sniff and read the start of the file; never raises for a bad file."""
    module = DATASETS[dataset]
    out = Preview()
    try:
        s = sniff(Path(path))
    except FileRejected as exc:
        out.error, out.error_values = exc.code, dict(exc.values)
        return out
    try:
        out.encoding, out.delimiter, out.header = s.encoding, DELIMITER_NAMES.get(s.delimiter), s.header
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            con.execute(parse_macros())
            read_raw(con, s)
            guessed = guess_mapping(s.header, module.FIELDS)
            keep = {guessed["request_id"]} if "request_id" in guessed else set()
            dropped = personal_columns(con, s.header, keep)
            out.dropped = {s.header[i]: why for i, why in dropped.items()}
            out.mapping = {f: (s.header[guessed[f]] if f in guessed and guessed[f] not in dropped else None)
                           for f in module.FIELDS}
            if dataset == "service_requests" and "submitted_at" in guessed:
                from etl.ingest.requests import date_order

                out.date_order = date_order(con, f"c{guessed['submitted_at'] + 1}")
            shown = [i for i in range(len(s.header)) if i not in dropped]
            frame = con.execute(f"SELECT {', '.join(f'c{i + 1}' for i in shown) or 'NULL'} FROM ing_raw "
                                f"LIMIT {PREVIEW_ROWS}").df()
            frame.columns = [s.header[i] or f"({i + 1})" for i in shown] if shown else ["-"]
            out.rows = frame
        finally:
            con.close()
    except FileRejected as exc:
        out.error, out.error_values = exc.code, dict(exc.values)
    finally:
        s.cleanup()
    return out


def history(db: Path, limit: int = 20) -> pd.DataFrame:
    """Recent loads, newest first (read-only)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = con.execute(
            "SELECT load_id, dataset, file_name, mode, rows_read, rows_loaded, rows_rejected, status, loaded_at, "
            "source FROM loads ORDER BY load_id DESC LIMIT $n", {"n": limit}).df()
    finally:
        con.close()
    return frame


def undoable(frame: pd.DataFrame) -> int | None:
    """The latest load still in effect (the one an undo button may offer)."""
    live = frame[frame["status"] == "loaded"]
    return int(live["load_id"].iloc[0]) if len(live) else None


def detail(db: Path, load_id: int) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT detail FROM loads WHERE load_id = $id", {"id": load_id}).fetchall()
    finally:
        con.close()
    return json.loads(row[0][0] or "{}") if row else {}
