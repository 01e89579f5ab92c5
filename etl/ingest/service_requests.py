"""ETL layer: service-request uploads — lookups, staging SQL, validation and the write (append | upsert | replace)."""

from __future__ import annotations

import re

import duckdb

from base.settings import city_settings
from etl.ingest.mapping import REQUEST_FIELDS, REQUEST_REQUIRED, Mapping
from etl.ingest.read import run_script
from etl.ingest.result import Problem
from etl.ingest.sniff import Sniffed
from etl.reference import UNKNOWN_CHANNEL
from etl.store import SQL_DIR

STAGING_SQL = SQL_DIR / "staging" / "service_requests.sql"
MODES = ("upsert", "append", "replace")

def _key(text: str) -> str:
    """Python twin of the SQL macro ing_key, for building lookup keys."""
    s = re.sub(r"^(kecamatan|kec\.?)\s*", "", text.strip().lower())
    return re.sub(r"\s+", " ", s).strip()


def _alias_table(con: duckdb.DuckDBPyConnection, name: str, pairs: dict[str, str]) -> None:
    # one statement with list parameters: executemany costs a round trip per row
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS "
                "SELECT unnest($k)::VARCHAR AS key, unnest($c)::VARCHAR AS code",
                {"k": list(pairs), "c": list(pairs.values())})


