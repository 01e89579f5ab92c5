"""Read-side layer: kiosk logic — URL parameters and playlists, the view for the clock, suppression, staleness."""

from __future__ import annotations

import logging
import os
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from base import clock
from kpi import fmt

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "data" / "kiosk.toml"
VIEWS = ("overview", "services", "map", "tourism", "pillars", "satisfaction")
THEMES = ("dark", "light")
LANGS = ("id", "en")
ROTATE_RANGE = (5, 3600)
REFRESH_RANGE = (10, 86_400)

# The kiosk's clock, in seconds since the epoch. Tests replace it to move time forward without sleeping.
CLOCK: Callable[[], float] = time.time


def now() -> float:
    return CLOCK()


def local(ts: float) -> datetime:
    """The city's naive wall-clock time for a Unix timestamp (the database's convention)."""
    return clock.local_from_unix(ts)


def clock_text(ts: float, lang: str) -> str:
    """The city's clock as the screen shows it: 14.05 (id, dot as in Indonesian usage) / 14:05 (en), then
    the city's own zone label. The watchdog script formats the ticking clock the same way (Intl, id-ID / en-GB)."""
    return local(ts).strftime("%H.%M" if lang == "id" else "%H:%M") + " " + clock.label()


@dataclass(frozen=True)
class Screen:
    """Everything a screen needs, as read from its URL (falling back to its playlist, then the defaults)."""

    views: tuple[str, ...] = VIEWS
    rotate: int = 30
    refresh: int = 300
    lang: str = "id"
    theme: str = "dark"
    playlist: str | None = None


@dataclass(frozen=True)
class Settings:
    """data/kiosk.toml: defaults, thresholds and named playlists."""

    defaults: Screen
    playlists: Mapping[str, Screen]
    min_count: int = 5
    stale_hours: float = 72
    reload_hours: float = 2


def _views(value: Any) -> tuple[str, ...] | None:
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list | tuple) else []
    chosen = [v.strip().lower() for v in items if isinstance(v, str)]
    # Unknown names are dropped (never echoed to the screen); duplicates keep their first position.
    known = tuple(dict.fromkeys(v for v in chosen if v in VIEWS))
    return known or None


def _int(value: Any, bounds: tuple[int, int]) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return min(max(number, bounds[0]), bounds[1])


def _choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    text = str(value).strip().lower() if value is not None else ""
    return text if text in allowed else None


def _overlay(base: Screen, raw: Mapping[str, Any]) -> Screen:
    """`base` with every valid value in `raw` applied; invalid values are ignored, so a typo never blanks a screen."""
    changes: dict[str, Any] = {}
    if (views := _views(raw.get("views"))) is not None:
        changes["views"] = views
    if (rotate := _int(raw.get("rotate"), ROTATE_RANGE)) is not None:
        changes["rotate"] = rotate
    if (refresh := _int(raw.get("refresh"), REFRESH_RANGE)) is not None:
        changes["refresh"] = refresh
    if (lang := _choice(raw.get("lang"), LANGS)) is not None:
        changes["lang"] = lang
    if (theme := _choice(raw.get("theme"), THEMES)) is not None:
        changes["theme"] = theme
    return replace(base, **changes)


def parse_settings(raw: Mapping[str, Any]) -> Settings:
    """Validate the parsed kiosk.toml. Playlist names are lower-case [a-z0-9-] so they are safe in a URL."""
    defaults = _overlay(Screen(), raw.get("defaults", {}))
    playlists: dict[str, Screen] = {}
    for name, body in raw.get("playlists", {}).items():
        if not (isinstance(body, dict) and name == name.lower() and name.replace("-", "").isalnum()):
            raise ValueError(f"kiosk playlist {name!r}: needs a lower-case name of letters, digits and '-'")
        if _views(body.get("views")) is None:
            raise ValueError(f"kiosk playlist {name!r}: 'views' must list some of {', '.join(VIEWS)}")
        playlists[name] = replace(_overlay(defaults, body), playlist=name)
    public = raw.get("public", {})
    min_count = int(public.get("min_count", 5))
    if min_count < 1:
        raise ValueError("kiosk min_count must be at least 1")
    return Settings(defaults=defaults, playlists=playlists, min_count=min_count,
                    stale_hours=float(public.get("stale_hours", 72)),
                    reload_hours=float(public.get("reload_hours", 2)))


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> Settings:
    return parse_settings(tomllib.loads(path.read_text(encoding="utf-8")))


