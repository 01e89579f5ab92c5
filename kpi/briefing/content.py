"""Read-side layer: what the weekly briefing says. Every figure comes from kpi.metrics or kpi.queries, is formatted by
kpi.fmt and worded by base/messages (briefing.toml, and the dashboard's own texts for what the dashboard also shows);
every chart is a kpi.charts builder's Vega-Lite spec. The result is plain JSON-able data for the template."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from base import clock
from base.i18n import normalise_lang, t
from base.settings import city_settings
from kpi import charts, fmt, metrics, queries, skm, smartcity
from kpi.db import Reader
from kpi.filters import Filters
from kpi.theme import OTHER_COLOUR, STATUS_COLOURS

WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
TREND_WEEKS = 12
FOLLOW_UP_ROWS = 20  # the oldest pairs: what a meeting can go through; the total is stated under the table
HEADLINE = tuple(fmt.HEADLINE_KINDS.items())  # (KPI, how its change reads), in the dashboard's order


class BriefingError(ValueError):
    """A request the briefing cannot answer (a bad week or code); .message(lang) says why and what to do."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key, self.values = key, values

    def message(self, lang: str) -> str:
        return t(f"briefing.error.{self.key}", lang, **self.values)

    def __str__(self) -> str:
        return self.message("en")


def parse_week(text: str) -> date:
    """The Monday of an ISO week written YYYY-Www ("2026-W44"); BriefingError otherwise."""
    match = WEEK_RE.match(text or "")
    try:
        if match:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        pass
    raise BriefingError("week_format", week=text)


def week_label(day: date) -> str:
    """The ISO week a day falls in, as YYYY-Www."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Request:
    """One briefing: an ISO week, the kecamatan and service codes it is limited to (empty = all), its language."""

    week: str
    kecamatan: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    lang: str = "id"

    @property
    def monday(self) -> date:
        return parse_week(self.week)

    def filters(self) -> Filters:
        return Filters(self.monday, self.monday + timedelta(days=6), kecamatan=tuple(self.kecamatan),
                       services=tuple(self.services))


def last_sunday(day: date) -> date:
    """`day` itself when a Sunday, else the Sunday before it."""
    return day - timedelta(days=day.isoweekday() % 7)


def week_within(date_from: date, date_to: date) -> str | None:
    """The last whole ISO week (Monday to Sunday) inside date_from..date_to, or None when none fits."""
    sunday = last_sunday(date_to)
    return week_label(sunday) if sunday - timedelta(days=6) >= date_from else None


def last_complete_week(r: Reader) -> str | None:
    """The default week: the last ISO week that ends on or before the data's latest day (or the only one there is)."""
    first, last = queries.data_bounds(r)
    if last is None:
        return None
    sunday = last_sunday(last)
    return week_label(sunday) if sunday >= first else week_label(last)


def _listing(names: dict[str, str]) -> str:
    return ", ".join(f"{code} ({name})" for code, name in names.items())


def check(r: Reader, req: Request) -> None:
    """Refuse, with a BriefingError that says what would work, a database of another city pack, a week outside the
    data or an unknown code."""
    monday = req.monday
    first, last = queries.data_bounds(r)
    built, city = queries.built_for(r), city_settings().folder
    if built and built != city:  # names and zone from one pack, figures from another: refused, as the dashboard does
        raise BriefingError("other_city", built=built, city=city)
    if last is None:
        raise BriefingError("no_data")
    if monday > last or monday + timedelta(days=6) < first:
        lang = normalise_lang(req.lang)
        raise BriefingError("week_outside", week=week_label(monday), first=fmt.day(first, lang),
                            last=fmt.day(last, lang), first_week=week_label(first), last_week=week_label(last))
    kecamatan = queries.kecamatan_names(r)
    unknown = [c for c in req.kecamatan if c not in kecamatan]
    if unknown:
        raise BriefingError("kecamatan", codes=", ".join(unknown), valid=_listing(kecamatan))
    services = queries.service_names(r, normalise_lang(req.lang))
    unknown = [c for c in req.services if c not in services]
    if unknown:
        raise BriefingError("service", codes=", ".join(unknown), valid=_listing(services))


# --- formatting ---------------------------------------------------------------------------------------------------
def _value(key: str, value: float | None, lang: str) -> str:
    """A headline KPI as the overview's tile shows it; the service index with two decimals, as its tile does."""
    return fmt.number(value, lang, 2) if key == "index" else fmt.kpi_value(key, value, lang)


