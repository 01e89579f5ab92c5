"""ETL layer: loads the city pack (data/reference/<city>/) into the dim_* tables, settings and the calendar."""

from __future__ import annotations

import csv
import tomllib
from datetime import date, timedelta
from pathlib import Path

import duckdb

from base.calendar import calendar
from base.clock import now_local
from base.i18n import t
from base.settings import PackError, city_dir, city_settings
from base.units import pack_name_keys, pack_responsibility, units
from etl.store import SQL_DIR, outdated_marts, outdated_marts_in, refresh_marts, write_transaction, write_views

SLA_UNITS = ("hours", "working_days", "calendar_days")
# table -> (file, columns in table order, required); the CSV header must carry these names.
PACK_FILES = {
    "dim_kecamatan": ("kecamatan.csv", ["kecamatan_code", "name", "bps_code", "n_kelurahan", "area_km2", "lat", "lon",
                                        "population", "population_year", "population_source"], True),
    "dim_service": ("services.csv", ["service_code", "name_id", "name_en", "category", "sla_value", "sla_unit",
                                     "sla_source"], True),
    "dim_channel": ("channels.csv", ["channel", "name_id", "name_en", "since", "aliases"], True),
    "dim_status": ("statuses.csv", ["status", "name_id", "name_en", "aliases"], True),
    "dim_category": ("categories.csv", ["category", "name_id", "name_en"], True),
}
STATUSES = ("open", "in_progress", "completed", "rejected")
UNKNOWN_CHANNEL = "unknown"  # the channel of a request whose file names none
# How far past the latest request the calendar reaches: room for the longest standard's deadline.
CALENDAR_AHEAD = timedelta(days=366)


def _rows(path: Path, columns: list[str]) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise PackError(f"{path}: the header lacks {', '.join(missing)} (data/README.md, 'City pack')")
        return [dict(r, _line=str(reader.line_num)) for r in reader]


def _check_services(path: Path, rows: list[dict[str, str]]) -> None:
    for r in rows:
        where = f"{path}, line {r['_line']}, service {r['service_code']!r}"
        unit = (r["sla_unit"] or "").strip()
        if unit not in SLA_UNITS:
            raise PackError(f"{where}: sla_unit {unit!r} must be one of {', '.join(SLA_UNITS)}")
        try:
            value = float(r["sla_value"])
        except (TypeError, ValueError):
            raise PackError(f"{where}: sla_value {r['sla_value']!r} is not a number") from None
        if not value >= 0:
            raise PackError(f"{where}: sla_value must be 0 or more")
        if unit != "hours" and not value.is_integer():
            raise PackError(f"{where}: a standard in {unit} counts whole days; write e.g. 5, not {r['sla_value']}")


def load_reference(con: duckdb.DuckDBPyConnection, city: str | None = None) -> Path:
    """Replace the reference tables with the city pack's files; return the pack folder."""
    pack = city_dir(city)
    for table, (file_name, columns, _required) in PACK_FILES.items():
        path = pack / file_name
        rows = _rows(path, columns)
        if table == "dim_service":
            _check_services(path, rows)
        if table == "dim_status" and sorted(r["status"] for r in rows) != sorted(STATUSES):
            raise PackError(f"{path}: needs exactly one row for each of {', '.join(STATUSES)}")
        cols = ", ".join(columns)
        con.execute(f"DELETE FROM {table}")  # table and columns come from PACK_FILES, never from input
        con.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )
    # the channel of a request whose file names none (an Open311 export): a product value, not a city's
    con.execute("INSERT INTO dim_channel (channel, name_id, name_en) SELECT $c, $i, $e "
                "WHERE NOT EXISTS (SELECT 1 FROM dim_channel WHERE channel = $c)",
                {"c": UNKNOWN_CHANNEL, "i": t("channel.unknown", "id"), "e": t("channel.unknown", "en")})
    write_units(con, city)
    settings = tomllib.loads((pack / "city.toml").read_text(encoding="utf-8"))
    city_settings(city)  # validates city.toml (PackError names what is wrong)
    con.execute("DELETE FROM settings")
    con.executemany("INSERT INTO settings VALUES (?, ?)", [[k, str(v)] for k, v in settings.items()])
    con.execute("INSERT OR REPLACE INTO settings VALUES ('city', ?)", [pack.name])
    n = con.execute("SELECT count(*) FROM dim_kecamatan").fetchone()[0]
    if n == 0:
        raise ValueError(f"{pack / 'kecamatan.csv'} has no kecamatan")
    return pack


def write_units(con: duckdb.DuckDBPyConnection, city: str | None = None) -> None:
    """dim_unit and dim_unit_scope from the pack's units.csv (base/units.py checks it; PackError names the rows)."""
    listed = units(city)
    owner = pack_responsibility(city)
    pack_name_keys(city)  # one name for two units is refused here, not at the first survey upload
    con.execute("DELETE FROM dim_unit")
    con.executemany("INSERT INTO dim_unit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [[u.unit_code, u.name_id, u.name_en, u.kind, u.kecamatan_code, "|".join(u.services) or None,
                      "|".join(u.channels) or None, "|".join(u.aliases) or None] for u in listed])
    rows = [(u.unit_code, k, s, c, answering is not None and answering.unit_code == u.unit_code)
            for (k, s, c), answering in owner.items() for u in listed if u.holds(k, s, c)]
    con.execute("DELETE FROM dim_unit_scope")
    con.execute("INSERT INTO dim_unit_scope SELECT unnest($u), unnest($k), unnest($s), unnest($c), unnest($r)",
                {"u": [r[0] for r in rows], "k": [r[1] for r in rows], "s": [r[2] for r in rows],
                 "c": [r[3] for r in rows], "r": [r[4] for r in rows]})


