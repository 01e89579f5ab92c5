"""Kiosk screen: URL and playlist parsing, clock-driven rotation, suppression, staleness, chart specs, and the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from city_packs import SHIPPED
from streamlit.testing.v1 import AppTest

from base.settings import city_settings
from kpi import kiosk, kiosk_charts, kiosk_data, metrics, queries
from kpi.db import Reader
from kpi.filters import Filters
from kpi.kiosk import Screen

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "kiosk.py")
ROTATE = 30
T0 = 1_800_000_000.0 - 1_800_000_000.0 % (ROTATE * 12)   # a multiple of the rotation, so view index 0 is shown


@pytest.fixture
def settings() -> kiosk.Settings:
    return kiosk.load_settings(kiosk.DEFAULT_CONFIG)


@pytest.fixture
def clock() -> Iterator[list[float]]:
    """The kiosk clock, set by the test: clock[0] is "now"."""
    now = [T0]
    saved = kiosk.CLOCK
    kiosk.CLOCK = lambda: now[0]
    yield now
    kiosk.CLOCK = saved


# ---- URL, playlists, settings -------------------------------------------------------------------------------------

def test_no_parameters_gives_the_defaults(settings: kiosk.Settings) -> None:
    screen = kiosk.parse_screen({}, settings)
    assert screen == settings.defaults
    assert screen.views == ("overview", "services", "map", "tourism")
    assert (screen.lang, screen.theme, screen.playlist) == ("id", "dark", None)


def test_playlist_then_url_overrides(settings: kiosk.Settings) -> None:
    lobby = kiosk.parse_screen({"playlist": "lobby"}, settings)
    assert lobby.views == ("overview", "map", "tourism") and lobby.theme == "light" and lobby.playlist == "lobby"
    assert lobby.refresh == settings.defaults.refresh          # not set in the playlist: the default
    custom = kiosk.parse_screen({"playlist": "lobby", "theme": "dark", "lang": "en", "rotate": "15"}, settings)
    assert (custom.views, custom.theme, custom.lang, custom.rotate) == (lobby.views, "dark", "en", 15)


def test_bad_values_are_ignored_and_limits_applied(settings: kiosk.Settings) -> None:
    screen = kiosk.parse_screen({"views": "map,<script>,MAP,overview", "rotate": "1", "refresh": "abc",
                                 "lang": "fr", "theme": "neon", "playlist": "nope"}, settings)
    assert screen.views == ("map", "overview")
    assert screen.rotate == kiosk.ROTATE_RANGE[0]
    assert (screen.refresh, screen.lang, screen.theme) == (settings.defaults.refresh, "id", "dark")
    assert kiosk.parse_screen({"views": "nothing,known"}, settings).views == settings.defaults.views


@pytest.mark.parametrize("screen", [
    Screen(),
    Screen(views=("tourism",), rotate=5, refresh=10, lang="en", theme="light"),
    Screen(views=("map", "overview"), rotate=3600, refresh=86_400, lang="id", theme="dark", playlist="mpp"),
])
def test_query_round_trip(screen: Screen, settings: kiosk.Settings) -> None:
    assert kiosk.parse_screen(kiosk.screen_query(screen), settings) == screen


def test_settings_file_is_valid_and_checked(settings: kiosk.Settings, tmp_path: Path) -> None:
    assert {"lobby", "mpp", "command-centre"} <= set(settings.playlists)
    assert settings.min_count == 5 and settings.stale_hours > 0
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[playlists."Lobby Hall"]\nviews = ["overview"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="lower-case"):
        kiosk.load_settings(bad)
    bad.write_text('[playlists.hall]\nviews = ["nothing"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="views"):
        kiosk.load_settings(bad)
    assert kiosk.safe_settings(bad) == kiosk.Settings(defaults=Screen(), playlists={})   # screens keep running


# ---- clock, suppression, staleness, trends ------------------------------------------------------------------------

def test_view_follows_the_clock() -> None:
    screen = Screen(views=("overview", "map", "tourism"), rotate=30)
    assert kiosk.current_view(screen, T0) == (0, "overview")
    assert kiosk.current_view(screen, T0 + 29.9) == (0, "overview")
    assert kiosk.current_view(screen, T0 + 30) == (1, "map")
    assert kiosk.current_view(screen, T0 + 90) == (0, "overview")     # wraps round


def test_small_counts_are_suppressed() -> None:
    assert kiosk.count_text(0, "id", 5) == "0"
    assert kiosk.count_text(4, "id", 5) == "<5"
    assert kiosk.count_text(5, "id", 5) == "5"
    assert kiosk.count_text(1234, "id", 5) == "1.234"
    assert kiosk.count_text(1234, "en", 5) == "1,234"
    assert kiosk.withheld(4, 5) and not kiosk.withheld(5, 5)
    masked = kiosk_data._mask(pd.DataFrame({"n": [0, 1, 4, 5, 120]}), ["n"], 5)
    assert masked["n"].isna().tolist() == [False, True, True, False, False]


ZONES = {"Asia/Jakarta": (12, "WIB"), "Asia/Makassar": (13, "WITA"), "Asia/Jayapura": (14, "WIT")}


@pytest.mark.parametrize("city", SHIPPED)
def test_staleness_and_clock_in_the_city_zone(city: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """05:00 UTC is 12:00 WIB, 13:00 WITA, 14:00 WIT: each shipped pack's clock, in its own zone and label."""
    monkeypatch.setenv("PANTAU_CITY", city)
    hour, zone = ZONES[city_settings().timezone]
    assert city_settings().timezone_label == zone
    ts = (datetime(2026, 11, 5, 5, 0) - datetime(1970, 1, 1)).total_seconds()   # 05:00 UTC
    assert kiosk.local(ts) == datetime(2026, 11, 5, hour, 0)
    assert not kiosk.stale(date(2026, 11, 4), ts, 48)      # complete at 5 Nov 00:00, 12-13 h old
    assert kiosk.stale(date(2026, 11, 1), ts, 72)          # 84-85 h old
    assert kiosk.stale(None, ts, 72)
    assert kiosk.clock_text(ts, "id") == f"{hour}.00 {zone}" and kiosk.clock_text(ts, "en") == f"{hour}:00 {zone}"


