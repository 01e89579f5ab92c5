"""App layer: cached reads. One Reader per database file, and a bounded process-wide cache around the read side's
functions, keyed on the database version so a new load is read at once."""

from __future__ import annotations

import functools
import importlib
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from base.clock import now_local
from base.settings import city_dir, city_settings, db_path
from kpi import kiosk_data, queries
from kpi.db import DataUnavailable, Reader

CACHE_TTL = 600          # seconds: a new load changes reader.version() anyway, so this only bounds staleness of memory
CACHE_ENTRIES = 256      # per process; every entry is a small aggregated frame
# Worker threads for prefetch(): a page starts at most four reads at once; DuckDB uses both cores for each.
PREFETCH_WORKERS = 4
READ_MODULES = ("kpi.queries", "kpi.metrics", "kpi.kiosk_data", "kpi.smartcity", "kpi.alerts.decide", "kpi.skm")


@st.cache_resource(show_spinner=False)
def _reader(path: str) -> Reader:
    return Reader(path)


_READERS: dict[str, Reader] = {}  # in front of st.cache_resource, which hashes its argument on every call


def reader() -> Reader:
    path = str(db_path())
    found = _READERS.get(path)
    if found is None:
        found = _READERS.setdefault(path, _reader(path))
    return found


_MEMOS: list[Memo] = []  # every Memo of the process, for clear()


class Memo:
    """A bounded, thread-safe, process-wide cache that hands out the stored object itself.

    Not st.cache_data: that pickles a result when it stores it and unpickles it again for every page view, and hashes
    each argument with Streamlit's hasher; here every viewer of the same filters gets the same stored object, keyed
    by the arguments' own hash and equality (Filters is a frozen dataclass). Callers must not change what they get
    (read() hands out shallow copies for that). When many sessions ask for the same missing key at once, one
    computes it and the others wait for that result instead of running the same query.
    """

    def __init__(self, entries: int, ttl: float) -> None:
        self.entries, self.ttl = entries, ttl
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._pending: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        _MEMOS.append(self)

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        while True:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None and time.monotonic() - hit[0] < self.ttl:
                    self._items.move_to_end(key)
                    return hit[1]
                pending = self._pending.get(key)
                if pending is None:
                    self._pending[key] = threading.Event()
                    break
            pending.wait()  # another session is computing it; an error there makes this one try itself
        try:
            value = make()
            with self._lock:
                self._items[key] = (time.monotonic(), value)
                self._items.move_to_end(key)
                while len(self._items) > self.entries:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._pending.pop(key).set()

    def has(self, key: Hashable) -> bool:
        """Whether `key` is stored (and fresh) or being computed now."""
        with self._lock:
            hit = self._items.get(key)
            return key in self._pending or (hit is not None and time.monotonic() - hit[0] < self.ttl)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_READS = Memo(CACHE_ENTRIES, CACHE_TTL)


def _read(key: tuple) -> Any:
    module, name, path, _version, args, kwargs = key
    if module not in READ_MODULES:
        raise ValueError(module)
    fn = getattr(importlib.import_module(module), name)
    # the Reader the page looked up (prefetch() runs this in a worker thread, where Streamlit's caches do not belong)
    return fn(_READERS.get(path) or _reader(path), *args, **dict(kwargs))


# What read() handed out, by object identity, so a chart of exactly that frame is keyed by the read and not by
# hashing the frame's content (app.widgets.chart). An entry goes when its object does.
_HANDED_OUT: dict[int, tuple] = {}


