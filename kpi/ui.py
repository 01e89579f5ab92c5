"""Read-side layer: Streamlit glue shared by the pages — cached reads, URL-kept filters, language, downloads."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pydeck as pdk
import streamlit as st

from base import clock
from base.clock import now_local
from base.i18n import normalise_lang, t
from base.settings import city_dir, city_settings, db_path
from kpi import charts, export, fmt, queries
from kpi.db import DataUnavailable, Reader
from kpi.filters import Filters

ROOT = Path(__file__).resolve().parent.parent
CACHE_TTL = 600          # seconds: a new load changes reader.version() anyway, so this only bounds staleness of memory
CACHE_ENTRIES = 256      # per process; every entry is a small aggregated frame
READ_MODULES = ("kpi.queries", "kpi.metrics")

PRESETS = ("last30", "month", "quarter", "ytd", "lastyear", "all", "custom")
FILTER_PARAMS = ("period", "from", "to", "kecamatan", "service")
# Pages whose sidebar shows which filters: tourism is monthly and city-wide, the data page is not filtered.
PAGE_FILTERS = {"overview": "full", "throughput": "full", "processing": "full", "map": "full", "tourism": "dates",
                "data": "none", "upload": "none"}
DEFAULT_PERIOD = {"tourism": "all"}


@dataclass(frozen=True)
class PageSpec:
    key: str
    file: str
    url_path: str
    icon: str


# URL paths differ from the file names on purpose: with a pages/ folder present Streamlit also registers every
# pages/<name>.py under /<name> and, for a fresh browser session, would run such a file alone instead of dashboard.py.
PAGES = (
    PageSpec("overview", "pages/overview.py", "ringkasan", ":material/dashboard:"),
    PageSpec("throughput", "pages/throughput.py", "layanan", ":material/stacked_line_chart:"),
    PageSpec("processing", "pages/processing.py", "waktu-proses", ":material/timer:"),
    PageSpec("map", "pages/map.py", "peta", ":material/map:"),
    PageSpec("tourism", "pages/tourism.py", "pariwisata", ":material/flight_land:"),
    PageSpec("data", "pages/data.py", "tentang-data", ":material/table_view:"),
    # Written separately; listed only when the file exists.
    PageSpec("upload", "pages/upload.py", "unggah", ":material/upload_file:"),
    PageSpec("kiosk", "pages/kiosk.py", "kiosk", ":material/tv:"),
)


STATUS_BADGE = {"green": "green", "amber": "orange", "red": "red"}
ICONS = {spec.key: spec.icon for spec in PAGES}


def favicon() -> Any:
    """A small civic-blue tile drawn in code: an emoji or Material icon favicon would be fetched from a CDN."""
    from PIL import Image, ImageDraw

    tile = Image.new("RGB", (32, 32), (11, 79, 138))
    draw = ImageDraw.Draw(tile)
    for box in ((8, 6, 12, 26), (8, 6, 22, 10), (8, 15, 22, 19), (20, 6, 24, 19)):  # a white "P"
        draw.rectangle(box, fill=(255, 255, 255))
    return tile


# --- language -----------------------------------------------------------------------------------------------------
def lang() -> str:
    """?lang=en for English; Bahasa Indonesia otherwise."""
    return normalise_lang(st.query_params.get("lang"))


# --- cached reads -------------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _reader(path: str) -> Reader:
    return Reader(path)


def reader() -> Reader:
    return _reader(str(db_path()))


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


# --- filters kept in the URL --------------------------------------------------------------------------------------
def latest_day() -> tuple[date, date, bool]:
    """(first, latest) data dates; today (local time) when there are no requests yet. Third item: has data."""
    first, latest = read(queries.data_bounds)
    if latest is None:
        today = now_local().date()
        return today, today, False
    return first, latest, True


def preset_range(preset: str, first: date, latest: date) -> tuple[date, date]:
    """Date range of a preset, anchored to the latest data date (not the wall clock: data may lag)."""
    if preset == "month":
        return latest.replace(day=1), latest
    if preset == "quarter":
        return date(latest.year, 3 * ((latest.month - 1) // 3) + 1, 1), latest
    if preset == "ytd":
        return date(latest.year, 1, 1), latest
    if preset == "lastyear":
        return date(latest.year - 1, 1, 1), date(latest.year - 1, 12, 31)
    if preset == "all":
        return first, latest
    return latest - timedelta(days=29), latest


def _param_date(name: str) -> date | None:
    try:
        return date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return None


def current_filters(page: str) -> tuple[str, Filters]:
    """The period preset and Filters from st.query_params, validated against the data (unknown codes dropped)."""
    first, latest, _ = latest_day()
    period = st.query_params.get("period")
    if period not in PRESETS:
        period = DEFAULT_PERIOD.get(page, "last30")
    start, end = preset_range(period, first, latest)
    if period == "custom":
        start, end = _param_date("from") or start, _param_date("to") or end
        start, end = min(start, end), max(start, end)
        # date widgets refuse values outside their bounds: keep a hand-edited URL inside the data
        start, end = min(max(start, first), latest), max(min(end, latest), first)
    scope = PAGE_FILTERS.get(page, "full")
    kec = svc = ()
    if scope == "full":
        known_kec = read(queries.kecamatan_names)
        known_svc = read(queries.service_names, "id")
        kec = tuple(c for c in st.query_params.get_all("kecamatan") if c in known_kec)
        svc = tuple(c for c in st.query_params.get_all("service") if c in known_svc)
    return period, Filters(start, end, kecamatan=kec, services=svc)


def carried_params() -> dict[str, Any]:
    """Query params that follow the user from page to page: language and the shared filters."""
    out: dict[str, Any] = {}
    for name in ("lang", *FILTER_PARAMS):
        values = st.query_params.get_all(name)
        if values:
            out[name] = values if len(values) > 1 or name in ("kecamatan", "service") else values[0]
    return out


def _sync_filters(page: str) -> None:
    ss, qp = st.session_state, st.query_params
    period = ss.get(f"{page}_period")
    qp["period"] = period
    if period == "custom":
        start, end = ss.get(f"{page}_from"), ss.get(f"{page}_to")
        if isinstance(start, date) and isinstance(end, date):
            qp["from"], qp["to"] = min(start, end).isoformat(), max(start, end).isoformat()
    else:
        for name in ("from", "to"):
            qp.pop(name, None)
    for field in ("kecamatan", "service"):
        values = ss.get(f"{page}_{field}") or []
        if values:
            qp[field] = list(values)
        else:
            qp.pop(field, None)


def _reset_filters(page: str) -> None:
    for field in ("period", "from", "to", "kecamatan", "service"):
        st.session_state.pop(f"{page}_{field}", None)
    for name in FILTER_PARAMS:
        st.query_params.pop(name, None)


def _set_lang(key: str) -> None:
    st.query_params["lang"] = "en" if st.session_state.get(key) == "en" else "id"


def sidebar_filters(page: str, language: str) -> None:
    """Period preset (+ custom dates), kecamatan and service multiselects, reset. Widget keys: <page>_<field>."""
    scope = PAGE_FILTERS.get(page, "full")
    if scope == "none":
        return
    first, latest, _ = latest_day()
    period, f = current_filters(page)
    st.sidebar.subheader(t("filters.title", language))
    defaults = {f"{page}_period": period, f"{page}_from": f.date_from, f"{page}_to": f.date_to,
                f"{page}_kecamatan": list(f.kecamatan), f"{page}_service": list(f.services)}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value
    st.sidebar.selectbox(t("filters.period", language), PRESETS, key=f"{page}_period",
                         format_func=lambda p: t(f"filters.preset.{p}", language),
                         on_change=_sync_filters, args=(page,))
    if st.session_state[f"{page}_period"] == "custom":
        # one under the other: side by side, the sidebar cuts the year off
        for end in ("from", "to"):
            st.sidebar.date_input(t(f"filters.{end}", language), key=f"{page}_{end}", min_value=first,
                                  max_value=latest, format="DD/MM/YYYY", on_change=_sync_filters, args=(page,))
    st.sidebar.caption(t("filters.range", language, start=fmt.day(f.date_from, language),
                         end=fmt.day(f.date_to, language)))
    if scope == "full":
        kec = read(queries.kecamatan_names)
        svc = read(queries.service_names, language)
        st.sidebar.multiselect(t("filters.kecamatan", language), list(kec), key=f"{page}_kecamatan",
                               format_func=kec.get, placeholder=t("filters.all_kecamatan", language),
                               on_change=_sync_filters, args=(page,))
        st.sidebar.multiselect(t("filters.service", language), list(svc), key=f"{page}_service",
                               format_func=svc.get, placeholder=t("filters.all_services", language),
                               on_change=_sync_filters, args=(page,))
    st.sidebar.button(t("filters.reset", language), key=f"{page}_reset", on_click=_reset_filters, args=(page,),
                      icon=":material/restart_alt:")


def language_switch(page: str, language: str) -> None:
    key = f"{page}_lang"
    st.session_state[key] = language
    st.sidebar.segmented_control(t("app.language", language), ["id", "en"], key=key,
                                 format_func=lambda code: {"id": "Bahasa Indonesia", "en": "English"}[code],
                                 on_change=_set_lang, args=(key,))


# --- navigation ---------------------------------------------------------------------------------------------------
def pages(language: str) -> dict[str, st.Page]:
    """st.Page per page file present (upload and kiosk are optional); the overview is the default page at /."""
    out: dict[str, st.Page] = {}
    for spec in PAGES:
        path = ROOT / spec.file
        if not path.is_file():
            continue
        # No page icon: Streamlit would fetch a Material icon from Google as the favicon (the app works offline).
        out[spec.key] = st.Page(path, title=t(f"nav.{spec.key}", language), url_path=spec.url_path,
                                default=spec.key == "overview")
    return out


def page_key(all_pages: dict[str, st.Page], current: st.Page) -> str:
    for key, page in all_pages.items():
        if page.url_path == current.url_path:
            return key
    return "overview"


def sidebar_navigation(all_pages: dict[str, st.Page], current_key: str, language: str) -> None:
    """Links that carry the language and filters along, so the view survives a change of page."""
    params = carried_params()
    city = city_settings()
    st.sidebar.markdown(f"<div class='pantau-brand'><span>{t('app.government', language, city=city.name)}</span>"
                        f"<b>Pantau</b></div>", unsafe_allow_html=True)
    for key, page in all_pages.items():
        if key == "kiosk":
            continue
        st.sidebar.page_link(page, label=t(f"nav.{key}", language), icon=ICONS[key],
                             query_params={k: v for k, v in params.items() if k == "lang"} if key == "upload"
                             else params, disabled=key == current_key)


CSS = """
<style>
.pantau-brand {border-left: 6px solid #0B4F8A; padding: 2px 0 2px 10px; margin-bottom: 8px; line-height: 1.25;}
.pantau-brand span {display: block; font-size: 0.78rem; color: #4A5565; text-transform: uppercase;
                    letter-spacing: 0.04em;}
.pantau-brand b {font-size: 1.35rem; color: #0B4F8A;}
.pantau-band {background: #0B4F8A; color: #FFFFFF; padding: 10px 16px; border-radius: 4px; margin-bottom: 4px;}
.pantau-band h1 {color: #FFFFFF; font-size: 1.6rem; margin: 0; padding: 0;}
.pantau-band p {color: #E8EEF5; margin: 2px 0 0 0; font-size: 0.95rem;}
.pantau-legend {display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 0.9rem; color: #1A1F2B;}
.pantau-legend i {display: inline-block; width: 14px; height: 14px; border-radius: 50%; margin-right: 6px;
                  vertical-align: -2px; border: 1px solid #4A5565;}
[data-testid="stMetricValue"] {color: #1A1F2B;}
</style>
"""


def style() -> None:
    st.html(CSS)


# With a pages/ folder next to dashboard.py, the very first session after a server start runs Streamlit's old
# folder-based navigation once before st.navigation takes over. A deep link (/layanan?…) then shows Streamlit's
# "Page not found … Running the app's main page" dialog although the requested page is drawn right after it.
# Closing that one dialog, only when the address is one of our pages, keeps shared links clean after a restart; a
# mistyped address still gets Streamlit's notice.
_DISMISS_STALE_NOT_FOUND = """<script>
(function () {
  if (window.__pantauNotFound) return;
  window.__pantauNotFound = true;
  const ours = %s;
  const path = window.location.pathname.replace(/\\/+$/, "").split("/").pop();
  if (!ours.includes(path)) return;
  const until = Date.now() + 8000;
  const timer = setInterval(function () {
    for (const dialog of document.querySelectorAll('[role="dialog"]')) {
      if ((dialog.textContent || "").includes("Page not found")) {
        const close = dialog.querySelector('button[aria-label="Close"]');
        if (close) close.click();
      }
    }
    if (Date.now() > until) clearInterval(timer);
  }, 100);
})();
</script>"""


def dismiss_stale_not_found() -> None:
    """On a session's first run only (see _DISMISS_STALE_NOT_FOUND)."""
    if st.session_state.get("_pantau_seen"):
        return
    st.session_state["_pantau_seen"] = True
    st.html(_DISMISS_STALE_NOT_FOUND % json.dumps([spec.url_path for spec in PAGES]), unsafe_allow_javascript=True)


# --- page building blocks -----------------------------------------------------------------------------------------
def page_header(page: str, language: str, f: Filters | None = None, *, compare: bool = False) -> None:
    """Title band, 'data up to …', the period, and the sample-data banner while generated data is shown."""
    _, latest, has_data = latest_day()
    sub = t("app.data_up_to", language, day=fmt.day(latest, language)) if has_data else t("app.no_data", language)
    if f is not None:
        sub += " · " + t("app.period", language, start=fmt.day(f.date_from, language), end=fmt.day(f.date_to, language))
        if compare:
            p = f.previous()
            sub += " · " + t("app.compared", language, start=fmt.day(p.date_from, language),
                             end=fmt.day(p.date_to, language))
    st.html(f"<div class='pantau-band'><h1>{t(f'{page}.title', language)}</h1><p>{sub}</p></div>")
    if read(queries.has_sample_data):
        st.warning(t("app.sample_banner", language), icon=":material/science:")


def downloads(df: pd.DataFrame, name: str, page: str, language: str) -> None:
    """CSV and XLSX of exactly the data behind a chart (text cells neutralised against spreadsheet formulas).

    The bytes are made only when a button is clicked (a callable as `data`), not on every script run. Timestamps are
    the city's local time, and their column names say which zone.
    """
    df = export.with_zone(df, clock.label())
    row = st.container(horizontal=True, horizontal_alignment="left", gap="small", width="stretch")
    row.download_button(t("app.download_csv", language), lambda: export.to_csv(df), file_name=f"pantau_{name}.csv",
                        mime="text/csv", key=f"{page}_{name}_csv", icon=":material/download:", on_click="ignore")
    row.download_button(t("app.download_xlsx", language), lambda: export.to_xlsx(df, name),
                        file_name=f"pantau_{name}.xlsx",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        key=f"{page}_{name}_xlsx", icon=":material/download:", on_click="ignore")


@st.cache_data(ttl=CACHE_TTL, max_entries=CACHE_ENTRIES, show_spinner=False)
def _chart_spec(builder: str, data: pd.DataFrame, args: tuple) -> dict[str, Any]:
    """The Vega-Lite dict of charts.<builder>(data, *args), made once per (builder, data, args).

    Builder.spec attaches the rows to a template Altair built once per form (language, size, order); validation
    against the Vega-Lite schema is left to the builders' tests: it costs more than the building.
    """
    return getattr(charts, builder).spec(data, *args)


def chart(builder: charts.Builder, data: pd.DataFrame, *args: Any, name: str, page: str,
          language: str, download: pd.DataFrame | None = None) -> None:
    """builder(data, *args) drawn full width, with the download buttons for its data (or `download`) under it.

    The spec is cached, so a rerun with the same data costs neither Altair nor number formatting again; an empty
    frame gives a notice instead of a chart.
    """
    if not isinstance(builder, charts.Builder) or getattr(charts, builder.__name__, None) is not builder:
        raise ValueError(f"not a chart builder: {builder!r}")
    shown = data if download is None else download
    if shown.empty:
        st.info(t("app.empty", language))
        return
    spec = _chart_spec(builder.__name__, data, args)
    height = spec.get("height")
    # Streamlit sizes charts to a default height unless told; the builders size them to their rows.
    st.vega_lite_chart(spec, width="stretch", height=height if isinstance(height, int) else "content")
    downloads(shown, name, page, language)


def deck(spec: pdk.Deck, language: str) -> None:
    st.pydeck_chart(spec, height=560, alt=t("map.alt", language))


def legend_html(items: list[tuple[str, str]], title: str) -> str:
    swatches = "".join(f"<span><i style='background:{colour}'></i>{label}</span>" for colour, label in items)
    return f"<div><b>{title}</b><div class='pantau-legend'>{swatches}</div></div>"


def choice(page: str, field: str, options: list[str], labels: Callable[[str], str], label: str,
           default: str | None = None, widget: str = "radio") -> str:
    """A page-level choice (grain, metric, indicator…) kept in the URL as ?<field>=…; widget key <page>_<field>.

    The URL decides once it names a value (a shared link, or the reader's own pick, stored there on change); until
    then the choice follows `default`, which may depend on the filters (a year gets weeks or months, not days).
    """
    key = f"{page}_{field}"
    default = default if default in options else options[0]
    wanted = st.query_params.get(field)
    st.session_state[key] = wanted if wanted in options else default

    def _store() -> None:
        st.query_params[field] = st.session_state[key]

    if widget == "select":
        st.selectbox(label, options, key=key, format_func=labels, on_change=_store)
    else:
        st.radio(label, options, key=key, format_func=labels, horizontal=True, on_change=_store)
    return st.session_state[key]


def grain_for(f: Filters) -> str:
    """Days for a month or less, weeks up to half a year, months beyond: enough points, not too many."""
    return "day" if f.days <= 31 else "week" if f.days <= 184 else "month"


def signed(delta: float | None, text: str) -> str | None:
    """'+1.234' / '-56' for st.metric (which reads the sign for its arrow)."""
    if delta is None or delta != delta:
        return None
    return ("-" if delta < 0 else "+") + text


def mover_sentence(row: Any, language: str) -> str:
    """'Akta kelahiran di <kecamatan>: median turun dari 31 jam menjadi 19 jam'."""
    key = "overview.mover_down" if row.direction == "down" else "overview.mover_up"
    return t(key, language, service=row.service, kecamatan=row.kecamatan,
             before=fmt.hours(row.median_hours_prev, language), after=fmt.hours(row.median_hours, language))


def boundaries_path() -> str | None:
    """The kecamatan polygons: PANTAU_BOUNDARIES when it names a file, else the city pack's boundaries.geojson."""
    path = os.environ.get("PANTAU_BOUNDARIES")
    if path and Path(path).is_file():
        return path
    pack = city_dir() / "boundaries.geojson"
    return str(pack) if pack.is_file() else None


@st.cache_data(ttl=3600, max_entries=2, show_spinner=False)
def boundaries(path: str, mtime: float) -> dict[str, Any]:
    from kpi.maps import load_boundaries
    return load_boundaries(path)


def map_view() -> dict[str, float]:
    city = city_settings()
    return {"latitude": city.map_lat, "longitude": city.map_lon, "zoom": city.map_zoom, "pitch": 0, "bearing": 0}


def age_text(loaded_at: datetime, language: str) -> str:
    """How long ago a load happened, in hours under two days, else days."""
    hours = max((now_local() - pd.Timestamp(loaded_at).to_pydatetime()).total_seconds() / 3600, 0)
    if hours < 48:
        return t("data.age_hours", language, n=fmt.number(hours, language))
    return t("data.age_days", language, n=fmt.number(hours / 24, language))


# Headline tiles: which way is good for each KPI (st.metric colours the delta accordingly).
HEADLINE = (("received", "off"), ("completed", "normal"), ("open_at_end", "inverse"),
            ("overdue_at_end", "inverse"), ("median_hours", "inverse"), ("p90_hours", "inverse"),
            ("on_time_rate", "normal"))


def headline_value(key: str, value: float | None, language: str) -> str:
    if key == "on_time_rate":
        return fmt.percent(value, language)
    if key in ("median_hours", "p90_hours"):
        return fmt.hours(value, language)
    return fmt.number(value, language)


def headline_delta(key: str, now: float | None, before: float | None, language: str) -> str | None:
    """Change against the previous period, formatted; on-time rate in percentage points."""
    if now is None or before is None:
        return None
    change = now - before
    if key == "on_time_rate":
        text = fmt.number(abs(change) * 100, language, 1) + " " + t("overview.pp", language)
    else:
        text = headline_value(key, abs(change), language)
    return signed(change, text)


def headline(now: dict[str, Any], before: dict[str, Any], language: str) -> None:
    """Seven st.metric tiles, counts then times (metrics.summary now vs the previous period of equal length)."""
    cols = [*st.columns(4), *st.columns(3)]
    for col, (key, colour) in zip(cols, HEADLINE, strict=True):
        col.metric(t(f"overview.kpi.{key}", language), headline_value(key, now[key], language),
                   headline_delta(key, now[key], before[key], language), delta_color=colour, border=True,
                   help=t(f"overview.help.{key}", language))


def indicator_label(indicator: str, language: str) -> str:
    """A tourism indicator's name; one uploaded under a new code is shown as stored."""
    try:
        return t(f"tourism.indicator.{indicator}", language)
    except KeyError:
        return indicator


def map_columns(language: str) -> dict[str, Any]:
    """Column headings and number formats of the map's table (the download keeps the raw column names)."""
    cc = st.column_config
    return {
        "kecamatan_code": cc.TextColumn(t("map.col.code", language)),
        "name": cc.TextColumn(t("chart.kecamatan", language)),
        "population": cc.NumberColumn(t("map.col.population", language), format="localized"),
        "received": cc.NumberColumn(t("chart.axis.received", language), format="localized"),
        "received_per_1000": cc.NumberColumn(t("map.metric.received_per_1000", language), format="%.1f"),
        "median_hours": cc.NumberColumn(t("map.metric.median_hours", language), format="%.1f"),
        "on_time_rate": cc.NumberColumn(t("map.metric.on_time_rate", language), format="percent"),
        "open_at_end": cc.NumberColumn(t("map.metric.open_at_end", language), format="localized"),
        "overdue_at_end": cc.NumberColumn(t("map.metric.overdue_at_end", language), format="localized"),
    }


def unit_short(unit: str, language: str) -> str:
    """Short unit after a value in a tile ('%', 'kunjungan' / 'visits'); an unknown unit is shown as stored."""
    try:
        return t(f"tourism.unit_short.{unit}", language)
    except KeyError:
        return unit