def config_path() -> Path:
    """PANTAU_KIOSK names another kiosk.toml (e.g. one per site); default data/kiosk.toml."""
    return Path(os.environ.get("PANTAU_KIOSK") or DEFAULT_CONFIG)


def load_settings(path: Path | None = None) -> Settings:
    """kiosk.toml, re-read when the file changes (screens pick up an edited playlist at their next refresh)."""
    path = path or config_path()
    if not path.is_file():
        return Settings(defaults=Screen(), playlists={})
    return _load(path, path.stat().st_mtime_ns)


def safe_settings(path: Path | None = None) -> Settings:
    """load_settings(), but a broken kiosk.toml is logged and the built-in defaults are used: a public screen keeps
    showing something sensible rather than an error box while the file is being fixed."""
    try:
        return load_settings(path)
    except (ValueError, OSError) as exc:
        logging.getLogger(__name__).error("kiosk settings %s unusable, using defaults: %s", path or config_path(), exc)
        return Settings(defaults=Screen(), playlists={})


def parse_screen(params: Mapping[str, Any], settings: Settings) -> Screen:
    """The screen for URL parameters: defaults, then ?playlist=, then explicit views/rotate/refresh/lang/theme."""
    name = _choice(params.get("playlist"), tuple(settings.playlists))
    base = settings.playlists[name] if name else settings.defaults
    return _overlay(base, params)


def screen_query(screen: Screen) -> dict[str, str]:
    """URL parameters that reproduce `screen` exactly (parse_screen(screen_query(s)) == s)."""
    query = {"views": ",".join(screen.views), "rotate": str(screen.rotate), "refresh": str(screen.refresh),
             "lang": screen.lang, "theme": screen.theme}
    return {"playlist": screen.playlist, **query} if screen.playlist else query


def current_view(screen: Screen, ts: float) -> tuple[int, str]:
    """The view on screen at time `ts`: a function of the clock alone, so screens sharing a playlist stay in step
    and a reloaded screen comes back to the view it would be showing anyway."""
    index = int(ts // screen.rotate) % len(screen.views)
    return index, screen.views[index]


def count_text(value: int | float | None, lang: str, min_count: int) -> str:
    """A count for a public screen: "<5" below the threshold (but 0 stays 0), else the formatted number."""
    if value is None or value != value:
        return "–"
    if 0 < value < min_count:
        return f"<{min_count}"
    return fmt.number(value, lang)


def withheld(base_count: int | float | None, min_count: int) -> bool:
    """True when a rate or duration rests on fewer than `min_count` requests and must not be shown."""
    return base_count is None or base_count != base_count or base_count < min_count


@dataclass(frozen=True)
class Trend:
    arrow: str       # ▲ ▼ or ▶ (flat)
    tone: str        # good | bad | flat
    text: str        # the change in the reader's locale, e.g. "+4,2%" or "+1,3 poin"


def trend(current: float | None, previous: float | None, lang: str, *, higher_is_better: bool = True,
          kind: str = "relative", flat_below: float = 0.005) -> Trend | None:
    """Direction of change between two already-computed KPI values. `kind` is "relative" (counts, hours: change in %)
    or "points" (rates: change in percentage points). None when either value is missing."""
    if current is None or previous is None or current != current or previous != previous:
        return None
    if kind == "points":
        delta = current - previous
    else:
        if previous == 0:
            return None
        delta = (current - previous) / abs(previous)
    text = fmt.delta(delta, lang, kind)
    if abs(delta) < flat_below:
        return Trend("▶", "flat", text)
    up = delta > 0
    return Trend("▲" if up else "▼", "good" if up == higher_is_better else "bad", text)


def stale(latest_day: date | None, ts: float, stale_hours: float) -> bool:
    """True when the newest data (a local calendar day, complete at its midnight) is older than `stale_hours`."""
    if latest_day is None:
        return True
    end_of_day = datetime.combine(latest_day + timedelta(days=1), datetime.min.time())
    return local(ts) - end_of_day > timedelta(hours=stale_hours)
