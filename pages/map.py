"""Page layer: Peta / Map — one value per kecamatan (circles or a choropleth) over a grid of request density."""

from __future__ import annotations

import os

import streamlit as st

from app import reads, urlstate, widgets
from app.nav import frame
from base.i18n import t
from kpi import maps, queries

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "map"
lang = urlstate.lang()
_, f = urlstate.current_filters(PAGE)
widgets.page_header(PAGE, lang, f)

metric = urlstate.choice(PAGE, "metric", list(maps.MAP_METRICS), lambda m: t(f"map.metric.{m}", lang),
                   t("map.metric_label", lang))
frame = reads.read(queries.kecamatan_map_frame, f)
density = reads.read(queries.request_density, f)
shapes = reads.boundaries()

widgets.kecamatan_map(frame, metric, lang, density=density, boundaries=shapes,
                      map_style=os.environ.get("PANTAU_MAP_STYLE") or None)
st.html(widgets.legend_html(maps.legend(frame, metric, lang), t(f"map.metric.{metric}", lang)))
st.caption(t("map.explain_polygons" if shapes else "map.explain_circles", lang))
if shapes is not None and len(maps.match_boundaries(shapes, frame)) < len(frame):
    st.warning(t("map.unmatched", lang))

table = frame[["kecamatan_code", "name", "population", "received", "received_per_1000", "median_hours",
               "on_time_rate", "open_at_end", "overdue_at_end"]]
with st.expander(t("map.table_title", lang)):
    st.dataframe(table, hide_index=True, width="stretch", column_config=widgets.map_columns(lang))
widgets.downloads(table, "kecamatan", PAGE, lang)
