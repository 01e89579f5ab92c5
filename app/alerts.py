"""App layer: the pieces of the page Peringatan / Alerts — the [alerts] settings from the app's secrets, the alert
state file beside the database (read, and written only to record a follow-up or a checked message, with who and
when), and the tables and forms the page shows. The page itself stays a list of steps (pages/alerts.py)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app import auth, widgets
from base import clock
from base.alerts import rules
from base.i18n import t
from base.settings import db_path
from kpi.alerts import AlertConfigError, AlertSettings, State, default_path, parse_settings, run, view
from kpi.alerts.decide import Alert, items_frame
from kpi.alerts.state import Message
from kpi.db import Reader


def settings(language: str) -> tuple[AlertSettings | None, str | None]:
    """(the [alerts] settings or None when there are none, the reason they cannot be used)."""
    try:
        raw = st.secrets["alerts"].to_dict() if "alerts" in st.secrets else None
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        raw = None
    if raw is None:
        return None, None
    try:
        return parse_settings({"alerts": raw}, ".streamlit/secrets.toml"), None
    except AlertConfigError as exc:
        return None, exc.message(language)


def after_load(language: str) -> None:
    """After a successful upload, when [alerts] is configured: one alerts run on a thread of its own (the page does
    not wait for mail servers). Its state file lock keeps it from doubling a cron run; a failure is only logged: the
    cron run 15 minutes later tries again."""
    configured, problem = settings(language)
    if configured is None or problem:
        return
    db = db_path()

    def work() -> None:
        try:
            run(Reader(db), rules(), configured, clock.now_local(), configured.state_path(db))
        except Exception:  # a background thread: report, never raise into nothing
            logging.getLogger(__name__).exception("alerts after an upload")

    threading.Thread(target=work, name="pantau-alerts-after-load", daemon=True).start()
    st.caption(t("alerts.page.after_load", language))


def state_path(s: AlertSettings | None) -> Path:
    return s.state_path(db_path()) if s else default_path(db_path())


def now() -> datetime:
    """The city's time to the minute (so the page's evaluation is cached for a minute)."""
    return clock.now_local().replace(second=0)


def remembered(path: Path) -> tuple[list[dict[str, Any]], list[Message], dict[str, Any] | None]:
    """(episodes, messages, last run) from the state file; nothing when no run has made it yet."""
    state = State.read(path)
    if state is None:
        return [], [], None
    try:
        return state.episodes(), state.messages(limit=2000), state.last_run()
    finally:
        state.close()


WIDE = {"unit": "medium", "ack": "large", "title": "large", "last_error": "medium", "rule": "medium"}


def _columns(keys: list[str], language: str) -> dict[str, Any]:
    return {k: st.column_config.TextColumn(t(f"alerts.page.col.{k}", language), width=WIDE.get(k)) for k in keys}


def table(frame: pd.DataFrame, keys: list[str], name: str, language: str) -> None:
    """Some columns of a frame, headed in the reader's language."""
    st.dataframe(frame[keys], hide_index=True, width="stretch", key=f"alerts_{name}",
                 column_config=_columns(keys, language))


def in_doubt(messages: list[Message], path: Path, language: str) -> None:
    """Messages a run stopped while sending: they may have left or not. Each says so, and a signed-in person records
    what they found out with the receiver."""
    doubtful = [m for m in messages if m.status == "in_doubt"]
    if not doubtful:
        return
    st.warning(t("alerts.page.in_doubt", language, n=len(doubtful)), icon=":material/help:")
    for m in doubtful:
        with st.expander(f"⚠ {m.title} → {m.recipient} ({view.when(m.created_at, language)})"):
            st.caption(t("alerts.page.in_doubt_id", language, id=m.id, channel=m.channel))
            with st.form(f"alerts_check_{m.id}"):
                by = _who_field(language, f"alerts_check_by_{m.id}")
                note = st.text_input(t("alerts.page.check_note", language), key=f"alerts_check_note_{m.id}")
                if st.form_submit_button(t("alerts.page.check", language)) and _record(
                        lambda s, b=by, n=note, i=m.id: s.check(i, b, n, now()), by, note, path, language):
                    st.rerun()


def _who_field(language: str, key: str) -> str:
    name = auth.who()
    if name:
        st.caption(t("alerts.page.as", language, name=name))
        return name
    return st.text_input(t("alerts.page.by", language), key=key, help=t("alerts.page.by_help", language)).strip()


def _record(write: Any, by: str, note: str, path: Path, language: str) -> bool:
    if not by or not note.strip():
        st.error(t("alerts.page.need_both", language))
        return False
    state = State.open(path)
    try:
        write(state)
    finally:
        state.close()
    st.session_state["alerts_recorded"] = True  # said once the page is drawn again with the note in it
    return True


def recorded(language: str) -> None:
    if st.session_state.pop("alerts_recorded", False):
        st.success(t("alerts.page.recorded", language), icon=":material/check:")


def requests(alert: Alert, services: dict[str, str], kecamatan: dict[str, str], language: str) -> None:
    """The items behind one alert (for requests: id, service, kecamatan, submitted, due, working days over), with
    their download."""
    frame = items_frame(alert, services, kecamatan)
    labels = {c: t(f"alerts.page.item.{c}", language) for c in frame.columns
              if f"alerts.page.item.{c}" in _known()}
    st.dataframe(frame, hide_index=True, width="stretch", key=f"alerts_items_{alert.rule}",
                 column_config={c: st.column_config.Column(label) for c, label in labels.items()})
    widgets.downloads(frame, f"alert_{alert.rule}_{alert.unit_code or 'city'}_{alert.step + 1}", "alerts", language)


def _known() -> set[str]:
    from base.i18n import catalog

    return set(catalog())


def follow_up(row: pd.Series, path: Path, language: str) -> None:
    """Record that the alert is being followed up ("ditindaklanjuti"), with a note, who and when (state file)."""
    if row["episode"] is None or pd.isna(row["episode"]):
        st.info(t("alerts.page.unprocessed", language))
        return
    with st.form("alerts_ack"):
        by = _who_field(language, "alerts_ack_by")
        note = st.text_area(t("alerts.page.note", language), key="alerts_ack_note", max_chars=500)
        episode = int(row["episode"])
        if st.form_submit_button(t("alerts.page.ack", language), type="primary") and _record(
                lambda s: s.acknowledge(episode, by, note.strip(), now()), by, note, path, language):
            st.rerun()
