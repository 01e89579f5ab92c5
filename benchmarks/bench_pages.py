"""Benchmarks: every page with the big database — AppTest script runs (cold, warm, filter change) in one process,
then a real `streamlit run` server visited by headless Chromium (time to rendered, server memory after all pages).

    python benchmarks/bench_pages.py [--db /tmp/perf10m.duckdb] [--no-browser]

AppTest method: one AppTest of dashboard.py (the real navigation), `switch_page` to each page file. Per page:
cold = the app's caches emptied (app.reads.clear) then one run (DuckDB connection kept, as on a running server);
warm = median of three runs with the cache filled; filter change = a new period (?period=lastyear) and a kecamatan
(?kecamatan=...) from the default view, each a cache miss for that page's reads and charts: the first time (DuckDB
reads those blocks for the first time in the process), then the median of three more, each from an emptied cache.
The first run of the process (imports) is reported apart.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DB, ROOT, load_now, machine, ms, rss_mib, save, timed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
KECAMATAN = "12.71.11"  # Medan Johor


def _pages() -> list[tuple[str, str, str]]:
    """(key, file, url path) of every page that exists (only those --pages names, when given)."""
    from app.registry import PAGES

    only = set(filter(None, os.environ.get("PANTAU_BENCH_PAGES", "").split(",")))
    return [(p.key, p.file, p.url_path) for p in PAGES if (ROOT / p.file).exists() and (not only or p.key in only)]


def _run(at: Any) -> float:
    seconds, _ = timed(at.run)
    if at.exception:
        raise RuntimeError(f"page raised: {[e.message for e in at.exception]}")
    return seconds


def apptest_pages(repeat: int = 3) -> dict[str, Any]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from app import reads

    def clear() -> None:  # what a restarted server has: no cached reads, charts or maps (the connection stays)
        st.cache_data.clear()
        reads.clear()

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    first = _run(at)  # imports, the reader, the default page
    out: dict[str, Any] = {"first_run_ms": ms(first), "pages": {}}
    for key, file, _ in _pages():
        at.switch_page(file)
        at.query_params.clear()
        clear()
        cold = _run(at)
        warm = statistics.median(_run(at) for _ in range(repeat))
        changes = {"period": [], "kecamatan": []}
        for _ in range(1 + repeat):  # the first change per page, then `repeat` more from an emptied cache
            for field, value in (("period", "lastyear"), ("kecamatan", KECAMATAN)):
                at.query_params.clear()
                clear()
                _run(at)  # the default view is on screen (and cached) when the reader changes the filter
                at.query_params[field] = value
                changes[field].append(_run(at))
        at.query_params.clear()
        row = {"cold_ms": ms(cold), "warm_ms": ms(warm),
               "filter_period_ms": ms(changes["period"][0]),
               "filter_period_again_ms": ms(statistics.median(changes["period"][1:])),
               "filter_kecamatan_ms": ms(changes["kecamatan"][0]),
               "filter_kecamatan_again_ms": ms(statistics.median(changes["kecamatan"][1:])),
               "load": load_now()}
        out["pages"][key] = row
        print(f"  {key:<11} cold {row['cold_ms']:>7} ms  warm {row['warm_ms']:>6} ms  "
              f"period {row['filter_period_ms']:>7} / {row['filter_period_again_ms']:>7} ms  "
              f"kecamatan {row['filter_kecamatan_ms']:>7} / {row['filter_kecamatan_again_ms']:>7} ms  "
              f"(load {row['load']})", flush=True)
    out["process_rss_mib"] = round(rss_mib(), 1)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, cwd: Path = ROOT) -> tuple[subprocess.Popen, float]:
    """`streamlit run dashboard.py` in `cwd`; returns the process and seconds until /_stcore/health says ok."""
    env = {**os.environ, "PANTAU_DB": db}
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.perf_counter() - t0 < 60:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.read().decode().strip() == "ok":
                    return proc, time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.01)
    proc.kill()
    raise RuntimeError("server did not become healthy in 60 s")


def browser_pages(db: str) -> dict[str, Any]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    port = _free_port()
    proc, health = start_server(db, port)
    out: dict[str, Any] = {"health_s": round(health, 2), "pages": {}}
    # Rendered: the script run has finished (Streamlit's own run state on the app root), no placeholder is left (a
    # chart whose code is still loading shows a skeleton, not yet a chart element) and every chart has drawn.
    rendered = ("() => document.querySelector('[data-testid=\"stApp\"][data-test-script-state=\"notRunning\"]')"
                " && document.querySelectorAll('[data-testid=\"stMain\"] [data-testid=\"stElementContainer\"]')"
                ".length > 0 && !document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stSkeleton\"]')"
                " && [...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"], "
                "[data-testid=\"stDeckGlJsonChart\"]')].every(c => c.querySelector('canvas, svg'))")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # default view (first visit: the reads are not cached yet), the same again (cached), then a new period
            for field, query in (("rendered_ms", ""), ("rendered_again_ms", ""), ("rendered_lastyear_ms",
                                                                                  "?period=lastyear")):
                for key, _, url_path in _pages():
                    t0 = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/{url_path}{query}")
                    try:
                        page.wait_for_function(rendered, timeout=120_000, polling=20)
                        seconds: float | None = time.perf_counter() - t0
                    except PlaywrightTimeout:
                        seconds = None
                    out["pages"].setdefault(key, {})[field] = ms(seconds)
                    print(f"  {key:<11} {field:<22} {ms(seconds)} ms", flush=True)
            # in-app navigation: click the page's sidebar link (one session, no page reload), default view
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function(rendered, timeout=120_000, polling=20)
            nav = [(k, u) for k, _, u in _pages() if k not in ("overview", "kiosk")] + [("overview", "")]
            for key, url_path in nav:  # the kiosk is a screen URL, not in the sidebar; the overview's link is ""
                link = page.locator(f'[data-testid="stSidebar"] a[href="{url_path}"]').first
                link.wait_for(state="visible", timeout=60_000)
                before = page.url
                t0 = time.perf_counter()
                link.click()
                try:
                    page.wait_for_url(lambda url, before=before: url != before, timeout=30_000)
                    page.wait_for_function(rendered, timeout=120_000, polling=20)
                    seconds = time.perf_counter() - t0
                except PlaywrightTimeout:
                    seconds = None
                out["pages"].setdefault(key, {})["navigated_ms"] = ms(seconds)
                print(f"  {key:<11} {'navigated_ms':<22} {ms(seconds)} ms", flush=True)
            browser.close()
        time.sleep(1)
        out["server_rss_after_all_pages_mib"] = round(rss_mib(proc.pid), 1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(DEFAULT_DB))
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-apptest", action="store_true")
    ap.add_argument("--name", default="pages")
    ap.add_argument("--pages", default="", help="comma-separated page keys to measure (default: every page)")
    args = ap.parse_args()
    os.environ["PANTAU_BENCH_PAGES"] = args.pages
    os.environ["PANTAU_DB"] = args.db
    os.chdir(ROOT)
    result: dict[str, Any] = {"machine": machine(), "db": args.db}
    print(f"# {result['machine']}")
    if not args.no_apptest:
        print("AppTest (one process):")
        result["apptest"] = apptest_pages()
    if not args.no_browser:
        print("streamlit run + headless Chromium:")
        result["browser"] = browser_pages(args.db)
        print(f"  health {result['browser']['health_s']} s; server RSS after every page "
              f"{result['browser']['server_rss_after_all_pages_mib']} MiB")
    print(f"saved {save(args.name, result)}")


if __name__ == "__main__":
    main()
