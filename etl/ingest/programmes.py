"""ETL layer: master-plan uploads (dataset `programmes`) — one row per smart-city programme and reporting period."""

from __future__ import annotations

import duckdb

from base.smartcity import aliases
from etl.ingest.mapping import Mapping
from etl.ingest.result import Problem
from etl.ingest.sniff import Sniffed
from etl.store import SQL_DIR

# Canonical field -> accepted header names (after mapping.norm_header), best first: English, then Indonesian.
FIELDS: dict[str, tuple[str, ...]] = {
    "programme_id": ("programme_id", "program_id", "id_program", "kode_program", "kode", "id", "no_program"),
    "name": ("name", "programme", "program", "nama_program", "nama_kegiatan", "kegiatan", "programme_name"),
    "pillar": ("pillar", "pilar", "dimensi", "dimension", "smart_pillar"),
    "kind": ("kind", "jenis", "jenis_program", "type", "tipe", "kategori_program"),
    "agency": ("agency", "perangkat_daerah", "opd", "skpd", "dinas", "instansi", "penanggung_jawab"),
    "indicator": ("indicator", "indikator", "indikator_kinerja", "kpi"),
    "unit": ("unit", "satuan"),
    "baseline_value": ("baseline_value", "baseline", "nilai_awal", "nilai_baseline", "kondisi_awal"),
    "baseline_year": ("baseline_year", "tahun_awal", "tahun_baseline", "tahun_dasar"),
    "target_value": ("target_value", "target", "nilai_target", "target_akhir"),
    "target_year": ("target_year", "tahun_target", "tahun_akhir", "target_tahun"),
    "realised_value": ("realised_value", "realized_value", "realised", "realized", "realisasi", "capaian",
                       "nilai_realisasi"),
    "period": ("period", "periode", "reporting_period", "tanggal_laporan", "periode_laporan", "tanggal"),
    "note": ("note", "notes", "keterangan", "catatan"),
    "source": ("source", "sumber", "sumber_data"),
}
REQUIRED = ("programme_id", "name", "pillar", "kind", "indicator", "baseline_value", "baseline_year", "target_value",
            "target_year", "realised_value", "period")
MODES = ("upsert", "append", "replace")  # upsert: a report for a loaded programme x period replaces it
REFRESH_MARTS = False  # no request mart reads the master plan
NUMBERS = ("baseline_value", "target_value", "realised_value")


def uses_extra_columns(_header: str) -> bool:
    return False  # every column the mapping leaves out is reported as ignored


def column_label(field: str, m: Mapping, header: list[str]) -> str:
    i = m.fields.get(field)
    return header[i] if i is not None and header[i] else field


def _merged_header(header: list[str]) -> list[int]:
    """1-based positions of empty header cells between named ones: what a spreadsheet's merged header cells give
    (the name stands in the first cell only)."""
    named = [i for i, h in enumerate(header) if h.strip()]
    if not named:
        return []
    return [i + 1 for i in range(named[0], named[-1] + 1) if not header[i].strip()]


def _letter(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def missing_required(_con: duckdb.DuckDBPyConnection, m: Mapping, header: list[str],
                     _options: dict) -> list[Problem]:
    missing = [f for f in REQUIRED if f not in m.fields]
    if not missing:
        return []
    gaps = _merged_header(header)
    if gaps:  # name the cause, not only its effect
        return [Problem("merged_header", 1, None, {"columns": ", ".join(_letter(i) for i in gaps)})]
    return [Problem("missing_column", None, None, {"field": f, "aliases": ", ".join(FIELDS[f][:5])})
            for f in missing]


def _table_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'fct_programmes' "
                            "AND database_name = current_database() AND NOT temporary").fetchone()[0])


def _clean(col: str) -> str:
    return f"nullif(trim({col}), '')"


def _lookup(con: duckdb.DuckDBPyConnection, name: str, part: str) -> None:
    words = aliases(part)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT unnest($k)::VARCHAR AS k, unnest($v)::VARCHAR AS v",
                {"k": list(words), "v": list(words.values())})


