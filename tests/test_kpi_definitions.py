"""Tier 2: KPI functions against tiny hand-worked fixtures with exact expected values (incl. period edges)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from etl.audit import next_load_id, record_load
from etl.store import write_transaction
from kpi.db import Reader
from kpi.filters import Filters
from kpi.metrics import by_kecamatan, service_index, summary

JOHOR, KOTA = "12.71.11", "12.71.01"
T = datetime.fromisoformat
# (id, service, kecamatan, submitted, completed) — in the Medan pack KK's standard is 3 working days, KTP_EL's 24 hours
ROWS = [
    ("r1", "KK", JOHOR, T("2024-03-01 09:00"), T("2024-03-01 10:00")),       # 1 h
    ("r2", "KK", JOHOR, T("2024-03-02 08:00"), T("2024-03-02 10:00")),       # 2 h
    ("r3", "KTP_EL", JOHOR, T("2024-03-03 08:00"), T("2024-03-03 12:00")),   # 4 h
    ("r4", "KTP_EL", KOTA, T("2024-03-05 00:00"), T("2024-03-08 02:00")),    # 74 h > 24 h: late
    ("r5", "KK", JOHOR, T("2024-03-31 23:59:59"), T("2024-04-01 00:00:00")), # received in March, completed in April
    ("r6", "KK", JOHOR, T("2024-02-28 10:00"), None),                        # open since February: due 5 Mar
    # (3 working days strictly after Wed 28 Feb: Thu 29, Fri 1 and Mon 4 Mar), so overdue at the end of March
    ("r7", "KTP_EL", JOHOR, T("2024-04-01 00:00:00"), None),                 # first second of April
]


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Reader:
    from etl.build import build

    db = tmp_path_factory.mktemp("kpi") / "kpi.duckdb"
    build(db, rows=0, progress=lambda _m: None)
    with write_transaction(db) as con:
        load_id = next_load_id(con)
        record_load(con, load_id=load_id, dataset="service_requests", file_name="fixture", sha256=None, mode="append",
                    rows_read=len(ROWS), rows_loaded=len(ROWS), rows_rejected=0, status="loaded", source="cli")
        con.executemany(
            "INSERT INTO fct_service_requests VALUES (?, ?, ?, 'loket_kecamatan', ?, ?, ?, 3.5, 98.6, ?)",
            [(i, s, k, sub, done, "completed" if done else "open", load_id) for i, s, k, sub, done in ROWS],
        )
    return Reader(Path(db))


MARCH = Filters(date(2024, 3, 1), date(2024, 3, 31))


def test_march_citywide(reader: Reader) -> None:
    assert summary(reader, MARCH) == {
        "received": 5, "completed": 4, "open_at_end": 2, "overdue_at_end": 1,  # r6; r5 is due 4 Apr
        "median_hours": pytest.approx(3.0), "p90_hours": pytest.approx(53.0), "on_time_rate": pytest.approx(0.75),
    }


def test_march_one_kecamatan(reader: Reader) -> None:
    s = summary(reader, Filters(date(2024, 3, 1), date(2024, 3, 31), kecamatan=(KOTA,)))
    assert (s["received"], s["completed"], s["open_at_end"]) == (1, 1, 0)
    assert s["median_hours"] == pytest.approx(74.0)
    assert s["on_time_rate"] == 0.0


def test_march_one_service(reader: Reader) -> None:
    s = summary(reader, Filters(date(2024, 3, 1), date(2024, 3, 31), services=("KK",)))
    assert (s["received"], s["completed"], s["open_at_end"]) == (3, 2, 2)
    assert s["median_hours"] == pytest.approx(1.5)
    assert s["p90_hours"] == pytest.approx(1.9)
    assert s["on_time_rate"] == 1.0


def test_period_edges_first_of_april(reader: Reader) -> None:
    s = summary(reader, Filters(date(2024, 4, 1), date(2024, 4, 1)))
    assert (s["received"], s["completed"], s["open_at_end"]) == (1, 1, 2)  # r7; r5; r6 and r7
    assert s["median_hours"] == pytest.approx(1 / 3600)


def test_open_at_end_of_february(reader: Reader) -> None:
    s = summary(reader, Filters(date(2024, 2, 1), date(2024, 2, 29)))
    assert (s["received"], s["completed"], s["open_at_end"]) == (1, 0, 1)
    assert s["median_hours"] is None and s["on_time_rate"] is None


def test_empty_period_gives_zero_counts_and_null_times(reader: Reader) -> None:
    assert summary(reader, Filters(date(2023, 1, 1), date(2023, 1, 31))) == {
        "received": 0, "completed": 0, "open_at_end": 0, "overdue_at_end": 0, "median_hours": None, "p90_hours": None,
        "on_time_rate": None}


def test_by_kecamatan_zero_fills_all_21(reader: Reader) -> None:
    frame = by_kecamatan(reader, MARCH)
    assert len(frame) == 21
    johor = frame.set_index("kecamatan_code").loc[JOHOR]
    assert (johor["received"], johor["completed"], johor["open_at_end"]) == (4, 3, 2)
    assert johor["median_hours"] == pytest.approx(2.0)
    assert frame["received"].sum() == 5


def test_service_index_cityscore(reader: Reader) -> None:
    idx = service_index(reader, MARCH)
    # KK: 2/2 on time -> 1/0.9 = 1.111; KTP_EL: 1/2 -> 0.5/0.9 = 0.556; mean = 0.8333
    assert idx["target"] == 0.9
    assert idx["city"] == pytest.approx((1 / 0.9 + 0.5 / 0.9) / 2)
    per_kec = idx["by_kecamatan"].set_index("kecamatan_code")["index"]
    assert per_kec[KOTA] == 0.0
    assert per_kec[JOHOR] == pytest.approx(1 / 0.9)  # KK 1.111 and KTP_EL 1/1 -> 1.111 each


def test_service_score_is_capped_at_1_25(reader: Reader, tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "target.duckdb"
    shutil.copy(reader.path, db)
    with write_transaction(db) as con:
        con.execute("UPDATE settings SET value = '0.5' WHERE key = 'target_on_time_rate'")
    idx = service_index(Reader(db), MARCH)
    # KK: 2/2 on time -> 1/0.5 = 2, capped at 1.25; KTP_EL: 1/2 -> 0.5/0.5 = 1.0
    assert idx["target"] == 0.5
    assert idx["by_service"].set_index("service_code")["index"].to_dict() == {"KK": 1.25, "KTP_EL": 1.0}
    assert idx["city"] == pytest.approx((1.25 + 1.0) / 2)
    per_kec = idx["by_kecamatan"].set_index("kecamatan_code")
    assert per_kec.loc[JOHOR, "index"] == pytest.approx(1.25)  # KK capped, KTP_EL 1/1 -> 2 capped
    assert per_kec.loc[KOTA, "index"] == 0.0


def test_service_index_lists_every_selected_kecamatan(reader: Reader) -> None:
    per_kec = service_index(reader, MARCH)["by_kecamatan"]
    assert len(per_kec) == 21 and per_kec["kecamatan"].notna().all()
    idle = per_kec[~per_kec["kecamatan_code"].isin([JOHOR, KOTA])]
    assert idle["index"].isna().all() and (idle["services"] == 0).all()
    one = service_index(reader, Filters(MARCH.date_from, MARCH.date_to, kecamatan=(KOTA,)))
    assert one["by_kecamatan"]["kecamatan_code"].tolist() == [KOTA]
    assert one["city"] == 0.0  # only KOTA's late KTP_EL counts


def test_previous_period_has_equal_length() -> None:
    prev = MARCH.previous()
    assert (prev.date_from, prev.date_to) == (date(2024, 1, 30), date(2024, 2, 29))
    assert prev.days == MARCH.days == 31
