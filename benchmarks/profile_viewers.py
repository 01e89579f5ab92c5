"""Benchmark: where one Streamlit process spends its CPU under simulated viewers — py-spy (`pip install py-spy`)
samples the server while benchmarks/load_sessions.py's viewers use it, and the samples are summed per function
(inclusive: a function's share counts everything it called).

    python benchmarks/profile_viewers.py --db /tmp/scale10m.duckdb --viewers 50 --seconds 45 --name profile_50

Writes benchmarks/results/<name>.json (the step's figures and the 60 functions with the largest share) and the raw
py-spy samples beside it as <name>.folded (not kept in git).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_sessions
from cluster import start_servers
from common import RESULTS_DIR, machine, save

IDLE = ("select (", "wait (threading", "_worker (concurrent", "epoll", "poll (")


def shares(folded: Path, top: int = 60) -> tuple[int, list[tuple[float, str]]]:
    """(busy samples, [(share %, function)]) from py-spy's raw output, idle threads left out."""
    inclusive: collections.Counter[str] = collections.Counter()
    busy = 0
    for line in folded.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        if any(k in frames[-1] for k in IDLE):
            continue
        busy += int(n)
        for f in set(frames):
            inclusive[f] += int(n)
    return busy, [(round(100 * v / max(busy, 1), 1), k) for k, v in inclusive.most_common(top)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="/tmp/scale10m.duckdb")
    ap.add_argument("--viewers", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=45)
    ap.add_argument("--name", default="profile_viewers")
    args = ap.parse_args()
    folded = RESULTS_DIR / f"{args.name}.folded"
    cluster = start_servers(args.db, 1, log_dir=Path(tempfile.mkdtemp(prefix="pantau_profile_")))
    try:
        asyncio.run(load_sessions.warm_up(cluster.url))
        ramp = 8.0
        spy = subprocess.Popen(["py-spy", "record", "-p", str(cluster.servers[0].pid), "-d", str(int(args.seconds)),
                                "-r", "50", "-f", "raw", "-o", str(folded), "--nonblocking"])
        cpu0, t0 = cluster.cpu_seconds(), time.monotonic()
        run = asyncio.run(load_sessions.step(cluster.url, args.viewers, 0, args.seconds + 5, ramp, 1))
        wall = time.monotonic() - t0
        step = load_sessions.summary(run, ramp, args.seconds + 5, wall, cluster.cpu_seconds() - cpu0, 0)
        spy.wait()
    finally:
        cluster.stop()
    busy, top = shares(folded)
    for share, fn in top[:40]:
        print(f"{share:5.1f}%  {fn[:130]}")
    result = {"machine": machine(), "viewers": args.viewers, "step": step, "busy_samples": busy, "top": top}
    print(f"saved {save(args.name, result)}")


if __name__ == "__main__":
    main()
