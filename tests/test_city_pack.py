"""Tier 2: the city lives in its pack. No code or message names a city, a zone or an offset; every city.toml setting
is read by something; every shipped pack is complete and valid."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from city_packs import PACKS, SHIPPED

from base.settings import CitySettings, PackError, parse_city

ROOT = Path(__file__).resolve().parent.parent
CODE = [p for folder in ("base", "etl", "kpi", "app", "pages") if (ROOT / folder).is_dir()
        for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".sql", ".toml", ".js", ".css", ".html", ".typ")]
CODE.append(ROOT / "dashboard.py")
# What only a city pack may say: a zone, an offset, a city's name.
FORBIDDEN = [r"\bWIB\b", r"\bWITA\b", r"\bWIT\b", r"Asia/(Jakarta|Makassar|Jayapura)", r"INTERVAL\s*7\s*HOUR",
             r"hours\s*=\s*7\b", r"[+]07:?00", r"UTC\s*\+\s*7", r"\bMedan\b", r"\bDenpasar\b"]


def test_no_code_or_message_names_a_city_or_a_zone() -> None:
    assert len(CODE) > 40
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()[:80]}" for p in CODE
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if any(re.search(pattern, line) for pattern in FORBIDDEN)]
    assert not hits, "\n".join(hits)


def test_the_check_would_catch_one() -> None:
    assert any(re.search(pattern, 'return ts + timedelta(hours=7)  # WIB') for pattern in FORBIDDEN)


def test_every_city_setting_is_read_by_the_code() -> None:
    """A setting parsed but read by nothing is a bug (the `timezone` of earlier releases)."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in CODE if p.suffix == ".py")
    unread = [f for f in CitySettings.__dataclass_fields__ if f != "folder" and f not in
              {"province", "kemendagri_code", "bps_code"}  # shown on the data page via the settings table
              and not re.search(rf"\.{f}\b", code)]
    assert not unread, unread


@pytest.mark.parametrize("city", SHIPPED)
def test_shipped_pack_is_complete(city: str) -> None:
    pack = PACKS / city
    settings = parse_city(tomllib.loads((pack / "city.toml").read_text(encoding="utf-8")), city)
    assert settings.timezone_label in ("WIB", "WITA", "WIT")
    for name in ("kecamatan.csv", "services.csv", "channels.csv", "statuses.csv", "categories.csv",
                 "boundaries.geojson", "SOURCES.md", "sample_profile.csv"):
        assert (pack / name).is_file(), name


def test_a_bad_zone_is_refused_with_a_fix() -> None:
    with pytest.raises(PackError, match="IANA"):
        parse_city({"name": "X", "timezone": "WIB", "timezone_label": "WIB", "target_on_time_rate": 0.9,
                    "sample_start": "2019-01", "sample_end": "2019-02", "integration_month": "2019-01",
                    "tourism_area": "X", "map_lat": 0, "map_lon": 0, "map_zoom": 10}, "city.toml")
    with pytest.raises(PackError, match="missing"):
        parse_city({"name": "X"}, "city.toml")
