"""Tier 2: the data dictionary documents every table, view and KPI the code defines."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from kpi import metrics

ROOT = Path(__file__).resolve().parent.parent
DICTIONARY = (ROOT / "data" / "README.md").read_text(encoding="utf-8")


def test_every_table_and_view_is_documented(sample_db: Path) -> None:
    con = duckdb.connect(str(sample_db), read_only=True)
    names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    con.close()
    missing = [n for n in names if f"`{n}`" not in DICTIONARY]
    assert names and not missing, f"not in data/README.md: {missing}"


def test_every_kpi_is_documented() -> None:
    kpis = re.findall(r"^- (\w+)(?:,| +=)", metrics.__doc__ or "", flags=re.M)
    kpis += ["median_hours", "p90_hours", "received_per_1000"]
    assert {"received", "completed", "open_at_end", "on_time_rate"} <= set(kpis)
    missing = [k for k in kpis if f"`{k}`" not in DICTIONARY]
    assert not missing, f"KPIs not in data/README.md: {missing}"


def test_readme_has_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 -m pip install -r requirements.txt && python3 -m streamlit run dashboard.py" in readme
    assert "python3 -m pip install -r requirements-dev.txt && python3 -m pytest" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "requirements-dev.txt" in ci and "python3 -m pytest" in ci


def test_every_satisfaction_kpi_is_documented() -> None:
    from kpi import skm

    kpis = re.findall(r"^- (\w+)(?:,| +=)", skm.__doc__ or "", flags=re.M)
    kpis += ["sample_needed", "share_done", "share_done_on_time"]
    assert {"nrr", "ikm", "element_index", "mutu", "city_ikm", "population", "scope_on_time_rate"} <= set(kpis)
    missing = [k for k in kpis if f"`{k}`" not in DICTIONARY]
    assert not missing, f"survey KPIs not in data/README.md: {missing}"
    for band in ("88.31", "76.61", "65.00", "N = 100 → 80", "1,000,000 → 384", "unweighted mean", "scope"):
        assert band in DICTIONARY
