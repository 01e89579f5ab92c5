"""App layer: cached reads. One Reader per database file (st.cache_resource), and bounded st.cache_data around the
read side's functions, keyed on the database version so a new load is read at once."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from base.clock import now_local
from base.settings import city_dir, city_settings, db_path
from kpi import kiosk_data, queries
from kpi.db import DataUnavailable, Reader

CACHE_TTL = 600          # seconds: a new load changes reader.version() anyway, so this only bounds staleness of memory
CACHE_ENTRIES = 256      # per process; every entry is a small aggregated frame
READ_MODULES = ("kpi.queries", "kpi.metrics", "kpi.kiosk_data", "kpi.smartcity", "kpi.alerts.decide", "kpi.skm")


@st.cache_resource(show_spinner=False)
def _reader(path: str) -> Reader:
    return Reader(path)


def reader() -> Reader:
    return _reader(str(db_path()))


@st.cache_data(ttl=CACHE_TTL, max_entries=CACHE_ENTRIES, show_spinner=False)
def _read(module: str, name: str, path: str, version: str, args: tuple, kwargs: tuple) -> Any:
    if module not in READ_MODULES:
        raise ValueError(module)
    fn = getattr(importlib.import_module(module), name)
    return fn(_reader(path), *args, **dict(kwargs))


def read(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(reader, *args) cached on (function, database version, args): Filters and lang are part of args.

    The version changes with every load, so a new load is read at once; ttl/max_entries keep memory bounded.
    """
    r = reader()
    return _read(fn.__module__, fn.__name__, str(r.path), r.version(), args, tuple(sorted(kwargs.items())))


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


@st.cache_data(ttl=3600, max_entries=2, show_spinner=False)
def _boundaries(path: str, mtime: float) -> dict[str, Any]:
    from kpi.maps import load_boundaries

    return load_boundaries(path)


def boundaries() -> dict[str, Any] | None:
    """The polygons the map draws, read once per file version; None without a boundary file."""
    path = boundaries_path()
    return _boundaries(path, Path(path).stat().st_mtime) if path else None
