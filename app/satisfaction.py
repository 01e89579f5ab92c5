"""App layer: what the page Kepuasan masyarakat puts on screen besides charts — the headline tiles, the sortable table
of units, the lowest elements with their follow-up, the follow-up plan, and the unit's report PDF made on click."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app import urlstate
from app.reads import read, reader
from base.i18n import t
from kpi import fmt, metrics, skm
from kpi.charts import element_label
from kpi.filters import Filters

GRADE_BADGE = {"A": "green", "B": "blue", "C": "orange", "D": "red"}


def grade_text(grade: str | None, language: str) -> str:
    """'Mutu B · Baik' / 'Grade B · Good': the letter and its words, never a colour alone."""
    if not grade:
        return t("satisfaction.grade.none", language)
    return t("satisfaction.grade_text", language, grade=grade, words=t(f"satisfaction.grade.{grade}", language))


def sample_text(respondents: int, needed: Any, language: str) -> str:
    """'✓ met', '✗ 12 short' or '– not judged' (no request in the unit's scope)."""
    if needed is None or pd.isna(needed):
        return t("satisfaction.sample_not_judged", language)
    if respondents >= needed:
        return t("satisfaction.sample_met", language)
    return t("satisfaction.sample_short", language, n=fmt.number(int(needed) - respondents, language))


def tiles(ikm: float | None, grade: str | None, respondents: str, sample: str | None, on_time: float | None,
          shares: dict[str, Any], unit_view: bool, language: str) -> None:
    """IKM and its grade (as text), respondents (against the sample needed for a unit), the on-time rate beside it,
    and the follow-up done."""
    c1, c2, c3, c4 = st.columns(4)
    key = "unit_ikm" if unit_view else "city_ikm"
    c1.metric(t(f"satisfaction.tile.{key}", language), fmt.number(ikm, language, 2), border=True,
              help=t("satisfaction.tile.grade_help", language))
    c1.badge(grade_text(grade, language), color=GRADE_BADGE.get(grade or "", "gray"))
    c2.metric(t("satisfaction.tile.sample" if unit_view else "satisfaction.tile.respondents", language), respondents,
              border=True)
    if sample:
        c2.caption(sample)
    c3.metric(t("satisfaction.tile.on_time" if unit_view else "satisfaction.tile.on_time_city", language),
              fmt.percent(on_time, language), border=True, help=t("satisfaction.tile.on_time_help", language))
    c4.metric(t("satisfaction.followup_title", language),
              f"{fmt.number(shares['done'], language)} / {fmt.number(shares['actions'], language)}", border=True)
    if shares["actions"]:
        c4.caption(t("satisfaction.followup_shares", language, n=fmt.number(shares["actions"], language),
                     done=fmt.number(shares["done"], language),
                     share_done=fmt.percent(shares["share_done"], language, 0),
                     on_time=fmt.number(shares["done_on_time"], language),
                     share_on_time=fmt.percent(shares["share_done_on_time"], language, 0)))


def headline(units: pd.DataFrame, f: Filters, unit: str | None, planned: pd.DataFrame, language: str) -> None:
    """The tiles for one unit (its IKM, respondents against its sample, its scope's on-time rate) or, with unit None,
    for the city (the city IKM, all respondents, the on-time rate of all requests); the follow-up done in both."""
    shares = skm.action_shares(planned)
    if unit is not None:
        row = units.set_index("unit_code").loc[unit]
        respondents = f"{fmt.number(row['respondents'], language)} / {fmt.number(row['sample_needed'], language)}"
        tiles(row["ikm_2dp"], row["mutu"], respondents, sample_text(int(row["respondents"]), row["sample_needed"],
                                                                    language),
              row["on_time_rate"], shares, True, language)
        return
    city = read(skm.overall, f)
    on_time = metrics.rates(read(metrics.counts_by_service, f), 1)["on_time_rate"]  # the daily mart's counts
    tiles(city["ikm"], city["mutu"], fmt.number(city["respondents"], language), None, on_time, shares, False,
          language)


def units_table(units: pd.DataFrame, language: str) -> pd.DataFrame:
    """Every unit with respondents, sortable by any column: IKM, grade as text, respondents against the sample needed,
    and the on-time rate of its scope. Returns what it shows (for the download)."""
    cc = st.column_config
    shown = pd.DataFrame({
        "unit": units["name"], "ikm": units["ikm_2dp"],
        "mutu": units["mutu"].map(lambda g: f"{g} · {t(f'satisfaction.grade.{g}', language)}"),
        "respondents": units["respondents"], "sample_needed": units["sample_needed"],
        "sample": [sample_text(n, s, language) for n, s in zip(units["respondents"], units["sample_needed"],
                                                                strict=True)],
        "population": units["population"], "on_time": units["on_time_rate"],
    })
    label = {c: t(f"satisfaction.col.{c}", language) for c in shown.columns}
    config: dict[str, Any] = {
        "unit": cc.TextColumn(label["unit"], width="large"), "ikm": cc.NumberColumn(label["ikm"], format="%.2f"),
        "mutu": cc.TextColumn(label["mutu"]),
        "respondents": cc.NumberColumn(label["respondents"], format="localized"),
        "sample_needed": cc.NumberColumn(label["sample_needed"], format="localized"),
        "sample": cc.TextColumn(label["sample"]),
        "population": cc.NumberColumn(label["population"], format="localized"),
        "on_time": cc.NumberColumn(label["on_time"], format="percent"),
    }
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, key="satisfaction_units",
                 alt=t("grid.satisfaction_units", language, n=len(shown)))
    return shown.assign(unit_code=units["unit_code"].to_numpy())


