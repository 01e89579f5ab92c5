"""Tier 3: the survey on the upload page in headless Chromium, for both packs and languages: a file whose element
columns carry only numbers asks the element of each column; chosen, it validates and loads; a Google Forms export
places its elements by meaning and says which column became which element."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from base import skm
from base.i18n import t
from etl.build import build
from etl.ingest.auth import hash_password
from tests.conftest import browser_required
from tests.servers import streamlit
from tests.skm_exports import WRITERS
from tests.test_upload_page_browser import ARGS, CHROMIUM, PASSWORD

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
UNITS = {"medan": ("Kecamatan Medan Baru", "12.71.17"), "denpasar": ("Kecamatan Denpasar Barat", "51.71.03")}
# sarana asked 8th, pengaduan 9th; numbers only, so nothing tells which is which
ORDER = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U9", "U8")
ANSWERS = {"U1": 4, "U2": 3, "U3": 2, "U4": 4, "U5": 3, "U6": 4, "U7": 3, "U8": 1, "U9": 2}


@pytest.fixture(scope="module", params=["medan", "denpasar"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    city = request.param
    work = tmp_path_factory.mktemp(f"skm_upload_{city}")
    db = work / "pantau.duckdb"
    build(db, rows=300, seed=5, city=city, progress=lambda _m: None)
    secrets = work / "secrets.toml"
    secrets.write_text(f'[upload]\npassword_hash = "{hash_password(PASSWORD)}"\n', encoding="utf-8")
    with streamlit({"PANTAU_DB": str(db), "PANTAU_CITY": city}, "--server.fileWatcherType", "none",
                   "--secrets.files", str(secrets), seconds=40) as base:
        yield city, base, db


def _sign_in(page: object, base: str, lang: str) -> None:
    page.goto(f"{base}/?lang={lang}")
    page.get_by_role("link", name=t("upload.title", lang)).click()
    page.locator(".st-key-upload_password input").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.locator(".st-key-upload_file").wait_for(timeout=60_000)
    # the dataset's radio option (the page's introduction names every dataset too)
    page.locator(".st-key-upload_dataset").get_by_text(t("upload.dataset_skm", lang), exact=True).click()


def _responses(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        # the latest load last (a sample database holds sample respondents of later dates)
        return con.execute("SELECT unit_code, u1, u2, u3, u4, u5, u6, u7, u8, u9 FROM fct_skm_responses "
                           "ORDER BY load_id, submitted_at").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_page_asks_the_element_of_number_only_columns(app: tuple[str, str, Path], lang: str,
                                                          tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    city, base, db = app
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"skm_unsur_angka_{lang}.csv"
    day = {"id": "2025-06-02 10:00", "en": "2025-06-03 10:00"}[lang]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Tanggal", "Unit", *[f"Unsur {k}" for k in range(1, 10)]],
                                  [day, UNITS[city][0], *[str(ANSWERS[e]) for e in ORDER]]])
    before = len(_responses(db))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2200})
        _sign_in(page, base, lang)
        page.locator(".st-key-upload_file input[type=file]").set_input_files(str(path))
        page.get_by_text(t("upload.elements", lang)).first.wait_for(timeout=60_000)
        page.get_by_text(t("upload.elements_unplaced", lang, columns="").split(":")[0]).first.wait_for(
            timeout=60_000)
        page.screenshot(path=str(SHOTS / f"skm_upload_elements_{city}_{lang}.png"), full_page=True)
        names = {e.code: f"{e.code} {e.name(lang)}" for e in skm.elements()}
        for k, element in enumerate(ORDER):
            page.locator(f".st-key-upload_element_{k + 2}").click()
            page.get_by_role("option", name=names[element], exact=True).click()
        page.locator(".st-key-upload_validate button").click()
        page.get_by_text(t("upload.all_valid", lang)).first.wait_for(timeout=60_000)
        page.screenshot(path=str(SHOTS / f"skm_upload_validated_{city}_{lang}.png"), full_page=True)
        page.locator(".st-key-upload_load button").click()
        page.get_by_text(t("upload.loaded", lang, rows=1, load_id="", rejected=0).split("(")[0].strip()).first.wait_for(
            timeout=60_000)
        browser.close()
    rows = _responses(db)
    assert len(rows) == before + 1
    assert rows[-1] == (UNITS[city][1], *[ANSWERS[e] for e in ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8",
                                                               "U9")])


def test_a_google_forms_export_shows_its_elements_by_name(app: tuple[str, str, Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    city, base, _db = app
    path, _truth = WRITERS["google_forms"](tmp_path, city, n=40, seed=11)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        _sign_in(page, base, "en")
        page.locator(".st-key-upload_file input[type=file]").set_input_files(str(path))
        page.get_by_text("holds phone numbers").first.wait_for(timeout=60_000)
        page.locator(".st-key-upload_validate button").click()
        page.get_by_text(t("upload.report", "en")).first.wait_for(timeout=60_000)
        text = page.locator("body").inner_text()
        page.screenshot(path=str(SHOTS / f"skm_upload_google_forms_{city}_en.png"), full_page=True)
        browser.close()
    assert "→ element U9 Facilities and infrastructure" in text
    assert "repeated submissions skipped" in text
    assert t("upload.elements_unplaced", "en", columns="").split(":")[0] not in text
