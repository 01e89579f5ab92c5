"""Benchmarks: the naive approach for comparison — raw rows read into pandas, KPIs computed over them on every rerun.

This is what a typical Streamlit dashboard does (read the table, filter and aggregate in pandas). It computes the
same figures as kpi.metrics.summary and kpi.metrics.by_kecamatan, straight from the definitions in data/README.md,
so it doubles as an independent check that the marts give the exact figures.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import duckdb
import pandas as pd


def read_raw(db: str) -> pd.DataFrame:
    """Every request with its service's SLA, as a dashboard reading the raw table would hold it."""
    con = duckdb.connect(db, read_only=True)
    try:
        requests = con.execute("SELECT * FROM service_requests").df()
        services = con.execute("SELECT service_code, sla_hours FROM services").df()
    finally:
        con.close()
    return requests.merge(services, on="service_code", how="left")


def _select(raw: pd.DataFrame, f: Any) -> pd.DataFrame:
    keep = pd.Series(True, index=raw.index)
    if f.kecamatan:
        keep &= raw["kecamatan_code"].isin(f.kecamatan)
    if f.services:
        keep &= raw["service_code"].isin(f.services)
    if f.channels:
        keep &= raw["channel"].isin(f.channels)
    return raw[keep]


def _times(done: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    hours = (done["completed_at"] - done["submitted_at"]).dt.total_seconds() / 3600.0
    return hours, hours <= done["sla_hours"]


def summary(raw: pd.DataFrame, f: Any) -> dict[str, Any]:
    """received / completed / open_at_end / median / p90 / on-time rate by the definitions, in pandas."""
    start = datetime.combine(f.date_from, time())
    end = datetime.combine(f.date_to + timedelta(days=1), time())
    rows = _select(raw, f)
    sub, comp = rows["submitted_at"], rows["completed_at"]
    done = rows[(comp >= start) & (comp < end)]
    hours, on_time = _times(done)
    return {
        "received": int(((sub >= start) & (sub < end)).sum()),
        "completed": len(done),
        "open_at_end": int(((sub < end) & (comp.isna() | (comp >= end))).sum()),
        "median_hours": float(hours.quantile(0.5)) if len(done) else None,
        "p90_hours": float(hours.quantile(0.9)) if len(done) else None,
        "on_time_rate": float(on_time.mean()) if len(done) else None,
    }


def by_kecamatan(raw: pd.DataFrame, f: Any) -> pd.DataFrame:
    """Per kecamatan: received, completed, open_at_end, median, p90, on-time rate, in pandas."""
    start = datetime.combine(f.date_from, time())
    end = datetime.combine(f.date_to + timedelta(days=1), time())
    rows = _select(raw, f)
    sub, comp = rows["submitted_at"], rows["completed_at"]
    done = rows[(comp >= start) & (comp < end)]
    hours, on_time = _times(done)
    times = pd.DataFrame({"kecamatan_code": done["kecamatan_code"], "hours": hours, "on_time": on_time})
    per = times.groupby("kecamatan_code").agg(
        completed=("hours", "size"), median_hours=("hours", lambda h: h.quantile(0.5)),
        p90_hours=("hours", lambda h: h.quantile(0.9)), on_time_rate=("on_time", "mean"))
    received = rows[(sub >= start) & (sub < end)].groupby("kecamatan_code").size().rename("received")
    open_ = rows[(sub < end) & (comp.isna() | (comp >= end))].groupby("kecamatan_code").size().rename("open_at_end")
    out = pd.concat([received, per, open_], axis=1).fillna({"received": 0, "completed": 0, "open_at_end": 0})
    return out.reset_index().rename(columns={"index": "kecamatan_code"}).sort_values("kecamatan_code")
