"""Read-side layer: queries behind the charts and tables (aggregated in SQL; pages never see raw rows)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from base.calendar import year_notes
from base.settings import city_dir, city_settings
from kpi import metrics
from kpi.db import Reader
from kpi.filters import Filters, where


def load_history(r: Reader, limit: int = 200) -> pd.DataFrame:
    """The audit trail, newest first."""
    return r.df(
        """
        SELECT load_id, dataset, file_name, sha256, mode, rows_read, rows_loaded, rows_rejected, status, loaded_at,
               source
        FROM loads ORDER BY load_id DESC LIMIT $limit
        """,
        {"limit": limit},
    )


def undoable_load(r: Reader) -> int | None:
    """The latest load still in effect: the one an undo offers (an older one may have later loads built on it)."""
    row = r.one("SELECT max(load_id) FROM loads WHERE status = 'loaded'")
    return int(row[0]) if row and row[0] is not None else None


# --- Chart series -------------------------------------------------------------------------------------------------
# Identifiers below come from these whitelists only; widget values pick a key, never text that reaches SQL.
GRAINS = {"day": "day", "week": "week", "month": "month"}
SPLITS = {
    "service": ("service_code", "dim_service", "service_code"),
    "channel": ("channel", "dim_channel", "channel"),
    "kecamatan": ("kecamatan_code", "dim_kecamatan", "kecamatan_code"),
}
AGE_BUCKETS = ("lt_1d", "d1_3", "d3_7", "gt_7d")


def grain_for(f: Filters, grains: tuple[str, ...] = tuple(GRAINS)) -> str:
    """Days for a month or less, weeks up to half a year, months beyond (enough points, not too many); the next
    coarser one when a chart does not offer that grain."""
    wanted = "day" if f.days <= 31 else "week" if f.days <= 184 else "month"
    order = list(GRAINS)
    return next(g for g in order[order.index(wanted):] if g in grains)


def _name_col(lang: str) -> str:
    return "name_en" if lang == "en" else "name_id"


def data_bounds(r: Reader) -> tuple[date | None, date | None]:
    """First and last day with any request received or completed (the latest data date anchors every preset)."""
    row = r.one("SELECT min(day), max(day) FROM mart_requests_daily")
    return (row[0], row[1]) if row else (None, None)


def kecamatan_names(r: Reader) -> dict[str, str]:
    frame = r.df("SELECT kecamatan_code, name FROM dim_kecamatan ORDER BY kecamatan_code")
    return dict(zip(frame["kecamatan_code"], frame["name"], strict=True))


def service_names(r: Reader, lang: str) -> dict[str, str]:
    frame = r.df(f"SELECT service_code, {_name_col(lang)} AS name FROM dim_service ORDER BY category, service_code")
    return dict(zip(frame["service_code"], frame["name"], strict=True))


def volume_series(r: Reader, f: Filters, grain: str, split: str, lang: str) -> pd.DataFrame:
    """Received and completed per period (day/week/month start) and split group (service/channel/kecamatan name)."""
    unit = GRAINS[grain]
    column, table, key = SPLITS[split]
    name = "name" if split == "kecamatan" else _name_col(lang)
    return r.df(
        f"""
        WITH m AS (
            SELECT date_trunc('{unit}', day)::DATE AS period, {column} AS code,
                   sum(received)::BIGINT AS received, sum(completed)::BIGINT AS completed
            FROM mart_requests_daily WHERE {where("day")}
            GROUP BY ALL
        )
        SELECT m.period, d.{name} AS "group", m.received, m.completed
        FROM m JOIN {table} AS d ON d.{key} = m.code
        ORDER BY m.period, "group"
        """,
        f.params(),
    )


def backlog_series(r: Reader, f: Filters, grain: str) -> pd.DataFrame:
    """Open backlog at the end of each day (or the last day of each week/month) in the period.

    Same definition as metrics.summary's open_at_end: received minus completed up to and including that day.
    """
    unit = GRAINS[grain]
    return r.df(
        f"""
        WITH before AS (  -- whole months before the period's first month (as in metrics.summary)
            SELECT coalesce(sum(received) - sum(completed), 0) AS net
            FROM mart_requests_monthly WHERE month < $month_start AND {where()}
        ), net AS (
            SELECT day, sum(received) - sum(completed) AS net
            FROM mart_requests_daily WHERE day BETWEEN $month_start AND $date_to AND {where()} GROUP BY day
        ), running AS (
            SELECT day, (SELECT net FROM before) + sum(net) OVER (ORDER BY day) AS open_at_end FROM net
        )
        SELECT date_trunc('{unit}', day)::DATE AS period, arg_max(open_at_end, day)::BIGINT AS open_at_end
        FROM running WHERE day BETWEEN $date_from AND $date_to
        GROUP BY ALL ORDER BY period
        """,
        {**f.params(), "month_start": f.date_from.replace(day=1)},
    )


def backlog_age(r: Reader, f: Filters) -> pd.DataFrame:
    """The open backlog at the end of the period by age (< 1 d, 1–3 d, 3–7 d, > 7 d) and how much of it is overdue
    (past its deadline, as metrics' overdue_at_end): the rows of metrics.OPEN_AT_END."""
    return r.df(
        f"""
        WITH aged AS (
            SELECT date_diff('microsecond', submitted_at, $date_to + INTERVAL 1 DAY) / 3600e6 AS age_hours,
                   due_at < $date_to + INTERVAL 1 DAY AS overdue
            FROM ({metrics.OPEN_AT_END}) WHERE {where()}
        ), buckets(bucket, lo, hi, ord) AS (
            VALUES ('lt_1d', 0, 24, 1), ('d1_3', 24, 72, 2), ('d3_7', 72, 168, 3), ('gt_7d', 168, 1e12, 4)
        )
        SELECT b.bucket,
               count(a.age_hours)::BIGINT AS open,
               count(a.age_hours) FILTER (WHERE a.overdue)::BIGINT AS past_sla
        FROM buckets AS b LEFT JOIN aged AS a ON a.age_hours >= b.lo AND a.age_hours < b.hi
        GROUP BY b.bucket, b.ord ORDER BY b.ord
        """,
        metrics.backlog_params(f),
    )


def service_quantiles(r: Reader, f: Filters, lang: str) -> pd.DataFrame:
    """Per service: processing-hour quantiles p10, p25, median, p75, p90 (a boxplot's five numbers), count, and its
    standard (sla_value, sla_unit)."""
    return r.df(
        f"""
        WITH q AS (
            SELECT service_code, count(*) AS completed,
                   quantile_cont(hours, [0.1, 0.25, 0.5, 0.75, 0.9]) AS qs
            FROM mart_completions WHERE {where("completed_day")} GROUP BY service_code
        )
        SELECT q.service_code, s.{_name_col(lang)} AS service, s.sla_value, s.sla_unit,
               q.completed::BIGINT AS completed,
               qs[1] AS p10, qs[2] AS p25, qs[3] AS median, qs[4] AS p75, qs[5] AS p90
        FROM q JOIN dim_service AS s USING (service_code)
        ORDER BY s.category, q.service_code
        """,
        f.params(),
    )


def time_trend(r: Reader, f: Filters, grain: str) -> pd.DataFrame:
    """Median and p90 processing hours and on-time rate per week/month of completion (definitions as in metrics)."""
    unit = GRAINS[grain]
    return r.df(
        f"""
        SELECT period, completed, qs[1] AS median_hours, qs[2] AS p90_hours, on_time_rate
        FROM (SELECT date_trunc('{unit}', completed_day)::DATE AS period, count(*)::BIGINT AS completed,
                     {metrics.MEDIAN_P90} AS qs, {metrics.ON_TIME_RATE} AS on_time_rate
              FROM mart_completions WHERE {where("completed_day")}
              GROUP BY ALL)
        ORDER BY period
        """,
        f.params(),
    )


def _named_pairs(r: Reader, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    kec = kecamatan_names(r)
    svc = service_names(r, lang)
    out = frame.copy()
    out.insert(0, "service", out["service_code"].map(svc))
    out.insert(1, "kecamatan", out["kecamatan_code"].map(kec))
    return out


def service_kecamatan_matrix(r: Reader, f: Filters, lang: str) -> pd.DataFrame:
    """metrics.by_service_kecamatan with service and kecamatan names (the processing-time heatmap)."""
    return _named_pairs(r, metrics.by_service_kecamatan(r, f), lang)


def on_time_by_service(r: Reader, f: Filters, lang: str) -> pd.DataFrame:
    """Per service with completions: completed, on time, on-time rate (metrics' definition, from the daily mart's
    counts summed over kecamatan) and the standard; lowest rate first."""
    return r.df(
        f"""
        WITH per AS (
            SELECT service_code, sum(completed)::BIGINT AS completed, sum(on_time)::BIGINT AS on_time
            FROM mart_requests_daily
            WHERE {where("day")}
            GROUP BY service_code
            HAVING sum(completed) > 0
        )
        SELECT s.service_code, s.{_name_col(lang)} AS service, s.sla_value, s.sla_unit, per.completed, per.on_time,
               per.on_time / per.completed AS on_time_rate
        FROM dim_service AS s JOIN per USING (service_code)
        ORDER BY on_time_rate, s.service_code
        """,
        f.params(),
    )


# A pair's median counts as a mover only with this many completions in both periods (medians of a handful are noise).
MOVERS_MIN_COMPLETED = 20


def biggest_movers(r: Reader, f: Filters, lang: str, n: int = 5,
                   min_completed: int = MOVERS_MIN_COMPLETED) -> pd.DataFrame:
    """Kecamatan x service pairs whose median processing hours changed most against the previous period.

    Only pairs with at least `min_completed` completions in both periods count (medians of a handful are noise).
    Returns the `n` most improved (direction 'down') then the `n` most worsened ('up'), with both medians: one scan
    of both periods, ranked in SQL (ties by service, then kecamatan).
    """
    frame = r.df(
        f"""
        WITH periods AS (  -- both periods in one scan: 1 = the current one, 0 = the one before
            SELECT service_code, kecamatan_code, (completed_day >= $current_from)::INTEGER AS current,
                   count(*) AS completed, {metrics.MEDIAN} AS median_hours
            FROM mart_completions
            WHERE {where("completed_day")}
            GROUP BY ALL
        ), pairs AS (
            SELECT service_code, kecamatan_code, p.completed AS completed_prev, c.completed,
                   p.median_hours AS median_hours_prev, c.median_hours
            FROM periods AS c JOIN periods AS p USING (service_code, kecamatan_code)
            WHERE c.current = 1 AND p.current = 0
        ), moved AS (
            SELECT service_code, kecamatan_code, median_hours_prev, median_hours,
                   median_hours - median_hours_prev AS change_hours, completed_prev, completed
            FROM pairs
            WHERE completed >= $min_completed AND completed_prev >= $min_completed
        ), down AS (
            SELECT *, 'down' AS direction FROM moved WHERE change_hours < 0
            ORDER BY change_hours, service_code, kecamatan_code LIMIT $n
        ), up AS (
            SELECT *, 'up' AS direction FROM moved WHERE change_hours > 0
            ORDER BY change_hours DESC, service_code, kecamatan_code LIMIT $n
        )
        SELECT * FROM (SELECT *, 0 AS part FROM down UNION ALL SELECT *, 1 FROM up)
        ORDER BY part, abs(change_hours) DESC, service_code, kecamatan_code
        """,
        {**f.params(), "date_from": f.previous().date_from, "current_from": f.date_from,
         "min_completed": min_completed, "n": n},
    )
    return _named_pairs(r, frame.drop(columns="part"), lang)


def request_density(r: Reader, f: Filters, cell_degrees: float = 0.004) -> pd.DataFrame:
    """Requests received in the period counted on a lat/lon grid (about 450 m cells): never individual points."""
    return r.df(
        f"""
        SELECT round(lat / $cell) * $cell AS lat, round(lon / $cell) * $cell AS lon, count(*)::BIGINT AS requests
        FROM fct_service_requests
        -- a plain range on submitted_at (not a CAST of it) lets zone maps skip rows outside the period
        WHERE submitted_at >= $date_from AND submitted_at < $date_to + INTERVAL 1 DAY
          AND lat IS NOT NULL AND lon IS NOT NULL AND {where()}
        GROUP BY ALL ORDER BY requests DESC
        """,
        {**f.params(), "cell": cell_degrees},
    )


def tourism_indicators(r: Reader) -> pd.DataFrame:
    """Indicators present, with unit and months available."""
    return r.df(
        """
        SELECT indicator, any_value(unit) AS unit, min(period) AS first_month, max(period) AS last_month,
               count(*) AS months
        FROM tourism_monthly GROUP BY indicator ORDER BY indicator
        """
    )


def tourism_recovery(r: Reader, indicator: str, area: str, date_from: date, date_to: date) -> pd.DataFrame:
    """Monthly values of one indicator against the same month of the baseline year (city.toml
    `tourism_baseline_year`, the last year before COVID-19): recovery = value ÷ value_base × 100."""
    return r.df(
        """
        WITH t AS (SELECT period, value, unit FROM tourism_monthly WHERE indicator = $indicator AND area = $area),
        base AS (SELECT month(period) AS m, value AS value_base FROM t WHERE year(period) = $baseline)
        SELECT t.period, t.value, t.unit, base.value_base,
               t.value / nullif(base.value_base, 0) * 100 AS recovery
        FROM t LEFT JOIN base ON base.m = month(t.period)
        WHERE t.period BETWEEN date_trunc('month', $date_from::DATE) AND $date_to
        ORDER BY t.period
        """,
        {"indicator": indicator, "area": area, "date_from": date_from, "date_to": date_to,
         "baseline": city_settings().tourism_baseline_year},
    )


def tourism_areas(r: Reader) -> list[str]:
    return r.df("SELECT DISTINCT area FROM tourism_monthly ORDER BY area")["area"].tolist()


def last_loads(r: Reader) -> pd.DataFrame:
    """Latest successful load per dataset: when, how many rows, from where."""
    return r.df(
        """
        SELECT dataset, arg_max(load_id, load_id) AS load_id, max(loaded_at) AS loaded_at,
               arg_max(rows_loaded, load_id) AS rows_loaded, arg_max(source, load_id) AS source,
               arg_max(file_name, load_id) AS file_name
        FROM loads WHERE status = 'loaded' GROUP BY dataset ORDER BY dataset
        """
    )


def built_for(r: Reader) -> str | None:
    """The city pack the database was built from (its folder name)."""
    row = r.one("SELECT value FROM settings WHERE key = 'city'")
    return row[0] if row else None


def has_sample_data(r: Reader) -> bool:
    """True while any generated data is in the database (requests or survey respondents of a load with source
    'sample', or sample tourism rows)."""
    row = r.one(
        """
        SELECT EXISTS (SELECT 1 FROM fct_service_requests AS f JOIN loads AS l USING (load_id)
                       WHERE l.source = 'sample')
            OR EXISTS (SELECT 1 FROM fct_tourism_monthly WHERE source LIKE 'sample:%')
        """
    )
    if row[0]:
        return True
    survey = r.one("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'fct_skm_responses' "
                   "AND database_name = current_database()")  # a database of an older release has no survey
    return bool(survey[0]) and bool(r.one(
        "SELECT EXISTS (SELECT 1 FROM fct_skm_responses AS f JOIN loads AS l USING (load_id) "
        "WHERE l.source = 'sample')")[0])


def data_dictionary(r: Reader) -> pd.DataFrame:
    """Columns of the analyst-facing views, as the database itself reports them."""
    return r.df(
        """
        SELECT table_name AS "table", column_name AS "column", data_type AS "type"
        FROM duckdb_columns()
        WHERE table_name IN ('service_requests', 'services', 'kecamatan', 'channels', 'working_days', 'tourism_monthly',
                             'programme_status', 'loads')
        ORDER BY table_name, column_index
        """
    )


def sources(r: Reader) -> pd.DataFrame:
    """Where the reference figures come from, as recorded in the city pack and the tourism rows."""
    return r.df(
        """
        SELECT 'kecamatan' AS dataset, population_source AS source, count(*)::BIGINT AS rows
        FROM dim_kecamatan GROUP BY ALL
        UNION ALL SELECT 'services', sla_source, count(*) FROM dim_service GROUP BY ALL
        UNION ALL SELECT 'tourism_monthly', source, count(*) FROM fct_tourism_monthly GROUP BY ALL
        ORDER BY dataset, rows DESC
        """
    )


def kecamatan_map_frame(r: Reader, f: Filters) -> pd.DataFrame:
    """metrics.by_kecamatan plus the BPS code, so boundary files keyed on either code can be matched."""
    codes = r.df("SELECT kecamatan_code, bps_code FROM dim_kecamatan")
    return metrics.by_kecamatan(r, f).merge(codes, on="kecamatan_code", how="left")



def service_standards(r: Reader, lang: str) -> pd.DataFrame:
    """Each service with its standard as the pack states it: value, unit and where it comes from."""
    return r.df(f"""SELECT service_code, {_name_col(lang)} AS service, category, sla_value, sla_unit, sla_source
                    FROM dim_service ORDER BY category, service_code""")


def days_off(r: Reader, year: int, lang: str) -> pd.DataFrame:
    """The year's weekdays off and the pack's working days, in date order, from the working-day calendar."""
    return r.df(
        f"""
        SELECT day, {"name_en" if lang == "en" else "name_id"} AS name, kind, is_working_day
        FROM dim_calendar
        WHERE year(day) = $year AND kind IN ('holiday', 'joint_leave', 'pack_holiday', 'pack_workday')
        ORDER BY day
        """,
        {"year": year},
    )


def calendar_notes(r: Reader) -> list[tuple[int, str, list[str]]]:
    """Years the requests reach whose days off are not settled yet (base.calendar.year_notes): cuti bersama not yet
    known, or dates the holidays package marks as estimates."""
    row = r.one("SELECT year(min(day)), year(max(day)) FROM mart_requests_daily")
    if not row or row[0] is None:
        return []
    return year_notes(range(int(row[0]), int(row[1]) + 1), city_dir())
