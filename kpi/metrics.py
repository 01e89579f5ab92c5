"""Read-side layer: the KPI definitions — the one implementation used by the CLI and every page.

Definitions (stated again in data/README.md):
- A period is the city's local calendar dates from..to inclusive.
- received    = requests with submitted_at in the period.
- completed   = requests with completed_at in the period.
- open_at_end = requests with submitted_at < end and (completed_at is null or completed_at >= end), end = to + 1 day
  00:00 (submitted by the end of the period and not completed by then).
- overdue_at_end = requests open at the end whose deadline due_at < end.
- processing hours = completed_at - submitted_at (to the microsecond), over requests completed in the period.
- median_hours, p90_hours = continuous quantiles (linear interpolation, numpy's default percentile).
- on_time_rate = share of requests completed in the period that were completed within their deadline.
- service score = min(on_time_rate / target, 1.25) per service; service index = mean of the scores (1.0 = on target).
- channel_share = requests received through the given channels ÷ all requests received in the period.
- The counts behind received, completed and on_time_rate come from the daily mart too (counts_by_service, rates)
  when no quantile is needed: the same requests, so the same figures.

A request's deadline (due_at) follows its service standard, in hours, calendar days or working days; it is defined
once, in SQL, where the marts are built (etl/sql/requests_due.sql), and every KPI here reads it from the marts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from kpi.db import Reader
from kpi.filters import Filters, where

SCORE_CAP = 1.25
DEFAULT_TARGET = 0.9
# Service index bands (CityScore style): green >= 1.0 (on target), amber >= 0.9, red below; scores stop at SCORE_CAP.
INDEX_GREEN = 1.0
INDEX_AMBER = 0.9
# Each band's symbol, shown with its word (messages chart.status.<band>) wherever its colour is (kpi.fmt.status_text):
# a status is never told by colour alone.
INDEX_BANDS = {"green": "✓", "amber": "!", "red": "✕"}


def index_status(value: float | None) -> str | None:
    """'green' (>= 1.0, on target), 'amber' (>= 0.9) or 'red'; None when there is nothing to score."""
    if value is None or pd.isna(value):
        return None
    if value >= INDEX_GREEN:
        return "green"
    return "amber" if value >= INDEX_AMBER else "red"

# The processing-time KPIs as aggregates over mart_completions (one row per completion, `hours` exact, `on_time` =
# completed within its deadline), written once: every grouping (city, kecamatan, service, period) selects these.
MEDIAN_P90 = "quantile_cont(hours, [0.5, 0.9])"  # one pass collects the values once for both quantiles
MEDIAN = "quantile_cont(hours, 0.5)"
ON_TIME_RATE = "avg(on_time::DOUBLE)"


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# The requests open at the end of a period (00:00 after $date_to), one row each: not completed yet
# (mart_open_requests), or completed on a later day (mart_completions). Every backlog figure at a moment counts these
# rows (open_at_end, overdue_at_end, the backlog's age); filter them with `WHERE {where()}` outside.
OPEN_AT_END = """
    SELECT kecamatan_code, service_code, channel, submitted_at, due_at FROM mart_completions
    WHERE completed_day > $date_to AND submitted_at < $date_to + INTERVAL 1 DAY
    UNION ALL
    SELECT kecamatan_code, service_code, channel, submitted_at, due_at FROM mart_open_requests
    WHERE submitted_at < $date_to + INTERVAL 1 DAY
