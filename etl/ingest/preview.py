"""ETL layer: what the upload page shows before loading — detected format, first rows, guessed mapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl.ingest.core import DATASETS
from etl.ingest.mapping import prepare
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
    # the survey: each element column (index, column, element or None, how it was placed) and what stops the load
    elements: list[dict] = field(default_factory=list)
    problems: list = field(default_factory=list)


def preview(path: Path, dataset: str, options: dict | None = None) -> Preview:
    """Sniff and read the file, and map it as the load will (the dataset's own header reading included, with
    `options` such as the survey's elements); never raises for a bad file."""
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
            m, _warnings = prepare(con, s, module.FIELDS, module.uses_extra_columns, None,
                                   reader=getattr(module, "read_header", None), options=options)
            dropped = m.dropped
            out.dropped = {s.header[i]: why for i, why in dropped.items()}
            out.mapping = {f: (s.header[m.fields[f]] if f in m.fields else None) for f in module.FIELDS}
            out.elements = list(m.detail.get("elements", []))
            out.problems = list(m.detail.get("problems", []))
            if "date" in m.detail:
                out.date_order = m.detail["date"].get("order") or None
            elif "submitted_at" in m.fields:
                out.date_order = module.date_order(con, m.col("submitted_at"))
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
