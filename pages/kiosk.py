"""Page layer: kiosk screen for public displays — /kiosk?views=…&rotate=…&refresh=…&lang=…&theme=… or ?playlist=…"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app import reads, urlstate, widgets
from app.nav import document_language, frame
from base.i18n import t
from kpi import fmt, kiosk, kiosk_charts, skm, smartcity
from kpi.db import DataUnavailable

frame()  # run alone (a fresh server's first address), this opens the app around it

st.set_page_config(page_title="Pantau", layout="wide", initial_sidebar_state="collapsed")
settings = kiosk.safe_settings()
screen = kiosk.parse_screen(st.query_params.to_dict(), settings)
try:  # the pillar view only rotates while a master plan is loaded, the satisfaction view while a survey is
    if "pillars" in screen.views and not reads.read(smartcity.has_programmes):
        screen = replace(screen, views=tuple(v for v in screen.views if v != "pillars") or screen.views)
    if "satisfaction" in screen.views and not reads.read(skm.has_responses):
        screen = replace(screen, views=tuple(v for v in screen.views if v != "satisfaction") or screen.views)
except DataUnavailable:
    pass
lang, theme, min_count = screen.lang, screen.theme, settings.min_count
if lang != urlstate.lang():  # a playlist's language: the frame set the address's
    document_language(lang)

st.html(kiosk_charts.kiosk_css(theme))
st.html(kiosk_charts.watchdog_html(settings.reload_hours, lang, theme), unsafe_allow_javascript=True)
st.session_state["kiosk_full_run"] = kiosk.now()


@st.fragment(run_every=screen.rotate)
def rotation() -> None:
    ts = kiosk.now()
    index, name = kiosk.current_view(screen, ts)
    try:  # the cached reads follow the database version: a new load shows at the next rotation
        view = reads.kiosk_view(name, lang, min_count)
        _, latest, has_data = reads.latest_day()
        latest = latest if has_data else None
    except DataUnavailable:
        view, latest = None, None
    as_of = t("kiosk.data_as_of", lang, day=fmt.day(latest, lang)) if latest else ""
    warning = (t("kiosk.stale", lang, hours=fmt.number(settings.stale_hours, lang))
               if kiosk.stale(latest, ts, settings.stale_hours) else None)
    st.html(kiosk_charts.header_html(
        t("kiosk.title", lang), view.title if view else "", view.subtitle if view else "",
        kiosk.clock_text(ts, lang), as_of, warning, name, f"{index + 1}/{len(screen.views)}",
        t("kiosk.offline", lang)))
    if view is None:
        st.html(f'<div class="k-empty">{t("kiosk.no_data", lang)}</div>')
        return
    st.html(kiosk_charts.big_numbers_html(view.numbers, theme))
    if name == "satisfaction":  # the units' grades as tiles, as service halls display them
        st.html(kiosk_charts.grades_html(view.frame, lang, theme, min_count))
        return
    if view.frame.empty:  # nothing to draw (no tourism figures yet): say so rather than show empty axes
        st.html(f'<div class="k-empty">{t("kiosk.no_figures", lang)}</div>')
        return
    with st.container(key="kiosk_chart"):
        if name == "map":
            v = widgets.map_view()
            st.pydeck_chart(kiosk_charts.kecamatan_deck(view.frame, theme, v["latitude"], v["longitude"], v["zoom"]),
                            height="stretch", alt=kiosk_charts.map_description(view.frame, lang))
        else:
            builder = {"overview": kiosk_charts.requests_chart, "services": kiosk_charts.scores_chart,
                       "tourism": kiosk_charts.recovery_chart, "pillars": kiosk_charts.pillars_chart}[name]
            st.altair_chart(builder(view.frame, lang, theme), theme=None, height="stretch")
    if name == "map":
        st.html(kiosk_charts.map_legend_html(lang, theme, min_count))


@st.fragment(run_every=screen.refresh)
def refresh() -> None:
    # A full rerun re-reads kiosk.toml and redraws everything; the first run belongs to the full run itself.
    if kiosk.now() - st.session_state.get("kiosk_full_run", 0.0) >= screen.refresh - 1:
        st.rerun()


rotation()
refresh()
