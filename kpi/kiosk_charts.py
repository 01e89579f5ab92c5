"""Read-side layer: pure builders for kiosk screens — big numbers and header as HTML, one Altair chart or pydeck map per
view, the full-screen CSS and the watchdog script. No st.* here; everything is sized for reading across a room."""

from __future__ import annotations

import json
import math
from html import escape
from urllib.parse import quote

import altair as alt
import pandas as pd
import pydeck as pdk

from base.i18n import t
from base.settings import city_settings
from kpi import fmt
from kpi.kiosk_data import BigNumber
from kpi.metrics import INDEX_BANDS, SCORE_CAP, index_status
from kpi.theme import kiosk as kiosk_theme
from kpi.theme import kiosk_palette, scaled

# index_status -> the band a kiosk bar is drawn in
BANDS = {"green": "good", "amber": "mid", "red": "bad"}

# The kiosk map is a flat view at the city's default zoom; circles up to 1.3 km in radius mostly stay apart.
MAP_ZOOM_BOOST = 0.0
MAP_MAX_RADIUS_M = 1300.0
MAP_SYMBOL_PX = 26


def palette(variant: str) -> dict[str, str]:
    return kiosk_palette(variant)


def _tone_colour(tone: str, p: dict[str, str]) -> str:
    return {"good": p["good"], "bad": p["bad"]}.get(tone, p["muted"])


def big_numbers_html(numbers: tuple[BigNumber, ...], theme: str) -> str:
    """A row of cards: label, big value, and a trend arrow coloured by whether the change is good or bad."""
    p = palette(theme)
    cards = []
    for n in numbers:
        trend = ""
        if n.trend is not None:
            trend = (f'<div class="k-trend" style="color:{_tone_colour(n.trend.tone, p)}">'
                     f'<span class="k-arrow">{n.trend.arrow}</span> {escape(n.trend.text)}</div>')
        cards.append(f'<div class="k-card"><div class="k-label">{escape(n.label)}</div>'
                     f'<div class="k-value">{escape(n.value)}</div>{trend}</div>')
    return f'<div class="k-numbers" style="--k-cols:{max(len(numbers), 1)}">{"".join(cards)}</div>'


def header_html(title: str, view_title: str, subtitle: str, clock: str, as_of: str, warning: str | None,
                view: str, position: str, offline: str = "offline") -> str:
    """Top band: titles on the left, the city's clock and "data as of" on the right, and the staleness warning if any.
    `data-view` lets tests and the watchdog see which view is on screen; `offline` is shown beside "data as of"
    while the watchdog cannot reach the server."""
    warn = f'<div class="k-warning" role="alert">⚠ {escape(warning)}</div>' if warning else ""
    return (f'<div class="k-header" data-view="{escape(view)}">'
            f'<div class="k-titles"><div class="k-app">{escape(title)}</div>'
            f'<div class="k-view">{escape(view_title)} <span class="k-pos">{escape(position)}</span></div>'
            f'<div class="k-sub">{escape(subtitle)}</div></div>'
            f'<div class="k-meta"><div class="k-clock" id="k-clock">{escape(clock)}</div>'
            f'<div class="k-asof" data-offline="{escape(offline)}">{escape(as_of)}</div></div></div>{warn}')


def _config(chart: alt.Chart | alt.LayerChart, variant: str, lang: str,
            description: str) -> alt.Chart | alt.LayerChart:
    """Full-container size, the kiosk variant of the one theme (kpi.theme) and the chart's text alternative (one
    sentence from the rows it draws: what a screen reader announces instead of "Vega visualization")."""
    out = chart.properties(width="container", height="container", background="transparent",
                           padding={"left": 8, "right": 24, "top": 8, "bottom": 8}, description=description)
    out.config = kiosk_theme(lang, variant)
    return out


