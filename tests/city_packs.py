"""City packs the tests write themselves: the shipped packs' files with chosen changes, in a temporary folder.

A pack is data, so a test city is just a folder: `make_pack(tmp_path, "medan", services=..., holidays=...)`.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "data" / "reference"
SHIPPED = sorted(p.name for p in PACKS.iterdir() if (p / "city.toml").is_file())


def _write_csv(path: Path, header: list[str], rows: list[dict | list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header] if isinstance(r, dict) else r)


def make_pack(where: Path, base: str = "medan", *, name: str = "testcity", toml: dict | None = None,
              services: list[tuple[str, float, str]] | None = None,
              holidays: list[tuple[str, str, str]] | None = None,
              kecamatan: list[tuple[str, str]] | None = None,
              units: list[dict[str, str]] | None = None) -> Path:
    """A copy of pack `base` in where/<name>, with
    toml       city.toml keys replaced (strings quoted, numbers as they are);
    services   (code, sla_value, sla_unit) rows replacing services.csv (names made up) and the sample profile;
    holidays   (date, name, kind) rows as holidays.csv;
    kecamatan  (code, name) rows replacing kecamatan.csv (population 100,000 each, the centroid of the base pack's
               first one);
    units      rows (dicts of units.csv's columns) replacing units.csv. When kecamatan or services are replaced and
               units are not given, units.csv becomes a kantor camat per kecamatan (counter and outreach channels),
               the service mall and one city-wide office for every other request."""
    pack = where / name
    shutil.copytree(PACKS / base, pack)
    if toml:
        lines = (pack / "city.toml").read_text(encoding="utf-8").splitlines()
        keep = [ln for ln in lines if ln.split("=")[0].strip() not in toml]
        for key, value in toml.items():
            keep.append(f"{key} = " + (f'"{value}"' if isinstance(value, str) else
                                       str(value).replace("'", '"') if isinstance(value, list) else str(value)))
        (pack / "city.toml").write_text("\n".join(keep) + "\n", encoding="utf-8")
    if services is not None:
        _write_csv(pack / "services.csv", ["service_code", "name_id", "name_en", "category", "sla_value", "sla_unit",
                                           "sla_source"],
                   [[code, f"Layanan {code}", f"Service {code}", "adminduk", value, unit, "test"]
                    for code, value, unit in services])
        _write_csv(pack / "sample_profile.csv", ["service_code", "share", "median_work_hours_before",
                                                 "median_work_hours_after", "sigma"],
                   [[code, 1, 20, 10, 0.8] for code, _, _ in services])
    if holidays is not None:
        _write_csv(pack / "holidays.csv", ["date", "name", "kind"], [list(h) for h in holidays])
    if kecamatan is not None:
        with open(pack / "kecamatan.csv", encoding="utf-8", newline="") as fh:
            first = next(csv.DictReader(fh))
        _write_csv(pack / "kecamatan.csv", list(first),
                   [{**first, "kecamatan_code": code, "name": kname, "bps_code": code.replace(".", ""),
                     "population": 100_000} for code, kname in kecamatan])
        (pack / "sample_points.csv").unlink(missing_ok=True)
    if units is None and (kecamatan is not None or services is not None):
        with open(pack / "kecamatan.csv", encoding="utf-8", newline="") as fh:
            kecs = [(r["kecamatan_code"], r["name"]) for r in csv.DictReader(fh)]
        units = [{"unit_code": code, "name_id": f"Kantor Camat {kname}", "name_en": f"{kname} District Office",
                  "kind": "kecamatan", "kecamatan_code": code, "channels": "loket_kecamatan|jemput_bola"}
                 for code, kname in kecs]
        units += [{"unit_code": "MPP", "name_id": "Mal Pelayanan Publik", "name_en": "Public Service Mall",
                   "kind": "mpp", "channels": "mpp"},
                  {"unit_code": "DINAS", "name_id": "Dinas Pelayanan", "name_en": "Service Office", "kind": "dinas"}]
    if units is not None:
        _write_csv(pack / "units.csv", ["unit_code", "name_id", "name_en", "kind", "kecamatan_code", "services",
                                        "channels", "aliases"], units)
        (pack / "boundaries.geojson").unlink(missing_ok=True)
    return pack
