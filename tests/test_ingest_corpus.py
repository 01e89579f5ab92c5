"""Uploads: the generated corpus of messy and bad files through `python -m etl load` (exit codes, JSON, no changes)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests import ingest_helpers
from tests.corpus import CASES, NAME, NIK, write_case
from tests.ingest_helpers import all_text, checksum, copy_db, run_load

ingest_base = ingest_helpers.ingest_base  # the shared fixture

KEYS = {"status", "load_id", "rows_read", "rows_loaded", "rows_rejected", "errors", "warnings", "dropped_columns"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_file(case, ingest_base: Path, tmp_path: Path, capsys) -> None:
    db = copy_db(ingest_base, tmp_path)
    before = checksum(db)
    path = write_case(case, tmp_path)
    extra = ["--indicator", case.extra["indicator"]] if "indicator" in case.extra else []
    code, out = run_load(capsys, db, case.dataset, path, *extra)
    assert set(out) >= KEYS
    assert code == case.exit_code, out["errors"][:3]
    if case.exit_code == 0:
        assert out["status"] == "loaded"
        assert out["rows_loaded"] == case.rows_loaded
        assert out["errors"] == []
    else:
        assert out["status"] == "rejected"
        assert out["rows_loaded"] == 0
        first = out["errors"][0]
        assert set(first) >= {"line", "column", "reason"}
        assert first["code"] == case.error_code
        if case.error_line is not None:
            assert first["line"] == case.error_line
        assert first["reason"].endswith(".")
        assert checksum(db) == before  # facts untouched; only the audit row
        con = duckdb.connect(str(db), read_only=True)
        status = con.execute("SELECT status FROM loads ORDER BY load_id DESC LIMIT 1").fetchone()[0]
        con.close()
        assert status == "rejected"


def test_loaded_values_are_normalised(ingest_base: Path, tmp_path: Path, capsys) -> None:
    """Names, aliases, day-first dates, offsets and Excel serials end as codes and WIB timestamps."""
    db = copy_db(ingest_base, tmp_path)
    for name in ("indonesian_headers_names", "xlsx_cells", "semicolon_bom_crlf_decimal_comma"):
        case = next(c for c in CASES if c.name == name)
        code, out = run_load(capsys, db, case.dataset, write_case(case, tmp_path))
        assert code == 0, out
    con = duckdb.connect(str(db), read_only=True)
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT request_id, service_code, kecamatan_code, channel, submitted_at::VARCHAR, completed_at::VARCHAR, "
        "status, lat FROM fct_service_requests "
        "WHERE request_id IN ('P-1','P-2','P-3','P-4','X-1','X-2','C-1')").fetchall()}
    con.close()
    assert rows["P-1"] == ("KK", "12.71.11", "loket_kecamatan", "2024-03-04 09:15:00", "2024-03-05 10:00:30",
                           "completed", None)
    assert rows["P-2"][:4] == ("KTP_EL", "12.71.17", "mpp", "2024-03-05 00:00:00")
    assert rows["P-3"][3:5] == ("2024-03-04 09:15:00", "2024-03-04 12:00:00")  # Z -> WIB; +07:00 stays
    assert rows["P-4"][4:6] == (None, "in_progress")  # a status not done keeps no completion time
    assert rows["X-1"][3] == "2024-03-04 09:15:00"
    assert rows["X-2"][3] == "2024-03-05 12:00:00"  # Excel serial 45356.5
    assert rows["C-1"][6] == pytest.approx(3.5512)   # decimal comma


def test_an_open311_export_without_channel_loads(ingest_base: Path, tmp_path: Path, capsys) -> None:
    """Open311 GeoReport v2: no channel (stored as `unknown`), service by code or name, free-text and address columns
    dropped with a warning each, expected_datetime ignored, the last update of an open request not a completion."""
    from corpus import open311_georeport

    db = copy_db(ingest_base, tmp_path)
    code, out = run_load(capsys, db, "service_requests", open311_georeport(tmp_path / "georeport.csv"))
    assert code == 0 and out["status"] == "loaded" and out["rows_loaded"] == 3, out["errors"][:3]
    warned = {(w["code"], w["column"]) for w in out["warnings"]}
    assert {("dropped_free_text", "address"), ("dropped_free_text", "description"),
            ("dropped_free_text", "agency_responsible"), ("ignored_deadline", "expected_datetime"),
            ("channel_unknown", None), ("completion_of_open", None)} <= warned
    assert all(w["message"] for w in out["warnings"])
    assert {c["column"] for c in out["dropped_columns"]} == {"address", "description", "agency_responsible"}
    con = duckdb.connect(str(db), read_only=True)
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT request_id, service_code, kecamatan_code, channel, completed_at::VARCHAR, status "
        "FROM fct_service_requests WHERE request_id LIKE 'G-%'").fetchall()}
    everything = (str(con.execute("SELECT * FROM loads").fetchall())
                  + str(con.execute("SELECT * FROM rejects").fetchall()))
    con.close()
    assert rows["G-1"] == ("AKTA_LAHIR", "12.71.11", "unknown", "2024-03-05 10:00:00", "completed")
    assert rows["G-2"] == ("LAPOR_ADUAN", "12.71.20", "unknown", None, "open")  # by its service_name
    assert rows["G-3"][:2] == ("KK", "12.71.17")
    assert "Jl. Contoh" not in everything and "081234567890" not in everything


def test_personal_data_never_stored(ingest_base: Path, tmp_path: Path, capsys) -> None:
    db = copy_db(ingest_base, tmp_path)
    for name in ("indonesian_headers_names", "xlsx_cells"):
        case = next(c for c in CASES if c.name == name)
        code, out = run_load(capsys, db, case.dataset, write_case(case, tmp_path), "--partial")
        assert code == 0
        assert {d["column"].lower() for d in out["dropped_columns"]} >= {"nik"}
        assert NAME not in str(out) and NIK not in str(out)
    text = all_text(db)
    assert NAME not in text
    assert NIK not in text and NIK[:12] not in text and "1.27101" not in text


def test_partial_quarantines_bad_rows_without_personal_data(ingest_base: Path, tmp_path: Path, capsys) -> None:
    db = copy_db(ingest_base, tmp_path)
    path = tmp_path / "mixed.csv"
    path.write_text(
        "no_permohonan,layanan,kecamatan,kanal,tanggal_masuk,nama_pemohon,nik,catatan\n"
        f"M-1,KK,Medan Kota,online,2024-03-04 10:00,{NAME},{NIK},ok\n"
        f"M-2,KK,Medan Nowhere,online,2024-03-04 10:00,{NAME},{NIK},NIK lain {NIK}\n"
        f"M-3,KK,Medan Kota,online,not a date,{NAME},{NIK},ok\n", encoding="utf-8")
    before = checksum(db)
    code, out = run_load(capsys, db, "service_requests", path)
    assert code == 1 and checksum(db) == before
    code, out = run_load(capsys, db, "service_requests", path, "--partial")
    assert code == 0 and out["status"] == "loaded"
    assert (out["rows_read"], out["rows_loaded"], out["rows_rejected"]) == (3, 1, 2)
    con = duckdb.connect(str(db), read_only=True)
    rejects = con.execute("SELECT line, reason, raw FROM rejects WHERE load_id = ? ORDER BY line",
                          [out["load_id"]]).fetchall()
    con.close()
    assert [r[0] for r in rejects] == [3, 4]
    assert "Medan Nowhere" in rejects[0][1] and "not a date" in rejects[1][1]
    assert all(NAME not in r[2] and NIK not in r[2] for r in rejects)
    assert "[NIK]" in rejects[0][2]


def test_real_files(ingest_base: Path, tmp_path: Path, capsys) -> None:
    """The BPS table loads; the cited-figures file is rejected in strict mode and loads its monthly rows partially;
    311 extracts from other cities are rejected with reasons, not a crash."""
    real = Path(__file__).resolve().parents[2] / "shared" / "realdata"
    if not real.is_dir():
        pytest.skip("shared real data not present")
    db = copy_db(ingest_base, tmp_path)
    code, out = run_load(capsys, db, "tourism", real / "bps_wisnus_monthly_by_province_2022_2024.csv")
    assert code == 0 and out["rows_loaded"] > 1000
    before = checksum(db)
    code, out = run_load(capsys, db, "tourism", real / "sumut_tourism_bps_cited.csv")
    assert code == 1 and checksum(db) == before
    assert {e["code"] for e in out["errors"]} == {"period_not_month", "tourism_conflict"}
    code, out = run_load(capsys, db, "tourism", real / "sumut_tourism_bps_cited.csv", "--partial")
    assert code == 0 and out["rows_loaded"] > 90 and out["rows_rejected"] >= 23
    code, out = run_load(capsys, db, "service_requests", real / "sf_311_sample.csv")
    assert code == 1 and {"unknown_service", "missing_value"} <= {e["code"] for e in out["errors"]}


def test_messages_in_indonesian_and_missing_database(ingest_base: Path, tmp_path: Path, capsys) -> None:
    db = copy_db(ingest_base, tmp_path)
    case = next(c for c in CASES if c.name == "unknown_kecamatan")
    code, out = run_load(capsys, db, case.dataset, write_case(case, tmp_path), "--lang", "id")
    assert code == 1 and out["errors"][0]["reason"].startswith("Kecamatan \"Kec. Medan Atlantis\" tidak dikenal")
    code, out = run_load(capsys, tmp_path / "missing.duckdb", case.dataset, write_case(case, tmp_path))
    assert code == 1 and out["errors"][0]["code"] == "store_error"
    assert "python -m etl build" in out["errors"][0]["reason"]
