"""Benchmark check: does the protocol-level viewer (benchmarks/stclient.py) measure what a browser's visit costs the
server? One server, one visitor at a time: headless Chromium and the protocol viewer take turns over the same pages,
each opening a page by its address and then clicking (sending) a sidebar link to the next page. For the browser the
server time is read off its own websocket (Playwright's frame events, decoded with Streamlit's protobuf classes):
from the `rerun_script` BackMsg it sends to the `script_finished` ForwardMsg it receives — the same span the viewer
times. Also compares bytes per view.

    python benchmarks/loadgen_check.py --db /tmp/scale10m.duckdb --rounds 5 --name loadgen_check

Writes benchmarks/results/<name>.json: per page and kind (open / navigate), the median server time of each client
and their ratio.
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
        self.done: list[tuple[float, int]] = []  # (seconds, bytes received during the run)
        self.bytes = 0

    def attach(self, ws: Any) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        def sent(payload: bytes | str) -> None:
            if isinstance(payload, bytes):
                msg = BackMsg()
                msg.ParseFromString(payload)
                if msg.WhichOneof("type") == "rerun_script" and not msg.rerun_script.fragment_id:
                    self.sent, self.bytes = time.monotonic(), 0

        def received(payload: bytes | str) -> None:
            if not isinstance(payload, bytes):
                return
            self.bytes += len(payload)
            fm = ForwardMsg()
            fm.ParseFromString(payload)
            if (fm.WhichOneof("type") == "script_finished" and self.sent is not None
                    and fm.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY):
                self.done.append((time.monotonic() - self.sent, self.bytes))
                self.sent = None

        ws.on("framesent", sent)
        ws.on("framereceived", received)

    async def next_run(self, n: int, timeout: float = 120) -> tuple[float, int]:
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
        seconds, size = await times.next_run(1)
        out.append({"client": "browser", "kind": "open", "page": address or "(root)", "seconds": seconds,
                    "bytes": size})
        await asyncio.sleep(1.0)  # let the page draw; the browser's own work is not the server's
        await page.locator(f'[data-testid="stSidebar"] a[href="{target}"]').first.click()
        seconds, size = await times.next_run(2)
        out.append({"client": "browser", "kind": "navigate", "page": target or "(root)", "seconds": seconds,
                    "bytes": size})
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
                        "bytes": view.bytes, "status": view.status})
            await asyncio.sleep(1.0)
            link = next(x for x in view.page_links if x[1] == target)
            view = await v.navigate(link[0], link[1], link[2])
            out.append({"client": "viewer", "kind": "navigate", "page": target or "(root)", "seconds": view.seconds,
                        "bytes": view.bytes, "status": view.status})
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
    args = ap.parse_args()
    result: dict[str, Any] = {"machine": machine(), "db": args.db}
    cluster = start_servers(args.db, 1, log_dir=Path(tempfile.mkdtemp(prefix="pantau_check_")))
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
                    cell[f"{client}_kib"] = round(statistics.median(r["bytes"] for r in xs) / 1024, 1)
            if "browser_ms" in cell and "viewer_ms" in cell:
                cell["ratio"] = round(cell["viewer_ms"] / cell["browser_ms"], 2)
                table[f"{kind} {page}"] = cell
                print(f"  {kind:<9}{page:<14} browser {cell['browser_ms']:>7} ms {cell['browser_kib']:>7} KiB   "
                      f"viewer {cell['viewer_ms']:>7} ms {cell['viewer_kib']:>7} KiB   ratio {cell['ratio']}")
    ratios = [c["ratio"] for c in table.values()]
    result.update(rows=rows, table=table, median_ratio=round(statistics.median(ratios), 2),
                  viewer_errors=sum(1 for r in rows if r.get("status", "ok") != "ok"),
                  load_after=[round(x, 2) for x in os.getloadavg()])
    print(f"median ratio viewer / browser: {result['median_ratio']}; saved {save(args.name, result)}")


if __name__ == "__main__":
    main()