"""
OVERDUE = "count(*) FILTER (WHERE due_at < $date_to + INTERVAL 1 DAY)"


def backlog_params(f: Filters) -> dict[str, Any]:
    """The parameters of a query over OPEN_AT_END alone: a moment (date_to) has no start."""
    return {k: v for k, v in f.params().items() if k != "date_from"}


def _counts(r: Reader, f: Filters) -> tuple[int, int, int, int]:
    """received, completed (daily mart), open_at_end and overdue_at_end (OPEN_AT_END) for the filters."""
    row = r.one(
        f"""
        WITH days AS (
            SELECT coalesce(sum(received), 0) AS received, coalesce(sum(completed), 0) AS completed
            FROM mart_requests_daily
            WHERE {where("day")}
        ), backlog AS (
            SELECT count(*) AS open, {OVERDUE} AS overdue FROM ({OPEN_AT_END}) WHERE {where()}
        )
        SELECT days.received, days.completed, backlog.open, backlog.overdue
        FROM days, backlog
        """,
        f.params(),
    )
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def _summaries(r: Reader, f: Filters, with_previous: bool) -> list[dict[str, Any]]:
    """summary() of f, and of f.previous() too if asked.

    The processing-time figures of both come from one scan of mart_completions grouped by period (0 = f,
    1 = the previous one): each group holds the same values as a scan of its period alone, so the same quantiles.
    """
    periods = [f, f.previous()] if with_previous else [f]
    times = r.df(
        f"""
        SELECT period, qs[1] AS median_hours, qs[2] AS p90_hours, on_time_rate
        FROM (SELECT (completed_day < $current_from)::INTEGER AS period,
                     {MEDIAN_P90} AS qs, {ON_TIME_RATE} AS on_time_rate
              FROM mart_completions
              WHERE {where("completed_day")}
              GROUP BY ALL)
        """,
        {**replace(f, date_from=periods[-1].date_from).params(), "current_from": f.date_from},
    ).set_index("period")
    out = []
    for i, p in enumerate(periods):
        received, completed, open_at_end, overdue_at_end = _counts(r, p)
        row = times.loc[i] if i in times.index else {}
        out.append({
            "received": received,
            "completed": completed,
            "open_at_end": open_at_end,
            "overdue_at_end": overdue_at_end,
            **{key: _num(row.get(key)) for key in ("median_hours", "p90_hours", "on_time_rate")},
        })
    return out


def summary(r: Reader, f: Filters) -> dict[str, Any]:
    """Headline KPIs for the filters: received, completed, open_at_end, overdue_at_end, median/p90 hours, on-time
    rate."""
    return _summaries(r, f, with_previous=False)[0]


def summary_and_previous(r: Reader, f: Filters) -> tuple[dict[str, Any], dict[str, Any]]:
    """summary() of the period and of the previous one of equal length (f.previous()), in one scan of completions."""
    now, before = _summaries(r, f, with_previous=True)
    return now, before


def by_kecamatan(r: Reader, f: Filters) -> pd.DataFrame:
    """Per kecamatan (all in the selection, zero-filled): received, completed, open_at_end, overdue_at_end, median,
    p90, on-time rate, and received per 1,000 residents."""
    return r.df(
        f"""
        WITH days AS (
            SELECT kecamatan_code, sum(received) AS received, sum(completed) AS completed
            FROM mart_requests_daily
            WHERE {where("day")}
            GROUP BY kecamatan_code
        ), backlog AS (
            SELECT kecamatan_code, count(*) AS open_at_end, {OVERDUE} AS overdue_at_end
            FROM ({OPEN_AT_END}) WHERE {where()}
            GROUP BY kecamatan_code
        ), times AS (
            SELECT kecamatan_code, qs[1] AS median_hours, qs[2] AS p90_hours, on_time_rate
            FROM (SELECT kecamatan_code, {MEDIAN_P90} AS qs, {ON_TIME_RATE} AS on_time_rate
                  FROM mart_completions
                  WHERE {where("completed_day")}
                  GROUP BY kecamatan_code)
        )
        SELECT k.kecamatan_code, k.name, k.population, k.lat, k.lon,
               coalesce(d.received, 0)::BIGINT AS received,
               coalesce(d.completed, 0)::BIGINT AS completed,
               coalesce(b.open_at_end, 0)::BIGINT AS open_at_end,
               coalesce(b.overdue_at_end, 0)::BIGINT AS overdue_at_end,
               t.median_hours, t.p90_hours, t.on_time_rate,
               coalesce(d.received, 0) * 1000.0 / nullif(k.population, 0) AS received_per_1000
        FROM dim_kecamatan AS k
        LEFT JOIN days AS d USING (kecamatan_code)
        LEFT JOIN backlog AS b USING (kecamatan_code)
        LEFT JOIN times AS t USING (kecamatan_code)
        WHERE len($kecamatan) = 0 OR list_contains($kecamatan, k.kecamatan_code)
        ORDER BY k.kecamatan_code
        """,
        f.params(),
    )


def overdue_pairs(r: Reader, f: Filters) -> pd.DataFrame:
    """Overdue requests at the end of the period per service x kecamatan (pairs with any): overdue, open, and the
    oldest overdue request's submission and deadline; most overdue first."""
    return r.df(
        f"""
        SELECT service_code, kecamatan_code, {OVERDUE}::BIGINT AS overdue, count(*)::BIGINT AS open,
               min(submitted_at) FILTER (WHERE due_at < $date_to + INTERVAL 1 DAY) AS oldest_submitted_at,
               min(due_at) FILTER (WHERE due_at < $date_to + INTERVAL 1 DAY) AS oldest_due_at
        FROM ({OPEN_AT_END}) WHERE {where()}
        GROUP BY ALL
        HAVING {OVERDUE} > 0
        ORDER BY overdue DESC, service_code, kecamatan_code
        """,
        backlog_params(f),
    )


def by_service_kecamatan(r: Reader, f: Filters) -> pd.DataFrame:
    """Completed requests per service x kecamatan in the period: completed, on_time, on_time_rate, median_hours."""
    return r.df(
        f"""
        SELECT service_code, kecamatan_code,
               count(*) AS completed,
               count(*) FILTER (WHERE on_time) AS on_time,
               {ON_TIME_RATE} AS on_time_rate,
               {MEDIAN} AS median_hours
        FROM mart_completions
        WHERE {where("completed_day")}
        GROUP BY ALL
        ORDER BY ALL
        """,
        f.params(),
    )


