"""Tier 3: accessibility in headless Chromium, for every city pack — axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA)
in every frame of every registry address in both languages and on every kiosk view; the document's language; a name
on every chart, map and data grid that is not Vega's "Vega visualization"; the sidebar walked with Tab; text that
reflows at 320 px. Screenshots under simulated colour-vision deficiencies with PANTAU_A11Y_SHOTS=1.

axe-core comes from npm (tests/axe/package.json, pinned in its package-lock.json), installed by .ci/run with `npm ci`:
nothing is fetched while the tests run. The pages come from app/registry.py, so a new page is checked as it is added.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import registry
from base.i18n import t
from etl.build import build
from kpi.kiosk import VIEWS
from tests.axe_check import AXE, NAMED, NAMES, check_page
from tests.conftest import SAMPLE_ROWS, browser_required
from tests.servers import streamlit

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "artifacts" / "accessibility"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PACKS = ("medan", "denpasar")
LANGS = ("id", "en")
TIMEOUT = 120_000  # ms; the map's WebGL runs in software here and the machine is shared
DASHBOARD = [s for s in registry.PAGES if s.key != "kiosk"]
READY = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"]')) return false;
  return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('svg, canvas'))
    && [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')].every(c => c.querySelector('canvas'));
}"""
def _need_tools() -> None:
    missing = [str(p) for p in (Path(CHROMIUM), AXE) if not p.exists()]
    if missing:
        why = f"missing {', '.join(missing)} (axe-core: npm ci --prefix tests/axe)"
        if browser_required():
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def packs(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One Streamlit server per city pack on 127.0.0.1 (Medan on the shared sample database, Denpasar on its own)."""
    _need_tools()
    dbs = {"medan": sample_db}
    for pack in PACKS[1:]:
        dbs[pack] = tmp_path_factory.mktemp(pack) / "pantau.duckdb"
        build(dbs[pack], rows=SAMPLE_ROWS, seed=42, city=pack, progress=lambda _msg: None)
    with contextlib.ExitStack() as stack:
        yield {pack: stack.enter_context(streamlit({"PANTAU_DB": str(db), "PANTAU_CITY": pack},
                                                   drop=("PANTAU_BOUNDARIES",)))
               for pack, db in dbs.items()}


@pytest.fixture(scope="module")
def browser(packs: dict[str, str]) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, object]]:
    """Every page's axe results (WCAG violations and best-practice findings), written for the record."""
    out: dict[str, object] = {}
    yield out
    OUT.mkdir(parents=True, exist_ok=True)
    previous = json.loads((OUT / "axe.json").read_text()) if (OUT / "axe.json").exists() else {}
    (OUT / "axe.json").write_text(json.dumps({**previous, **out}, indent=1, ensure_ascii=False))


def _url(base: str, spec: registry.PageSpec, lang: str) -> str:
    return f"{base}/{spec.url_path}" + ("?lang=en" if lang == "en" else "")


def _kiosk_url(base: str, view: str, lang: str) -> str:
    return f"{base}/kiosk?views={view}&lang={lang}&rotate=600&refresh=3600"


def _settle(tab: object, spec: registry.PageSpec | None, lang: str, view: str | None = None) -> None:
    if view is not None:
        tab.wait_for_selector(f'.k-header[data-view="{view}"]', timeout=TIMEOUT)
    else:
        tab.wait_for_selector(f'.pantau-band h1:text-is("{t(f"{spec.key}.title", lang)}")', timeout=TIMEOUT)
    tab.wait_for_function(READY, timeout=TIMEOUT)
    tab.wait_for_timeout(600)  # the last chart's first paint, and vega-embed's label
    tab.wait_for_function(READY, timeout=TIMEOUT)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pack", PACKS)
def test_every_page_and_kiosk_view_passes_axe(browser: object, packs: dict[str, str], results: dict[str, object],
                                             pack: str, lang: str) -> None:
    """Zero axe violations of WCAG 2.0–2.2 A/AA, the page's language on <html>, and a name on every chart, map and
    grid: every registry address and every kiosk view, in this language, for this city pack."""
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    checked = 0
    for spec in DASHBOARD:
        tab.goto(_url(packs[pack], spec, lang))
        _settle(tab, spec, lang)
        problems += check_page(tab, f"{pack}/{lang}/{spec.url_path}", lang, results)
        checked += 1
    kiosk = browser.new_page(viewport={"width": 1920, "height": 1080})
    for view in VIEWS:
        kiosk.goto(_kiosk_url(packs[pack], view, lang))
        _settle(kiosk, None, lang, view)
        problems += check_page(kiosk, f"{pack}/{lang}/kiosk/{view}", lang, results)
        checked += 1
    kiosk.close()
    tab.close()
    assert checked == len(DASHBOARD) + len(VIEWS)
    assert not problems, "\n".join(problems)


def test_names_are_the_charts_own_sentences(browser: object, packs: dict[str, str]) -> None:
    """The overview's index chart is announced by the sentence its builder made from its rows, in the page's
    language, and every grid of the data page is named by what it holds."""
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    overview, data = registry.BY_KEY["overview"], registry.BY_KEY["data"]
    for lang, start in (("id", "Indeks layanan per kecamatan: tertinggi "), ("en", "Service index per kecamatan")):
        tab.goto(_url(packs["medan"], overview, lang))
        _settle(tab, overview, lang)
        names = [n["name"] for n in tab.evaluate(NAMES, NAMED) if n["kind"] == "chart"]
        assert any(n.startswith(start) for n in names), names
    tab.goto(_url(packs["medan"], data, "id"))
    _settle(tab, data, "id")
    grids = [n["name"] for n in tab.evaluate(NAMES, NAMED) if n["kind"] == "grid"]
    assert t("grid.dictionary", "id") in grids and t("grid.sources", "id") in grids
    tab.close()


FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const ring = e => { const cs = getComputedStyle(e);
    return (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== 'none'; };
  const box = el.closest('[data-baseweb="select"], [data-baseweb="input"]');
  const r = el.getBoundingClientRect();
  return {inSidebar: !!el.closest('[data-testid="stSidebar"]'), tag: el.tagName,
          label: (el.getAttribute('aria-label') || el.innerText || el.getAttribute('href') || '').trim().slice(0, 60),
          visible: ring(el) || (box !== null && ring(box)), shown: r.width > 0 && r.height > 0,
          top: Math.round(r.top + window.scrollY)};
}"""


def test_tab_walks_the_sidebar_in_order_with_visible_focus(browser: object, packs: dict[str, str]) -> None:
    """From the top of the page, Tab reaches every page link, the language switch, each filter and the reset button
    in the order they are drawn, each with a visible focus ring, and goes on into the page (no keyboard trap); a
    filter is then changed with the keyboard alone."""
    spec = registry.BY_KEY["overview"]
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab.goto(_url(packs["medan"], spec, "id"))
    _settle(tab, spec, "id")
    stops = []
    for _ in range(40):
        tab.keyboard.press("Tab")
        here = tab.evaluate(FOCUS)
        if here is None:
            continue
        stops.append(here)
        if not here["inSidebar"] and any(s["inSidebar"] for s in stops):
            break
    sidebar = [s for s in stops if s["inSidebar"]]
    labels = [s["label"] for s in sidebar]
    links = [t(f"nav.{s.key}", "id") for s in registry.PAGES if s.in_sidebar and s.key != spec.key]
    wanted = [*links, t("filters.period", "id"), t("filters.kecamatan", "id"), t("filters.service", "id"),
              t("filters.reset", "id")]
    # each wanted control after the one before it (a page link and a filter may share a word: Layanan)
    at, missed = -1, []
    for w in wanted:
        at = next((i for i in range(at + 1, len(labels)) if w in labels[i]), None)
        if at is None:
            missed.append(w)
            at = len(labels)
    assert not missed, f"not reached with Tab, or out of order: {missed} (reached: {labels})"
    assert any("Bahasa Indonesia" in label or "English" in label for label in labels), labels
    unseen = [s["label"] for s in sidebar if not (s["visible"] and s["shown"])]
    assert not unseen, f"focused without a visible focus ring: {unseen}"
    assert not stops[-1]["inSidebar"], "Tab never left the sidebar (a keyboard trap)"

    # the period filter, by keyboard alone: focus it, open it, pick the next preset, and the address follows
    while tab.evaluate(FOCUS)["label"] != t("filters.period", "id"):
        tab.keyboard.press("Shift+Tab")
    tab.keyboard.press("Enter")
    tab.keyboard.press("ArrowDown")
    tab.keyboard.press("Enter")
    tab.wait_for_function("() => new URL(location.href).searchParams.get('period') === 'month'", timeout=TIMEOUT)
    tab.close()


OVERFLOW = """() => {
  const se = document.scrollingElement;
  // text that needs a sideways scroll: the page itself, or a text block wider than the window (data grids and the
  // map scroll inside their own frame, which WCAG 1.4.10 allows for tables and maps)
  const wide = [...document.querySelectorAll('[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"],'
    + ' .pantau-band, [data-testid="stMetric"], [data-testid="stHeadingWithActionElements"]')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 1).map(e => e.innerText.slice(0, 60));
  return {page: se.scrollWidth - innerWidth, wide};
}"""


@pytest.mark.parametrize("pack", PACKS)
def test_pages_reflow_at_320_px(browser: object, packs: dict[str, str], pack: str) -> None:
    """At 320 CSS px (a phone, or 1280 px at 400 % zoom) no page scrolls sideways and no text runs off the screen."""
    tab = browser.new_page(viewport={"width": 320, "height": 720})
    problems = []
    for spec in DASHBOARD:
        tab.goto(_url(packs[pack], spec, "id"))
        _settle(tab, spec, "id")
        got = tab.evaluate(OVERFLOW)
        if got["page"] > 1 or got["wide"]:
            problems.append(f"{spec.url_path}: {got}")
    tab.close()
    assert not problems, "\n".join(problems)


DEFICIENCIES = ("protanopia", "deuteranopia", "achromatopsia")


@pytest.mark.skipif(os.environ.get("PANTAU_A11Y_SHOTS") != "1", reason="screenshots on request (PANTAU_A11Y_SHOTS=1)")
@pytest.mark.parametrize("pack", PACKS)
def test_screenshots_to_look_at(browser: object, packs: dict[str, str], pack: str) -> None:
    """Every page under Chromium's simulated colour-vision deficiencies, at 320 px wide and at 200 % zoom, and the
    kiosk at 1366x768, in both languages: artifacts/accessibility/<pack>/*.png, to be looked at."""
    shots = OUT / pack
    shots.mkdir(parents=True, exist_ok=True)
    for lang in LANGS:
        wide = browser.new_page(viewport={"width": 1400, "height": 1000})
        cdp = wide.context.new_cdp_session(wide)
        for spec in DASHBOARD:
            wide.goto(_url(packs[pack], spec, lang))
            _settle(wide, spec, lang)
            height = wide.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            wide.set_viewport_size({"width": 1400, "height": max(1000, min(height + 40, 6000))})
            wide.wait_for_timeout(800)
            for kind in DEFICIENCIES if spec.key == "overview" else DEFICIENCIES[:2]:
                cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": kind})
                wide.screenshot(path=str(shots / f"{spec.key}_{lang}_{kind}.png"), timeout=TIMEOUT)
            cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": "none"})
            wide.set_viewport_size({"width": 1400, "height": 1000})
        wide.close()
        for name, viewport, scale in (("320px", {"width": 320, "height": 720}, 1),
                                      ("zoom200", {"width": 640, "height": 400}, 2)):
            page = browser.new_page(viewport=viewport, device_scale_factor=scale)
            for spec in DASHBOARD:
                page.goto(_url(packs[pack], spec, lang))
                _settle(page, spec, lang)
                # Streamlit scrolls its main block, not the document: grow the window to the page to see all of it
                height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                page.set_viewport_size({**viewport, "height": max(viewport["height"], min(height + 40, 9000))})
                page.wait_for_timeout(800)
                page.screenshot(path=str(shots / f"{spec.key}_{lang}_{name}.png"), timeout=TIMEOUT)
                page.set_viewport_size(viewport)
            page.close()
        kiosk = browser.new_page(viewport={"width": 1366, "height": 768})
        for view in VIEWS:
            kiosk.goto(_kiosk_url(packs[pack], view, lang))
            _settle(kiosk, None, lang, view)
            kiosk.screenshot(path=str(shots / f"kiosk_{view}_{lang}_1366x768.png"), timeout=TIMEOUT)
        kiosk.close()
