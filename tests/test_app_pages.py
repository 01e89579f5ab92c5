"""Tier 3: every dashboard page through streamlit.testing.v1.AppTest, in both languages, asserting on content."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from app import pagefmt, registry
from base.i18n import t
from kpi import fmt, metrics, queries
from kpi.db import Reader
from kpi.filters import Filters

ROOT = Path(__file__).resolve().parent.parent
# The dashboard pages of the registry (upload, alerts, kiosk and the accessibility statement have tests of their own),
# and the Vega charts each draws.
PAGES = [s.key for s in registry.PAGES if s.key not in ("upload", "alerts", "kiosk", "accessibility")]
CHARTS = {"overview": 1, "throughput": 4, "processing": 4, "map": 0, "tourism": 2, "smartcity": 2, "satisfaction": 4,
          "data": 0}
# Words that belong to one language only: none may appear in the other language's view.
ID_ONLY = ["Ringkasan", "Saring", "Periode", "Atur ulang", "Unduh", "Semua layanan", "Perubahan terbesar",
           "Indeks layanan", "Tunggakan", "Permohonan", "Waktu proses", "Tepat waktu", "Pemulihan", "Kamus data",
           "DATA CONTOH", "jam", "Bulan", "Minggu", "Tanggal", "dibanding", "Sumber", "baris"]
EN_ONLY = ["Overview", "Filters", "Reset filters", "Download", "All services", "Biggest movers", "Service index",
           "Backlog", "Requests", "Processing time", "On time", "Recovery", "Data dictionary", "SAMPLE DATA",
           "hours", "Month", "Week", "Date", "compared", "Sources", "rows"]


def run_page(page: str, **params: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    # A first run registers dashboard.py's pages; switching before it would address pages/<name>.py by its file name,
    # which Streamlit's pages/ folder discovery runs alone, without dashboard.py.
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.get("page_link"), "dashboard.py ran and drew its navigation"
    return at


def texts(at: AppTest) -> str:
    """Everything a visitor can read: text elements, widget labels and options, metric tiles, chart titles/axes."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        out += [str(e.value) for e in at.get(kind)]
    out += [e.proto.body for e in at.get("html")]
    for m in at.metric:
        out += [m.label, str(m.value), str(m.delta or "")]
    for kind in ("selectbox", "multiselect", "radio"):
        for w in at.get(kind):
            out.append(w.label)
            out += [str(o) for o in w.options]  # AppTest holds the labels as shown
    out += [b.label for b in at.get("button")] + [b.proto.label for b in at.get("download_button")]
    out += [b.proto.label for b in at.get("page_link")]
    for chart in vega_specs(at):
        out += chart_words(chart)
    return "\n".join(out)


def chart_words(node: object) -> list[str]:
    """Titles of a Vega-Lite spec: chart, axes, legends and tooltips."""
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("title", "text") and isinstance(value, str):
                out.append(value)
            else:
                out += chart_words(value)
    elif isinstance(node, list):
        for value in node:
            out += chart_words(value)
    return out


def vega_specs(at: AppTest) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]


def chart_rows(at: AppTest, index: int) -> list[dict]:
    """The rows Streamlit ships with chart `index` (its datasets travel as Arrow, apart from the spec)."""
    proto = at.get("vega_lite_chart")[index].proto
    return [row for ds in proto.datasets for row in pa.ipc.open_stream(ds.data.data).read_pandas().to_dict("records")]


def default_filters(db: Path) -> Filters:
    _, latest = queries.data_bounds(Reader(db))
    return Filters(latest - timedelta(days=29), latest)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_in_its_language_only(app_env: Path, page: str, lang: str) -> None:
    at = run_page(page, lang=lang)
    text = texts(at)
    foreign = EN_ONLY if lang == "id" else ID_ONLY
    left = [w for w in foreign if re.search(rf"\b{re.escape(w)}\b", text)]
    assert not left, f"{page}/{lang}: words of the other language: {left}"
    assert len(vega_specs(at)) == CHARTS[page]
    assert at.get("download_button"), "every page offers its data for download"
    _, latest = queries.data_bounds(Reader(app_env))
    if page != "data":
        assert fmt.day(latest, lang) in text  # "data up to …"
    assert ("DATA CONTOH" if lang == "id" else "SAMPLE DATA") in text  # generated data is flagged


