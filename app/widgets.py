"""App layer: what pages put on screen — the title band, charts (from cached Vega-Lite dicts), maps, the headline
tiles, downloads made on click, and the report of an upload's validation."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pandas as pd
import pydeck as pdk
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from app import pagefmt
from app.reads import CACHE_ENTRIES, CACHE_TTL, Memo, key_of, latest_day, read, reader
from base import clock
from base.i18n import t
from base.settings import city_settings
from kpi import charts, export, fmt, maps, queries
from kpi.filters import Filters


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
    zone = clock.label()
    row = st.container(horizontal=True, horizontal_alignment="left", gap="small", width="stretch")
    row.download_button(t("app.download_csv", language), lambda: export.to_csv(export.with_zone(df, zone)),
                        file_name=f"pantau_{name}.csv", mime="text/csv", key=f"{page}_{name}_csv",
                        icon=":material/download:", on_click="ignore")
    row.download_button(t("app.download_xlsx", language), lambda: export.to_xlsx(export.with_zone(df, zone), name),
                        file_name=f"pantau_{name}.xlsx",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        key=f"{page}_{name}_xlsx", icon=":material/download:", on_click="ignore")


def briefing_download(f: Filters, page: str, language: str) -> None:
    """The weekly briefing (PDF) of the last whole ISO week inside the period in view, for the kecamatan and services
    in view. Made only when the button is clicked (a callable as `data`, run by Streamlit on its own thread), so a
    page view never waits for Typst."""
    from kpi import briefing

    _, latest, has_data = latest_day()
    week = briefing.week_within(f.date_from, min(f.date_to, latest)) if has_data else None
    if week is None:
        st.caption(t("briefing.download_none", language))
        return
    req = briefing.Request(week, f.kecamatan, f.services, language)
    monday = briefing.parse_week(week)
    r = reader()  # taken here: the callable runs outside the script's thread
    st.download_button(t("briefing.download", language), lambda: briefing.make(r, req).pdf,
                       file_name=f"pantau_briefing_{week}.pdf", mime="application/pdf", key=f"{page}_briefing",
                       icon=":material/picture_as_pdf:", on_click="ignore", type="primary",
                       help=t("briefing.download_help", language, week=week, start=fmt.day(monday, language),
                              end=fmt.day(monday + timedelta(days=6), language)))


_SPECS = Memo(CACHE_ENTRIES, CACHE_TTL)


def _fingerprint(data: pd.DataFrame) -> tuple | None:
    """What a frame holds, for a frame read() did not hand out as it is (a page's own selection of rows): its
    columns, types and a hash of every value; None when a cell cannot be hashed (then the spec is not cached)."""
    try:
        values = pd.util.hash_pandas_object(data, index=True).to_numpy()
    except TypeError:
        return None
    return (tuple(map(str, data.columns)), tuple(map(str, data.dtypes)), len(data),
            hashlib.blake2b(values.tobytes(), digest_size=16).hexdigest())


def _chart_spec(builder: str, data: pd.DataFrame, args: tuple) -> dict[str, Any]:
    """The Vega-Lite dict of charts.<builder>(data, *args), made once per (builder, data, args) in this process.

    Builder.spec attaches the rows to a template Altair built once per form (language, size, order); validation
    against the Vega-Lite schema is left to the builders' tests: it costs more than the building. The rows go in as
    Arrow IPC bytes, made here once: Streamlit converts a dataset that is not bytes yet on every call. Every viewer
    shares the dict (Streamlit copies it before changing it); a frame read() handed out is keyed by its read, any
    other by its content.
    """

    def make() -> dict[str, Any]:
        spec = getattr(charts, builder).spec(data, *args)
        spec["datasets"] = {name: convert_anything_to_arrow_bytes(rows) if isinstance(rows, list) else rows
                            for name, rows in spec.get("datasets", {}).items()}
        return spec

    data_key = key_of(data) or _fingerprint(data)
    if data_key is None:
        return make()
    return _SPECS.get((builder, data_key, args), make)


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


def map_view() -> dict[str, float]:
    """The city pack's map view (city.toml map_lat, map_lon, map_zoom)."""
    city = city_settings()
    return {"latitude": city.map_lat, "longitude": city.map_lon, "zoom": city.map_zoom, "pitch": 0, "bearing": 0}


def deck(spec: pdk.Deck, language: str) -> None:
    st.pydeck_chart(spec, height=560, alt=t("map.alt", language))


class _DeckJson:
    """A pydeck.Deck turned into JSON once, offering what st.pydeck_chart reads of a Deck: its layers (none left
    to convert), to_json() and the tooltip. The kecamatan map's GeoJSON makes that JSON large, and every viewer of
    the same map shares it."""

    layers: tuple = ()
    mapbox_key = None

    def __init__(self, deck: pdk.Deck, *keep: Any) -> None:
        for layer in deck.layers:  # as Streamlit does before serialising a Deck (pandas 3 and pydeck)
            if isinstance(getattr(layer, "data", None), pd.DataFrame):
                layer.data = layer.data.to_dict(orient="records")
        self._json = deck.to_json()
        self._tooltip = getattr(deck, "_tooltip", None)
        self._keep = keep  # the objects the cache key names by identity stay alive as long as this entry

    def to_json(self) -> str:
        return self._json


_DECKS = Memo(64, CACHE_TTL)


def kecamatan_map(frame: pd.DataFrame, metric: str, language: str, *, density: pd.DataFrame | None,
                  boundaries: dict[str, Any] | None, map_style: str | None) -> None:
    """kpi.maps.kecamatan_deck of these rows, drawn; built and serialised once per map in this process."""
    view = map_view()

    def make() -> _DeckJson:
        spec = maps.kecamatan_deck(frame, metric, language, view, density=density, boundaries=boundaries,
                                   map_style=map_style)
        return _DeckJson(spec, boundaries)

    rows = key_of(frame) or _fingerprint(frame)
    grid = () if density is None else key_of(density) or _fingerprint(density)
    if rows is None or grid is None:  # a cell that cannot be hashed: drawn without the cache
        deck(make(), language)  # type: ignore[arg-type]
        return
    key = (rows, grid, metric, language, tuple(sorted(view.items())), id(boundaries), map_style)
    deck(_DECKS.get(key, make), language)  # type: ignore[arg-type]


def legend_html(items: list[tuple[str, str]], title: str) -> str:
    swatches = "".join(f"<span><i style='background:{colour}'></i>{label}</span>" for colour, label in items)
    return f"<div><b>{title}</b><div class='pantau-legend'>{swatches}</div></div>"


def headline(now: dict[str, Any], before: dict[str, Any], language: str) -> None:
    """Seven st.metric tiles, counts then times (metrics.summary now vs the previous period of equal length)."""
    cols = [*st.columns(4), *st.columns(3)]
    for col, (key, colour, kind) in zip(cols, pagefmt.HEADLINE, strict=True):
        col.metric(t(f"overview.kpi.{key}", language), pagefmt.headline_value(key, now[key], language),
                   pagefmt.headline_delta(kind, now[key], before[key], language), delta_color=colour, border=True,
                   help=t(f"overview.help.{key}", language))


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


def plain(text: str) -> str:
    """File content (column names, values) shown in a message: markdown characters escaped, so it stays text."""
    return "".join("\\" + c if c in "\\`*_[]()<>#!|{}~$:" else c for c in str(text))


def load_report(result: Any, label: str, language: str) -> None:
    """What a validation or a load found: rows read, valid and invalid, warnings, and the errors by line and column
    (the first three in full, the first hundred as a table, all of them as a CSV)."""
    st.subheader(label)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("upload.rows_read", language), fmt.number(result.rows_read, language))
    c2.metric(t("upload.rows_valid", language), fmt.number(max(result.rows_read - result.rows_rejected, 0), language))
    c3.metric(t("upload.rows_invalid", language), fmt.number(result.rows_rejected, language))
    for w in result.warnings:
        st.caption(plain(w.reason(language)))
    if result.errors:
        errors = pd.DataFrame([{t("upload.line", language): p.line, t("upload.column", language): p.column,
                                t("upload.reason", language): p.reason(language)} for p in result.errors])
        # the first problems in full (table cells cut long messages), then the first hundred as a table
        for p in result.errors[:3]:
            where = t("upload.where", language, line=p.line if p.line is not None else "–", column=p.column or "–")
            st.error(plain(f"{where}: {p.reason(language)}"), icon=":material/error:")
        reason_col = st.column_config.TextColumn(t("upload.reason", language), width="large")
        st.dataframe(errors.head(100), hide_index=True, width="stretch", key=f"upload_errors_{label}",
                     column_config={t("upload.reason", language): reason_col})
        st.download_button(t("upload.errors_download", language), export.to_csv(errors),
                           file_name="pantau_errors.csv", mime="text/csv", key=f"upload_errors_csv_{label}")
    elif result.ok:
        st.success(t("upload.all_valid", language))