def _detach(value: Any, key: tuple) -> Any:
    if isinstance(value, (pd.DataFrame, pd.Series)):
        out = value.copy(deep=False)
        _HANDED_OUT[id(out)] = key
        weakref.finalize(out, _HANDED_OUT.pop, id(out), None)
        return out
    if isinstance(value, dict):
        return {k: _detach(v, (*key, k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and any(isinstance(v, (pd.DataFrame, pd.Series, dict)) for v in value):
        return type(value)(_detach(v, (*key, i)) for i, v in enumerate(value))
    return value


def key_of(value: Any) -> tuple | None:
    """The read (function, database version, arguments) that returned exactly this object, if read() did."""
    return _HANDED_OUT.get(id(value))


def read(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(reader, *args) cached on (function, database version, args): Filters and lang are part of args, which must
    be hashable to be cached (a tuple, not a list).

    The version changes with every load, so a new load is read at once; ttl/max_entries keep memory bounded. What
    comes back is shared with every other viewer: treat it as read-only (a shallow copy protects the stored frame,
    but a chart of a frame changed in place would be cached under the read's key).
    """
    r = reader()
    key = (fn.__module__, fn.__name__, str(r.path), r.version(), args, tuple(sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:  # an argument that cannot be a key (a list): read every time rather than fail
        return _read(key)
    return _detach(_READS.get(key, lambda: _read(key)), key)


_PREFETCH = ThreadPoolExecutor(max_workers=PREFETCH_WORKERS, thread_name_prefix="pantau-read")


def prefetch(*calls: tuple[Any, ...]) -> None:
    """Start a page's independent reads side by side, each call as (fn, *args) exactly as the page will read() it.

    Each runs in a worker thread through the same cache, so the page's own read() later finds the result, or waits
    for the one being computed (Memo.get), and nothing is read twice. DuckDB releases the GIL while it works, so the
    single-threaded parts of one query (a few large groups' quantiles, building the frame) overlap another's scan. A
    read that fails here is simply read again by the page, which then sees the error itself.
    """
    r = reader()
    for fn, *args in calls:
        key = (fn.__module__, fn.__name__, str(r.path), r.version(), tuple(args), ())
        try:
            hash(key)
        except TypeError:
            continue
        if _READS.has(key):
            continue
        _PREFETCH.submit(_READS.get, key, functools.partial(_read, key))


def clear() -> None:
    """Forget every cached read, chart and map (what a server has after a restart; the connection stays)."""
    for memo in _MEMOS:
        memo.clear()


def latest_day() -> tuple[date, date, bool]:
    """(first, latest) data dates; today (local time) when there are no requests yet. Third item: has data."""
    first, latest = read(queries.data_bounds)
    if latest is None:
        today = now_local().date()
        return today, today, False
    return first, latest, True


def kiosk_view(name: str, lang: str, min_count: int) -> kiosk_data.View | None:
    """A kiosk view for the newest data (kpi.kiosk_data.view), cached like every read."""
    return read(kiosk_data.view, name, lang, min_count)


# --- what the app checks on start ---------------------------------------------------------------------------------
def other_city() -> str | None:
    """The pack the database was built from, when it is not the one PANTAU_CITY names (else None)."""
    try:
        built = read(queries.built_for)
    except (DataUnavailable, duckdb.Error):
        return None
    return built if built and built != city_settings().folder else None


@st.cache_resource(max_entries=8, show_spinner=False)
def _marts_outdated(path: str, version: str) -> bool:
    from etl.store import outdated_marts_in

    return bool(outdated_marts_in(Path(path)))


def marts_outdated() -> bool:
    """Whether the database's marts were made by another release (checked once per database file and process)."""
    r = reader()
    try:
        return _marts_outdated(str(r.path), r.version())
    except (DataUnavailable, duckdb.Error):
        return False  # a missing or damaged file is reported by the pages themselves


# --- files beside the database ------------------------------------------------------------------------------------
def boundaries_path() -> str | None:
    """The kecamatan polygons: PANTAU_BOUNDARIES when it names a file, else the city pack's boundaries.geojson."""
    import os

    path = os.environ.get("PANTAU_BOUNDARIES")
    if path and Path(path).is_file():
        return path
    pack = city_dir() / "boundaries.geojson"
    return str(pack) if pack.is_file() else None


@st.cache_resource(ttl=3600, max_entries=2, show_spinner=False)
def _boundaries(path: str, mtime: float) -> dict[str, Any]:  # shared, never changed (kpi.maps only reads it)
    from kpi.maps import load_boundaries

    return load_boundaries(path)


def boundaries() -> dict[str, Any] | None:
    """The polygons the map draws, read once per file version; None without a boundary file."""
    path = boundaries_path()
    return _boundaries(path, Path(path).stat().st_mtime) if path else None
