"""Tier 2: working days over (data/README.md, "Alerts") — the working days whose start, 00:00 local, lies in
[due_at, now) — worked out by hand across a weekend, the 2025 Lebaran cuti bersama and a pack holiday, in a WIB city
(Medan) and a WITA city (Denpasar), and the step of the shipped 0 / 3 / 5 ladder each request is in.

The databases are built by the real ETL from test packs: Medan's with a test day off on Wed 23 Apr 2025, Denpasar's
with its own holidays.csv, where that day is Galungan.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from city_packs import make_pack

from base import clock
from base.alerts import rules
from base.settings import city_settings
from etl import cli
from etl.build import build
from etl.store import write_transaction
from kpi.alerts import decide
from kpi.db import Reader

T = datetime.fromisoformat
SERVICES = [("WD1", 1, "working_days"), ("H24", 24, "hours")]
CITIES = {"medan": "12.71.11", "denpasar": "51.71.01"}   # the kecamatan each request is made at (its kantor camat)
# id, service, submitted, completed. Deadlines (data/README.md, "Deadlines"):
REQUESTS = [
    ("A", "WD1", T("2025-03-06 10:00"), None),   # Thu; 1st working day after it Fri 7 Mar: due Sat 8 Mar 00:00
    ("E", "WD1", T("2025-03-06 11:00"), T("2025-03-10 08:00")),   # as A, completed Mon 10 Mar 08:00
    ("D", "H24", T("2025-03-07 10:00"), None),   # Fri 10:00 + 24 h: due Sat 8 Mar 10:00
    ("B", "WD1", T("2025-03-26 10:00"), None),   # Wed; Thu 27 Mar works: due Fri 28 Mar 00:00 (cuti bersama)
    ("C", "WD1", T("2025-04-21 10:00"), None),   # Mon; Tue 22 Apr works: due Wed 23 Apr 00:00 (the pack's day off)
]
# at -> {request: (working days over, step of the 0 / 3 / 5 ladder)}; None: not in any alert (not overdue, or done)
CASES = [
    # Sat and Sun are not working days: past the deadline, yet 0 working days over (step 0, "less than 1")
    ("2025-03-09 12:00", {"A": (0, 0), "E": (0, 0), "D": (0, 0), "B": None}),
    # Mon 10 Mar starts at 00:00, which is not before 00:00: still 0
    ("2025-03-10 00:00", {"A": (0, 0), "D": (0, 0)}),
    # one minute later Monday has started: 1. E is still open at 07:00 ...
    ("2025-03-10 00:01", {"A": (1, 0), "E": (1, 0), "D": (1, 0)}),
    # ... and done at 09:00, so in no alert
    ("2025-03-10 09:00", {"A": (1, 0), "E": None, "D": (1, 0)}),
    # Mon to Thu: 4, the head is told (step 1); Mon to Fri: 5, the mayor's office (step 2)
    ("2025-03-13 10:00", {"A": (4, 1), "D": (4, 1)}),
    ("2025-03-14 10:00", {"A": (5, 2), "D": (5, 2)}),
    # Lebaran 2025: Fri 28 Mar cuti bersama, Mon 31 Mar and Tue 1 Apr Idul Fitri, Wed 2 to Fri 4 and Mon 7 Apr cuti
    # bersama. On Mon 7 Apr B is 11 calendar days over and 0 working days; Tue 8 Apr is the first
    ("2025-04-07 10:00", {"B": (0, 0)}),
    ("2025-04-08 10:00", {"B": (1, 0)}),
    ("2025-04-11 10:00", {"B": (4, 1)}),
    # Wed 23 Apr is the pack's day off: on Fri 25 Apr C is 2 working days over (Thu, Fri), not 3, so still step 0
    ("2025-04-24 10:00", {"C": (1, 0)}),
    ("2025-04-25 10:00", {"C": (2, 0)}),
    ("2025-04-28 10:00", {"C": (3, 1)}),
]


@pytest.fixture(scope="module", params=sorted(CITIES))
def city_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    city = request.param
    where = tmp_path_factory.mktemp(f"wd_{city}")
    extra = {"holidays": [("2025-04-23", "Libur daerah uji", "holiday")]} if city == "medan" else {}
    pack = make_pack(where, city, name=f"{city}_t", services=SERVICES, **extra)
    db = where / "wd.duckdb"
    build(db, rows=0, city=str(pack), progress=lambda _m: None)
    with write_transaction(db) as con:
        con.executemany(
            "INSERT INTO fct_service_requests VALUES (?, ?, ?, 'loket_kecamatan', ?, ?, ?, NULL, NULL, 1)",
            [(i, s, CITIES[city], sub, done, "completed" if done else "open") for i, s, sub, done in REQUESTS])
    return city, pack, db


def _placed(db: Path, pack: Path, at: datetime) -> dict[str, tuple[int, int, str | None]]:
    decision = decide(Reader(db), tuple(r for r in rules(str(pack)) if r.kind == "overdue"), at)
    return {i.id: (i.measure, a.step, a.unit_code) for a in decision.alerts for i in a.items}


def test_the_pack_says_what_the_cases_assume(city_db: tuple[str, Path, Path]) -> None:
    """The shipped ladder is 0 / 3 / 5 working days, and Wed 23 Apr 2025 is a day off in both test packs."""
    _, pack, db = city_db
    (overdue,) = [r for r in rules(str(pack)) if r.kind == "overdue"]
    assert [s.threshold for s in overdue.steps] == [0, 3, 5]
    assert [s.notify for s in overdue.steps] == [("unit",), ("unit", "head"), ("mayor_office",)]
    days = dict(Reader(db).df("SELECT strftime(day, '%Y-%m-%d'), kind FROM dim_calendar "
                              "WHERE day IN ('2025-03-28', '2025-04-07', '2025-04-23')").itertuples(index=False,
                                                                                                  name=None))
    assert days == {"2025-03-28": "joint_leave", "2025-04-07": "joint_leave", "2025-04-23": "pack_holiday"}


@pytest.mark.parametrize(("at", "expected"), CASES, ids=[c[0] for c in CASES])
def test_working_days_over_and_step(city_db: tuple[str, Path, Path], at: str, expected: dict) -> None:
    city, pack, db = city_db
    placed = _placed(db, pack, T(at))
    for request, want in expected.items():
        if want is None:
            assert request not in placed, (city, at, request)
        else:
            assert placed[request] == (*want, CITIES[city]), (city, at, request)


def test_now_is_the_citys_own_clock(city_db: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Sun 9 Mar 2025 16:30 UTC is 23:30 on Sunday in a WIB city (A: 0 working days over) and 00:30 on Monday in a
    WITA city (A: 1): `python -m etl alerts` without --at evaluates at the city's own now."""
    city, pack, db = city_db
    monkeypatch.setenv("PANTAU_CITY", str(pack))
    monkeypatch.setattr(clock, "CLOCK", lambda: datetime(2025, 3, 9, 16, 30, tzinfo=UTC).timestamp())
    state = db.with_name("wd.duckdb.alerts.sqlite")
    assert cli.main(["alerts", "--db", str(db), "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    local = {"WIB": "2025-03-09 23:30", "WITA": "2025-03-10 00:30"}[city_settings(str(pack)).timezone_label]
    assert out["at"] == local
    (alert,) = [a for a in out["alerts"] if "A" in a["request_ids"]]
    assert alert["step"] == 0 and alert["unit_code"] == CITIES[city] and alert["state"] == "new"
    assert _placed(db, pack, T(local))["A"][0] == {"WIB": 0, "WITA": 1}[city_settings(str(pack)).timezone_label]
    assert not state.exists(), "a dry run records nothing"
