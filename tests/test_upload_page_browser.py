"""Upload page end to end in headless Chromium: password sign-in, a good file loaded, a bad one rejected, undo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from etl.ingest.auth import hash_password
from tests import ingest_helpers
from tests.axe_check import assert_accessible
from tests.conftest import browser_required
from tests.corpus import CASES, write_case
from tests.ingest_helpers import checksum, copy_db
from tests.servers import streamlit

pytestmark = pytest.mark.browser
ingest_base = ingest_helpers.ingest_base  # the shared fixture

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "kata-sandi-uji-123"


@pytest.fixture(scope="module")
def app(ingest_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    work = tmp_path_factory.mktemp("upload_app")
    db = copy_db(ingest_base, work)
    secrets = work / "secrets.toml"
    secrets.write_text(f'[upload]\npassword_hash = "{hash_password(PASSWORD)}"\n', encoding="utf-8")
    with streamlit({"PANTAU_DB": str(db)}, "--server.fileWatcherType", "none", "--secrets.files", str(secrets)) as base:
        yield base, db


def _upload(page: object, path: Path, ready: str, done: str) -> None:
    """Upload, wait until the page shows `ready` (this file's preview), validate, wait for `done`."""
    page.locator(".st-key-upload_file input[type=file]").set_input_files(str(path))
    page.get_by_text(ready).first.wait_for(timeout=60_000)
    page.locator(".st-key-upload_validate button").click()
    page.get_by_text(done).first.wait_for(timeout=60_000)


def test_upload_page_good_and_bad_file(app: tuple[str, Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, db = app
    SHOTS.mkdir(parents=True, exist_ok=True)
    good = write_case(next(c for c in CASES if c.name == "indonesian_headers_names"), tmp_path)
    bad = write_case(next(c for c in CASES if c.name == "unknown_kecamatan"), tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(f"{base}/?lang=en")
        page.get_by_role("link", name="Upload data").click()  # a first deep link to /unggah shows "Page not found"
        page.locator(".st-key-upload_password input").fill("wrong password")
        page.keyboard.press("Enter")
        page.get_by_text("Wrong password.").wait_for(timeout=60_000)
        page.locator(".st-key-upload_password input").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.locator(".st-key-upload_file").wait_for(timeout=60_000)

        # a bad file: the report names the line and what to fix; loading strictly leaves the database unchanged
        before = checksum(db)
        _upload(page, bad, "Preview", "Validation report")
        invalid = page.locator('[data-testid="stMetric"]', has_text="Invalid rows").last
        assert invalid.locator('[data-testid="stMetricValue"]').inner_text() == "1"  # the grid itself is a canvas
        page.screenshot(path=str(SHOTS / "upload_bad_file.png"), full_page=True)
        assert_accessible(page, "unggah, signed in, a validation report", "en")
        page.locator(".st-key-upload_load button").click()
        page.get_by_text("Rejected: the database is unchanged").wait_for(timeout=60_000)
        assert checksum(db)[:4] == before[:4]

        # a good file with names and NIKs: they are dropped, the rows load and get a load id
        _upload(page, good, "holds NIK numbers", "All rows are valid.")
        page.screenshot(path=str(SHOTS / "upload_good_preview.png"), full_page=True)
        assert_accessible(page, "unggah, signed in, a preview", "en")
        page.locator(".st-key-upload_load button").click()
        page.get_by_text("Loaded: 4 rows").wait_for(timeout=60_000)
        page.screenshot(path=str(SHOTS / "upload_good_loaded.png"), full_page=True)
        con = duckdb.connect(str(db), read_only=True)
        latest = con.execute("SELECT max(load_id) FROM loads WHERE status = 'loaded'").fetchall()[0][0]
        con.close()
        assert checksum(db)[0] == before[0] + 4

        # undo the latest load from the history
        page.locator(".st-key-upload_undo button").wait_for(timeout=60_000)
        assert f"Undo load {latest}" in page.locator(".st-key-upload_undo").inner_text()
        page.locator(".st-key-upload_undo button").click()
        page.get_by_text(f"Load {latest} undone").wait_for(timeout=60_000)
        browser.close()
    assert checksum(db)[:4] == before[:4]
