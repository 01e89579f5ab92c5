"""The app's process-wide caches (app/reads.py Memo, read(), the chart specs in app/widgets.py): one computation per
key however many sessions ask at once, bounded, expiring, errors not stored; what a page gets cannot change what the
next viewer reads; chart rows travel as Arrow bytes made once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from app import reads, widgets
from kpi import charts, queries
from kpi.filters import Filters


def test_many_sessions_missing_one_key_compute_it_once() -> None:
    memo = reads.Memo(entries=8, ttl=60)
    calls, results = [], []

    def make() -> object:
        calls.append(1)
        time.sleep(0.2)
        return object()

    threads = [threading.Thread(target=lambda: results.append(memo.get("k", make))) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)


def test_an_error_is_not_stored_and_the_next_call_tries_again() -> None:
    memo = reads.Memo(entries=8, ttl=60)

    def broken() -> object:
        raise RuntimeError("database busy")

    with pytest.raises(RuntimeError):
        memo.get("k", broken)
    assert memo.get("k", lambda: 42) == 42


def test_bounded_and_expiring() -> None:
    memo = reads.Memo(entries=2, ttl=0.2)
    for key in "abc":
        memo.get(key, lambda key=key: key.upper())
    calls = []
    assert memo.get("a", lambda: calls.append("a") or "A") == "A" and calls == ["a"]  # the oldest was dropped
    assert memo.get("c", lambda: calls.append("c") or "C") == "C" and calls == ["a"]  # still there
    time.sleep(0.25)
    assert memo.get("c", lambda: calls.append("c") or "C") == "C" and calls == ["a", "c"]  # expired


def test_a_read_is_shared_but_a_page_cannot_change_it(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_DB", str(sample_db))
    reads.clear()
    first, latest = reads.read(queries.data_bounds)
    f = Filters(first, latest)
    one = reads.read(queries.on_time_by_service, f, "en")
    assert reads.key_of(one) is not None and reads.key_of(one)[1] == "on_time_by_service"
    before = one.copy()
    one.iloc[0, 0] = "changed by a page"
    one["extra"] = 1
    two = reads.read(queries.on_time_by_service, f, "en")
    pd.testing.assert_frame_equal(two, before)  # the next viewer reads what the database said
    assert reads.key_of(two) == reads.key_of(one)
    assert reads.key_of(two.head(3)) is None  # a page's own selection is not the read


def test_chart_specs_are_made_once_with_arrow_rows(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_DB", str(sample_db))
    reads.clear()
    first, latest = reads.read(queries.data_bounds)
    f = Filters(first, latest)
    rows = reads.read(queries.on_time_by_service, f, "en")
    spec = widgets._chart_spec("on_time_chart", rows, (0.9, "en"))
    assert isinstance(spec["datasets"][charts.TABLE], bytes)  # Arrow IPC, as Streamlit would make on every call
    again = widgets._chart_spec("on_time_chart", reads.read(queries.on_time_by_service, f, "en"), (0.9, "en"))
    assert again is spec
    # a frame that is not a read is keyed by its content: the same rows give the same spec, other rows another
    own = rows.copy(deep=True)
    assert widgets._chart_spec("on_time_chart", own, (0.9, "en")) is widgets._chart_spec("on_time_chart", own.copy(),
                                                                                           (0.9, "en"))
    assert widgets._chart_spec("on_time_chart", own.head(2), (0.9, "en")) is not spec
    # the Vega-Lite part is the builder's own
    built = charts.on_time_chart.spec(rows, 0.9, "en")
    assert {k: v for k, v in spec.items() if k != "datasets"} == {k: v for k, v in built.items() if k != "datasets"}


def test_prefetched_reads_run_once_and_the_page_gets_them(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """prefetch() starts reads in worker threads through the same cache: the page's read() then gets that result (or
    waits for it) and nothing is read twice; a read that fails there is read again by the page, which sees the
    error itself."""
    monkeypatch.setenv("PANTAU_DB", str(sample_db))
    reads.clear()
    first, latest = reads.read(queries.data_bounds)
    f = Filters(first, latest)
    calls: list[str] = []
    real = queries.on_time_by_service

    def counted(r: object, *args: object) -> pd.DataFrame:
        calls.append(threading.current_thread().name)
        time.sleep(0.2)  # still running when the page asks
        return real(r, *args)

    counted.__module__, counted.__name__ = real.__module__, real.__name__
    monkeypatch.setattr(queries, "on_time_by_service", counted)
    reads.prefetch((queries.on_time_by_service, f, "en"), (queries.on_time_by_service, f, "en"))
    got = reads.read(queries.on_time_by_service, f, "en")
    assert len(calls) == 1 and calls[0].startswith("pantau-read")  # once, in a worker
    pd.testing.assert_frame_equal(got, real(reads.reader(), f, "en"))
    reads.prefetch((queries.on_time_by_service, f, "en"))  # cached already: nothing starts
    assert len(calls) == 1

    def broken(r: object, *args: object) -> pd.DataFrame:
        calls.append("broken")
        raise RuntimeError("database busy")

    broken.__module__, broken.__name__ = real.__module__, "service_quantiles"
    monkeypatch.setattr(queries, "service_quantiles", broken)
    reads.prefetch((queries.service_quantiles, f, "en"))
    with pytest.raises(RuntimeError, match="database busy"):
        reads.read(queries.service_quantiles, f, "en")
    assert calls.count("broken") in (1, 2)  # the page's own read either waited for the worker or read again
