"""Tier 3: the page Peringatan / Alerts through AppTest — closed to visitors who are not signed in (no request id
reaches them), and for a signed-in user in both languages: the alerts that hold now with their statuses in words and
symbols, the chart's text alternative, the requests behind an alert, a follow-up note and an in-doubt check recorded
in the state file with who and when."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from base import clock
from base.alerts import rules
from base.i18n import t
from etl.ingest.auth import hash_password
from kpi.alerts import decide, run
from kpi.alerts.state import Message, State
from kpi.db import Reader

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "kata-sandi-uji-123"


def _page(state: Path, lang: str, *, password: bool = True, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    if password:
        at.secrets["upload"] = {"password_hash": hash_password(PASSWORD)}
    at.secrets["alerts"] = {"dashboard_url": "https://pantau.example.go.id", "state": str(state)}
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/alerts.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _sign_in(at: AppTest) -> AppTest:
    at.text_input(key="alerts_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    out = [str(e.value) for kind in ("subheader", "markdown", "caption", "info", "warning", "error", "success")
           for e in at.get(kind)]
    out += [e.proto.body for e in at.get("html")]
    out += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(out)


@pytest.fixture
def state(app_env: Path, tmp_path: Path) -> Path:
    """A state file recorded by a real run over the sample database at now (nobody configured: no message), with one
    message left in doubt, as a run killed mid-send leaves it."""
    path = tmp_path / "alerts.sqlite"
    run(Reader(app_env), rules(), None, clock.now_local(), path)
    s = State.open(path)
    try:
        (episode,) = s.con.execute("SELECT id FROM episode ORDER BY id LIMIT 1").fetchone()
        stamp = clock.now_local().strftime("%Y-%m-%d %H:%M:%S")
        m = Message("pantau-test-doubt", stamp, "overdue", "overdue", "12.71.11", 0, "webhook", "webhook", "id",
                    "Kantor Camat: 3 permohonan", {"id": "pantau-test-doubt"}, 3, 3, ["A", "B", "C"], "queued", 0,
                    None, None)
        with s.transaction():
            s.enqueue(m, episode, [])
        s.sending(m.id, clock.now_local())
        s.mark_in_doubt(clock.now_local())
    finally:
        s.close()
    return path


def test_visitors_not_signed_in_see_no_request(app_env: Path, tmp_path: Path) -> None:
    for password in (False, True):
        at = _page(tmp_path / "s.sqlite", "id", password=password)
        text = _text(at)
        assert "MED-" not in text and not at.dataframe and not at.get("vega_lite_chart")
        if not password:
            assert t("alerts.no_auth", "id") in text  # says how to set sign-in up
        else:
            assert at.text_input(key="alerts_password")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_signed_in_the_page_shows_the_alerts_their_requests_and_their_state(app_env: Path, state: Path,
                                                                           lang: str) -> None:
    at = _sign_in(_page(state, lang))
    decision = decide(Reader(app_env), rules(), clock.now_local().replace(second=0))
    overdue = [a for a in decision.alerts if a.kind == "overdue"]
    assert overdue
    text = _text(at)
    assert t("alerts.page.open", lang, n=len(decision.alerts)) in text
    table = at.dataframe[0].value
    assert len(table) == len(decision.alerts)
    # statuses are words with a symbol: recorded by the run, nobody configured, one in doubt
    notices = {s[0] for s in table["status_label"]}
    assert notices <= {"–", "⚠"} and "⚠" in notices
    assert t("alerts.page.in_doubt", lang, n=1) in text
    (spec,) = [e.proto.spec for e in at.get("vega_lite_chart")]
    import json

    description = json.loads(spec)["description"]
    total = sum(len(a.items) for a in overdue)
    assert str(total) in description.replace(".", "").replace(",", "")
    assert ("permohonan lewat tenggat" if lang == "id" else "requests past their deadline") in description
    # the requests behind the first alert of the table (the most pressing), with the columns the issue names
    first = next(a for a in decision.alerts if "|".join(map(str, a.key)) == at.selectbox(key="alerts_pick").value)
    items = at.dataframe[1].value
    assert list(items["request_id"]) == first.ids
    assert list(items.columns) == ["request_id", "service", "kecamatan", "submitted_at", "due_at",
                                   "working_days_over"]
    assert {b.proto.label for b in at.get("download_button")} >= {t("app.download_csv", lang),
                                                                 t("app.download_xlsx", lang)}
    history = at.dataframe[2].value
    assert len(history) >= len(decision.alerts)


def test_a_follow_up_and_a_check_are_recorded_with_who_and_when(app_env: Path, state: Path) -> None:
    at = _sign_in(_page(state, "id"))
    at.text_input(key="alerts_ack_by").input("Budi (Bagian Organisasi)")
    at.text_area(key="alerts_ack_note").input("Petugas loket dihubungi; selesai Jumat.")
    at.button(key="FormSubmitter:alerts_ack-Tandai ditindaklanjuti").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("alerts.page.recorded", "id") in _text(at)
    assert "Budi (Bagian Organisasi)" in at.dataframe[0].value.to_csv()
    at.text_input(key="alerts_check_by_pantau-test-doubt").input("Sari")
    at.text_input(key="alerts_check_note_pantau-test-doubt").input("Diterima pukul 10.15")
    at.button(key="FormSubmitter:alerts_check_pantau-test-doubt-Tandai sudah diperiksa").click().run()
    assert not at.exception
    con = sqlite3.connect(state)
    try:
        ack = con.execute("SELECT by, note, at FROM ack").fetchall()
        check = con.execute("SELECT status, checked_by, check_note FROM outbox WHERE id = 'pantau-test-doubt'"
                            ).fetchone()
    finally:
        con.close()
    assert [(b, n) for b, n, _ in ack] == [("Budi (Bagian Organisasi)", "Petugas loket dihubungi; selesai Jumat.")]
    assert datetime.fromisoformat(ack[0][2]).date() == clock.now_local().date()
    assert check == ("checked", "Sari", "Diterima pukul 10.15")
    assert t("alerts.page.in_doubt", "id", n=1) not in _text(at)


def test_the_link_in_a_message_opens_the_unit(app_env: Path, state: Path) -> None:
    """?unit= (the link every message carries) narrows the page to that unit."""
    decision = decide(Reader(app_env), rules(), clock.now_local().replace(second=0))
    unit = next(a.unit_code for a in decision.alerts if a.unit_code)
    at = _sign_in(_page(state, "en", unit=unit))
    shown = at.dataframe[0].value
    assert len(shown) == sum(a.unit_code == unit for a in decision.alerts)
    assert at.selectbox(key="alerts_unit").value == unit
