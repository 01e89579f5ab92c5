"""Read-side layer: pure pydeck map builders (aggregated DataFrame in, pdk.Deck out; no tiles, no Streamlit)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pydeck as pdk

from base.i18n import t
from kpi import fmt

# Five viridis classes (dark = low, yellow = high): readable with colour-vision deficiencies and in greyscale.
VIRIDIS_5 = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
DENSITY_COLOUR = (86, 180, 233)  # Okabe-Ito sky blue, kept faint under the kecamatan circles

# metric -> column of metrics.by_kecamatan and how to format it
MAP_METRICS: dict[str, str] = {
    "received_per_1000": "received_per_1000",
    "median_hours": "median_hours",
    "on_time_rate": "on_time_rate",
    "open_at_end": "open_at_end",
    "overdue_at_end": "overdue_at_end",
}


def format_metric(metric: str, value: float | None, lang: str, fine: bool = False) -> str:
    """The value as the tooltip and legend show it; `fine` adds a digit when classes are narrow."""
    if metric == "on_time_rate":
        return fmt.percent(value, lang, 1)
    if metric == "median_hours":
        return fmt.hours(value, lang)
    if metric == "received_per_1000":
        return fmt.number(value, lang, 2 if fine else 1)
    return fmt.number(value, lang)


def classes(values: pd.Series, n: int = 5) -> tuple[pd.Series, list[float]]:
    """Equal-interval classes 0..n-1 over the observed range, and the n+1 class edges (NaN -> class -1)."""
    lo, hi = values.min(), values.max()
    if pd.isna(lo):
        return pd.Series(-1, index=values.index), []
    if hi == lo:
        return values.map(lambda v: -1 if pd.isna(v) else n // 2), [lo, hi]
    edges = [lo + (hi - lo) * i / n for i in range(n + 1)]
    cls = ((values - lo) / (hi - lo) * n).clip(upper=n - 1e-9)
    return cls.map(lambda v: -1 if pd.isna(v) else int(v)), edges


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def legend(df: pd.DataFrame, metric: str, lang: str) -> list[tuple[str, str]]:
    """(hex colour, "from – to") per class, as the map draws them."""
    _, edges = classes(df[MAP_METRICS[metric]])
    if len(edges) < 3:
        return [(_hex(VIRIDIS_5[2]), format_metric(metric, edges[0], lang))] if edges else []
    fine = (edges[1] - edges[0]) < 0.5
    return [(_hex(VIRIDIS_5[i]),
             f"{format_metric(metric, edges[i], lang, fine)} – {format_metric(metric, edges[i + 1], lang, fine)}")
            for i in range(len(VIRIDIS_5))]


def describe(df: pd.DataFrame, metric: str, lang: str) -> str:
    """The map's text alternative: the metric's highest and lowest kecamatan, from the rows the map draws."""
    col = MAP_METRICS[metric]
    shown = df.dropna(subset=[col])
    if shown.empty:
        return t("describe.map_empty", lang)
    high, low = shown.loc[shown[col].idxmax()], shown.loc[shown[col].idxmin()]
    return t("describe.map", lang, metric=t(f"map.metric.{metric}", lang).lower(), n=fmt.number(len(shown), lang),
             high=high["name"], high_value=format_metric(metric, high[col], lang), low=low["name"],
             low_value=format_metric(metric, low[col], lang))


def _styled(df: pd.DataFrame, metric: str, lang: str) -> pd.DataFrame:
    col = MAP_METRICS[metric]
    cls, _ = classes(df[col])
    out = df[["kecamatan_code", "name", "lat", "lon", col]].copy()
    out["value_fmt"] = out[col].map(lambda v: format_metric(metric, v, lang))
    out["metric_label"] = t(f"map.metric.{metric}", lang)
    out["fill"] = cls.map(lambda c: [*VIRIDIS_5[c], 230] if c >= 0 else [200, 200, 200, 160])
    span = (df[col] - df[col].min()) / ((df[col].max() - df[col].min()) or 1)
    out["radius"] = (350 + 650 * span.fillna(0) ** 0.5).round(0)
    return out


def _norm(text: str) -> str:
    """'Kec. MEDAN  Johor' -> 'medan johor'."""
    text = re.sub(r"^\s*(kecamatan|kec\.?)\s+", "", str(text).strip(), flags=re.I)
    return re.sub(r"\s+", " ", text).lower()


def load_boundaries(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def match_boundaries(geojson: dict[str, Any], kecamatan: pd.DataFrame) -> dict[str, str]:
    """Feature index -> kecamatan_code, matching on the Kemendagri code, else the BPS code, else the name."""
    by_kemendagri = set(kecamatan["kecamatan_code"])
    by_bps = dict(zip(kecamatan.get("bps_code", pd.Series(dtype=str)).astype(str), kecamatan["kecamatan_code"],
                      strict=False))
    by_name = {_norm(n): c for n, c in zip(kecamatan["name"], kecamatan["kecamatan_code"], strict=True)}
    out: dict[str, str] = {}
    for i, feature in enumerate(geojson.get("features", [])):
        props = feature.get("properties") or {}
        code = str(props.get("kode_kemendagri") or props.get("kemendagri_code") or props.get("kecamatan_code") or "")
        bps = str(props.get("kode_bps") or props.get("bps_code") or "")
        name = _norm(props.get("nama") or props.get("name") or props.get("kecamatan") or "")
        match = (code if code in by_kemendagri else by_bps.get(bps) or by_name.get(name))
        if match:
            out[str(i)] = match
    return out


def kecamatan_deck(df: pd.DataFrame, metric: str, lang: str, view: dict[str, float],
                   density: pd.DataFrame | None = None, boundaries: dict[str, Any] | None = None,
                   map_style: str | None = None) -> pdk.Deck:
    """One value per kecamatan: a choropleth when boundaries are given, else sized circles at the centroids,
    over a faint density grid of where requests came from. No basemap unless `map_style` names one."""
    styled = _styled(df, metric, lang)
    layers: list[pdk.Layer] = []
    if density is not None and len(density):
        dens = density.copy()
        top = float(dens["requests"].quantile(0.98)) or 1.0
        dens["alpha"] = (40 + 170 * (dens["requests"] / top).clip(upper=1)).round(0)
        dens["colour"] = dens["alpha"].map(lambda a: [*DENSITY_COLOUR, int(a)])
        layers.append(pdk.Layer("ScatterplotLayer", id="density", data=dens[["lat", "lon", "colour"]],
                                get_position="[lon, lat]", get_fill_color="colour", get_radius=200,
                                pickable=False))
    if boundaries is not None:
        matched = match_boundaries(boundaries, df)
        rows = styled.set_index("kecamatan_code")
        features = []
        for i, feature in enumerate(boundaries.get("features", [])):
            code = matched.get(str(i))
            if code is None or code not in rows.index:
                continue
            row = rows.loc[code]
            props = {"kecamatan_code": code, "name": row["name"], "value_fmt": row["value_fmt"],
                     "metric_label": row["metric_label"], "fill": row["fill"]}
            features.append({"type": "Feature", "geometry": feature["geometry"], "properties": props})
        layers.insert(0, pdk.Layer("GeoJsonLayer", id="kecamatan", data={"type": "FeatureCollection",
                                                                          "features": features},
                                   filled=True, stroked=True, get_fill_color="properties.fill",
                                   get_line_color=[255, 255, 255, 255], line_width_min_pixels=1.5, pickable=True,
                                   auto_highlight=True))
    else:
        layers.append(pdk.Layer("ScatterplotLayer", id="kecamatan",
                                data=styled[["kecamatan_code", "name", "lat", "lon", "value_fmt", "metric_label",
                                             "fill", "radius"]],
                                get_position="[lon, lat]", get_fill_color="fill", get_radius="radius",
                                stroked=True, get_line_color=[255, 255, 255, 255],
                                line_width_min_pixels=1.5, pickable=True, auto_highlight=True))
    tooltip = {"html": "<b>{name}</b><br/>{metric_label}: {value_fmt}",
               "style": {"backgroundColor": "#1A1F2B", "color": "#FFFFFF", "fontSize": "13px"}}
    if map_style is None:
        # No basemap at all. Streamlit reads an explicit map_style=None as "pick a CARTO style from the CDN", so the
        # style is left unset: with no map provider pydeck then writes a placeholder that Streamlit drops.
        return pdk.Deck(layers=layers, initial_view_state=pdk.ViewState(**view), map_provider=None, tooltip=tooltip)
    return pdk.Deck(layers=layers, initial_view_state=pdk.ViewState(**view), map_style=map_style,
                    map_provider="carto", tooltip=tooltip)