def requests_chart(frame: pd.DataFrame, lang: str, theme: str) -> alt.LayerChart:
    """Requests received and completed per day (city-wide); suppressed days are gaps."""
    p = palette(theme)
    description = _requests_description(frame, lang)
    received, completed = t("kiosk.chart.received", lang), t("kiosk.chart.completed", lang)
    long = (frame.rename(columns={"received": received, "completed": completed})
            .melt(id_vars="day", value_vars=[received, completed], var_name="series", value_name="requests"))
    line = alt.Chart(long).mark_line(strokeWidth=scaled(5)).encode(
        x=alt.X("day:T", title=t("kiosk.chart.day", lang),
                axis=alt.Axis(format="%d %b", labelAngle=0, tickCount=8)),
        y=alt.Y("requests:Q", title=t("kiosk.chart.requests", lang)),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(domain=[received, completed], range=[p["a"], p["b"]])),
    )
    return _config(line, theme, lang, description)


def _requests_description(frame: pd.DataFrame, lang: str) -> str:
    shown = frame.dropna(subset=["received"])
    if shown.empty:
        return t("describe.empty", lang, chart=t("kiosk.chart.requests", lang))
    peak = shown.loc[shown["received"].idxmax()]
    return t("describe.received_completed", lang, grain=t("describe.grain.day", lang),
             start=fmt.day(pd.Timestamp(frame["day"].min()).date(), lang),
             end=fmt.day(pd.Timestamp(frame["day"].max()).date(), lang),
             received=fmt.number(shown["received"].sum(), lang), completed=fmt.number(frame["completed"].sum(), lang),
             peak_label=fmt.day(pd.Timestamp(peak["day"]).date(), lang), peak=fmt.number(peak["received"], lang))


def _band_counts(bands: pd.Series, lang: str, key: str) -> str:
    """'9 kecamatan ✓ sesuai target, …': how many rows are in each index band (kpi.metrics.INDEX_BANDS)."""
    return ", ".join(t(key, lang, n=fmt.number(int((bands == b).sum()), lang),
                       status=f"{symbol} {t(f'chart.status.{b}', lang)}") for b, symbol in INDEX_BANDS.items())


def scores_chart(frame: pd.DataFrame, lang: str, theme: str) -> alt.LayerChart:
    """Service score per service (on-time rate ÷ target, capped at 1.25), green / amber / red, target line at 1; each
    bar's score and band symbol (✓ ! ✕) written after it, so no bar says its band by colour alone."""
    p = palette(theme)
    status = frame["score"].map(lambda v: index_status(v) or "red")
    data = frame.assign(band=status.map(BANDS),
                        mark=[f"{fmt.number(v, lang, 2)} {INDEX_BANDS[s]}" for v, s in zip(frame["score"], status,
                                                                                        strict=True)])
    y = alt.Y("service:N", title=None, sort=alt.EncodingSortField(field="score", op="max", order="descending"))
    x_scale = alt.Scale(domain=[0, SCORE_CAP + 0.3], nice=False)
    bars = alt.Chart(data).mark_bar(cornerRadiusEnd=4).encode(
        y=y,
        x=alt.X("score:Q", title=t("kiosk.chart.score", lang), scale=x_scale,
                axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1, SCORE_CAP], format=".2f")),
        color=alt.Color("band:N", legend=None,
                        scale=alt.Scale(domain=["good", "mid", "bad"], range=[p["good"], p["amber"], p["bad"]])),
    )
    # a column right of the cap, clear of the target line
    marks = alt.Chart(data).transform_calculate(at=str(SCORE_CAP)).mark_text(
        align="left", dx=scaled(12), fontSize=scaled(22), color=p["fg"], fontWeight="bold").encode(
        y=y, x=alt.X("at:Q", scale=x_scale), text=alt.Text("mark:N"))
    target = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeWidth=4, strokeDash=[10, 6], color=p["fg"]) \
        .encode(x=alt.X("x:Q"))
    return _config(alt.layer(bars, marks, target), theme, lang, _scores_description(data, lang))


