"""Benchmark: a nightly load into a big database — its cost against the database's size. Two working copies of the
database take the same files one after the other, alternating: one as Pantau loads by default (the replaced file
kept as a standby, levelled by changed blocks), one with PANTAU_STANDBY=0 (the whole file copied for every load, the
approach before). Each file holds `--rows` new requests of the days before the database's newest (as
ingest_bench.make_recent_csv makes them, ids unique per file); each load is `python -m etl load` in a child process
(time and peak RSS of the whole command).

    python benchmarks/bench_small_load.py --db /tmp/scale10m.duckdb --rows 1000 --repeat 5 --name small_load_10m

Writes benchmarks/results/<name>.json: per load the seconds, peak RSS, phases and how the copy was made; medians of
each side (the first load of the standby side, which has no standby yet, is reported apart) and their ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_now, machine, save
from ingest_bench import make_recent_csv, run


def load(db: Path, csv: Path, out: Path, standby: bool) -> dict[str, Any]:
    seconds, rss, code = run([sys.executable, "-m", "etl", "load", "service_requests", str(csv), "--db", str(db),
                              "--json"], out=out, env={"PANTAU_STANDBY": "1" if standby else "0"})
    if code != 0:
        raise RuntimeError(f"load failed: {out.read_text()[-500:]}")
    result = json.loads(out.read_text())
    if result["status"] != "loaded":
        raise RuntimeError(f"not loaded: {result['errors'][:1]}")
    return {"seconds": round(seconds, 3), "peak_rss_mib": round(rss), "phases": result["timings"],
            "copied": result.get("copied", {}), "rows": result["rows_loaded"], "load": load_now()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", default=None, help="working folder (default: a new one in /tmp; needs 2× the database)")
    ap.add_argument("--name", default="small_load")
    args = ap.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="pantau_small_load_"))
    work.mkdir(parents=True, exist_ok=True)
    src = Path(args.db)
    sides = {"standby": work / "standby" / "pantau.duckdb", "whole_copy": work / "whole" / "pantau.duckdb"}
    for db in sides.values():
        db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, db)
    result: dict[str, Any] = {"machine": machine(), "db": str(src), "db_mib": round(src.stat().st_size / 2**20),
                              "rows": args.rows, "loads": {"standby": [], "whole_copy": []}}
    print(f"# {result['machine']}\n{src} ({result['db_mib']} MiB), {args.rows:,} rows per load", flush=True)
    for i in range(args.repeat + 1):  # the first round gives the standby side its standby
        csv = work / f"load_{i}.csv"
        make_recent_csv(csv, args.rows, src)
        csv.write_text(csv.read_text(encoding="utf-8").replace("N-", f"N{i}-"), encoding="utf-8")
        for side, db in (sides.items() if i % 2 == 0 else reversed(sides.items())):
            row = load(db, csv, work / "out.json", standby=side == "standby")
            result["loads"][side].append(row)
            print(f"  {i} {side:<10} {row['seconds']:>6} s  {row['peak_rss_mib']:>5} MiB  "
                  f"{row['copied'].get('how')} {round(row['copied'].get('bytes', 0) / 2**20, 1)} MiB  "
                  f"{row['phases']}  (load {row['load']})", flush=True)
    standby = [r["seconds"] for r in result["loads"]["standby"][1:]]
    whole = [r["seconds"] for r in result["loads"]["whole_copy"][1:]]
    result["summary"] = {
        "standby_first_s": result["loads"]["standby"][0]["seconds"],
        "standby_median_s": round(statistics.median(standby), 3),
        "whole_copy_median_s": round(statistics.median(whole), 3),
        "ratio_whole_to_standby": round(statistics.median(whole) / statistics.median(standby), 2),
        "standby_copied_mib_median": round(statistics.median(
            r["copied"].get("bytes", 0) for r in result["loads"]["standby"][1:]) / 2**20, 2),
        "peak_rss_mib": max(r["peak_rss_mib"] for rows in result["loads"].values() for r in rows),
    }
    print(json.dumps(result["summary"], indent=2))
    print(f"saved {save(args.name, result)}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
