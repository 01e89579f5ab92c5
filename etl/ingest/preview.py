"""ETL layer: what the upload page shows before loading — detected format, first rows, guessed mapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl.ingest.core import DATASETS
from etl.ingest.mapping import guess_mapping, personal_columns
from etl.ingest.read import parse_macros, read_raw
from etl.ingest.result import FileRejected
from etl.ingest.sniff import DELIMITER_NAMES, sniff

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
            dropped = personal_columns(con, s.header, keep, frozenset(module.FIELDS))
            out.dropped = {s.header[i]: why for i, why in dropped.items()}
            out.mapping = {f: (s.header[guessed[f]] if f in guessed and guessed[f] not in dropped else None)
                           for f in module.FIELDS}
            if "submitted_at" in guessed:
                out.date_order = module.date_order(con, f"c{guessed['submitted_at'] + 1}")
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
