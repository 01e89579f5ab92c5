"""Tier 2: chart and map builders are pure and produce the specs the pages rely on (checked through .to_dict())."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from kpi import charts, maps, metrics, queries
from kpi.db import Reader
from kpi.filters import Filters

VIEW = {"latitude": 3.62, "longitude": 98.67, "zoom": 10.6}
OCT = Filters(date(2026, 10, 2), date(2026, 10, 31))
SEMESTER = Filters(date(2026, 1, 1), date(2026, 6, 30))


def _layer_data(spec: dict) -> list[dict]:
    return [row for name, rows in spec.get("datasets", {}).items() for row in rows]


def test_volume_chart_zero_fills_and_folds_small_groups_into_other() -> None:
    periods = pd.to_datetime(["2026-10-01", "2026-10-02"])
    rows = [{"period": p, "group": f"G{i}", "received": i + 1, "completed": 1} for p in periods for i in range(9)]
    rows = [r for r in rows if not (r["group"] == "G8" and r["period"] == periods[1])]  # a gap to fill
    spec = charts.volume_chart(pd.DataFrame(rows), "received", "day", "service", "en").to_dict()
    data = _layer_data(spec)
    groups = {r["group"] for r in data}
    assert len(groups) == charts.MAX_GROUPS + 1 and "Other" in groups
    assert len(data) == 2 * (charts.MAX_GROUPS + 1)  # every group on every day
    assert spec["encoding"]["y"]["title"] == "Requests received"
    assert spec["config"]["locale"]["number"]["decimal"] == "."


def test_indonesian_charts_use_indonesian_number_and_month_locale() -> None:
    df = pd.DataFrame({"period": pd.to_datetime(["2026-09-01", "2026-10-01"]), "open_at_end": [1234, 2345]})
    spec = charts.backlog_chart(df, "month", "id").to_dict()
    assert spec["config"]["locale"]["number"]["thousands"] == "."
    assert "Okt" in spec["config"]["locale"]["time"]["shortMonths"]
    assert {r["value_fmt"] for r in _layer_data(spec)} == {"1.234", "2.345"}
    assert "(jumlah)" in spec["encoding"]["y"]["title"]  # unit on the axis


@pytest.mark.parametrize(("value", "status"), [(1.25, "green"), (1.0, "green"), (0.95, "amber"), (0.9, "amber"),
                                               (0.89, "red"), (None, None)])
def test_index_status_thresholds(value: float | None, status: str | None) -> None:
    assert metrics.index_status(value) == status


def test_index_chart_colours_by_status_and_draws_both_thresholds() -> None:
    df = pd.DataFrame({"kecamatan": ["A", "B", "C"], "index": [1.1, 0.92, 0.5]})
    spec = charts.index_chart(df, "en").to_dict()
    statuses = {r["kecamatan"]: r["status"] for r in _layer_data(spec) if "kecamatan" in r}
    assert statuses == {"A": "✓ on target", "B": "! near target", "C": "✕ below target"}
    # the colour is never alone: each bar's index and band are written after it, in a symbol and a word
    marks = {r["kecamatan"]: r["mark"] for r in _layer_data(spec) if "kecamatan" in r}
    assert marks == {"A": "1.10 ✓ on target", "B": "0.92 ! near", "C": "0.50 ✕ below"}
    rules = [r["x"] for r in _layer_data(spec) if "x" in r]
    assert sorted(rules) == [0.9, 1.0]


def test_index_chart_writes_what_a_bar_cannot_show() -> None:
    """No completions: no bar, so the reason is written on its row (a missing bar alone would read as zero); an
    index of zero has a bar of no width, so its value is written instead. Each row's status is the label of a second
    axis on the right (laid out with the chart, so never cut), from the same field as the left one."""
    df = pd.DataFrame({"kecamatan": ["A", "B", "C"], "index": [1.1, float("nan"), 0.0]})
    spec = charts.index_chart(df, "id").to_dict()
    assert spec["resolve"]["axis"]["y"] == "independent"
    axes = [layer["encoding"]["y"]["axis"] for layer in spec["layer"] if "y" in layer.get("encoding", {})]
    assert [a.get("orient", "left") for a in axes] == ["left", "right"]
    assert [a["labelExpr"] for a in axes] == ["split(datum.label, '\\t')[0]", "split(datum.label, '\\t')[1]"]
    notes = {r["kecamatan"]: r["row"].split("\t")[1] for r in _layer_data(spec) if "kecamatan" in r}
    assert notes == {"A": "1,10 ✓ sesuai target", "B": "Tidak ada penyelesaian", "C": "0,00 ✕ di bawah"}
    sorts = [layer["encoding"]["y"]["sort"] for layer in spec["layer"] if "y" in layer.get("encoding", {})]
    assert sorts == [{"field": "index", "op": "max", "order": "descending"}] * 2  # one order for both axes


def test_boxplot_is_built_from_quantiles_on_a_log_axis(sample_db: Path) -> None:
    q = queries.service_quantiles(Reader(sample_db), OCT, "en")
    assert (q["p10"] <= q["p25"]).all() and (q["p25"] <= q["median"]).all() and (q["median"] <= q["p90"]).all()
    spec = charts.quantile_boxplot(q, "en").to_dict()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"
    assert len([r for r in _layer_data(spec)]) == len(q)  # one row per service, never raw requests


def test_recovery_chart_has_the_100_baseline() -> None:
    df = pd.DataFrame({"period": pd.to_datetime(["2026-09-01", "2026-10-01"]), "value": [10.0, 12.0],
                       "unit": "kunjungan", "value_base": [10.0, 10.0], "recovery": [100.0, 120.0]})
    spec = charts.recovery_chart(df, "id").to_dict()
    assert any(r.get("y") == 100 for r in _layer_data(spec))
    assert spec["layer"][1]["encoding"]["y"]["title"] == "Indeks pemulihan (2019 = 100)"


def test_kecamatan_deck_has_21_circles_no_basemap_and_a_density_grid(sample_db: Path) -> None:
    r = Reader(sample_db)
    frame = queries.kecamatan_map_frame(r, OCT)
    density = queries.request_density(r, OCT)
    assert density["requests"].sum() == frame["received"].sum()  # grid counts every request once
    deck = json.loads(maps.kecamatan_deck(frame, "on_time_rate", "id", VIEW, density=density).to_json())
    layers = {layer["id"]: layer for layer in deck["layers"]}
    assert len(layers["kecamatan"]["data"]) == 21
    assert all(row["value_fmt"].endswith("%") for row in layers["kecamatan"]["data"])
    assert "cartocdn" not in json.dumps(deck) and "mapbox" not in json.dumps(deck)
    assert len(layers["density"]["data"]) == len(density)


def test_legend_classes_cover_the_range() -> None:
    frame = pd.DataFrame({"median_hours": [10.0, 20.0, 30.0]})
    items = maps.legend(frame, "median_hours", "en")
    assert len(items) == 5 and items[0][1].startswith("10 h") and items[-1][1].endswith("30 h")


def test_choropleth_matches_by_kemendagri_code_bps_code_or_name(sample_db: Path) -> None:
    frame = queries.kecamatan_map_frame(Reader(sample_db), OCT)
    square = {"type": "Polygon", "coordinates": [[[98.6, 3.5], [98.61, 3.5], [98.61, 3.51], [98.6, 3.5]]]}
    features = []
    for i, row in enumerate(frame.itertuples()):
        props = ({"kode_kemendagri": row.kecamatan_code} if i % 3 == 0 else
                 {"kode_bps": row.bps_code} if i % 3 == 1 else {"nama": f"Kec. {row.name.upper()}"})
        features.append({"type": "Feature", "properties": props, "geometry": square})
    geojson = {"type": "FeatureCollection", "features": features}
    assert len(maps.match_boundaries(geojson, frame)) == 21
    deck = json.loads(maps.kecamatan_deck(frame, "median_hours", "en", VIEW, boundaries=geojson).to_json())
    layer = next(layer for layer in deck["layers"] if layer["id"] == "kecamatan")
    assert layer["@@type"] == "GeoJsonLayer" and len(layer["data"]["features"]) == 21


def _every_chart(r: Reader) -> list[tuple]:
    """(builder, data, *args) of every chart the pages and the kiosk draw, fed by the query that feeds it there."""
    from kpi import kiosk_charts, kiosk_data, metrics, skm, smartcity

    volumes = queries.volume_series(r, OCT, "day", "service", "id")
    area = queries.tourism_areas(r)[0]
    indicator = queries.tourism_indicators(r)["indicator"].iloc[0]
    tourism = queries.tourism_recovery(r, indicator, area, date(2019, 1, 1), OCT.date_to)
    calls = [
        (charts.received_completed_chart, volumes, "day", "id"),
        (charts.volume_chart, volumes, "received", "day", "service", "id"),
        (charts.backlog_chart, queries.backlog_series(r, OCT, "day"), "day", "id"),
        (charts.age_chart, queries.backlog_age(r, OCT), "id"),
        (charts.quantile_boxplot, queries.service_quantiles(r, OCT, "id"), "id"),
        (charts.time_trend_chart, queries.time_trend(r, OCT, "week"), "week", "id"),
        (charts.on_time_chart, queries.on_time_by_service(r, OCT, "id"), metrics.target_on_time_rate(r), "id"),
        (charts.heatmap_chart, queries.service_kecamatan_matrix(r, OCT, "id"), "id"),
        (charts.index_chart, metrics.service_index(r, OCT)["by_kecamatan"], "id"),
        (charts.tourism_value_chart, tourism, "orang", "id"),
        (charts.recovery_chart, tourism, "id"),
        (charts.programme_progress_chart, smartcity.latest_programmes(r, "environment"), "id"),
        (charts.quick_win_chart, smartcity.quick_wins(r), "en"),
        (charts.satisfaction_units_chart, skm.unit_results(r, SEMESTER, "id"), "id"),
        (charts.satisfaction_elements_chart, skm.elements(r, SEMESTER, "MPP"), "en"),
        (charts.satisfaction_trend_chart, skm.semester_trend(r, (), "MPP"), "Mal Pelayanan Publik", "id"),
        (charts.satisfaction_profile_chart, skm.profile(r, SEMESTER), "en"),
    ]
    for name, builder in (("overview", kiosk_charts.requests_chart), ("services", kiosk_charts.scores_chart),
                          ("tourism", kiosk_charts.recovery_chart)):
        calls.append((builder, kiosk_data.view(r, name, "id", 5).frame, "id", "dark"))
    return calls


def test_the_fast_spec_equals_the_altair_chart_for_every_builder(sample_db: Path) -> None:
    """Builder.spec (a template built once per form, the rows attached per call) gives exactly the dict Altair gives
    for the whole chart, for other data of the same form too, and a caller changing it does not change the next."""
    calls = [c for c in _every_chart(Reader(sample_db)) if isinstance(c[0], charts.Builder)]
    assert len(calls) == 17
    for builder, data, *args in calls:
        for rows in (data, data.iloc[: max(1, len(data) // 2)]):
            spec = builder.spec(rows, *args)
            assert spec == builder(rows, *args).to_dict(), builder.__name__
            spec["datasets"].clear()
            spec.setdefault("config", {})["font"] = "changed"
        assert builder.spec(data, *args) == builder(data, *args).to_dict(), builder.__name__


def test_chart_rows_are_converted_as_altair_converts_them(sample_db: Path) -> None:
    """charts._values against Altair's own DataFrame conversion: every builder's rows, and the awkward values."""
    from altair.utils.data import to_values

    frames = [builder.rows(data, *args)[0] for builder, data, *args in _every_chart(Reader(sample_db))
              if isinstance(builder, charts.Builder)]
    frames.append(pd.DataFrame({
        "when": pd.to_datetime(["2026-10-01 08:30", None]), "x": [1.5, float("nan")], "y": [float("inf"), 2.0],
        "n": pd.array([1, None], dtype="Int64"), "k": [3, 4], "ok": [True, False], "s": ["a", None],
        "t": pd.array(["b", None], dtype="string"), "c": pd.Categorical(["u", None]),
    }))
    for frame in frames:
        assert charts._values(frame) == to_values(frame)["values"]


def test_no_builder_makes_altair_look_channels_up_in_the_schema(sample_db: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare string or alt.value() as an encoding sends Altair through from_dict, which hashes the whole schema
    (about 7 ms a channel, more than the rest of the chart): the builders pass channel objects instead."""
    from altair.utils import schemapi

    lookups: list[int] = []
    original = schemapi._FromDict.__init__

    def counting(self: object, *args: object) -> None:
        lookups.append(1)
        original(self, *args)

    monkeypatch.setattr(schemapi._FromDict, "__init__", counting)
    specs = [builder(data, *args).to_dict(validate=False) for builder, data, *args in _every_chart(Reader(sample_db))]
    assert len(specs) == 20 and all("datasets" in s or "data" in s for s in specs)
    assert lookups == []


