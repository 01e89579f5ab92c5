"""ETL layer: tourism uploads — long, wide and BPS table layouts to one monthly series per indicator and area."""

from __future__ import annotations

import re

import duckdb

from base.settings import city_settings
from etl.ingest.mapping import TOURISM_FIELDS, TOURISM_REQUIRED, Mapping
from etl.ingest.result import Problem
from etl.ingest.sniff import Sniffed

FIELDS = TOURISM_FIELDS
MODES = ("upsert", "append", "replace")
REFRESH_MARTS = False  # no mart reads tourism_monthly
MISSING_CELLS = ("-", "–", "..", "...", "na", "n/a", "x", "")
# A BPS table names its indicator only in its title; the file name usually carries it.
INDICATOR_HINTS = (("wisnus", "wisnus_trips"), ("wisman", "wisman_visits"), ("tpk", "tpk_star_hotels_pct"),
                   ("hotel", "tpk_star_hotels_pct"), ("occupancy", "tpk_star_hotels_pct"))


def uses_extra_columns(_header: str) -> bool:
    return True  # wide and BPS layouts use every other column; stage() reports what it ignored


def _month_columns(con: duckdb.DuckDBPyConnection, header: list[str]) -> dict[int, object]:
    if not header:
        return {}
    rows = con.execute("SELECT i, ing_period(h) FROM (SELECT unnest($h) AS h, generate_subscripts($h, 1) AS i)",
                       {"h": header}).fetchall()
    return {i - 1: p for i, p in rows if p is not None}


def layout(con: duckdb.DuckDBPyConnection, m: Mapping, header: list[str]) -> str | None:
    if len(_month_columns(con, header)) >= 2:
        return "bps"
    if all(f in m.fields for f in ("indicator", "period", "value")):
        return "long"
    if "period" in m.fields:
        return "wide"
    return None


def _indicator_from_name(file_name: str) -> str | None:
    low = file_name.lower()
    return next((ind for hint, ind in INDICATOR_HINTS if hint in low), None)


def missing_required(con: duckdb.DuckDBPyConnection, m: Mapping, header: list[str], options: dict) -> list[Problem]:
    kind = layout(con, m, header)
    if kind is None:
        return [Problem("no_layout")]
    if kind == "bps" and not (options.get("indicator") or _indicator_from_name(options.get("file_name", ""))):
        return [Problem("no_indicator")]
    return []


def column_label(field: str, m: Mapping, header: list[str]) -> str:
    if re.fullmatch(r"c\d+", field):
        return header[int(field[1:]) - 1] or field
    i = m.fields.get(field)
    return header[i] if i is not None else field


def _columns(con: duckdb.DuckDBPyConnection, idx: list[int], indicators: list, periods: list) -> None:
    """ing_columns(col_idx, indicator, period): what each wide / BPS column holds (values bound, never formatted)."""
    con.execute("CREATE OR REPLACE TEMP TABLE ing_columns AS SELECT unnest($i)::INTEGER AS col_idx, "
                "unnest($n)::VARCHAR AS indicator, unnest($p)::DATE AS period",
                {"i": idx, "n": indicators, "p": periods})


def _clean(col: str) -> str:
    return f"nullif(trim({col}), '')"