def _scores_description(data: pd.DataFrame, lang: str) -> str:
    if data.empty:
        return t("describe.empty", lang, chart=t("kiosk.chart.score", lang))
    low = data.loc[data["score"].idxmin()]
    bands = data["score"].map(lambda v: index_status(v) or "red")
    return t("describe.kiosk_scores", lang, bands=_band_counts(bands, lang, "describe.kiosk_service_count"),
             low=low["service"], low_value=fmt.number(low["score"], lang, 2))


def recovery_chart(frame: pd.DataFrame, lang: str, theme: str) -> alt.LayerChart:
    """Recovery index per indicator by month against a baseline at 100 (= the same month of 2019)."""
    p = palette(theme)
    labels = list(dict.fromkeys(frame["label"]))
    lines = alt.Chart(frame).mark_line(strokeWidth=scaled(5), point=alt.OverlayMarkDef(size=scaled(80))).encode(
        x=alt.X("period:T", title=t("kiosk.chart.month", lang), axis=alt.Axis(format="%b %Y", labelAngle=0,
                                                                             tickCount=6)),
        y=alt.Y("recovery:Q", title=t("kiosk.chart.recovery", lang)),
        color=alt.Color("label:N", title=None, sort=labels,
                        scale=alt.Scale(domain=labels, range=[p["a"], p["b"], p["c"]][: len(labels)])),
    )
    base = alt.Chart(pd.DataFrame({"y": [100]})).mark_rule(strokeWidth=3, strokeDash=[10, 6], color=p["fg"]) \
        .encode(y=alt.Y("y:Q"))
    return _config(alt.layer(base, lines), theme, lang, _recovery_description(frame, lang))


def _recovery_description(frame: pd.DataFrame, lang: str) -> str:
    if frame.empty:
        return t("describe.empty", lang, chart=t("kiosk.chart.recovery", lang))
    latest = frame["period"].max()
    rows = frame[frame["period"] == latest]
    values = "; ".join(f"{row.label} {fmt.number(row.recovery, lang, 0)}" for row in rows.itertuples())
    return t("describe.kiosk_recovery", lang, month=fmt.month(pd.Timestamp(latest).date(), lang), values=values)


def pillars_chart(frame: pd.DataFrame, lang: str, theme: str) -> alt.LayerChart:
    """Programmes per pillar stacked by status (behind, on track, done), each at its latest report."""
    p = palette(theme)
    pillars = list(dict.fromkeys(frame["pillar_label"]))
    states = list(dict.fromkeys(frame["status_label"]))  # behind, on track, done (kpi.smartcity.STATUSES)
    order = {s: i for i, s in enumerate(states)}
    data = frame.assign(order=frame["status_label"].map(order))
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("pillar_label:N", title=None, sort=pillars, axis=alt.Axis(labelLimit=520)),
        x=alt.X("n:Q", title=t("kiosk.chart.programmes", lang), axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("status_label:N", title=None, sort=states,
                        scale=alt.Scale(domain=states, range=[p["bad"], p["a"], p["good"]]),
                        legend=alt.Legend(orient="top")),
        order=alt.Order("order:Q"),
    )
    totals = frame.groupby("status_label", sort=False)["n"].sum()
    statuses = ", ".join(t("describe.status_count", lang, n=fmt.number(int(n), lang), status=label)
                         for label, n in totals.items())
    return _config(alt.layer(bars), theme, lang, t("describe.kiosk_pillars", lang, statuses=statuses))


def _rgb(hex_colour: str, alpha: int = 235) -> list[int]:
    h = hex_colour.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


