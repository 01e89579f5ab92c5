"""Read-side layer: the SKM report of one unit and one survey period as a printable A4 PDF, through the briefing's
engine — every figure from kpi.skm (and the scope's on-time rate beside it), the charts the dashboard's own builders
drawn to SVG offline (render.py), the layout skm_report.typ fed with JSON. The sections are the ones units publish
(Permenpan RB 14/2017): basis, method, results, analysis, follow-up, closing.

Entry points: `python -m etl skm-report` and the button on the page Kepuasan masyarakat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from base import clock
from base.i18n import normalise_lang, t
from base.settings import city_settings
from kpi import charts, fmt, queries, skm
from kpi.briefing.render import compile_pdf, page_count, svg
from kpi.db import Reader
from kpi.filters import Filters

TEMPLATE = Path(__file__).resolve().parent / "skm_report.typ"
HEIGHTS = {"elements": 330, "trend": 230}
SECTIONS = ("basis", "method", "results", "analysis", "follow_up", "closing")


@dataclass(frozen=True)
class ReportRequest:
    """One report: a unit, a survey period ('2026-S1', '2026-Q2', '2026'), its language, and the services its
    respondents must name (empty = all)."""

    unit: str
    period: str
    lang: str = "id"
    services: tuple[str, ...] = ()

    def filters(self) -> Filters:
        start, end = skm.period_range(self.period)
        return Filters(start, end, services=tuple(self.services))


@dataclass(frozen=True)
class Report:
    """A rendered report: the PDF's bytes and how many pages it has."""

    request: ReportRequest
    pdf: bytes
    pages: int


def check(r: Reader, req: ReportRequest) -> None:
    """SkmError, saying what would work, for a database of another city pack, no survey data, an unknown unit or
    service, a bad period, or a unit without respondents in it."""
    lang = normalise_lang(req.lang)
    built, city = queries.built_for(r), city_settings().folder
    if built and built != city:
        raise skm.SkmError("other_city", built=built, city=city)
    if not skm.has_responses(r):
        raise skm.SkmError("none_loaded")
    skm.check(r, req.unit, req.services, lang)
    f = req.filters()
    if not skm.scores(r, f, req.unit):
        held = skm.report_periods(r, req.unit)
        raise skm.SkmError("no_responses", unit=req.unit, period=skm.period_name(req.period),
                           start=fmt.day(f.date_from, lang), end=fmt.day(f.date_to, lang),
                           periods=", ".join(held) or "–")


def _table(header: list[str], rows: list[list[Any]], right: list[int], widths: list[float],
           marks: list[str] | None = None, mark_col: int = -1) -> dict[str, Any]:
    """A table as the template draws it (as the briefing's): header, rows of text, right-aligned columns, widths
    (shares of the line, 0 = as wide as its content), and a column whose cells get a coloured dot per row."""
    return {"header": header, "rows": [[str(c) for c in row] for row in rows], "right": right, "widths": widths,
            "mark_col": mark_col if marks else -1, "marks": marks or []}


def _grade_words(grade: str | None, lang: str) -> str:
    return t(f"satisfaction.grade.{grade}", lang) if grade else t("satisfaction.grade.none", lang)


