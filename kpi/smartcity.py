"""Read-side layer: the smart-city master plan — programme status per pillar (from the view programme_status, where
progress, expected progress and status are defined once) and each pillar's measured indicators, taken from the KPI
functions of kpi.metrics and kpi.queries as the city pack's pillars.toml maps them.

Definitions (stated again in data/README.md):
- A programme's state is its latest reported row (the greatest `period`).
- Per pillar, over those latest rows: done, on_track and behind = how many programmes have that status;
  mean_progress = the mean of their progress (missing when the pillar has no programmes).
- pillar_status = 'behind' when any of its programmes is behind, 'done' when all are done, else 'on_track'.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from base.i18n import fill_city
from base.settings import PackError, city_dir, city_settings
from base.smartcity import pillars
from kpi import metrics, queries
from kpi.db import Reader
from kpi.filters import Filters

STATUSES = ("behind", "on_track", "done")   # the order programmes are listed in: what needs attention first
# Each status's symbol, shown with its word (messages smartcity.status.<status>) wherever its colour is.
STATUS_SYMBOLS = {"behind": "✕", "on_track": "→", "done": "✓"}
MEASURES = ("service_index", "on_time_rate", "received", "completed", "channel_share", "tourism_recovery")
# A figure resting on fewer requests than this is not shown as a pillar indicator (as the kiosk withholds rates).
MIN_COMPLETED = 5


def has_programmes(r: Reader) -> bool:
    """Whether any master-plan row is loaded (a database made before the dataset existed has none)."""
    row = r.one("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'fct_programmes' "
                "AND database_name = current_database()")
    return bool(row and row[0]) and bool(r.one("SELECT EXISTS (SELECT 1 FROM fct_programmes)")[0])


_LATEST = """
    SELECT f.programme_id, f.name, f.pillar, f.kind, f.agency, f.indicator, f.unit, f.baseline_value,
           f.baseline_year, f.target_value, f.target_year, f.realised_value, f.period, s.progress, s.expected,
           s.status, count(*) OVER (PARTITION BY f.programme_id) AS reports, f.note, f.source
    FROM fct_programmes AS f JOIN programme_status AS s USING (programme_id, period)
    QUALIFY row_number() OVER (PARTITION BY f.programme_id ORDER BY f.period DESC) = 1
