"""Tier 1: data checks on a database built by the real ETL (unique, not null, accepted values, relationships)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from etl.build import build


@pytest.fixture(scope="module")
def con(sample_db: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(sample_db), read_only=True)
    yield c
    c.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def test_exactly_21_kecamatan_with_kemendagri_codes(con: duckdb.DuckDBPyConnection) -> None:
    codes = [r[0] for r in con.execute("SELECT kecamatan_code FROM kecamatan ORDER BY 1").fetchall()]
    assert codes == [f"12.71.{i:02d}" for i in range(1, 22)]
    assert scalar(con, "SELECT count(*) FROM kecamatan WHERE population > 0 AND area_km2 > 0") == 21


def test_services_catalogue(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) FROM services") >= 12
    assert scalar(con, "SELECT count(*) FROM services WHERE sla_value IS NULL OR sla_value <= 0") == 0
    assert {r[0] for r in con.execute("SELECT DISTINCT sla_unit FROM services").fetchall()} <= {
        "hours", "working_days", "calendar_days"}
    # every request has a deadline: the calendar reaches past the latest one
    assert scalar(con, "SELECT count(*) FROM service_requests WHERE due_at IS NULL") == 0
    assert scalar(con, "SELECT count(*) FROM service_requests WHERE due_at < submitted_at") == 0
    cats = {r[0] for r in con.execute("SELECT DISTINCT category FROM services").fetchall()}
    assert cats == {"adminduk", "perizinan", "pengaduan"}


def test_request_ids_unique(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) - count(DISTINCT request_id) FROM service_requests") == 0


@pytest.mark.parametrize("column", ["request_id", "service_code", "kecamatan_code", "channel", "submitted_at",
                                    "status", "lat", "lon", "load_id"])
def test_not_null(con: duckdb.DuckDBPyConnection, column: str) -> None:
    assert scalar(con, f"SELECT count(*) FROM service_requests WHERE {column} IS NULL") == 0


@pytest.mark.parametrize(("column", "table", "key"), [
    ("service_code", "services", "service_code"),
    ("kecamatan_code", "kecamatan", "kecamatan_code"),
    ("channel", "channels", "channel"),
    ("load_id", "loads", "load_id"),
])
def test_relationships(con: duckdb.DuckDBPyConnection, column: str, table: str, key: str) -> None:
    orphans = scalar(con, f"SELECT count(*) FROM service_requests WHERE {column} NOT IN (SELECT {key} FROM {table})")
    assert orphans == 0


def test_accepted_status_values_match_completion(con: duckdb.DuckDBPyConnection) -> None:
    assert {r[0] for r in con.execute("SELECT DISTINCT status FROM service_requests").fetchall()} <= {
        "open", "in_progress", "completed", "rejected"}
    assert scalar(con, """SELECT count(*) FROM service_requests
                          WHERE (completed_at IS NULL) <> (status IN ('open', 'in_progress'))""") == 0


def test_completed_not_before_submitted(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) FROM service_requests WHERE completed_at < submitted_at") == 0


def test_story_open_backlog_is_young_and_most_work_is_on_time(con: duckdb.DuckDBPyConnection) -> None:
    """A working city: a small open backlog, most of it young, a small stuck tail; most requests on time."""
    open_share = scalar(con, "SELECT avg((completed_at IS NULL)::INT) FROM service_requests")
    assert 0.001 <= open_share <= 0.01
    latest = "(SELECT max(submitted_at) FROM service_requests)"
    old = scalar(con, f"""SELECT avg((submitted_at < {latest} - INTERVAL 90 DAY)::INT) FROM service_requests
                          WHERE completed_at IS NULL""")
    assert old < 0.35
    late = scalar(con, "SELECT 1 - avg(on_time::INT) FROM mart_completions WHERE completed_day >= DATE '2025-01-01'")
    assert 0.03 < late < 0.3


def test_story_counters_open_on_working_days_only(con: duckdb.DuckDBPyConnection) -> None:
    closed = scalar(con, """SELECT count(*) FROM service_requests AS r JOIN working_days AS w
                            ON w.day = CAST(r.submitted_at AS DATE)
                            WHERE r.channel <> 'online' AND NOT w.is_working_day""")
    done_off = scalar(con, """SELECT count(*) FROM service_requests AS r JOIN working_days AS w
                              ON w.day = CAST(r.completed_at AS DATE) WHERE NOT w.is_working_day""")
    online_off = scalar(con, """SELECT count(*) FROM service_requests AS r JOIN working_days AS w
                                ON w.day = CAST(r.submitted_at AS DATE)
                                WHERE r.channel = 'online' AND NOT w.is_working_day""")
    assert closed == 0 and done_off == 0 and online_off > 0


def test_story_processing_improves_after_integration(con: duckdb.DuckDBPyConnection) -> None:
    before, after = con.execute("""
        SELECT median(h) FILTER (WHERE year(submitted_at) = 2019), median(h) FILTER (WHERE year(submitted_at) = 2023)
        FROM (SELECT submitted_at, date_diff('second', submitted_at, completed_at) / 3600.0 AS h
              FROM service_requests WHERE completed_at IS NOT NULL)""").fetchone()
    assert after < 0.6 * before


def test_story_covid_dip_and_office_hours(con: duckdb.DuckDBPyConnection) -> None:
    apr_2019, apr_2020 = con.execute("""
        SELECT count(*) FILTER (WHERE submitted_at >= '2019-04-01' AND submitted_at < '2019-05-01'),
               count(*) FILTER (WHERE submitted_at >= '2020-04-01' AND submitted_at < '2020-05-01')
        FROM service_requests""").fetchone()
    assert apr_2020 < 0.5 * apr_2019
    counter_hours = scalar(con, """SELECT avg((hour(submitted_at) BETWEEN 8 AND 15)::INT) FROM service_requests
                                   WHERE channel <> 'online'""")
    assert counter_hours == 1.0


def test_volumes_follow_population(con: duckdb.DuckDBPyConnection) -> None:
    corr = scalar(con, """SELECT corr(n, population) FROM (
                            SELECT kecamatan_code, count(*) AS n FROM service_requests GROUP BY 1)
                          JOIN kecamatan USING (kecamatan_code)""")
    assert corr > 0.95


def test_points_inside_their_kecamatan(con: duckdb.DuckDBPyConnection) -> None:
    # Every point sits within the jitter box of one of its own kecamatan's grid points (sample_points.csv), which
    # were kept only where the whole box lies inside the kecamatan polygon.
    from base.settings import city_dir

    outside = con.execute("""
        SELECT count(*) FROM service_requests AS r
        WHERE NOT EXISTS (SELECT 1 FROM read_csv(?, header = true) AS p
                          WHERE p.kecamatan_code = r.kecamatan_code
                            AND abs(r.lat - p.lat) <= 0.00081 AND abs(r.lon - p.lon) <= 0.00081)""",
        [str(city_dir() / "sample_points.csv")]).fetchone()[0]
    assert outside == 0


def test_tourism_monthly_series(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) FROM tourism_monthly WHERE day(period) <> 1") == 0
    assert scalar(con, "SELECT count(*) FROM tourism_monthly WHERE source NOT LIKE 'sample:%'") == 0
    assert {r[0] for r in con.execute("SELECT DISTINCT indicator FROM tourism_monthly").fetchall()} == {
        "wisman_visits", "tpk_star_hotels_pct", "wisnus_trips"}
    # anchored to published BPS figures: annual foreign arrivals 2022-2024 and the 2021 collapse
    totals = dict(con.execute("""SELECT year(period), sum(value) FROM tourism_monthly
                                 WHERE indicator = 'wisman_visits' GROUP BY 1""").fetchall())
    assert totals[2021] == pytest.approx(230, abs=2)
    assert totals[2022] == pytest.approx(74_498, abs=12)
    assert totals[2024] == pytest.approx(250_413, abs=12)
    assert scalar(con, """SELECT value FROM tourism_monthly WHERE indicator = 'wisman_visits'
                          AND period = DATE '2020-06-01'""") == 99


def test_build_is_deterministic(tmp_path: Path) -> None:
    sums = []
    for name in ("a", "b"):
        db = tmp_path / f"{name}.duckdb"
        build(db, rows=3_000, seed=7, progress=lambda _m: None)
        c = duckdb.connect(str(db), read_only=True)
        sums.append(c.execute("""SELECT sum(hash(request_id, service_code, kecamatan_code, channel, submitted_at,
                                  completed_at, status, lat, lon)) FROM service_requests""").fetchone()[0])
        c.close()
    assert sums[0] == sums[1]
    db = tmp_path / "c.duckdb"
    build(db, rows=3_000, seed=8, progress=lambda _m: None)
    c = duckdb.connect(str(db), read_only=True)
    assert c.execute("SELECT sum(hash(request_id, submitted_at)) FROM service_requests").fetchone()[0] != sums[0]
    c.close()
