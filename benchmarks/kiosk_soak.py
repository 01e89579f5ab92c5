"""Benchmarks: kiosk soak — one screen rotating for N minutes in headless Chromium, a new load and a server restart
part-way through; records server RSS, the tab's JS heap and DOM size at start and end, and how the screen recovered.

    python benchmarks/kiosk_soak.py --minutes 10 --rotate 5 --refresh 10

Figures go to benchmarks/results/kiosk_soak.json and are printed. Slow by design; not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from common import ROOT, machine, rss_mib, save

from etl.build import build
from kpi import kiosk

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWS = ("overview", "services", "map", "tourism")
# What a stuck screen would show: Streamlit's connection dialog or an exception box on screen (the kiosk CSS hides the
# dialog, so it counts only if visible), or no kiosk header at all; and whether the "offline" mark is up.
SCREEN_STATE = """() => ({
  view: document.querySelector('.k-header')?.dataset.view ?? null,
  received: [...document.querySelectorAll('.k-card')].find(c => /masuk|received/i.test(c.textContent))
              ?.querySelector('.k-value')?.textContent ?? null,
  error: [...document.querySelectorAll('[data-testid="stDialog"], [role="dialog"], [data-testid="stException"]')]
           .some(e => e.getBoundingClientRect().height > 0),
  offline_mark: document.documentElement.classList.contains('k-offline'),
  reloaded_since_restart: window.__beforeRestart === undefined,
  elements: document.querySelectorAll('[data-testid="stMainBlockContainer"] *').length,
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, db: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.fileWatcherType", "none"],
                            cwd=ROOT, env={**os.environ, "PANTAU_DB": str(db)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try:
            if urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def screen_state(page: Any) -> dict[str, Any]:
    """SCREEN_STATE, retried while the page is in the middle of reloading itself."""
    for _ in range(80):
        try:
            return page.evaluate(SCREEN_STATE)
        except Exception:
            page.wait_for_timeout(250)
    return page.evaluate(SCREEN_STATE)


def tab_memory(cdp: Any) -> dict[str, float]:
    """JS heap after a forced garbage collection, and the DOM counters, through the DevTools protocol."""
    cdp.send("HeapProfiler.collectGarbage")
    heap = cdp.send("Runtime.getHeapUsage")
    dom = cdp.send("Memory.getDOMCounters")
    return {"js_heap_mib": round(heap["usedSize"] / 2**20, 2), "dom_nodes": dom["nodes"],
            "js_listeners": dom["jsEventListeners"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rotate", type=int, default=5)
    parser.add_argument("--refresh", type=int, default=10)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample-every", type=float, default=30, help="seconds between samples")
    parser.add_argument("--name", default="kiosk_soak", help="results file: benchmarks/results/<name>.json")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="kiosk_soak_"))
    db = work / "pantau.duckdb"
    build(db, rows=args.rows, seed=42, progress=lambda _m: None)
    port = free_port()
    query = f"views={','.join(VIEWS)}&rotate={args.rotate}&refresh={args.refresh}&lang=id&theme=dark"
    url = f"http://127.0.0.1:{port}/kiosk?{query}"
    screen = kiosk.Screen(views=VIEWS, rotate=args.rotate, refresh=args.refresh)
    duration = args.minutes * 60
    server = start_server(port, db)
    samples: list[dict[str, Any]] = []
    events: dict[str, Any] = {}
    views_seen: set[str] = set()
    bad_samples = 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            cdp = page.context.new_cdp_session(page)
            page.goto(url)
            page.wait_for_selector(".k-header", timeout=120_000)
            page.wait_for_timeout(5_000)
            start = {"server_rss_mib": round(rss_mib(server.pid), 1), **tab_memory(cdp),
                     **screen_state(page)}
            t0 = time.monotonic()
            new_load_at, restart_at = duration * 0.25, duration * 0.5
            next_sample = 0.0
            last_received = start["received"]
            while (elapsed := time.monotonic() - t0) < duration:
                state = screen_state(page)
                if state["view"]:
                    views_seen.add(state["view"])
                last_received = state["received"] or last_received
                if "load" not in events and elapsed >= new_load_at and last_received:
                    # A new load replaces the file atomically (etl.store); the screen must show it without a restart.
                    before = last_received
                    build(db, rows=args.rows // 2, seed=7, progress=lambda _m: None)
                    t_load = time.monotonic()
                    changed = None
                    while time.monotonic() - t_load < args.refresh + 2 * args.rotate * len(VIEWS) + 30:
                        now = screen_state(page)["received"]
                        if now and now != before:
                            changed = round(time.monotonic() - t_load, 1)
                            break
                        page.wait_for_timeout(500)
                    events["load"] = {"received_before": before, "received_after": now, "seconds_to_show": changed}
                if "restart" not in events and elapsed >= restart_at:
                    page.evaluate("window.__beforeRestart = true")   # gone once the watchdog has reloaded the tab
                    stop_server(server)
                    t_down = time.monotonic()
                    page.wait_for_timeout(8_000)           # the screen sits without a server for a while
                    down_state = screen_state(page)
                    server = start_server(port, db)
                    t_up = time.monotonic()
                    recovered = None
                    while time.monotonic() - t_up < 90:
                        s = screen_state(page)
                        if s["reloaded_since_restart"] and s["view"] and not s["error"] and not s["offline_mark"]:
                            recovered = s
                            break
                        page.wait_for_timeout(250)
                    page.wait_for_timeout(1_000)
                    # The fragment's timer is not aligned to rotation boundaries, so a screen may show the previous
                    # view for up to one `rotate` interval: both are "the same view" the clock prescribes.
                    now_ts = time.time()
                    expected = sorted({kiosk.current_view(screen, now_ts)[1],
                                       kiosk.current_view(screen, now_ts - args.rotate)[1]})
                    shown = screen_state(page)
                    events["restart"] = {
                        "offline_seconds": round(t_up - t_down, 1),
                        "error_visible_while_down": down_state["error"],
                        "offline_mark_while_down": down_state["offline_mark"],
                        "seconds_to_reload_after_server_up": round(time.monotonic() - t_up, 1) if recovered else None,
                        "view_after": shown["view"], "views_expected_by_clock": expected,
                        "same_view": shown["view"] in expected,
                        "error_after": shown["error"], "url_after": page.url,
                    }
                    t0 += time.monotonic() - t_down         # the outage does not count towards the soak time
                if elapsed >= next_sample:
                    sample = {"t": round(elapsed), "server_rss_mib": round(rss_mib(server.pid), 1),
                              **tab_memory(cdp), **screen_state(page)}
                    bad_samples += int(sample["error"] or not sample["view"])
                    samples.append(sample)
                    print(sample, flush=True)
                    next_sample += args.sample_every
                page.wait_for_timeout(1_000)
            end = {"server_rss_mib": round(rss_mib(server.pid), 1), **tab_memory(cdp), **screen_state(page)}
            browser.close()
    finally:
        stop_server(server)
    payload = {"machine": machine(), "args": vars(args), "url_query": query, "start": start, "end": end,
               "events": events, "views_seen": sorted(views_seen), "samples_with_error_or_blank": bad_samples,
               "samples": samples}
    path = save(args.name, payload)
    print({k: payload[k] for k in ("start", "end", "events", "views_seen", "samples_with_error_or_blank")})
    print(f"saved {path.relative_to(ROOT)}")
    ok = (events.get("restart", {}).get("seconds_to_reload_after_server_up") is not None
          and events["restart"]["same_view"]
          and not end["error"] and views_seen == set(VIEWS))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
