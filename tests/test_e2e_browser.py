"""Tier 3: the dashboard in headless Chromium — every page in id and en, no exception, charts drawn, screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import registry
from base.i18n import t
from tests.conftest import browser_required
from tests.servers import free_port, streamlit, wait_healthy

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
README_SHOT = ROOT / "docs" / "img" / "overview.png"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
# page key -> (Vega charts drawn, other things that must be drawn); the address comes from the registry
DRAWN = {
    "overview": (1, None),
    "throughput": (4, None),
    "processing": (4, None),
    "map": (0, '[data-testid="stDeckGlJsonChart"] canvas'),
    "tourism": (2, None),
    "smartcity": (2, '[data-testid="stDataFrame"]'),
    "satisfaction": (4, '[data-testid="stDataFrame"]'),
    "data": (0, '[data-testid="stDataFrame"]'),
}
PAGES = {s.key: ("" if s.key == registry.DEFAULT else s.url_path, *DRAWN[s.key]) for s in registry.PAGES
         if s.key in DRAWN}
VEGA = ".vega-embed canvas, .vega-embed svg"
TIMEOUT = 120_000  # ms; the map's WebGL runs in software here and the machine is shared


@pytest.fixture(scope="module")
def server(sample_db: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    with streamlit({"PANTAU_DB": str(sample_db)}, drop=("PANTAU_BOUNDARIES",)) as base:
        yield base


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.foreign = []
        tab.on("request", lambda req: tab.foreign.append(req.url)
               if not req.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")) else None)
        yield tab
        browser.close()


def _open(tab: object, base: str, key: str, lang: str, *, close_dialogs: bool = True) -> None:
    path, charts, other = PAGES[key]
    tab.goto(f"{base}/{path}" + ("?lang=en" if lang == "en" else ""))
    title = t(f"{key}.title", lang)
    tab.wait_for_selector(f'.pantau-band h1:text-is("{title}")', timeout=TIMEOUT)
    if charts:
        tab.wait_for_function(f"() => document.querySelectorAll('{VEGA}').length >= {charts}", timeout=TIMEOUT)
    if other:
        tab.wait_for_selector(other, timeout=TIMEOUT)
    tab.wait_for_timeout(1500)  # let the last chart finish its first paint
    if close_dialogs:
        tab.keyboard.press("Escape")


def test_deep_link_on_a_fresh_server_runs_the_navigation(server: str, page: object) -> None:
    """The first request of a new server is a deep link: dashboard.py must still run (sidebar, language, filters),
    and Streamlit's stale "Page not found" dialog from its pages/ folder lookup must not stay on screen."""
    _open(page, server, "map", "en", close_dialogs=False)
    assert page.locator('[role="dialog"]').filter(has_text="Page not found").count() == 0
    assert page.locator(".pantau-brand").count() == 1
    assert page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').count() >= 6
    assert page.get_by_text(t("filters.title", "en"), exact=True).count() == 1


def test_a_mistyped_address_still_gets_the_not_found_notice(server: str, page: object) -> None:
    page.goto(f"{server}/no-such-page")
    page.wait_for_selector('[role="dialog"]:has-text("Page not found")', timeout=TIMEOUT)
    page.wait_for_timeout(1500)  # longer than the dismissal's first tick
    assert page.locator('[role="dialog"]').filter(has_text="Page not found").count() == 1
    page.keyboard.press("Escape")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_page_draws_without_exception(server: str, page: object, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for key, (_, charts, _other) in PAGES.items():
        _open(page, server, key, lang)
        assert page.locator('[data-testid="stException"]').count() == 0, f"{key}/{lang}: exception shown"
        assert page.locator(VEGA).count() >= charts, f"{key}/{lang}: charts not drawn"
        if key != "map":  # the whole page in one picture; the software-rendered map keeps the normal viewport
            height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            page.set_viewport_size({"width": 1400, "height": max(1000, min(height + 40, 5000))})
            page.wait_for_timeout(800)
        shot = SHOTS / f"{key}_{lang}.png"
        page.screenshot(path=str(shot), timeout=TIMEOUT)
        page.set_viewport_size({"width": 1400, "height": 1000})
        if key == "overview" and lang == "id" and os.environ.get("PANTAU_README_SCREENSHOT") == "1":
            shutil.copyfile(shot, README_SHOT)
    assert not page.foreign, f"requests left the server (the dashboard must work offline): {page.foreign[:3]}"


def _start_server(db: Path) -> tuple[subprocess.Popen, str]:
    """A new Streamlit process on a free loopback port, not waited for."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"], cwd=ROOT,
                            env={**os.environ, "PANTAU_DB": str(db)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("which", ["own", pytest.param("file", marks=pytest.mark.slow)])
def test_every_registry_address_typed_first_on_a_fresh_server_opens_the_app(sample_db: Path, page: object,
                                                                           which: str) -> None:
    """Each address of the page registry, as the very first request of a new server: the app frame is drawn around
    the right page, and no "Page not found" dialog appears. Every page's own address in the default run; the
    addresses made of the pages' file names (the same route through Streamlit) with -m slow."""
    browser = page.context.browser  # the module's browser: one Playwright per thread
    addresses = [(spec, address) for spec in registry.PAGES for address in sorted(registry.addresses(spec))
                 if (address == spec.url_path) == (which == "own")]
    upcoming = _start_server(sample_db)  # each server starts while the one before it is looked at
    try:
        for i, (spec, address) in enumerate(addresses):
            proc, base = upcoming
            try:
                wait_healthy(base, 60)
                upcoming = _start_server(sample_db) if i + 1 < len(addresses) else None
                tab = browser.new_page(viewport={"width": 1400, "height": 1000})
                tab.goto(f"{base}/{address}")
                if spec.key == "kiosk":
                    tab.wait_for_selector(".k-header", timeout=TIMEOUT)
                else:
                    tab.wait_for_selector(f'.pantau-band h1:text-is("{t(f"{spec.key}.title", "id")}")',
                                          timeout=TIMEOUT)
                    # the frame: sidebar and brand (drawn after the page's title when the machine is busy)
                    tab.wait_for_selector(".pantau-brand", timeout=TIMEOUT)
                    assert tab.locator(".pantau-brand").count() == 1, address
                tab.wait_for_timeout(1500)
                assert tab.locator('[role="dialog"]').filter(has_text="Page not found").count() == 0, address
                tab.close()
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    finally:
        if upcoming is not None and upcoming[0].poll() is None:
            upcoming[0].terminate()
            upcoming[0].wait(timeout=20)
