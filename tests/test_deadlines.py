"""Tier 2: service standards as the law states them — hand-worked deadlines in hours, calendar days and working days
(national holidays, cuti bersama, the pack's own days), and each city's own clock.

Every case is worked out by hand in its comment; the database is built by the real ETL from a test city pack.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from city_packs import make_pack

from base.calendar import calendar, year_notes
from etl.build import build
from etl.ingest import load_file
from etl.store import write_transaction
from kpi.db import Reader
from kpi.filters import Filters
from kpi.metrics import summary

T = datetime.fromisoformat
SERVICES = [("WD0", 0, "working_days"), ("WD1", 1, "working_days"), ("WD2", 2, "working_days"),
            ("WD3", 3, "working_days"), ("CAL3", 3, "calendar_days"), ("H24", 24, "hours")]
HOLIDAYS = [("2025-06-04", "Libur daerah uji", "holiday"), ("2025-06-07", "Hari pelayanan Sabtu", "workday")]
# (id, service, submitted, completed, deadline, on time)
CASES = [
    # Friday 15:00, 1 working day: the first working day after Friday is Monday 10 Mar, so due Tue 11 Mar 00:00
    ("fri", "WD1", T("2025-03-07 15:00"), T("2025-03-10 16:00"), T("2025-03-11 00:00"), True),
    ("fri_late", "WD1", T("2025-03-07 15:01"), T("2025-03-11 00:00"), T("2025-03-11 00:00"), False),
    # Christmas (Thu 25 Dec 2025) with N = 0: not a working day; Fri 26 Dec is cuti bersama, so the next working day
    # is Mon 29 Dec: due Tue 30 Dec 00:00
    ("xmas", "WD0", T("2025-12-25 10:00"), T("2025-12-29 12:00"), T("2025-12-30 00:00"), True),
    # N = 0 on a working day (Mon 3 Feb 2025): due at the end of that day
    ("same_day", "WD0", T("2025-02-03 10:00"), T("2025-02-04 08:00"), T("2025-02-04 00:00"), False),
    # The 2025 Lebaran week: Thu 27 Mar, 3 working days. Fri 28 Mar is cuti bersama (Nyepi), 31 Mar and 1 Apr are
    # Idul Fitri, 2-4 and 7 Apr cuti bersama: the working days after 27 Mar are 8, 9 and 10 Apr, so due 11 Apr 00:00.
    # 14 days on the clock, yet on time.
    ("lebaran", "WD3", T("2025-03-27 10:00"), T("2025-04-10 15:00"), T("2025-04-11 00:00"), True),
    # The pack's days: Tue 3 Jun, 2 working days. Wed 4 Jun is the pack's day off, Thu 5 Jun is the 1st, Fri 6 Jun is
    # Idul Adha, Sat 7 Jun is the pack's working day (the 2nd): due Sun 8 Jun 00:00. Still open.
    ("pack", "WD2", T("2025-06-03 09:00"), None, T("2025-06-08 00:00"), None),
    # Calendar days across a month end: Thu 30 Jan + 3 days = 2 Feb, due 3 Feb 00:00
    ("cal", "CAL3", T("2025-01-30 14:00"), T("2025-02-02 23:59:59"), T("2025-02-03 00:00"), True),
    ("cal_late", "CAL3", T("2025-01-30 14:01"), T("2025-02-03 00:00"), T("2025-02-03 00:00"), False),
    # Hours: 24 h after Mon 3 Feb 10:00; completing at the deadline itself is on time
    ("hours", "H24", T("2025-02-03 10:00"), T("2025-02-04 10:00"), T("2025-02-04 10:00"), True),
    ("hours_late", "H24", T("2025-02-03 10:01"), T("2025-02-04 10:01:01"), T("2025-02-04 10:01"), False),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("deadlines")
    pack = make_pack(where, services=SERVICES, holidays=HOLIDAYS)
    path = where / "d.duckdb"
    build(path, rows=0, city=str(pack), progress=lambda _m: None)
    with write_transaction(path) as con:
        con.executemany(
            "INSERT INTO fct_service_requests VALUES (?, ?, '12.71.11', 'loket_kecamatan', ?, ?, ?, NULL, NULL, 1)",
            [(i, s, sub, done, "completed" if done else "open") for i, s, sub, done, _, _ in CASES])
    return path


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_deadline_and_on_time(db: Path, case: tuple) -> None:
    request_id, service, submitted, completed, due, on_time = case
    con = duckdb.connect(str(db), read_only=True)
    try:
        got_due = con.execute("SELECT due_at FROM service_requests WHERE request_id = ?", [request_id]).fetchone()[0]
        got = con.execute("SELECT on_time FROM mart_completions WHERE service_code = ? AND submitted_at = ?",
                          [service, submitted]).fetchall()
    finally:
        con.close()
    assert got_due == due
    assert [r[0] for r in got] == ([] if completed is None else [on_time])


def test_overdue_at_end_starts_at_the_deadline(db: Path) -> None:
    """'pack' is due Sun 8 Jun 00:00: not overdue at the end of 7 Jun (the end is that very instant), overdue after."""
    r = Reader(db)
    saturday = summary(r, Filters(date(2025, 6, 1), date(2025, 6, 7), services=("WD2",)))
    sunday = summary(r, Filters(date(2025, 6, 1), date(2025, 6, 8), services=("WD2",)))
    assert (saturday["open_at_end"], saturday["overdue_at_end"]) == (1, 0)
    assert (sunday["open_at_end"], sunday["overdue_at_end"]) == (1, 1)


def test_working_days_view_lists_the_pack_and_the_national_days(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = dict(con.execute("SELECT day, is_working_day FROM working_days WHERE day BETWEEN '2025-06-02' "
                                "AND '2025-06-08'").fetchall())
        names = dict(con.execute("SELECT day, name FROM working_days WHERE day IN ('2025-03-28', '2025-06-04')"
                                 ).fetchall())
        first, last = con.execute("SELECT min(day), max(day) FROM working_days").fetchone()
        latest = con.execute("SELECT max(submitted_at)::DATE FROM service_requests").fetchone()[0]
    finally:
        con.close()
    assert [rows[date(2025, 6, d)] for d in range(2, 9)] == [True, True, False, True, False, True, False]
    assert "Cuti Bersama" in names[date(2025, 3, 28)] and names[date(2025, 6, 4)] == "Libur daerah uji"
    assert first <= date(2025, 1, 30) and (last - latest).days >= 365


def test_calendar_notes_years_not_settled(tmp_path: Path) -> None:
    """A year without cuti bersama in the package is flagged, unless the pack lists days for it; estimated dates too."""
    pack = make_pack(tmp_path)
    notes = {(y, n) for y, n, _ in year_notes(range(2025, 2031), pack)}
    assert (2030, "joint_leave_unknown") in notes and (2025, "joint_leave_unknown") not in notes
    assert any(n == "estimated" for y, n in notes if y >= 2027)
    listed = make_pack(tmp_path, name="listed", holidays=[("2030-04-05", "Cuti bersama (SKB 2029)", "holiday")])
    assert (2030, "joint_leave_unknown") not in {(y, n) for y, n, _ in year_notes([2030], listed)}
    days = {d.day: d for d in calendar(date(2030, 4, 1), date(2030, 4, 7), listed)}
    assert not days[date(2030, 4, 5)].is_working_day and days[date(2030, 4, 5)].kind == "pack_holiday"


def test_offsets_and_z_are_read_in_a_wita_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a WITA pack (UTC+8) a naive timestamp is WITA; +08:00 stays, Z adds 8 hours, +07:00 (WIB) adds 1."""
    pack = make_pack(tmp_path, toml={"timezone": "Asia/Makassar", "timezone_label": "WITA"})
    monkeypatch.setenv("PANTAU_CITY", str(pack))
    db = tmp_path / "wita.duckdb"
    build(db, rows=0, progress=lambda _m: None)
    csv_file = tmp_path / "wita.csv"
    csv_file.write_text(
        "request_id,service_code,kecamatan_code,channel,submitted_at,completed_at\n"
        "n,KK,12.71.11,online,2025-03-07 15:00:00,2025-03-10 09:00:00\n"
        "p8,KK,12.71.11,online,2025-03-07T15:00:00+08:00,2025-03-10T09:00:00+08:00\n"
        "z,KK,12.71.11,online,2025-03-07T07:00:00Z,2025-03-10T01:00:00Z\n"
        "p7,KK,12.71.11,online,2025-03-07T14:00:00+07:00,2025-03-10T08:00:00+07:00\n", encoding="utf-8")
    res = load_file(db, "service_requests", csv_file)
    assert res.status == "loaded", [p.as_dict() for p in res.errors]
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = con.execute("SELECT DISTINCT submitted_at, completed_at FROM service_requests").fetchall()
        days = con.execute("SELECT sum(received), sum(completed) FROM mart_requests_daily WHERE day = '2025-03-07'"
                           ).fetchone()
    finally:
        con.close()
    assert got == [(T("2025-03-07 15:00"), T("2025-03-10 09:00"))]
    assert days[0] == 4  # all four submitted on 7 Mar, local time
