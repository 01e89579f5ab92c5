"""Kiosk screen in headless Chromium at 1366x768, 1920x1080 and 3840x2160: full screen, nothing cut off, offline, no
flash."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import browser_required
from tests.servers import streamlit

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
CHROME = ['header[data-testid="stHeader"] button', '[data-testid="stToolbar"]', '[data-testid="stMainMenu"]',
          '[data-testid="stSidebar"]', '[data-testid="stSidebarCollapsedControl"]', '[data-testid="stStatusWidget"]',
          '[data-testid="stAppDeployButton"]', '[data-testid="stDecoration"]']
# Records, from the first frame on, every piece of Streamlit chrome that was ever visible.
WATCH_CHROME = """
window.__chrome = new Set();
const selectors = SELECTORS;
const look = () => {
  for (const sel of selectors) for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.opacity !== '0') window.__chrome.add(sel);
  }
  requestAnimationFrame(look);
};
requestAnimationFrame(look);
""".replace("SELECTORS", str(CHROME))


@pytest.fixture(scope="module")
def kiosk_toml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of data/kiosk.toml the tests may edit (the server reads it through PANTAU_KIOSK)."""
    path = tmp_path_factory.mktemp("kiosk") / "kiosk.toml"
    path.write_text((ROOT / "data" / "kiosk.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(sample_db: Path, kiosk_toml: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    with streamlit({"PANTAU_DB": str(sample_db), "PANTAU_KIOSK": str(kiosk_toml)},
                   "--server.fileWatcherType", "none") as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser: object, url: str, width: int, height: int, view: str) -> tuple[object, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.add_init_script(WATCH_CHROME)
    foreign: list[str] = []
    page.on("request", lambda req: foreign.append(req.url)
            if not req.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")) else None)
    page.goto(url)
    page.wait_for_selector(f'.k-header[data-view="{view}"]', timeout=60_000)
    chart = ".st-key-kiosk_chart canvas, .st-key-kiosk_chart svg"
    page.wait_for_function(f"""() => [...document.querySelectorAll('{chart}')]
        .some(el => el.getBoundingClientRect().height > 100)""", timeout=60_000)
    page.wait_for_timeout(1500)     # let the chart finish its first paint before the screenshot
    return page, foreign


def _layout(page: object) -> dict:
    return page.evaluate("""() => {
      const se = document.scrollingElement;
      const bottoms = [...document.querySelectorAll('.k-header, .k-numbers, .st-key-kiosk_chart, .k-legend')]
        .map(el => el.getBoundingClientRect().bottom);
      const rights = [...document.querySelectorAll('.k-card, .k-value, .k-clock')]
        .map(el => el.getBoundingClientRect().right);
      return {scrollH: se.scrollHeight, scrollW: se.scrollWidth, h: innerHeight, w: innerWidth,
              bottom: Math.max(...bottoms), right: Math.max(...rights),
              overflowing: [...document.querySelectorAll('.k-value, .k-label')]
                 .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.textContent),
              valueFont: parseFloat(getComputedStyle(document.querySelector('.k-value')).fontSize),
              errors: document.querySelectorAll('.stException, [data-testid="stException"]').length,
              chrome: [...window.__chrome]};
    }""")


CASES = [
    (1920, 1080, "overview", "dark", "id"), (1920, 1080, "map", "dark", "id"), (1920, 1080, "tourism", "light", "en"),
    (3840, 2160, "overview", "light", "id"), (3840, 2160, "map", "dark", "en"),
    (1366, 768, "services", "dark", "id"), (1366, 768, "map", "light", "en"),   # a cheap TV
]


@pytest.mark.parametrize(("width", "height", "view", "theme", "lang"), CASES)
def test_kiosk_fills_the_screen(browser: object, server: str, width: int, height: int, view: str, theme: str,
                                lang: str) -> None:
    url = (f"{server}/kiosk?views={view}&theme={theme}&lang={lang}&rotate=600"
           f"&embed=true&embed_options={theme}_theme")
    page, foreign = _open(browser, url, width, height, view)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"kiosk_{view}_{theme}_{lang}_{width}x{height}.png"))
    got = _layout(page)
    page.close()
    assert got["errors"] == 0
    assert got["chrome"] == [], f"Streamlit chrome visible at some point: {got['chrome']}"
    assert got["scrollH"] <= got["h"] and got["scrollW"] <= got["w"], got
    assert got["bottom"] <= got["h"] and got["right"] <= got["w"], got        # nothing cut off
    assert got["overflowing"] == [], got
    assert got["valueFont"] >= width * 0.04                                     # big numbers scale with the screen
    assert foreign == [], f"requests outside the server: {foreign[:5]}"


def test_bare_url_hides_chrome_and_pins_embed_mode(browser: object, server: str) -> None:
    """Without embed options the toolbar shows until the page's CSS arrives; the page then hides it and adds the
    embed options to the address, so every automatic reload afterwards starts clean."""
    page, _ = _open(browser, f"{server}/kiosk?views=overview", 1920, 1080, "overview")
    visible = page.evaluate(f"""() => {CHROME}.filter(sel => [...document.querySelectorAll(sel)]
        .some(el => el.getBoundingClientRect().height > 0))""")
    assert visible == []
    assert "embed=true" in page.url and "embed_options=dark_theme" in page.url and "views=overview" in page.url
    page.evaluate("window.__chrome.clear()")
    page.reload()
    page.wait_for_selector('.k-header[data-view="overview"]', timeout=60_000)
    page.wait_for_timeout(1000)
    assert page.evaluate("[...window.__chrome]") == []
    page.close()


def test_refresh_rereads_the_playlist_without_a_reload(browser: object, server: str, kiosk_toml: Path) -> None:
    """Every `refresh` seconds the page reruns in place: an edited playlist shows up without reloading the tab."""
    kiosk_toml.write_text('[playlists.wall]\nviews = ["overview"]\nrotate = 600\nrefresh = 10\ntheme = "dark"\n',
                          encoding="utf-8")
    page, _ = _open(browser, f"{server}/kiosk?playlist=wall&embed=true&embed_options=dark_theme", 1920, 1080,
                    "overview")
    page.evaluate("window.__sameTab = true")           # gone if the tab reloads
    time.sleep(1.1)                                     # a new mtime, so the file is read again
    kiosk_toml.write_text('[playlists.wall]\nviews = ["tourism"]\nrotate = 600\nrefresh = 10\ntheme = "dark"\n',
                          encoding="utf-8")
    page.wait_for_selector('.k-header[data-view="tourism"]', timeout=40_000)
    assert page.evaluate("window.__sameTab === true")
    page.close()
