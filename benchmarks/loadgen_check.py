"""Benchmark check: does the protocol-level viewer (benchmarks/stclient.py) cost the server what a browser's visit
costs, and does it time it right? One server, one visitor at a time: headless Chromium and the protocol viewer take
turns over the same pages, each opening a page by its address and then clicking (sending) a sidebar link to the next
page. The server runs with browser.gatherUsageStats on for this check only, so after every run it sends its own
timing of the script (`page_profile`: exec_time + prep_time). Compared per page: that server time for the browser's
runs and for the viewer's (the same work?), the viewer's own time (rerun_script sent → script_finished received)
against the server time of its runs (what the viewer adds), the browser's time read off its websocket (Playwright's
frame events, decoded with Streamlit's protobuf classes; it includes Chromium drawing on the same cores and the
events' way through Playwright), and the bytes of each view.

    python benchmarks/loadgen_check.py --db /tmp/scale10m.duckdb --rounds 5 --name loadgen_check

Writes benchmarks/results/<name>.json: per page and kind (open / navigate), the medians above and their ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import start_servers
from common import machine, save
from stclient import Viewer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
# (address opened, then the sidebar link followed): every dashboard page once as each
ROUTE = [("", "layanan"), ("layanan", "waktu-proses"), ("waktu-proses", "peta"), ("peta", "pariwisata"),
         ("pariwisata", "kota-cerdas"), ("kota-cerdas", "tentang-data"), ("tentang-data", "")]


class BrowserTimes:
    """rerun_script → script_finished on a page's websocket, as the frames pass (binary protobuf)."""

    def __init__(self) -> None:
        self.sent: float | None = None
        self.done: list[tuple[float, int, float | None]] = []  # (seconds, bytes received, server seconds)
        self.bytes = 0
        self.server: float | None = None

    def attach(self, ws: Any) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        def sent(payload: bytes | str) -> None:
            if isinstance(payload, bytes):
                msg = BackMsg()
                msg.ParseFromString(payload)
                if msg.WhichOneof("type") == "rerun_script" and not msg.rerun_script.fragment_id:
                    self.sent, self.bytes, self.server = time.monotonic(), 0, None

        def received(payload: bytes | str) -> None:
            if not isinstance(payload, bytes):
                return
            self.bytes += len(payload)
            fm = ForwardMsg()
            fm.ParseFromString(payload)
            if fm.WhichOneof("type") == "page_profile":
                self.server = (fm.page_profile.exec_time + fm.page_profile.prep_time) / 1e6
            if (fm.WhichOneof("type") == "script_finished" and self.sent is not None
                    and fm.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY):
                self.done.append((time.monotonic() - self.sent, self.bytes, self.server))
                self.sent = None

        ws.on("framesent", sent)
        ws.on("framereceived", received)

    async def next_run(self, n: int, timeout: float = 120) -> tuple[float, int, float | None]:
        deadline = time.monotonic() + timeout
        while len(self.done) < n:
            if time.monotonic() > deadline:
                raise TimeoutError("no script_finished")
            await asyncio.sleep(0.01)
        return self.done[n - 1]


