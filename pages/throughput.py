"""Page layer: Layanan / Throughput — received and completed per period and group, open backlog and its age."""

from __future__ import annotations

import streamlit as st

from app import reads, urlstate, widgets
from app.nav import frame
from base.i18n import t
from kpi import charts, fmt, queries

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "throughput"
lang = urlstate.lang()
_, f = urlstate.current_filters(PAGE)
widgets.page_header(PAGE, lang, f)

c1, c2, c3 = st.columns(3)
with c1:
    grain = urlstate.choice(PAGE, "grain", list(queries.GRAINS), lambda g: t(f"throughput.grain.{g}", lang),
                      t("throughput.grain_label", lang), default=queries.grain_for(f))
with c2:
    split = urlstate.choice(PAGE, "split", list(queries.SPLITS), lambda s: t(f"chart.split.{s}", lang),
                      t("throughput.split_label", lang))
with c3:
    measure = urlstate.choice(PAGE, "measure", ["received", "completed"], lambda m: t(f"chart.axis.{m}", lang),
                        t("throughput.measure_label", lang))

volumes = reads.read(queries.volume_series, f, grain, split, lang)
st.subheader(t("throughput.totals_title", lang))
widgets.chart(charts.received_completed_chart, volumes, grain, lang, name="received_completed", page=PAGE,
         language=lang)

st.subheader(t("throughput.split_title", lang, measure=t(f"chart.axis.{measure}", lang),
               split=t(f"chart.split.{split}", lang).lower()))
widgets.chart(charts.volume_chart, volumes, measure, grain, split, lang, name=f"volume_{split}", page=PAGE,
         language=lang)

left, right = st.columns(2)
with left:
    st.subheader(t("throughput.backlog_title", lang))
    backlog = reads.read(queries.backlog_series, f, grain)
    widgets.chart(charts.backlog_chart, backlog, grain, lang, name="backlog", page=PAGE, language=lang)
with right:
    st.subheader(t("throughput.age_title", lang, day=fmt.day(f.date_to, lang)))
    age = reads.read(queries.backlog_age, f)
    total, past = int(age["open"].sum()), int(age["past_sla"].sum())
    st.markdown(t("throughput.past_sla", lang, past=fmt.number(past, lang), total=fmt.number(total, lang),
                  share=fmt.percent(past / total if total else None, lang)))
    widgets.chart(charts.age_chart, age, lang, name="backlog_age", page=PAGE, language=lang)
