"""ETL layer: the survey's follow-up plan (dataset `skm_actions`, rencana tindak lanjut) — one row per action a unit
takes against an element of its survey for a period; upserted by (unit, period, element, action text)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import duckdb

from base import skm as words
from etl.ingest.mapping import Mapping
from etl.ingest.read import run_script
from etl.ingest.result import Problem
from etl.ingest.skm import FIELDS as SURVEY_FIELDS
from etl.ingest.skm import ensure_tables, unit_lookup
from etl.ingest.sniff import Sniffed
from etl.ingest.validate import lines_of
from etl.store import SQL_DIR

STAGING_SQL = SQL_DIR / "staging" / "skm_actions.sql"
FIELDS: dict[str, tuple[str, ...]] = {
    "unit": SURVEY_FIELDS["unit"],
    "period": ("period", "periode", "periode_survei", "periode_survey", "periode_skm", "semester", "tahun_periode",
               "tahun"),
    "unsur": ("unsur", "element", "unsur_layanan", "unsur_pelayanan", "unsur_skm", "unsur_yang_diperbaiki",
              "unsur_terendah", "aspek"),
    "action": ("action", "tindak_lanjut", "rencana_tindak_lanjut", "rencana_aksi", "rtl", "kegiatan",
               "program_kegiatan", "program", "uraian_kegiatan", "uraian_tindak_lanjut", "upaya_perbaikan",
               "rencana_perbaikan"),
    "owner": ("owner", "penanggung_jawab", "pj", "pic", "pelaksana", "unit_pelaksana", "responsible",
              "person_in_charge"),
    "due_date": ("due_date", "tenggat", "tenggat_waktu", "batas_waktu", "target_waktu", "target_selesai",
                 "waktu_pelaksanaan", "jadwal", "tanggal_target", "deadline", "waktu"),
    "status": ("status", "status_tindak_lanjut", "progres", "progress", "keadaan"),
    "done_date": ("done_date", "tanggal_selesai", "tgl_selesai", "waktu_selesai", "tanggal_realisasi", "realisasi",
                  "completed_at", "selesai_pada"),
}
REQUIRED = ("unit", "period", "unsur", "action")
MODES = ("upsert", "append", "replace")  # upsert: the same action (unit, period, element, text) is updated
REFRESH_MARTS = False
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def uses_extra_columns(_header: str) -> bool:
    return False


def column_label(field: str, m: Mapping, header: list[str]) -> str:
    i = m.fields.get(field)
    return header[i] if i is not None and header[i] else field


def missing_required(_con: duckdb.DuckDBPyConnection, m: Mapping, _header: list[str],
                     _options: dict) -> list[Problem]:
    return [Problem("missing_column", values={"field": f, "aliases": ", ".join(FIELDS[f][:6])})
            for f in REQUIRED if f not in m.fields]


def action_period(raw: str) -> tuple[str, date, date] | None:
    """A survey period as 'YYYY-S1' | 'YYYY-S2' | 'YYYY-Qn' | 'YYYY', with its first and last day: '2026-S1',
    'Semester I 2026', 'S2 2025', 'smt 2 tahun 2025', '2026-Q3', 'Triwulan III 2026', 'TW3 2026', '2026'."""
    key = words.word_key(raw)
    year = re.search(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", key)
    if not year:
        return None
    y = int(year.group(1))
    rest = (key[:year.start()] + " " + key[year.end():]).split()
    rest = "".join(w for w in rest if w not in ("tahun", "th", "thn", "ta", "periode", "anggaran", "year"))

    def number(text: str) -> int | None:
        return int(text) if text.isdigit() else ROMAN.get(text)

    if not rest:
        return f"{y}", date(y, 1, 1), date(y, 12, 31)
    semester = re.fullmatch(r"(s|sem|smt|semester|h)(i{1,2}|[12])", rest)
    if semester and number(semester.group(2)) in (1, 2):
        n = number(semester.group(2))
        return f"{y}-S{n}", date(y, 1 if n == 1 else 7, 1), date(y, 6, 30) if n == 1 else date(y, 12, 31)
    quarter = re.fullmatch(r"(q|tw|triwulan|kuartal|quarter|trimester|kw)(iv|i{1,3}|[1-4])", rest)
    if quarter and number(quarter.group(2)) in (1, 2, 3, 4):
        n = number(quarter.group(2))
        last = date(y, 3 * n, 31 if 3 * n in (3, 12) else 30)
        return f"{y}-Q{n}", date(y, 3 * n - 2, 1), last
    return None


def _distinct(con: duckdb.DuckDBPyConnection, m: Mapping, fields: tuple[str, ...]) -> list[str]:
    cols = [f"c{m.fields[f] + 1}" for f in fields if f in m.fields]
    if not cols:
        return []
    union = " UNION ".join(f"SELECT nullif(trim({c}), '') AS v FROM ing_raw WHERE v IS NOT NULL" for c in cols)
    return [r[0] for r in con.execute(f"SELECT DISTINCT v FROM ({union})").fetchall()]


def _lookups(con: duckdb.DuckDBPyConnection, m: Mapping) -> None:
    """Temp tables from the national words, over the file's distinct spellings: periods (and due dates written as a
    period), elements and statuses."""
    periods = [(v, action_period(v)) for v in _distinct(con, m, ("period", "due_date"))]
    con.execute("CREATE OR REPLACE TEMP TABLE ing_act_periods (raw VARCHAR, period VARCHAR, first_day DATE, "
                "last_day DATE)")
    if periods:
        con.execute("INSERT INTO ing_act_periods SELECT unnest($r), unnest($p), unnest($a), unnest($b)",
                    {"r": [v for v, _ in periods], "p": [p[0] if p else None for _, p in periods],
                     "a": [p[1] if p else None for _, p in periods], "b": [p[2] if p else None for _, p in periods]})
    unsur = []
    for v in _distinct(con, m, ("unsur",)):
        meaning = words.read_header(v)
        unsur.append((v, meaning.element if meaning.has_words else meaning.code_element))
    statuses = words.action_statuses()
    status = [(v, statuses.get(words.word_key(v))) for v in _distinct(con, m, ("status",))]
    for name, pairs in (("ing_act_unsur", unsur), ("ing_act_status", status)):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (raw VARCHAR, code VARCHAR)")
        if pairs:
            con.execute(f"INSERT INTO {name} SELECT unnest($r), unnest($c)",
                        {"r": [v for v, _ in pairs], "c": [c for _, c in pairs]})
    unit_lookup(con, _distinct(con, m, ("unit",)), "ing_act_units")


def _table_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'fct_skm_actions' "
                            "AND database_name = current_database() AND NOT temporary").fetchone()[0])


def stage(con: duckdb.DuckDBPyConnection, m: Mapping, s: Sniffed, *, now: object, append: bool,
          options: dict[str, Any]) -> dict[str, Any]:
    """Creates stg_skm_actions, ing_errors and ing_repeats (etl/sql/staging/skm_actions.sql)."""
    _lookups(con, m)
    cols = {f: m.col(f) for f in FIELDS}
    kept = [f"c{i + 1}" for i in range(len(s.header)) if i not in m.dropped]
    cols["not_empty"] = f"coalesce({', '.join(kept)}) IS NOT NULL" if kept else "false"
    cols["loaded"] = ("fct_skm_actions" if _table_exists(con) else
                      "(SELECT NULL::VARCHAR AS unit_code, NULL::VARCHAR AS period, NULL::VARCHAR AS unsur, "
                      "NULL::VARCHAR AS action WHERE false)")
    today = now.date() if hasattr(now, "date") else now
    run_script(con, STAGING_SQL.read_text(encoding="utf-8").format(**cols),
               {"today": today, "append": append})
    warnings: list[Problem] = []
    derived = con.execute("SELECT count(*) FROM stg_skm_actions WHERE status_raw IS NULL").fetchone()[0]
    if derived:
        warnings.append(Problem("skm_action_status_derived", values={"n": derived}, kind="warning"))
    no_due = [r for (r,) in con.execute("SELECT rn FROM stg_skm_actions WHERE due_raw IS NULL "
                                        "AND rn NOT IN (SELECT rn FROM ing_errors) ORDER BY rn").fetchall()]
    if no_due:
        lines = lines_of(con, s, no_due)
        shown = [str(lines[r]) for r in no_due if r in lines]
        warnings.append(Problem("skm_action_no_due_date", values={
            "n": len(no_due), "lines": ", ".join(shown[:30]) + (", …" if len(shown) > 30 else "")}, kind="warning"))
    rows_read = con.execute("SELECT count(*) FROM stg_skm_actions").fetchone()[0]
    return {"rows_read": rows_read, "repeats": 0, "warnings": warnings, "layout": None, "date_order": None}


COLUMNS = "unit_code, period, unsur, action, owner, due_date, status, done_date"
KEY = "(unit_code, period, unsur, lower(action))"


def write(con: duckdb.DuckDBPyConnection, load_id: int, mode: str) -> int:
    """Insert the valid actions; upsert moves the loaded version of the same action, replace every loaded action of
    the file's units and periods, to undo_skm_actions first."""
    ensure_tables(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE ing_good AS SELECT {COLUMNS} FROM stg_skm_actions "
                "WHERE rn NOT IN (SELECT rn FROM ing_errors)")
    n = int(con.execute("SELECT count(*) FROM ing_good").fetchone()[0])
    if n == 0:
        return 0
    replaced = {"replace": "(unit_code, period) IN (SELECT (unit_code, period) FROM ing_good)",
                "upsert": f"{KEY} IN (SELECT {KEY} FROM ing_good)"}.get(mode)
    if replaced:
        con.execute(f"INSERT INTO undo_skm_actions SELECT *, $id FROM fct_skm_actions WHERE {replaced}",
                    {"id": load_id})
        con.execute(f"DELETE FROM fct_skm_actions WHERE {replaced}")
    con.execute(f"INSERT INTO fct_skm_actions SELECT {COLUMNS}, $id FROM ing_good ORDER BY unit_code, period, unsur",
                {"id": load_id})
    return n


def fast_write(_con: duckdb.DuckDBPyConnection, _s: Sniffed, _m: Mapping, _load_id: int, _mode: str, *,
               now: object) -> None:
    """A plan is a few dozen rows: always the full path."""
    return None


def fast_warnings(_m: Mapping) -> list[Problem]:
    return []


def date_order(_con: duckdb.DuckDBPyConnection, _column: str) -> str | None:
    return None  # dates are read day first (ing_ts) or as periods
