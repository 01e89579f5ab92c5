"""Tier 2: chart downloads — CSV and XLSX keep numbers as numbers and never carry a live spreadsheet formula."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
from python_calamine import CalamineWorkbook

from kpi import export

HOSTILE = ["=1+2", "+SUM(A1)", "-3+4", "@cmd", "\tx", "\ry", "Medan Johor"]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"name": HOSTILE, "value": [1.5, 2, -3, 4, 5, 6, 7], "count": range(7)})


def test_neutralise_only_text_starting_with_a_formula_character() -> None:
    assert [export.neutralise(v) for v in HOSTILE][:6] == ["'" + v for v in HOSTILE[:6]]
    assert export.neutralise("Medan Johor") == "Medan Johor"
    assert export.neutralise(-3) == -3 and export.neutralise(1.5) == 1.5


def test_csv_has_bom_and_neutralised_text() -> None:
    raw = export.to_csv(_frame())
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False)
    assert back["name"].tolist()[0] == "'=1+2" and back["value"].tolist()[2] == -3


def test_xlsx_has_no_formula_and_numbers_stay_numbers() -> None:
    raw = export.to_xlsx(_frame(), "throughput")
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    rows = CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_name("throughput").to_python()
    assert rows[0] == ["name", "value", "count"]
    assert rows[1][0] == "'=1+2" and rows[7][0] == "Medan Johor"
    assert isinstance(rows[3][1], float) and rows[3][1] == -3.0
