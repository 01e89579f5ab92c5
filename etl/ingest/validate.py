"""ETL layer: the validation report — each problem the staging SQL found (ing_errors), named by line and column, and
the rejected rows of a partial load written to `rejects` (masked, without personal-data columns)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from base.i18n import catalog, fill_city, t
from etl.ingest.dataset import Dataset
from etl.ingest.mapping import Mapping
from etl.ingest.result import MAX_REPORTED_ERRORS, LoadResult, Problem
from etl.ingest.sniff import Sniffed

_NIK = re.compile(r"\d{16}|\d\.\d+[eE]\+15")


def byte_to_line(path: Path, offsets: list[int]) -> dict[int, int]:
    """Physical 1-based line of each 1-based byte offset DuckDB reports."""
    want = sorted(set(offsets))
    out: dict[int, int] = {}
    if not want:
        return out
    line, pos, i = 1, 0, 0
    with open(path, "rb") as fh:
        while i < len(want) and (chunk := fh.read(8 << 20)):
            while i < len(want) and want[i] - 1 < pos + len(chunk):
                out[want[i]] = line + chunk.count(b"\n", 0, max(0, want[i] - 1 - pos))
                i += 1
            line += chunk.count(b"\n")
            pos += len(chunk)
    for w in want[i:]:
        out[w] = line
    return out


def record_lines(s: Sniffed, skip_lines: set[int]) -> list[int]:
    """Physical start line of every data record in table order (rowid), skipping blank and rejected lines.

    Only called when a file has errors and quoted fields or blank lines; otherwise line = rowid + 2.
    """
    out: list[int] = []
    with open(s.path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=s.delimiter, quotechar='"', doublequote=True)
        prev = 0
        header_seen = False
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip() and not header_seen):
                continue
            if not header_seen:
                header_seen = True
                continue
            if not rec or start in skip_lines:
                continue
            out.append(start)
    return out


def _lines_are_records(path: Path, nrows: int) -> bool:
    """Whether the file has exactly one physical line per record after its header: then no quoted field holds a line
    break and no blank line sits between records (either would add lines), so record N is on line N + 2. A count of
    line breaks, far cheaper than parsing the file again (exports quote every field, so quotes alone say nothing)."""
    breaks, size = 0, path.stat().st_size
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            breaks += chunk.count(b"\n")
        fh.seek(max(0, size - 4096))
        tail = fh.read()
    trailing = tail[len(tail.rstrip(b"\r\n \t")):].count(b"\n")  # blank lines and the last break at the end
    return breaks - trailing + 1 == nrows + 1


def line_map(con: duckdb.DuckDBPyConnection, s: Sniffed, ragged_lines: set[int], nrows: int) -> None:
    """TEMP TABLE ing_line_map(rn, line) for every record named in ing_errors."""
    no_errors = con.execute("SELECT count(*) = 0 FROM ing_errors").fetchone()[0]
    if no_errors or (not ragged_lines and (s.records_are_lines() or _lines_are_records(s.path, nrows))):
        con.execute("""CREATE OR REPLACE TEMP TABLE ing_line_map AS
                       SELECT DISTINCT rn, rn + 2 AS line FROM (SELECT rn FROM ing_errors
                                                               UNION ALL SELECT other_rn FROM ing_errors)
                       WHERE rn IS NOT NULL""")
        return
    import pandas as pd  # only needed when a file has errors: keeps start-up quick for clean loads

    lines = record_lines(s, ragged_lines)
    if len(lines) != nrows:  # our scan disagrees with DuckDB's record count: better no line than a wrong one
        lines = []
    frame = pd.DataFrame({"rn": range(len(lines)), "line": lines})
    con.execute("SELECT 1").fetchall()  # register() refuses while an earlier result is still open
    con.register("ing_line_frame", frame)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE ing_line_map AS SELECT rn::BIGINT AS rn, line::BIGINT AS line "
                    "FROM ing_line_frame")
    finally:
        con.unregister("ing_line_frame")


def lines_of(con: duckdb.DuckDBPyConnection, s: Sniffed, rns: list[int]) -> dict[int, int]:
    """The physical line of each record `rn` of ing_raw (for warnings that name lines, made before line_map runs)."""
    if not rns:
        return {}
    nrows = con.execute("SELECT count(*) FROM ing_raw").fetchone()[0]
    ragged = [int(b) for (b,) in con.execute("SELECT line_byte_position FROM ing_csv_rejects").fetchall()]
    if not ragged and (s.records_are_lines() or _lines_are_records(s.path, nrows)):
        return {rn: rn + 2 for rn in rns}
    lines = record_lines(s, set(byte_to_line(s.path, ragged).values()))
    if len(lines) != nrows:  # better no line than a wrong one
        return {}
    return {rn: lines[rn] for rn in rns if 0 <= rn < len(lines)}


def messages(con: duckdb.DuckDBPyConnection) -> None:
    cat = catalog()
    pairs = [(k.split(".")[-1], fill_city(v["en"])) for k, v in cat.items() if k.startswith("ingest.error.")]
    con.execute("CREATE OR REPLACE TEMP TABLE ing_msg AS "
                "SELECT unnest($c)::VARCHAR AS code, unnest($t)::VARCHAR AS template",
                {"c": [p[0] for p in pairs], "t": [p[1] for p in pairs]})


def _ragged_raw(raw: str, s: Sniffed, m: Mapping) -> str:
    parts = raw.split(s.delimiter)
    kept = [p for i, p in enumerate(parts) if i not in m.dropped]
    return _NIK.sub("[NIK]", s.delimiter.join(kept))


def collect(con: duckdb.DuckDBPyConnection, s: Sniffed, m: Mapping, module: Dataset, ragged: list[dict],
             ragged_lines: dict[int, int], res: LoadResult, limit: int = MAX_REPORTED_ERRORS) -> int:
    """Fill res.errors (first N in line order) and return the number of rejected records."""
    header = s.header
    rows = con.execute(
        f"""SELECT l.line, e.field, e.code, ing_clip(e.value), lo.line
            FROM ing_errors AS e LEFT JOIN ing_line_map AS l ON l.rn = e.rn
            LEFT JOIN ing_line_map AS lo ON lo.rn = e.other_rn
            ORDER BY l.line NULLS LAST, e.rn, e.field LIMIT {int(limit)}"""
    ).fetchall()
    more = getattr(module, "problem_values", None)  # a dataset may say more of a field ({element}, {words})
    problems = [
        Problem(code, line, module.column_label(fld, m, header),
                {"value": value or "", "other_line": other or "?", **(more(fld, m) if more else {})})
        for line, fld, code, value, other in rows
    ]
    for r in ragged:
        problems.append(Problem("ragged_row", ragged_lines.get(r["byte"]), None,
                                {"detail": r["kind"].lower()}))
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    res.errors = problems[:limit]
    n_err, n_rows = con.execute("SELECT count(*), count(DISTINCT rn) FROM ing_errors").fetchone()
    res.error_total = int(n_err) + len(ragged)
    return int(n_rows) + len(ragged)


def write_rejects(con: duckdb.DuckDBPyConnection, s: Sniffed, m: Mapping, module: Dataset, load_id: int,
                   ragged: list[dict], ragged_lines: dict[int, int]) -> None:
    kept = [f"c{i + 1}" for i in range(len(s.header)) if i not in m.dropped]
    raw_expr = f"ing_mask(concat_ws($delim, {', '.join(kept)}))" if kept else "NULL"
    labels = {f: module.column_label(f, m, s.header) for f in module.FIELDS}
    more = getattr(module, "problem_values", None)
    extra = {f: (more(f, m) if more else {}) for f in labels}
    con.execute("CREATE OR REPLACE TEMP TABLE ing_labels AS "
                "SELECT unnest($f)::VARCHAR AS field, unnest($l)::VARCHAR AS label, "
                "unnest($el)::VARCHAR AS element, unnest($w)::VARCHAR AS words",
                {"f": list(labels), "l": list(labels.values()),
                 "el": [extra[f].get("element", "") for f in labels], "w": [extra[f].get("words", "") for f in labels]})
    con.execute(
        f"""
        INSERT INTO rejects
        SELECT $id, l.line,
               string_agg(replace(replace(replace(replace(replace(
                   g.template, '{{column}}', coalesce(lb.label, e.field)),
                   '{{value}}', coalesce(ing_clip(e.value), '')), '{{other_line}}', coalesce(lo.line::VARCHAR, '?')),
                   '{{element}}', coalesce(lb.element, '')), '{{words}}', coalesce(lb.words, '')),
                          '; ' ORDER BY e.field),
               any_value({raw_expr})
        FROM ing_errors AS e
        JOIN ing_msg AS g USING (code)
        LEFT JOIN ing_labels AS lb USING (field)
        LEFT JOIN ing_line_map AS l ON l.rn = e.rn
        LEFT JOIN ing_line_map AS lo ON lo.rn = e.other_rn
        JOIN ing_raw AS r ON r.rowid = e.rn
        GROUP BY e.rn, l.line
        """,
        {"id": load_id, "delim": s.delimiter},
    )
    for r in ragged:
        reason = t("ingest.error.ragged_row", "en", detail=r["kind"].lower())
        con.execute("INSERT INTO rejects VALUES (?, ?, ?, ?)",
                    [load_id, ragged_lines.get(r["byte"]), reason, _ragged_raw(r["raw"] or "", s, m)])