def test_trend_direction_and_tone() -> None:
    up = kiosk.trend(110, 100, "en")
    assert (up.arrow, up.tone, up.text) == ("▲", "good", "+10.0%")
    slower = kiosk.trend(30.0, 20.0, "id", higher_is_better=False)
    assert (slower.arrow, slower.tone) == ("▲", "bad")
    points = kiosk.trend(0.88, 0.90, "id", kind="points")
    assert (points.arrow, points.tone, points.text) == ("▼", "bad", "−2,0 poin")
    assert kiosk.trend(100, 100.1, "en").tone == "flat"
    assert kiosk.trend(None, 1, "en") is None and kiosk.trend(1, 0, "en") is None


# ---- read side and builders ---------------------------------------------------------------------------------------

def test_overview_numbers_are_the_kpi_layers(sample_db: Path) -> None:
    r = Reader(sample_db)
    view = kiosk_data.view(r, "overview", "en", 5)
    f = kiosk_data.period(queries.data_bounds(r)[1])
    now = metrics.summary(r, f)
    assert view.numbers[0].value == f"{now['received']:,}"
    assert view.numbers[1].value == f"{now['completed']:,}"
    assert view.numbers[2].value == f"{now['on_time_rate']:.0%}"
    assert len(view.frame) == kiosk_data.SERIES_DAYS and view.frame["day"].max().date() == f.date_to


def test_map_view_suppresses_small_kecamatan(sample_db: Path) -> None:
    r = Reader(sample_db)
    normal = kiosk_data.view(r, "map", "id", 5)
    raw = metrics.by_kecamatan(r, kiosk_data.period(queries.data_bounds(r)[1]))
    small = (raw["received"] < 5).to_numpy()
    assert len(normal.frame) == 21 and small.any() and not small.all()    # the sample has a quiet kecamatan
    assert normal.frame.loc[small, "received"].isna().all()
    assert (normal.frame.loc[~small, "received"].to_numpy() == raw.loc[~small, "received"].to_numpy()).all()
    strict = kiosk_data.view(r, "map", "id", 10_000)    # every kecamatan is "small" at this threshold
    assert strict.frame[["received", "received_per_1000", "index"]].isna().all().all()
    assert strict.numbers[2].value == "<10000"
    deck = kiosk_charts.kecamatan_deck(strict.frame, "dark", 3.6, 98.7, 10.6)
    spec = deck.to_json()
    assert "data:application/json" in spec and '"controller": false' in spec   # a basemap with no sources
    assert "http" not in spec                                  # no tiles, fonts or scripts from anywhere


