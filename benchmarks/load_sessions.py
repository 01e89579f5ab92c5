"""Benchmark: how many simultaneous viewers Pantau holds — simulated viewers that speak Streamlit's websocket
protocol (benchmarks/stclient.py, no browser) against 1..N `streamlit run dashboard.py` processes, directly or through
Debian's nginx configured from deploy/nginx-pantau.conf (benchmarks/cluster.py).

Each viewer opens an address (with its query string: a language, a period) as a new visit, waits until the run has
finished, reads for 2–6 s, then follows one of the sidebar's links the way a click does (same session); after 4–12
views it leaves and a new visit starts. Optional kiosk screens stay on /kiosk and send the fragment reruns the browser
sends. Every view's server time (rerun request → script_finished), errors (an exception element, a lost connection,
a timeout) and bytes are kept; per step: views/s, p50/p95/max, server CPU (cores), the servers' RSS before, at the end
of the step with its sessions open, and after every session has closed (30 s, 120 s and --settle s later: Streamlit
keeps a closed session for server.disconnectedSessionTTL, 120 s), and every --rss-every seconds throughout (a long
step with --seconds 1800 shows memory over a long run).

    python benchmarks/load_sessions.py --db /tmp/scale10m.duckdb --servers 1 --steps 20,50,100 --seconds 90 \\
        --name viewers_10m
    python benchmarks/load_sessions.py --servers 1,2 --nginx --steps 100,180 --name viewers_1v2
    python benchmarks/load_sessions.py --variant gc_on=--runner.postScriptGC=true \\
        --variant gc_off=--runner.postScriptGC=false --steps 20,50 --name gc_pair

Variants and server counts run back to back in one command (before/after pairs in the same minutes). Writes
benchmarks/results/<name>.json; exit status 1 when a step had errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import Cluster, start_nginx, start_servers
from common import machine, save
from stclient import View, Viewer

# Where visits start: the overview most of all (the shared link), the other pages, English, a longer period.
ENTRIES = [("", ""), ("", ""), ("", ""), ("ringkasan", "lang=en"), ("ringkasan", "period=lastyear"),
           ("layanan", ""), ("waktu-proses", ""), ("waktu-proses", "period=lastyear"), ("peta", ""),
           ("pariwisata", ""), ("kota-cerdas", ""), ("tentang-data", ""), ("layanan", "lang=en&period=last90")]
WARM = ["", "layanan", "waktu-proses", "peta", "pariwisata", "kota-cerdas", "tentang-data", "unggah", "kiosk"]


def pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Run:
    """Views of one step, and the switch that ends it."""

    def __init__(self) -> None:
        self.views: list[tuple[float, View]] = []  # (start time relative to the step, view)
        self.stop = asyncio.Event()
        self.t0 = time.monotonic()

    def add(self, view: View) -> None:
        self.views.append((view.started - self.t0, view))


async def visitor(url: str, run: Run, rng: random.Random, delay: float) -> None:
    await asyncio.sleep(delay)
    while not run.stop.is_set():
        v = Viewer(url)
        try:
            address, query = rng.choice(ENTRIES)
            view = await v.open(address, query)
            run.add(view)
            for _ in range(rng.randint(4, 12) - 1):
                if view.failed:
                    break
                try:
                    await asyncio.wait_for(run.stop.wait(), rng.uniform(2, 6))
                    break
                except TimeoutError:
                    pass
                links = [(h, page, q) for h, page, q, disabled in view.page_links if not disabled and h]
                if not links:
                    break
                view = await v.navigate(*rng.choice(links))
                run.add(view)
        finally:
            await v.close()
        with contextlib.suppress(TimeoutError):  # the next visitor arrives
            await asyncio.wait_for(run.stop.wait(), rng.uniform(1, 3))


async def kiosk(url: str, run: Run, rng: random.Random, delay: float) -> None:
    """A screen on /kiosk: the fragment reruns the browser sends on its own, for as long as the step lasts."""
    await asyncio.sleep(delay)
    v = Viewer(url)
    try:
        run.add(await v.open("kiosk", "playlist=lobby"))
        due = {fid: time.monotonic() + every for fid, every in v.auto_reruns.items()}
        while not run.stop.is_set() and due:
            fid, at = min(due.items(), key=lambda kv: kv[1])
            try:
                await asyncio.wait_for(run.stop.wait(), max(at - time.monotonic(), 0))
                break
            except TimeoutError:
                pass
            run.add(await v.fragment(fid))
            due[fid] = time.monotonic() + v.auto_reruns.get(fid, 60)
    finally:
        await v.close()


async def step(url: str, viewers: int, kiosks: int, seconds: float, ramp: float, seed: int) -> Run:
    run = Run()
    rng = random.Random(seed)
    tasks = [asyncio.create_task(visitor(url, run, random.Random(rng.random()), ramp * i / max(viewers, 1)))
             for i in range(viewers)]
    tasks += [asyncio.create_task(kiosk(url, run, random.Random(rng.random()), ramp * i / max(kiosks, 1)))
              for i in range(kiosks)]
    await asyncio.sleep(ramp + seconds)
    run.stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return run


def summary(run: Run, ramp: float, seconds: float, wall: float, cpu: float, gen_cpu: float) -> dict[str, Any]:
    measured = [v for t, v in run.views if t >= ramp]  # views started once every viewer had arrived
    times = [v.seconds for v in measured if v.seconds is not None and v.status == "ok"]
    failed = [v for v in measured if v.failed]
    by_page: dict[str, list[float]] = {}
    for v in measured:
        if v.seconds is not None and v.status == "ok":
            by_page.setdefault(v.path or "(root)", []).append(v.seconds)
    return {
        "views": len(measured), "views_per_s": round(len(measured) / seconds, 2),
        "p50_s": round(pct(times, 50), 3) if times else None, "p95_s": round(pct(times, 95), 3) if times else None,
        "max_s": round(max(times), 3) if times else None,
        "errors": len(failed), "error_kinds": sorted({v.status for v in failed}),
        "error_samples": [f"{v.path}?{v.query} {v.status} {v.exceptions[:1]}" for v in failed[:5]],
        "errors_in_ramp": sum(1 for t, v in run.views if t < ramp and v.failed),
        "error_alerts": sum(v.error_alerts for v in measured),
        "kib_per_view": round(statistics.mean(v.bytes for v in measured) / 1024, 1) if measured else None,
        "deltas_per_view": round(statistics.mean(v.deltas for v in measured), 1) if measured else None,
        "ref_hash_share": round(sum(v.ref_hashes for v in measured) / max(sum(v.deltas for v in measured), 1), 3),
        "p95_by_page_s": {k: round(pct(x, 95), 3) for k, x in sorted(by_page.items())},
        "server_cpu_cores": round(cpu / wall, 2), "server_cpu_s_per_view": round(cpu / max(len(run.views), 1), 4),
        "generator_cpu_cores": round(gen_cpu / wall, 2),
    }


async def warm_up(url: str) -> dict[str, float | None]:
    """One visitor opens every page once (imports, first queries, shared caches), as a running server has done."""
    out = {}
    for address in WARM:
        v = Viewer(url, timeout=300)
        view = await v.open(address, "playlist=lobby" if address == "kiosk" else "")
        await v.close()
        out[address or "(root)"] = round(view.seconds, 2) if view.seconds is not None else None
        if view.failed:
            raise RuntimeError(f"warm-up {address}: {view.status} {view.exceptions}")
    return out


class Sampler(threading.Thread):
    """The servers' RSS every `every` seconds, from the end of the warm-up until the last reading after close."""

    def __init__(self, cluster: Cluster, every: float) -> None:
        super().__init__(daemon=True)
        self.cluster, self.every, self.t0 = cluster, every, time.monotonic()
        self.samples: list[tuple[float, list[float]]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append((round(time.monotonic() - self.t0, 1), self.cluster.rss_mib()))
            self.done.wait(self.every)


def run_config(args: argparse.Namespace, n_servers: int, name: str, server_args: tuple[str, ...]) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="pantau_load_"))
    cluster: Cluster = start_servers(args.db, n_servers, server_args=server_args, log_dir=work)
    out: dict[str, Any] = {"variant": name, "servers": n_servers, "server_args": list(server_args),
                           "nginx": bool(args.nginx), "steps": []}
    me = psutil.Process()
    sampler = Sampler(cluster, args.rss_every)
    try:
        if args.nginx:
            start_nginx(cluster, work / "nginx")
        out["warm_up_s"] = asyncio.run(warm_up(cluster.url))
        time.sleep(2)
        out["rss_before_mib"] = cluster.rss_mib()
        sampler.start()
        for i, viewers in enumerate(args.steps):
            before = cluster.rss_mib()
            cpu0, gen0, t0 = cluster.cpu_seconds(), sum(me.cpu_times()[:2]), time.monotonic()
            load0 = os.getloadavg()[0]
            run = asyncio.run(step(cluster.url, viewers, args.kiosks, args.seconds, args.ramp, args.seed + i))
            wall = time.monotonic() - t0
            row = {"viewers": viewers, "kiosks": args.kiosks, "seconds": args.seconds, "ramp": args.ramp,
                   **summary(run, args.ramp, args.seconds, wall, cluster.cpu_seconds() - cpu0,
                             sum(me.cpu_times()[:2]) - gen0),
                   "rss_step_start_mib": before, "rss_sessions_open_mib": cluster.rss_mib(),
                   "load_1m": [round(load0, 2), round(os.getloadavg()[0], 2)]}
            # the step's sessions were open just before the last viewer left: per session, what they held
            row["mib_per_session"] = round((sum(row["rss_sessions_open_mib"]) - sum(before)) / max(viewers, 1), 2)
            out["steps"].append(row)
            print(f"  [{name} x{n_servers}] {viewers:>4} viewers: {row['views']} views, {row['views_per_s']}/s, "
                  f"p50 {row['p50_s']} p95 {row['p95_s']} max {row['max_s']} s, errors {row['errors']}, "
                  f"server {row['server_cpu_cores']} cores ({row['server_cpu_s_per_view']} s/view), "
                  f"generator {row['generator_cpu_cores']}, RSS {row['rss_sessions_open_mib']} MiB, "
                  f"load {row['load_1m']}", flush=True)
            if args.pause:
                time.sleep(args.pause)
        closed = time.monotonic()
        out["closed_at_s"] = round(closed - sampler.t0, 1)
        out["rss_after_close_mib"] = {}
        for at in sorted({30, 120, args.settle}):
            time.sleep(max(at - (time.monotonic() - closed), 0))
            out["rss_after_close_mib"][f"{at:.0f}s"] = cluster.rss_mib()
        out["rss_peak_mib"] = [max(x) for x in zip(*[s["rss_sessions_open_mib"] for s in out["steps"]],
                                                        strict=True)] if out["steps"] else None
        print(f"  [{name} x{n_servers}] RSS before {out['rss_before_mib']}, after close "
              f"{out['rss_after_close_mib']}", flush=True)
    finally:
        sampler.done.set()
        out["rss_timeline_mib"] = sampler.samples
        cluster.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("PANTAU_BENCH_DB", "/tmp/scale10m.duckdb"))
    ap.add_argument("--servers", default="1", help="process counts to measure, e.g. 1,2 (run one after the other)")
    ap.add_argument("--nginx", action="store_true", help="go through nginx (always, when a count is above 1)")
    ap.add_argument("--steps", default="20,50,100", help="viewer counts, measured one after the other")
    ap.add_argument("--kiosks", type=int, default=0, help="kiosk screens on /kiosk during every step")
    ap.add_argument("--seconds", type=float, default=90, help="measured seconds per step (after the ramp)")
    ap.add_argument("--ramp", type=float, default=15, help="seconds over which a step's viewers arrive")
    ap.add_argument("--pause", type=float, default=5, help="idle seconds between steps")
    ap.add_argument("--settle", type=float, default=150, help="RSS read this long after the last session closed")
    ap.add_argument("--rss-every", type=float, default=10, help="seconds between RSS samples (rss_timeline_mib)")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=ARG[,ARG...]: streamlit options of one variant, e.g. gc_off=--runner.postScriptGC=false")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--name", default="load_sessions")
    args = ap.parse_args(argv)
    args.steps = [int(x) for x in args.steps.split(",")]
    counts = [int(x) for x in args.servers.split(",")]
    variants = [(v.split("=", 1)[0], tuple(a for a in v.split("=", 1)[1].split(",") if a)) for v in args.variant] \
        or [("default", ())]
    if max(counts) > 1:
        args.nginx = True
    if not Path(args.db).exists():
        raise SystemExit(f"{args.db} does not exist: python -m etl build --rows 10000000 --db {args.db}")
    result: dict[str, Any] = {"machine": machine(), "db": args.db, "args": {k: v for k, v in vars(args).items()},
                              "configs": []}
    print(f"# {result['machine']}", flush=True)
    for name, server_args in variants:
        for n in counts:
            result["configs"].append(run_config(args, n, name, server_args))
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"saved {save(args.name, result)}")
    return 1 if any(s["errors"] for c in result["configs"] for s in c["steps"]) else 0


if __name__ == "__main__":
    sys.exit(main())