def test_every_chart_states_its_takeaway_from_its_own_rows(sample_db: Path) -> None:
    """Each chart's Vega-Lite `description` (what a screen reader announces instead of "Vega visualization") is one
    sentence in the chart's language, made from the rows the chart draws: a figure of the rows is in it, and other
    rows give another sentence."""
    calls = _every_chart(Reader(sample_db))
    for builder, data, *args in calls:
        name = getattr(builder, "__name__", str(builder))
        text = builder(data, *args).to_dict(validate=False)["description"]
        assert text and text != "Vega visualization" and text.endswith("."), (name, text)
        assert any(ch.isdigit() for ch in text), (name, text)   # figures, not a caption
        if isinstance(builder, charts.Builder):
            assert builder.spec(data, *args)["description"] == text == builder.describe(data, *args)
            half = data.iloc[: max(1, len(data) // 3)]
            assert builder.describe(half, *args) != text, name   # from the rows, not a fixed caption
            other = ["en" if a == "id" else "id" if a == "en" else a for a in args]
            assert builder.describe(data, *other) != text, name   # in the page's language
            assert builder.describe(data.iloc[0:0], *args).endswith(".")   # no rows: still a sentence


def test_index_chart_sentence_hand_worked() -> None:
    df = pd.DataFrame({"kecamatan": ["A", "B", "C", "D", "E"], "index": [1.08, 0.95, 0.87, 0.5, float("nan")]})
    assert charts.index_chart.describe(df, "id") == (
        "Indeks layanan per kecamatan: tertinggi A 1,08, terendah D 0,50; 1 kecamatan ✓ sesuai target, "
        "1 kecamatan ! mendekati target, 2 kecamatan ✕ di bawah target, 1 kecamatan tidak ada penyelesaian.")
    assert charts.index_chart.describe(df.iloc[:3], "en") == (
        "Service index per kecamatan: highest A 1.08, lowest C 0.87; 1 kecamatan ✓ on target, "
        "1 kecamatan ! near target, 1 kecamatan ✕ below target.")


def test_on_time_chart_writes_each_rate_and_state_after_its_bar() -> None:
    df = pd.DataFrame({"service": ["KTP", "KK"], "on_time_rate": [0.95, 0.6], "completed": [40, 10],
                       "sla_value": [1, 6], "sla_unit": ["hours", "working_days"]})
    spec = charts.on_time_chart(df, 0.9, "id").to_dict()
    marks = {r["service"]: (r["mark"], r["below"]) for r in _layer_data(spec) if "service" in r}
    assert marks == {"KTP": ("95,0% ✓", "✓ Mencapai target"), "KK": ("60,0% ✕", "✕ Di bawah target")}
    assert spec["description"] == ("Tingkat tepat waktu per layanan terhadap target 90%: 1 dari 2 layanan ✕ di bawah "
                                   "target; terendah KK 60,0%, tertinggi KTP 95,0%.")


def test_map_sentences_come_from_the_mapped_rows(sample_db: Path) -> None:
    from kpi import kiosk_charts

    frame = queries.kecamatan_map_frame(Reader(sample_db), OCT)
    text = maps.describe(frame, "on_time_rate", "en")
    best = frame.loc[frame["on_time_rate"].idxmax()]
    assert text.startswith("Map of on time") and f"highest {best['name']} " in text
    assert maps.describe(frame.iloc[0:0], "on_time_rate", "id").startswith("Peta kecamatan: tidak ada nilai")
    kiosk = pd.DataFrame({"index": [1.1, 1.0, 0.95, 0.5, None]})
    assert kiosk_charts.map_description(kiosk, "id").endswith(
        "2 kecamatan ✓ sesuai target, 1 kecamatan ! mendekati target, 1 kecamatan ✕ di bawah target, "
        "1 kecamatan tanpa angka (terlalu sedikit permohonan).")


def test_satisfaction_charts_describe_their_own_rows_and_write_every_grade() -> None:
    """The text alternative comes from the rows drawn (highest, lowest, how many at C or D), in the page's language;
    each bar carries its value and grade letter as text; bars start at the index's floor, 25."""
    units = pd.DataFrame({"unit_code": ["X", "Y", "Z"], "name": ["Unit X", "Unit Y", "Unit Z"],
                          "ikm": [90.0, 70.5, 80.0], "ikm_2dp": [90.0, 70.5, 80.0], "mutu": ["A", "C", "B"],
                          "respondents": [10, 20, 30], "sample_needed": [8, None, 40]})
    spec = charts.satisfaction_units_chart(units, "en").to_dict()
    assert spec["description"].startswith("Bar chart of the IKM of 3 service units, highest Unit X (90.00, grade A)")
    assert "lowest Unit Y (70.50, grade C); 1 units graded C or D" in spec["description"]
    rows = [r for r in _layer_data(spec) if "unit_code" in r]
    assert [r["text"] for r in rows] == ["90.00 A", "80.00 B", "70.50 C"] and rows[2]["needed_fmt"] == "–"
    bars = spec["layer"][0]
    assert bars["encoding"]["x2"] == {"datum": 25} and bars["encoding"]["color"]["scale"]["range"][:2] == [
        charts.GRADE_COLOURS["A"], charts.GRADE_COLOURS["B"]]
    assert sorted(r["x"] for r in _layer_data(spec) if "x" in r) == [65.0, 76.61, 88.31]
    indonesian = charts.satisfaction_units_chart.spec(units, "id")
    assert indonesian["description"].startswith("Diagram batang IKM 3 unit layanan, tertinggi Unit X (90,00, mutu A)")
    elements = pd.DataFrame({"unsur": ["U8", "U4"], "position": [8, 4], "nrr": [2.5, 3.9], "index": [62.5, 97.5],
                             "mutu": ["D", "A"], "rank": [1, 2]})
    spec = charts.satisfaction_elements_chart.spec(elements, "id")
    assert spec["description"] == ("Diagram batang sembilan unsur pelayanan, terendah U8 Penanganan pengaduan, saran "
                                   "dan masukan (62,50, mutu D), tertinggi U4 Biaya/tarif (97,50, mutu A).")
