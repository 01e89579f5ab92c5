"""Read-side layer: what each kiosk view shows — KPIs from kpi.metrics for the last 30 days vs the 30 before, plus
one small aggregated series per view, with small counts suppressed before anything leaves this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from base.i18n import t
from base.settings import city_settings
from kpi import fmt, metrics, queries, skm, smartcity
from kpi.db import Reader
from kpi.filters import Filters
from kpi.kiosk import Trend, count_text, trend, withheld

PERIOD_DAYS = 30
SERIES_DAYS = 91        # 13 weeks of daily history under the overview numbers
TOURISM_MONTHS = 36
TOURISM_INDICATORS = ("wisman_visits", "tpk_star_hotels_pct", "wisnus_trips")


@dataclass(frozen=True)
class BigNumber:
    label: str
    value: str
    trend: Trend | None = None


@dataclass(frozen=True)
class View:
    name: str
    title: str
    subtitle: str
    numbers: tuple[BigNumber, ...]
    frame: pd.DataFrame = field(compare=False)


def period(latest: date) -> Filters:
    """The last 30 days up to the newest data (previous(): the 30 days before)."""
    return Filters(latest - timedelta(days=PERIOD_DAYS - 1), latest)


def _period_text(f: Filters, lang: str) -> str:
    return t("kiosk.period", lang, start=fmt.day(f.date_from, lang), end=fmt.day(f.date_to, lang))


def daily_counts(r: Reader, date_from: date, date_to: date) -> pd.DataFrame:
    """City-wide requests received and completed per day (every day present, zero-filled)."""
    return r.df(
        """
        SELECT d.day::DATE AS day,
               coalesce(sum(m.received), 0)::BIGINT AS received,
               coalesce(sum(m.completed), 0)::BIGINT AS completed
        FROM range($date_from::TIMESTAMP, $date_to::TIMESTAMP + INTERVAL 1 DAY, INTERVAL 1 DAY) AS d(day)
        LEFT JOIN mart_requests_daily AS m ON m.day = d.day::DATE
        GROUP BY ALL ORDER BY day
        """,
        {"date_from": date_from, "date_to": date_to},
    )


def tourism_recovery(r: Reader, area: str, months: int = TOURISM_MONTHS) -> pd.DataFrame:
    """Recovery against 2019 (kpi.queries.tourism_recovery) per indicator for its last `months` months."""
    available = queries.tourism_indicators(r).set_index("indicator")["last_month"]
    frames = []
    for indicator in TOURISM_INDICATORS:
        if indicator not in available.index:
            continue
        last = pd.Timestamp(available[indicator])
        first = (last - pd.DateOffset(months=months - 1)).date()
        frame = queries.tourism_recovery(r, indicator, area, first, last.date())
        frames.append(frame.assign(indicator=indicator)[["indicator", "period", "value", "value_base", "recovery"]])
    if not frames:
        return pd.DataFrame(columns=["indicator", "period", "value", "value_base", "recovery"])
    return pd.concat(frames, ignore_index=True).dropna(subset=["recovery"])


def _mask(frame: pd.DataFrame, columns: list[str], min_count: int) -> pd.DataFrame:
    """Counts in (0, min_count) become missing: charts leave a gap instead of drawing a small number."""
    out = frame.copy()
    for col in columns:
        out[col] = out[col].astype("float64").where(~out[col].between(1, min_count - 1))
    return out


def overview(r: Reader, f: Filters, lang: str, min_count: int) -> View:
    now, before = metrics.summary_and_previous(r, f)
    idx_now, idx_before = metrics.service_index(r, f)["city"], metrics.service_index(r, f.previous())["city"]
    rate_now = None if withheld(now["completed"], min_count) else now["on_time_rate"]
    rate_before = None if withheld(before["completed"], min_count) else before["on_time_rate"]
    numbers = (
        BigNumber(t("kiosk.received", lang), count_text(now["received"], lang, min_count),
                  trend(now["received"], before["received"], lang)),
        BigNumber(t("kiosk.completed", lang), count_text(now["completed"], lang, min_count),
                  trend(now["completed"], before["completed"], lang)),
        BigNumber(t("kiosk.on_time_rate", lang), fmt.percent(rate_now, lang, 0),
                  trend(rate_now, rate_before, lang, kind="points")),
        BigNumber(t("kiosk.service_index", lang), fmt.number(idx_now, lang, 2),
                  trend(idx_now, idx_before, lang)),
    )
    series = daily_counts(r, f.date_to - timedelta(days=SERIES_DAYS - 1), f.date_to)
    return View("overview", t("kiosk.view.overview", lang), _period_text(f, lang), numbers,
                _mask(series, ["received", "completed"], min_count))


def services(r: Reader, f: Filters, lang: str, min_count: int) -> View:
    now, before = metrics.summary_and_previous(r, f)
    ok_now, ok_before = not withheld(now["completed"], min_count), not withheld(before["completed"], min_count)
    index = metrics.service_index(r, f)
    completed = metrics.by_service_kecamatan(r, f).groupby("service_code", as_index=False)["completed"].sum()
    names = r.df("SELECT service_code, name_id, name_en FROM services")
    frame = (index["by_service"].merge(completed, on="service_code").merge(names, on="service_code"))
    frame = frame[frame["completed"] >= min_count]   # a score resting on fewer requests is not shown
    frame = pd.DataFrame({"service": frame["name_en" if lang == "en" else "name_id"], "score": frame["index"]})
    numbers = (
        BigNumber(t("kiosk.median_hours", lang), fmt.hours(now["median_hours"] if ok_now else None, lang),
                  trend(now["median_hours"] if ok_now else None, before["median_hours"] if ok_before else None,
                        lang, higher_is_better=False)),
        BigNumber(t("kiosk.p90_hours", lang), fmt.hours(now["p90_hours"] if ok_now else None, lang),
                  trend(now["p90_hours"] if ok_now else None, before["p90_hours"] if ok_before else None,
                        lang, higher_is_better=False)),
        BigNumber(t("kiosk.open_at_end", lang), count_text(now["open_at_end"], lang, min_count),
                  trend(now["open_at_end"], before["open_at_end"], lang, higher_is_better=False)),
        BigNumber(t("kiosk.overdue_at_end", lang), count_text(now["overdue_at_end"], lang, min_count),
                  trend(now["overdue_at_end"], before["overdue_at_end"], lang, higher_is_better=False)),
    )
    return View("services", t("kiosk.view.services", lang), _period_text(f, lang), numbers,
                frame.sort_values("score", ascending=False).reset_index(drop=True))


def kecamatan_map(r: Reader, f: Filters, lang: str, min_count: int) -> View:
    by_kec = metrics.by_kecamatan(r, f)
    index = metrics.service_index(r, f)
    frame = by_kec.merge(index["by_kecamatan"][["kecamatan_code", "index"]], on="kecamatan_code", how="left")
    small = frame["received"] < min_count
    frame.loc[small, ["received", "received_per_1000", "index"]] = None
    frame = frame[["kecamatan_code", "name", "lat", "lon", "received", "received_per_1000", "index"]]
    on_target = int((frame["index"] >= metrics.INDEX_GREEN).sum())
    below = int((frame["index"] < metrics.INDEX_AMBER).sum())
    summary = metrics.summary(r, f)
    numbers = (
        BigNumber(t("kiosk.kecamatan_on_target", lang), t("kiosk.of_n", lang, n=fmt.number(on_target, lang),
                                                             total=fmt.number(len(frame), lang))),
        BigNumber(t("kiosk.kecamatan_below", lang), fmt.number(below, lang)),
        BigNumber(t("kiosk.received", lang), count_text(summary["received"], lang, min_count)),
    )
    return View("map", t("kiosk.view.map", lang), _period_text(f, lang), numbers, frame)


def tourism(r: Reader, lang: str) -> View:
    frame = tourism_recovery(r, city_settings().tourism_area)
    numbers = []
    for indicator in TOURISM_INDICATORS:
        rows = frame[frame["indicator"] == indicator].sort_values("period")
        if rows.empty:
            continue
        last = rows.iloc[-1]
        prev = rows.iloc[-2]["recovery"] if len(rows) > 1 else None
        numbers.append(BigNumber(t(f"kiosk.tourism.{indicator}", lang),
                                 fmt.percent(last["recovery"] / 100, lang, 0),
                                 trend(last["recovery"] / 100, prev / 100 if prev is not None else None, lang,
                                       kind="points")))
    latest = frame["period"].max() if len(frame) else None
    subtitle = t("kiosk.tourism.subtitle", lang, month=fmt.month(latest, lang)) if latest is not None else ""
    order = {name: i for i, name in enumerate(TOURISM_INDICATORS)}   # legend in the same order as the numbers
    frame = (frame.assign(label=frame["indicator"].map(lambda i: t(f"kiosk.tourism.{i}", lang)),
                          order=frame["indicator"].map(order))
             .sort_values(["order", "period"]).reset_index(drop=True))
    return View("tourism", t("kiosk.view.tourism", lang), subtitle, tuple(numbers),
                frame[["indicator", "label", "period", "recovery"]])


def pillars(r: Reader, lang: str) -> View | None:
    """The master plan by pillar (kpi.smartcity, each programme at its latest report): programmes done, on track and
    behind, their mean progress, and per pillar the count in each status. Aggregates only; None without a plan."""
    if not smartcity.has_programmes(r):
        return None
    summary = smartcity.pillar_summary(r)
    latest = smartcity.latest_programmes(r)
    numbers = tuple(BigNumber(t(f"kiosk.pillars.{s}", lang), fmt.number(int(summary[s].sum()), lang))
                    for s in ("on_track", "behind", "done"))
    numbers += (BigNumber(t("kiosk.pillars.progress", lang), fmt.percent(float(latest["progress"].mean()), lang, 0)),)
    frame = summary.melt(id_vars="pillar", value_vars=list(smartcity.STATUSES), var_name="status", value_name="n")
    frame = frame.assign(pillar_label=frame["pillar"].map(lambda p: t(f"smartcity.pillar.{p}", lang)),
                         status_label=frame["status"].map(lambda s: fmt.programme_status_text(s, lang)))
    return View("pillars", t("kiosk.view.pillars", lang), t("kiosk.pillars.subtitle", lang), numbers,
                frame[["pillar", "pillar_label", "status", "status_label", "n"]])


def satisfaction(r: Reader, lang: str, min_count: int) -> View | None:
    """The satisfaction survey's latest published semester (kpi.skm.latest_semester): the city IKM and grade
    (kpi.skm.overall), how many units are graded A or B and C or D, and each unit's IKM and grade, highest first; a
    unit with fewer than `min_count` respondents is listed without its figures (and not counted). Aggregates only;
    None without survey data."""
    semester = skm.latest_semester(r)
    if semester is None:
        return None
    f = Filters(*skm.period_range(semester))
    units = skm.unit_results(r, f, lang)
    shown = units[units["respondents"] >= min_count]
    city = skm.overall(r, f)
    grade = city["mutu"]
    good = int(shown["mutu"].isin(("A", "B")).sum())
    numbers = (
        BigNumber(t("satisfaction.kiosk.city", lang), fmt.number(city["ikm"], lang, 2)),
        BigNumber(t("satisfaction.kiosk.grade", lang),
                  f"{grade} · {t(f'satisfaction.grade.{grade}', lang)}" if grade else "–"),
        BigNumber(t("satisfaction.kiosk.graded", lang), fmt.number(good, lang)),
        BigNumber(t("satisfaction.kiosk.poor", lang), fmt.number(len(shown) - good, lang)),
    )
    withheld = units["respondents"] < min_count
    frame = pd.DataFrame({
        "unit_code": units["unit_code"], "name": units["unit_code"].map(skm.unit_short_names(r)),
        "ikm": units["ikm_2dp"].where(~withheld), "grade": units["mutu"].where(~withheld),
        "words": [None if w else t(f"satisfaction.grade.{g}", lang) for g, w in zip(units["mutu"], withheld,
                                                                                    strict=True)],
    }).sort_values(["ikm", "name"], ascending=[False, True], na_position="last").reset_index(drop=True)
    subtitle = t("satisfaction.kiosk.subtitle", lang, period=skm.period_text(semester, lang),
                 n=fmt.number(int(units["respondents"].sum()), lang))
    return View("satisfaction", t("satisfaction.kiosk.title", lang), subtitle, numbers, frame)


def view(r: Reader, name: str, lang: str, min_count: int) -> View | None:
    """The named view for the last 30 days up to the newest data; None when there are no requests yet (the pillar
    view: no master plan; the satisfaction view: no survey, and it shows the latest published semester)."""
    if name == "tourism":
        return tourism(r, lang)
    if name == "pillars":
        return pillars(r, lang)
    if name == "satisfaction":
        return satisfaction(r, lang, min_count)
    _, latest = queries.data_bounds(r)
    if latest is None:
        return None
    f = period(latest)
    builders = {"overview": overview, "services": services, "map": kecamatan_map}
    return builders[name](r, f, lang, min_count)
