"""Base layer: the city's public-service units (the pack's units.csv) — which requests each one serves (its scope),
which one answers for a request (its responsible unit), and the names a file may give a unit.

Defined once here and written to the database by etl/reference.py (dim_unit, dim_unit_scope); the survey (SKM) and the
alerts read those tables, never this file's rules again.

- A unit's **scope** is the requests it serves: its kecamatan (blank: the whole city) x its services (blank: all) x its
  channels (blank: all).
- A request's **responsible unit** is the most specific unit whose scope holds it: a kecamatan unit before a city-wide
  one, then a unit limited to the request's channel before one that is not, then a unit limited to the request's
  service before one that is not. Two units equally specific for one request make the pack invalid (PackError).
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from base.settings import PackError, city_dir, city_settings

UNITS_FILE = "units.csv"
COLUMNS = ("unit_code", "name_id", "name_en", "kind", "kecamatan_code", "services", "channels", "aliases")
KINDS = ("kecamatan", "dinas", "mpp")
UNKNOWN_CHANNEL = "unknown"  # the channel of a request whose file names none (etl.reference adds it to every pack)
WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "units.toml"


def alias_key(text: str) -> str:
    """How a unit's name is compared: lower case, letters and digits only ('Kec. Kota Lama' -> keckotalama)."""
    return re.sub(r"[^0-9a-z]+", "", str(text).strip().lower())


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (cell or "").split("|") if p.strip())


@dataclass(frozen=True)
class Unit:
    """One row of units.csv; `line` is its line in the file (for messages)."""

    unit_code: str
    name_id: str
    name_en: str
    kind: str
    kecamatan_code: str | None
    services: tuple[str, ...]   # empty: every service
    channels: tuple[str, ...]   # empty: every channel
    aliases: tuple[str, ...]
    line: int = 0

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_id

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Compared lexicographically: kecamatan before city-wide, then channel-limited, then service-limited."""
        return (self.kecamatan_code is not None, bool(self.channels), bool(self.services))

    def holds(self, kecamatan_code: str, service_code: str, channel: str) -> bool:
        """Whether a request of this kecamatan, service and channel is in the unit's scope."""
        return ((self.kecamatan_code is None or self.kecamatan_code == kecamatan_code)
                and (not self.services or service_code in self.services)
                and (not self.channels or channel in self.channels))


