"""Tier 1/2: the marts agree exactly with the raw facts, and the KPI functions reading them equal a computation from
the definitions over raw rows (counts exact, hours within 1e-9); the chunked generator is chunking-independent."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import deadlines
import duckdb
import numpy as np
import pandas as pd
import pytest

from base.settings import city_dir, city_settings
from etl.generate import generate_requests
from etl.reference import load_reference, write_calendar
from etl.store import SQL_DIR
from kpi import metrics, queries
from kpi.db import Reader
from kpi.filters import Filters

TOL = 1e-9
EXACT_HOURS = "date_diff('microsecond', r.submitted_at, r.completed_at) / 3600e6"


@pytest.fixture(scope="module")
def con(sample_db: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(sample_db), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def raw(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Raw requests with their standard; processing hours, deadlines and on time in pandas from the definitions."""
    frame = con.execute("SELECT r.*, s.sla_value, s.sla_unit FROM fct_service_requests AS r "
                        "JOIN dim_service AS s USING (service_code)").df()
    frame["hours"] = (frame["completed_at"] - frame["submitted_at"]).dt.total_seconds() / 3600.0
    frame["due_at"] = deadlines.due_at(frame, deadlines.working_days_of_pack(
        date(2018, 1, 1), date(2028, 12, 31), city_dir()))
    frame["on_time"] = deadlines.on_time(frame, frame["due_at"])
    return frame


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchone()[0])


def test_daily_mart_counts_equal_raw_facts(con: duckdb.DuckDBPyConnection, raw: pd.DataFrame) -> None:
    con.register("raw_on_time", raw[["request_id", "on_time"]])
    diff = f"""
        WITH raw AS (
            SELECT day, kecamatan_code, service_code, channel, sum(rec)::BIGINT AS received,
                   sum(com)::BIGINT AS completed, sum(ont)::BIGINT AS on_time, sum(h) AS hours_sum
            FROM (SELECT CAST(submitted_at AS DATE) AS day, kecamatan_code, service_code, channel,
                         1 AS rec, 0 AS com, 0 AS ont, 0.0 AS h FROM fct_service_requests
                  UNION ALL
                  SELECT CAST(r.completed_at AS DATE), r.kecamatan_code, r.service_code, r.channel, 0, 1,
                         o.on_time::INT, {EXACT_HOURS}
                  FROM fct_service_requests AS r JOIN raw_on_time AS o USING (request_id)
                  WHERE r.completed_at IS NOT NULL)
            GROUP BY ALL
        )
        SELECT count(*)
        FROM raw FULL OUTER JOIN mart_requests_daily AS m USING (day, kecamatan_code, service_code, channel)
        WHERE m.received IS DISTINCT FROM raw.received OR m.completed IS DISTINCT FROM raw.completed
           OR m.on_time IS DISTINCT FROM raw.on_time
           OR abs(m.hours_sum - raw.hours_sum) > {TOL} * greatest(1, raw.hours_sum)
           OR raw.day IS NULL OR m.day IS NULL
    """
    assert _scalar(con, diff) == 0
    assert _scalar(con, "SELECT sum(received) FROM mart_requests_daily") == _scalar(
        con, "SELECT count(*) FROM fct_service_requests")


def test_monthly_mart_is_the_daily_mart_by_month(con: duckdb.DuckDBPyConnection) -> None:
    diff = """
        WITH d AS (SELECT date_trunc('month', day)::DATE AS month, kecamatan_code, service_code, channel,
                          sum(received)::BIGINT AS received, sum(completed)::BIGINT AS completed,
                          sum(on_time)::BIGINT AS on_time
                   FROM mart_requests_daily GROUP BY ALL)
        SELECT count(*)
        FROM d FULL OUTER JOIN mart_requests_monthly AS m USING (month, kecamatan_code, service_code, channel)
        WHERE m.received IS DISTINCT FROM d.received OR m.completed IS DISTINCT FROM d.completed
           OR m.on_time IS DISTINCT FROM d.on_time
    """
    assert _scalar(con, diff) == 0


def test_completions_mart_holds_every_exact_processing_time(con: duckdb.DuckDBPyConnection, raw: pd.DataFrame) -> None:
    mart = con.execute("SELECT hours, on_time FROM mart_completions ORDER BY hours").df()
    done = raw[raw["completed_at"].notna()].sort_values("hours")
    assert len(mart) == len(done)
    assert np.allclose(mart["hours"].to_numpy(), done["hours"].to_numpy(), rtol=0, atol=TOL)
    # sub-second timestamps are kept: hours are not whole seconds (date_diff('second') would truncate them)
    assert (done["hours"] * 3600 % 1 != 0).any()
    assert int(mart["on_time"].sum()) == int(done["on_time"].sum())


