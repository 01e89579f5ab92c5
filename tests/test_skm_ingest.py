"""Tiers 1–2: the satisfaction survey (dataset skm) and its follow-up plan (skm_actions) loaded through the one path.

Messy exports from tests/skm_exports.py (Google Forms, an Indonesian Excel, semicolons in Windows-1252, "Unsur N"
headers with sarana asked 8th, an app's u1..u15 table with repeats) load exactly as their ground truth says, for
both packs; nothing personal is stored anywhere; every hostile row is rejected with its line and column and leaves
the database unchanged; elements are placed by meaning; rollback, replace and the follow-up plan's upsert work.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from base import skm as words
from etl.build import build
from etl.cli import main
from tests.ingest_helpers import all_text
from tests.skm_exports import QUESTIONS, REGULATION, WRITERS, Truth

CITIES = ("medan", "denpasar")
ZONES = {"medan": "Asia/Jakarta", "denpasar": "Asia/Makassar"}
FIRST_UNIT = {"medan": ("Kecamatan Medan Baru", "12.71.17"), "denpasar": ("Kecamatan Denpasar Barat", "51.71.03")}


@pytest.fixture(scope="session")
def skm_packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One database per shipped pack, with the pack only (no sample requests): copy it."""
    out = {}
    for city in CITIES:
        path = tmp_path_factory.mktemp(f"skm_{city}") / "pantau.duckdb"
        build(path, rows=0, seed=3, city=city, progress=lambda _m: None)
        out[city] = path
    return out


