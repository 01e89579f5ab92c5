"""Benchmarks: `python -m etl build --rows N` — wall time, generator rows/s, mart time and peak memory.

    python benchmarks/bench_build.py --rows 10000000 --db /tmp/perf10m.duckdb

Runs the real CLI in a child process and samples its resident memory (with children) every 0.1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DB, ROOT, load_now, machine, rss_mib, save


def run_build(db: str, rows: int, seed: int = 42) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "etl", "build", "--db", db, "--rows", str(rows), "--seed", str(seed), "--force"]
    load_before = load_now()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            with contextlib.suppress(Exception):  # the process may end between two samples
                peak = max(peak, rss_mib(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(f"{time.perf_counter() - t0:7.1f}s  {line.rstrip()}")
        print(lines[-1], flush=True)
    proc.wait()
    done.set()
    sampler.join()
    wall = time.perf_counter() - t0
    text = "\n".join(lines)
    rate = re.search(r"rows in ([\d.]+) s \(([\d,]+) rows/s\)", text)
    marts = re.search(r"Marts built in ([\d.]+) s", text)
    return {
        "rows": rows, "exit": proc.returncode, "wall_s": round(wall, 1),
        "generate_s": float(rate.group(1)) if rate else None,
        "rows_per_s": int(rate.group(2).replace(",", "")) if rate else None,
        "marts_s": float(marts.group(1)) if marts else None,
        "peak_rss_mib": round(peak, 1), "db_mib": round(Path(db).stat().st_size / 2**20, 1),
        "load_before": load_before, "load_after": load_now(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(DEFAULT_DB))
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    result = {"machine": machine(), "build": run_build(args.db, args.rows, args.seed)}
    print(result["build"])
    print(f"saved {save(args.name or f'build_{args.rows}', result)}")


if __name__ == "__main__":
    main()
