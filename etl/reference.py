"""ETL layer: loads the city pack (data/reference/<city>/) into the dim_* tables and settings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb

from etl.config import city_dir

# table -> (file, columns in table order); the CSV header must carry these names.
PACK_FILES = {
    "dim_kecamatan": ("kecamatan.csv", ["kecamatan_code", "name", "bps_code", "n_kelurahan", "area_km2", "lat", "lon",
                                        "population", "population_year", "population_source"]),
    "dim_service": ("services.csv", ["service_code", "name_id", "name_en", "category", "sla_hours", "sla_source"]),
    "dim_channel": ("channels.csv", ["channel", "name_id", "name_en", "since"]),
    "dim_category": ("categories.csv", ["category", "name_id", "name_en"]),
}


def load_reference(con: duckdb.DuckDBPyConnection, city: str | None = None) -> Path:
    """Replace the reference tables with the city pack's files; return the pack folder."""
    pack = city_dir(city)
    for table, (file_name, columns) in PACK_FILES.items():
        path = pack / file_name
        cols = ", ".join(columns)
        con.execute(f"DELETE FROM {table}")  # table and columns come from PACK_FILES, never from input
        con.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )
    settings = tomllib.loads((pack / "city.toml").read_text(encoding="utf-8"))
    con.execute("DELETE FROM settings")
    con.executemany("INSERT INTO settings VALUES (?, ?)", [[k, str(v)] for k, v in settings.items()])
    con.execute("INSERT OR REPLACE INTO settings VALUES ('city', ?)", [pack.name])
    n = con.execute("SELECT count(*) FROM dim_kecamatan").fetchone()[0]
    if n == 0:
        raise ValueError(f"{pack / 'kecamatan.csv'} has no kecamatan")
    return pack