def kecamatan_deck(frame: pd.DataFrame, theme: str, lat: float, lon: float, zoom: float) -> pdk.Deck:
    """A circle per kecamatan seen from straight above: area = requests per 1,000 residents, colour = service index
    band. No basemap (offline_map_style), so nothing is fetched from the internet; no tooltips or picking on a kiosk."""
    p = palette(theme)

    def colour(index: float | None) -> list[int]:
        if index is None or index != index:
            return _rgb(p["none"])
        return _rgb(p[{"green": "good", "amber": "amber", "red": "bad"}[index_status(index) or "red"]])

    value = frame["received_per_1000"].fillna(0.0)
    # Area proportional to the value; the largest circle has a 1.3 km radius, a suppressed one is a small grey dot.
    radius = (value / max(float(value.max()), 1e-9)) ** 0.5 * MAP_MAX_RADIUS_M
    def symbol(index: float | None) -> str:
        return "" if index is None or index != index else INDEX_BANDS[index_status(index) or "red"]

    data = frame.assign(colour=frame["index"].map(colour), radius=radius.clip(lower=250.0),
                        symbol=frame["index"].map(symbol))[["name", "lat", "lon", "colour", "radius", "symbol"]]
    circles = pdk.Layer("ScatterplotLayer", data=data, get_position=["lon", "lat"], get_radius="radius",
                        get_fill_color="colour", stroked=True, get_line_color=_rgb(p["bg"], 255),
                        line_width_min_pixels=2, pickable=False)
    # each circle's band symbol (✓ ! ✕) on it, outlined in the background colour: the band is never colour alone
    # (pydeck reads a bare string as an expression over each row; a quoted one is the string itself)
    symbols = pdk.Layer("TextLayer", data=data[data["symbol"] != ""], get_position=["lon", "lat"], get_text="symbol",
                        get_size=MAP_SYMBOL_PX, size_units="'pixels'", get_color=_rgb(p["fg"], 255),
                        font_weight="'bold'", character_set=f"'{''.join(INDEX_BANDS.values())}'", outline_width=4,
                        outline_color=_rgb(p["bg"], 255), font_settings={"sdf": True}, pickable=False)
    view = pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom + MAP_ZOOM_BOOST, pitch=0, bearing=0)
    return pdk.Deck(layers=[circles, symbols], initial_view_state=view,
                    views=[pdk.View(type="MapView", controller=False)], map_style=offline_map_style(theme),
                    map_provider=None, tooltip=False)


def map_description(frame: pd.DataFrame, lang: str) -> str:
    """The kiosk map's text alternative: what circle and colour mean, and how many kecamatan are in each band."""
    bands = frame["index"].map(lambda v: None if v is None or v != v else index_status(v))
    text = _band_counts(bands, lang, "describe.band_count")
    if bands.isna().any():
        text += ", " + t("describe.kiosk_none", lang, n=fmt.number(int(bands.isna().sum()), lang))
    return t("describe.kiosk_map", lang, bands=text)


def offline_map_style(theme: str) -> str:
    """A basemap style with no sources — just the screen's background colour — as a data: URL.

    Streamlit's st.pydeck_chart replaces map_style=None with a CARTO basemap fetched from basemaps.cartocdn.com, and
    expects a string; a data: URL naming no tiles, glyphs or sprites keeps the map entirely offline."""
    style = {"version": 8, "sources": {}, "layers": [
        {"id": "background", "type": "background", "paint": {"background-color": palette(theme)["bg"]}}]}
    return "data:application/json;charset=utf-8," + quote(json.dumps(style, separators=(",", ":")))


def map_legend_html(lang: str, theme: str, min_count: int) -> str:
    p = palette(theme)
    items = [(p["good"], f'{INDEX_BANDS["green"]} {t("kiosk.map.legend_good", lang)}'),
             (p["amber"], f'{INDEX_BANDS["amber"]} {t("kiosk.map.legend_mid", lang)}'),
             (p["bad"], f'{INDEX_BANDS["red"]} {t("kiosk.map.legend_bad", lang)}'),
             (p["none"], t("kiosk.map.legend_none", lang, n=min_count))]
    swatches = "".join(f'<span class="k-swatch" style="background:{c}"></span><span>{escape(x)}</span>'
                       for c, x in items)
    return (f'<div class="k-legend"><span>{escape(t("kiosk.map.legend_height", lang))}</span>'
            f'<span class="k-sep">·</span>{swatches}</div>')