@pytest.fixture(params=CITIES)
def city_db(request: pytest.FixtureRequest, skm_packs: dict[str, Path], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    city = request.param
    monkeypatch.setenv("PANTAU_CITY", city)
    db = tmp_path / "pantau.duckdb"
    db.write_bytes(skm_packs[city].read_bytes())
    return city, db


def _load(capsys: pytest.CaptureFixture, db: Path, path: Path, *extra: str, dataset: str = "skm") -> tuple[int, dict]:
    code = main(["load", dataset, str(path), "--db", str(db), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _rows(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(con.execute(
            "SELECT unit_code, service_code, submitted_at, u1, u2, u3, u4, u5, u6, u7, u8, u9, umur, jenis_kelamin, "
            "pendidikan, pekerjaan FROM fct_skm_responses").fetchall(), key=repr)
    finally:
        con.close()


def _expected(rows: list[dict]) -> list[tuple]:
    return sorted(((r["unit_code"], r["service_code"], r["submitted_at"], *r["answers"], r["umur"],
                    r["jenis_kelamin"], r["pendidikan"], r["pekerjaan"]) for r in rows), key=repr)


def _state(db: Path) -> tuple:
    """Every table's rows (order-independent), and the successful loads: what 'the database is unchanged' compares
    (a rejected file adds only its audit row to `loads`)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
                                            "AND table_name <> 'loads' ORDER BY table_name").fetchall()]
        rows = [(t, sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall()))) for t in tables]
        loaded = con.execute("SELECT count(*) FILTER (WHERE status = 'loaded') FROM loads").fetchone()
        return (*rows, ("loads", loaded))
    finally:
        con.close()


def _repeat_lines(result: dict) -> list[int]:
    text = next((w["message"] for w in result["warnings"] if w["code"] in ("skm_repeats", "skm_repeats_kept")), "")
    return sorted(int(x) for x in re.findall(r"(\d+) \(→", text))


# --- every export loads as meant ------------------------------------------------------------------------------------
@pytest.mark.parametrize("writer", list(WRITERS))
def test_each_export_loads_exactly_its_truth(writer: str, city_db: tuple[str, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path, truth = WRITERS[writer](tmp_path, city)
    extra = ("--elements", truth.elements) if truth.elements else ()
    code, result = _load(capsys, db, path, *extra)
    assert code == 0, result["errors"][:3]
    assert result["status"] == "loaded" and result["rows_rejected"] == 0
    assert result["rows_loaded"] == len(truth.rows)
    assert _rows(db) == _expected(truth.rows)  # answers in the regulation's order, units, services, local times
    assert _repeat_lines(result) == sorted(truth.repeat_lines)
    unknown = next((w for w in result["warnings"] if w["code"] == "skm_unknown_service"), None)
    if truth.unknown_service_lines:
        listed = [int(x) for x in unknown["message"].split("Lines: ")[1].rstrip(".").split(", ")]
        assert listed == truth.unknown_service_lines
    else:
        assert unknown is None


def test_the_result_names_each_columns_element(city_db: tuple[str, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    """Google Forms ask sarana 8th and pengaduan 9th: the result maps them by name, and says so."""
    _city, db = city_db
    path, _truth = WRITERS["google_forms"](tmp_path, _city)
    _code, result = _load(capsys, db, path, "--dry-run")
    assert "kualitas sarana dan prasarana" in result["mapping"]["u9"]
    assert "penanganan pengaduan" in result["mapping"]["u8"]
    said = {w["column"]: w["message"] for w in result["warnings"] if w["code"].startswith("skm_element_")}
    assert len(said) == 9
    assert "→ element U9 Facilities and infrastructure" in said[result["mapping"]["u9"]]
    month_first = [w for w in result["warnings"] if w["code"] == "date_order_month_first"]
    assert month_first and result["date_order"] == "MM/DD/YYYY"


def test_keep_repeats_keeps_them_all(city_db: tuple[str, Path], tmp_path: Path,
                                     capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path, truth = WRITERS["app_table"](tmp_path, city)
    assert truth.repeat_lines
    code, result = _load(capsys, db, path, "--elements", truth.elements, "--keep-repeats")
    assert code == 0 and result["rows_loaded"] == len(truth.rows_keep_repeats)
    assert _rows(db) == _expected(truth.rows_keep_repeats)
    assert _repeat_lines(result) == sorted(truth.repeat_lines)


def test_an_app_table_needs_its_order_stated(city_db: tuple[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    """Numbers under u8 and u9 say nothing of their element: without --elements the codes are read in the
    regulation's order (warned per column), which swaps sarana and pengaduan; with it the truth loads."""
    city, db = city_db
    path, truth = WRITERS["app_table"](tmp_path, city)
    _code, result = _load(capsys, db, path, "--dry-run")
    assert [w["column"] for w in result["warnings"] if w["code"] == "skm_element_code"] == [
        f"u{k}" for k in range(1, 10)]
    assert [w["column"] for w in result["warnings"] if w["code"] == "skm_extra_column"] == [
        f"u{k}" for k in range(10, 16)]
    _code, stated = _load(capsys, db, path, "--dry-run", "--elements", truth.elements)
    assert stated["mapping"]["u8"] == "u9" and stated["mapping"]["u9"] == "u8"


# --- nothing personal ------------------------------------------------------------------------------------------------
def test_nothing_personal_is_stored_anywhere(city_db: tuple[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    personal: list[str] = []
    for name in WRITERS:
        path, truth = WRITERS[name](tmp_path, city)
        extra = ("--elements", truth.elements) if truth.elements else ()
        code, _result = _load(capsys, db, path, *extra)
        assert code == 0
        personal += truth.personal
    # a partial load whose rejected rows go to `rejects`: their raw lines carry no phone, name or e-mail either
    path = tmp_path / "partial.csv"
    rows = _clean_file(path, city)
    rows[1][HEADER.index("Unit layanan")] = "Kantor Camat Atlantis"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[*HEADER, "Nama", "E-mail"],
                                  *[[*r, f"Rahmawati Purba {k}", f"rahma{k}@contoh.id"] for k, r in enumerate(rows)]])
    code, result = _load(capsys, db, path, "--partial")
    assert code == 0 and result["rows_rejected"] == 1
    personal += [r[HEADER.index("No HP")] for r in rows] + [f"Rahmawati Purba {k}" for k in range(5)]
    stored = all_text(db)
    digits = [re.sub(r"\D", "", p) for p in personal if re.sub(r"\D", "", p).startswith("08")]
    leaked = [p for p in personal + digits if p and p in stored]
    assert not leaked, leaked[:5]
    assert "@contoh.id" not in stored


# --- hostile rows ----------------------------------------------------------------------------------------------------
HEADER = ["Tanggal", "Unit layanan", "Layanan", "No. Responden", "Persyaratan", "Prosedur", "Waktu", "Biaya",
          "Produk", "Kompetensi", "Perilaku", "Sarana", "Pengaduan", "No HP"]
GOOD = ["2025-05-0{d} 10:1{d}:00", "{unit}", "KTP_EL", "R{d}", "4", "Mudah", "3", "Gratis", "sesuai", "c",
        "Sopan dan ramah", "Baik", "Dikelola dengan baik", "08123456700{d}"]


def _clean_file(path: Path, city: str, n: int = 5) -> list[list[str]]:
    unit = FIRST_UNIT[city][0]
    rows = [[c.format(d=d, unit=unit) for c in GOOD] for d in range(1, n + 1)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return rows


HOSTILE = [  # (what, column, new value, the column the error names, its code)
    ("answer 0", "Persyaratan", "0", "Persyaratan", "skm_answer_range"),
    ("answer 5", "Prosedur", "5", "Prosedur", "skm_answer_range"),
    ("answer 9", "Waktu", "9", "Waktu", "skm_answer_range"),
    ("answer 2.5", "Biaya", "2.5", "Biaya", "skm_answer_range"),
    ("a word of another element", "Persyaratan", "Sangat mudah", "Persyaratan", "skm_answer_word"),
    ("a word on no scale", "Sarana", "lumayan", "Sarana", "skm_answer_word"),
    ("a letter and a contradicting word", "Produk", "a. Sangat sesuai", "Produk", "skm_answer_word"),
    ("a blank answer", "Pengaduan", "", "Pengaduan", "skm_answer_missing"),
    ("an unknown unit", "Unit layanan", "Kantor Camat Atlantis", "Unit layanan", "skm_unknown_unit"),
    ("no unit", "Unit layanan", "", "Unit layanan", "missing_value"),
    ("an unparseable date", "Tanggal", "kemarin sore", "Tanggal", "skm_bad_date"),
    ("a zero date", "Tanggal", "0000-00-00", "Tanggal", "skm_bad_date"),
    ("a zero timestamp", "Tanggal", "0000-00-00 00:00:00", "Tanggal", "skm_bad_date"),
    ("a future date", "Tanggal", "2031-01-01 10:00:00", "Tanggal", "future_timestamp"),
]


@pytest.mark.parametrize(("what", "column", "value", "named", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_row_is_rejected_with_line_and_column(what: str, column: str, value: str, named: str, code: str,
                                                        city_db: tuple[str, Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path = tmp_path / "skm.csv"
    rows = _clean_file(path, city)
    rows[2][HEADER.index(column)] = value  # line 4
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    before = _state(db)
    code_, result = _load(capsys, db, path)
    assert code_ == 1 and result["status"] == "rejected"
    assert [(e["line"], e["column"], e["code"]) for e in result["errors"]] == [(4, named, code)]
    assert _state(db) == before
    assert value.strip() in result["errors"][0]["message"]  # what was found, and (by the code's message) the fix
    code_, partial = _load(capsys, db, path, "--partial")
    assert code_ == 0 and partial["rows_loaded"] == 4 and partial["rows_rejected"] == 1
    con = duckdb.connect(str(db), read_only=True)
    line, reason, raw = con.execute("SELECT line, reason, raw FROM rejects WHERE load_id = $id",
                                    {"id": partial["load_id"]}).fetchone()
    con.close()
    assert line == 4 and named in reason and "081234567003" not in raw


def test_messages_of_a_rejected_answer_in_both_languages(city_db: tuple[str, Path], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path = tmp_path / "skm.csv"
    rows = _clean_file(path, city)
    rows[0][HEADER.index("Waktu")] = "lambat"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    for lang, expect in (("en", "is not an answer on the scale of element U3"),
                         ("id", "bukan jawaban pada skala unsur U3")):
        code = main(["load", "skm", str(path), "--db", str(db), "--json", "--lang", lang])
        message = json.loads(capsys.readouterr().out)["errors"][0]["message"]
        assert code == 1 and expect in message and "tidak cepat / kurang cepat / cepat / sangat cepat" in message


def test_a_repeated_respondent_id_names_both_lines(city_db: tuple[str, Path], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path = tmp_path / "skm.csv"
    rows = _clean_file(path, city)
    rows[3][HEADER.index("No. Responden")] = "R1"  # line 5 repeats line 2's id
    rows[3][HEADER.index("No HP")] = "0899"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    before = _state(db)
    code, result = _load(capsys, db, path)
    assert code == 1 and _state(db) == before
    assert [(e["line"], e["column"], e["code"]) for e in result["errors"]] == [
        (2, "No. Responden", "skm_duplicate_respondent"), (5, "No. Responden", "skm_duplicate_respondent")]
    assert "line 5" in result["errors"][0]["message"] and "line 2" in result["errors"][1]["message"]


def test_a_date_against_the_files_order_is_named(city_db: tuple[str, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    """Day first is settled by 25/03/2025; 03/25/2025 then cannot be read, and is named, not guessed."""
    city, db = city_db
    path = tmp_path / "skm.csv"
    rows = _clean_file(path, city)
    for k, d in enumerate(("25/03/2025 09:00", "26/03/2025 09:00", "27/03/2025 09:00", "03/28/2025 09:00",
                           "05/04/2025 09:00")):
        rows[k][0] = d
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    code, result = _load(capsys, db, path)
    assert code == 1 and [(e["line"], e["code"]) for e in result["errors"]] == [(5, "skm_date_order_conflict")]
    code, result = _load(capsys, db, path, "--partial")
    assert code == 0 and result["date_order"] == "DD/MM/YYYY"
    assert datetime(2025, 4, 5, 9, 0) in [r[2] for r in _rows(db)]  # 05/04 is the 5th of April


@pytest.mark.parametrize("missing", ["Pengaduan", "Sarana"])
def test_a_missing_element_column_rejects_the_file_naming_it(missing: str, city_db: tuple[str, Path],
                                                            tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path = tmp_path / "skm.csv"
    rows = _clean_file(path, city)
    k = HEADER.index(missing)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER[:k] + HEADER[k + 1:], *[r[:k] + r[k + 1:] for r in rows]])
    before = _state(db)
    code, result = _load(capsys, db, path)
    element = {"Pengaduan": "U8", "Sarana": "U9"}[missing]
    assert code == 1 and [e["code"] for e in result["errors"]] == ["skm_missing_element"]
    assert f"element {element} ({words.element(element).name_en})" in result["errors"][0]["message"]
    assert _state(db) == before


def test_number_only_headers_with_numbers_need_the_stated_order(city_db: tuple[str, Path], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path = tmp_path / "skm.csv"
    header = ["Tanggal", "Unit", *[f"Unsur {k}" for k in range(1, 10)]]
    answers = {"U1": 4, "U2": 3, "U3": 2, "U4": 4, "U5": 3, "U6": 4, "U7": 3, "U8": 1, "U9": 2}
    order = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U9", "U8")  # sarana 8th, as the questionnaire asks
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, ["2025-06-02 10:00", FIRST_UNIT[city][0],
                                           *[str(answers[e]) for e in order]]])
    before = _state(db)
    code, result = _load(capsys, db, path)
    assert code == 1 and _state(db) == before
    [error] = result["errors"]
    assert error["code"] == "skm_unplaced" and '"Unsur 1"' in error["message"] and '"Unsur 9"' in error["message"]
    code, result = _load(capsys, db, path, "--elements", "u1,u2,u3,u4,u5,u6,u7,u9,u8")
    assert code == 0
    assert _rows(db) == [(FIRST_UNIT[city][1], None, datetime(2025, 6, 2, 10, 0), *[answers[e] for e in REGULATION],
                          None, None, None, None)]
    assert all(w["code"] == "skm_element_order" for w in result["warnings"] if w["code"].startswith("skm_element"))


@pytest.mark.parametrize("option", ["u1,u2,u3", "u1,u2,u3,u4,u5,u6,u7,u9,u8,u1", "u1,u2,u3,u4,u5,u6,u7,u9,u10",
                                    "u1,u1,u3,u4,u5,u6,u7,u9,u8"])
def test_a_bad_elements_option_is_refused(option: str, city_db: tuple[str, Path], tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path = tmp_path / "skm.csv"
    _clean_file(path, city)
    code, result = _load(capsys, db, path, "--elements", option)
    assert code == 1 and result["errors"] and all(e["line"] is None for e in result["errors"])


def test_timestamps_with_an_offset_become_the_citys_local_time(city_db: tuple[str, Path], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path = tmp_path / "skm.csv"
    rows = _clean_file(path, city, n=3)
    stamps = ["2025-05-01T03:15:00Z", "2025-05-01T10:15:00+07:00", "2025-05-01T12:15:00+09:00"]
    for row, stamp in zip(rows, stamps, strict=True):
        row[0] = stamp
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    code, _result = _load(capsys, db, path)
    assert code == 0
    zone = ZoneInfo(ZONES[city])
    expected = [datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(zone).replace(tzinfo=None) for s in stamps]
    assert sorted(r[2] for r in _rows(db)) == sorted(expected)
    assert len(set(expected)) == 1  # the same instant, three ways


# --- modes and rollback ----------------------------------------------------------------------------------------------
def test_replace_and_rollback(city_db: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    first = tmp_path / "first.csv"
    _clean_file(first, city)
    code, one = _load(capsys, db, first)
    assert code == 0 and len(_rows(db)) == 5
    # a corrected export of the same unit and days: replaces those respondents, not others
    second = tmp_path / "second.csv"
    rows = _clean_file(second, city, n=3)
    for r in rows:
        r[HEADER.index("Persyaratan")] = "1"
    with open(second, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    before_replace = _rows(db)
    code, two = _load(capsys, db, second, "--mode", "replace")
    assert code == 0
    after = _rows(db)
    assert len(after) == 5 and sorted(r[3] for r in after) == [1, 1, 1, 4, 4]  # days 1–3 replaced, 4–5 kept
    assert main(["rollback", str(two["load_id"]), "--db", str(db)]) == 0
    assert _rows(db) == before_replace
    assert main(["rollback", str(one["load_id"]), "--db", str(db)]) == 0
    assert _rows(db) == []
    capsys.readouterr()
    code = main(["load", "skm", str(first), "--db", str(db), "--mode", "upsert"])
    assert code == 2  # upsert is not a mode of the survey


def test_dry_run_writes_nothing(city_db: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    path, truth = WRITERS["excel_xlsx"](tmp_path, city)
    before = _state(db)
    code, result = _load(capsys, db, path, "--dry-run")
    assert code == 0 and result["status"] == "validated" and result["rows_loaded"] == len(truth.rows)
    assert _state(db) == before


# --- the follow-up plan ----------------------------------------------------------------------------------------------
PLAN_HEADER = ["Unit", "Periode", "Unsur", "Rencana Tindak Lanjut", "Penanggung Jawab", "Batas Waktu", "Status",
               "Tanggal Selesai"]


def _plan(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([PLAN_HEADER, *rows])


def _actions(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT unit_code, period, unsur, action, owner, due_date, status, done_date "
                           "FROM fct_skm_actions ORDER BY unit_code, period, unsur, action").fetchall()
    finally:
        con.close()


def test_follow_up_plan_loads_normalised_and_upserts(city_db: tuple[str, Path], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    unit, code = FIRST_UNIT[city]
    path = tmp_path / "rtl.csv"
    _plan(path, [
        [unit, "Semester I 2025", "Sarana dan prasarana", "Menambah kursi ruang tunggu", "Sekcam", "30/09/2025",
         "Direncanakan", ""],
        [unit, "S2 2025", "Waktu penyelesaian", "Antrean daring", "Kasi Pelayanan", "2025-12", "dalam proses", ""],
        ["Disdukcapil", "2025-Q3", "U8", "Kotak pengaduan", "Sekretaris", "Triwulan IV 2025", "Selesai",
         "15/10/2025"],
        ["DISDUKCAPIL", "2025", "biaya/tarif", "Papan informasi tarif gratis", "", "", "", "01/08/2025"],
    ])
    rc, result = _load(capsys, db, path, dataset="skm_actions")
    assert rc == 0 and result["rows_loaded"] == 4
    d = datetime.fromisoformat
    assert _actions(db) == sorted([
        (code, "2025-S1", "U9", "Menambah kursi ruang tunggu", "Sekcam", d("2025-09-30").date(), "planned", None),
        (code, "2025-S2", "U3", "Antrean daring", "Kasi Pelayanan", d("2025-12-31").date(), "in_progress", None),
        ("DISDUKCAPIL", "2025-Q3", "U8", "Kotak pengaduan", "Sekretaris", d("2025-12-31").date(), "done",
         d("2025-10-15").date()),
        ("DISDUKCAPIL", "2025", "U4", "Papan informasi tarif gratis", None, None, "done", d("2025-08-01").date()),
    ])
    assert {w["code"] for w in result["warnings"]} >= {"skm_action_status_derived", "skm_action_no_due_date"}
    # the plan again, one action now done: upserted, and the rollback restores the earlier version
    before = _actions(db)
    _plan(path, [[unit, "2025-S1", "sarana", "menambah kursi  ruang tunggu", "Sekcam", "30/09/2025", "selesai",
                  "20/09/2025"]])
    rc, update = _load(capsys, db, path, dataset="skm_actions")
    assert rc == 0
    after = _actions(db)
    assert len(after) == 4 and ("done", d("2025-09-20").date()) in [(a[6], a[7]) for a in after]
    assert main(["rollback", str(update["load_id"]), "--db", str(db)]) == 0
    assert _actions(db) == before


PLAN_HOSTILE = [
    ("unsur by number alone", 2, "Unsur 8", "Unsur", "skm_unknown_unsur"),
    ("no such element", 2, "Keindahan", "Unsur", "skm_unknown_unsur"),
    ("a bad period", 1, "Semester III 2025", "Periode", "skm_bad_action_period"),
    ("a future period", 1, "2031-S1", "Periode", "skm_future_action_period"),
    ("an unknown status", 6, "hampir", "Status", "skm_unknown_action_status"),
    ("done without a date", 6, "selesai", "Tanggal Selesai", "skm_done_without_date"),
    ("an unknown unit", 0, "Dinas Atlantis", "Unit", "skm_unknown_unit"),
    ("a bad due date", 5, "besok lusa", "Batas Waktu", "skm_bad_action_date"),
    ("no action", 3, "", "Rencana Tindak Lanjut", "missing_value"),
]


@pytest.mark.parametrize(("what", "k", "value", "named", "code"), PLAN_HOSTILE, ids=[h[0] for h in PLAN_HOSTILE])
def test_a_bad_action_is_rejected_with_line_and_column(what: str, k: int, value: str, named: str, code: str,
                                                       city_db: tuple[str, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    unit = FIRST_UNIT[city][0]
    rows = [[unit, "2025-S1", "Persyaratan", f"Tindakan {n}", "Camat", "31/12/2025", "direncanakan", ""]
            for n in range(3)]
    rows[1][k] = value
    path = tmp_path / "rtl.csv"
    _plan(path, rows)
    before = _state(db)
    rc, result = _load(capsys, db, path, dataset="skm_actions")
    assert rc == 1 and [(e["line"], e["column"], e["code"]) for e in result["errors"]] == [(3, named, code)]
    assert _state(db) == before


def test_the_same_action_twice_names_both_lines(city_db: tuple[str, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    city, db = city_db
    unit = FIRST_UNIT[city][0]
    path = tmp_path / "rtl.csv"
    _plan(path, [[unit, "2025-S1", "U1", "Brosur syarat", "", "", "", ""],
                 [unit, "Semester 1 2025", "Persyaratan", "brosur  syarat", "", "", "", ""]])
    rc, result = _load(capsys, db, path, dataset="skm_actions")
    assert rc == 1 and [(e["line"], e["code"]) for e in result["errors"]] == [(2, "skm_action_twice"),
                                                                                (3, "skm_action_twice")]


# --- words and headers (no database) --------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "element"), [
    *[(q, e) for e, q in QUESTIONS.items()],
    *[(f"{n}. {QUESTIONS[e]}", e) for n, e in enumerate(("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U9", "U8"), 1)],
    ("1. Bagaimna pendapat sdr tentang kesesuain persyaratn pelayanan dgn jenis pelayanannya", "U1"),
    ("Bagaimana pendapat Saudara tentang kesusaian produk pelayanan antara yang tercantum dalam standar", "U5"),
    ("prilaku petugas", "U7"), ("KOMPENTENSI PETUGAS", "U6"), ("Sarpras", "U9"), ("Biaya / Tarif", "U4"),
    ("Sistem, Mekanisme dan Prosedur", "U2"), ("Penanganan Pengaduan, Saran dan Masukan", "U8"),
    ("U8 Sarana dan prasarana", "U9"), ("Persyaratan\n(U1)", "U1"), ("  waktu  ", "U3"),
    ("Unsur 8", None), ("8.", None), ("P9", None), ("Saran", None), ("Kritik dan saran", None),
    ("Jenis layanan", None), ("Jenis kelamin", None), ("Lama antre", None),
])
def test_a_header_names_its_element_by_meaning(text: str, element: str | None) -> None:
    assert words.read_header(text).element == element


@pytest.mark.parametrize(("element", "raw", "value"), [
    ("U1", "Sangat Sesuai", 4), ("U1", "sangat  sesuai ", 4), ("U1", "SANGAT\nSESUAI", 4), ("U1", "d", 4),
    ("U1", "D. Sangat sesuai", 4), ("U1", "4 - Sangat sesuai", 4), ("U1", "1", 1), ("U1", "4.0", 4),
    ("U3", "Selalu tepat waktu", 4), ("U3", "tdk cepat", 1), ("U4", "Gratis", 4), ("U4", "cukup mahal", 2),
    ("U6", "Kurang mampu", 2), ("U7", "Tidak sopan & ramah", 1), ("U8", "Ada tapi tidak berfungsi", 2),
    ("U8", "ada, tetapi tidak berfungsi", 2), ("U9", "Cukup", 2), ("U9", "sangat baik", 4), ("U2", "Puas", 3),
    ("U1", "0", None), ("U1", "5", None), ("U1", "9", None), ("U1", "2.5", None), ("U1", "2,5", None),
    ("U1", "Mudah", None), ("U9", "Dikelola dengan baik", None), ("U1", "", None), ("U1", "e", None),
    ("U1", "a. Sangat sesuai", None),
])
def test_answer_words_per_element(element: str, raw: str, value: int | None) -> None:
    from etl.ingest.skm import answer_value

    assert answer_value(words.element(element), raw)[0] == value


def test_a_packs_own_words_are_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.city_packs import make_pack

    pack = make_pack(tmp_path)
    (pack / "skm_words.toml").write_text('[answers.U3]\n1 = ["sangat lambat sekali"]\n'
                                         '[keywords.U9]\n"ruang laktasi" = 1.0\n', encoding="utf-8")
    monkeypatch.setenv("PANTAU_CITY", str(pack))
    assert words.element("U3").scale()["sangat lambat sekali"] == 1
    assert "sangat lambat sekali" not in words.element("U3", "medan").scale()
    assert words.read_header("Ruang laktasi").element == "U9"
    (pack / "skm_words.toml").write_text('[answers.U3]\n4 = ["tidak cepat"]\n', encoding="utf-8")
    words._elements.cache_clear()
    with pytest.raises(ValueError, match="tidak cepat"):
        words.elements()
    words._elements.cache_clear()


def test_truth_is_independent_of_the_loaders_words() -> None:
    """The generator's own words are the questionnaire's, and every one of them is on the loader's scale: if the
    national file lost one, the exports' tests would fail on it, not pass silently."""
    from tests.skm_exports import VARIANTS, WORDS

    for element, table in [*WORDS.items(), *VARIANTS.items()]:
        scale = words.element(element).scale()
        assert [scale[words.word_key(w)] for w in table] == [1, 2, 3, 4]
    assert isinstance(Truth().rows, list)


def test_a_bad_pack_word_file_stops_survey_loads_and_doctor_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture) -> None:
    from etl.ops import doctor
    from tests.city_packs import make_pack

    pack = make_pack(tmp_path)
    db = tmp_path / "pack.duckdb"
    build(db, rows=0, seed=3, city=str(pack), progress=lambda _m: None)
    (pack / "skm_words.toml").write_text('[answers.U12]\n1 = ["entah"]\n', encoding="utf-8")
    monkeypatch.setenv("PANTAU_CITY", str(pack))
    words._elements.cache_clear()
    try:
        path = tmp_path / "skm.csv"
        _clean_file(path, "medan")
        before = _state(db)
        assert main(["load", "skm", str(path), "--db", str(db)]) == 1
        assert "skm_words.toml" in capsys.readouterr().err
        assert _state(db) == before
        check = next(c for c in doctor(db) if c.name == "skm_words")
        assert not check.ok and "U12" in check.message
    finally:
        words._elements.cache_clear()