# --- smart city ---------------------------------------------------------------------------------------------------
PILLAR_COLOURS = {"behind": "#D55E00", "on_track": "#0072B2", "done": "#009E73", None: "#8C8C8C"}
PILLAR_CSS = """<style>
.pantau-pillars {display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 10px;}
.pantau-pillar {border: 1px solid #D0D7E2; border-left: 8px solid var(--c); border-radius: 4px; padding: 8px 12px;}
.pantau-pillar h4 {margin: 0 0 2px 0; padding: 0; font-size: 1.0rem; color: #1A1F2B;}
.pantau-pillar b {color: var(--c); font-size: 1.05rem;}
.pantau-pillar p {margin: 2px 0 0 0; font-size: 0.86rem; color: #4A5565;}
</style>"""


def pillar_tiles(summary: pd.DataFrame, indicators: pd.DataFrame, language: str) -> None:
    """The six pillars as tiles: status, programmes done / on track / behind, mean progress, measured indicators."""
    measured = indicators.groupby("pillar").size().to_dict() if len(indicators) else {}
    cards = []
    for row in summary.itertuples(index=False):
        status = row.status if isinstance(row.status, str) else None
        lines = [t("smartcity.tile_counts", language, done=row.done, on_track=row.on_track, behind=row.behind),
                 t("smartcity.tile_progress", language, progress=fmt.percent(row.mean_progress, language, 0))
                 ] if status else []
        n = measured.get(row.pillar, 0)
        lines.append(t("smartcity.tile_indicators", language, n=n) if n else t("smartcity.tile_no_indicator",
                                                                                    language))
        body = "".join(f"<p>{line}</p>" for line in lines)
        state = t(f"smartcity.status.{status or 'none'}", language)
        cards.append(f"<div class='pantau-pillar' style='--c:{PILLAR_COLOURS[status]}'>"
                     f"<h4>{t(f'smartcity.pillar.{row.pillar}', language)}</h4><b>{state}</b>{body}</div>")
    st.html(PILLAR_CSS + "<div class='pantau-pillars'>" + "".join(cards) + "</div>")