def target_on_time_rate(r: Reader) -> float:
    """The city's target on-time rate (city.toml `target_on_time_rate`), default 0.9."""
    row = r.one("SELECT value FROM settings WHERE key = 'target_on_time_rate'")
    return float(row[0]) if row else DEFAULT_TARGET


def service_index(r: Reader, f: Filters) -> dict[str, Any]:
    """CityScore-style service index for the filters: city-wide, per kecamatan and per service.

    Per service (city-wide, or within one kecamatan): score = min(on_time_rate / target, 1.25) over its completions
    in the period; an index = the mean of the scores of the services with completions (`services` = how many).
    by_kecamatan lists every selected kecamatan with its name (index missing and services 0 where nothing was
    completed); by_service holds each service with completions and its city-wide score.
    """
    target = target_on_time_rate(r)
    frame = r.df(
        f"""
        WITH scores AS (
            SELECT kecamatan_code, service_code, grouping(kecamatan_code) = 1 AS citywide,
                   least(sum(on_time) / sum(completed) / $target, $cap) AS score
            FROM mart_requests_daily
            WHERE {where("day")}
            GROUP BY GROUPING SETS ((kecamatan_code, service_code), (service_code))
            HAVING sum(completed) > 0
        )
        SELECT 'kecamatan' AS level, k.kecamatan_code AS code, k.name, avg(s.score) AS index,
               count(s.score) AS services
        FROM dim_kecamatan AS k LEFT JOIN scores AS s ON s.kecamatan_code = k.kecamatan_code AND NOT s.citywide
        WHERE len($kecamatan) = 0 OR list_contains($kecamatan, k.kecamatan_code)
        GROUP BY k.kecamatan_code, k.name
        UNION ALL
        SELECT 'service', service_code, NULL, score, 1 FROM scores WHERE citywide
        UNION ALL
        SELECT 'city', NULL, NULL, avg(score), count(*) FROM scores WHERE citywide
        ORDER BY level, code
        """,
        {**f.params(), "target": target, "cap": SCORE_CAP},
    )

    def level(name: str, key: str, *named: str) -> pd.DataFrame:
        part = frame[frame["level"] == name]
        return pd.DataFrame({key: part["code"].to_numpy(), **{col: part["name"].to_numpy() for col in named},
                             "index": part["index"].to_numpy(), "services": part["services"].to_numpy()})

    city = frame[frame["level"] == "city"]
    return {
        "target": target,
        "city": _num(city["index"].iloc[0]),
        "by_kecamatan": level("kecamatan", "kecamatan_code", "kecamatan"),
        "by_service": level("service", "service_code"),
    }


def channel_share(r: Reader, f: Filters, channels: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Share of the requests received in the period that came through `channels` (e.g. ("online",); the filters' own
    channels when not given): received via those channels ÷ all received, with the filters' kecamatan, services and
    channels. `share` is None when nothing was received."""
    channels = f.channels if channels is None else channels
    row = r.one(
        f"""
        SELECT coalesce(sum(received), 0)::BIGINT,
               coalesce(sum(received) FILTER (WHERE list_contains($shared, channel)), 0)::BIGINT
        FROM mart_requests_daily WHERE {where("day")}
        """,
        {**f.params(), "shared": list(channels)},
    )
    received, via = int(row[0]), int(row[1])
    return {"received": received, "via": via, "share": via / received if received else None}


def counts_by_service(r: Reader, f: Filters) -> pd.DataFrame:
    """Per service, for the period (`current` = 1) and the previous one of equal length (`current` = 0): received,
    completed and on_time (completed within the deadline), from the daily mart in one scan — the counts behind
    `received`, `completed` and `on_time_rate` when no quantile is needed (rates() sums them)."""
    return r.df(
        f"""
        SELECT service_code, (day >= $current_from)::INTEGER AS current, sum(received)::BIGINT AS received,
               sum(completed)::BIGINT AS completed, sum(on_time)::BIGINT AS on_time
        FROM mart_requests_daily WHERE {where("day")}
        GROUP BY ALL
        """,
        {**f.params(), "date_from": f.previous().date_from, "current_from": f.date_from},
    )


def rates(counts: pd.DataFrame, current: int, services: tuple[str, ...] = ()) -> dict[str, Any]:
    """received, completed and on_time_rate (on_time ÷ completed, as `on_time_rate`; None when nothing was completed)
    of counts_by_service() rows for one period (1 = the period, 0 = the previous one) and `services` (all if empty)."""
    rows = counts[(counts["current"] == current) & (counts["service_code"].isin(services) if services else True)]
    received, completed, on_time = (int(rows[c].sum()) for c in ("received", "completed", "on_time"))
    return {"received": received, "completed": completed, "on_time_rate": on_time / completed if completed else None}