# Streamlit chrome hidden on a kiosk. data-testid selectors are Streamlit's own test hooks (stable across releases).
_HIDE = ", ".join([
    'header[data-testid="stHeader"]', '[data-testid="stToolbar"]', '[data-testid="stDecoration"]',
    '[data-testid="stStatusWidget"]', '[data-testid="stSidebar"]', '[data-testid="stSidebarCollapsedControl"]',
    '[data-testid="stSidebarNav"]', '[data-testid="stAppDeployButton"]', '[data-testid="stMainMenu"]',
    '#MainMenu', 'footer', '.mapboxgl-ctrl', '.maplibregl-ctrl', '[data-testid="stDeckGlJsonChart"] button',
    '[data-testid="stBottom"]', '[data-testid="stSkeleton"]',
    # Streamlit's "Connection error … streamlit run yourscript.py" dialog: while the server is away the screen keeps
    # its last view with an "offline" mark, and the watchdog reloads it once the server answers again.
    '[data-testid="stDialog"]',
    '.stElementContainer:has(#k-watchdog)',
])


def kiosk_css(theme: str) -> str:
    """Full-screen layout in viewport units: 1920x1080 fits exactly, 3840x2160 scales up, nothing scrolls."""
    p = palette(theme)
    return f"""<style>
{_HIDE} {{ display: none !important; }}
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{
  overflow: hidden !important; background: {p["bg"]} !important; color: {p["fg"]};
  scrollbar-width: none; }}
::-webkit-scrollbar {{ display: none; }}
.stApp {{ cursor: none; }}
[data-testid="stMainBlockContainer"] {{ max-width: 100% !important; padding: 2.2vh 2.4vw 1.5vh !important;
  height: 100vh; box-sizing: border-box; }}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{ gap: 1.6vh; }}
.k-header {{ display: flex; justify-content: space-between; align-items: flex-start; gap: 2vw; }}
.k-app {{ font-size: clamp(14px, 1.45vw, 80px); color: {p["muted"]}; letter-spacing: .02em; }}
.k-view {{ font-size: clamp(24px, 2.9vw, 160px); font-weight: 700; line-height: 1.1; color: {p["fg"]}; }}
.k-pos {{ font-size: .45em; font-weight: 400; color: {p["muted"]}; vertical-align: middle; margin-left: .6em; }}
.k-sub {{ font-size: clamp(12px, 1.2vw, 64px); color: {p["muted"]}; margin-top: .3vh; }}
.k-meta {{ text-align: right; }}
.k-clock {{ font-size: clamp(28px, 3.6vw, 190px); font-weight: 700; font-variant-numeric: tabular-nums;
  line-height: 1; color: {p["fg"]}; }}
.k-asof {{ font-size: clamp(12px, 1.2vw, 64px); color: {p["muted"]}; margin-top: .6vh; }}
.k-offline .k-asof::after {{ content: " · " attr(data-offline); color: {p["bad"]}; font-weight: 700; }}
.k-warning {{ margin-top: 1vh; padding: .6vh 1vw; border-radius: .6vh; font-weight: 700;
  font-size: clamp(14px, 1.35vw, 72px); background: {p["warn_bg"]}; color: {p["warn_fg"]}; }}
.k-numbers {{ display: grid; grid-template-columns: repeat(var(--k-cols), 1fr); gap: 1.2vw; }}
.k-card {{ background: {p["panel"]}; border-radius: 1vh; padding: 1.4vh 1.3vw; min-width: 0; }}
.k-label {{ font-size: clamp(14px, 1.35vw, 72px); color: {p["muted"]}; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.k-value {{ font-size: clamp(36px, 4.6vw, 250px); font-weight: 800; line-height: 1.05; color: {p["fg"]};
  font-variant-numeric: tabular-nums; white-space: nowrap; }}
.k-trend {{ font-size: clamp(14px, 1.45vw, 80px); font-weight: 700; }}
.k-arrow {{ font-size: 1.1em; }}
.k-legend {{ display: flex; flex-wrap: wrap; align-items: center; gap: .5vw; color: {p["fg"]};
  font-size: clamp(12px, 1.15vw, 64px); }}
.k-swatch {{ display: inline-block; width: 1.3vw; height: 1.3vw; border-radius: .3vw; margin-left: .8vw; }}
.k-sep {{ color: {p["muted"]}; }}
.k-empty {{ font-size: clamp(24px, 3vw, 160px); color: {p["muted"]}; padding-top: 20vh; text-align: center; }}
/* The chart takes the height left under the header and numbers: fixed shares of the viewport, less when the
   staleness warning or the map legend take a line. */
.st-key-kiosk_chart {{ height: 57vh !important; flex: none !important; }}
.stMain:has(.k-warning) .st-key-kiosk_chart {{ height: 52vh !important; }}
.st-key-kiosk_chart .stElementContainer, .st-key-kiosk_chart [data-testid="stFullScreenFrame"],
.st-key-kiosk_chart [data-testid="stFullScreenFrame"] > div, .st-key-kiosk_chart [data-testid="stVegaLiteChart"],
.st-key-kiosk_chart [data-testid="stDeckGlJsonChart"] {{ height: 100% !important; width: 100% !important; }}
/* deck.gl keeps its zoom level whatever the canvas size, so on screens wider than 1920 px the map is laid out at
   1920-wide size and scaled up, showing the same part of the city. (Chart text scales inside Vega, see _config.) */
@media (min-width: 2400px) {{
  .st-key-kiosk_chart .stElementContainer:has([data-testid="stDeckGlJsonChart"]) {{
    width: 66.667% !important; height: 66.667% !important; transform: scale(1.5); transform-origin: 0 0; }} }}
@media (min-width: 3200px) {{
  .st-key-kiosk_chart .stElementContainer:has([data-testid="stDeckGlJsonChart"]) {{
    width: 50% !important; height: 50% !important; transform: scale(2); }} }}
</style>"""


