"""Page layer: Ringkasan / Overview — headline KPIs against the previous period, service index, biggest movers."""

from __future__ import annotations

import streamlit as st

from app import pagefmt, reads, urlstate, widgets
from app.nav import frame
from base.i18n import t
from kpi import charts, fmt, metrics, queries

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "overview"
lang = urlstate.lang()
_, f = urlstate.current_filters(PAGE)
widgets.page_header(PAGE, lang, f, compare=True, zone=True)
widgets.briefing_download(f, PAGE, lang)

widgets.headline(*reads.read(metrics.summary_and_previous, f), lang)

st.subheader(t("overview.index_title", lang))
index = reads.read(metrics.service_index, f)
status = metrics.index_status(index["city"])
left, right = st.columns([1, 2])
left.metric(t("overview.index_city", lang), fmt.number(index["city"], lang, 2), border=True)
left.badge(fmt.status_text(index["city"], lang), color=pagefmt.STATUS_BADGE.get(status, "gray"))
left.caption(t("overview.index_explain", lang, target=fmt.percent(index["target"], lang, 0),
               green=fmt.number(metrics.INDEX_GREEN, lang, 1), amber=fmt.number(metrics.INDEX_AMBER, lang, 1)))
with right:
    widgets.chart(charts.index_chart, index["by_kecamatan"], lang, name="service_index", page=PAGE, language=lang)

st.subheader(t("overview.movers_title", lang))
movers = reads.read(queries.biggest_movers, f, lang)
least = fmt.number(queries.MOVERS_MIN_COMPLETED, lang)
st.caption(t("overview.movers_explain", lang, n=least))
if len(movers):
    improved, worsened = st.columns(2)
    for col, direction in ((improved, "down"), (worsened, "up")):
        col.markdown(f"**{t(f'overview.movers_{direction}', lang)}**")
        rows = movers[movers["direction"] == direction]
        col.markdown("\n".join(f"- {pagefmt.mover_sentence(row, lang)}" for row in rows.itertuples())
                     if len(rows) else t(f"overview.movers_none_{direction}", lang))
    widgets.downloads(movers, "movers", PAGE, lang)
else:
    st.info(t("overview.movers_none", lang, n=least))