@pytest.mark.parametrize("lang", ["id", "en"])
def test_overview_figures_equal_the_kpi_layer(app_env: Path, lang: str) -> None:
    # Long enough for kecamatan x service pairs to reach 20 completions in both periods of the small sample.
    at = run_page("overview", lang=lang, period="custom", **{"from": "2023-01-01", "to": "2026-10-31"})
    f = Filters(date(2023, 1, 1), date(2026, 10, 31))
    now, before = metrics.summary(Reader(app_env), f), metrics.summary(Reader(app_env), f.previous())
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    for key, _, kind in pagefmt.HEADLINE:
        label = t(f"overview.kpi.{key}", lang)
        assert shown[label] == (pagefmt.headline_value(key, now[key], lang),
                                pagefmt.headline_delta(kind, now[key], before[key], lang) or "")
    index = metrics.service_index(Reader(app_env), f)
    assert shown[t("overview.index_city", lang)][0] == fmt.number(index["city"], lang, 2)
    movers = "\n".join(str(e.value) for e in at.markdown)
    assert (" di " if lang == "id" else " in ") in movers and "median" in movers


@pytest.mark.parametrize("lang", ["id", "en"])
def test_overview_without_movers_says_how_to_get_some(app_env: Path, lang: str) -> None:
    """One day: no pair reaches the minimum, so the page says so once and suggests a longer period, not two empty
    columns."""
    day = {"from": "2026-10-31", "to": "2026-10-31"}
    assert queries.biggest_movers(Reader(app_env), Filters(date(2026, 10, 31), date(2026, 10, 31)), lang).empty
    at = run_page("overview", lang=lang, period="custom", **day)
    infos = [str(e.value) for e in at.info]
    want = t("overview.movers_none", lang, n=fmt.number(queries.MOVERS_MIN_COMPLETED, lang))
    assert want in infos
    assert ("periode yang lebih panjang" if lang == "id" else "longer period") in want
    headings = "\n".join(str(e.value) for e in at.markdown)
    assert t("overview.movers_down", lang) not in headings


def test_filters_in_the_url_are_applied(app_env: Path) -> None:
    params = {"period": "custom", "from": "2026-09-01", "to": "2026-09-30", "kecamatan": ["12.71.11", "12.71.07"],
              "service": "AKTA_LAHIR", "lang": "en"}
    at = run_page("overview", **params)
    f = Filters(date(2026, 9, 1), date(2026, 9, 30), kecamatan=("12.71.11", "12.71.07"), services=("AKTA_LAHIR",))
    now = metrics.summary(Reader(app_env), f)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Requests received"] == fmt.number(now["received"], "en")
    assert shown["On time"] == fmt.percent(now["on_time_rate"], "en")
    assert at.selectbox(key="overview_period").value == "custom"
    assert at.multiselect(key="overview_kecamatan").value == ["12.71.11", "12.71.07"]
    assert at.multiselect(key="overview_service").value == ["AKTA_LAHIR"]
    # The index chart lists only the two chosen kecamatan.
    assert sorted(r["kecamatan"] for r in chart_rows(at, 0) if "kecamatan" in r) == ["Medan Johor", "Medan Tuntungan"]


def test_unknown_values_in_the_url_are_ignored(app_env: Path) -> None:
    at = run_page("throughput", period="'; DROP TABLE loads; --", kecamatan="99.99.99", grain="hour", lang="xx")
    f = default_filters(app_env)
    assert at.selectbox(key="throughput_period").value == "last30"
    assert at.multiselect(key="throughput_kecamatan").value == []
    assert at.radio(key="throughput_grain").value == "day"  # 30 days -> daily by default
    past = "\n".join(str(e.value) for e in at.markdown)
    assert fmt.number(metrics.summary(Reader(app_env), f)["open_at_end"], "id") in past


