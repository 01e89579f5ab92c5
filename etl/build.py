"""ETL layer: `python -m etl build` — a fresh database from the city pack plus generated sample data."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from base.clock import now_local
from base.settings import city_dir, city_settings
from etl.audit import next_load_id, record_load
from etl.generate import SAMPLE_SOURCE, SampleWindow, generate_requests, generate_tourism
from etl.reference import CALENDAR_AHEAD, load_reference, refresh_calendar, write_calendar
from etl.skm_sample import generate_skm
from etl.store import refresh_marts, write_transaction, write_views

DEFAULT_ROWS = 400_000
DEFAULT_SEED = 42


@contextlib.contextmanager
def _as_city(city: str | None) -> Iterator[None]:
    """Run a load as the pack `city` (a load reads its pack from PANTAU_CITY, and refuses a database of another)."""
    before = os.environ.get("PANTAU_CITY")
    if city is not None:
        os.environ["PANTAU_CITY"] = city
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PANTAU_CITY", None)
        else:
            os.environ["PANTAU_CITY"] = before


def _sample_programmes(db: Path, pack: Path, city: str | None, progress: Callable[[str], None]) -> None:
    """The pack's sample master plan (sample_programmes.csv, if any), loaded as any upload is, as a sample load."""
    from etl.ingest.core import load_file

    path = pack / "sample_programmes.csv"
    if not path.is_file():
        return
    with _as_city(city):
        res = load_file(db, "programmes", path, source=SAMPLE_SOURCE)
    if not res.ok:
        raise RuntimeError(f"{path}: the sample master plan does not load: "
                           + "; ".join(f"line {p.line}: {p.reason()}" for p in res.errors[:5]))
    progress(f"Sample master plan: {res.rows_loaded} programme reports")


def _sample_survey(con: duckdb.DuckDBPyConnection, window: SampleWindow, seed: int, prefix: str,
                   progress: Callable[[str], None]) -> None:
    """The satisfaction survey's sample respondents and follow-up actions (etl/skm_sample.py), each as a sample
    load: only beside sample requests, whose counts each unit's sample follows."""
    ids = (next_load_id(con), next_load_id(con))
    respondents, actions = generate_skm(con, window, seed, ids, prefix)
    for load_id, dataset, n in ((ids[0], "skm", respondents), (ids[1], "skm_actions", actions)):
        record_load(con, load_id=load_id, dataset=dataset, file_name=f"sample generator, seed {seed}", sha256=None,
                    mode="sample", rows_read=n, rows_loaded=n, rows_rejected=0, status="loaded",
                    source=SAMPLE_SOURCE)
    progress(f"Sample satisfaction survey: {respondents:,} respondents, {actions} follow-up actions")


def build(db: Path, *, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, city: str | None = None,
          progress: Callable[[str], None] = print) -> dict[str, float]:
    """Create `db` from scratch (atomically replacing any existing file); return timing figures."""
    t0 = time.perf_counter()
    pack = city_dir(city)
    settings = city_settings(city)
    window = SampleWindow.from_settings(settings)
    with write_transaction(db, create=True, refresh=False) as con:
        load_reference(con, city)
        # the calendar the sample follows (counters open on working days), then the one its requests need
        write_calendar(con, pack, window.start, window.end + CALENDAR_AHEAD)
        write_views(con)
        progress(f"Reference data: {pack.name} ({con.execute('SELECT count(*) FROM kecamatan').fetchone()[0]} "
                 f"kecamatan, {con.execute('SELECT count(*) FROM services').fetchone()[0]} services)")
        t1 = time.perf_counter()
        if rows > 0:
            load_id = next_load_id(con)
            progress(f"Generating {rows:,} sample service requests {settings.sample_start} .. {settings.sample_end} "
                     f"(seed {seed}) ...")
            generate_requests(con, pack, settings, rows, seed, load_id, progress=progress)
            record_load(con, load_id=load_id, dataset="service_requests", file_name=f"sample generator, seed {seed}",
                        sha256=None, mode="sample", rows_read=rows, rows_loaded=rows, rows_rejected=0,
                        status="loaded", source=SAMPLE_SOURCE)
        refresh_calendar(con, now_local(settings).date(), city)
        t2 = time.perf_counter()
        if rows > 0:
            progress(f"  {rows:,} rows in {t2 - t1:.1f} s ({rows / max(t2 - t1, 1e-9):,.0f} rows/s)")
            _sample_survey(con, window, seed, settings.request_id_prefix, progress)
        load_id = next_load_id(con)
        n_tourism = generate_tourism(con, pack, settings, seed, load_id)
        record_load(con, load_id=load_id, dataset="tourism", file_name=f"sample generator, seed {seed}", sha256=None,
                    mode="sample", rows_read=n_tourism, rows_loaded=n_tourism, rows_rejected=0, status="loaded",
                    source=SAMPLE_SOURCE)
        progress(f"Sample tourism data: {n_tourism} monthly values")
        t3 = time.perf_counter()
        refresh_marts(con)
        t4 = time.perf_counter()
        progress(f"Marts built in {t4 - t3:.1f} s")
    if rows > 0:  # sample data only beside sample requests: a database built empty is for a city's own data
        _sample_programmes(db, pack, city, progress)
    total = time.perf_counter() - t0
    progress(f"Database ready: {db} ({total:.1f} s)")
    return {"rows": rows, "seconds": total, "generate_seconds": t2 - t1, "marts_seconds": t4 - t3,
            "rows_per_second": rows / max(t2 - t1, 1e-9)}
