"""Benchmark: many simultaneous headless-browser sessions against one Pantau server, on loopback only.

Starts `streamlit run dashboard.py` on 127.0.0.1, opens SESSIONS browser contexts in one headless Chromium, and for
SECONDS each session keeps opening pages (a full page load = a new Streamlit session each time, like a visitor
following a link). Records the page time (navigation until the page has finished running) and the server's RSS,
then closes every session and records RSS again once Streamlit has dropped the disconnected sessions
(server.disconnectedSessionTTL, 120 s by default).

    python benchmarks/load_sessions.py --db /tmp/pantau_load.duckdb --sessions 10 --seconds 60

Writes benchmarks/results/load_sessions.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.request import urlopen

import psutil

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PATHS = ["", "layanan", "waktu-proses", "peta", "pariwisata", "tentang-data", "ringkasan?lang=en", "kiosk"]
MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss(proc: psutil.Process) -> int:
    try:
        return proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
    except psutil.Error:
        return 0


class Sampler(threading.Thread):
    """Server RSS once a second."""

    def __init__(self, proc: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.proc, self.samples, self.stop = proc, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), _rss(self.proc)))
            self.stop.wait(1.0)


async def _view(page, base: str, path: str) -> float:
    t0 = time.perf_counter()
    # "commit", not "load": under load the static bundle can take longer than the default 30 s; what counts is the
    # time until the page has run, measured below.
    await page.goto(f"{base}/{path}", wait_until="commit", timeout=300_000)
    await page.wait_for_selector(".k-header" if path.startswith("kiosk") else ".pantau-band", timeout=300_000)
    await page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                 timeout=300_000)
    return time.perf_counter() - t0


async def _session(browser, base: str, seconds: float, seed: int, times: list[tuple[str, float]],
                   errors: list[str], dialogs: list[str]) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(seed * 1.0)  # visitors arrive over a few seconds, not in the same millisecond
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    page.on("dialog", lambda d: dialogs.append(d.message))
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            path = rng.choice(PATHS)
            try:
                times.append((path or "overview", await _view(page, base, path)))
                text = await page.inner_text("body")
                if "Traceback" in text or "Connection error" in text:
                    errors.append(f"{path}: error text on the page")
            except Exception as exc:  # a timeout counts as an error, the run goes on
                errors.append(f"{path}: {type(exc).__name__}: {str(exc)[:120]}")
    finally:
        await context.close()


async def _drive(base: str, sessions: int, seconds: float) -> dict:
    from playwright.async_api import async_playwright

    times: list[tuple[str, float]] = []
    errors: list[str] = []
    dialogs: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            await asyncio.gather(*(_session(browser, base, seconds, i, times, errors, dialogs)
                                   for i in range(sessions)))
        finally:
            await browser.close()
    return {"times": times, "errors": errors, "dialogs": dialogs}


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="/tmp/pantau_load.duckdb", help="database (built with --rows if missing)")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--settle", type=float, default=150, help="idle seconds after closing, > disconnectedSessionTTL")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "load_sessions.json"))
    args = ap.parse_args(argv)

    db = Path(args.db)
    if not db.exists():
        subprocess.run([sys.executable, "-m", "etl", "build", "--db", str(db), "--rows", str(args.rows)], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                               "--server.address", "127.0.0.1", "--server.port", str(port)],
                              cwd=ROOT, env={**os.environ, "PANTAU_DB": str(db)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    proc = psutil.Process(server.pid)
    try:
        for _ in range(240):
            try:
                if urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        # Warm-up: one visitor opens every page once (imports, first queries, caches), then the baseline.
        warm = asyncio.run(_warm(base))
        time.sleep(3)
        rss_start = _rss(proc)
        sampler = Sampler(proc)
        sampler.start()
        t0 = time.monotonic()
        result = asyncio.run(_drive(base, args.sessions, args.seconds))
        load_seconds = time.monotonic() - t0
        rss_end_of_load = _rss(proc)
        gc.collect()
        time.sleep(30)
        rss_30s = _rss(proc)
        time.sleep(max(args.settle - 30, 0))
        rss_settled = _rss(proc)
        sampler.stop.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    times = [t for _, t in result["times"]]
    by_page: dict[str, list[float]] = {}
    for path, t in result["times"]:
        by_page.setdefault(path, []).append(t)
    peak = max((r for _, r in sampler.samples), default=rss_end_of_load)
    report = {
        "sessions": args.sessions, "seconds": round(load_seconds, 1), "database_rows": args.rows,
        "page_views": len(times), "errors": len(result["errors"]), "error_samples": result["errors"][:5],
        "dialogs": len(result["dialogs"]),
        "page_seconds": {"p50": round(_pct(times, 50), 2), "p95": round(_pct(times, 95), 2),
                         "max": round(max(times), 2)} if times else {},
        "p95_by_page": {k: round(_pct(v, 95), 2) for k, v in sorted(by_page.items())},
        "warm_up_seconds": warm,
        "server_rss_mib": {"before": round(rss_start / MIB), "peak": round(peak / MIB),
                           "end_of_load": round(rss_end_of_load / MIB), "30s_after_close": round(rss_30s / MIB),
                           f"{args.settle:.0f}s_after_close": round(rss_settled / MIB)},
        "cpu_cores": psutil.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0 if not result["errors"] and not result["dialogs"] else 1


async def _warm(base: str) -> dict[str, float]:
    from playwright.async_api import async_playwright

    out = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page()
        for path in PATHS:
            out[path or "overview"] = round(await _view(page, base, path), 2)
        await browser.close()
    return out


if __name__ == "__main__":
    sys.exit(main())
