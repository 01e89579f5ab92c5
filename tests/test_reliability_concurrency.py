"""Concurrency: 20 threads reading KPIs through one shared Reader (as the app does) while 2 threads load files.

Every read must succeed and see either the state before a load or after it — never a mix; every load must finish;
the database must verify completely afterwards. The default run lasts a few seconds; `-m slow` runs a minute.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from etl import ops
from etl.ingest import load_file
from kpi import metrics, queries
from kpi.db import Reader
from kpi.filters import Filters

ALL_TIME = Filters(date(2000, 1, 1), date(2099, 12, 31))
HEADER = "request_id,service_code,kecamatan_code,channel,submitted_at,completed_at,status\n"


def _request_file(path: Path, prefix: str, n: int) -> Path:
    lines = [f"{prefix}-{i},KTP_EL,12.71.11,online,2024-05-{1 + i % 28:02d} 09:00:00,"
             f"2024-05-{1 + i % 28:02d} 15:00:00,completed" for i in range(n)]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(sample_db: Path, tmp_path: Path, seconds: float, files_per_loader: int) -> dict[str, object]:
    db = tmp_path / "pantau.duckdb"
    shutil.copyfile(sample_db, db)
    reader = Reader(db)  # one Reader shared by every thread, like st.cache_resource in the app
    base = metrics.summary(reader, ALL_TIME)["received"]
    sizes = {(w, k): 50 + 10 * w + k for w in range(2) for k in range(files_per_loader)}
    files = {key: _request_file(tmp_path / f"load_{key[0]}_{key[1]}.csv", f"CONC{key[0]}x{key[1]}", n)
             for key, n in sizes.items()}
    errors: list[BaseException] = []
    seen: set[int] = set()
    reads = [0]
    results = []
    stop = threading.Event()
    lock = threading.Lock()

    def reader_thread(seed: int) -> None:
        rng = random.Random(seed)
        calls = [lambda: metrics.summary(reader, ALL_TIME)["received"],
                 lambda: metrics.by_kecamatan(reader, ALL_TIME),
                 lambda: queries.time_trend(reader, ALL_TIME, "month"),
                 lambda: queries.load_history(reader),
                 lambda: metrics.service_index(reader, ALL_TIME),
                 lambda: queries.tourism_indicators(reader)]
        while not stop.is_set():
            try:
                i = rng.randrange(len(calls))
                out = calls[i]()
                with lock:
                    reads[0] += 1
                    if i == 0:
                        seen.add(int(out))
            except BaseException as exc:
                errors.append(exc)
                return

    def loader_thread(w: int) -> None:
        try:
            for k in range(files_per_loader):
                results.append(load_file(db, "service_requests", files[(w, k)], source="cli"))
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=reader_thread, args=(i,)) for i in range(20)]
    loaders = [threading.Thread(target=loader_thread, args=(w,)) for w in range(2)]
    for th in readers + loaders:
        th.start()
    deadline = time.monotonic() + seconds
    for th in loaders:
        th.join(timeout=max(deadline - time.monotonic(), 0) + 300)
    while time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    for th in readers:
        th.join(timeout=60)

    assert not errors, repr(errors[:3])
    assert [r.status for r in results] == ["loaded"] * len(files), [(r.status, r.errors[:1]) for r in results]
    # the first load copies the whole file; a later one levels the standby by blocks unless the shared Reader still
    # held it (then it copies): both paths run under the readers
    assert {r.copied["how"] for r in results} <= {"copy", "blocks"} and results[0].copied["how"] == "copy"
    # Every total a reader saw is base + the sizes of some set of finished loads: a snapshot, never a mix.
    possible = {base}
    for n in sizes.values():
        possible |= {p + n for p in possible}
    assert seen <= possible, sorted(seen - possible)[:5]
    final = metrics.summary(Reader(db), ALL_TIME)["received"]
    assert final == base + sum(sizes.values())
    tables = ops.verify(db)  # every block readable
    assert tables["fct_service_requests"] == 30_000 + sum(sizes.values())
    return {"reads": reads[0], "distinct_totals_seen": len(seen), "loads": len(results),
            "levelled_by_blocks": sum(r.copied["how"] == "blocks" for r in results)}


def test_reads_during_two_concurrent_loaders(sample_db: Path, tmp_path: Path) -> None:
    stats = _run(sample_db, tmp_path, seconds=2, files_per_loader=1)
    assert stats["reads"] > 20


@pytest.mark.slow
def test_reads_during_two_concurrent_loaders_for_a_minute(sample_db: Path, tmp_path: Path) -> None:
    stats = _run(sample_db, tmp_path, seconds=60, files_per_loader=6)
    print(stats)
    assert stats["reads"] > 1000