def test_a_widget_change_is_written_to_the_url(app_env: Path) -> None:
    at = run_page("throughput")
    at.multiselect(key="throughput_service").set_value(["KK"]).run()
    at.radio(key="throughput_grain").set_value("week").run()
    assert at.query_params["service"] in ("KK", ["KK"]) and at.query_params["grain"] in ("week", ["week"])
    groups = {r.get("group") for r in chart_rows(at, 1)}
    assert "Kartu Keluarga" in groups and "KTP-el (KTP elektronik)" not in groups
    at.button(key="throughput_reset").click().run()
    assert "service" not in at.query_params and at.multiselect(key="throughput_service").value == []


def _deck(at: AppTest) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


@pytest.mark.parametrize("metric", ["received_per_1000", "on_time_rate", "overdue_at_end"])
def test_map_holds_all_21_kecamatan(app_env: Path, metric: str) -> None:
    """The pack ships its boundaries, so the default map is a choropleth of every kecamatan."""
    deck = _deck(run_page("map", metric=metric, lang="en"))
    layer = next(layer for layer in deck["layers"] if layer["id"] == "kecamatan")
    features = layer["data"]["features"]
    assert layer["@@type"] == "GeoJsonLayer" and len(features) == 21
    assert {f["properties"]["metric_label"] for f in features} == {t(f"map.metric.{metric}", "en")}
    assert "cartocdn" not in json.dumps(deck)
    tooltip = json.loads(run_page("map").get("deck_gl_json_chart")[0].proto.tooltip)
    assert "{name}" in tooltip["html"] and "{value_fmt}" in tooltip["html"]