def _profile_tables(frame: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    out = []
    for field in skm.PROFILE_FIELDS:
        part = frame[frame["field"] == field]
        if part.empty:
            continue
        rows = [[charts.profile_category(field, row.category, lang), fmt.number(row.respondents, lang),
                 fmt.percent(row.share, lang, 1)] for row in part.itertuples()]
        out.append({"title": t(f"satisfaction.profile.{field}", lang),
                    "table": _table([t("satisfaction.chart.category", lang), t("satisfaction.report.col.count", lang),
                                     t("satisfaction.report.col.share", lang)], rows, [1, 2], [2, 1, 1])})
    return out


def gather(r: Reader, req: ReportRequest) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The report's content (texts, formatted figures, tables) and its charts as Vega-Lite specs, by name."""
    lang = normalise_lang(req.lang)
    period = skm.period_name(req.period)
    f = req.filters()
    city = city_settings()
    zone = clock.label(city)
    unit_name = skm.unit_names(r, lang)[req.unit]
    period_words = skm.period_text(period, lang)
    row = skm.unit_results(r, f, lang, req.unit).iloc[0]
    _, last_response = skm.response_bounds(r)
    _, last_request = queries.data_bounds(r)
    data_until = max(d for d in (last_response, last_request) if d is not None)
    services = queries.service_names(r, lang)
    specs: dict[str, dict[str, Any]] = {}

    needed = None if pd.isna(row["sample_needed"]) else int(row["sample_needed"])
    if needed is None:
        adequacy = t("satisfaction.report.no_scope", lang)
    elif row["respondents"] >= needed:
        adequacy = t("satisfaction.sample_met", lang)
    else:
        adequacy = t("satisfaction.sample_short", lang, n=fmt.number(needed - int(row["respondents"]), lang))
    grade = row["mutu"]
    ikm_text = fmt.number(row["ikm_2dp"], lang, 2)

    elements = skm.elements(r, f, req.unit)
    specs["elements"] = charts.satisfaction_elements_chart.spec(elements, lang)
    trend = skm.semester_trend(r, req.services, req.unit)
    trend = trend[trend["date_from"] <= pd.Timestamp(f.date_to).date()] if len(trend) else trend
    if trend["scope"].eq("unit").sum() > 1:
        specs["trend"] = charts.satisfaction_trend_chart.spec(trend, unit_name, lang)
    before = skm.period_range(skm.semester_of(f.date_from - timedelta(days=1)))
    previous = skm.unit_results(r, Filters(*before, services=f.services), lang, req.unit)
    lowest = skm.lowest_elements(r, f, req.unit)
    poor = elements[elements["mutu"].isin(skm.POOR_GRADES)]
    unplanned = lowest[lowest["unplanned"]]
    planned = skm.actions(r, f, req.unit)
    shares = skm.action_shares(planned)

    def element_name(unsur: str) -> str:
        return skm.element_name(unsur, lang)

    content: dict[str, Any] = {
        "lang": lang,
        "sample": skm.has_sample(r),
        "labels": {"title": t("satisfaction.report.title", lang), "sample": t("satisfaction.report.sample", lang),
                   "page_of": t("satisfaction.report.page_of", lang),
                   "contents": t("satisfaction.report.contents", lang),
                   **{f"section_{s}": t(f"satisfaction.report.section.{s}", lang) for s in SECTIONS}},
        "cover": {
            "city": city.name, "title": t("satisfaction.report.title", lang), "unit": unit_name,
            "period": period_words, "period_code": period,
            "dates": f"{fmt.day(f.date_from, lang)} – {fmt.day(f.date_to, lang)}",
            "facts": [
                [t("satisfaction.report.fact.unit", lang), f"{unit_name} ({req.unit})"],
                [t("satisfaction.report.fact.period", lang), f"{period_words} ({period})"],
                [t("satisfaction.report.fact.service", lang),
                 ", ".join(services.get(s, s) for s in req.services) if req.services
                 else t("satisfaction.all_services", lang)],
                [t("satisfaction.report.fact.data_until", lang), fmt.day(data_until, lang)],
                [t("satisfaction.report.fact.timezone", lang), t("satisfaction.report.timezone_text", lang)],
                [t("satisfaction.report.fact.generated", lang), f"{fmt.timestamp(clock.now_local(city), lang)} {zone}"],
            ],
            "partial": t("satisfaction.report.partial", lang, day=fmt.day(data_until, lang))
            if data_until < f.date_to else None,
            "sample_note": t("satisfaction.report.sample_note", lang),
            "headline": t("satisfaction.report.result_line", lang, unit=unit_name, period=period_words, ikm=ikm_text,
                          grade=grade, words=_grade_words(grade, lang), n=fmt.number(row["respondents"], lang)),
            "grade": grade, "grade_colour": charts.GRADE_COLOURS.get(grade, "#8C8C8C"),
        },
        "basis": {"intro": t("satisfaction.report.basis_intro", lang),
                  "items": [t(f"satisfaction.report.basis_{i}", lang) for i in (1, 2, 3)],
                  "purpose": t("satisfaction.report.basis_purpose", lang, unit=unit_name)},
        "method": {
            "text": t("satisfaction.report.method_text", lang),
            "population_text": t("satisfaction.report.population_text", lang),
            "facts": [[t("satisfaction.report.fact.period", lang),
                       f"{period_words}: {fmt.day(f.date_from, lang)} – {fmt.day(f.date_to, lang)}"],
                      [t("satisfaction.report.fact.population", lang), fmt.number(row["population"], lang)],
                      [t("satisfaction.report.fact.needed", lang),
                       fmt.number(needed, lang) if needed is not None else t("satisfaction.report.no_scope", lang)],
                      [t("satisfaction.report.fact.reached", lang), fmt.number(row["respondents"], lang)],
                      [t("satisfaction.report.fact.sample_state", lang), adequacy]],
            "grades_title": t("satisfaction.report.grade_table", lang),
            "grades": _grade_table(lang),
        },
        "results": {
            "line": t("satisfaction.report.result_line", lang, unit=unit_name, period=period_words, ikm=ikm_text,
                      grade=grade, words=_grade_words(grade, lang), n=fmt.number(row["respondents"], lang)),
            "on_time_line": t("satisfaction.report.on_time_line", lang, on_time=fmt.percent(row["on_time_rate"], lang),
                              completed=fmt.number(row["completed"], lang)),
            "previous_line": t("satisfaction.report.previous_line", lang,
                               period=skm.period_text(skm.semester_of(before[0]), lang),
                               ikm=fmt.number(previous.iloc[0]["ikm_2dp"], lang, 2), grade=previous.iloc[0]["mutu"])
            if len(previous) else None,
            "elements_title": t("satisfaction.report.elements_title", lang),
            "elements": _table(
                [t("satisfaction.col.unsur", lang), t("satisfaction.col.nrr", lang), t("satisfaction.col.index", lang),
                 t("satisfaction.col.mutu", lang)],
                [[charts.element_label(e.unsur, lang), fmt.number(e.nrr, lang, 3), fmt.number(e.index, lang, 2),
                  f"{e.mutu} · {_grade_words(e.mutu, lang)}"] for e in elements.sort_values("position").itertuples()],
                [1, 2], [3.2, 0.8, 1, 1.3],
                marks=[charts.GRADE_COLOURS[g] for g in elements.sort_values("position")["mutu"]], mark_col=3),
            "trend_title": t("satisfaction.report.trend_title", lang),
            "profile_title": t("satisfaction.report.profile_title", lang),
            "profile_explain": t("satisfaction.profile_explain", lang),
            "profile": _profile_tables(skm.profile(r, f, req.unit), lang),
        },
        "analysis": {
            "intro": t("satisfaction.report.analysis_text", lang),
            "items": [t("satisfaction.report.lowest_item", lang, name=element_name(e.unsur), n=e.unsur[1:],
                        nrr=fmt.number(e.nrr, lang, 3), index=fmt.number(e.index, lang, 2), grade=e.mutu)
                      for e in elements.head(skm.LOWEST).itertuples()],
            "poor": t("satisfaction.report.poor_list", lang, names=", ".join(
                f"{element_name(u)} ({g})" for u, g in zip(poor["unsur"], poor["mutu"], strict=True)))
            if len(poor) else t("satisfaction.report.poor_none", lang),
            "unplanned": t("satisfaction.report.unplanned_list", lang,
                           names=", ".join(element_name(u) for u in unplanned["unsur"])) if len(unplanned) else None,
        },
        "follow_up": {
            "text": t("satisfaction.report.follow_up_text", lang, period=period_words),
            "shares": t("satisfaction.followup_shares", lang, n=fmt.number(shares["actions"], lang),
                        done=fmt.number(shares["done"], lang), share_done=fmt.percent(shares["share_done"], lang, 0),
                        on_time=fmt.number(shares["done_on_time"], lang),
                        share_on_time=fmt.percent(shares["share_done_on_time"], lang, 0))
            if shares["actions"] else None,
            "none": t("satisfaction.report.followup_none", lang) if not shares["actions"] else None,
            "table": _table(
                [t(f"satisfaction.col.{c}", lang) for c in ("unsur", "action", "owner", "due_date", "status",
                                                            "done_date")],
                [[a.unsur, a.action, a.owner or "–", _day(a.due_date, lang),
                  t(f"satisfaction.action_status.{a.status}", lang), _day(a.done_date, lang)]
                 for a in planned.itertuples()],
                [], [0, 3.2, 1.5, 1, 1, 1]),
        },
        "closing": {
            "text": t("satisfaction.report.closing_text", lang, unit=unit_name, period=period_words),
            "place": t("satisfaction.report.sign_place", lang, city=city.name,
                       day=fmt.day(clock.now_local(city).date(), lang)),
            "role": t("satisfaction.report.sign_role", lang, unit=unit_name),
            "name": t("satisfaction.report.sign_name", lang),
        },
    }
    return content, specs


def _day(value: Any, lang: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    return fmt.day(pd.Timestamp(value).date(), lang)


def _grade_table(lang: str) -> dict[str, Any]:
    """The regulation's intervals (IKM rounded to 2 decimals) and grades, from kpi.skm.GRADE_BANDS."""
    rows, upper = [], "100,00" if lang == "id" else "100.00"
    step = skm.rounded(0.01)
    for g, low in skm.GRADE_BANDS:
        rows.append([f"{fmt.number(float(low), lang, 2)} – {upper}", g, _grade_words(g, lang)])
        upper = fmt.number(float(low - step), lang, 2)
    rows.append([f"{fmt.number(25, lang, 2)} – {upper}", skm.GRADE_BELOW, _grade_words(skm.GRADE_BELOW, lang)])
    return _table([t("satisfaction.report.col.interval", lang), t("satisfaction.report.col.grade", lang),
                   t("satisfaction.report.col.performance", lang)], rows, [], [1.4, 0.6, 1.4],
                  marks=[charts.GRADE_COLOURS[g] for g in skm.GRADES], mark_col=1)


def make(r: Reader, req: ReportRequest) -> Report:
    """The report of `req`: checked (SkmError), gathered from the KPI layer, drawn and laid out."""
    check(r, req)
    content, specs = gather(r, req)
    content["charts"] = {name: svg(spec, HEIGHTS.get(name)) for name, spec in specs.items()}
    pdf = compile_pdf(content, TEMPLATE)
    return Report(req, pdf, page_count(pdf))


def file_name(req: ReportRequest) -> str:
    """pantau_skm_<unit>_<period>.pdf, with the unit code's dots kept and anything else unsafe replaced."""
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in req.unit)
    return f"pantau_skm_{safe}_{skm.period_name(req.period)}.pdf"
