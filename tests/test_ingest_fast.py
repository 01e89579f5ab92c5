"""Uploads: the fast path (one typed read of a canonical file) loads exactly what the full path loads, or steps aside.

Every service-request corpus file, plus files that look canonical but are not quite, is loaded twice into copies of
the same database: once as usual, once with the fast path switched off. Results and every table must be equal.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from etl.ingest.core import load_file
from etl.ingest.mapping import SAMPLE_ROWS
from tests import ingest_helpers
from tests.corpus import CASES, HEADER, NIK, ROWS, _text, write_case

ingest_base = ingest_helpers.ingest_base  # the shared fixture

TABLES = ("fct_service_requests", "undo_service_requests", "rejects", "mart_requests_daily", "mart_requests_monthly",
          "mart_completions", "mart_open_requests")


def _rows(*changes: tuple[int, str, str]) -> Callable[[Path], Path]:
    def make(p: Path) -> Path:
        rows = [list(r) for r in ROWS]
        for i, col, value in changes:
            rows[i][HEADER.index(col)] = value
        return _text(p, [HEADER, *rows])
    return make


def _extra_rows(*extra: list[str]) -> Callable[[Path], Path]:
    return lambda p: _text(p, [HEADER, *ROWS, *extra])


def _with_nik(p: Path) -> Path:
    return _text(p, [[*HEADER, "nik"], *[[*r, NIK] for r in ROWS]])


# Files a typed read could take for canonical although the full path reads them otherwise, or rejects them.
NEAR_CANONICAL: dict[str, Callable[[Path], Path]] = {
    "offset": _rows((0, "submitted_at", "2024-03-04 09:15:00+07:00")),
    "utc_z": _rows((2, "completed_at", "2024-03-07 01:30:00Z")),
    "fraction": _rows((0, "completed_at", "2024-03-05 10:00:00.250")),
    "t_separator": _rows((1, "submitted_at", "2024-03-04T10:00:00")),
    "no_seconds": _rows((1, "submitted_at", "2024-03-04 10:00")),
    "date_only": _rows((1, "submitted_at", "2024-03-04")),
    "day_first": _rows((1, "submitted_at", "04/03/2024 10:00")),
    "padded_time": _rows((1, "submitted_at", " 2024-03-04 10:00:00")),
    "padded_id": _rows((1, "request_id", "C-2 ")),
    "quoted_empty_id": lambda p: p.write_bytes(
        (",".join(HEADER) + "\n" + '"",KK,12.71.01,online,2024-03-04 10:00:00,,open,,\n').encode()) and p,
    "lower_code": _rows((0, "service_code", "ktp_el")),
    "service_name": _rows((0, "service_code", "Kartu Keluarga")),
    "kecamatan_name": _rows((2, "kecamatan_code", "Medan Johor")),
    "status_alias": _rows((0, "status", "Selesai")),
    "status_upper": _rows((1, "status", "OPEN")),
    "no_status_value": _rows((2, "status", "")),
    "padded_lat": _rows((0, "lat", " 3.5512")),
    "nan_lat": _rows((0, "lat", "nan")),
    "far_lon": _rows((2, "lon", "198.65")),
    "completed_no_time": _rows((1, "status", "completed")),
    "exact_repeat": _extra_rows(ROWS[0]),
    "future": _rows((3, "submitted_at", "2099-01-01 10:00:00")),
    "before_submitted": _rows((0, "completed_at", "2024-03-01 10:00:00")),
    "empty_record": _extra_rows([""] * len(HEADER)),
    "nik_column": _with_nik,
    "updates_sample_ids": None,  # filled in the test: ids already in the database (an upsert updates them)
}


def _snapshot(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
        out["loads"] = con.execute(
            "SELECT load_id, dataset, file_name, sha256, mode, rows_read, rows_loaded, rows_rejected, status, source, "
            "detail FROM loads ORDER BY load_id").fetchall()
        return out
    finally:
        con.close()


def _both(base: Path, tmp: Path, path: Path, mode: str,
          mapping: dict[str, str | None] | None = None) -> tuple[dict, dict, dict]:
    """(fast result, full result, fast result's timings); asserts the two databases are equal."""
    results, snaps = [], []
    for fast in (True, False):
        db = tmp / f"{'fast' if fast else 'full'}.duckdb"
        shutil.copyfile(base, db)
        res = load_file(db, "service_requests", path, mode=mode, mapping=mapping, options={"fast_path": fast})
        results.append(res)
        snaps.append(_snapshot(db))
    fast_json, full_json = (r.to_json() for r in results)
    timings = fast_json.pop("timings")
    full_json.pop("timings")
    assert fast_json == full_json
    for table in snaps[1]:
        assert snaps[0][table] == snaps[1][table], table
    return fast_json, full_json, timings


REQUEST_CASES = [c for c in CASES if c.dataset == "service_requests"]


@pytest.mark.parametrize("mode", ["upsert", "append", "replace"])
@pytest.mark.parametrize("case", REQUEST_CASES, ids=[c.name for c in REQUEST_CASES])
def test_corpus_file_loads_the_same_on_both_paths(case, mode: str, ingest_base: Path, tmp_path: Path) -> None:
    _both(ingest_base, tmp_path, write_case(case, tmp_path), mode)


@pytest.mark.parametrize("name", list(NEAR_CANONICAL))
def test_near_canonical_file_loads_the_same_on_both_paths(name: str, ingest_base: Path, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.csv"
    if name == "updates_sample_ids":
        con = duckdb.connect(str(ingest_base), read_only=True)
        ids = [r[0] for r in con.execute("SELECT request_id FROM fct_service_requests ORDER BY request_id LIMIT 3")
               .fetchall()]
        con.close()
        _rows(*((i, "request_id", rid) for i, rid in enumerate(ids)))(path)
    else:
        NEAR_CANONICAL[name](path)
    for mode in ("upsert", "append"):
        _both(ingest_base, tmp_path, path, mode)


def test_the_fast_path_runs_for_real_exports_and_steps_aside_for_errors(ingest_base: Path, tmp_path: Path) -> None:
    """One pass loads what real systems write (semicolons, BOM, CRLF, decimal commas, offsets, names, day-first
    dates); a file with anything to reject or warn about row by row takes the full path, which explains it."""
    for name in ("canonical", "semicolon_bom_crlf_decimal_comma", "open311_headers", "open311_georeport"):
        case = next(c for c in CASES if c.name == name)
        fast, _, timings = _both(ingest_base, tmp_path, write_case(case, tmp_path), "upsert")
        assert fast["status"] == "loaded" and "fast" in timings and "read" not in timings, name
    for name in ("offset", "utc_z", "kecamatan_name", "day_first", "status_alias"):
        path = tmp_path / f"{name}.csv"
        NEAR_CANONICAL[name](path)
        fast, _, timings = _both(ingest_base, tmp_path, path, "upsert")
        assert fast["status"] == "loaded" and "read" not in timings, name
    for name in ("future", "before_submitted", "exact_repeat", "completed_no_time"):
        path = tmp_path / f"{name}.csv"
        NEAR_CANONICAL[name](path)
        _, _, timings = _both(ingest_base, tmp_path, path, "upsert")
        assert "read" in timings, name


def test_a_spelling_first_seen_after_the_sample_takes_the_full_path(ingest_base: Path, tmp_path: Path) -> None:
    """The fast path resolves the spellings of the file's first rows; a name that only appears later is resolved
    by the full path, and both load the same."""
    canonical = next(c for c in CASES if c.name == "canonical")
    path = write_case(canonical, tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    body = lines[1:]
    filler = [line.replace(line.split(",")[0], f"F-{i}", 1) for i, line in enumerate(body * (SAMPLE_ROWS // 4 + 1))]
    late = body[0].split(",")
    late[0], late[2] = "LATE-1", "Medan Johor"
    path.write_text("\n".join([lines[0], *filler, ",".join(late)]) + "\n", encoding="utf-8")
    fast, _, timings = _both(ingest_base, tmp_path, path, "upsert")
    assert fast["status"] == "loaded" and "read" in timings


@pytest.mark.parametrize("mapping", [{"status": None}, {"lat": "lon", "lon": "lat"}, {"completed_at": None}],
                         ids=["status_ignored", "lat_lon_swapped", "completed_ignored"])
def test_a_mapping_chosen_on_the_upload_page_loads_the_same_on_both_paths(mapping: dict, ingest_base: Path,
                                                                         tmp_path: Path) -> None:
    canonical = next(c for c in CASES if c.name == "canonical")
    _both(ingest_base, tmp_path, write_case(canonical, tmp_path), "upsert", mapping)