@pytest.mark.parametrize(("table", "column"), [
    ("fct_service_requests", "submitted_at"),
    ("mart_requests_daily", "day"),
    ("mart_requests_monthly", "month"),
    ("mart_completions", "completed_day"),
    ("mart_open_requests", "submitted_at"),
])
def test_tables_are_stored_in_time_order(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    # physical order = insertion order: zone maps can only skip row groups of a date filter if time is sorted
    out_of_order = (f"SELECT count(*) FROM (SELECT {column} AS v, lag({column}) OVER () AS prev FROM {table}) "
                    "WHERE v < prev")
    assert _scalar(con, out_of_order) == 0


def _expected_summary(raw: pd.DataFrame, f: Filters) -> dict:
    start = datetime.combine(f.date_from, time())
    end = datetime.combine(f.date_to + timedelta(days=1), time())
    rows = raw[raw["kecamatan_code"].isin(f.kecamatan)] if f.kecamatan else raw
    sub, comp = rows["submitted_at"], rows["completed_at"]
    done = rows[(comp >= start) & (comp < end)]
    hours = done["hours"].to_numpy()
    return {
        "received": int(((sub >= start) & (sub < end)).sum()),
        "completed": len(done),
        "open_at_end": int(((sub < end) & (comp.isna() | (comp >= end))).sum()),
        "median_hours": float(np.percentile(hours, 50)) if len(hours) else None,
        "p90_hours": float(np.percentile(hours, 90)) if len(hours) else None,
        "overdue_at_end": int(((sub < end) & (comp.isna() | (comp >= end)) & (rows["due_at"] < end)).sum()),
        "on_time_rate": float(done["on_time"].astype(float).mean()) if len(hours) else None,
    }


def _assert_same(got: dict, want: dict) -> None:
    for key in ("received", "completed", "open_at_end", "overdue_at_end"):
        assert got[key] == want[key], key
    for key in ("median_hours", "p90_hours", "on_time_rate"):
        if want[key] is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(want[key], rel=0, abs=TOL), key


PERIODS = [
    Filters(date(2024, 1, 1), date(2024, 12, 31)),                       # a year
    Filters(date(2023, 3, 10), date(2023, 4, 17)),                       # mid-month edges on both sides
    Filters(date(2026, 10, 2), date(2026, 10, 31)),                      # the last 30 days of data
    Filters(date(2018, 6, 1), date(2027, 3, 31)),                        # wider than the data on both sides
    Filters(date(2021, 2, 1), date(2021, 2, 28), kecamatan=("12.71.11", "12.71.08")),
    Filters(date(2020, 5, 17), date(2020, 5, 17), kecamatan=("12.71.15",)),  # one day, one kecamatan
]


@pytest.mark.parametrize("f", PERIODS, ids=lambda f: f"{f.date_from}..{f.date_to}{'+kec' if f.kecamatan else ''}")
def test_summary_equals_the_definitions_over_raw_rows(sample_db: Path, raw: pd.DataFrame, f: Filters) -> None:
    _assert_same(metrics.summary(Reader(sample_db), f), _expected_summary(raw, f))


@pytest.mark.parametrize("f", PERIODS, ids=lambda f: f"{f.date_from}..{f.date_to}{'+kec' if f.kecamatan else ''}")
def test_summary_and_previous_equal_each_period_over_raw_rows(sample_db: Path, raw: pd.DataFrame, f: Filters) -> None:
    """One scan for both periods: each equals the definitions over raw rows, and summary() of that period alone."""
    now, before = metrics.summary_and_previous(Reader(sample_db), f)
    _assert_same(now, _expected_summary(raw, f))
    _assert_same(before, _expected_summary(raw, f.previous()))
    assert (now, before) == (metrics.summary(Reader(sample_db), f), metrics.summary(Reader(sample_db), f.previous()))


@pytest.mark.parametrize("f", PERIODS[:3], ids=lambda f: f"{f.date_from}..{f.date_to}")
def test_by_kecamatan_equals_the_definitions_over_raw_rows(sample_db: Path, raw: pd.DataFrame, f: Filters) -> None:
    frame = metrics.by_kecamatan(Reader(sample_db), f)
    assert len(frame) == 21
    for row in frame.to_dict("records"):
        want = _expected_summary(raw, Filters(f.date_from, f.date_to, kecamatan=(row["kecamatan_code"],)))
        got = {k: (None if pd.isna(v) else v) for k, v in row.items()}
        _assert_same(got, want)


def _generated(rows: int, chunk_rows: int, seed: int) -> pd.DataFrame:
    con = duckdb.connect()
    con.execute((SQL_DIR / "schema.sql").read_text(encoding="utf-8"))
    load_reference(con)
    write_calendar(con, city_dir(), date(2018, 1, 1), date(2027, 12, 31))
    generate_requests(con, city_dir(None), city_settings(None), rows, seed, 1, chunk_rows=chunk_rows)
    return con.execute("SELECT * FROM fct_service_requests").df()


def test_generator_output_does_not_depend_on_chunking() -> None:
    whole = _generated(3000, 10**9, seed=7)
    chunked = _generated(3000, 400, seed=7)
    assert len(whole) == 3000
    pd.testing.assert_frame_equal(whole, chunked)
    assert not whole.equals(_generated(3000, 10**9, seed=8))


@pytest.mark.parametrize("f", PERIODS[:3], ids=lambda f: f"{f.date_from}..{f.date_to}")
def test_on_time_counts_of_the_daily_mart_equal_the_per_completion_counts(con: duckdb.DuckDBPyConnection,
                                                                          sample_db: Path, f: Filters) -> None:
    """The service index and the on-time rates sum the daily mart's counts: the same as counting completions."""
    daily = con.execute("""SELECT service_code, kecamatan_code, sum(completed)::BIGINT AS completed,
                                  sum(on_time)::BIGINT AS on_time
                           FROM mart_requests_daily WHERE day BETWEEN $a AND $b
                           GROUP BY ALL HAVING sum(completed) > 0 ORDER BY ALL""",
                        {"a": f.date_from, "b": f.date_to}).df()
    full = metrics.by_service_kecamatan(Reader(sample_db), f)
    full = full[["service_code", "kecamatan_code", "completed", "on_time"]]
    assert len(daily) > 0
    pd.testing.assert_frame_equal(daily.reset_index(drop=True), full.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("f", PERIODS[:3], ids=lambda f: f"{f.date_from}..{f.date_to}")
def test_service_index_equals_the_definition_over_raw_rows(sample_db: Path, raw: pd.DataFrame, f: Filters) -> None:
    r = Reader(sample_db)
    got = metrics.service_index(r, f)
    target = metrics.target_on_time_rate(r)
    day = raw["completed_at"].dt.normalize()
    done = raw[(day >= pd.Timestamp(f.date_from)) & (day <= pd.Timestamp(f.date_to))]
    if f.kecamatan:
        done = done[done["kecamatan_code"].isin(f.kecamatan)]
    done = done.assign(on_time=done["on_time"].astype(float))

    def scores(frame: pd.DataFrame) -> pd.Series:
        return (frame.groupby("service_code")["on_time"].mean() / target).clip(upper=metrics.SCORE_CAP)

    city = scores(done)
    assert abs(got["city"] - city.mean()) < TOL
    by_service = got["by_service"].set_index("service_code")["index"]
    assert by_service.index.tolist() == sorted(city.index)
    assert np.allclose(by_service.to_numpy(), city.sort_index().to_numpy(), rtol=0, atol=TOL)
    by_kec = got["by_kecamatan"].set_index("kecamatan_code")
    assert len(by_kec) == (len(f.kecamatan) or 21)
    for code, row in by_kec.iterrows():
        mine = done[done["kecamatan_code"] == code]
        if len(mine) == 0:
            assert pd.isna(row["index"]) and row["services"] == 0
        else:
            kec = scores(mine)
            assert row["services"] == len(kec)
            assert abs(row["index"] - kec.mean()) < TOL


@pytest.mark.parametrize("f", PERIODS[:3], ids=lambda f: f"{f.date_from}..{f.date_to}")
def test_on_time_by_service_equals_the_definition_over_raw_rows(sample_db: Path, raw: pd.DataFrame, f: Filters) -> None:
    got = queries.on_time_by_service(Reader(sample_db), f, "en").set_index("service_code")
    day = raw["completed_at"].dt.normalize()
    done = raw[(day >= pd.Timestamp(f.date_from)) & (day <= pd.Timestamp(f.date_to))]
    on_time = done["on_time"].astype(float).groupby(done["service_code"])
    assert sorted(got.index) == sorted(on_time.groups)
    assert (got["completed"] == on_time.size().reindex(got.index)).all()
    assert np.allclose(got["on_time_rate"], on_time.mean().reindex(got.index), rtol=0, atol=TOL)
    assert list(got["on_time_rate"]) == sorted(got["on_time_rate"])  # lowest first


@pytest.mark.parametrize("f", PERIODS[1:3], ids=lambda f: f"{f.date_from}..{f.date_to}")
def test_backlog_series_ends_on_the_summary_backlog(sample_db: Path, raw: pd.DataFrame, f: Filters) -> None:
    from kpi import queries

    series = queries.backlog_series(Reader(sample_db), f, "day")
    for day, value in zip(series["period"], series["open_at_end"], strict=True):
        end = datetime.combine(pd.Timestamp(day).date() + timedelta(days=1), time())
        want = int(((raw["submitted_at"] < end) & (raw["completed_at"].isna() | (raw["completed_at"] >= end))).sum())
        assert value == want, day


def test_biggest_movers_equal_the_medians_over_raw_rows(sample_db: Path, raw: pd.DataFrame) -> None:
    """Both periods come from one scan, ranked in SQL: the same pairs, medians and changes as pandas over raw rows
    for each period separately."""
    f = Filters(date(2024, 1, 1), date(2024, 12, 31))
    got = queries.biggest_movers(Reader(sample_db), f, "en", n=5, min_completed=5)

    def medians(period: Filters) -> pd.DataFrame:
        day = raw["completed_at"].dt.normalize()
        done = raw[(day >= pd.Timestamp(period.date_from)) & (day <= pd.Timestamp(period.date_to))]
        g = done.groupby(["service_code", "kecamatan_code"])["hours"]
        return pd.DataFrame({"n": g.size(), "median": g.median()})

    both = medians(f).join(medians(f.previous()).add_suffix("_prev"), how="inner")
    both = both[(both["n"] >= 5) & (both["n_prev"] >= 5)]
    change = both["median"] - both["median_prev"]
    want = {**{k: ("down", v) for k, v in change[change < 0].nsmallest(5).items()},
            **{k: ("up", v) for k, v in change[change > 0].nlargest(5).items()}}
    assert len(want) == 10
    have = {(r.service_code, r.kecamatan_code): (r.direction, r.change_hours) for r in got.itertuples()}
    assert have.keys() == want.keys()
    for key, (direction, value) in want.items():
        assert have[key][0] == direction
        assert abs(have[key][1] - value) < TOL


def test_time_trend_equals_the_definitions_per_month(sample_db: Path, raw: pd.DataFrame) -> None:
    f = Filters(date(2023, 1, 1), date(2024, 6, 30))
    got = queries.time_trend(Reader(sample_db), f, "month")
    day = raw["completed_at"].dt.normalize()
    done = raw[(day >= pd.Timestamp(f.date_from)) & (day <= pd.Timestamp(f.date_to))]
    month = done["completed_at"].dt.to_period("M").dt.start_time
    g = done.assign(on_time=done["on_time"].astype(float)).groupby(month)
    want = pd.DataFrame({"completed": g.size(), "median_hours": g["hours"].median(),
                         "p90_hours": g["hours"].quantile(0.9), "on_time_rate": g["on_time"].mean()})
    assert len(want) == 18
    assert list(pd.to_datetime(got["period"])) == list(want.index)
    cols = ["completed", "median_hours", "p90_hours", "on_time_rate"]
    np.testing.assert_allclose(got[cols].to_numpy(float), want[cols].to_numpy(float), rtol=0, atol=TOL)


def test_backlog_age_equals_the_definitions(sample_db: Path, raw: pd.DataFrame) -> None:
    f = Filters(date(2024, 3, 1), date(2024, 3, 31))
    got = queries.backlog_age(Reader(sample_db), f).set_index("bucket")
    end = pd.Timestamp(f.date_to) + pd.Timedelta(days=1)
    open_rows = raw[(raw["submitted_at"] < end) & (raw["completed_at"].isna() | (raw["completed_at"] >= end))]
    age = (end - open_rows["submitted_at"]).dt.total_seconds() / 3600
    bucket = pd.cut(age, [0, 24, 72, 168, np.inf], right=False, labels=["lt_1d", "d1_3", "d3_7", "gt_7d"])
    assert int(got["open"].sum()) == len(open_rows) > 0
    for name in ("lt_1d", "d1_3", "d3_7", "gt_7d"):
        in_bucket = bucket == name
        assert got.loc[name, "open"] == int(in_bucket.sum()), name
        assert got.loc[name, "past_sla"] == int((in_bucket & (open_rows["due_at"] < end)).sum()), name
