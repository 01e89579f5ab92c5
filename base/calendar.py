"""Base layer: the city's working days — what "hari kerja" means in a service standard.

A working day is a Monday to Friday that is neither a national holiday nor cuti bersama (joint leave), with the city
pack's holidays.csv applied last: `kind=holiday` adds a day off (a regional holiday, a one-off closure), `kind=workday`
makes a day a working day although the national calendar says otherwise (a Saturday service day, a revoked cuti
bersama). National days come from the `holidays` package: country ID, category `public` for the holidays and
`government` for cuti bersama, which the package lists only there.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import holidays

from base.settings import PackError

PACK_FILE = "holidays.csv"
PACK_KINDS = ("holiday", "workday")


@dataclass(frozen=True)
class CalendarDay:
    day: date
    is_working_day: bool
    name_id: str | None     # why it is (not) a working day, when not a plain weekday or weekend
    name_en: str | None
    kind: str               # weekday | weekend | holiday | joint_leave | pack_holiday | pack_workday


@lru_cache(maxsize=64)
def _national(year: int) -> dict[date, tuple[str, str, str]]:
    """day -> (Indonesian name, English name, holiday | joint_leave) for one year."""
    out: dict[date, tuple[str, str, str]] = {}
    for category, kind in (("public", "holiday"), ("government", "joint_leave")):
        names_id = holidays.country_holidays("ID", years=year, categories=(category,), language="id")
        names_en = holidays.country_holidays("ID", years=year, categories=(category,), language="en_US")
        for day, name in names_id.items():
            if day not in out or kind == "holiday":   # a holiday on a day that is also joint leave stays a holiday
                out[day] = (name, names_en.get(day, name), kind)
    return out


def national_days(first: date, last: date) -> dict[date, tuple[str, str, str]]:
    """National holidays and cuti bersama between `first` and `last` (inclusive)."""
    out: dict[date, tuple[str, str, str]] = {}
    for year in range(first.year, last.year + 1):
        out.update({d: v for d, v in _national(year).items() if first <= d <= last})
    return out


def pack_days(pack: Path) -> list[tuple[date, str, str]]:
    """The pack's holidays.csv as (day, name, kind); none when the file is absent. Raises PackError naming the line."""
    path = pack / PACK_FILE
    if not path.is_file():
        return []
    out: list[tuple[date, str, str]] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"date", "name", "kind"} <= set(reader.fieldnames):
            raise PackError(f"{path}: the header must be date,name,kind")
        for row in reader:
            line = reader.line_num
            try:
                day = date.fromisoformat((row["date"] or "").strip())
            except ValueError:
                raise PackError(f"{path}, line {line}: date {row['date']!r} is not YYYY-MM-DD") from None
            kind = (row["kind"] or "").strip().lower()
            if kind not in PACK_KINDS:
                raise PackError(f"{path}, line {line}: kind {row['kind']!r} must be holiday or workday")
            out.append((day, (row["name"] or "").strip() or kind, kind))
    return out


def calendar(first: date, last: date, pack: Path) -> list[CalendarDay]:
    """Every day from `first` to `last` (inclusive), working or not, and why."""
    national = national_days(first, last)
    local = {day: (name, kind) for day, name, kind in pack_days(pack)}
    out = []
    day = first
    while day <= last:
        if day in local:
            name, kind = local[day]
            out.append(CalendarDay(day, kind == "workday", name, name, f"pack_{kind}"))
        elif day in national:
            name_id, name_en, kind = national[day]
            out.append(CalendarDay(day, False, name_id, name_en, kind))
        elif day.weekday() >= 5:
            out.append(CalendarDay(day, False, None, None, "weekend"))
        else:
            out.append(CalendarDay(day, True, None, None, "weekday"))
        day += timedelta(days=1)
    return out


def year_notes(years: range | list[int], pack: Path) -> list[tuple[int, str, list[str]]]:
    """Years whose days off are not settled yet: (year, note, detail) with note
    `joint_leave_unknown` — the package lists no cuti bersama for the year (the ministers' decree is not out yet, or
    the package predates it) and the pack lists no day for it either; or
    `estimated` — the package marks some dates as estimates (Islamic holidays after the confirmed years)."""
    local_years = {day.year for day, _, _ in pack_days(pack)}
    out = []
    for year in years:
        national = _national(year)
        if not any(kind == "joint_leave" for _, _, kind in national.values()) and year not in local_years:
            out.append((year, "joint_leave_unknown", []))
        estimated = sorted(f"{d.isoformat()} {en}" for d, (_, en, _) in national.items() if "estimated" in en)
        if estimated:
            out.append((year, "estimated", estimated))
    return out