def stage(con: duckdb.DuckDBPyConnection, m: Mapping, s: Sniffed, *, now: object, append: bool,
          options: dict) -> dict:
    """Creates stg_programmes (rn, typed fields and their raw text), ing_errors and ing_repeats."""
    con.execute((SQL_DIR / "staging" / "programmes.sql").read_text(encoding="utf-8"))
    _lookup(con, "ing_pillar_words", "pillars")
    _lookup(con, "ing_kind_words", "kinds")
    kept = [f"c{i + 1}" for i in range(len(s.header)) if i not in m.dropped]
    not_empty = " OR ".join(f"{_clean(c)} IS NOT NULL" for c in kept) or "false"
    raw = ", ".join(f"{_clean(m.col(f))} AS {f}_raw" for f in FIELDS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE stg_programmes_raw AS SELECT rowid AS rn, {raw} FROM ing_raw "
                f"WHERE {not_empty}")
    # '1.500' is 1500 in a file that writes decimals with a comma (Indonesian), and 1.5 otherwise (as tourism does)
    values = " UNION ALL ".join(f"SELECT {f}_raw AS v FROM stg_programmes_raw" for f in NUMBERS)
    decimal_comma = con.execute(
        f"SELECT count(*) FILTER (WHERE regexp_matches(v, '^\\s*-?\\d[\\d.]*,\\d+\\s*$')) > 0 "
        f"AND count(*) FILTER (WHERE regexp_matches(v, '^\\s*-?\\d+\\.\\d{{1,2}}\\s*$')) = 0 FROM ({values})"
    ).fetchone()[0]
    num = "ing_num_dc" if decimal_comma else "ing_num"
    # words are compared as base.smartcity.alias_key does: lower case, letters and digits only
    key = "regexp_replace(lower({}), '[^0-9a-z]+', '', 'g')"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stg_programmes AS
        SELECT r.*, r.programme_id_raw AS programme_id, r.name_raw AS name, pw.v AS pillar, kw.v AS kind,
               r.agency_raw AS agency, r.indicator_raw AS indicator, r.unit_raw AS unit,
               {num}(r.baseline_value_raw) AS baseline_value, prg_year(r.baseline_year_raw) AS baseline_year,
               {num}(r.target_value_raw) AS target_value, prg_year(r.target_year_raw) AS target_year,
               {num}(r.realised_value_raw) AS realised_value, prg_period(r.period_raw) AS period,
               r.note_raw AS note, coalesce(r.source_raw, $source) AS source
        FROM stg_programmes_raw AS r
        LEFT JOIN ing_pillar_words AS pw ON pw.k = {key.format('r.pillar_raw')}
        LEFT JOIN ing_kind_words AS kw ON kw.k = {key.format('r.kind_raw')}
        """,
        {"source": f"upload: {options.get('file_name', '')}"},
    )
    loaded = ("fct_programmes" if _table_exists(con)
              else "(SELECT NULL::VARCHAR AS programme_id, NULL::DATE AS period WHERE false)")
    required = " UNION ALL ".join(
        f"SELECT rn, '{f}' AS field, 'missing_value' AS code, NULL AS value, NULL::BIGINT AS other_rn "
        f"FROM stg_programmes WHERE {f}_raw IS NULL" for f in REQUIRED)
    numbers = " UNION ALL ".join(
        f"SELECT rn, '{f}', 'bad_value', {f}_raw, NULL FROM stg_programmes WHERE {f}_raw IS NOT NULL AND {f} IS NULL"
        for f in NUMBERS)
    years = " UNION ALL ".join(
        f"SELECT rn, '{f}', 'bad_year', {f}_raw, NULL FROM stg_programmes WHERE {f}_raw IS NOT NULL AND {f} IS NULL"
        for f in ("baseline_year", "target_year"))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ing_errors AS
        WITH keyed AS (
            SELECT rn, programme_id, period, pillar,
                   min(rn) OVER (PARTITION BY programme_id, period) AS first_rn,
                   max(rn) OVER (PARTITION BY programme_id, period) AS last_rn,
                   count(*) OVER (PARTITION BY programme_id, period) AS n,
                   count(DISTINCT pillar) OVER (PARTITION BY programme_id) AS pillars,
                   min(rn) OVER (PARTITION BY programme_id) AS programme_first_rn
            FROM stg_programmes WHERE programme_id IS NOT NULL AND period IS NOT NULL AND pillar IS NOT NULL
        )
        {required}
        UNION ALL {numbers}
        UNION ALL {years}
        UNION ALL
        SELECT rn, 'pillar', 'unknown_pillar', pillar_raw, NULL FROM stg_programmes
        WHERE pillar_raw IS NOT NULL AND pillar IS NULL
        UNION ALL
        SELECT rn, 'kind', 'unknown_kind', kind_raw, NULL FROM stg_programmes
        WHERE kind_raw IS NOT NULL AND kind IS NULL
        UNION ALL
        SELECT rn, 'period', 'bad_programme_period', period_raw, NULL FROM stg_programmes
        WHERE period_raw IS NOT NULL AND period IS NULL
        UNION ALL
        SELECT rn, 'period', 'future_period', period_raw, NULL FROM stg_programmes WHERE period > $today
        UNION ALL
        SELECT rn, 'target_year', 'target_not_after_baseline', target_year_raw, NULL FROM stg_programmes
        WHERE target_year <= baseline_year
        UNION ALL
        SELECT rn, 'target_value', 'target_equals_baseline', target_value_raw, NULL FROM stg_programmes
        WHERE target_value = baseline_value
        UNION ALL
        SELECT rn, 'period', 'programme_period_conflict', programme_id || ' / ' || strftime(period, '%Y-%m-%d'),
               CASE WHEN rn = first_rn THEN last_rn ELSE first_rn END
        FROM keyed WHERE n > 1
        UNION ALL
        SELECT rn, 'pillar', 'programme_pillar_conflict', programme_id, programme_first_rn
        FROM keyed WHERE pillars > 1 AND rn <> programme_first_rn
        UNION ALL
        SELECT rn, 'period', 'programme_already_loaded', programme_id || ' / ' || strftime(period, '%Y-%m-%d'), NULL
        FROM keyed WHERE $append AND (programme_id, period) IN (SELECT (programme_id, period) FROM {loaded})
        """,
        {"today": now.date() if hasattr(now, "date") else now, "append": append},
    )
    con.execute("CREATE OR REPLACE TEMP TABLE ing_repeats AS SELECT rn FROM stg_programmes WHERE false")
    warnings: list[Problem] = []
    if "agency" not in m.fields:
        warnings.append(Problem("no_agency", kind="warning"))
    rows_read = con.execute("SELECT count(*) FROM stg_programmes").fetchone()[0]
    return {"rows_read": rows_read, "repeats": 0, "warnings": warnings, "layout": None, "date_order": None}


