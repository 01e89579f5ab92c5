"""ETL layer: an Excel upload as a CSV copy whose line N is sheet row N (calamine reads the cells; nothing is run)."""

from __future__ import annotations

import contextlib
import csv
import math
import os
import tempfile
from datetime import date, datetime, time
from pathlib import Path

from etl.ingest.result import FileRejected

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
