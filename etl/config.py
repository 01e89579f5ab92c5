"""ETL layer: where the database and the city pack are (PANTAU_DB, PANTAU_CITY), read by every layer."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "pantau.duckdb"
REFERENCE_DIR = ROOT / "data" / "reference"
DEFAULT_CITY = "medan"


def db_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The database file: --db, else PANTAU_DB, else data/pantau.duckdb."""
    chosen = override or os.environ.get("PANTAU_DB") or DEFAULT_DB
    return Path(chosen).expanduser().resolve()


def city_name(override: str | None = None) -> str:
    """The city pack's folder name: --city, else PANTAU_CITY, else the default pack."""
    return override or os.environ.get("PANTAU_CITY") or DEFAULT_CITY


def city_dir(city: str | None = None) -> Path:
    path = REFERENCE_DIR / city_name(city)
    if not (path / "city.toml").is_file():
        raise FileNotFoundError(f"City pack {path} not found (it needs city.toml, kecamatan.csv, services.csv)")
    return path


@dataclass(frozen=True)
class CitySettings:
    name: str
    timezone: str
    utc_offset_hours: int
    target_on_time_rate: float
    sample_start: str
    sample_end: str
    integration_month: str
    tourism_area: str
    map_lat: float
    map_lon: float
    map_zoom: float


@lru_cache(maxsize=8)
def city_settings(city: str | None = None) -> CitySettings:
    raw = tomllib.loads((city_dir(city) / "city.toml").read_text(encoding="utf-8"))
    fields = CitySettings.__dataclass_fields__
    return CitySettings(**{k: v for k, v in raw.items() if k in fields})
