"""Base layer: the city's clock. Every timestamp Pantau stores is the city's local wall-clock time, without offset.

The zone and its label come from the pack's city.toml (`timezone`, `timezone_label`), one of Indonesia's three.
Indonesia keeps no daylight saving, so a zone is one fixed offset; it is still read from the IANA database, never
written here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from base.settings import CitySettings, city_settings

# Seconds since the epoch. Tests replace it to move time without sleeping.
CLOCK: Callable[[], float] = time.time


def label(city: CitySettings | None = None) -> str:
    """The zone's label as people write it (city.toml `timezone_label`)."""
    return (city or city_settings()).timezone_label


def local_from_unix(ts: float, city: CitySettings | None = None) -> datetime:
    """The city's naive wall-clock time for a Unix timestamp."""
    return datetime.fromtimestamp(ts, UTC).astimezone((city or city_settings()).zone).replace(tzinfo=None)


def now_local(city: CitySettings | None = None) -> datetime:
    """Now, in the city's wall-clock time, to the second (how every timestamp is stored)."""
    return local_from_unix(CLOCK(), city).replace(microsecond=0)


def utc_offset_minutes(city: CitySettings | None = None) -> int:
    """The city's offset from UTC in minutes (UTC+8 is 480)."""
    zone = (city or city_settings()).zone
    offset = datetime.now(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0