def stage(con: duckdb.DuckDBPyConnection, m: Mapping, s: Sniffed, *, now: object, append: bool,
          options: dict) -> dict:
    """Creates stg_tourism (rn, col_idx, indicator, area, period, value, …), ing_errors, ing_repeats."""
    header = s.header
    kind = layout(con, m, header)
    warnings: list[Problem] = []
    area_default = city_settings().tourism_area
    kept = [f"c{i + 1}" for i in range(len(header)) if i not in m.dropped]
    not_empty = " OR ".join(f"{_clean(c)} IS NOT NULL" for c in kept) or "false"
    _columns(con, [], [], [])
    parts: list[str] = []
    if kind == "long":
        parts.append(
            f"""SELECT rowid AS rn, {m.fields['value'] + 1} AS col_idx, {_clean(m.col('indicator'))} AS indicator_raw,
                       {_clean(m.col('area'))} AS area_raw, {_clean(m.col('period'))} AS period_raw,
                       NULL::DATE AS period_col, {_clean(m.col('value'))} AS value_raw,
                       {_clean(m.col('unit'))} AS unit_raw, {_clean(m.col('source'))} AS source_raw
                FROM ing_raw WHERE {not_empty}""")
        used = set(m.fields.values()) | set(m.dropped)
        warnings += [Problem("ignored_column", column=h, kind="warning")
                     for i, h in enumerate(header) if i not in used and h.strip()]
    elif kind == "wide":
        fixed = {m.fields.get(f) for f in ("period", "area", "unit", "source")} | set(m.dropped)
        cols = [i for i, h in enumerate(header) if i not in fixed and h.strip()]
        _columns(con, [i + 1 for i in cols], [header[i] for i in cols], [None] * len(cols))
        for i in cols:
            parts.append(
                f"""SELECT rowid AS rn, {i + 1} AS col_idx, NULL AS indicator_raw, {_clean(m.col('area'))} AS area_raw,
                           {_clean(m.col('period'))} AS period_raw, NULL::DATE AS period_col,
                           {_clean(f'c{i + 1}')} AS value_raw, {_clean(m.col('unit'))} AS unit_raw,
                           {_clean(m.col('source'))} AS source_raw
                    FROM ing_raw WHERE {not_empty}""")
    else:  # bps: areas as rows, months as columns
        months = _month_columns(con, header)
        area_idx = next(i for i in range(len(header)) if i not in months and i not in m.dropped)
        indicator = options.get("indicator") or _indicator_from_name(options.get("file_name", ""))
        _columns(con, [i + 1 for i in sorted(months)], [indicator] * len(months), [months[i] for i in sorted(months)])
        for i in sorted(months):
            parts.append(
                f"""SELECT rowid AS rn, {i + 1} AS col_idx, NULL AS indicator_raw,
                           {_clean(f'c{area_idx + 1}')} AS area_raw,
                           NULL AS period_raw, NULL::DATE AS period_col, {_clean(f'c{i + 1}')} AS value_raw,
                           NULL AS unit_raw, NULL AS source_raw
                    FROM ing_raw WHERE {not_empty}""")
    rows_read = con.execute(f"SELECT count(*) FROM ing_raw WHERE {not_empty}").fetchone()[0]
    # '21.345' is 21345 in a file that writes decimals with a comma (Indonesian), and 21.345 otherwise
    decimal_comma = con.execute(
        f"SELECT count(*) FILTER (WHERE regexp_matches(v, '^\\s*-?\\d[\\d.]*,\\d+\\s*$')) > 0 "
        f"AND count(*) FILTER (WHERE regexp_matches(v, '^\\s*-?\\d+\\.\\d{{1,2}}\\s*$')) = 0 "
        f"FROM (SELECT value_raw AS v FROM ({' UNION ALL '.join(parts)}) LIMIT 100000)"
    ).fetchall()[0][0]
    num = "ing_num_dc" if decimal_comma else "ing_num"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stg_tourism_cells AS
        SELECT c.rn, c.col_idx,
               coalesce(c.indicator_raw, k.indicator) AS indicator_raw,
               lower(regexp_replace(trim(coalesce(c.indicator_raw, k.indicator)), '[^0-9A-Za-z]+', '_', 'g'))
                   AS indicator,
               c.area_raw, c.period_raw, coalesce(k.period, ing_period(c.period_raw)) AS period,
               c.value_raw, {num}(c.value_raw) AS value, c.unit_raw, c.source_raw
        FROM ({' UNION ALL '.join(parts)}) AS c LEFT JOIN ing_columns AS k USING (col_idx)
        """
    )
    missing = 0
    if kind != "long":  # '-' in a BPS table means "no figure", not an error
        missing = con.execute("SELECT count(*) FROM stg_tourism_cells WHERE value_raw IS NULL "
                              "OR lower(value_raw) IN (SELECT unnest($m))", {"m": list(MISSING_CELLS)}).fetchone()[0]
        con.execute("DELETE FROM stg_tourism_cells WHERE value_raw IS NULL OR lower(value_raw) IN (SELECT unnest($m))",
                    {"m": list(MISSING_CELLS)})
        if missing:
            warnings.append(Problem("missing_cells", values={"n": missing}, kind="warning"))
    if "area" not in m.fields and kind != "bps":
        warnings.append(Problem("area_default", values={"area": area_default}, kind="warning"))
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE stg_tourism AS
        WITH a AS (SELECT *, regexp_replace(area_raw, '\\s*\\(\\d+\\)\\s*$', '') AS area_clean FROM stg_tourism_cells)
        SELECT a.*,
               CASE WHEN area_clean IS NULL THEN $area
                    WHEN upper(area_clean) IN (upper($area),
                                               upper(regexp_replace($area, '^(Provinsi|Kota|Kabupaten)\\s+', '')))
                    THEN $area ELSE area_clean END AS area,
               coalesce(unit_raw, u.unit, '') AS unit,
               coalesce(source_raw, $source) AS source
        FROM a LEFT JOIN (SELECT indicator, any_value(unit) AS unit FROM fct_tourism_monthly GROUP BY indicator) AS u
             USING (indicator)
        """,
        {"area": area_default, "source": f"upload: {options.get('file_name', '')}"},
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE ing_errors AS
        WITH keyed AS (
            SELECT rn, col_idx, indicator, area, period, value,
                   count(DISTINCT value) OVER (PARTITION BY indicator, area, period) AS variants,
                   min(rn) OVER (PARTITION BY indicator, area, period) AS first_rn,
                   max(rn) OVER (PARTITION BY indicator, area, period) AS last_rn
            FROM stg_tourism WHERE period IS NOT NULL AND value IS NOT NULL AND indicator IS NOT NULL
        )
        SELECT rn, col_idx, $ind_field AS field,
               CASE WHEN indicator_raw IS NULL THEN 'missing_value' ELSE 'bad_indicator' END AS code,
               indicator_raw AS value, NULL::BIGINT AS other_rn
        FROM stg_tourism WHERE indicator IS NULL OR NOT regexp_matches(indicator, '^[a-z][a-z0-9_]*$')
        UNION ALL
        SELECT rn, col_idx, 'period',
               CASE WHEN period_raw IS NULL THEN 'missing_value' WHEN ing_not_month(period_raw) THEN 'period_not_month'
                    ELSE 'bad_period' END, period_raw, NULL
        FROM stg_tourism WHERE period IS NULL
        UNION ALL
        SELECT rn, col_idx, 'period', 'future_period', period_raw, NULL
        FROM stg_tourism WHERE period > $now
        UNION ALL
        SELECT rn, col_idx, CASE WHEN $value_field = 'value' THEN 'value' ELSE 'c' || col_idx END,
               CASE WHEN value_raw IS NULL THEN 'missing_value' ELSE 'bad_value' END, value_raw, NULL
        FROM stg_tourism WHERE value IS NULL
        UNION ALL
        SELECT rn, col_idx, CASE WHEN $value_field = 'value' THEN 'value' ELSE 'c' || col_idx END, 'tourism_conflict',
               indicator || ' / ' || area || ' / ' || strftime(period, '%Y-%m'),
               CASE WHEN rn = first_rn THEN last_rn ELSE first_rn END
        FROM keyed WHERE variants > 1
        UNION ALL
        SELECT rn, col_idx, 'period', 'already_loaded',
               indicator || ' / ' || area || ' / ' || strftime(period, '%Y-%m'), NULL
        FROM keyed
        WHERE $append AND (indicator, area, period) IN (SELECT (indicator, area, period) FROM fct_tourism_monthly)
        """,
        {"now": now.date().replace(day=1) if hasattr(now, "date") else now, "append": append,
         "value_field": "value" if kind == "long" else "cell",
         "ind_field": "indicator" if kind == "long" else "c1"},
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE ing_repeats AS
        SELECT rn, col_idx FROM stg_tourism WHERE period IS NOT NULL AND value IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY indicator, area, period, value ORDER BY rn, col_idx) > 1
        """
    )
    repeats = con.execute("SELECT count(*) FROM ing_repeats").fetchone()[0]
    if repeats:
        warnings.append(Problem("duplicate_rows", values={"n": repeats}, kind="warning"))
    known = {r[0] for r in con.execute("SELECT DISTINCT indicator FROM fct_tourism_monthly").fetchall()}
    for (ind,) in con.execute("SELECT DISTINCT indicator FROM stg_tourism WHERE indicator IS NOT NULL "
                              "ORDER BY 1 LIMIT 20").fetchall():
        if ind not in known:
            warnings.append(Problem("new_indicator", values={"value": ind}, kind="warning"))
    return {"rows_read": rows_read, "repeats": 0, "warnings": warnings, "layout": kind, "date_order": None}


