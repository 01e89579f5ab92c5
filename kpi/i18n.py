"""Read-side layer: user-facing text in Bahasa Indonesia (default) and English.

Messages live in kpi/messages/*.toml, one file per area (common, upload, kiosk, …), each key with `id` and `en`:

    [overview.title]
    id = "Ringkasan"
    en = "Overview"

Placeholders use str.format names: t("rows_loaded", "en", n="1,234").
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

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
    return text.format(**values) if values else text
