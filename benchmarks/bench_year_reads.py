"""Benchmark: what a year-long filter change costs, read by read — every read of the overview and the processing page
for ?period=lastyear (the Reader open, nothing cached), wall and CPU time (the process's, all DuckDB threads), and
the page's reads one after another against side by side (as `app.reads.prefetch` starts them).

    python benchmarks/bench_year_reads.py --db /tmp/scale2_10m.duckdb [--db /tmp/other.duckdb] [--rounds 9]

With two or more --db, the databases take turns read by read (e.g. the same data with marts in another order), so
every pair is measured back to back. CPU time is the figure that the other work on a shared machine disturbs least:
wall time on two busy cores says little about what two free ones would do.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_now, machine, save

from kpi import metrics, queries
from kpi.db import Reader
from kpi.filters import Filters, preset_range


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def measure(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    c0, t0 = _cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, _cpu() - c0


def page_reads(r: Reader, f: Filters) -> dict[str, dict[str, Callable[[], Any]]]:
    """The reads each page makes for the filters `f` (in the order the page shows them)."""
    return {
        "overview": {
            "summary_and_previous": lambda: metrics.summary_and_previous(r, f),
            "service_index": lambda: metrics.service_index(r, f),
            "biggest_movers": lambda: queries.biggest_movers(r, f, "id"),
        },
        "processing": {
            "service_quantiles": lambda: queries.service_quantiles(r, f, "id"),
            "time_trend": lambda: queries.time_trend(r, f, queries.grain_for(f, ("week", "month"))),
            "on_time_by_service": lambda: queries.on_time_by_service(r, f, "id"),
            "service_kecamatan_matrix": lambda: queries.service_kecamatan_matrix(r, f, "id"),
        },
    }


def one_after_another(reads: dict[str, Callable[[], Any]]) -> Callable[[], Any]:
    return lambda: [g() for g in reads.values()]


def side_by_side(reads: dict[str, Callable[[], Any]], pool: ThreadPoolExecutor) -> Callable[[], Any]:
    return lambda: [x.result() for x in [pool.submit(g) for g in reads.values()]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", action="append", required=True)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--name", default="year_reads")
    args = ap.parse_args()
    readers = [Reader(db) for db in args.db]
    first, latest = queries.data_bounds(readers[0])
    f = Filters(*preset_range("lastyear", first, latest))
    pool = ThreadPoolExecutor(max_workers=4)
    plans = [page_reads(r, f) for r in readers]
    times: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for plan in plans:  # once each, so no database pays for reading its blocks for the first time
        for reads in plan.values():
            for fn in reads.values():
                fn()
    loads = []
    for _ in range(args.rounds):
        loads.append(load_now())
        for page in plans[0]:
            for name in [*plans[0][page], "(all, one after another)", "(all, side by side)"]:
                for i, plan in enumerate(plans):
                    reads = plan[page]
                    if name == "(all, one after another)":
                        fn = one_after_another(reads)
                    elif name == "(all, side by side)":
                        fn = side_by_side(reads, pool)
                    else:
                        fn = reads[name]
                    times.setdefault((page, name, i), []).append(measure(fn))
    out: dict[str, Any] = {"machine": machine(), "dbs": args.db, "filters": [str(f.date_from), str(f.date_to)],
                           "load_per_round": loads, "reads": {}}
    print(f"# {out['machine']['load_1_5_15']} load; period {f.date_from}..{f.date_to}; medians of {args.rounds} rounds")
    print("| page | read | " + " | ".join(f"wall / CPU ms ({Path(db).name})" for db in args.db) + " |")
    print("|---|---|" + "---:|" * len(args.db))
    for page in plans[0]:
        for name in [*plans[0][page], "(all, one after another)", "(all, side by side)"]:
            cells = []
            for i in range(len(plans)):
                wall = statistics.median(w for w, _ in times[(page, name, i)])
                cpu = statistics.median(c for _, c in times[(page, name, i)])
                out["reads"].setdefault(page, {}).setdefault(name, []).append(
                    {"db": args.db[i], "wall_ms": round(1000 * wall, 1), "cpu_ms": round(1000 * cpu, 1)})
                cells.append(f"{1000 * wall:.1f} / {1000 * cpu:.1f}")
            print(f"| {page} | {name} | " + " | ".join(cells) + " |")
    print(f"saved {save(args.name, out)}")


if __name__ == "__main__":
    main()
