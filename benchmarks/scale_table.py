"""Benchmark driver: the 1M / 10M / 100M table of benchmarks/README.md in one unattended command.

For each size it runs, one after the other and each as its own script (so each result file stands alone):
  build       bench_build.py        wall time, database size, peak RSS
  pages       bench_pages.py        AppTest cold / warm / year-long filter change of every page, process RSS
  briefing    bench_briefing.py     the weekly PDF, cold (new process) and warm
  load 1k     bench_small_load.py   1,000-row nightly loads: standby (default) against a whole copy, same run
  load 1M     bench_small_load.py   a 1,000,000-row load, the same two ways
then writes benchmarks/results/<name>.json with every figure and prints the markdown table.

    python benchmarks/scale_table.py --sizes 1000000,10000000,100000000 --dir /tmp/pantau-scale --name scale_table

Needs free disk for the database plus two working copies (100M: about 4 GiB each). Run it on a quiet machine; it
records the load average of every step. --skip-build reuses databases already at <dir>/pantau_<rows>.duckdb.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, ROOT, machine, save

HERE = Path(__file__).resolve().parent
TARGETS = {"cold_ms": 1000, "warm_ms": 150, "filter_period_ms": 500, "briefing_ms": 5000, "load_1k_s": 2.0}


def step(args: list[str], name: str) -> dict[str, Any]:
    """Run one benchmark script (its own output goes to the terminal) and read the result file it wrote."""
    t0 = time.monotonic()
    load = os.getloadavg()[0]
    code = subprocess.run([sys.executable, *args, "--name", name], cwd=ROOT).returncode
    path = RESULTS_DIR / f"{name}.json"
    out = json.loads(path.read_text()) if code == 0 and path.exists() else {"failed": code}
    out["_step"] = {"seconds": round(time.monotonic() - t0, 1), "load_before": round(load, 2), "exit": code}
    return out


def one_size(rows: int, work: Path, prefix: str, skip_build: bool) -> dict[str, Any]:
    db = work / f"pantau_{rows}.duckdb"
    tag = f"{prefix}_{rows // 1_000_000}m" if rows >= 1_000_000 else f"{prefix}_{rows}"
    out: dict[str, Any] = {"rows": rows, "db": str(db)}
    if not (skip_build and db.exists()):
        out["build"] = step([str(HERE / "bench_build.py"), "--rows", str(rows), "--db", str(db)], f"{tag}_build")
    out["pages"] = step([str(HERE / "bench_pages.py"), "--db", str(db), "--no-browser"], f"{tag}_pages")
    out["briefing"] = step([str(HERE / "bench_briefing.py"), "--db", str(db), "--repeat", "3"], f"{tag}_briefing")
    out["load_1k"] = step([str(HERE / "bench_small_load.py"), "--db", str(db), "--rows", "1000", "--repeat", "5",
                           "--dir", str(work / "load")], f"{tag}_load_1k")
    out["load_1m"] = step([str(HERE / "bench_small_load.py"), "--db", str(db), "--rows", "1000000", "--repeat", "1",
                           "--dir", str(work / "load")], f"{tag}_load_1m")
    out["db_mib"] = round(db.stat().st_size / 2**20)
    return out


def table(sizes: list[dict[str, Any]]) -> str:
    """The README table: one column per size, one row per figure, each row naming its target where there is one."""
    def cell(fn: Any) -> str:
        try:
            value = fn()
        except (KeyError, TypeError, IndexError, ValueError):
            return "–"
        return f"{value:,}" if isinstance(value, int) else str(value)

    rows: list[tuple[str, Any]] = [
        ("build (s)", lambda s: s["build"]["build"]["wall_s"]),
        ("build peak RSS (MiB)", lambda s: s["build"]["build"]["peak_rss_mib"]),
        ("database (MiB)", lambda s: s["db_mib"]),
    ]
    pages = ("overview", "throughput", "processing", "map", "tourism", "smartcity", "data", "upload", "kiosk")
    for page in pages:
        for key, label in (("cold_ms", "cold"), ("warm_ms", "warm"), ("filter_period_ms", "year filter")):
            rows.append((f"{page} {label} (ms)", lambda s, p=page, k=key: s["pages"]["apptest"]["pages"][p][k]))
    rows += [
        ("pages: process RSS (MiB)", lambda s: s["pages"]["apptest"]["process_rss_mib"]),
        ("briefing cold, new process (ms)", lambda s: s["briefing"]["runs"]["city_id"]["cold_process_ms"]),
        ("briefing warm (ms)", lambda s: s["briefing"]["runs"]["city_id"]["warm_ms"]),
        ("1,000-row load, standby (s)", lambda s: s["load_1k"]["summary"]["standby_median_s"]),
        ("1,000-row load, whole copy (s)", lambda s: s["load_1k"]["summary"]["whole_copy_median_s"]),
        ("1,000-row load, first (no standby yet) (s)", lambda s: s["load_1k"]["summary"]["standby_first_s"]),
        ("1,000-row load peak RSS (MiB)", lambda s: s["load_1k"]["summary"]["peak_rss_mib"]),
        ("1M-row load, standby (s)", lambda s: s["load_1m"]["summary"]["standby_median_s"]),
        ("1M-row load, whole copy (s)", lambda s: s["load_1m"]["summary"]["whole_copy_median_s"]),
        ("1M-row load peak RSS (MiB)", lambda s: s["load_1m"]["summary"]["peak_rss_mib"]),
    ]
    head = "| figure | " + " | ".join(f"{s['rows']:,}" for s in sizes) + " |"
    lines = [head, "|---|" + "---:|" * len(sizes)]
    lines += [f"| {label} | " + " | ".join(cell(lambda s=s, fn=fn: fn(s)) for s in sizes) + " |" for label, fn in rows]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,10000000,100000000")
    ap.add_argument("--dir", default="/tmp/pantau-scale")
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--name", default="scale_table")
    args = ap.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"machine": machine(), "sizes": []}
    for rows in (int(x) for x in args.sizes.split(",")):
        result["sizes"].append(one_size(rows, work, args.name, args.skip_build))
        save(args.name, result)  # after every size: a run cut short keeps what it measured
    result["table"] = table(result["sizes"])
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(result["table"])
    print(f"saved {save(args.name, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
