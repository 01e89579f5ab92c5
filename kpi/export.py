"""Read-side layer: a chart's data as CSV or XLSX bytes, with spreadsheet formulas neutralised."""

from __future__ import annotations

import io

import pandas as pd

# A text cell starting with one of these is run as a formula by Excel / LibreOffice / Google Sheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a formula-looking text with an apostrophe so spreadsheets show it as text; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised; numeric and date columns are left untouched (numbers stay numbers)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    return out


def with_zone(df: pd.DataFrame, label: str) -> pd.DataFrame:
    """Timestamp columns (`*_at`) named with the zone their naive values are in, as `loaded_at (<label>)`."""
    return df.rename(columns={c: f"{c} ({label})" for c in df.columns if str(c).endswith("_at")})


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM, so Excel opens Indonesian text correctly.

    CRLF line ends, as Excel writes them, also make the csv writer quote any cell holding a bare CR: unquoted, Excel
    would start a new row at the CR, and a cell like 'x<CR>=1+2' would put a live formula in that row.
    """
    return safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """One-sheet XLSX; text is always written as text (xlsxwriter would otherwise turn '=…' into a formula)."""
    buf = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    frame = safe_frame(df)
    # Excel has no time zones; our timestamps are naive local time already, but be safe with aware ones.
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_localize(None)
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
        worksheet = writer.sheets[sheet[:31]]
        for i, col in enumerate(frame.columns):
            width = min(max(len(str(col)), *(len(str(v)) for v in frame[col].head(200))) + 2, 60) if len(frame) else 12
            worksheet.set_column(i, i, width)
    return buf.getvalue()