def _one_unit(shown: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The table without its unit column when every row is one unit's (the unit chosen above it)."""
    return shown.drop(columns="unit") if rows["unit_code"].nunique() <= 1 else shown


def lowest_table(lowest: pd.DataFrame, names: dict[str, str], language: str) -> pd.DataFrame:
    """Each unit's lowest elements (and any other graded C or D) with the actions planned for them; an element
    graded C or D without one says so, in its row and in a warning under the table."""
    def follow_up(row: Any) -> str:
        if row.unplanned:
            return t("satisfaction.unplanned", language, grade=row.mutu)
        return row.action_text or t("satisfaction.no_action", language)

    shown = pd.DataFrame({
        "unit": lowest["unit_code"].map(names), "unsur": lowest["unsur"].map(lambda u: element_label(u, language)),
        "index": lowest["index"], "mutu": lowest["mutu"], "rank": lowest["rank"],
        "actions": [follow_up(row) for row in lowest.itertuples()],
    })
    cc = st.column_config
    label = {c: t(f"satisfaction.col.{c}", language) for c in shown.columns}
    config = {c: cc.TextColumn(label[c]) for c in shown.columns}
    config["index"] = cc.NumberColumn(label["index"], format="%.2f")
    config["mutu"] = cc.TextColumn(label["mutu"], width="small")
    config["rank"] = cc.NumberColumn(label["rank"], format="%d")
    config["actions"] = cc.TextColumn(label["actions"], width="large")
    st.dataframe(_one_unit(shown, lowest), hide_index=True, width="stretch", column_config=config,
                 key="satisfaction_lowest", alt=t("grid.satisfaction_lowest", language))
    unplanned = int(lowest["unplanned"].sum())
    if unplanned:
        st.warning(t("satisfaction.unplanned_count", language, n=fmt.number(unplanned, language)))
    return shown


def actions_table(actions: pd.DataFrame, names: dict[str, str], language: str) -> pd.DataFrame:
    """The follow-up plan: unit, survey period, element, action, owner, due date, status (in words), done on, and
    whether it was done by its due date."""
    shown = pd.DataFrame({
        "unit": actions["unit_code"].map(names), "period": actions["period"],
        "unsur": actions["unsur"].map(lambda u: element_label(u, language)), "action": actions["action"],
        "owner": actions["owner"], "due_date": actions["due_date"],
        "status": actions["status"].map(lambda s: t(f"satisfaction.action_status.{s}", language)),
        "done_date": actions["done_date"],
        "on_time_done": actions["done_on_time"].map(lambda d: t("satisfaction.yes" if d else "satisfaction.no",
                                                                language)),
    })
    cc = st.column_config
    label = {c: t(f"satisfaction.col.{c}", language) for c in shown.columns}
    config: dict[str, Any] = {c: cc.TextColumn(label[c]) for c in shown.columns}
    config["action"] = cc.TextColumn(label["action"], width="large")
    config["due_date"] = cc.DateColumn(label["due_date"], format="localized")
    config["done_date"] = cc.DateColumn(label["done_date"], format="localized")
    st.dataframe(_one_unit(shown, actions), hide_index=True, width="stretch", column_config=config,
                 key="satisfaction_actions", alt=t("grid.satisfaction_actions", language, n=len(shown)))
    return shown


def report_download(unit: str, unit_name: str, period: str, services: tuple[str, ...], page: str,
                    language: str) -> None:
    """The unit's SKM report (PDF) for `period`, made only when the button is clicked (a callable as `data`, run on
    Streamlit's own thread), so a page view never waits for Typst."""
    from kpi.briefing import skm_report

    req = skm_report.ReportRequest(unit, period, language, services)
    r = reader()  # taken here: the callable runs outside the script's thread
    st.download_button(t("satisfaction.report_download", language), lambda: skm_report.make(r, req).pdf,
                       file_name=skm_report.file_name(req), mime="application/pdf", key=f"{page}_report_pdf",
                       on_click="ignore", type="primary",
                       help=t("satisfaction.report_help", language, unit=unit_name,
                              period=skm.period_text(period, language)))


def report_section(unit: str | None, unit_name: str, services: tuple[str, ...], page: str, language: str) -> None:
    """For one unit: the survey period to report on (its semesters with respondents, the latest one over by default,
    kept in the URL as ?report=) and the report's download button; otherwise how to get one."""
    if unit is None:
        st.caption(t("satisfaction.report_pick_unit", language))
        return
    held = read(skm.report_periods, unit)
    left, right = st.columns([1, 1], vertical_alignment="bottom")
    with left:
        chosen = urlstate.choice(page, "report", held, lambda p: skm.period_text(p, language),
                                 t("satisfaction.report_period", language), default=read(skm.latest_semester),
                                 widget="select")
    with right:
        report_download(unit, unit_name, chosen, services, page, language)