def _codes(path: Path, column: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [r[column].strip() for r in csv.DictReader(fh) if (r.get(column) or "").strip()]


def parse_units(path: Path, kecamatan: Iterable[str], services: Iterable[str], channels: Iterable[str]
                ) -> tuple[Unit, ...]:
    """Read and check units.csv against the pack's kecamatan, services and channels; PackError names line and fix."""
    kecamatan, services, channels = set(kecamatan), set(services), set(channels) | {UNKNOWN_CHANNEL}
    if not path.is_file():
        raise PackError(f"{path} is missing: a city pack lists its public-service units there "
                        f"(data/README.md, 'City pack', units.csv)")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise PackError(f"{path}: the header lacks {', '.join(missing)} (data/README.md, 'City pack', units.csv)")
        rows = [(reader.line_num, r) for r in reader]
    out: list[Unit] = []
    seen: dict[str, int] = {}
    for line, r in rows:
        where = f"{path}, line {line}"
        code = (r["unit_code"] or "").strip()
        if not code:
            raise PackError(f"{where}: unit_code is empty; give every unit a code (e.g. its kecamatan code)")
        if code in seen:
            raise PackError(f"{where}: unit_code {code!r} is already used on line {seen[code]}; codes are unique")
        seen[code] = line
        kind = (r["kind"] or "").strip()
        if kind not in KINDS:
            raise PackError(f"{where}, unit {code!r}: kind {kind!r} must be one of {', '.join(KINDS)}")
        kec = (r["kecamatan_code"] or "").strip() or None
        if kec is not None and kec not in kecamatan:
            raise PackError(f"{where}, unit {code!r}: kecamatan_code {kec!r} is not in kecamatan.csv")
        if kind == "kecamatan" and kec is None:
            raise PackError(f"{where}, unit {code!r}: a unit of kind kecamatan needs its kecamatan_code")
        svc, chan = _split(r["services"]), _split(r["channels"])
        if bad := [s for s in svc if s not in services]:
            raise PackError(f"{where}, unit {code!r}: services {', '.join(bad)} are not in services.csv "
                            f"(separate codes with |; leave blank for every service)")
        if bad := [c for c in chan if c not in channels]:
            raise PackError(f"{where}, unit {code!r}: channels {', '.join(bad)} are not in channels.csv "
                            f"(separate codes with |; leave blank for every channel)")
        name_id, name_en = (r["name_id"] or "").strip(), (r["name_en"] or "").strip()
        if not name_id or not name_en:
            raise PackError(f"{where}, unit {code!r}: name_id and name_en are both needed")
        out.append(Unit(code, name_id, name_en, kind, kec, svc, chan, _split(r["aliases"]), line))
    if not out:
        raise PackError(f"{path} lists no unit")
    return tuple(out)


def responsibility(units: Iterable[Unit], kecamatan: Iterable[str], services: Iterable[str],
                   channels: Iterable[str], source: str = UNITS_FILE
                   ) -> dict[tuple[str, str, str], Unit | None]:
    """(kecamatan, service, channel) -> the responsible unit (None when no unit's scope holds it), for every
    combination; PackError when two units are equally specific for one, naming both lines."""
    units = tuple(units)
    chans = sorted(set(channels) | {UNKNOWN_CHANNEL})
    out: dict[tuple[str, str, str], Unit | None] = {}
    for k in sorted(set(kecamatan)):
        for s in sorted(set(services)):
            for c in chans:
                holding = sorted((u for u in units if u.holds(k, s, c)), key=lambda u: u.specificity, reverse=True)
                if len(holding) > 1 and holding[0].specificity == holding[1].specificity:
                    a, b = holding[0], holding[1]
                    raise PackError(
                        f"{source}, lines {a.line} and {b.line}: units {a.unit_code!r} and {b.unit_code!r} both answer "
                        f"for requests of kecamatan {k}, service {s}, channel {c}, equally specifically; limit one of "
                        f"them by kecamatan_code, channels or services so that each request has one responsible unit")
                out[(k, s, c)] = holding[0] if holding else None
    return out


@lru_cache(maxsize=1)
def _words() -> dict[str, tuple[str, ...]]:
    raw = tomllib.loads(WORDS_FILE.read_text(encoding="utf-8"))
    return {"kecamatan_unit": tuple(raw["kecamatan_unit_words"])}


def name_keys(units: Iterable[Unit], kecamatan_names: dict[str, str], prefixes: Iterable[str] = (),
              source: str = UNITS_FILE) -> dict[str, str]:
    """alias_key(a name a file may use) -> unit_code: each unit's code, names and aliases; for a kantor camat also its
    kecamatan's name, with or without the city's prefix (the pack's kecamatan_name_prefixes) and the national words
    for a kecamatan office before it ('Kantor Camat', 'Kecamatan', 'Kec.'). PackError when one name means two
    units."""
    prefixes = [alias_key(p) for p in prefixes if alias_key(p)]
    office = ("", *(alias_key(w) for w in _words()["kecamatan_unit"]))
    out: dict[str, str] = {}
    for u in units:
        for word in (u.unit_code, u.name_id, u.name_en, *u.aliases):
            key = alias_key(word)
            if key in out and out[key] != u.unit_code:
                raise PackError(f"{source}, line {u.line}: the name {word!r} of unit {u.unit_code!r} also names unit "
                                f"{out[key]!r}; give each unit names of its own")
            if key:
                out[key] = u.unit_code
    derived: dict[str, set[str]] = {}
    for u in units:
        if u.kind != "kecamatan" or u.kecamatan_code not in kecamatan_names:
            continue
        full = alias_key(kecamatan_names[u.kecamatan_code])
        bases = {full} | {full[len(p):] for p in prefixes if full.startswith(p) and len(full) > len(p)}
        for base in bases:
            for word in office:
                derived.setdefault(word + base, set()).add(u.unit_code)
    # a derived spelling that two units would share names neither; an explicit name always wins
    out |= {k: next(iter(v)) for k, v in derived.items() if len(v) == 1 and k not in out}
    return out


@lru_cache(maxsize=8)
def _pack_units(pack: Path) -> tuple[Unit, ...]:
    return parse_units(pack / UNITS_FILE, _codes(pack / "kecamatan.csv", "kecamatan_code"),
                       _codes(pack / "services.csv", "service_code"), _codes(pack / "channels.csv", "channel"))


def units(city: str | None = None) -> tuple[Unit, ...]:
    """The units of the pack `city` (default: PANTAU_CITY), checked; PackError names what is wrong."""
    return _pack_units(city_dir(city))


def pack_responsibility(city: str | None = None) -> dict[tuple[str, str, str], Unit | None]:
    """responsibility() over the pack's own kecamatan, services and channels."""
    pack = city_dir(city)
    return responsibility(units(city), _codes(pack / "kecamatan.csv", "kecamatan_code"),
                          _codes(pack / "services.csv", "service_code"), _codes(pack / "channels.csv", "channel"),
                          str(pack / UNITS_FILE))


def pack_name_keys(city: str | None = None) -> dict[str, str]:
    """name_keys() for the pack, with its kecamatan names and city prefixes."""
    pack = city_dir(city)
    with open(pack / "kecamatan.csv", encoding="utf-8-sig", newline="") as fh:
        names = {r["kecamatan_code"].strip(): r["name"].strip() for r in csv.DictReader(fh)}
    return name_keys(units(city), names, city_settings(city).kecamatan_name_prefixes, str(pack / UNITS_FILE))
