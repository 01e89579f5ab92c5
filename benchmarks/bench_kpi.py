"""Benchmarks: KPI functions and the reads behind each page, cold and warm, against the naive pandas approach.

    python benchmarks/bench_kpi.py [--db /tmp/perf10m.duckdb] [--filters last30,lastyear,all,kecamatan_year]

Cold = the first call in a fresh process (new DuckDB instance, empty buffer pool; the file itself may sit in the
OS page cache, as it does on a server). Warm = median of repeated calls on the open connection with no app cache
(what a cache miss costs once the server has run a while). The naive approach reads the raw table into pandas and
computes metrics.summary + metrics.by_kecamatan there; its figures are compared with the marts' (exactness check).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    DEFAULT_DB,
    load_now,
    machine,
    median_time,
    ms,
    page_filters,
    page_reads,
    rss_mib,
    save,
    timed,
)

KPI_FUNCTIONS = ("summary", "by_kecamatan", "service_index")


def _filters(db: str, name: str) -> Any:
    from kpi import queries
    from kpi.db import Reader

    first, latest = queries.data_bounds(Reader(db))
    return page_filters(latest, first)[name]


def worker_reads(db: str, page: str, filter_name: str, repeat: int) -> dict[str, Any]:
    """Cold then warm timings of one page's reads (or one KPI function) in this fresh process."""
    from kpi import metrics
    from kpi.db import Reader

    f = _filters(db, filter_name)
    reads = ([(getattr(metrics, page), (f,))] if page in KPI_FUNCTIONS else page_reads(f)[page])
    r = Reader(db)
    cold = {}
    for fn, args in reads:
        cold[fn.__name__] = cold.get(fn.__name__, 0.0) + timed(lambda fn=fn, args=args: fn(r, *args))[0]
    warm_total = median_time(lambda: [fn(r, *args) for fn, args in reads], repeat)
    return {"page": page, "filter": filter_name, "cold_ms": ms(sum(cold.values())), "warm_ms": ms(warm_total),
            "cold_by_function_ms": {k: ms(v) for k, v in cold.items()}, "rss_mib": round(rss_mib(), 1),
            "load": load_now()}


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def worker_naive(db: str, filter_names: list[str]) -> dict[str, Any]:
    """Read the raw table into pandas once, then compute the overview figures per filter set; check exactness."""
    import naive
    import pandas as pd

    from kpi import metrics
    from kpi.db import Reader

    base = rss_mib()
    read_s, raw = timed(lambda: naive.read_raw(db))
    out: dict[str, Any] = {"rows": len(raw), "read_ms": ms(read_s), "rss_after_read_mib": round(rss_mib(), 1),
                           "frame_mib": round(raw.memory_usage(deep=True).sum() / 2**20, 1),
                           "rss_delta_mib": round(rss_mib() - base, 1), "filters": {}}
    r = Reader(db)
    for name in filter_names:
        f = _filters(db, name)
        t_sum, s_naive = timed(lambda f=f: naive.summary(raw, f))
        t_kec, k_naive = timed(lambda f=f: naive.by_kecamatan(raw, f))
        s_mart = metrics.summary(r, f)
        k_mart = metrics.by_kecamatan(r, f)
        merged = k_mart.merge(k_naive, on="kecamatan_code", how="left", suffixes=("", "_naive"))
        mismatches = [k for k in s_naive if not _close(s_naive[k], s_mart[k])]
        for col in ("received", "completed", "open_at_end", "median_hours", "p90_hours", "on_time_rate"):
            a, b = merged[col], merged[f"{col}_naive"]
            if not all(_close(None if pd.isna(x) else x, None if pd.isna(y) else y) for x, y in zip(a, b, strict=True)):
                mismatches.append(f"by_kecamatan.{col}")
        out["filters"][name] = {"summary_ms": ms(t_sum), "by_kecamatan_ms": ms(t_kec),
                                "with_read_ms": ms(read_s + t_sum + t_kec), "mismatches": mismatches,
                                "load": load_now()}
    return out


def _spawn(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(DEFAULT_DB))
    ap.add_argument("--filters", default="last30,lastyear,all,kecamatan_year")
    ap.add_argument("--pages", default="summary,by_kecamatan,service_index,overview,throughput,processing,map,data")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-naive", action="store_true")
    ap.add_argument("--worker", choices=["reads", "naive"])
    ap.add_argument("--page")
    ap.add_argument("--name", default="kpi")
    args = ap.parse_args()
    filters = args.filters.split(",")
    if args.worker == "reads":
        print(json.dumps(worker_reads(args.db, args.page, filters[0], args.repeat)))
        return
    if args.worker == "naive":
        print(json.dumps(worker_naive(args.db, filters)))
        return

    result: dict[str, Any] = {"machine": machine(), "db": args.db, "reads": [], "naive": None}
    print(f"# {result['machine']}")
    print(f"{'page / function':<16} {'filter':<15} {'cold ms':>9} {'warm ms':>9} {'load':>5}")
    for page in args.pages.split(","):
        for name in filters:
            row = _spawn(["--worker", "reads", "--db", args.db, "--page", page, "--filters", name,
                          "--repeat", str(args.repeat)])
            result["reads"].append(row)
            print(f"{page:<16} {name:<15} {row['cold_ms']:>9} {row['warm_ms']:>9} {row['load']:>5}", flush=True)
    if not args.no_naive:
        naive = _spawn(["--worker", "naive", "--db", args.db, "--filters", ",".join(filters)])
        result["naive"] = naive
        print(f"naive: read {naive['rows']:,} rows in {naive['read_ms']} ms, frame {naive['frame_mib']} MiB, "
              f"RSS +{naive['rss_delta_mib']} MiB")
        by = {(r["page"], r["filter"]): r for r in result["reads"]}
        for name, n in naive["filters"].items():
            mart_cold = by[("summary", name)]["cold_ms"] + by[("by_kecamatan", name)]["cold_ms"]
            mart_warm = by[("summary", name)]["warm_ms"] + by[("by_kecamatan", name)]["warm_ms"]
            n["ratio_cold"] = round(n["with_read_ms"] / mart_cold, 1)
            n["ratio_warm"] = round(n["with_read_ms"] / mart_warm, 1)
            n["ratio_compute_only_warm"] = round((n["summary_ms"] + n["by_kecamatan_ms"]) / mart_warm, 1)
            print(f"naive {name:<15} summary {n['summary_ms']} ms + by_kecamatan {n['by_kecamatan_ms']} ms "
                  f"(+read: {n['with_read_ms']} ms) vs marts cold {mart_cold:.1f} / warm {mart_warm:.1f} ms -> "
                  f"x{n['ratio_cold']} cold, x{n['ratio_warm']} warm; mismatches: {n['mismatches'] or 'none'}")
    print(f"saved {save(args.name, result)}")


if __name__ == "__main__":
    main()