"""


def latest_programmes(r: Reader, pillar: str | None = None) -> pd.DataFrame:
    """Every programme (of `pillar`, or all) at its latest report: its fields, progress, expected, status and how
    many reports it has; by pillar (the programme's order), then behind first, then least progress."""
    if not has_programmes(r):
        return pd.DataFrame(columns=["programme_id", "name", "pillar", "kind", "agency", "indicator", "unit",
                                     "baseline_value", "baseline_year", "target_value", "target_year",
                                     "realised_value", "period", "progress", "expected", "status", "reports",
                                     "note", "source"])
    return r.df(
        f"""
        SELECT * FROM ({_LATEST}) WHERE $pillar IS NULL OR pillar = $pillar
        ORDER BY list_position($pillars, pillar), list_position($statuses, status), progress, programme_id
        """,
        {"pillars": list(pillars()), "statuses": list(STATUSES), "pillar": pillar},
    )


def pillar_summary(r: Reader) -> pd.DataFrame:
    """One row per pillar, all six in order: programmes, done, on_track, behind, mean_progress, status (None and
    missing mean when it has no programmes)."""
    frame = pd.DataFrame({"pillar": list(pillars())})
    if has_programmes(r):
        counts = r.df(
            f"""
            SELECT pillar, count(*)::BIGINT AS programmes,
                   count(*) FILTER (WHERE status = 'done')::BIGINT AS done,
                   count(*) FILTER (WHERE status = 'on_track')::BIGINT AS on_track,
                   count(*) FILTER (WHERE status = 'behind')::BIGINT AS behind,
                   avg(progress) AS mean_progress
            FROM ({_LATEST}) GROUP BY pillar
            """
        )
        frame = frame.merge(counts, on="pillar", how="left")
    else:
        frame = frame.assign(programmes=0, done=0, on_track=0, behind=0, mean_progress=float("nan"))
    for col in ("programmes", "done", "on_track", "behind"):
        frame[col] = frame[col].fillna(0).astype("int64")
    frame["status"] = [pillar_status(int(n), int(d), int(b)) for n, d, b in
                       zip(frame["programmes"], frame["done"], frame["behind"], strict=True)]
    return frame


def pillar_status(programmes: int, done: int, behind: int) -> str | None:
    """'behind' when any programme is behind, 'done' when all are done, 'on_track' otherwise; None without any."""
    if programmes == 0:
        return None
    if behind:
        return "behind"
    return "done" if done == programmes else "on_track"


def quick_wins(r: Reader) -> pd.DataFrame:
    """Every report of every quick win: programme, pillar, baseline and target dates (31 Dec of their years),
    period, progress, expected and status; by pillar, then target date."""
    if not has_programmes(r):
        return pd.DataFrame(columns=["programme_id", "name", "pillar", "baseline_date", "target_date", "period",
                                     "progress", "expected", "status"])
    return r.df(
        """
        SELECT f.programme_id, f.name, f.pillar, make_date(f.baseline_year, 12, 31) AS baseline_date,
               make_date(f.target_year, 12, 31) AS target_date, f.period, s.progress, s.expected, s.status
        FROM fct_programmes AS f JOIN programme_status AS s USING (programme_id, period)
        WHERE f.kind = 'quick_win'
        ORDER BY list_position($pillars, f.pillar), target_date, f.programme_id, f.period
        """,
        {"pillars": list(pillars())},
    )


def programme_reports(r: Reader, pillar: str) -> pd.DataFrame:
    """Every report of the pillar's programmes (what the page's download holds): the loaded row and its status."""
    if not has_programmes(r):
        return pd.DataFrame()
    return r.df(
        """
        SELECT f.programme_id, f.name, f.pillar, f.kind, f.agency, f.indicator, f.unit, f.baseline_value,
               f.baseline_year, f.target_value, f.target_year, f.realised_value, f.period, s.progress, s.expected,
               s.status, f.note, f.source
        FROM fct_programmes AS f JOIN programme_status AS s USING (programme_id, period)
        WHERE f.pillar = $pillar ORDER BY f.programme_id, f.period
        """,
        {"pillar": pillar},
    )


# --- measured indicators ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    """One entry of the pack's pillars.toml: a KPI Pantau measures, counted for a pillar."""

    pillar: str
    key: str
    measure: str
    name_id: str
    name_en: str
    services: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    tourism: str | None = None

    def name(self, lang: str) -> str:
        """Its name in `lang`, with the city placeholders ({baseline}, …) filled."""
        return fill_city(self.name_en if lang == "en" else self.name_id)


@lru_cache(maxsize=8)
def _pack_indicators(path: str, mtime_ns: int) -> tuple[Indicator, ...]:
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    out: list[Indicator] = []
    for pillar, entries in raw.items():
        if pillar not in pillars():
            raise PackError(f"{path}: [{pillar}] is not a pillar; use one of {', '.join(pillars())}")
        for i, e in enumerate(entries if isinstance(entries, list) else []):
            where = f"{path}: [[{pillar}]] entry {i + 1}"
            if e.get("measure") not in MEASURES:
                raise PackError(f"{where}: measure {e.get('measure')!r} must be one of {', '.join(MEASURES)}")
            if e["measure"] == "channel_share" and not e.get("channels"):
                raise PackError(f"{where}: channel_share needs channels = [...]")
            if e["measure"] == "tourism_recovery" and not e.get("tourism"):
                raise PackError(f"{where}: tourism_recovery needs tourism = \"<indicator>\"")
            missing = [k for k in ("key", "name_id", "name_en") if not e.get(k)]
            if missing:
                raise PackError(f"{where}: needs {', '.join(missing)}")
            out.append(Indicator(pillar, e["key"], e["measure"], e["name_id"], e["name_en"],
                                 tuple(e.get("services", ())), tuple(e.get("channels", ())), e.get("tourism")))
    return tuple(out)


def pack_indicators() -> tuple[Indicator, ...]:
    """The city pack's pillars.toml as Indicators (none without the file): which measured KPI counts for which
    pillar."""
    path = city_dir() / "pillars.toml"
    if not path.is_file():
        return ()
    return _pack_indicators(str(path), path.stat().st_mtime_ns)


def _requests_figure(r: Reader, ind: Indicator, f: Filters, memo: dict[Any, Any]) -> tuple[float | None, ...]:
    """(value now, value in the previous period, what it rests on) from kpi.metrics; the counts are read once."""
    scoped = Filters(f.date_from, f.date_to, services=ind.services)
    if ind.measure == "service_index":
        now = metrics.service_index(r, scoped)
        before = metrics.service_index(r, scoped.previous())
        return now["city"], before["city"], int(now["by_service"]["services"].sum())
    if ind.measure == "channel_share":
        now, before = (metrics.channel_share(r, p, ind.channels) for p in (scoped, scoped.previous()))
        return now["share"], before["share"], now["received"]
    if "counts" not in memo:  # one scan of the daily mart for every service and both periods
        memo["counts"] = metrics.counts_by_service(r, Filters(f.date_from, f.date_to))
    now, before = (metrics.rates(memo["counts"], current, ind.services) for current in (1, 0))
    if ind.measure == "on_time_rate":
        rate = now["on_time_rate"] if now["completed"] >= MIN_COMPLETED else None
        prev = before["on_time_rate"] if before["completed"] >= MIN_COMPLETED else None
        return rate, prev, now["completed"]
    return now[ind.measure], before[ind.measure], now[ind.measure]


def _tourism_figure(r: Reader, ind: Indicator, f: Filters) -> tuple[Any, ...]:
    """The latest recovery index (kpi.queries.tourism_recovery) in the period and in the previous one, and its
    month."""
    area = city_settings().tourism_area
    out: list[Any] = []
    month: date | None = None
    for i, p in enumerate((f, f.previous())):
        series = queries.tourism_recovery(r, ind.tourism, area, p.date_from, p.date_to).dropna(subset=["recovery"])
        out.append(float(series["recovery"].iloc[-1]) if len(series) else None)
        if i == 0 and len(series):
            month = pd.Timestamp(series["period"].iloc[-1]).date()
    return out[0], out[1], month


def pillar_indicators(r: Reader, f: Filters, lang: str) -> pd.DataFrame:
    """Each measured indicator the pack maps to a pillar, for the period and the previous one of equal length:
    pillar, key, name, measure, value, previous, basis (requests it rests on, or the tourism month). A value is
    missing when there is nothing to measure: it is never a zero."""
    memo: dict[Any, Any] = {}
    rows = []
    for ind in pack_indicators():
        if ind.measure == "tourism_recovery":
            value, previous, basis = _tourism_figure(r, ind, f)
        else:
            value, previous, basis = _requests_figure(r, ind, f, memo)
        rows.append({"pillar": ind.pillar, "key": ind.key, "name": ind.name(lang), "measure": ind.measure,
                     "value": value, "previous": previous, "basis": basis})
    return pd.DataFrame(rows, columns=["pillar", "key", "name", "measure", "value", "previous", "basis"])