def _change(kind: str, now: float | None, before: float | None, lang: str) -> str | None:
    """The change from `before` to `now` as kpi.fmt.delta writes it (counts with their relative change too)."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    diff = now - before
    if diff == 0:
        return t("briefing.headline.unchanged", lang)
    if kind == "index":
        return ("+" if diff > 0 else "−") + fmt.number(abs(diff), lang, 2)
    text = fmt.delta(diff, lang, kind)
    if kind == "count" and before:
        text += "; " + fmt.delta(diff / before, lang, "relative")
    return text


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def _comparison(which: str, key: str, kind: str, now: float | None, then: float | None, lang: str,
                known: bool = True) -> str:
    if not known:
        return t("briefing.headline.ly_before_data", lang)
    if _missing(then):
        return t(f"briefing.headline.{which}_none", lang)
    change = _change(kind, now, then, lang)
    return t(f"briefing.headline.{which}", lang, value=_value(key, then, lang), change=change or "–")


def _dates(f: Filters, lang: str) -> str:
    return t("briefing.dates", lang, start=fmt.day(f.date_from, lang), end=fmt.day(f.date_to, lang))


def _same_week_last_year(f: Filters) -> Filters:
    year, week, _ = f.date_from.isocalendar()
    try:
        monday = date.fromisocalendar(year - 1, week, 1)
    except ValueError:  # week 53 of a year whose year before has 52
        monday = date.fromisocalendar(year - 1, 52, 1)
    return replace(f, date_from=monday, date_to=monday + timedelta(days=6))


def _table(header: list[str], rows: list[list[Any]], right: list[int], widths: list[float],
           marks: tuple[int, list[str]] | None = None) -> dict[str, Any]:
    """A table for the template: header cells, rows of text, which columns align right, the column widths (shares
    of the line, 0 = as wide as its content), and optionally a column whose cells get a coloured dot (one colour per
    row): the index status, in the colours of the dashboard's index chart."""
    return {"header": header, "rows": [[str(c) for c in row] for row in rows], "right": right, "widths": widths,
            "mark_col": marks[0] if marks else -1, "marks": marks[1] if marks else []}


def _status_colour(value: float | None) -> str:
    return STATUS_COLOURS.get(metrics.index_status(value) or "", OTHER_COLOUR)


def _status(value: float | None, lang: str) -> str:
    return fmt.status_text(value, lang)


def _indicator(indicator: str, lang: str) -> str:
    try:
        return t(f"tourism.indicator.{indicator}", lang)
    except KeyError:
        return indicator


def _unit(unit: str, lang: str) -> str:
    try:
        return t(f"tourism.unit_short.{unit}", lang)
    except KeyError:
        return unit