def _unique(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Keys that point to exactly one code (an ambiguous short name is better unknown than wrong)."""
    seen: dict[str, set[str]] = {}
    for k, code in pairs:
        if k:
            seen.setdefault(k, set()).add(code)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def build_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Temp alias tables from the reference data in the database (the city pack), not from constants."""
    kec: list[tuple[str, str]] = []
    prefixes = [_key(p) for p in city_settings().kecamatan_name_prefixes]
    for code, name, bps in con.execute("SELECT kecamatan_code, name, bps_code FROM dim_kecamatan").fetchall():
        kec += [(_key(code), code), (code.replace(".", ""), code), (_key(str(bps)), code), (_key(name), code)]
        # the name without the pack's prefix (city.toml kecamatan_name_prefixes); dropped if ambiguous
        for prefix in prefixes:
            if _key(name).startswith(prefix + " "):
                kec.append((_key(name)[len(prefix) + 1:], code))
    _alias_table(con, "ing_kecamatan_alias", _unique(kec))
    svc: list[tuple[str, str]] = []
    for code, name_id, name_en in con.execute("SELECT service_code, name_id, name_en FROM dim_service").fetchall():
        svc += [(_key(code), code), (_key(name_id), code), (_key(name_en), code)]
        for name in (name_id, name_en):  # 'Kartu Identitas Anak (KIA)' -> also 'kartu identitas anak' and 'kia'
            m = re.match(r"^(.*?)\s*\((.*)\)\s*$", name)
            if m:
                svc += [(_key(m.group(1)), code), (_key(m.group(2)), code)]
    _alias_table(con, "ing_service_alias", _unique(svc))
    for table, key, name in (("dim_channel", "channel", "ing_channel_alias"),
                             ("dim_status", "status", "ing_status_alias")):
        pairs: list[tuple[str, str]] = []
        # table and key come from this tuple, never from input; the aliases column is the pack's (channels.csv,
        # statuses.csv): other spellings separated by '|'
        for code, name_id, name_en, aliases in con.execute(
                f"SELECT {key}, name_id, name_en, aliases FROM {table}").fetchall():
            pairs += [(_key(code), code), (_key(name_id), code), (_key(name_en), code),
                      (_key(code.replace("_", " ")), code)]
            pairs += [(_key(a), code) for a in (aliases or "").split("|") if a.strip()]
        _alias_table(con, name, _unique(pairs))


def uses_extra_columns(_header: str) -> bool:
    return False


def column_label(field: str, m: Mapping, header: list[str]) -> str:
    """The file's own name for a field's column, so the analyst finds it."""
    i = m.fields.get(field)
    return header[i] if i is not None else field


def missing_required(_con: duckdb.DuckDBPyConnection, m: Mapping, _header: list[str], _options: dict) -> list[Problem]:
    return [Problem("missing_column", values={"field": f, "aliases": ", ".join(REQUEST_FIELDS[f][:6])})
            for f in REQUEST_REQUIRED if f not in m.fields]


def date_order(con: duckdb.DuckDBPyConnection, column: str) -> str | None:
    """How the file writes dates (shown in the preview): ISO, day first, or Excel serial numbers."""
    row = con.execute(
        f"""SELECT CASE WHEN regexp_matches(v, '^\\d{{4}}-\\d\\d-\\d\\d') THEN 'YYYY-MM-DD'
                        WHEN regexp_matches(v, '^\\d\\d?/\\d\\d?/\\d{{4}}') THEN 'DD/MM/YYYY'
                        WHEN regexp_matches(v, '^\\d\\d?-\\d\\d?-\\d{{4}}') THEN 'DD-MM-YYYY'
                        WHEN regexp_matches(v, '^\\d{{5}}(\\.\\d+)?$') THEN 'Excel serial'
                        ELSE NULL END AS fmt, count(*) AS n
            FROM (SELECT trim({column}) AS v FROM ing_raw WHERE {column} IS NOT NULL LIMIT 1000)
            GROUP BY fmt ORDER BY n DESC, fmt LIMIT 1"""
    ).fetchone()
    return row[0] if row else None


def stage(con: duckdb.DuckDBPyConnection, m: Mapping, s: Sniffed, *, now: object, append: bool,
          options: dict) -> dict:
    """Run the staging + validation SQL: creates stg_service_requests, ing_errors, ing_repeats."""
    build_lookups(con)
    cols = columns(m)
    kept = [f"c{i + 1}" for i in range(len(s.header)) if i not in m.dropped]
    # DuckDB reads an empty field as NULL, so one coalesce finds rows with any content (cheaper than trims)
    cols["not_empty"] = f"coalesce({', '.join(kept)}) IS NOT NULL" if kept else "false"
    run_script(con, STAGING_SQL.read_text(encoding="utf-8").format(**cols), {"now": now, "append": append})
    rows_read, repeats, open_done = con.execute(
        "SELECT (SELECT count(*) FROM stg_service_requests), (SELECT count(*) FROM ing_repeats), "
        "(SELECT count(*) FROM stg_service_requests WHERE completed_given IS NOT NULL AND ing_open_status(status))"
    ).fetchone()
    warnings = []
    if repeats:
        warnings.append(Problem("duplicate_rows", values={"n": repeats}, kind="warning"))
    if open_done:
        warnings.append(Problem("completion_of_open", values={"n": open_done}, kind="warning"))
    return {"rows_read": rows_read, "repeats": repeats, "warnings": warnings + fast_warnings(m),
            "date_order": date_order(con, m.col("submitted_at"))}


def columns(m: Mapping, table: str = "") -> dict[str, str]:
    """The SQL of each field's column (c1..cN or NULL, after `table.` if given); the service is its code or, where
    that is empty, its name."""
    cols = {f: m.col(f, table) for f in REQUEST_FIELDS}
    if "service_name" in m.fields:
        cols["service_code"] = f"coalesce({cols['service_code']}, {cols['service_name']})"
    return cols


def _save_replaced(con: duckdb.DuckDBPyConnection, load_id: int, mode: str, new_ids: str, older: str) -> None:
    """Before-images into undo_service_requests, then out of the facts: every older row for a replace, the older
    rows of the ids in `new_ids` (a query) for an upsert. `older` selects the fact rows that are not this load's."""
    if mode == "replace":
        con.execute(f"INSERT INTO undo_service_requests SELECT *, $id FROM fct_service_requests WHERE {older}",
                    {"id": load_id})
        con.execute(f"DELETE FROM fct_service_requests WHERE {older}", {"id": load_id} if "$id" in older else {})
    elif mode == "upsert":
        con.execute(
            f"""
            INSERT INTO undo_service_requests
            SELECT f.*, $id FROM fct_service_requests AS f WHERE {older} AND f.request_id IN ({new_ids})
            """,
            {"id": load_id},
        )
        if con.execute("SELECT count(*) FROM undo_service_requests WHERE undo_load_id = $id",
                       {"id": load_id}).fetchall()[0][0]:
            con.execute(f"DELETE FROM fct_service_requests WHERE {older} AND request_id IN "
                        "(SELECT request_id FROM undo_service_requests WHERE undo_load_id = $id)", {"id": load_id})


def fast_warnings(m: Mapping) -> list[Problem]:
    """Warnings that depend on the mapping alone (both paths give them)."""
    return ([Problem("status_derived", kind="warning")] if "status" not in m.fields else []) + (
        [Problem("channel_unknown", kind="warning")] if "channel" not in m.fields else [])


def write(con: duckdb.DuckDBPyConnection, load_id: int, mode: str) -> int:
    """Insert the valid rows; save before-images of rows replaced or updated so rollback can restore them."""
    clean = con.execute("SELECT (SELECT count(*) FROM ing_errors) + (SELECT count(*) FROM ing_repeats)").fetchall()
    # the common case (no bad rows) reads staging directly instead of materialising a filtered copy
    good = ("stg_service_requests" if clean[0][0] == 0 else
            "(SELECT * FROM stg_service_requests WHERE rn NOT IN (SELECT rn FROM ing_errors) "
            "AND rn NOT IN (SELECT rn FROM ing_repeats))")
    if con.execute(f"SELECT count(*) FROM {good}").fetchall()[0][0] == 0:
        return 0  # nothing valid: touch nothing (a replace must not empty the table)
    _save_replaced(con, load_id, mode, f"SELECT request_id FROM {good}", "true")
    # file order is kept (extracts come in time order), so zone maps on submitted_at stay useful without a sort
    n = con.execute(
        f"""
        INSERT INTO fct_service_requests
        SELECT request_id, service_code, kecamatan_code, channel, submitted_at, completed_at, status, lat, lon, $id
        FROM {good}
        """,
        {"id": load_id},
    ).fetchall()[0][0]
    return int(n)


# --- the fast path: one pass from the file straight into the facts --------------------------------------------------
# Far in the future: what a completion time the full path would not load becomes, so the check below sends the file
# there (it names the problem, or gives its warning).
NOT_LOADED = "TIMESTAMP '9999-12-31 00:00:00'"
# What the time in the completion column of a request still open becomes, until it is cleared and counted (the
# full path's completion_of_open warning): Open311's updated_datetime is in every row, so this is common.
OPEN_GIVEN = "TIMESTAMP '9999-12-30 00:00:00'"
# The dimension fields and the alias table that resolves each (build_lookups).
RESOLVED = (("service_code", "ing_service_alias"), ("kecamatan_code", "ing_kecamatan_alias"),
            ("channel", "ing_channel_alias"), ("status", "ing_status_alias"))


def _sample_maps(con: duckdb.DuckDBPyConnection, cols: dict[str, str]) -> dict[str, object] | None:
    """For each resolved field, each spelling of the file's first rows (ing_raw, the sample) and the code the full
    path resolves it to — the same lookup as the staging SQL's — with every code as itself: query parameters
    `<field>_k` and `<field>_v` for a MAP. None when a spelling or a time of the sample resolves to nothing (the file
    has errors: the full path names them)."""
    params: dict[str, object] = {}
    for field, table in RESOLVED:
        pairs = con.execute(f"""SELECT d.v, a.code
                                FROM (SELECT DISTINCT {cols[field]}::VARCHAR AS v FROM ing_raw
                                      UNION SELECT code FROM {table} WHERE key = ing_key(code)) AS d
                                LEFT JOIN {table} AS a ON a.key = ing_key(d.v)
                                WHERE d.v IS NOT NULL""").fetchall()
        if any(code is None for _, code in pairs):
            return None
        params[f"{field}_k"], params[f"{field}_v"] = [v for v, _ in pairs], [code for _, code in pairs]
    bad_times = con.execute(
        f"""SELECT count(*) FILTER (WHERE (s IS NOT NULL AND ing_ts(s) IS NULL)
                                    OR (c IS NOT NULL AND ing_ts(c) IS NULL))
            FROM (SELECT {cols['submitted_at']}::VARCHAR AS s, {cols['completed_at']}::VARCHAR AS c FROM ing_raw)"""
    ).fetchone()[0]
    return None if bad_times else params


def fast_write(con: duckdb.DuckDBPyConnection, s: Sniffed, m: Mapping, load_id: int, mode: str, *,
               now: object) -> tuple[int, list[Problem]] | None:
    """Load the file in one pass straight into the facts: the rows written and the row-level warnings; None (nothing
    written) when the full path must run.

    The pass reads every column as text with DuckDB's CSV reader (quotes, CRLF, any delimiter) and converts each
    value exactly as the staging SQL does: codes or names through the spellings of the file's first rows (a
    spelling seen later only there sends the file to the full path), timestamps by ing_ts (ISO or day-first dates,
    offsets and 'Z' to the city's time), numbers by ing_num. Inside a transaction, one check then finds anything the
    full path would reject, skip or warn about row by row (a repeated id, a completion before submission, an open
    request with a completion time…); if there is any, or the reader rejected a record, it rolls back and the full
    path runs, which explains every error. So what is loaded is exactly what the full path loads
    (tests/test_ingest_fast.py compares both on every corpus file and its variants).
    """
    build_lookups(con)
    cols = columns(m)
    maps = _sample_maps(con, cols)
    if maps is None:
        return None
    raw = columns(m, "r")
    # a spelling's code by MAP lookup, not a join: DuckDB may build a join's hash table on the file's side
    code = {f: f"map_extract_value(MAP(${f}_k, ${f}_v), {raw[f]})" for f, _ in RESOLVED}
    kept = [f"r.c{i + 1}" for i in range(len(s.header)) if i not in m.dropped]
    status = (f"CASE WHEN {raw['status']} IS NULL THEN (CASE WHEN {raw['completed_at']} IS NULL THEN 'open' "
              f"ELSE 'completed' END) ELSE {code['status']} END")
    con.execute("DROP TABLE IF EXISTS ing_fast_rejects")
    con.execute("DROP TABLE IF EXISTS ing_fast_scans")
    # The facts keep no order (the marts are sorted): letting DuckDB's parallel reader append its chunks as they come
    # makes this insert faster (measured in benchmarks/README.md, ingest).
    con.execute("SET preserve_insertion_order = false")
    con.execute("BEGIN TRANSACTION")
    try:
        n = con.execute(
            f"""
            INSERT INTO fct_service_requests
            SELECT nullif(trim({raw['request_id']}), ''), {code['service_code']}, {code['kecamatan_code']},
                   CASE WHEN {raw['channel']} IS NULL THEN '{UNKNOWN_CHANNEL}' ELSE {code['channel']} END,
                   ing_ts({raw['submitted_at']}),
                   CASE WHEN {raw['completed_at']} IS NULL THEN NULL
                        WHEN ing_open_status({status}) THEN {OPEN_GIVEN}
                        ELSE coalesce(ing_ts({raw['completed_at']}), {NOT_LOADED}) END,
                   {status},
                   CASE WHEN {raw['lat']} IS NULL THEN NULL ELSE coalesce(ing_num({raw['lat']}), 1e9) END,
                   CASE WHEN {raw['lon']} IS NULL THEN NULL ELSE coalesce(ing_num({raw['lon']}), 1e9) END,
                   $id
            FROM read_csv($path, delim = $delim, quote = '"', escape = '"', header = true, auto_detect = false,
                          all_varchar = true, columns = $columns, strict_mode = true, null_padding = false,
                          store_rejects = true, rejects_table = 'ing_fast_rejects', rejects_scan = 'ing_fast_scans')
                 AS r
            -- no max_line_size: a larger one makes DuckDB keep the rows in memory until the checkpoint, which is
            -- slower; a longer line fails here and the full path reads it
            WHERE {f"coalesce({', '.join(kept)}) IS NOT NULL" if kept else "false"}
            """,
            {"path": str(s.path), "delim": s.delimiter, "id": load_id,
             "columns": {f"c{i + 1}": "VARCHAR" for i in range(len(s.header))}, **maps},
        ).fetchall()[0][0]
        # a missing or unresolved service, kecamatan, channel, status or submission failed the NOT NULL constraints
        bad = con.execute(
            f"""
            SELECT (SELECT count(*) FROM ing_fast_rejects) > 0 OR count(*) = 0
                OR count(*) FILTER (WHERE request_id IS NULL
                    OR submitted_at > $now OR (completed_at > $now AND completed_at <> {OPEN_GIVEN})
                    OR completed_at < submitted_at
                    OR (status = 'completed' AND completed_at IS NULL)
                    OR abs(lat) > 90 OR abs(lon) > 180) > 0
                -- a repeated id (hashes: a collision only sends the file to the full path, which counts exactly)
                OR count(DISTINCT hash(request_id)) < count(*)
            FROM fct_service_requests WHERE load_id = $id
            """,
            {"id": load_id, "now": now},
        ).fetchone()[0]
        if not bad and mode == "append":  # an id loaded before is an error on the full path
            bad = con.execute(
                """
                SELECT EXISTS (SELECT 1 FROM fct_service_requests
                               WHERE load_id <> $id
                                 AND request_id IN (SELECT request_id FROM fct_service_requests WHERE load_id = $id))
                """,
                {"id": load_id},
            ).fetchone()[0]
        if bad:
            con.execute("ROLLBACK")
            return None
        open_done = con.execute(
            f"UPDATE fct_service_requests SET completed_at = NULL WHERE load_id = $id AND completed_at = {OPEN_GIVEN}",
            {"id": load_id}).fetchone()[0]
        _save_replaced(con, load_id, mode, "SELECT request_id FROM fct_service_requests WHERE load_id = $id",
                       "load_id <> $id")
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        return None
    finally:
        con.execute("SET preserve_insertion_order = true")
    return int(n), [Problem("completion_of_open", values={"n": open_done}, kind="warning")] if open_done else []


FIELDS = REQUEST_FIELDS
REFRESH_MARTS = True  # the request marts are derived from fct_service_requests
