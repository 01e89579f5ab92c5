"""The deadline definitions of data/README.md, written again in pandas from the words alone: the oracle the marts and
KPIs are checked against (it shares no code with etl/sql/requests_due.sql or etl/sql/deadlines.sql).

The working days come from the `holidays` package and the pack's holidays.csv, read here independently of
base/calendar.py (or, for a database, from its analyst-facing `working_days` view).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd


def working_days_of_pack(first: date, last: date, pack: Path) -> np.ndarray:
    """Sorted working days first..last: Mon-Fri, minus national holidays and cuti bersama, then the pack's days."""
    off = set()
    for category in ("public", "government"):
        off |= set(holidays.country_holidays("ID", years=range(first.year, last.year + 1), categories=(category,)))
    extra: dict[date, str] = {}
    if (pack / "holidays.csv").is_file():
        with open(pack / "holidays.csv", encoding="utf-8-sig", newline="") as fh:
            extra = {date.fromisoformat(r["date"]): r["kind"] for r in csv.DictReader(fh)}
    days = []
    d = first
    while d <= last:
        working = d.weekday() < 5 and d not in off
        if d in extra:
            working = extra[d] == "workday"
        if working:
            days.append(d)
        d += timedelta(days=1)
    return np.array(days, dtype="datetime64[D]")


def working_days_of_db(con) -> np.ndarray:
    frame = con.execute("SELECT day FROM working_days WHERE is_working_day ORDER BY day").df()
    return frame["day"].to_numpy(dtype="datetime64[D]")


def due_at(frame: pd.DataFrame, work: np.ndarray) -> pd.Series:
    """The deadline of each request (columns submitted_at, sla_value, sla_unit), per the definitions:
    hours: submitted_at + N hours; calendar_days: 00:00 after submission date + N days; working_days: 00:00 after the
    N-th working day strictly after the submission date (N = 0: that date if a working day, else the next one)."""
    sub = pd.to_datetime(frame["submitted_at"])
    day = sub.dt.normalize()
    n = frame["sla_value"].astype(float)
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    hours = frame["sla_unit"] == "hours"
    out[hours] = sub[hours] + pd.to_timedelta(n[hours], unit="h")
    cal = frame["sla_unit"] == "calendar_days"
    out[cal] = day[cal] + pd.to_timedelta(n[cal] + 1, unit="D")
    wd = frame["sla_unit"] == "working_days"
    d = day[wd].to_numpy(dtype="datetime64[D]")
    k = n[wd].astype(int).to_numpy()
    after = np.searchsorted(work, d, side="right")          # working days up to and including d
    first_from = np.searchsorted(work, d, side="left")      # the first working day on or after d
    idx = np.where(k == 0, first_from, after + k - 1)
    ok = idx < len(work)
    target = np.full(len(d), np.datetime64("NaT"), dtype="datetime64[D]")
    target[ok] = work[idx[ok]]
    out[wd] = pd.to_datetime(target) + pd.Timedelta(days=1)
    return out


def on_time(frame: pd.DataFrame, due: pd.Series) -> pd.Series:
    """completed_at <= due for hours, completed_at < due for day-based standards (NaN while open)."""
    done = pd.to_datetime(frame["completed_at"])
    hours = frame["sla_unit"] == "hours"
    return pd.Series(np.where(hours, done <= due, done < due), index=frame.index).where(done.notna())