# --- the content ----------------------------------------------------------------------------------------------------
def gather(r: Reader, req: Request) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The briefing's content (texts, formatted figures, tables) and its charts as Vega-Lite specs, by name."""
    lang = normalise_lang(req.lang)
    f = req.filters()
    city = city_settings()
    zone = clock.label(city)
    first, last = queries.data_bounds(r)
    kec_names = queries.kecamatan_names(r)
    svc_names = queries.service_names(r, lang)
    specs: dict[str, dict[str, Any]] = {}

    now, before = metrics.summary_and_previous(r, f)
    ly_f = _same_week_last_year(f)
    ly_known = first is not None and ly_f.date_to >= first
    ly = metrics.summary(r, ly_f) if ly_known else {}
    empty = now["received"] == 0 and now["completed"] == 0 and now["open_at_end"] == 0

    loads = queries.last_loads(r)
    last_load = loads["loaded_at"].max() if len(loads) else None
    filters = [
        [t("filters.kecamatan", lang), ", ".join(kec_names.get(c, c) for c in f.kecamatan)
         if f.kecamatan else t("filters.all_kecamatan", lang)],
        [t("filters.service", lang), ", ".join(svc_names.get(c, c) for c in f.services)
         if f.services else t("filters.all_services", lang)],
    ]
    sections = ["headline", "index", "movers", "overdue", "follow_up", "trend", "tourism", "smartcity",
                "definitions"]
    content: dict[str, Any] = {
        "lang": lang,
        "sample": queries.has_sample_data(r),
        "labels": {
            "title": t("briefing.title", lang),
            "sample": t("briefing.sample", lang),
            "page_of": t("briefing.page_of", lang),
            "at_a_glance": t("briefing.at_a_glance", lang),
            "contents": t("briefing.contents", lang),
            **{f"section_{s}": t(f"briefing.section.{s}", lang) for s in sections},
        },
        "cover": {
            "city": city.name,
            "title": t("briefing.title", lang),
            "week": t("briefing.week", lang, week=week_label(f.date_from)),
            "week_code": week_label(f.date_from),
            "dates": _dates(f, lang),
            "facts": [
                [t("briefing.as_of", lang), fmt.day(last, lang) if last else "–"],
                [t("briefing.last_load", lang),
                 f"{fmt.timestamp(pd.Timestamp(last_load).to_pydatetime(), lang)} {zone}" if last_load is not None
                 else "–"],
                *filters,
                [t("briefing.timezone", lang), t("briefing.timezone_text", lang)],
                [t("briefing.generated", lang), f"{fmt.timestamp(clock.now_local(city), lang)} {zone}"],
            ],
            "partial": t("briefing.partial", lang, day=fmt.day(last, lang)) if last and last < f.date_to else None,
            "sample_note": t("briefing.sample_note", lang),
            "contents": [t(f"briefing.section.{s}", lang) for s in sections],
        },
        "empty": t("briefing.empty", lang, week=week_label(f.date_from), start=fmt.day(f.date_from, lang),
                   end=fmt.day(f.date_to, lang)) if empty else None,
    }
    content["definitions"] = _definitions(r, lang)
    content["satisfaction"] = _satisfaction(r, f.date_to, lang)
    if empty:
        return content, specs

    # 2. headline KPIs against the previous week and the same week last year
    index_now = metrics.service_index(r, f)
    index_before = metrics.service_index(r, f.previous())["city"]
    index_ly = metrics.service_index(r, ly_f)["city"] if ly_known else None
    rows, sentences = [], []
    measures = [*HEADLINE, ("index", "index")]
    values = {**{k: (now[k], before[k], ly.get(k)) for k, _ in HEADLINE},
              "index": (index_now["city"], index_before, index_ly)}
    for key, kind in measures:
        label = t("briefing.headline.index", lang) if key == "index" else t(f"overview.kpi.{key}", lang)
        v_now, v_before, v_ly = values[key]
        rows.append([label, _value(key, v_now, lang), _value(key, v_before, lang),
                     _value(key, v_ly, lang) if ly_known else "–"])
        sentences.append({"label": label, "text": t(
            "briefing.headline.sentence", lang, value=_value(key, v_now, lang),
            prev_text=_comparison("prev", key, kind, v_now, v_before, lang),
            ly_text=_comparison("ly", key, kind, v_now, v_ly, lang, known=ly_known))})
    prev = f.previous()
    content["headline"] = {
        "explain": t("briefing.headline.explain", lang, prev_start=fmt.day(prev.date_from, lang),
                     prev_end=fmt.day(prev.date_to, lang), ly_week=week_label(ly_f.date_from),
                     ly_start=fmt.day(ly_f.date_from, lang), ly_end=fmt.day(ly_f.date_to, lang)),
        "sentences": sentences,
        "table": _table([t("briefing.col.measure", lang), t("briefing.col.this_week", lang),
                         t("briefing.col.prev_week", lang), t("briefing.col.last_year", lang)],
                        rows, [1, 2, 3], [2, 1, 1, 1]),
    }

    # 3. the service index by kecamatan
    per_kec = metrics.by_kecamatan(r, f)
    by_kec = index_now["by_kecamatan"].merge(per_kec, on="kecamatan_code", how="left")
    scored = by_kec["index"].notna().any()
    if scored:
        specs["index"] = charts.index_chart.spec(index_now["by_kecamatan"], lang)
    ordered = by_kec.rename(columns={"index": "score"}).sort_values(["score", "kecamatan"], ascending=[False, True],
                                                                    na_position="last")
    content["index"] = {
        "city": t("briefing.index.city", lang, scope=t("briefing.index.scope", lang),
                  value=_value("index", index_now["city"], lang), status=_status(index_now["city"], lang),
                  prev=_value("index", index_before, lang)),
        "explain": t("overview.index_explain", lang, target=fmt.percent(index_now["target"], lang, 0),
                     green=fmt.number(metrics.INDEX_GREEN, lang, 1), amber=fmt.number(metrics.INDEX_AMBER, lang, 1)),
        "none": None if scored else t("briefing.index.none", lang),
        "table": _table(
            [t("briefing.col.kecamatan", lang), t("briefing.col.index", lang), t("briefing.col.status", lang),
             t("briefing.col.received", lang), t("briefing.col.completed", lang), t("briefing.col.on_time", lang)],
            [[row.kecamatan, _value("index", row.score, lang), _status(row.score, lang),
              fmt.number(row.received, lang), fmt.number(row.completed, lang), fmt.percent(row.on_time_rate, lang)]
             for row in ordered.itertuples()],
            [1, 3, 4, 5], [1.8, 0.8, 2.4, 0.9, 0.9, 1], marks=(2, [_status_colour(v) for v in ordered["score"]])),
    }

    # 4. biggest movers
    movers = queries.biggest_movers(r, f, lang)
    least = fmt.number(queries.MOVERS_MIN_COMPLETED, lang)
    content["movers"] = {
        "explain": t("overview.movers_explain", lang, n=least),
        "none": t("briefing.movers_none", lang, n=least) if movers.empty else None,
        "groups": [{"title": t(f"overview.movers_{d}", lang),
                    "items": [fmt.mover_sentence(m, lang) for m in movers[movers["direction"] == d].itertuples()]
                    or [t(f"overview.movers_none_{d}", lang)]}
                   for d in ("down", "up")],
    }

    # 5. the overdue backlog by service and kecamatan
    pairs = metrics.overdue_pairs(r, f)
    if now["open_at_end"]:
        specs["age"] = charts.age_chart.spec(queries.backlog_age(r, f), lang)
    per_service = (pairs.groupby("service_code", as_index=False)
                   .agg(overdue=("overdue", "sum"), pairs=("kecamatan_code", "count"))
                   .sort_values(["overdue", "service_code"], ascending=[False, True]))
    backlog_kec = per_kec[(per_kec["open_at_end"] > 0)].sort_values(["overdue_at_end", "open_at_end", "name"],
                                                                    ascending=[False, False, True])
    content["overdue"] = {
        "summary": t("briefing.overdue.summary", lang, open=fmt.number(now["open_at_end"], lang),
                     overdue=fmt.number(now["overdue_at_end"], lang),
                     share=fmt.percent(now["overdue_at_end"] / now["open_at_end"] if now["open_at_end"] else None,
                                       lang),
                     prev_overdue=fmt.number(before["overdue_at_end"], lang)),
        "none": None if now["overdue_at_end"] else t("briefing.overdue.none", lang),
        "age_title": t("briefing.overdue.age_title", lang),
        "by_service_title": t("briefing.overdue.by_service", lang),
        "by_kecamatan_title": t("briefing.overdue.by_kecamatan", lang),
        "by_service": _table(
            [t("briefing.col.service", lang), t("briefing.col.overdue", lang), t("briefing.col.pairs", lang)],
            [[svc_names.get(row.service_code, row.service_code), fmt.number(row.overdue, lang),
              fmt.number(row.pairs, lang)] for row in per_service.itertuples()],
            [1, 2], [2.6, 1.1, 0.8]),
        "by_kecamatan": _table(
            [t("briefing.col.kecamatan", lang), t("briefing.col.open", lang), t("briefing.col.overdue", lang)],
            [[row.name, fmt.number(row.open_at_end, lang), fmt.number(row.overdue_at_end, lang)]
             for row in backlog_kec.itertuples()],
            [1, 2], [2.2, 1, 1.2]),
    }

    # 6. follow up: the oldest overdue pairs, with room for notes
    end = pd.Timestamp(f.date_to + timedelta(days=1))
    oldest = pairs.sort_values(["oldest_due_at", "overdue"], ascending=[True, False]).head(FOLLOW_UP_ROWS)
    content["follow_up"] = {
        "explain": t("briefing.follow_up.explain", lang),
        "none": t("briefing.overdue.none", lang) if pairs.empty else None,
        "more": t("briefing.follow_up.more", lang, shown=fmt.number(len(oldest), lang),
                  total=fmt.number(len(pairs), lang)) if len(pairs) > len(oldest) else None,
        "table": _table(
            [t("briefing.col.no", lang), t("briefing.col.kecamatan", lang), t("briefing.col.service", lang),
             t("briefing.col.overdue", lang), t("briefing.col.oldest_due", lang), t("briefing.col.days_over", lang),
             t("briefing.col.notes", lang)],
            [[i, kec_names.get(row.kecamatan_code, row.kecamatan_code),
              svc_names.get(row.service_code, row.service_code), fmt.number(row.overdue, lang),
              fmt.day(pd.Timestamp(row.oldest_due_at).date(), lang),
              fmt.number(math.ceil((end - pd.Timestamp(row.oldest_due_at)) / pd.Timedelta(days=1)), lang), ""]
             for i, row in enumerate(oldest.itertuples(), 1)],
            [0, 3, 5], [0, 1.5, 2, 0, 0, 0, 2.3]),
    }

    # 7. twelve weeks up to this one
    f12 = replace(f, date_from=f.date_from - timedelta(weeks=TREND_WEEKS - 1))
    volume = queries.volume_series(r, f12, "week", "service", lang)
    times = queries.time_trend(r, f12, "week")
    backlog = queries.backlog_series(r, f12, "week")
    if len(volume):
        specs["volume"] = charts.received_completed_chart.spec(volume, "week", lang)
    if times["median_hours"].notna().any():
        specs["times"] = charts.time_trend_chart.spec(times, "week", lang)
    if len(backlog):
        specs["backlog"] = charts.backlog_chart.spec(backlog, "week", lang)
    content["trend"] = {
        "explain": t("briefing.trend.explain", lang, start=fmt.day(f12.date_from, lang),
                     end=fmt.day(f12.date_to, lang)),
        "volume": t("briefing.trend.volume", lang), "times": t("briefing.trend.times", lang),
        "backlog": t("briefing.trend.backlog", lang),
    }

    # 8. tourism's latest month
    content["tourism"] = _tourism(r, f.date_to, lang)
    # 9. the master plan's pillars
    content["smartcity"] = _smartcity(r, lang)
    return content, specs


