"""App entry point: builds the sample database on first run, checks it, then draws the frame (sidebar, title, language
and filters) around the page st.navigation chose from the registry (app/registry.py)."""

from __future__ import annotations

import os

import streamlit as st

from app import nav, reads, urlstate
from base.i18n import t
from base.settings import city_settings, db_path
from etl.build import build
from etl.reference import refresh_outdated
from kpi.db import DataUnavailable

st.set_page_config(page_title=f"Pantau · {city_settings().name}", page_icon=nav.favicon(), layout="wide")
lang = urlstate.lang()
nav.document_language(lang)  # <html lang>: Streamlit serves "en" whatever the page's language

# A deployment names its database (PANTAU_DB): a missing file there is an incident, never a reason to show sample data.
if not db_path().exists() and os.environ.get("PANTAU_DB"):
    st.error(t("ops.db_missing", lang, path=db_path()))
    st.stop()
# First run on a new machine: no database yet, so generate the sample one (and say so while it takes seconds).
if not db_path().exists():
    with st.status(t("app.building", lang), expanded=True) as status:
        build(db_path(), progress=status.write)
        status.update(label=t("app.built", lang), state="complete", expanded=False)
# The database belongs to one city: another pack's names, zone and calendar would misread it.
if (built := reads.other_city()) is not None:
    st.error(t("ops.other_city", lang, built=built, city=city_settings().folder))
    st.stop()
# After an upgrade that changed a mart: rebuilt once, from the facts, with this release's SQL.
if reads.marts_outdated():
    with st.status(t("app.updating", lang), expanded=True) as status:
        refresh_outdated(db_path())
        status.update(label=t("app.updated", lang), state="complete", expanded=False)

pages = nav.pages(lang)
# Our own sidebar links carry the language and filters from page to page, so Streamlit's menu stays hidden.
current = st.navigation(list(pages.values()), position="hidden")
key = nav.page_key(pages, current)

try:
    if key != "kiosk":  # the kiosk screen is chrome-free: no sidebar, no filters
        nav.style()
        nav.sidebar_navigation(pages, key, lang)
        urlstate.language_switch(key, lang)
        urlstate.sidebar_filters(key, lang)
    nav.run(current)
except DataUnavailable:
    st.error(t("app.unavailable", lang))
