"""Page layer: Data — sample-data notice, last load per dataset and its age, sources, data dictionary, load log."""

from __future__ import annotations

import streamlit as st

from base.i18n import t
from kpi import fmt, queries, ui

PAGE = "data"
lang = ui.lang()
ui.page_header(PAGE, lang)
st.markdown(t("data.intro", lang))

st.subheader(t("data.loads_title", lang))
loads = ui.read(queries.last_loads)
if loads.empty:
    st.info(t("data.no_loads", lang))
for col, row in zip(st.columns(max(len(loads), 1)), loads.itertuples(), strict=False):
    col.metric(t(f"data.dataset.{row.dataset}", lang) if row.dataset in ("service_requests", "tourism")
               else row.dataset, fmt.number(row.rows_loaded, lang) + " " + t("data.rows", lang),
               border=True)
    col.caption(t("data.loaded", lang, when=fmt.timestamp(row.loaded_at, lang), age=ui.age_text(row.loaded_at, lang),
                  source=t(f"data.source.{row.source}", lang) if row.source in ("sample", "upload", "cli")
                  else row.source))

st.subheader(t("data.kpi_title", lang))
st.markdown(t("data.kpi_text", lang))

st.subheader(t("data.standards_title", lang))
st.markdown(t("data.standards_text", lang))
standards = ui.read(queries.service_standards, lang)
st.dataframe(standards.assign(standard=[fmt.standard(v, u, lang) for v, u in
                                        zip(standards["sla_value"], standards["sla_unit"], strict=True)])[
                 ["service", "standard", "sla_source"]], hide_index=True, width="stretch",
             column_config={c: t(f"data.standards.col.{c}", lang) for c in ("service", "standard", "sla_source")})
ui.downloads(standards, "service_standards", PAGE, lang)

_, latest, _ = ui.latest_day()
st.subheader(t("data.calendar_title", lang, year=latest.year))
st.markdown(t("data.calendar_text", lang))
for year, note, days in ui.read(queries.calendar_notes):
    st.warning(t(f"data.calendar.{note}", lang, year=year, days="; ".join(days[:4])), icon=":material/event_busy:")
days_off = ui.read(queries.days_off, latest.year, lang)
kinds = days_off["kind"].map(lambda k: t(f"data.calendar.kind.{k}", lang))
st.dataframe(days_off.assign(kind=kinds)[["day", "name", "kind"]], hide_index=True, width="stretch", height=280,
             column_config={"day": st.column_config.DateColumn(t("data.calendar.col.day", lang), format="D MMM YYYY"),
                            **{c: t(f"data.calendar.col.{c}", lang) for c in ("name", "kind")}})
ui.downloads(days_off, f"days_off_{latest.year}", PAGE, lang)

st.subheader(t("data.dictionary_title", lang))
st.caption(t("data.dictionary_explain", lang))
dictionary = ui.read(queries.data_dictionary)
st.dataframe(dictionary, hide_index=True, width="stretch", height=320)
ui.downloads(dictionary, "data_dictionary", PAGE, lang)

st.subheader(t("data.sources_title", lang))
src = ui.read(queries.sources)
st.dataframe(src, hide_index=True, width="stretch", height=280)
ui.downloads(src, "sources", PAGE, lang)

st.subheader(t("data.history_title", lang))
history = ui.read(queries.load_history, 50)
st.dataframe(history, hide_index=True, width="stretch")
ui.downloads(history, "load_history", PAGE, lang)