def test_chart_specs(sample_db: Path) -> None:
    r = Reader(sample_db)
    overview = kiosk_charts.requests_chart(kiosk_data.view(r, "overview", "id", 5).frame, "id", "dark").to_dict()
    assert overview["config"]["locale"]["time"]["shortMonths"][9] == "Okt"
    assert overview["width"] == "container" and overview["height"] == "container"
    scores = kiosk_charts.scores_chart(kiosk_data.view(r, "services", "en", 5).frame, "en", "light").to_dict()
    rules = [layer for layer in scores["layer"] if layer["mark"]["type"] == "rule"]
    assert rules and scores["layer"][0]["encoding"]["x"]["axis"]["values"][-1] == 1.25   # the axis ends at the cap
    # each bar's score and band symbol written after it (never the colour alone), and a sentence for screen readers
    marks = [layer for layer in scores["layer"] if layer["mark"]["type"] == "text"]
    assert marks and marks[0]["encoding"]["text"]["field"] == "mark"
    rows = next(iter(scores["datasets"].values()))
    assert all(row["mark"].endswith(("✓", "!", "✕")) for row in rows)
    assert scores["description"].startswith("Score per service, last 30 days: ")
    assert overview["description"].startswith("Permohonan masuk dan selesai per hari, ")
    tourism = kiosk_data.view(r, "tourism", "en", 5)
    assert [n.label for n in tourism.numbers] == ["Foreign visitors", "Star-hotel occupancy", "Domestic trips"]
    spec = kiosk_charts.recovery_chart(tourism.frame, "en", "dark").to_dict()
    assert any(layer["mark"]["type"] == "rule" for layer in spec["layer"])
    assert spec["description"].startswith("Tourism recovery (2019 = 100), ")


def test_satisfaction_view_shows_the_latest_semesters_grades(sample_db: Path) -> None:
    from kpi import skm

    r = Reader(sample_db)
    view = kiosk_data.view(r, "satisfaction", "en", 5)
    semester = skm.latest_semester(r)
    f = Filters(*skm.period_range(semester))
    city, units = skm.overall(r, f), skm.unit_results(r, f, "en")
    assert view.numbers[0].value == f"{city['ikm']:.2f}" and view.numbers[1].value.startswith(city["mutu"] + " · ")
    enough = units[units["respondents"] >= 5]
    assert view.numbers[2].value == str(int(enough["mutu"].isin(["A", "B"]).sum()))
    assert view.numbers[3].value == str(int(enough["mutu"].isin(["C", "D"]).sum()))
    assert skm.period_text(semester, "en") in view.subtitle
    shown = view.frame.dropna(subset=["ikm"])
    assert shown["ikm"].tolist() == sorted(shown["ikm"], reverse=True)                # highest first
    assert set(view.frame["unit_code"]) == set(units["unit_code"])
    assert "Medan Johor" in set(view.frame["name"]) and "DISDUKCAPIL" in set(view.frame["name"])  # short names
    html = kiosk_charts.grades_html(view.frame, "en", "dark", 5)
    assert html.count('class="k-grade"') == len(view.frame)
    for grade in shown["grade"]:
        assert f'data-grade="{grade}"' in html and f">{grade}</div>" in html            # the letter, not a colour
    strict = kiosk_data.view(r, "satisfaction", "id", 10**6)                          # every unit has too few
    assert strict.frame["ikm"].isna().all() and strict.frame["grade"].isna().all()
    assert strict.numbers[2].value == "0" and strict.numbers[3].value == "0"
    withheld = kiosk_charts.grades_html(strict.frame, "id", "light", 10**6)
    assert withheld.count("kurang dari 1000000 responden") == len(strict.frame) and 'data-grade="–"' in withheld