def watchdog_html(reload_hours: float, lang: str, theme: str = "dark") -> str:
    """Script for an unattended screen, run once per page load:
    - adds Streamlit's embed options to the address (embed=true, the screen's theme, no loading screen), so every
      later reload starts without the toolbar and in the right colours instead of flashing them until the page's
      CSS arrives;
    - ticks the city's clock (its own zone and label) every second (the server only redraws it with each view);
    - polls the server's /_stcore/health; once it was unreachable (restart, network drop) and answers again, or when
      Streamlit's connection-error dialog has stayed up, reloads the same URL — the URL carries the whole screen;
    - reloads every `reload_hours` so the tab's memory stays flat over weeks."""
    city = city_settings()
    settings = json.dumps({"reloadMs": int(reload_hours * 3_600_000), "locale": "id-ID" if lang == "id" else "en-GB",
                           "theme": "light" if theme == "light" else "dark", "zone": city.timezone,
                           "zoneLabel": city.timezone_label})
    return f"""<div id="k-watchdog"></div><script>
(function () {{
  if (window.__pantauKiosk) return;
  window.__pantauKiosk = true;
  const cfg = {settings};
  const started = Date.now();
  const url = new URL(window.location.href);
  if (url.searchParams.get("embed") !== "true") {{
    url.searchParams.set("embed", "true");
    url.searchParams.delete("embed_options");
    url.searchParams.append("embed_options", cfg.theme + "_theme");
    url.searchParams.append("embed_options", "hide_loading_screen");
    window.history.replaceState(window.history.state, "", url.toString());
  }}
  const base = window.location.pathname.replace(/\\/kiosk\\/?$/, "/").replace(/\\/?$/, "/");
  const health = base + "_stcore/health";
  let down = false, errorSince = 0;
  const clockFmt = new Intl.DateTimeFormat(cfg.locale, {{timeZone: cfg.zone, hour: "2-digit",
    minute: "2-digit", hourCycle: "h23"}});
  function tick() {{
    const el = document.getElementById("k-clock");
    if (el) el.textContent = clockFmt.format(new Date()) + " " + cfg.zoneLabel;
  }}
  async function serverUp() {{
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 4000);
    try {{
      const res = await fetch(health, {{cache: "no-store", signal: ctl.signal}});
      return res.ok;
    }} catch (e) {{
      return false;
    }} finally {{
      clearTimeout(timer);
    }}
  }}
  async function check() {{
    const up = await serverUp();
    const stuck = document.querySelector('[data-testid="stConnectionStatus"], [role="dialog"], .stException');
    errorSince = stuck ? (errorSince || Date.now()) : 0;
    document.documentElement.classList.toggle("k-offline", !up);
    if (!up) {{ down = true; return; }}
    if (down || (errorSince && Date.now() - errorSince > 20000) || Date.now() - started > cfg.reloadMs) {{
      window.location.reload();
    }}
  }}
  tick();
  setInterval(tick, 1000);
  setInterval(check, 5000);
}})();
</script>"""


