"""Tier 3 (AppTest) and source checks for accessibility: the statement page in both languages with the pack's contact,
its link from the data page, the overview's time zone, grids and maps named, and no icon-font words in the app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import registry
from app.widgets import plain
from base.i18n import t
from base.settings import city_settings, parse_city
from tests.test_app_pages import ROOT, run_page, texts


@pytest.mark.parametrize("lang", ["id", "en"])
def test_statement_says_what_was_tested_what_does_not_work_and_whom_to_contact(app_env: Path, lang: str) -> None:
    at = run_page("accessibility", lang=lang)
    text = texts(at)
    assert t("accessibility.title", lang) in text
    for part in ("tested_title", "known_title", "contact_title"):
        assert t(f"accessibility.{part}", lang) in [s.value for s in at.subheader]
    assert "axe-core" in text and "WCAG 2.2" in text and "320" in text
    contact = city_settings().accessibility_contact
    assert contact and t("accessibility.contact", lang, contact=plain(contact)) in text   # the pack's, as text


def test_statement_without_a_contact_names_the_complaints_channel(app_env: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A pack that names no accessibility contact: the statement sends people to the city's complaints channel."""
    from base import settings

    raw = {"name": "Kota Contoh", "timezone": "Asia/Jakarta", "timezone_label": "WIB", "target_on_time_rate": 0.9,
           "sample_start": "2019-01", "sample_end": "2026-10", "integration_month": "2021-07",
           "tourism_area": "Provinsi Contoh", "map_lat": 0.0, "map_lon": 0.0, "map_zoom": 10.0}
    assert parse_city(raw, "city.toml").accessibility_contact == ""   # optional: absent means none
    real = settings.city_settings()
    monkeypatch.setattr(settings, "_city_settings",
                        lambda path: parse_city({**raw, **{k: getattr(real, k) for k in raw}}, "city.toml",
                                                folder=real.folder))
    at = run_page("accessibility", lang="en")
    assert t("accessibility.no_contact", "en", city=real.name) in texts(at)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_data_page_links_to_the_statement(app_env: Path, lang: str) -> None:
    at = run_page("data", lang=lang)
    links = [link for link in at.get("page_link") if link.proto.label == t("accessibility.link", lang)]
    assert len(links) == 1 and links[0].proto.page == registry.BY_KEY["accessibility"].url_path
    assert links[0].proto.query_string == ("lang=en" if lang == "en" else "")   # the statement in the same language


@pytest.mark.parametrize("lang", ["id", "en"])
def test_overview_names_the_city_zone_of_its_dates(app_env: Path, lang: str) -> None:
    at = run_page("overview", lang=lang)
    band = next(h.proto.body for h in at.get("html") if "pantau-band" in h.proto.body)
    assert t("app.zone", lang) in band and city_settings().timezone_label in band


def test_every_grid_and_map_is_named(app_env: Path) -> None:
    """Every st.dataframe and map of the dashboard pages carries a name (Streamlit's alt), in the page's language."""
    for page in ("map", "data", "smartcity"):
        at = run_page(page, lang="en")
        for grid in at.dataframe:
            assert grid.proto.alt.strip(), f"{page}: an unnamed grid"
    at = run_page("map", lang="id")
    deck = at.get("deck_gl_json_chart")[0]
    assert deck.proto.alt.startswith("Peta ")


def test_no_material_icon_names_in_the_app() -> None:
    """Streamlit draws a Material icon as its name in an icon font: where that font is not used (a reader's own
    fonts, a text-only view, copy and paste) the name ("stacked_line_chart") is what people get. Pantau uses none."""
    files = [ROOT / "dashboard.py", *sorted((ROOT / "app").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in files
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r":material/[a-z_]+:", line)]
    assert not hits, hits
