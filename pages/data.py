"""Page layer: Data — sample-data notice, last load per dataset and its age, sources, data dictionary, load log."""

from __future__ import annotations

import streamlit as st

from app import pagefmt, reads, urlstate, widgets
from app.nav import frame
from base.i18n import t
from kpi import fmt, queries

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "data"
lang = urlstate.lang()
widgets.page_header(PAGE, lang)
st.markdown(t("data.intro", lang))
widgets.statement_link(lang)

st.subheader(t("data.loads_title", lang))
loads = reads.read(queries.last_loads)
if loads.empty:
    st.info(t("data.no_loads", lang))
for col, row in zip(st.columns(max(len(loads), 1)), loads.itertuples(), strict=False):
    col.metric(pagefmt.dataset_label(row.dataset, lang), fmt.number(row.rows_loaded, lang) + " " + t("data.rows", lang),
               border=True)
    col.caption(t("data.loaded", lang, when=fmt.timestamp(row.loaded_at, lang),
                  age=pagefmt.age_text(row.loaded_at, lang), source=pagefmt.source_label(row.source, lang)))

st.subheader(t("data.kpi_title", lang))
st.markdown(t("data.kpi_text", lang))

st.subheader(t("data.standards_title", lang))
st.markdown(t("data.standards_text", lang))
standards = reads.read(queries.service_standards, lang)
st.dataframe(standards.assign(standard=[fmt.standard(v, u, lang) for v, u in
                                        zip(standards["sla_value"], standards["sla_unit"], strict=True)])[
                 ["service", "standard", "sla_source"]], hide_index=True, width="stretch",
             alt=t("grid.standards", lang),
             column_config={c: t(f"data.standards.col.{c}", lang) for c in ("service", "standard", "sla_source")})
widgets.downloads(standards, "service_standards", PAGE, lang)

_, latest, _ = reads.latest_day()
st.subheader(t("data.calendar_title", lang, year=latest.year))
st.markdown(t("data.calendar_text", lang))
for year, note, days in reads.read(queries.calendar_notes):
    st.warning(t(f"data.calendar.{note}", lang, year=year, days="; ".join(days[:4])))
days_off = reads.read(queries.days_off, latest.year, lang)
kinds = days_off["kind"].map(lambda k: t(f"data.calendar.kind.{k}", lang))
st.dataframe(days_off.assign(kind=kinds)[["day", "name", "kind"]], hide_index=True, width="stretch", height=280,
             alt=t("grid.days_off", lang, year=latest.year),
             column_config={"day": st.column_config.DateColumn(t("data.calendar.col.day", lang), format="D MMM YYYY"),
                            **{c: t(f"data.calendar.col.{c}", lang) for c in ("name", "kind")}})
widgets.downloads(days_off, f"days_off_{latest.year}", PAGE, lang)

st.subheader(t("data.dictionary_title", lang))
st.caption(t("data.dictionary_explain", lang))
dictionary = reads.read(queries.data_dictionary)
st.dataframe(dictionary, hide_index=True, width="stretch", height=320, alt=t("grid.dictionary", lang))
widgets.downloads(dictionary, "data_dictionary", PAGE, lang)

st.subheader(t("data.sources_title", lang))
src = reads.read(queries.sources)
st.dataframe(src, hide_index=True, width="stretch", height=280, alt=t("grid.sources", lang))
widgets.downloads(src, "sources", PAGE, lang)

st.subheader(t("data.history_title", lang))
history = reads.read(queries.load_history, 50)
st.dataframe(history, hide_index=True, width="stretch", alt=t("grid.load_history", lang))
widgets.downloads(history, "load_history", PAGE, lang)
