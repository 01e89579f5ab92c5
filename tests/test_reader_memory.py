"""Reads that fit the reader's memory one at a time but not side by side (exact quantiles over long windows of a big
database, started together by several sessions or by reads.prefetch) are run again alone, not shown as errors."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from kpi import db as kdb

# 4M values in 7 groups: one exact quantile fits 100 MB, two at once do not (measured on DuckDB 2.0: alone always
# ok at 90-120 MB, two side by side out of memory at 60-100 MB).
ROWS = 4_000_000
LIMIT = "100MB"
QUANTILES = "SELECT g, quantile_cont(h, [0.5, 0.9]) AS q FROM t GROUP BY g ORDER BY g"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reader") / "big.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT (hash(i) % 100000) / 1000.0 AS h, (i % 7)::INTEGER AS g FROM range($n) r(i)",
                {"n": ROWS})
    con.close()
    return path


def _side_by_side(run: object, n: int) -> list[object]:
    """Start `n` calls of `run` at the same moment; each result or the exception it raised."""
    start = threading.Barrier(n)
    out: list[object] = [None] * n

    def one(i: int) -> None:
        start.wait()
        try:
            out[i] = run()
        except Exception as exc:  # the test looks at what each call gave
            out[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def test_side_by_side_quantiles_that_do_not_fit_together_all_answer(big: Path, monkeypatch) -> None:
    monkeypatch.setitem(kdb.READ_CONFIG, "memory_limit", LIMIT)
    reader = kdb.Reader(big)
    alone = reader.df(QUANTILES)
    # positive control: without the gate, the same queries side by side run out of memory on this limit
    raw = [x for _ in range(3) for x in _side_by_side(lambda: reader._execute(QUANTILES, None, lambda c: c.df()), 2)]
    assert any(isinstance(x, duckdb.OutOfMemoryException) for x in raw), raw
    results = _side_by_side(lambda: reader.df(QUANTILES), 4)
    assert all(not isinstance(x, BaseException) for x in results), results
    for frame in results:
        assert frame.equals(alone)
    assert reader.one("SELECT count(*) FROM t") == (ROWS,)  # the gate is open again afterwards


def test_a_query_too_big_even_alone_still_fails_clearly(big: Path, monkeypatch) -> None:
    monkeypatch.setitem(kdb.READ_CONFIG, "memory_limit", "20MB")
    reader = kdb.Reader(big)
    with pytest.raises(duckdb.OutOfMemoryException):
        reader.df(QUANTILES)
    assert reader.one("SELECT count(*) FROM t") == (ROWS,)  # nothing left waiting


def test_a_query_waiting_to_run_alone_holds_back_new_ones_until_it_ran() -> None:
    gate = kdb.Gate()
    order: list[str] = []
    running = threading.Event()
    release = threading.Event()

    def first() -> None:
        with gate.shared():
            order.append("first starts")
            running.set()
            release.wait(10)
            order.append("first ends")

    def retry() -> None:
        with gate.alone():
            order.append("alone")

    def later() -> None:
        with gate.shared():
            order.append("later")

    t1 = threading.Thread(target=first)
    t1.start()
    running.wait(10)
    t2 = threading.Thread(target=retry)
    t2.start()
    while not gate._waiting:  # the retry is queued
        threading.Event().wait(0.01)
    t3 = threading.Thread(target=later)
    t3.start()
    threading.Event().wait(0.2)
    assert order == ["first starts"]  # neither the retry nor the newcomer ran beside the first query
    release.set()
    for t in (t1, t2, t3):
        t.join(10)
    assert order == ["first starts", "first ends", "alone", "later"]
