"""Benchmarks: shared helpers — machine description, load, timing, memory and the queries each page runs."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from the repository root
    sys.path.insert(0, str(ROOT))

DEFAULT_DB = Path(os.environ.get("PANTAU_BENCH_DB", "/tmp/perf10m.duckdb"))
RESULTS_DIR = ROOT / "benchmarks" / "results"
MIB = 1024 * 1024


def machine() -> dict[str, Any]:
    """What the figures were measured on, and how busy it was (other processes share the cores)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": psutil.cpu_count(logical=True),
        "ram_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in ("duckdb", "streamlit", "pandas", "pyarrow")},
        "load_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "when_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def load_now() -> float:
    return round(os.getloadavg()[0], 2)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def median_time(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Median seconds over `repeat` calls (the median resists the noise of a shared machine)."""
    return statistics.median(timed(fn)[0] for _ in range(repeat))


def rss_mib(pid: int | None = None) -> float:
    """Resident memory of a process and its children, MiB."""
    proc = psutil.Process(pid or os.getpid())
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total / MIB


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def save(name: str, payload: dict[str, Any]) -> Path:
    """Write one run's figures to benchmarks/results/<name>.json (kept small, committed with the README table)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def page_filters(latest: date, first: date) -> dict[str, Any]:
    """The filter sets a visitor meets: the default (last 30 days), a year, the whole history, one kecamatan."""
    from kpi.filters import Filters

    return {
        "last30": Filters(latest - timedelta(days=29), latest),
        "lastyear": Filters(date(latest.year - 1, 1, 1), date(latest.year - 1, 12, 31)),
        "all": Filters(first, latest),
        "kecamatan_year": Filters(date(latest.year - 1, 1, 1), date(latest.year - 1, 12, 31), kecamatan=("12.71.11",)),
    }


def page_reads(f: Any, lang: str = "id") -> dict[str, list[tuple[Callable[..., Any], tuple[Any, ...]]]]:
    """The read functions each page calls (through app.reads.read), with their arguments, for filters `f`."""
    from kpi import metrics, queries

    grain = "day" if f.days <= 62 else ("week" if f.days <= 400 else "month")
    common = [(queries.data_bounds, ()), (queries.kecamatan_names, ()), (queries.service_names, (lang,)),
              (queries.has_sample_data, ())]
    return {
        "overview": [*common, (metrics.summary_and_previous, (f,)),
                     (metrics.service_index, (f,)), (queries.biggest_movers, (f, lang))],
        "throughput": [*common, (queries.volume_series, (f, grain, "service", lang)),
                       (queries.backlog_series, (f, grain)), (queries.backlog_age, (f,))],
        "processing": [*common, (queries.service_quantiles, (f, lang)), (queries.time_trend, (f, grain)),
                       (metrics.target_on_time_rate, ()), (queries.on_time_by_service, (f, lang)),
                       (queries.service_kecamatan_matrix, (f, lang))],
        "map": [*common, (queries.kecamatan_map_frame, (f,)), (queries.request_density, (f,))],
        "data": [*common, (queries.last_loads, ()), (queries.data_dictionary, ()), (queries.sources, ()),
                 (queries.load_history, (50,))],
    }
