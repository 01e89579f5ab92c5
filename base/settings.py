"""Base layer: where the database, the city pack and the secrets file are (PANTAU_DB, PANTAU_CITY, PANTAU_SECRETS),
and the pack's city.toml."""

from __future__ import annotations

import os
import tomllib
from dataclasses import MISSING, dataclass, fields
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "pantau.duckdb"
REFERENCE_DIR = ROOT / "data" / "reference"
DEFAULT_CITY = "medan"


# Resolving a path walks every directory of it (a system call each), and the app asks for the database and the pack
# several times per page view: the answers are kept per (name, working directory).
@lru_cache(maxsize=64)
def _resolved(chosen: str, cwd: str) -> Path:
    return Path(chosen).expanduser().resolve()


def db_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The database file: --db, else PANTAU_DB, else data/pantau.duckdb."""
    chosen = override or os.environ.get("PANTAU_DB") or DEFAULT_DB
    return _resolved(os.fspath(chosen), os.getcwd())


def secrets_path() -> Path:
    """The secrets file (recipients, passwords, SMTP): PANTAU_SECRETS, else the dashboard's .streamlit/secrets.toml."""
    return Path(os.environ.get("PANTAU_SECRETS") or ROOT / ".streamlit" / "secrets.toml")


def city_name(override: str | None = None) -> str:
    """The city pack: --city, else PANTAU_CITY, else the default pack. A folder name under data/reference, or a path."""
    return override or os.environ.get("PANTAU_CITY") or DEFAULT_CITY


def city_dir(city: str | None = None) -> Path:
    """The pack's folder: data/reference/<city>, or `city` itself when it is a path to a folder."""
    return _city_dir(city_name(city), os.getcwd())


@lru_cache(maxsize=64)
def _city_dir(name: str, cwd: str) -> Path:  # a missing pack raises, and is not remembered
    path = Path(name).expanduser() if ("/" in name or os.sep in name) else REFERENCE_DIR / name
    if not (path / "city.toml").is_file():
        raise FileNotFoundError(f"City pack {path} not found (it needs city.toml, kecamatan.csv, services.csv)")
    return path.resolve()


@dataclass(frozen=True)
class CitySettings:
    """city.toml. Everything that is one city's and not another's lives here or in the pack's other files."""

    name: str                      # "Kota ...": in every text that names the city
    timezone: str                  # an IANA zone, one of Indonesia's three
    timezone_label: str            # its label as people write it
    target_on_time_rate: float
    sample_start: str
    sample_end: str
    integration_month: str
    tourism_area: str
    map_lat: float
    map_lon: float
    map_zoom: float
    province: str = ""
    kemendagri_code: str = ""
    bps_code: str = ""
    tourism_baseline_year: int = 2019
    tourism_source: str = ""
    kecamatan_name_prefixes: tuple[str, ...] = ()   # words people drop from a kecamatan's name (the city's name)
    request_id_prefix: str = "REQ"                  # sample request ids: <prefix>-<year>-<number>
    folder: str = ""                                # the pack's folder name (set by city_settings, not by the file)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class PackError(ValueError):
    """A city pack file says something Pantau cannot use; the message names the file and the fix."""


def parse_city(raw: dict, source: str, folder: str = "") -> CitySettings:
    """Validate a parsed city.toml (unknown keys are ignored; required ones missing are an error)."""
    known = {f.name for f in fields(CitySettings)} - {"folder"}
    values = {k: v for k, v in raw.items() if k in known}
    missing = [f.name for f in fields(CitySettings) if f.name not in values and f.default is MISSING]
    if missing:
        raise PackError(f"{source}: missing {', '.join(missing)} (see data/README.md, 'City pack')")
    try:
        ZoneInfo(str(values["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise PackError(f"{source}: timezone {values['timezone']!r} is not an IANA time zone name (data/README.md, "
                        "'City pack', lists Indonesia's three)") from None
    values["kecamatan_name_prefixes"] = tuple(values.get("kecamatan_name_prefixes", ()))
    values["tourism_baseline_year"] = int(values.get("tourism_baseline_year", 2019))
    return CitySettings(**values, folder=folder)


@lru_cache(maxsize=8)
def _city_settings(path: Path) -> CitySettings:
    raw = tomllib.loads((path / "city.toml").read_text(encoding="utf-8"))
    return parse_city(raw, str(path / "city.toml"), folder=path.name)


def city_settings(city: str | None = None) -> CitySettings:
    """The settings of the pack `city` (default: PANTAU_CITY or medan)."""
    return _city_settings(city_dir(city))