def grades_html(frame: pd.DataFrame, lang: str, theme: str, min_count: int) -> str:
    """The units' grades as service halls display them: a tile per unit (kpi_data.satisfaction's frame, highest
    first) with its grade letter big in the grade's colour, its words and its IKM; a unit with too few respondents
    says so instead. The letter is always written: the colour only repeats it."""
    p = palette(theme)
    colours = {"A": p["good"], "B": p["a"], "C": p["amber"], "D": p["bad"]}
    columns = max(1, math.ceil(math.sqrt(len(frame) * 1.2)))  # wider than tall
    rows = max(1, math.ceil(len(frame) / columns))
    row_vh = 57 / rows  # the text grows with the tiles: a city of few units gets larger names, not emptier tiles
    letter_vh, name_vh, detail_vh = 0.36 * row_vh, min(0.19 * row_vh, 2.7), min(0.17 * row_vh, 2.4)
    tiles = []
    for row in frame.itertuples(index=False):
        if row.grade is None or row.grade != row.grade:
            letter, detail, colour = "–", escape(t("satisfaction.kiosk.withheld", lang, n=min_count)), p["none"]
        else:
            letter, colour = escape(str(row.grade)), colours.get(str(row.grade), p["none"])
            detail = f"{escape(str(row.words))} · <b>{escape(fmt.number(row.ikm, lang, 2))}</b>"
        tiles.append(f'<div class="k-grade" data-grade="{letter}"><div class="k-letter" style="background:{colour}">'
                     f'{letter}</div><div class="k-unit"><div class="k-uname">{escape(str(row.name))}</div>'
                     f'<div class="k-udetail">{detail}</div></div></div>')
    css = (f".k-grades {{display: grid; grid-template-columns: repeat({columns}, 1fr);"
           f" grid-template-rows: repeat({rows}, 1fr); gap: 1vh 1vw; height: 57vh;}}"
           f" .k-grade {{display: flex; align-items: center; gap: .8vw; background: {p['panel']}; border-radius: 1vh;"
           " padding: .6vh .6vw; min-width: 0; overflow: hidden;}"
           f" .k-letter {{flex: none; height: 62%; aspect-ratio: 1; border-radius: .8vh; color: {p['bg']};"
           " display: flex; align-items: center; justify-content: center; font-weight: 800;"
           f" font-size: clamp(22px, {letter_vh:.2f}vh, 400px);}}"
           f" .k-unit {{min-width: 0;}} .k-uname {{color: {p['fg']}; font-size: clamp(12px, {name_vh:.2f}vh, 160px);"
           " font-weight: 700; line-height: 1.15; overflow: hidden; overflow-wrap: anywhere; display: -webkit-box;"
           " -webkit-line-clamp: 2; -webkit-box-orient: vertical;}"
           f" .k-udetail {{color: {p['muted']}; font-size: clamp(11px, {detail_vh:.2f}vh, 140px);}}"
           f" .k-udetail b {{color: {p['fg']};}}")
    return f'<style>{css}</style><div class="k-grades">{"".join(tiles)}</div>'