def test_map_falls_back_to_circles_without_boundaries(app_env: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from city_packs import make_pack

    pack = make_pack(tmp_path, "medan", name="medan")  # the same pack the database was built from, less its map
    (pack / "boundaries.geojson").unlink()
    monkeypatch.setenv("PANTAU_CITY", str(pack))
    layer = next(layer for layer in _deck(run_page("map"))["layers"] if layer["id"] == "kecamatan")
    assert layer["@@type"] == "ScatterplotLayer" and len(layer["data"]) == 21


def test_map_draws_a_choropleth_from_a_boundaries_file(app_env: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    kec = queries.kecamatan_map_frame(Reader(app_env), default_filters(app_env))
    features = [{"type": "Feature", "properties": {"kode_kemendagri": row.kecamatan_code, "nama": row.name},
                 "geometry": {"type": "Polygon", "coordinates": [[[row.lon - 0.005, row.lat - 0.005],
                                                                  [row.lon + 0.005, row.lat - 0.005],
                                                                  [row.lon, row.lat + 0.005],
                                                                  [row.lon - 0.005, row.lat - 0.005]]]}}
                for row in kec.itertuples()]
    path = tmp_path / "kecamatan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    monkeypatch.setenv("PANTAU_BOUNDARIES", str(path))
    deck = _deck(run_page("map"))
    layer = next(layer for layer in deck["layers"] if layer["id"] == "kecamatan")
    assert layer["@@type"] == "GeoJsonLayer" and len(layer["data"]["features"]) == 21


@pytest.mark.parametrize("lang", ["id", "en"])
def test_tourism_shows_recovery_against_2019(app_env: Path, lang: str) -> None:
    at = run_page("tourism", lang=lang, indicator="wisman_visits")
    assert any(r.get("y") == 100 for r in chart_rows(at, 1))  # the baseline
    label = next(m for m in at.metric if m.label.startswith("Pemulihan" if lang == "id" else "Recovery"))
    assert label.value.endswith("%")


def test_data_page_lists_last_loads_and_their_source(app_env: Path) -> None:
    at = run_page("data", lang="en")
    labels = [m.label for m in at.metric]
    datasets = ["programmes", "service_requests", "skm", "skm_actions", "tourism"]  # the survey's sample too
    assert labels == [pagefmt.dataset_label(d, "en") for d in datasets]
    assert labels[:2] == ["Smart-city master plan", "Service requests"] and labels[-1] == "Tourism"
    assert any("sample data" in str(c.value) for c in at.caption)


def test_unreadable_database_gives_a_friendly_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "pantau.duckdb"
    bad.write_text("not a database", encoding="utf-8")
    monkeypatch.setenv("PANTAU_DB", str(bad))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("app.unavailable", "id")]


def test_the_grain_follows_the_period_until_the_reader_picks_one(app_env: Path) -> None:
    at = run_page("throughput")  # the last 30 days: days
    assert at.radio(key="throughput_grain").value == "day"
    at.query_params["period"] = "lastyear"
    at.run()
    assert at.radio(key="throughput_grain").value == "month"  # a year in days would be 365 points per group
    at.radio(key="throughput_grain").set_value("week").run()
    assert at.query_params["grain"] == "week"  # the pick goes into the shared link …
    at.query_params["period"] = "last30"
    at.run()
    assert at.radio(key="throughput_grain").value == "week"  # … and stays, whatever the period
    linked = run_page("throughput", period="lastyear", grain="day")
    assert linked.radio(key="throughput_grain").value == "day"


def test_marts_of_an_older_release_are_rebuilt_on_start(sample_db: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """After an upgrade that changed a mart, the dashboard rebuilds the marts once (saying so) instead of failing."""
    import shutil

    import duckdb

    from etl.store import open_read_only, outdated_marts

    db = tmp_path / "older.duckdb"
    shutil.copyfile(sample_db, db)
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE mart_completions DROP COLUMN submitted_at")  # the backlog age needs it
    con.execute("CREATE TABLE mart_open_spans AS SELECT submitted_at FROM fct_service_requests")  # no longer made
    con.close()
    monkeypatch.setenv("PANTAU_DB", str(db))
    first = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90).run()
    assert not first.exception, [e.value for e in first.exception]
    statuses = [e.label for e in first.main.children.values() if type(e).__name__ == "Status"]
    assert statuses == [t("app.updated", "id")]
    at = run_page("throughput")  # the backlog age reads mart_completions.submitted_at
    assert at.get("vega_lite_chart")
    con = open_read_only(db)
    try:
        assert outdated_marts(con) == []
        assert "mart_open_spans" not in {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    again = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90).run()
    assert not [e for e in again.main.children.values() if type(e).__name__ == "Status"]  # no second rebuild


# --- Kota Cerdas / Smart city -------------------------------------------------------------------------------------
def _pillar_html(at: AppTest) -> str:
    return next(e.proto.body for e in at.get("html") if "pantau-pillars" in e.proto.body)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_smartcity_shows_six_pillars_and_the_chosen_pillars_programmes(app_env: Path, lang: str) -> None:
    from kpi import smartcity

    at = run_page("smartcity", lang=lang, pillar="environment")
    tiles = _pillar_html(at)
    for p in ("governance", "branding", "economy", "living", "society", "environment"):
        assert t(f"smartcity.pillar.{p}", lang) in tiles
    summary = smartcity.pillar_summary(Reader(app_env)).set_index("pillar")
    env = summary.loc["environment"]
    assert t("smartcity.tile_counts", lang, done=env["done"], on_track=env["on_track"], behind=env["behind"]) in tiles
    assert t("smartcity.tile_no_indicator", lang) in tiles  # living, society, environment: nothing measured
    table = at.dataframe[0].value
    latest = smartcity.latest_programmes(Reader(app_env), "environment")
    assert table["programme_id"].tolist() == latest["programme_id"].tolist()
    assert table["status"].iloc[0] == fmt.programme_status_text("behind", lang)  # behind first, "✕ Tertinggal"
    assert [i.value for i in at.info] == [t("smartcity.no_indicator", lang)]  # said plainly, no zero tile
    assert not at.metric
    progress = chart_rows(at, 0)
    assert {r.get("programme_id") for r in progress} - {None} == set(latest["programme_id"])
    wins = chart_rows(at, 1)
    assert {r.get("programme_id") for r in wins} - {None} == set(smartcity.quick_wins(Reader(app_env))["programme_id"])
    assert t("smartcity.sample_programmes", lang) in [str(c.value) for c in at.caption]


def test_smartcity_governance_indicators_equal_the_kpi_layer(app_env: Path) -> None:
    from app.registry import spec
    from kpi import smartcity
    from kpi.filters import preset_range

    at = run_page("smartcity", lang="en", pillar="governance")
    r = Reader(app_env)
    first, latest = queries.data_bounds(r)
    start, end = preset_range(spec("smartcity").default_period, first, latest)
    f = Filters(start, end)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Service index"] == fmt.number(metrics.service_index(r, f)["city"], "en", 2)
    assert shown["On time, all services"] == fmt.percent(metrics.summary(r, f)["on_time_rate"], "en")
    share = metrics.channel_share(r, f, ("online",))["share"]
    assert shown["Requests made online"] == fmt.percent(share, "en")
    assert len(shown) == len(smartcity.pillar_indicators(r, f, "en").query("pillar == 'governance'"))


def test_smartcity_pillar_choice_is_written_to_the_url(app_env: Path) -> None:
    at = run_page("smartcity", lang="en")
    assert at.radio(key="smartcity_pillar").value == "governance"
    at.radio(key="smartcity_pillar").set_value("economy").run()
    assert at.query_params["pillar"] == "economy"
    assert at.subheader[0].value == t("smartcity.programmes_title", "en", pillar=t("smartcity.pillar.economy", "en"))


@pytest.fixture(scope="module")
def denpasar_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The second pack, built by the real ETL: it ships no sample master plan."""
    from etl.build import build

    path = tmp_path_factory.mktemp("denpasar") / "pantau.duckdb"
    build(path, rows=3000, seed=5, city="denpasar", progress=lambda _m: None)
    return path


@pytest.mark.parametrize("lang", ["id", "en"])
def test_smartcity_without_programmes_says_how_to_load_them(denpasar_db: Path, lang: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_DB", str(denpasar_db))
    monkeypatch.setenv("PANTAU_CITY", "denpasar")
    at = run_page("smartcity", lang=lang)
    infos = [i.value for i in at.info]
    assert t("smartcity.none", lang) in infos and "python -m etl load programmes" in infos[0]
    assert not at.dataframe and not vega_specs(at)  # no programmes, no chart of them
    tiles = _pillar_html(at)
    assert tiles.count(t("smartcity.status.none", lang)) == 6
    assert at.metric and all(m.value != "0" for m in at.metric if "index" in m.label.lower())  # measured still shown
    at = run_page("smartcity", lang=lang, pillar="branding")
    assert t("smartcity.no_indicator", lang) in [i.value for i in at.info]  # no tourism figures in this pack


# --- Kepuasan masyarakat / Public satisfaction ----------------------------------------------------------------------
def _ytd(db: Path) -> Filters:
    from app.registry import spec
    from kpi.filters import preset_range

    first, latest = queries.data_bounds(Reader(db))
    return Filters(*preset_range(spec("satisfaction").default_period, first, latest))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_satisfaction_shows_the_city_ikm_and_each_units_grade_as_text(app_env: Path, lang: str) -> None:
    from kpi import skm

    at = run_page("satisfaction", lang=lang)
    f = _ytd(app_env)
    r = Reader(app_env)
    city = skm.overall(r, f)
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("satisfaction.tile.city_ikm", lang)] == fmt.number(city["ikm"], lang, 2)
    assert shown[t("satisfaction.tile.respondents", lang)] == fmt.number(city["respondents"], lang)
    assert shown[t("satisfaction.tile.on_time_city", lang)] == fmt.percent(metrics.summary(r, f)["on_time_rate"],
                                                                          lang)
    words = t(f"satisfaction.grade.{city['mutu']}", lang)
    assert t("satisfaction.grade_text", lang, grade=city["mutu"], words=words) in texts(at)
    table = at.dataframe[0].value
    units = skm.unit_results(r, f, lang)
    assert table["unit"].tolist() == units["name"].tolist()
    assert table["ikm"].tolist() == units["ikm_2dp"].tolist()
    assert all(m.startswith(g) and len(m) > 1 for m, g in zip(table["mutu"], units["mutu"], strict=True))  # words
    met = [t("satisfaction.sample_met", lang) if ok else None for ok in units["sample_met"]]
    assert [s if s == t("satisfaction.sample_met", lang) else None for s in table["sample"]] == met
    assert table["on_time"].tolist() == pytest.approx(units["on_time_rate"].tolist())
    rows = chart_rows(at, 0)
    assert {r["unit_code"] for r in rows if "unit_code" in r} == set(units["unit_code"])
    specs = vega_specs(at)
    assert all(spec.get("description") for spec in specs)  # every chart has its text alternative
    assert units.sort_values("ikm").iloc[0]["name"] in specs[0]["description"]
    assert t("satisfaction.sample", lang) in [str(c.value) for c in at.caption]
    assert t("satisfaction.report_pick_unit", lang) in [str(c.value) for c in at.caption]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_satisfaction_for_one_unit_from_the_url(app_env: Path, lang: str) -> None:
    from kpi import skm

    at = run_page("satisfaction", lang=lang, unit="MPP", service="KTP_EL")
    assert at.selectbox(key="satisfaction_unit").value == "MPP"
    assert at.selectbox(key="satisfaction_service").value == "KTP_EL"
    f = replace(_ytd(app_env), services=("KTP_EL",))
    r = Reader(app_env)
    row = skm.unit_results(r, f, lang, "MPP").iloc[0]
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("satisfaction.tile.unit_ikm", lang)] == fmt.number(row["ikm_2dp"], lang, 2)
    assert shown[t("satisfaction.tile.sample", lang)] == (f"{fmt.number(row['respondents'], lang)} / "
                                                          f"{fmt.number(row['sample_needed'], lang)}")
    assert shown[t("satisfaction.tile.on_time", lang)] == fmt.percent(row["on_time_rate"], lang)
    elements = [r for r in chart_rows(at, 1) if "unsur" in r]
    assert [e["unsur"] for e in elements] == skm.elements(r, f, "MPP")["unsur"].tolist()  # lowest first
    trend = [r for r in chart_rows(at, 2) if "scope" in r]
    assert {r["scope"] for r in trend} == {"city", "unit"}
    assert at.selectbox(key="satisfaction_report").value == skm.latest_semester(r)
    assert [b.proto.label for b in at.get("download_button")][-1] == t("satisfaction.report_download", lang)
    at.selectbox(key="satisfaction_unit").set_value("DISDUKCAPIL").run()
    assert at.query_params["unit"] in ("DISDUKCAPIL", ["DISDUKCAPIL"])


def test_satisfaction_flags_a_poor_element_without_an_action(app_env: Path) -> None:
    from kpi import skm

    f = _ytd(app_env)
    lowest = skm.lowest_elements(Reader(app_env), f)
    at = run_page("satisfaction", lang="en")
    flagged = int(lowest["unplanned"].sum())
    warnings = [str(w.value) for w in at.warning]
    if flagged:
        assert t("satisfaction.unplanned_count", "en", n=fmt.number(flagged, "en")) in warnings
        table = at.dataframe[1].value
        assert table["actions"].str.startswith("⚠").sum() == flagged
    else:
        assert not any("no action planned" in w for w in warnings)
    actions = skm.actions(Reader(app_env), f)
    if len(actions):
        assert len(at.dataframe[2].value) == len(actions)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_satisfaction_without_survey_data_says_how_to_load_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              lang: str) -> None:
    from etl.build import build

    db = tmp_path / "nosurvey.duckdb"
    build(db, rows=0, seed=1, progress=lambda _m: None)
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = run_page("satisfaction", lang=lang)
    infos = [str(i.value) for i in at.info]
    assert infos == [t("satisfaction.none", lang)] and "python -m etl load skm" in infos[0]
    assert not vega_specs(at) and not at.metric
