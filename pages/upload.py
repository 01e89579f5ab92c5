"""Page layer: Upload — analyst sign-in, preview with column mapping, validation report, strict/partial load, undo."""

from __future__ import annotations

import streamlit as st

from app import alerts, auth, reads, upload, urlstate, widgets
from app.nav import frame
from base.i18n import t
from base.settings import db_path
from etl.ingest import load_file, rollback
from kpi import fmt, queries

frame()  # run alone (a fresh server's first address), this opens the app around it

lang = urlstate.lang()
widgets.page_header("upload", lang)

if auth.signed_in(lang):
    st.markdown(t("upload.intro", lang))
    db = db_path()
    dataset = st.radio(t("upload.dataset", lang), upload.datasets(), horizontal=True, key="upload_dataset",
                       format_func=lambda d: t(f"upload.dataset_{d}", lang))
    received = upload.received_file(lang)
    chosen = upload.preview_and_mapping(received[0], dataset, lang) if received else None
    if received and chosen:
        (path, name), (mapping, options) = received, chosen
        if st.button(t("upload.validate", lang), key="upload_validate"):
            st.session_state["upload_check"] = load_file(db, dataset, path, dry_run=True, mapping=mapping,
                                                         file_name=name, options=options)
        check = st.session_state.get("upload_check")
        if check is not None and check.file_name == name:
            widgets.load_report(check, t("upload.report", lang), lang)
            partial = st.radio(t("upload.mode", lang), [False, True], key="upload_partial",
                               format_func=lambda p: t("upload.mode_partial" if p else "upload.mode_strict", lang))
            if st.button(t("upload.load", lang), key="upload_load", type="primary"):
                res = load_file(db, dataset, path, partial=partial, source="upload", mapping=mapping,
                                file_name=name, options=options)
                if res.status == "loaded":
                    st.success(t("upload.loaded", lang, rows=fmt.number(res.rows_loaded, lang),
                                 load_id=res.load_id, rejected=fmt.number(res.rows_rejected, lang)))
                    alerts.after_load(lang)
                elif res.status == "unchanged":
                    st.info(t("upload.unchanged", lang, load_id=res.load_id))
                else:
                    widgets.load_report(res, "result", lang)
                    st.error(t("upload.rejected", lang))
    st.subheader(t("upload.history", lang))
    if db.exists():
        st.dataframe(reads.read(queries.load_history, 20), hide_index=True, width="stretch", key="upload_history")
        latest = reads.read(queries.undoable_load)
        if latest is not None and st.button(t("upload.undo", lang, load_id=latest), key="upload_undo"):
            outcome = rollback(db, latest)
            (st.success if outcome.ok else st.error)(outcome.message(lang))