def programme_table(rows: pd.DataFrame, language: str) -> None:
    """A pillar's programmes at their latest report, as kpi.smartcity.latest_programmes orders them."""
    cc = st.column_config

    def with_year(value: float, year: int, unit: Any) -> str:
        return f"{fmt.number(value, language, 0 if float(value).is_integer() else 1)} {unit or ''} ({year})".replace(
            "  ", " ")

    shown = pd.DataFrame({
        "programme_id": rows["programme_id"], "name": rows["name"],
        "status": rows["status"].map(lambda s: t(f"smartcity.status.{s}", language)),
        "progress": rows["progress"] * 100, "expected": rows["expected"] * 100,
        "period": rows["period"].map(lambda d: fmt.day(pd.Timestamp(d).date(), language)),
        "realised": [fmt.number(v, language, 0 if float(v).is_integer() else 1) for v in rows["realised_value"]],
        "baseline": [with_year(v, y, u) for v, y, u in zip(rows["baseline_value"], rows["baseline_year"],
                                                          rows["unit"], strict=True)],
        "target": [with_year(v, y, u) for v, y, u in zip(rows["target_value"], rows["target_year"], rows["unit"],
                                                        strict=True)],
        "indicator": rows["indicator"],
        "kind": rows["kind"].map(lambda k: t(f"smartcity.kind.{k}", language)),
        "agency": rows["agency"],
    })
    label = {c: t(f"smartcity.col.{c}", language) for c in shown.columns}
    config: dict[str, Any] = {c: cc.TextColumn(label[c]) for c in shown.columns}
    config["progress"] = cc.ProgressColumn(label["progress"], format="%.0f%%", min_value=0, max_value=125)
    config["expected"] = cc.NumberColumn(label["expected"], format="%.0f%%")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, key="smartcity_programmes")


def indicator_tiles(rows: pd.DataFrame, language: str) -> None:
    """A pillar's measured indicators (kpi.smartcity.pillar_indicators) as tiles, with the change against the
    previous period; a missing value shows as a dash, never as zero."""
    cols = st.columns(min(len(rows), 4) or 1)
    for i, row in enumerate(rows.itertuples(index=False)):
        value = None if row.value is None or pd.isna(row.value) else float(row.value)
        before = None if row.previous is None or pd.isna(row.previous) else float(row.previous)
        label = row.name
        if row.measure == "tourism_recovery" and row.basis is not None and not pd.isna(row.basis):
            label = t("smartcity.latest_month", language, name=row.name, month=fmt.month(row.basis, language))
        cols[i % len(cols)].metric(label, pagefmt.indicator_value(row.measure, value, language),
                                   pagefmt.indicator_delta(row.measure, value, before, language), border=True)
