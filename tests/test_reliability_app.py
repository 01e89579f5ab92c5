"""Reliability and security of the running app: hostile text and personal data loaded through the real loaders, then
every page (AppTest and headless Chromium), every download and every message swept; roles; a damaged database at
start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.registry import PAGES
from etl.build import build
from etl.ingest import load_file
from tests.conftest import browser_required
from tests.reliability_helpers import ROOT, sha256
from tests.servers import free_port, streamlit

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "artifacts" / "reliability"

HOSTILE = ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "a.b", "x'y",
           "'; DROP TABLE service_requests; --"]
NIKS = ["1271014506900002", "1271025012850007", "1271116003920001"]
NAMES = ["Siti Aminah Lubis", "Budi Hartono Siregar", "Rahmat Nasution"]
PERSONAL = NIKS + NAMES + ["3.27306E+15"]
VIEWS = [spec for spec in PAGES if spec.key not in ("upload",) and (ROOT / spec.file).is_file()]


def _requests_file(path: Path) -> Path:
    header = ["request_id", "service_code", "kecamatan_code", "channel", "submitted_at", "completed_at", "status",
              "nik", "nama_pemohon", "keterangan", *HOSTILE[:3]]
    rows = []
    for i, hostile in enumerate(HOSTILE):
        rows.append([f"H-{i}-{hostile}", "KTP_EL", "12.71.11", "online", f"2024-06-{10 + i} 09:00:00",
                     f"2024-06-{11 + i} 10:00:00", "completed", NIKS[i % 3], NAMES[i % 3],
                     f"pemohon {NAMES[i % 3]} NIK {NIKS[i % 3]}", hostile, hostile, hostile])

    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"'
    path.write_text("\n".join(",".join(q(v) for v in r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def _bad_rows_file(path: Path) -> Path:
    """Partial load: one good row, one row with an unknown kecamatan whose raw line holds a NIK and a name."""
    path.write_text("request_id,service_code,kecamatan_code,channel,submitted_at,nik,nama\n"
                    f"B-1,KK,12.71.01,online,2024-06-20 09:00:00,{NIKS[0]},{NAMES[0]}\n"
                    f"B-2,KK,<img src=x onerror=alert(1)>,online,2024-06-21 09:00:00,{NIKS[1]},{NAMES[1]}\n",
                    encoding="utf-8")
    return path


def _tourism_file(path: Path) -> Path:
    path.write_text("indicator,area,period,value,unit,source\n"
                    "wisman_visits,Provinsi Sumatera Utara,2024-12,21345,kunjungan,<img src=x onerror=alert(1)>\n"
                    "tpk_star_hotels_pct,Provinsi Sumatera Utara,2024-12,45.6,persen,[x](javascript:alert(1))\n"
                    "wisnus_trips,<b>a.b</b>,2024-12,1,x'y,'; DROP TABLE service_requests; --\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sample data, then hostile text and personal data loaded through the real loaders (file names included)."""
    d = tmp_path_factory.mktemp("hostile")
    db = d / "pantau.duckdb"
    build(db, rows=3000, seed=7, progress=lambda _m: None)
    r1 = load_file(db, "service_requests", _requests_file(d / "r.csv"), source="upload",
                   file_name="<img src=x onerror=alert(1)>.csv")
    r2 = load_file(db, "service_requests", _bad_rows_file(d / "b.csv"), partial=True, source="cli",
                   file_name="[x](javascript:alert(1)).csv")
    r3 = load_file(db, "tourism", _tourism_file(d / "t.csv"), source="upload", file_name="x'y; DROP TABLE loads.csv")
    assert (r1.status, r2.status, r3.status) == ("loaded", "loaded", "loaded"), (r1.errors, r2.errors, r3.errors)
    assert r2.rows_rejected == 1
    # the loaders' own guarantee, re-checked: no personal data anywhere in the file
    blob = db.read_bytes()
    for value in NIKS + NAMES:
        assert value.encode() not in blob
    return db


