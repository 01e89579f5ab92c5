"""deploy/nginx-pantau.conf for real: Debian's nginx on loopback (TLS with a throwaway certificate) in front of a
Streamlit server serves each page with the page's language in <html lang> from the first byte, and the dashboard still
works through it (websocket, compressed assets)."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from base.i18n import t
from tests.conftest import browser_required
from tests.servers import free_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHROMIUM = "/usr/bin/chromium"
INSECURE = ssl.create_default_context()
INSECURE.check_hostname, INSECURE.verify_mode = False, ssl.CERT_NONE


def _wait(url: str, context: ssl.SSLContext | None = None) -> None:
    for _ in range(240):
        try:
            if urlopen(url, timeout=1, context=context).read() == b"ok":
                return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"{url} did not answer")


@pytest.fixture(scope="module")
def proxy(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Streamlit on one loopback port, nginx with the deploy file (ports, certificate and upstream changed) on two
    others; yields the https base address."""
    if not Path(NGINX).exists() or not shutil.which("openssl"):
        if browser_required():
            pytest.fail("nginx or openssl is missing")
        pytest.skip("nginx or openssl is missing")
    work = tmp_path_factory.mktemp("nginx")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem")], check=True,
                   capture_output=True)
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    site = (ROOT / "deploy" / "nginx-pantau.conf").read_text(encoding="utf-8")
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", site)
    site = re.sub(r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl;", site)
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {work / 'cert.pem'};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {work / 'key.pem'};", site)
    site = re.sub(r"(?:    server 127\.0\.0\.1:\d+;\n)+", f"    server 127.0.0.1:{app_port};\n", site, count=1)
    assert site.count(str(app_port)) == 1 and str(https_port) in site
    (work / "nginx.conf").write_text(
        f"daemon off; pid {work}/nginx.pid; error_log {work}/error.log;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{ access_log {work}/access.log; client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;\n"
        f"fastcgi_temp_path {work}/fcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;\n"
        f"include /etc/nginx/mime.types;\n{site}\n}}\n", encoding="utf-8")
    check = subprocess.run([NGINX, "-t", "-p", str(work), "-c", str(work / "nginx.conf")], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr
    env = {**os.environ, "PANTAU_DB": str(sample_db)}
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                            "--server.port", str(app_port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    nginx = subprocess.Popen([NGINX, "-p", str(work), "-c", str(work / "nginx.conf")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    base = f"https://127.0.0.1:{https_port}"
    try:
        _wait(f"http://127.0.0.1:{app_port}/_stcore/health")
        _wait(f"{base}/_stcore/health", INSECURE)
        yield base
    finally:
        nginx.terminate()
        app.terminate()
        nginx.wait(timeout=20)
        app.wait(timeout=20)


def _page(url: str) -> str:
    return urlopen(url, timeout=10, context=INSECURE).read().decode("utf-8")


@pytest.mark.parametrize(("address", "lang"), [("", "id"), ("ringkasan", "id"), ("layanan?lang=en", "en"),
                                               ("tentang-data?lang=id", "id"), ("kiosk?lang=en&rotate=60", "en"),
                                               ("peta?lang=xx", "id")])
def test_the_first_byte_already_says_the_pages_language(proxy: str, address: str, lang: str) -> None:
    html = _page(f"{proxy}/{address}")
    assert re.search(r"<html lang=\"([a-z]+)\">", html).group(1) == lang
    assert html.count("<html") == 1


def test_assets_stay_compressed_through_the_proxy(proxy: str) -> None:
    html = _page(f"{proxy}/")
    script = re.search(r'src="\./(static/js/index\.[^"]+\.js)"', html).group(1)
    res = urlopen(Request(f"{proxy}/{script}", headers={"Accept-Encoding": "gzip"}), timeout=10, context=INSECURE)
    assert res.headers.get("Content-Encoding") == "gzip"
    assert len(gzip.decompress(res.read())) > 100_000


def test_the_dashboard_works_through_the_proxy_with_its_language(proxy: str) -> None:
    """Chromium through nginx: the document says English before any script of the page has run, the websocket
    carries the page, and the language switch's script keeps <html lang> right."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                   "--ignore-certificate-errors"])
        tab = browser.new_page()
        tab.add_init_script("document.addEventListener('DOMContentLoaded', "
                            "() => { window.__firstLang = document.documentElement.lang; });")
        tab.goto(f"{proxy}/layanan?lang=en")
        tab.wait_for_selector(f'.pantau-band h1:text-is("{t("throughput.title", "en")}")', timeout=120_000)
        assert tab.evaluate("window.__firstLang") == "en"
        assert tab.evaluate("document.documentElement.lang") == "en"
        tab.get_by_text("Bahasa Indonesia", exact=True).click()   # the sidebar's language switch
        tab.wait_for_selector(f'.pantau-band h1:text-is("{t("throughput.title", "id")}")', timeout=120_000)
        tab.wait_for_function("() => document.documentElement.lang === 'id'", timeout=30_000)
        browser.close()