def _satisfaction(r: Reader, day: date, lang: str) -> dict[str, str] | None:
    """One line from the satisfaction survey (kpi.skm, as the page Kepuasan masyarakat shows it): the city IKM and
    grade of the latest semester published by `day` (kpi.skm.latest_semester) and the units graded C or D; None
    without survey data by then."""
    semester = skm.latest_semester(r, day) if skm.has_responses(r) else None
    if semester is None:
        return None
    start, end = skm.period_range(semester)
    f = Filters(start, min(end, day))
    city = skm.overall(r, f)
    units = skm.unit_results(r, f, lang)
    poor = units[units["mutu"].isin(skm.POOR_GRADES)].sort_values("ikm")
    poor_text = t("satisfaction.briefing.poor", lang, units=", ".join(
        f"{row.name} ({fmt.number(row.ikm_2dp, lang, 2)}, {row.mutu})" for row in poor.itertuples())) if len(poor) \
        else t("satisfaction.briefing.poor_none", lang)
    return {"title": t("satisfaction.briefing.title", lang),
            "line": t("satisfaction.briefing.line", lang, period=skm.period_text(semester, lang),
                      start=fmt.day(f.date_from, lang), end=fmt.day(f.date_to, lang),
                      ikm=fmt.number(city["ikm"], lang, 2), grade=city["mutu"],
                      words=t(f"satisfaction.grade.{city['mutu']}", lang), units=fmt.number(city["units"], lang),
                      n=fmt.number(city["respondents"], lang), poor=poor_text)}


