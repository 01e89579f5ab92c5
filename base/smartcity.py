"""Base layer: the six smart-city pillars and the kinds of master-plan programme (data/smartcity.toml), shared by the
loader (which reads the words a file may use) and the read side (which lists the pillars in their order)."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

SMARTCITY_FILE = Path(__file__).resolve().parent.parent / "data" / "smartcity.toml"


def alias_key(text: str) -> str:
    """How a pillar or kind is compared: lower case, letters and digits only ('Smart-Governance' -> smartgovernance)."""
    return re.sub(r"[^0-9a-z]+", "", text.strip().lower())


@lru_cache(maxsize=1)
def _spec() -> dict[str, dict[str, list[str]]]:
    raw = tomllib.loads(SMARTCITY_FILE.read_text(encoding="utf-8"))
    return {part: {key: list(body.get("aliases", [])) for key, body in raw[part].items()}
            for part in ("pillars", "kinds")}


def pillars() -> tuple[str, ...]:
    """The six pillars, in the programme's order: governance, branding, economy, living, society, environment."""
    return tuple(_spec()["pillars"])


def kinds() -> tuple[str, ...]:
    """quick_win, short, medium."""
    return tuple(_spec()["kinds"])


def aliases(part: str) -> dict[str, str]:
    """alias_key(word) -> canonical key for part 'pillars' or 'kinds' (each key is an alias of itself)."""
    out: dict[str, str] = {}
    for key, words in _spec()[part].items():
        for word in (key, *words):
            out[alias_key(word)] = key
    return out
