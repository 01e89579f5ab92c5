"""Benchmark: where a load's time goes, statement by statement — one `load_file` into a copy of a database, every SQL
statement of the writer's connection timed (the slowest listed), with the load's own phases.

    python benchmarks/bench_load_statements.py --db /tmp/scale10m.duckdb --rows 1000 --name load_statements_10m

The file is a nightly extract (ingest_bench.make_recent_csv). Writes benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, save
from ingest_bench import make_recent_csv


class TimedConnection:
    """A DuckDB connection that records how long each execute() took."""

    def __init__(self, con: duckdb.DuckDBPyConnection, log: list[tuple[float, str]]) -> None:
        self._con, self._log = con, log

    def execute(self, query: str, *args: Any, **kwargs: Any) -> TimedConnection:
        t0 = time.perf_counter()
        self._con.execute(query, *args, **kwargs)
        self._log.append((time.perf_counter() - t0, " ".join(str(query).split())[:160]))
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--name", default="load_statements")
    args = ap.parse_args()
    from etl import store
    from etl.ingest.core import load_file

    work = Path(tempfile.mkdtemp(prefix="pantau_statements_"))
    db = work / "pantau.duckdb"
    shutil.copyfile(args.db, db)
    csv = work / "nightly.csv"
    make_recent_csv(csv, args.rows, db)
    log: list[tuple[float, str]] = []
    connect = duckdb.connect
    store.duckdb.connect = lambda *a, **k: TimedConnection(connect(*a, **k), log)  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        res = load_file(db, "service_requests", csv)
        total = time.perf_counter() - t0
    finally:
        store.duckdb.connect = connect  # type: ignore[assignment]
    slowest = sorted(log, reverse=True)[:15]
    for seconds, sql in slowest:
        print(f"{seconds * 1000:8.1f} ms  {sql[:110]}")
    print(f"total {total:.2f} s, {res.status}, phases {res.timings}, copy {getattr(res, 'copied', None)}")
    result = {"machine": machine(), "db": args.db, "rows": args.rows, "seconds": round(total, 3), "status": res.status,
              "phases": res.timings, "copied": getattr(res, "copied", None),
              "slowest_ms": [(round(s * 1000, 1), q) for s, q in slowest]}
    print(f"saved {save(args.name, result)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
