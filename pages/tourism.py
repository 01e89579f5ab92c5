"""Page layer: Pariwisata / Tourism recovery — monthly values against the same month of 2019, recovery index."""

from __future__ import annotations

import streamlit as st

from base.i18n import t
from base.settings import city_settings
from kpi import charts, fmt, queries, ui

PAGE = "tourism"
lang = ui.lang()
_, f = ui.current_filters(PAGE)
ui.page_header(PAGE, lang, f)

indicators = ui.read(queries.tourism_indicators)
if indicators.empty:
    st.info(t("tourism.none", lang))
    st.stop()
units = dict(zip(indicators["indicator"], indicators["unit"], strict=True))
indicator = ui.choice(PAGE, "indicator", list(units), lambda i: ui.indicator_label(i, lang),
                      t("tourism.indicator_label", lang), widget="select")
area = city_settings().tourism_area
series = ui.read(queries.tourism_recovery, indicator, area, f.date_from, f.date_to)
latest = series.dropna(subset=["recovery"]).tail(1)

c1, c2, c3 = st.columns(3)
if len(latest):
    row = latest.iloc[0]
    c1.metric(t("tourism.latest_recovery", lang, month=fmt.month(row["period"], lang)),
              fmt.number(row["recovery"], lang, 1) + " %", border=True)
    digits, unit = (1 if row["unit"] == "persen" else 0), ui.unit_short(row["unit"], lang)
    c2.metric(t("tourism.latest_value", lang), f"{fmt.number(row['value'], lang, digits)} {unit}", border=True)
    c3.metric(t("tourism.value_base", lang), f"{fmt.number(row['value_base'], lang, digits)} {unit}", border=True)
st.caption(t("tourism.explain", lang, area=area))

st.subheader(t("tourism.values_title", lang, indicator=ui.indicator_label(indicator, lang)))
ui.chart(charts.tourism_value_chart, series, units[indicator], lang, name=f"tourism_{indicator}", page=PAGE,
         language=lang)
st.subheader(t("tourism.recovery_title", lang))
ui.chart(charts.recovery_chart, series, lang, name=f"recovery_{indicator}", page=PAGE, language=lang,
         download=series.dropna(subset=["recovery"]))