BEHIND_LISTED = 15  # the programmes behind listed by name (the pillar table counts them all)


def _smartcity(r: Reader, lang: str) -> dict[str, Any]:
    """The six pillars at each programme's latest report (kpi.smartcity, as the Kota Cerdas page shows them) and
    the programmes behind, least progress first; a plain line when no master plan is loaded."""
    if not smartcity.has_programmes(r):
        return {"none": t("briefing.smartcity.none", lang), "explain": t("smartcity.explain", lang)}
    summary = smartcity.pillar_summary(r)
    summary["status"] = summary["status"].fillna("none")  # a pillar without programmes
    rows = [[t(f"smartcity.pillar.{p.pillar}", lang), t(f"smartcity.status.{p.status}", lang),
             fmt.number(p.programmes, lang), fmt.number(p.done, lang), fmt.number(p.on_track, lang),
             fmt.number(p.behind, lang),
             fmt.percent(p.mean_progress, lang, 0) if not _missing(p.mean_progress) else "–"]
            for p in summary.itertuples()]
    latest = smartcity.latest_programmes(r)
    behind = latest[latest["status"] == "behind"].sort_values(["progress", "programme_id"])
    listed = [[p.name, t(f"smartcity.pillar.{p.pillar}", lang), fmt.percent(p.progress, lang, 0),
               fmt.percent(p.expected, lang, 0), fmt.day(pd.Timestamp(p.period).date(), lang)]
              for p in behind.head(BEHIND_LISTED).itertuples()]
    return {
        "none": None,
        "sample": t("smartcity.sample_programmes", lang, city=city_settings().name)
        if queries.has_sample_data(r) else None,
        "pillars": _table([t("smartcity.pillar_label", lang), t("smartcity.col.status", lang),
                           t("briefing.smartcity.programmes", lang), t("smartcity.status.done", lang),
                           t("smartcity.status.on_track", lang), t("smartcity.status.behind", lang),
                           t("briefing.smartcity.mean_progress", lang)],
                          rows, [2, 3, 4, 5, 6], [1.6, 1.2, 1, 0.9, 1, 0.9, 1.1]),
        "behind_title": t("briefing.smartcity.behind", lang, n=fmt.number(len(behind), lang)),
        "behind": _table([t("smartcity.col.name", lang), t("smartcity.pillar_label", lang),
                          t("smartcity.col.progress", lang), t("smartcity.col.expected", lang),
                          t("smartcity.col.period", lang)],
                         listed, [2, 3], [2.6, 1.7, 0.9, 0.9, 1.1]) if listed else None,
        "shown": t("briefing.smartcity.shown", lang, shown=fmt.number(len(listed), lang),
                   total=fmt.number(len(behind), lang)) if len(behind) > len(listed) else None,
        "explain": t("smartcity.explain", lang),
    }


