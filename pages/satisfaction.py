"""Page layer: Kepuasan masyarakat / Public satisfaction — the SKM's index (IKM) per unit and city-wide, its grades,
the nine elements, the trend, the respondents, the follow-up, and each unit's on-time rate beside its IKM."""

from __future__ import annotations

import streamlit as st

from app import reads, satisfaction, urlstate, widgets
from app.nav import frame
from base.i18n import t
from kpi import charts, fmt, queries, skm
from kpi.filters import Filters

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "satisfaction"
lang = urlstate.lang()
_, period = urlstate.current_filters(PAGE)
widgets.page_header(PAGE, lang, period)
st.caption(t("satisfaction.intro", lang))
if not reads.read(skm.has_responses):
    st.info(t("satisfaction.none", lang))
    st.stop()
if reads.read(skm.has_sample):
    st.caption(t("satisfaction.sample", lang))

left, right = st.columns(2)
with left:
    names = reads.read(queries.service_names, lang)
    service = urlstate.choice(PAGE, "service", ["all", *names], lambda c: names.get(c, t("satisfaction.all_services",
                              lang)), t("satisfaction.service_label", lang), widget="select")
f = Filters(period.date_from, period.date_to, services=() if service == "all" else (service,))
units = reads.read(skm.unit_results, f, lang)
if units.empty:
    st.info(t("satisfaction.none_in_period", lang))
    st.stop()
unit_names = dict(zip(units["unit_code"], units["name"], strict=True))
with right:
    unit = urlstate.choice(PAGE, "unit", ["all", *unit_names], lambda c: unit_names.get(c, t("satisfaction.all_units",
                           lang)), t("satisfaction.unit_label", lang), widget="select")
one = None if unit == "all" else unit
planned = reads.read(skm.actions, f, one)
satisfaction.headline(units, f, one, planned, lang)
st.caption(t("satisfaction.definitions", lang, day=fmt.day(reads.read(skm.response_bounds)[1], lang)))

st.subheader(t("satisfaction.units_title", lang))
st.caption(t("satisfaction.units_explain", lang))
shown = satisfaction.units_table(units, lang)
widgets.chart(charts.satisfaction_units_chart, units, lang, name="ikm_units", page=PAGE, language=lang,
              download=shown)

scope = unit_names.get(unit, t("satisfaction.all_units", lang))
st.subheader(t("satisfaction.elements_title", lang, unit=scope))
st.caption(t("satisfaction.elements_explain", lang))
widgets.chart(charts.satisfaction_elements_chart, reads.read(skm.elements, f, one), lang, name="ikm_elements",
              page=PAGE, language=lang)

st.subheader(t("satisfaction.lowest_title", lang))
st.caption(t("satisfaction.lowest_explain", lang))
lowest = reads.read(skm.lowest_elements, f, one)
widgets.downloads(satisfaction.lowest_table(lowest, unit_names, lang), "ikm_lowest", PAGE, lang)

st.subheader(t("satisfaction.followup_title", lang))
if planned.empty:
    st.info(t("satisfaction.followup_none", lang))
else:
    widgets.downloads(satisfaction.actions_table(planned, unit_names, lang), "ikm_actions", PAGE, lang)

st.subheader(t("satisfaction.trend_title", lang))
st.caption(t("satisfaction.trend_explain", lang))
widgets.chart(charts.satisfaction_trend_chart, reads.read(skm.semester_trend, f.services, one), unit_names.get(unit),
              lang, name="ikm_trend", page=PAGE, language=lang)

st.subheader(t("satisfaction.profile_title", lang))
st.caption(t("satisfaction.profile_explain", lang))
widgets.chart(charts.satisfaction_profile_chart, reads.read(skm.profile, f, one), lang, name="ikm_profile",
              page=PAGE, language=lang)

st.subheader(t("satisfaction.report_title", lang))
satisfaction.report_section(one, unit_names.get(unit, ""), f.services, PAGE, lang)
