"""Page layer: Kota Cerdas / Smart city — the six pillars, the master plan's programmes and each pillar's measured
indicators."""

from __future__ import annotations

import streamlit as st

from app import reads, urlstate, widgets
from app.nav import frame
from base.i18n import t
from kpi import charts, smartcity

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "smartcity"
lang = urlstate.lang()
_, f = urlstate.current_filters(PAGE)
widgets.page_header(PAGE, lang, f)
st.caption(t("smartcity.intro", lang))

summary = reads.read(smartcity.pillar_summary)
indicators = reads.read(smartcity.pillar_indicators, f, lang)
has_programmes = bool(summary["programmes"].sum())
if not has_programmes:
    st.info(t("smartcity.none", lang))
widgets.pillar_tiles(summary, indicators, lang)

pillar = urlstate.choice(PAGE, "pillar", list(summary["pillar"]), lambda p: t(f"smartcity.pillar.{p}", lang),
                         t("smartcity.pillar_label", lang))
name = t(f"smartcity.pillar.{pillar}", lang)

st.subheader(t("smartcity.programmes_title", lang, pillar=name))
if has_programmes:
    rows = reads.read(smartcity.latest_programmes, pillar)
    if rows.empty:
        st.info(t("smartcity.no_programmes_in_pillar", lang))
    else:
        if rows["source"].str.startswith("sample").any():
            st.caption(t("smartcity.sample_programmes", lang))
        widgets.programme_table(rows, name, lang)
        widgets.chart(charts.programme_progress_chart, rows, lang, name=f"programmes_{pillar}", page=PAGE,
                      language=lang, download=reads.read(smartcity.programme_reports, pillar))
        st.caption(t("smartcity.explain", lang))
else:
    st.caption(t("smartcity.no_plan", lang))

st.subheader(t("smartcity.indicators_title", lang, pillar=name))
measured = indicators[indicators["pillar"] == pillar]
if measured.empty:
    st.info(t("smartcity.no_indicator", lang))
else:
    widgets.indicator_tiles(measured, lang)
    st.caption(t("smartcity.indicators_compared", lang))
    widgets.downloads(measured, f"indicators_{pillar}", PAGE, lang)

if has_programmes:
    st.subheader(t("smartcity.quick_wins_title", lang))
    wins = reads.read(smartcity.quick_wins)
    if wins.empty:
        st.info(t("smartcity.no_quick_wins", lang))
    else:
        st.caption(t("smartcity.quick_wins_explain", lang))
        widgets.chart(charts.quick_win_chart, wins, lang, name="quick_wins", page=PAGE, language=lang)
