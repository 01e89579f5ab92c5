"""Page layer: Pariwisata / Tourism recovery — monthly values against the same month of 2019, recovery index."""

from __future__ import annotations

import streamlit as st

from app import pagefmt, reads, urlstate, widgets
from app.nav import frame
from base.i18n import t
from base.settings import city_settings
from kpi import charts, fmt, queries

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "tourism"
lang = urlstate.lang()
_, f = urlstate.current_filters(PAGE)
widgets.page_header(PAGE, lang, f)

indicators = reads.read(queries.tourism_indicators)
if indicators.empty:
    st.info(t("tourism.none", lang))
    st.stop()
units = dict(zip(indicators["indicator"], indicators["unit"], strict=True))
indicator = urlstate.choice(PAGE, "indicator", list(units), lambda i: pagefmt.indicator_label(i, lang),
                      t("tourism.indicator_label", lang), widget="select")
area = city_settings().tourism_area
series = reads.read(queries.tourism_recovery, indicator, area, f.date_from, f.date_to)
latest = series.dropna(subset=["recovery"]).tail(1)

c1, c2, c3 = st.columns(3)
if len(latest):
    row = latest.iloc[0]
    c1.metric(t("tourism.latest_recovery", lang, month=fmt.month(row["period"], lang)),
              fmt.number(row["recovery"], lang, 1) + " %", border=True)
    digits, unit = fmt.unit_digits(row["unit"]), pagefmt.unit_short(row["unit"], lang)
    c2.metric(t("tourism.latest_value", lang), f"{fmt.number(row['value'], lang, digits)} {unit}", border=True)
    c3.metric(t("tourism.value_base", lang), f"{fmt.number(row['value_base'], lang, digits)} {unit}", border=True)
st.caption(t("tourism.explain", lang, area=area))

st.subheader(t("tourism.values_title", lang, indicator=pagefmt.indicator_label(indicator, lang)))
widgets.chart(charts.tourism_value_chart, series, units[indicator], lang, name=f"tourism_{indicator}", page=PAGE,
         language=lang)
st.subheader(t("tourism.recovery_title", lang))
widgets.chart(charts.recovery_chart, series, lang, name=f"recovery_{indicator}", page=PAGE, language=lang,
         download=series.dropna(subset=["recovery"]))
