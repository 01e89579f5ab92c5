"""Page layer: Waktu proses / Processing times — distribution per service, median and p90 trend, on time vs SLA."""

from __future__ import annotations

import streamlit as st

from app import reads, urlstate, widgets
from app.nav import frame
from base.i18n import t
from kpi import charts, fmt, metrics, queries

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "processing"
lang = urlstate.lang()
_, f = urlstate.current_filters(PAGE)
grain = queries.grain_for(f, ("week", "month"))
reads.prefetch((queries.service_kecamatan_matrix, f, lang), (queries.time_trend, f, grain),
               (queries.service_quantiles, f, lang), (queries.on_time_by_service, f, lang))
widgets.page_header(PAGE, lang, f)

st.subheader(t("processing.box_title", lang))
st.caption(t("processing.box_explain", lang))
quantiles = reads.read(queries.service_quantiles, f, lang)
widgets.chart(charts.quantile_boxplot, quantiles, lang, name="hours_by_service", page=PAGE, language=lang)

left, right = st.columns(2)
with left:
    st.subheader(t(f"processing.trend_title_{grain}", lang))
    trend = reads.read(queries.time_trend, f, grain)
    widgets.chart(charts.time_trend_chart, trend, grain, lang, name="hours_trend", page=PAGE, language=lang)
with right:
    target = reads.read(metrics.target_on_time_rate)
    st.subheader(t("processing.on_time_title", lang))
    st.caption(t("processing.on_time_explain", lang, target=fmt.percent(target, lang, 0)))
    on_time = reads.read(queries.on_time_by_service, f, lang)
    widgets.chart(charts.on_time_chart, on_time, target, lang, name="on_time_by_service", page=PAGE,
             language=lang)

st.subheader(t("processing.heatmap_title", lang))
st.caption(t("processing.heatmap_explain", lang))
matrix = reads.read(queries.service_kecamatan_matrix, f, lang)
widgets.chart(charts.heatmap_chart, matrix, lang, name="service_kecamatan", page=PAGE, language=lang)
