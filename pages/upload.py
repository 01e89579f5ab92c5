"""Page layer: Upload — analyst sign-in, preview with column mapping, validation report, strict/partial load, undo."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from base.i18n import t
from base.settings import db_path
from etl.ingest import load_file, rollback
from etl.ingest.auth import verify_password
from etl.ingest.preview import history, preview, undoable
from kpi import export, fmt, ui

MAX_MB = 200
lang = ui.lang()
ui.page_header("upload", lang)


def plain(text: str) -> str:
    """File content (column names, values) shown in a message: markdown characters escaped, so it stays text."""
    return "".join("\\" + c if c in "\\`*_[]()<>#!|{}~$:" else c for c in str(text))


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in ("auth", "upload") if k in st.secrets}
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return {}


def signed_in() -> bool:
    secrets = _secrets()
    if "auth" in secrets:  # the city's identity provider (OIDC)
        if st.user.is_logged_in:
            st.sidebar.button(t("upload.sign_out", lang), key="upload_logout", on_click=st.logout)
            return True
        st.button(t("upload.sign_in_sso", lang), key="upload_login", on_click=st.login)
        return False
    stored = secrets.get("upload", {}).get("password_hash")
    if not stored:
        st.warning(t("upload.no_auth", lang))
        return False
    if st.session_state.get("upload_ok"):
        return True
    with st.form("upload_signin"):
        password = st.text_input(t("upload.password", lang), type="password", key="upload_password")
        if st.form_submit_button(t("upload.sign_in", lang)):
            if verify_password(password, stored):
                st.session_state["upload_ok"] = True
                st.rerun()
            st.error(t("upload.wrong_password", lang))
    return False


def report(result, label: str) -> None:
    st.subheader(label)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("upload.rows_read", lang), fmt.number(result.rows_read, lang))
    c2.metric(t("upload.rows_valid", lang), fmt.number(max(result.rows_read - result.rows_rejected, 0), lang))
    c3.metric(t("upload.rows_invalid", lang), fmt.number(result.rows_rejected, lang))
    for w in result.warnings:
        st.caption(plain(w.reason(lang)))
    if result.errors:
        errors = pd.DataFrame([{t("upload.line", lang): p.line, t("upload.column", lang): p.column,
                                t("upload.reason", lang): p.reason(lang)} for p in result.errors])
        # the first problems in full (table cells cut long messages), then the first hundred as a table
        for p in result.errors[:3]:
            where = t("upload.where", lang, line=p.line if p.line is not None else "–", column=p.column or "–")
            st.error(plain(f"{where}: {p.reason(lang)}"), icon=":material/error:")
        reason_col = st.column_config.TextColumn(t("upload.reason", lang), width="large")
        st.dataframe(errors.head(100), hide_index=True, width="stretch", key=f"upload_errors_{label}",
                     column_config={t("upload.reason", lang): reason_col})
        st.download_button(t("upload.errors_download", lang), export.to_csv(errors),
                           file_name="pantau_errors.csv", mime="text/csv", key=f"upload_errors_csv_{label}")
    elif result.ok:
        st.success(t("upload.all_valid", lang))


if signed_in():
    st.markdown(t("upload.intro", lang))
    db = db_path()
    dataset = st.radio(t("upload.dataset", lang), ["service_requests", "tourism"], horizontal=True,
                       key="upload_dataset", format_func=lambda d: t(f"upload.dataset_{d}", lang))
    up = st.file_uploader(t("upload.file", lang, mb=MAX_MB), type=["csv", "tsv", "txt", "xlsx"], key="upload_file")
    if up is not None and up.size > MAX_MB * 2**20:
        st.error(t("upload.too_big", lang, mb=MAX_MB))
    elif up is not None:
        folder = Path(tempfile.gettempdir()) / "pantau-uploads"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / f"{up.file_id}{Path(up.name).suffix.lower()}"
        if not path.exists():
            path.write_bytes(up.getvalue())
        pv = preview(path, dataset)
        st.subheader(t("upload.preview", lang))
        if pv.error:
            st.error(plain(f"{t('upload.file_error', lang)}: {t('ingest.error.' + pv.error, lang, **pv.error_values)}"))
        else:
            c1, c2, c3 = st.columns(3)
            c1.metric(t("upload.encoding", lang), pv.encoding)
            c2.metric(t("upload.delimiter", lang), pv.delimiter or "-")
            c3.metric(t("upload.date_order", lang), pv.date_order or "-", help=t("upload.date_order_value", lang))
            for column, why in pv.dropped.items():
                st.info(t("upload.dropped", lang, column=plain(column), reason=t(f"ingest.dropped.{why}", lang)))
            st.dataframe(pv.rows, hide_index=True, width="stretch", key="upload_preview")
            st.markdown(f"**{t('upload.mapping', lang)}** — {t('upload.mapping_help', lang)}")
            choices = [c for c in pv.header if c not in pv.dropped]
            grid = pd.DataFrame({"field": list(pv.mapping), "column": list(pv.mapping.values())})
            edited = st.data_editor(grid, hide_index=True, key=f"upload_mapping_{dataset}", disabled=["field"],
                                    column_config={
                                        "field": st.column_config.TextColumn(t("upload.field", lang)),
                                        "column": st.column_config.SelectboxColumn(t("upload.column", lang),
                                                                                   options=choices)})
            mapping = {r.field: (r.column or None) for r in edited.itertuples()}
            options = {"max_errors": 100_000}
            if dataset == "tourism":
                indicator = st.text_input(t("upload.indicator", lang), key="upload_indicator").strip()
                if indicator:
                    options["indicator"] = indicator
            if st.button(t("upload.validate", lang), key="upload_validate"):
                st.session_state["upload_check"] = load_file(db, dataset, path, dry_run=True, mapping=mapping,
                                                             file_name=up.name, options=options)
            check = st.session_state.get("upload_check")
            if check is not None and check.file_name == up.name:
                report(check, t("upload.report", lang))
                partial = st.radio(t("upload.mode", lang), [False, True], key="upload_partial",
                                   format_func=lambda p: t("upload.mode_partial" if p else "upload.mode_strict", lang))
                if st.button(t("upload.load", lang), key="upload_load", type="primary"):
                    res = load_file(db, dataset, path, partial=partial, source="upload", mapping=mapping,
                                    file_name=up.name, options=options)
                    if res.status == "loaded":
                        st.success(t("upload.loaded", lang, rows=fmt.number(res.rows_loaded, lang),
                                     load_id=res.load_id, rejected=fmt.number(res.rows_rejected, lang)))
                    elif res.status == "unchanged":
                        st.info(t("upload.unchanged", lang, load_id=res.load_id))
                    else:
                        report(res, "result")
                        st.error(t("upload.rejected", lang))
    st.subheader(t("upload.history", lang))
    if db.exists():
        loads = history(db)
        st.dataframe(loads, hide_index=True, width="stretch", key="upload_history")
        latest = undoable(loads)
        if latest is not None and st.button(t("upload.undo", lang, load_id=latest), key="upload_undo"):
            outcome = rollback(db, latest)
            (st.success if outcome.ok else st.error)(outcome.message(lang))