def write(con: duckdb.DuckDBPyConnection, load_id: int, mode: str) -> int:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE ing_good AS
        SELECT indicator, area, period, value, unit, source FROM stg_tourism
        WHERE (rn, col_idx) NOT IN (SELECT (rn, col_idx) FROM ing_errors)
          AND (rn, col_idx) NOT IN (SELECT (rn, col_idx) FROM ing_repeats)
        """
    )
    if con.execute("SELECT count(*) FROM ing_good").fetchall()[0][0] == 0:
        return 0  # nothing valid: touch nothing (a replace must not empty the table)
    if mode == "replace":
        con.execute("INSERT INTO undo_tourism_monthly SELECT *, $id FROM fct_tourism_monthly", {"id": load_id})
        con.execute("DELETE FROM fct_tourism_monthly")
    elif mode == "upsert":
        con.execute(
            """
            INSERT INTO undo_tourism_monthly SELECT f.*, $id FROM fct_tourism_monthly AS f
            WHERE (indicator, area, period) IN (SELECT (indicator, area, period) FROM ing_good)
            """,
            {"id": load_id},
        )
        con.execute("DELETE FROM fct_tourism_monthly "
                    "WHERE (indicator, area, period) IN (SELECT (indicator, area, period) FROM ing_good)")
    con.execute("INSERT INTO fct_tourism_monthly SELECT indicator, area, period, value, unit, source, $id "
                "FROM ing_good ORDER BY period, indicator, area", {"id": load_id})
    return int(con.execute("SELECT count(*) FROM ing_good").fetchone()[0])


REQUIRED = TOURISM_REQUIRED


def fast_write(_con: duckdb.DuckDBPyConnection, _s: Sniffed, _m: Mapping, _load_id: int, _mode: str, *,
               now: object) -> tuple[int, list[Problem]] | None:
    """Tourism files are small and come in three layouts: always the full path."""
    return None


def fast_warnings(_m: Mapping) -> list[Problem]:
    return []


def date_order(_con: duckdb.DuckDBPyConnection, _column: str) -> str | None:
    return None  # periods are months, read by ing_period in any of their forms