def _tourism(r: Reader, day: date, lang: str) -> dict[str, Any]:
    """Each tourism indicator's latest month up to `day`, against the same month of the baseline year."""
    area = city_settings().tourism_area
    rows = []
    for ind in queries.tourism_indicators(r).itertuples():
        series = queries.tourism_recovery(r, ind.indicator, area, date(day.year - 2, 1, 1), day)
        series = series.dropna(subset=["value"])
        if series.empty:
            continue
        row = series.iloc[-1]
        digits, unit = fmt.unit_digits(row["unit"]), _unit(row["unit"], lang)
        rows.append([_indicator(ind.indicator, lang), fmt.month(pd.Timestamp(row["period"]).date(), lang),
                     f"{fmt.number(row['value'], lang, digits)} {unit}",
                     f"{fmt.number(row['value_base'], lang, digits)} {unit}" if not _missing(row["value_base"])
                     else "–",
                     fmt.number(row["recovery"], lang, 1)])
    return {
        "none": None if rows else t("briefing.tourism.none", lang),
        "explain": t("tourism.explain", lang, area=area),
        "table": _table([t("briefing.col.indicator", lang), t("briefing.col.month", lang),
                         t("briefing.col.value", lang), t("briefing.col.baseline", lang),
                         t("briefing.col.recovery", lang)],
                        rows, [2, 3, 4], [2.4, 1.2, 1.3, 1.3, 1]),
    }


def _definitions(r: Reader, lang: str) -> dict[str, Any]:
    """The dashboard's own explanations of each figure, and the service standards as the data page lists them."""
    target = metrics.target_on_time_rate(r)
    terms = [[t(f"overview.kpi.{key}", lang), t(f"overview.help.{key}", lang)] for key, _ in HEADLINE]
    terms += [
        [t("overview.index_title", lang),
         t("overview.index_explain", lang, target=fmt.percent(target, lang, 0),
           green=fmt.number(metrics.INDEX_GREEN, lang, 1), amber=fmt.number(metrics.INDEX_AMBER, lang, 1))],
        [t("briefing.def.movers", lang),
         t("overview.movers_explain", lang, n=fmt.number(queries.MOVERS_MIN_COMPLETED, lang))],
        [t("briefing.def.follow_up", lang), t("briefing.def.follow_up_text", lang)],
        [t("chart.axis.recovery", lang), t("tourism.explain", lang, area=city_settings().tourism_area)],
    ]
    standards = queries.service_standards(r, lang)
    return {
        "terms": terms,
        "standards_title": t("briefing.def.standards", lang),
        "standards_text": t("data.standards_text", lang),
        "standards": _table([t("briefing.col.service", lang), t("briefing.col.standard", lang),
                             t("briefing.col.source", lang)],
                            [[row.service, fmt.standard(row.sla_value, row.sla_unit, lang), row.sla_source or "–"]
                             for row in standards.itertuples()], [], [2, 1.2, 2.5]),
    }