def test_satisfaction_view_rotates_only_with_survey_data(app_env: Path, fresh_db: Path, clock: list[float],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app({"views": "satisfaction,overview", "rotate": str(ROTATE), "lang": "en"})
    at.run()
    assert not at.exception and _view(at) == "satisfaction"
    html = _html(at)
    assert "k-grades" in html and "City IKM" in html and "Public satisfaction" in html
    monkeypatch.setenv("PANTAU_DB", str(fresh_db))
    at = _app({"views": "satisfaction,overview", "rotate": str(ROTATE)})
    at.run()
    assert not at.exception and _view(at) == "overview" and "k-grades" not in _html(at)


def test_watchdog_reloads_the_same_url() -> None:
    script = kiosk_charts.watchdog_html(6, "id")
    assert "_stcore/health" in script and "location.reload()" in script and "21600000" in script
    assert "http" not in script


# ---- the page (AppTest) -------------------------------------------------------------------------------------------

def _html(at: AppTest) -> str:
    return "\n".join(el.proto.body for el in at.get("html"))


def _view(at: AppTest) -> str:
    match = re.search(r'data-view="(\w+)"', _html(at))
    assert match, "no kiosk header on screen"
    return match.group(1)


def _count(node: object) -> int:
    children = getattr(node, "children", {})
    return 1 + sum(_count(child) for child in children.values())


class _KioskTest:
    """The kiosk page inside the app (dashboard.py's navigation), as a browser opening /kiosk gets it."""

    def __init__(self, params: dict[str, str]) -> None:
        self.at = AppTest.from_file(str(Path(PAGE).parent.parent / "dashboard.py"), default_timeout=60)
        for key, value in params.items():
            self.at.query_params[key] = value
        self._first = True

    def run(self) -> AppTest:
        if self._first:  # the first run registers the pages; then the kiosk page is the one run
            self._first = False
            self.at.run()
            self.at.switch_page("pages/kiosk.py")
        return self.at.run()

    def __getattr__(self, name: str) -> object:
        return getattr(self.at, name)


def _app(params: dict[str, str]) -> _KioskTest:
    return _KioskTest(params)


def test_page_rotates_with_the_clock(app_env: Path, clock: list[float]) -> None:
    at = _app({"views": "overview,services,map,tourism", "rotate": str(ROTATE)})
    at.run()
    assert not at.exception
    seen = []
    for step in range(5):
        clock[0] = T0 + step * ROTATE
        at.run()
        assert not at.exception
        seen.append(_view(at))
    assert seen == ["overview", "services", "map", "tourism", "overview"]
    assert "k-numbers" in _html(at)


def test_element_count_is_stable_across_reruns(app_env: Path, clock: list[float]) -> None:
    at = _app({"views": "overview,map", "rotate": str(ROTATE)})
    counts: dict[str, list[int]] = {"overview": [], "map": []}
    for step in range(12):
        clock[0] = T0 + step * ROTATE
        at.run()
        counts[_view(at)].append(_count(at._tree))
    assert all(len(set(c)) == 1 and len(c) == 6 for c in counts.values()), counts


def test_query_params_round_trip_through_the_page(app_env: Path, clock: list[float]) -> None:
    params = kiosk.screen_query(Screen(views=("overview", "tourism"), rotate=20, refresh=60, lang="en",
                                       theme="light"))
    at = _app(params)
    at.run()
    assert not at.exception
    assert {k: at.query_params[k] for k in params} == params      # the page never rewrites a screen's URL
    html = _html(at)
    assert _view(at) == "overview"                                 # T0 is a multiple of 2 x 20 s: the first view
    assert "Pantau · Kota Medan public services" in html and "Requests received" in html
    assert "#ffffff" in html and "background: #ffffff" in html     # the light theme's background
    at.query_params["lang"] = "id"
    at.run()
    assert "Permohonan masuk" in _html(at)


def test_page_suppresses_small_counts(app_env: Path, clock: list[float], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("[public]\nmin_count = 100000\n", encoding="utf-8")
    monkeypatch.setenv("PANTAU_KIOSK", str(config))
    at = _app({"views": "overview"})
    at.run()
    assert not at.exception
    html = _html(at)
    assert html.count("&lt;100000") >= 2 or html.count("<100000") >= 2    # received and completed
    assert "Permohonan masuk" in html


def test_page_without_requests_says_so(fresh_db: Path, clock: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_DB", str(fresh_db))
    at = _app({"views": "overview"})
    at.run()
    assert not at.exception, at.exception
    assert "Belum ada data permohonan layanan" in _html(at) and 'class="k-numbers"' not in _html(at)
    assert "Perhatian" in _html(at)                                  # no data at all is stale data


def test_kiosk_through_the_dashboard_has_no_sidebar(app_env: Path, clock: list[float]) -> None:
    at = AppTest.from_file(str(Path(PAGE).parent.parent / "dashboard.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/kiosk.py").run()
    assert not at.exception
    assert _view(at) in kiosk.VIEWS
    assert len(at.sidebar) == 0
