"""App layer: the analyst's sign-in for the upload page — the city's identity provider (st.login, OIDC) or one shared
password kept as a scrypt hash in .streamlit/secrets.toml."""

from __future__ import annotations

import streamlit as st

from base.i18n import t
from etl.ingest.auth import verify_password


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in ("auth", "upload") if k in st.secrets}
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return {}


def signed_in(language: str) -> bool:
    """Whether an analyst is signed in; draws the sign-in (or how to configure it) when not."""
    secrets = _secrets()
    if "auth" in secrets:  # the city's identity provider (OIDC)
        if st.user.is_logged_in:
            st.sidebar.button(t("upload.sign_out", language), key="upload_logout", on_click=st.logout)
            return True
        st.button(t("upload.sign_in_sso", language), key="upload_login", on_click=st.login)
        return False
    stored = secrets.get("upload", {}).get("password_hash")
    if not stored:
        st.warning(t("upload.no_auth", language))
        return False
    if st.session_state.get("upload_ok"):
        return True
    with st.form("upload_signin"):
        password = st.text_input(t("upload.password", language), type="password", key="upload_password")
        if st.form_submit_button(t("upload.sign_in", language)):
            if verify_password(password, stored):
                st.session_state["upload_ok"] = True
                st.rerun()
            st.error(t("upload.wrong_password", language))
    return False