def _texts(node: object) -> Iterator[str]:
    """Every element's protobuf as text (dataframes included: their Arrow bytes carry the cell text)."""
    proto = getattr(node, "proto", None)
    if proto is not None:
        yield repr(proto)
    for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) else []:
        yield from _texts(child)


def _run_page(db: Path, file: str, monkeypatch: pytest.MonkeyPatch, query: dict[str, str] | None = None) -> AppTest:
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if file != "pages/overview.py":
        at.switch_page(file).run()
    return at


FAST_VIEWS = ("data", "kiosk")  # the rest of the sweep runs with -m slow


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.key, marks=() if s.key in FAST_VIEWS else pytest.mark.slow)
                                  for s in VIEWS])
def test_pages_show_no_personal_data_and_no_raw_html(hostile_db: Path, monkeypatch: pytest.MonkeyPatch, spec) -> None:
    at = _run_page(hostile_db, spec.file, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    text = "\n".join([*_texts(at._tree), *(df.value.to_string() for df in at.dataframe),
                      *(str(o) for sb in at.selectbox for o in sb.options)])
    if spec.key == "data":  # positive control: the sweep does see the cells of the tables
        assert "<img src=x onerror=alert(1)>.csv" in text
    for value in PERSONAL:
        assert value not in text, (spec.key, value)
    # hostile text may be shown, but only where Streamlit escapes it: never inside an HTML element we render
    for el in list(at.get("html")) + [m for m in at.markdown if getattr(m.proto, "allow_html", False)]:
        body = getattr(el.proto, "body", "")
        assert "onerror" not in body and "javascript:" not in body, (spec.key, body[:200])
    assert not at.get("file_uploader") and not [b for b in at.button if "undo" in (b.key or "")], spec.key
    if spec.key == "kiosk":  # public screens: no downloads at all
        assert not at.get("download_button")


def test_data_page_shows_hostile_file_names_as_text(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run_page(hostile_db, "pages/data.py", monkeypatch)
    frames = [df.value for df in at.dataframe]
    shown = "\n".join(f.to_string() for f in frames)
    assert "<img src=x onerror=alert(1)>.csv" in shown  # kept verbatim, as data, in a grid that renders text
    assert "[x](javascript:alert(1)).csv" in shown


def test_damaged_database_at_start_up_is_a_clear_message(sample_db: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "pantau.duckdb"
    db.write_bytes(sample_db.read_bytes()[:8192] + os.urandom(4096))
    before = sha256(db)
    at = _run_page(db, "pages/overview.py", monkeypatch)
    assert not at.exception
    messages = [e.value for e in at.error]
    assert messages and any("cannot be read" in m or "belum dapat dibaca" in m for m in messages), messages
    assert sha256(db) == before  # the app neither repaired nor replaced it: evidence intact for the operator


def test_missing_database_at_start_up_is_not_replaced_by_sample_data(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "pantau.duckdb"
    at = _run_page(db, "pages/overview.py", monkeypatch)
    assert not at.exception
    assert any("python -m etl restore" in e.value for e in at.error), [e.value for e in at.error]
    assert not db.exists()  # a deployment's missing file is an incident: no sample data appears in its place


# --- headless Chromium ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(hostile_db: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    with streamlit({"PANTAU_DB": str(hostile_db)}) as base:
        yield base


@pytest.mark.slow
@pytest.mark.browser
def test_no_script_runs_and_no_personal_data_in_the_browser(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    downloads = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
            for spec in VIEWS:
                page = context.new_page()
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(f"{server}/{'' if spec.key == 'overview' else spec.url_path}")
                page.wait_for_selector(".k-header" if spec.key == "kiosk" else ".pantau-band", timeout=90_000)
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                       timeout=90_000)
                page.wait_for_timeout(2000)
                page.screenshot(path=str(ARTIFACTS / f"{spec.key}.png"), full_page=True)
                body = page.inner_text("body")
                for value in PERSONAL:
                    assert value not in body, (spec.key, value)
                assert page.locator("img[src='x']").count() == 0, spec.key
                assert page.locator("a[href^='javascript:']").count() == 0, spec.key
                assert "Traceback" not in body, spec.key
                if spec.key == "overview":
                    assert page.locator("[data-testid='stVegaLiteChart'], canvas").count() > 0  # charts drawn
                for button in page.locator("[data-testid='stDownloadButton'] button:visible").all():
                    with page.expect_download(timeout=30_000) as info:
                        button.click()
                    data = Path(info.value.path()).read_bytes()
                    downloads += 1
                    for value in PERSONAL:
                        assert value.encode() not in data, (spec.key, info.value.suggested_filename, value)
                    assert b"request_id" not in data[:500] and b"H-0-" not in data  # no row-level export
                page.close()
        finally:
            browser.close()
    assert not dialogs, dialogs
    assert downloads > 0


# --- roles: the public and kiosk views cannot reach upload, undo or raw exports --------------------------------

def _upload_page(db: Path, monkeypatch: pytest.MonkeyPatch, secrets: dict | None) -> AppTest:
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _can_load_or_undo(at: AppTest) -> bool:
    undo = [b for b in at.button if "undo" in (b.key or "").lower() or "rollback" in (b.key or "").lower()]
    return bool(at.get("file_uploader")) or bool(undo)


@pytest.mark.skipif(not (ROOT / "pages" / "upload.py").is_file(), reason="no upload page")
def test_upload_needs_a_configured_sign_in(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from etl.ingest.auth import hash_password

    at = _upload_page(hostile_db, monkeypatch, None)  # nothing configured: the page explains, accepts nothing
    assert not _can_load_or_undo(at) and at.warning
    at = _upload_page(hostile_db, monkeypatch, {"upload": {"password_hash": hash_password("correct horse battery")}})
    assert not _can_load_or_undo(at)  # a sign-in form, nothing else
    at.text_input(key="upload_password").input("wrong password 123")
    at.get("form_submit_button")[0].click() if at.get("form_submit_button") else at.button[0].click()
    at.run()
    assert not _can_load_or_undo(at) and at.error
    at.text_input(key="upload_password").input("correct horse battery")
    at.get("form_submit_button")[0].click() if at.get("form_submit_button") else at.button[0].click()
    at.run()
    assert at.get("file_uploader")  # positive control: signed in, the uploader appears


def test_kiosk_links_nowhere(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run_page(hostile_db, "pages/kiosk.py", monkeypatch)
    text = "\n".join(_texts(at._tree))
    assert "unggah" not in text and "/upload" not in text
    assert not at.get("page_link") and not at.get("download_button") and not _can_load_or_undo(at)


@pytest.mark.slow
@pytest.mark.browser
def test_streamlit_markdown_neutralises_hostile_text(tmp_path: Path) -> None:
    """Pages and the upload report pass data text (e.g. column names in warnings) to st.caption / st.markdown:
    Streamlit must render `javascript:` links inert and raw HTML as text."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    app = tmp_path / "app.py"
    app.write_text("import streamlit as st\n"
                   f"st.caption({'Column ' + HOSTILE[1] + ' ignored; ' + HOSTILE[0]!r})\n"
                   f"st.markdown({HOSTILE[1] + ' ' + HOSTILE[0]!r})\n"
                   "st.write('done-marker')\n", encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dialogs: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for _ in range(120):
                try:
                    page.goto(f"http://127.0.0.1:{port}/")
                    break
                except Exception:
                    time.sleep(0.5)
            page.wait_for_selector("text=done-marker", timeout=60_000)
            hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href') || '')")
            assert not [h for h in hrefs if h.lower().startswith("javascript")], hrefs
            assert page.locator("img[src='x']").count() == 0
            for link in page.locator("[data-testid='stMarkdownContainer'] a").all():
                link.click(timeout=5_000)
            page.wait_for_timeout(500)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert not dialogs, dialogs
