"""Base layer: user-facing text in Bahasa Indonesia (default) and English.

Messages live in base/messages/*.toml, one file per area (common, upload, kiosk, …), each key with `id` and `en`:

    [overview.title]
    id = "Ringkasan"
    en = "Overview"

Placeholders use str.format names: t("rows_loaded", "en", n="1,234"). `{city}` (the city's name), `{tz}` (its time
zone label), `{baseline}` (the tourism baseline year) and `{tourism_source}` are filled from the city pack unless
given: no message names a city, a zone or a year of its own.
"""

from __future__ import annotations

import csv
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from base.settings import city_dir, city_settings

LANGS = ("id", "en")
DEFAULT_LANG = "id"
MESSAGES_DIR = Path(__file__).resolve().parent / "messages"


def _flatten(prefix: str, node: dict[str, Any], out: dict[str, dict[str, str]]) -> None:
    if set(node) >= set(LANGS) and all(isinstance(node[k], str) for k in LANGS):
        out[prefix] = {k: node[k] for k in LANGS}
        return
    for key, value in node.items():
        if isinstance(value, dict):
            _flatten(f"{prefix}.{key}" if prefix else key, value, out)


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    """All messages, keyed by dotted name; a key defined in two files is an error."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(MESSAGES_DIR.glob("*.toml")):
        part: dict[str, dict[str, str]] = {}
        _flatten("", tomllib.loads(path.read_text(encoding="utf-8")), part)
        clash = set(part) & set(out)
        if clash:
            raise ValueError(f"{path.name} redefines messages: {sorted(clash)[:5]}")
        out.update(part)
    return out


def normalise_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **values: Any) -> str:
    """The message `key` in `lang`, with placeholders filled. A missing key raises KeyError (caught by tests)."""
    text = catalog()[key][normalise_lang(lang)]
    if "{" in text and any(f"{{{name}}}" in text for name in CITY_PLACEHOLDERS):
        values = {**city_values(), **values}
    return text.format(**values) if values else text


CITY_PLACEHOLDERS = ("city", "tz", "baseline", "tourism_source", "example_code", "example_name")


def city_values() -> dict[str, Any]:
    """What messages may name of the city without being told: its name, time zone label, tourism baseline year and
    tourism source (city.toml), and one of its kecamatan as an example (kecamatan.csv)."""
    city = city_settings()
    code, name = _example_kecamatan(city.folder)
    return {"city": city.name, "tz": city.timezone_label, "baseline": city.tourism_baseline_year,
            "tourism_source": city.tourism_source or city.tourism_area, "example_code": code, "example_name": name}


@lru_cache(maxsize=8)
def _example_kecamatan(folder: str) -> tuple[str, str]:
    with open(city_dir() / "kecamatan.csv", encoding="utf-8-sig", newline="") as fh:
        first = next(csv.DictReader(fh), None) or {}
    return first.get("kecamatan_code", ""), first.get("name", "")


def fill_city(template: str) -> str:
    """`template` with the city placeholders filled and every other placeholder left as it is (for SQL templates)."""
    for name, value in city_values().items():
        template = template.replace(f"{{{name}}}", str(value))
    return template
