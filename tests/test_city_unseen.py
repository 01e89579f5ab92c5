"""Tier 1/2: a city the code has never seen — a pack written here, in WIT (UTC+9), with five kecamatan, its own
standards and days off — builds, loads offsets in its own zone, and its KPIs equal an independent computation of the
definitions (tests/deadlines.py) over the raw rows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import deadlines
import duckdb
import numpy as np
import pandas as pd
import pytest
from city_packs import make_pack

from base import clock
from base.i18n import t
from etl.build import build
from etl.ingest import load_file
from kpi import metrics
from kpi.db import Reader
from kpi.filters import Filters

KEC = [("91.71.01", "Uji Utara"), ("91.71.02", "Uji Selatan"), ("91.71.03", "Uji Barat"), ("91.71.04", "Uji Timur"),
       ("91.71.05", "Uji Tengah")]
SERVICES = [("KTP_EL", 8, "hours"), ("KK", 2, "working_days"), ("PBG", 10, "working_days"),
            ("PINDAH", 7, "calendar_days"), ("LAPOR_ADUAN", 0, "working_days")]
HOLIDAYS = [("2025-05-13", "Hari jadi kota uji", "holiday"), ("2025-05-17", "Sabtu pelayanan", "workday")]
PERIODS = [Filters(date(2025, 5, 1), date(2025, 5, 31)), Filters(date(2024, 1, 1), date(2024, 12, 31)),
           Filters(date(2025, 3, 20), date(2025, 4, 20), kecamatan=("91.71.03",))]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("unseen")
    pack = make_pack(where, name="kota_uji", kecamatan=KEC, services=SERVICES, holidays=HOLIDAYS,
                     toml={"name": "Kota Uji Timur", "timezone": "Asia/Jayapura", "timezone_label": "WIT",
                           "kecamatan_name_prefixes": ["Uji"], "request_id_prefix": "UJI"})
    db = where / "uji.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("PANTAU_CITY", str(pack))
    build(db, rows=8_000, seed=3, progress=lambda _m: None)
    yield pack, db
    mp.undo()


@pytest.fixture(scope="module")
def raw(city: tuple[Path, Path]) -> pd.DataFrame:
    pack, db = city
    con = duckdb.connect(str(db), read_only=True)
    frame = con.execute("SELECT r.*, s.sla_value, s.sla_unit FROM fct_service_requests AS r "
                        "JOIN dim_service AS s USING (service_code)").df()
    con.close()
    frame["hours"] = (frame["completed_at"] - frame["submitted_at"]).dt.total_seconds() / 3600
    frame["due_at"] = deadlines.due_at(frame, deadlines.working_days_of_pack(date(2018, 1, 1), date(2028, 12, 31),
                                                                             pack))
    frame["on_time"] = deadlines.on_time(frame, frame["due_at"])
    return frame


def test_the_city_speaks_for_itself(city: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    pack, _ = city
    monkeypatch.setenv("PANTAU_CITY", str(pack))
    assert clock.label() == "WIT" and clock.utc_offset_minutes() == 540
    assert "Kota Uji Timur" in t("app.sample_banner", "en") and "WIT" in t("data.loaded", "id", when="", age="",
                                                                              source="")


@pytest.mark.parametrize("f", PERIODS, ids=lambda f: f"{f.date_from}..{f.date_to}")
def test_kpis_equal_the_definitions(city: tuple[Path, Path], raw: pd.DataFrame, f: Filters) -> None:
    _, db = city
    got = metrics.summary(Reader(db), f)
    start, end = datetime.combine(f.date_from, time()), datetime.combine(f.date_to + timedelta(days=1), time())
    rows = raw[raw["kecamatan_code"].isin(f.kecamatan)] if f.kecamatan else raw
    sub, comp = rows["submitted_at"], rows["completed_at"]
    done = rows[(comp >= start) & (comp < end)]
    open_at_end = (sub < end) & (comp.isna() | (comp >= end))
    assert got["received"] == int(((sub >= start) & (sub < end)).sum()) > 0
    assert got["completed"] == len(done) > 0
    assert got["open_at_end"] == int(open_at_end.sum())
    assert got["overdue_at_end"] == int((open_at_end & (rows["due_at"] < end)).sum())
    assert got["on_time_rate"] == pytest.approx(done["on_time"].astype(float).mean(), abs=1e-12)
    assert got["median_hours"] == pytest.approx(float(np.percentile(done["hours"], 50)), abs=1e-9)
    index = metrics.service_index(Reader(db), f)
    scores = (done.groupby("service_code")["on_time"].mean().astype(float) / 0.9).clip(upper=metrics.SCORE_CAP)
    assert index["city"] == pytest.approx(scores.mean(), abs=1e-12)
    assert len(index["by_kecamatan"]) == (len(f.kecamatan) or 5)


def test_the_sample_follows_the_citys_calendar(city: tuple[Path, Path]) -> None:
    _, db = city
    con = duckdb.connect(str(db), read_only=True)
    try:
        on_day_off = con.execute("""SELECT count(*) FROM service_requests AS r JOIN working_days AS w
                                    ON w.day = CAST(r.submitted_at AS DATE)
                                    WHERE r.channel <> 'online' AND NOT w.is_working_day""").fetchone()[0]
        saturday = con.execute("""SELECT count(*) FROM service_requests WHERE channel <> 'online'
                                  AND CAST(submitted_at AS DATE) = DATE '2025-05-17'""").fetchone()[0]
        prefix = con.execute("SELECT count(*) FROM service_requests WHERE request_id NOT LIKE 'UJI-%'").fetchone()[0]
    finally:
        con.close()
    assert on_day_off == 0 and saturday > 0 and prefix == 0


def test_a_load_reads_names_and_offsets_in_wit(city: tuple[Path, Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    pack, db = city
    monkeypatch.setenv("PANTAU_CITY", str(pack))
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    f = tmp_path / "wit.csv"
    f.write_text("request_id,service_code,kecamatan_code,channel,submitted_at\n"
                 "w1,KK,Kec. Uji Barat,loket,2026-10-30T10:00:00+09:00\n"
                 "w2,KK,barat,loket,2026-10-30T01:00:00Z\n"
                 "w3,KK,91.71.03,loket,2026-10-30T08:00:00+07:00\n", encoding="utf-8")
    res = load_file(copy, "service_requests", f)
    assert res.status == "loaded", [p.as_dict() for p in res.errors]
    con = duckdb.connect(str(copy), read_only=True)
    try:
        got = con.execute("SELECT DISTINCT kecamatan_code, submitted_at, due_at FROM service_requests "
                          "WHERE request_id LIKE 'w%'").fetchall()
    finally:
        con.close()
    # Fri 30 Oct 2026, 10:00 WIT; 2 working days: Mon 2 and Tue 3 Nov, so due Wed 4 Nov 00:00
    assert got == [("91.71.03", datetime(2026, 10, 30, 10, 0), datetime(2026, 11, 4, 0, 0))]