def calendar_range(con: duckdb.DuckDBPyConnection, today: date) -> tuple[date, date]:
    """From the first request to a year past the latest (this year and the next while there are none)."""
    first, last = con.execute("SELECT min(submitted_at)::DATE, max(submitted_at)::DATE "
                              "FROM fct_service_requests").fetchone()
    if first is None:
        first, last = date(today.year - 1, 1, 1), today
    return first, last + CALENDAR_AHEAD


def write_calendar(con: duckdb.DuckDBPyConnection, pack: Path, first: date, last: date, *,
                   keep_if_same: bool = False) -> bool:
    """dim_calendar for first..last and the deadlines (dim_deadline) it gives; True when a day already in the calendar
    changed (the pack's holidays.csv or the holidays package changed): every deadline must then be recomputed.

    keep_if_same (a load, where the services did not change): write nothing when the calendar is already exactly this
    one."""
    days = calendar(first, last, pack)
    con.execute("CREATE OR REPLACE TEMP TABLE new_calendar AS SELECT unnest($d)::DATE AS day, "
                "unnest($w)::BOOLEAN AS is_working_day, unnest($ni)::VARCHAR AS name_id, "
                "unnest($ne)::VARCHAR AS name_en, unnest($k)::VARCHAR AS kind",
                {"d": [d.day for d in days], "w": [d.is_working_day for d in days],
                 "ni": [d.name_id for d in days], "ne": [d.name_en for d in days], "k": [d.kind for d in days]})
    changed, same = con.execute(
        """SELECT EXISTS (SELECT day, is_working_day FROM dim_calendar WHERE day IN (SELECT day FROM new_calendar)
                          EXCEPT SELECT day, is_working_day FROM new_calendar),
                  NOT EXISTS (SELECT * FROM new_calendar EXCEPT SELECT day, is_working_day, name_id, name_en, kind
                                                                FROM dim_calendar)
                  AND (SELECT count(*) FROM new_calendar) = (SELECT count(*) FROM dim_calendar)
                  AND EXISTS (SELECT 1 FROM dim_deadline)""").fetchone()
    if same and keep_if_same:  # nothing to write: every day, its name and the deadlines are already there (most loads)
        con.execute("DROP TABLE new_calendar")
        return False
    con.execute("DELETE FROM dim_calendar")
    con.execute("""INSERT INTO dim_calendar
                   SELECT day, is_working_day, name_id, name_en, kind,
                          sum(is_working_day::INTEGER) OVER (ORDER BY day) AS working_day_no
                   FROM new_calendar ORDER BY day""")
    con.execute("DROP TABLE new_calendar")
    con.execute("DELETE FROM dim_deadline")
    con.execute(f"INSERT INTO dim_deadline {(SQL_DIR / 'deadlines.sql').read_text(encoding='utf-8')}")
    return bool(changed)


def refresh_calendar(con: duckdb.DuckDBPyConnection, today: date, city: str | None = None, *,
                     keep_if_same: bool = False) -> bool:
    """Extend (or rebuild) the calendar to cover the requests now in the database; see write_calendar()."""
    have = con.execute("SELECT min(day), max(day) FROM dim_calendar").fetchone()
    if have[0] is None:
        first, last = calendar_range(con, today)
    else:
        # The calendar only grows, so only requests outside what it covers can move its ends: those are read with a
        # range that DuckDB's zone maps keep to a few row groups, not a scan of every request.
        before, after = con.execute(
            "SELECT (SELECT min(submitted_at)::DATE FROM fct_service_requests WHERE submitted_at < $first), "
            "(SELECT max(submitted_at)::DATE FROM fct_service_requests WHERE submitted_at > $last)",
            {"first": have[0], "last": have[1] - CALENDAR_AHEAD}).fetchone()
        if before is None and after is None and not con.execute(
                "SELECT EXISTS (SELECT 1 FROM fct_service_requests)").fetchone()[0]:
            before, after = calendar_range(con, today)[0], calendar_range(con, today)[1] - CALENDAR_AHEAD
        first = min(before, have[0]) if before is not None else have[0]
        last = max(after + CALENDAR_AHEAD, have[1]) if after is not None else have[1]
    return write_calendar(con, city_dir(city), first, last, keep_if_same=keep_if_same)


def upgrade(con: duckdb.DuckDBPyConnection, today: date, city: str | None = None) -> bool:
    """Bring a database made by an older release to this release's schema (new tables and columns, the reference
    reloaded from the pack, the calendar, the views). Returns True when anything was missing."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
                                        "AND database_name = current_database()").fetchall()}
    service_cols = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = "
                                              "'dim_service' AND database_name = current_database()").fetchall()}
    if {"dim_calendar", "dim_deadline", "dim_status", "dim_unit_scope"} <= tables and "sla_unit" in service_cols:
        return False
    con.execute((SQL_DIR / "upgrade.sql").read_text(encoding="utf-8"))
    load_reference(con, city)
    refresh_calendar(con, today, city)
    write_views(con)
    return True


def refresh_outdated(db: Path) -> list[str]:
    """After an upgrade: bring the schema up to date and rebuild every mart (one atomic swap) if any mart is out of
    date; returns the outdated ones."""
    stale = outdated_marts_in(db)
    if stale:
        with write_transaction(db, refresh=False) as con:
            if outdated_marts(con):  # another process may have done it while this one waited for the lock
                upgrade(con, now_local().date())
                refresh_marts(con)
    return stale
