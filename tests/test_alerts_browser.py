"""Tier 3: the page Peringatan / Alerts in headless Chromium, Medan and Denpasar, both languages, signed in with the
analyst password, over a state file made by real runs that sent to local SMTP and HTTP servers (one run stopped
mid-send, so one message is in doubt, and one alert has a follow-up note). Visitors who are not signed in see no
request id. Screenshots in artifacts/screenshots/alerts_*.png; the e-mails and webhook bodies received in
artifacts/alerts/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alert_servers import secrets, servers, toml

from base import clock
from base.alerts import rules
from base.i18n import t
from etl.build import build
from etl.ingest.auth import hash_password
from kpi.alerts import channels, decide, parse_settings, run
from kpi.alerts.state import State
from kpi.db import Reader
from tests.axe_check import assert_accessible
from tests.conftest import browser_required
from tests.servers import streamlit

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
RECEIVED = ROOT / "artifacts" / "alerts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "kata-sandi-uji-123"
TIMEOUT = 120_000
PREFIX = {"medan": "MED-", "denpasar": "DPS-"}


def recipients(kantor: str) -> dict[str, list]:
    """A kantor camat's own e-mail and Telegram group, the population office's e-mail, the heads, the mayor's
    office (e-mail, webhook, WhatsApp), the data team (in English)."""
    return {f"unit:{kantor}": [f"email:camat-{kantor}@example.go.id", {"to": "telegram:-1001234", "lang": "id"}],
            "unit:DISDUKCAPIL": ["email:disdukcapil@example.go.id"],
            "head": ["email:asisten-pemerintahan@example.go.id"],
            "mayor_office": ["email:walikota@example.go.id", "webhook", "whatsapp:6281100000001"],
            "data_team": [{"to": "email:data@example.go.id", "lang": "en"}]}


class Crash(BaseException):
    """Stands in for a kill in the middle of a send (not an error a sender reports)."""


@pytest.fixture(scope="module", params=["medan", "denpasar"])
def app(request: pytest.FixtureRequest, sample_db: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    city = request.param
    work = tmp_path_factory.mktemp(f"alerts_{city}")
    if city == "medan":
        db = sample_db
    else:
        db = work / "denpasar.duckdb"
        build(db, rows=30_000, seed=7, city="denpasar", progress=lambda _m: None)
    state = work / "alerts.sqlite"
    mp = pytest.MonkeyPatch()
    mp.setenv("PANTAU_CITY", city)
    now = clock.now_local()
    held = decide(Reader(db), rules(), now)
    kantor = next(a.unit_code for a in held.alerts if a.unit_code and a.unit_code[0].isdigit())
    with servers() as (box, http, smtp_port):
        raw = secrets(http, smtp_port, recipients(kantor))
        raw["alerts"]["state"] = str(state)
        settings = parse_settings(raw, "secrets.toml")
        calls = []

        def crash_on_the_fourth(message: object, s: object) -> None:
            calls.append(message)
            if len(calls) == 4:
                raise Crash
            channels.send(message, s)

        with pytest.raises(Crash):
            run(Reader(db), rules(), settings, now, state, sender=crash_on_the_fourth)
        result = run(Reader(db), rules(), settings, now, state)
        assert len(result.in_doubt) == 1 and result.sent > 10 and not result.failed
        s = State.open(state)
        try:
            (episode,) = s.con.execute("SELECT id FROM episode WHERE unit = ? ORDER BY step LIMIT 1",
                                       (kantor,)).fetchone()
            s.acknowledge(episode, "Budi (Bagian Organisasi)", "Petugas loket dihubungi; diselesaikan Jumat.",
                          clock.now_local())
        finally:
            s.close()
        RECEIVED.mkdir(parents=True, exist_ok=True)
        for i, raw_mail in enumerate(box.raw[:3]):
            (RECEIVED / f"email_{city}_{i}.eml").write_bytes(raw_mail)
        (RECEIVED / f"webhook_{city}.json").write_text(json.dumps(http.calls("webhook")[:3], ensure_ascii=False,
                                                                  indent=2), encoding="utf-8")
    mp.undo()
    secrets_file = work / "secrets.toml"
    secrets_file.write_text(f'[upload]\npassword_hash = "{hash_password(PASSWORD)}"\n\n' + toml(raw),
                            encoding="utf-8")
    with streamlit({"PANTAU_DB": str(db), "PANTAU_CITY": city}, "--server.fileWatcherType", "none",
                   "--secrets.files", str(secrets_file)) as base:
        yield city, base


def _open(tab: object, base: str, lang: str) -> None:
    tab.goto(f"{base}/peringatan" + ("?lang=en" if lang == "en" else ""))
    tab.wait_for_selector(f'.pantau-band h1:text-is("{t("alerts.title", lang)}")', timeout=TIMEOUT)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_alerts_page_signed_in(app: tuple[str, str], lang: str) -> None:
    from playwright.sync_api import sync_playwright

    city, base = app
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        foreign: list[str] = []
        tab.on("request", lambda req: foreign.append(req.url)
               if not req.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")) else None)
        _open(tab, base, lang)
        tab.locator(".st-key-alerts_password input").fill(PASSWORD)
        tab.keyboard.press("Enter")
        tab.wait_for_selector('[data-testid="stDataFrame"]', timeout=TIMEOUT)
        tab.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=TIMEOUT)
        tab.wait_for_timeout(2000)
        assert tab.locator('[data-testid="stException"]').count() == 0
        body = tab.locator('[data-testid="stMain"]').inner_text()
        assert t("alerts.page.in_doubt", lang, n=1)[:40] in body
        assert t("alerts.page.history", lang) in body
        described = tab.locator(".vega-embed [aria-label], .vega-embed[aria-label]").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label'))")
        assert any(t("chart.alerts.axis", lang).lower() in (d or "").lower() for d in described), described
        assert_accessible(tab, f"{city}/{lang}/peringatan, signed in", lang)
        height = tab.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        tab.set_viewport_size({"width": 1400, "height": max(1000, min(height + 40, 6000))})
        tab.wait_for_timeout(1500)
        tab.screenshot(path=str(SHOTS / f"alerts_{city}_{lang}.png"))
        browser.close()
    assert not foreign, foreign[:3]


def test_not_signed_in_the_page_shows_no_request(app: tuple[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    city, base = app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        _open(tab, base, "id")
        tab.wait_for_selector(".st-key-alerts_password input", timeout=TIMEOUT)
        tab.wait_for_timeout(1500)
        assert PREFIX[city] not in tab.content()
        assert tab.locator('[data-testid="stDataFrame"]').count() == 0
        tab.screenshot(path=str(SHOTS / f"alerts_{city}_public.png"))
        browser.close()
