"""App layer: the sign-in of the pages that are not public (the upload page, the alerts page) — the city's identity
provider (st.login, OIDC) or one shared analyst password kept as a scrypt hash in .streamlit/secrets.toml. One
sign-in opens every such page for the session; public pages and the kiosk never ask for it and never show what it
guards."""

from __future__ import annotations

import streamlit as st

from base.i18n import t
from etl.ingest.auth import verify_password

SIGNED_IN = "pantau_signed_in"  # session flag set by the shared password


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in ("auth", "upload") if k in st.secrets}
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return {}


def signed_in(language: str, page: str = "upload") -> bool:
    """Whether someone is signed in; draws the sign-in (or how to configure it: `<page>.no_auth`) when not. Widget
    keys are `<page>_login`, `<page>_password`, … so each page has its own."""
    secrets = _secrets()
    if "auth" in secrets:  # the city's identity provider (OIDC)
        if st.user.is_logged_in:
            st.sidebar.button(t("upload.sign_out", language), key=f"{page}_logout", on_click=st.logout)
            return True
        st.button(t("upload.sign_in_sso", language), key=f"{page}_login", on_click=st.login)
        return False
    stored = secrets.get("upload", {}).get("password_hash")
    if not stored:
        st.warning(t(f"{page}.no_auth", language))
        return False
    if st.session_state.get(SIGNED_IN):
        return True
    with st.form(f"{page}_signin"):
        password = st.text_input(t("upload.password", language), type="password", key=f"{page}_password")
        if st.form_submit_button(t("upload.sign_in", language)):
            if verify_password(password, stored):
                st.session_state[SIGNED_IN] = True
                st.rerun()
            st.error(t("upload.wrong_password", language))
    return False


def who() -> str | None:
    """Who is signed in, as the identity provider names them (e-mail, else name); None with the shared password,
    which names nobody."""
    if "auth" in _secrets() and st.user.is_logged_in:
        return str(st.user.get("email") or st.user.get("name") or "") or None
    return None
