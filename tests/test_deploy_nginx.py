"""Two Streamlit processes behind Debian's nginx, configured from deploy/nginx-pantau.conf itself (benchmarks/cluster.py
replaces only the listen line, the TLS lines and the upstream's ports): every visitor sticks to one process by the
route cookie — websocket, upload and download included — visitors from one address spread over both processes, and
an upload and a download work through the proxy in headless Chromium."""

from __future__ import annotations

import asyncio
import collections
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from benchmarks.cluster import NGINX, Cluster, start_nginx, start_servers
from benchmarks.stclient import Viewer
from etl.ingest.auth import hash_password
from tests import ingest_helpers
from tests.conftest import browser_required
from tests.corpus import CASES, write_case
from tests.ingest_helpers import copy_db

ingest_base = ingest_helpers.ingest_base  # the shared fixture

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "kata-sandi-uji-123"


@pytest.fixture(scope="module")
def proxied(ingest_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Path]]:
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (apt-get install nginx)")
    work = tmp_path_factory.mktemp("nginx_pair")
    db = copy_db(ingest_base, work)
    secrets = work / "secrets.toml"
    secrets.write_text(f'[upload]\npassword_hash = "{hash_password(PASSWORD)}"\n', encoding="utf-8")
    cluster = start_servers(db, 2, server_args=("--secrets.files", str(secrets), "--server.fileWatcherType", "none"),
                            log_dir=work)
    try:
        start_nginx(cluster, work / "nginx", log_route=True)
        yield cluster, db
    finally:
        cluster.stop()


def _routes(cluster: Cluster) -> list[tuple[str, str, str, str]]:
    lines = (cluster.workdir / "logs" / "access.log").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split(" ")) for line in lines if line.count(" ") == 3]  # type: ignore[misc]


def test_the_shipped_config_is_valid_for_nginx(proxied: tuple[Cluster, Path]) -> None:
    cluster, _ = proxied
    conf = (cluster.workdir / "nginx.conf").read_text(encoding="utf-8")
    assert "hash $pantau_route consistent;" in conf and "proxy_pass http://pantau;" in conf
    assert all(f"server 127.0.0.1:{port};" in conf for port in cluster.ports)


def test_visitors_stick_to_one_process_and_spread_over_both(proxied: tuple[Cluster, Path]) -> None:
    cluster, _ = proxied

    async def visit(i: int) -> tuple[str, list[str]]:
        v = Viewer(cluster.url, timeout=120)
        try:
            first = await v.open("" if i % 2 else "tentang-data")
            statuses = [first.status]
            link = next(x for x in first.page_links if not x[3] and x[0])
            statuses.append((await v.navigate(link[0], link[1], link[2])).status)
            return v.cookies.get("pantau_route", ""), statuses
        finally:
            await v.close()

    async def visits() -> list[tuple[str, list[str]]]:
        return await asyncio.gather(*(visit(i) for i in range(12)))

    results = asyncio.run(visits())
    assert all(statuses == ["ok", "ok"] for _, statuses in results), results
    cookies = {cookie for cookie, _ in results}
    assert len(cookies) == 12 and "" not in cookies  # every visitor got its own route cookie
    by_cookie: dict[str, set[str]] = collections.defaultdict(set)
    for uri, _status, upstream, cookie in _routes(cluster):
        if cookie in cookies and uri.startswith("/_stcore/stream"):
            by_cookie[cookie].add(upstream)
    assert set(by_cookie) == cookies  # every visitor's websocket went through the proxy with its cookie
    assert all(len(ups) == 1 for ups in by_cookie.values())  # one process per visitor
    used = set().union(*by_cookie.values())
    assert used == {f"127.0.0.1:{p}" for p in cluster.ports}  # all from 127.0.0.1, yet spread over both


@pytest.mark.browser
def test_upload_and_download_through_the_proxy(proxied: tuple[Cluster, Path], tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    cluster, db = proxied
    good = write_case(next(c for c in CASES if c.name == "indonesian_headers_names"), tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
        page = context.new_page()
        page.goto(f"{cluster.url}/?lang=en")
        page.get_by_role("link", name="Upload data").click()
        page.locator(".st-key-upload_password input").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.locator(".st-key-upload_file input[type=file]").set_input_files(str(good))
        page.get_by_text("holds NIK numbers").first.wait_for(timeout=60_000)
        page.locator(".st-key-upload_validate button").click()
        page.get_by_text("All rows are valid.").first.wait_for(timeout=60_000)
        page.locator(".st-key-upload_load button").click()
        page.get_by_text("Loaded: 4 rows").wait_for(timeout=60_000)

        page.locator('[data-testid="stSidebar"] a[href^="tentang-data"]').first.click()
        button = page.locator('[data-testid="stDownloadButton"] button').first
        button.wait_for(timeout=60_000)
        with page.expect_download(timeout=60_000) as download:
            button.click()
        saved = tmp_path / "download.csv"
        download.value.save_as(saved)
        browser.close()
    text = saved.read_text(encoding="utf-8-sig")
    assert text.count("\n") >= 2 and "," in text.splitlines()[0]
    con = duckdb.connect(str(db), read_only=True)
    try:
        loaded = con.execute("SELECT count(*) FROM loads WHERE status = 'loaded' AND source = 'upload'").fetchone()[0]
    finally:
        con.close()
    assert loaded >= 1
    # the upload, its websocket and the download all went to the process that held the session
    route = [r for r in _routes(cluster) if r[0].startswith(("/_stcore/upload_file", "/media", "/_stcore/stream"))]
    assert any(r[0].startswith("/_stcore/upload_file") for r in route)
    by_cookie: dict[str, set[str]] = collections.defaultdict(set)
    for _uri, _status, upstream, cookie in route:
        if cookie and not re.fullmatch(r"-+", cookie):
            by_cookie[cookie].add(upstream)
    assert by_cookie and all(len(ups) == 1 for ups in by_cookie.values())
    shutil.rmtree(tmp_path, ignore_errors=True)
