"""App entry point: builds the sample database on first run, then the navigation of the Pantau dashboard."""

from __future__ import annotations

import os

import streamlit as st

from base.i18n import t
from base.settings import city_settings, db_path
from etl.build import build
from etl.reference import refresh_outdated
from kpi import ui
from kpi.db import DataUnavailable

st.set_page_config(page_title=f"Pantau · {city_settings().name}", page_icon=ui.favicon(), layout="wide")
lang = ui.lang()

# A deployment names its database (PANTAU_DB): a missing file there is an incident, never a reason to show sample data.
if not db_path().exists() and os.environ.get("PANTAU_DB"):
    st.error(t("ops.db_missing", lang, path=db_path()), icon=":material/database_off:")
    st.stop()
# First run on a new machine: no database yet, so generate the sample one (and say so while it takes seconds).
if not db_path().exists():
    with st.status(t("app.building", lang), expanded=True) as status:
        build(db_path(), progress=status.write)
        status.update(label=t("app.built", lang), state="complete", expanded=False)
# The database belongs to one city: another pack's names, zone and calendar would misread it.
if (built := ui.other_city()) is not None:
    st.error(t("ops.other_city", lang, built=built, city=city_settings().folder), icon=":material/location_off:")
    st.stop()
# After an upgrade that changed a mart: rebuilt once, from the facts, with this release's SQL.
if ui.marts_outdated():
    with st.status(t("app.updating", lang), expanded=True) as status:
        refresh_outdated(db_path())
        status.update(label=t("app.updated", lang), state="complete", expanded=False)

pages = ui.pages(lang)
# Our own sidebar links carry the language and filters from page to page, so Streamlit's menu stays hidden.
current = st.navigation(list(pages.values()), position="hidden")
key = ui.page_key(pages, current)

try:
    if key != "kiosk":  # the kiosk screen is chrome-free: no sidebar, no filters
        ui.style()
        ui.dismiss_stale_not_found()
        ui.sidebar_navigation(pages, key, lang)
        ui.language_switch(key, lang)
        ui.sidebar_filters(key, lang)
    current.run()
except DataUnavailable:
    st.error(t("app.unavailable", lang), icon=":material/database_off:")