COLUMNS = ("programme_id, name, pillar, kind, agency, indicator, unit, baseline_value, baseline_year, target_value, "
           "target_year, realised_value, period, note, source")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """fct_programmes, undo_programmes and the view programme_status (etl/sql/programmes.sql; idempotent)."""
    con.execute((SQL_DIR / "programmes.sql").read_text(encoding="utf-8"))


def write(con: duckdb.DuckDBPyConnection, load_id: int, mode: str) -> int:
    ensure_tables(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE ing_good AS SELECT {COLUMNS} FROM stg_programmes "
                "WHERE rn NOT IN (SELECT rn FROM ing_errors)")
    n = int(con.execute("SELECT count(*) FROM ing_good").fetchone()[0])
    if n == 0:
        return 0  # nothing valid: touch nothing (a replace must not empty the table)
    if mode == "replace":
        con.execute("INSERT INTO undo_programmes SELECT *, $id FROM fct_programmes", {"id": load_id})
        con.execute("DELETE FROM fct_programmes")
    elif mode == "upsert":
        con.execute("INSERT INTO undo_programmes SELECT f.*, $id FROM fct_programmes AS f "
                    "WHERE (programme_id, period) IN (SELECT (programme_id, period) FROM ing_good)", {"id": load_id})
        con.execute("DELETE FROM fct_programmes "
                    "WHERE (programme_id, period) IN (SELECT (programme_id, period) FROM ing_good)")
    con.execute(f"INSERT INTO fct_programmes SELECT {COLUMNS}, $id FROM ing_good ORDER BY programme_id, period",
                {"id": load_id})
    return n


def fast_write(_con: duckdb.DuckDBPyConnection, _s: Sniffed, _m: Mapping, _load_id: int, _mode: str, *,
               now: object) -> int | None:
    """Master plans are a few hundred rows: always the full path."""
    return None


def fast_warnings(_m: Mapping) -> list[Problem]:
    return []


def date_order(_con: duckdb.DuckDBPyConnection, _column: str) -> str | None:
    return None  # periods are read by prg_period in each of their forms
