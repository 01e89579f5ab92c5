"""Page layer: Pernyataan aksesibilitas / Accessibility statement — what was tested and how, what is known not to work,
and whom to contact (the city pack's accessibility_contact)."""

from __future__ import annotations

import streamlit as st

from app import urlstate, widgets
from app.nav import frame
from base.i18n import t
from base.settings import city_settings

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "accessibility"
lang = urlstate.lang()
widgets.page_header(PAGE, lang)
st.markdown(t("accessibility.intro", lang))

st.subheader(t("accessibility.tested_title", lang))
st.markdown(t("accessibility.tested", lang))

st.subheader(t("accessibility.known_title", lang))
st.markdown(t("accessibility.known", lang))

st.subheader(t("accessibility.contact_title", lang))
contact = city_settings().accessibility_contact
st.markdown(t("accessibility.contact", lang, contact=widgets.plain(contact)) if contact
            else t("accessibility.no_contact", lang))
st.caption(t("accessibility.reviewed", lang))