async def browser_round(base: str, browser: Any) -> list[dict[str, Any]]:
    out = []
    for address, target in ROUTE:
        context = await browser.new_context(viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        times = BrowserTimes()
        page.on("websocket", times.attach)
        await page.goto(f"{base}/{address}")
        seconds, size, server = await times.next_run(1)
        out.append({"client": "browser", "kind": "open", "page": address or "(root)", "seconds": seconds,
                    "bytes": size, "server_seconds": server})
        await asyncio.sleep(1.0)  # let the page draw; the browser's own work is not the server's
        await page.locator(f'[data-testid="stSidebar"] a[href="{target}"]').first.click()
        seconds, size, server = await times.next_run(2)
        out.append({"client": "browser", "kind": "navigate", "page": target or "(root)", "seconds": seconds,
                    "bytes": size, "server_seconds": server})
        await asyncio.sleep(1.0)
        await context.close()
    return out


async def viewer_round(base: str) -> list[dict[str, Any]]:
    out = []
    for address, target in ROUTE:
        v = Viewer(base)
        try:
            view = await v.open(address)
            out.append({"client": "viewer", "kind": "open", "page": address or "(root)", "seconds": view.seconds,
                        "bytes": view.bytes, "status": view.status, "server_seconds": view.server_seconds})
            await asyncio.sleep(1.0)
            link = next(x for x in view.page_links if x[1] == target)
            view = await v.navigate(link[0], link[1], link[2])
            out.append({"client": "viewer", "kind": "navigate", "page": target or "(root)", "seconds": view.seconds,
                        "bytes": view.bytes, "status": view.status, "server_seconds": view.server_seconds})
            await asyncio.sleep(1.0)
        finally:
            await v.close()
    return out


async def drive(base: str, rounds: int) -> list[dict[str, Any]]:
    from playwright.async_api import async_playwright

    rows: list[dict[str, Any]] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            await viewer_round(base)  # warm-up: imports, first reads, caches, as on a running server
            for i in range(rounds):  # alternate who goes first, so a drift of the machine hits both
                first, second = (browser_round(base, browser), viewer_round(base)) if i % 2 == 0 else \
                    (viewer_round(base), browser_round(base, browser))
                rows += await first
                rows += await second
                print(f"  round {i + 1}/{rounds} done (load {os.getloadavg()[0]:.2f})", flush=True)
        finally:
            await browser.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("PANTAU_BENCH_DB", "/tmp/scale10m.duckdb"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--name", default="loadgen_check")
    ap.add_argument("--no-pin", action="store_true", help="let the server and the clients share every core")
    args = ap.parse_args()
    result: dict[str, Any] = {"machine": machine(), "db": args.db}
    # On a machine of two cores or more the server gets core 0 and the clients (this process, Chromium and its
    # child processes, which inherit it) the others: a browser drawing a page would otherwise slow the server.
    cores = sorted(os.sched_getaffinity(0))
    pin = len(cores) >= 2 and not args.no_pin
    cluster = start_servers(args.db, 1, server_args=("--browser.gatherUsageStats", "true"),
                            log_dir=Path(tempfile.mkdtemp(prefix="pantau_check_")),
                            cpus={cores[0]} if pin else None)
    if pin:
        os.sched_setaffinity(0, set(cores[1:]))
    result["pinned"] = {"server": cores[:1], "clients": cores[1:]} if pin else None
    try:
        rows = asyncio.run(drive(cluster.url, args.rounds))
    finally:
        cluster.stop()
    table: dict[str, dict[str, Any]] = {}
    for kind in ("open", "navigate"):
        for page in dict.fromkeys(r["page"] for r in rows):
            cell = {}
            for client in ("browser", "viewer"):
                xs = [r for r in rows if r["client"] == client and r["kind"] == kind and r["page"] == page]
                if xs:
                    cell[f"{client}_ms"] = round(statistics.median(r["seconds"] for r in xs) * 1000, 1)
                    cell[f"{client}_server_ms"] = round(statistics.median(
                        r["server_seconds"] or 0 for r in xs) * 1000, 1)
                    cell[f"{client}_kib"] = round(statistics.median(r["bytes"] for r in xs) / 1024, 1)
            if "browser_ms" in cell and "viewer_ms" in cell and cell["browser_server_ms"]:
                # the same work? the server's own times of both clients' runs
                cell["server_ratio"] = round(cell["viewer_server_ms"] / cell["browser_server_ms"], 2)
                # what the viewer's time adds to the server's: the wire, the queue, decoding
                cell["viewer_over_server_ms"] = round(cell["viewer_ms"] - cell["viewer_server_ms"], 1)
                table[f"{kind} {page}"] = cell
                print(f"  {kind:<9}{page:<14} server time: browser's runs {cell['browser_server_ms']:>7} ms, "
                      f"viewer's {cell['viewer_server_ms']:>7} ms (ratio {cell['server_ratio']}); viewer measured "
                      f"{cell['viewer_ms']:>7} ms (+{cell['viewer_over_server_ms']}); browser measured "
                      f"{cell['browser_ms']:>7} ms; KiB {cell['browser_kib']} / {cell['viewer_kib']}")
    ratios = [c["server_ratio"] for c in table.values()]
    result.update(rows=rows, table=table, median_server_ratio=round(statistics.median(ratios), 2),
                  median_viewer_over_server_ms=round(statistics.median(
                      c["viewer_over_server_ms"] for c in table.values()), 1),
                  same_bytes=all(c["browser_kib"] == c["viewer_kib"] for c in table.values()),
                  viewer_errors=sum(1 for r in rows if r.get("status", "ok") != "ok"),
                  load_after=[round(x, 2) for x in os.getloadavg()])
    print(f"server time of the viewer's runs / of the browser's: median {result['median_server_ratio']}; the viewer "
          f"adds a median {result['median_viewer_over_server_ms']} ms to the server's time; same bytes: "
          f"{result['same_bytes']}; saved {save(args.name, result)}")


if __name__ == "__main__":
    main()
