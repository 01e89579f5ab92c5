"""Benchmarks: what the charts' text alternatives cost — Builder.spec (rows, template, description) against the
description alone, per chart, on a year of the big database, in one process.

    python benchmarks/bench_a11y.py [--db /tmp/perf10m.duckdb] [--name a11y_describe]

The description is made from the shaped rows once per cache miss (widgets.chart caches the spec), so a warm page run
does not pay it; a cold run or a filter change pays it once per chart.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DB, ROOT, machine, save

sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--name", default="a11y_describe")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from kpi import charts, metrics, queries
    from kpi.db import Reader
    from kpi.filters import Filters

    r = Reader(args.db)
    _, latest = queries.data_bounds(r)
    f = Filters(date(latest.year - 1, latest.month, 1), latest)
    volumes = queries.volume_series(r, f, "month", "service", "id")
    calls = [
        (charts.received_completed_chart, volumes, "month", "id"),
        (charts.volume_chart, volumes, "received", "month", "service", "id"),
        (charts.quantile_boxplot, queries.service_quantiles(r, f, "id"), "id"),
        (charts.on_time_chart, queries.on_time_by_service(r, f, "id"), metrics.target_on_time_rate(r), "id"),
        (charts.heatmap_chart, queries.service_kecamatan_matrix(r, f, "id"), "id"),
        (charts.index_chart, metrics.service_index(r, f)["by_kecamatan"], "id"),
    ]
    out = {}
    for builder, data, *rest in calls:
        builder.spec(data, *rest)  # the template, built once per form
        spec_s, describe_s = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            builder.spec(data, *rest)
            spec_s.append(time.perf_counter() - t0)
            frame, key = builder.rows(data, *rest)
            t0 = time.perf_counter()
            builder._describe(frame, *key)
            describe_s.append(time.perf_counter() - t0)
        spec_ms, describe_ms = statistics.median(spec_s) * 1000, statistics.median(describe_s) * 1000
        out[builder.__name__] = {"spec_ms": round(spec_ms, 2), "describe_ms": round(describe_ms, 2),
                                 "rows": len(data)}
        print(f"{builder.__name__}: spec {spec_ms:.2f} ms, of which the description {describe_ms:.2f} ms")
    save(args.name, {"machine": machine(), "db": str(args.db), "period": [str(f.date_from), str(f.date_to)],
                     "charts": out})


if __name__ == "__main__":
    main()
