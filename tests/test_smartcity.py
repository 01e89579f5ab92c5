"""Smart city: the master-plan dataset (programmes), its definitions (programme_status, per pillar), hostile files,
the pillar indicators of the packs' pillars.toml, and data checks on the sample plan. Real ETL, no mocks."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from base.settings import PackError
from base.smartcity import alias_key, aliases, pillars
from etl.build import build
from etl.ingest import load_file, rollback
from kpi import metrics, smartcity
from kpi.db import Reader
from kpi.filters import Filters

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["programme_id", "name", "pillar", "kind", "agency", "indicator", "unit", "baseline_value", "baseline_year",
          "target_value", "target_year", "realised_value", "period", "note", "source"]


def row(pid: str, pillar: str = "governance", *, kind: str = "medium", b: str = "20", by: str = "2022",
        tv: str = "60", ty: str = "2026", real: str = "44", period: str = "2024-12-31", name: str = "",
        agency: str = "Dinas Kominfo") -> list[str]:
    return [pid, name or f"Programme {pid}", pillar, kind, agency, "indicator", "unit", b, by, tv, ty, real, period,
            "", "test"]


def write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """City pack, 300 sample requests, sample tourism and the sample master plan (the pack's own)."""
    path = tmp_path_factory.mktemp("smartcity") / "base.duckdb"
    build(path, rows=300, seed=11, progress=lambda _m: None)
    return path


@pytest.fixture
def db(base_db: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "pantau.duckdb"
    dst.write_bytes(base_db.read_bytes())
    return dst


def snapshot(db: Path) -> tuple:
    """Everything a programmes load may change, but the audit trail: facts, undo images, rejects."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(con.execute(q).fetchall() for q in (
            "SELECT * FROM fct_programmes ORDER BY ALL", "SELECT * FROM undo_programmes ORDER BY ALL",
            "SELECT * FROM rejects ORDER BY ALL", "SELECT count(*) FROM fct_service_requests",
            "SELECT count(*) FROM fct_tourism_monthly"))
    finally:
        con.close()


def status_rows(db: Path) -> dict[tuple[str, date], tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {(p, d): (pil, prog, exp, st) for p, pil, d, prog, exp, st in
                con.execute("SELECT programme_id, pillar, period, progress, expected, status FROM programme_status")
                .fetchall()}
    finally:
        con.close()


def days(a: date, b: date) -> int:
    return (b - a).days


# --- definitions, hand-worked --------------------------------------------------------------------------------------
def test_progress_expected_and_status_hand_worked(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "plan.csv", [
        row("A1", real="44", period="2024-12-31"),                      # 24 / 40 = 0.60 against 731 / 1461
        row("A2", real="30", period="2024-12-31"),                      # 10 / 40 = 0.25: below 0.5003 - 0.10
        row("F1", "environment", b="180", tv="60", real="78", period="2026-Q3"),   # falling: 102 / 120 = 0.85
        row("C1", "economy", b="0", by="2023", tv="10", ty="2024", real="20", period="2024"),  # 2.0 -> 1.25
        row("N1", "society", b="50", by="2023", tv="100", ty="2025", real="40", period="2024-06"),  # -0.2 -> 0
        row("E1", "living", b="10", by="2022", tv="20", ty="2026", real="10,5", period="2022-06-30"),  # before base
        row("D1", "branding", b="5", by="2023", tv="15", ty="2025", real="15", period="2025-Q1"),  # exactly 1
    ])
    res = load_file(db, "programmes", path, mode="replace")
    assert res.status == "loaded", [p.reason() for p in res.errors]
    got = status_rows(db)
    assert len(got) == 7  # one row per loaded row
    base22, base23 = date(2022, 12, 31), date(2023, 12, 31)
    span = days(base22, date(2026, 12, 31))
    assert span == 1461
    expect = {
        ("A1", date(2024, 12, 31)): ("governance", 0.60, 731 / 1461, "on_track"),
        ("A2", date(2024, 12, 31)): ("governance", 0.25, 731 / 1461, "behind"),
        ("F1", date(2026, 9, 30)): ("environment", 102 / 120, days(base22, date(2026, 9, 30)) / 1461, "on_track"),
        ("C1", date(2024, 12, 31)): ("economy", 1.25, 1.0, "done"),
        ("N1", date(2024, 6, 30)): ("society", 0.0, days(base23, date(2024, 6, 30)) / 731, "behind"),
        ("E1", date(2022, 6, 30)): ("living", 0.05, 0.0, "on_track"),
        ("D1", date(2025, 3, 31)): ("branding", 1.0, days(base23, date(2025, 3, 31)) / 731, "done"),
    }
    assert set(got) == set(expect)
    for key, (pillar, progress, expected, status) in expect.items():
        g_pillar, g_progress, g_expected, g_status = got[key]
        assert g_pillar == pillar
        assert g_progress == pytest.approx(progress, abs=1e-12), key
        assert g_expected == pytest.approx(expected, abs=1e-12), key
        assert g_status == status, key
    assert expect[("F1", date(2026, 9, 30))][2] == pytest.approx(0.93703, abs=1e-5)  # 0.85 >= 0.837: on track


def test_progress_cap_is_the_service_score_cap(db: Path, tmp_path: Path) -> None:
    write(tmp_path / "cap.csv", [row("X", b="0", tv="1", real="1000")])
    assert load_file(db, "programmes", tmp_path / "cap.csv", mode="replace").status == "loaded"
    (progress,) = duckdb.connect(str(db), read_only=True).execute("SELECT progress FROM programme_status").fetchone()
    assert progress == metrics.SCORE_CAP


def test_period_forms_mean_their_last_day(db: Path, tmp_path: Path) -> None:
    forms = {"2025": date(2025, 12, 31), "2025-Q2": date(2025, 6, 30), "Q1 2025": date(2025, 3, 31),
             "2024-02": date(2024, 2, 29), "2025-03-15": date(2025, 3, 15), "15/04/2025": date(2025, 4, 15),
             "2025-TW3": date(2025, 9, 30)}
    write(tmp_path / "p.csv", [row(f"P{i}", period=p) for i, p in enumerate(forms)])
    assert load_file(db, "programmes", tmp_path / "p.csv", mode="replace").status == "loaded"
    got = {pid: d for pid, d in duckdb.connect(str(db), read_only=True)
           .execute("SELECT programme_id, period FROM fct_programmes").fetchall()}
    assert got == {f"P{i}": d for i, d in enumerate(forms.values())}


def test_pillar_summary_at_each_programmes_latest_report(db: Path, tmp_path: Path) -> None:
    write(tmp_path / "s.csv", [
        row("G1", real="22", period="2023-12-31"),   # behind then ...
        row("G1", real="44", period="2024-12-31"),   # ... on track at its latest report: counts as on track
        row("G2", b="0", tv="10", real="10", period="2025"),
        row("E1", "economy", real="21", period="2025-12-31"),
    ])
    assert load_file(db, "programmes", tmp_path / "s.csv", mode="replace").status == "loaded"
    r = Reader(db)
    s = smartcity.pillar_summary(r).set_index("pillar")
    assert list(s.index) == list(pillars())
    assert s.loc["governance", ["programmes", "done", "on_track", "behind"]].tolist() == [2, 1, 1, 0]
    assert s.loc["governance", "mean_progress"] == pytest.approx((0.60 + 1.0) / 2)
    assert s.loc["governance", "status"] == "on_track"
    assert s.loc["economy", "status"] == "behind"
    assert s.loc["living", "programmes"] == 0 and pd.isna(s.loc["living", "status"])
    assert math.isnan(s.loc["living", "mean_progress"])  # no programmes: no mean, not a zero
    latest = smartcity.latest_programmes(r, "governance")
    assert latest["programme_id"].tolist() == ["G1", "G2"] and latest["reports"].tolist() == [2, 1]
    assert smartcity.pillar_status(3, 3, 0) == "done" and smartcity.pillar_status(3, 1, 0) == "on_track"


def test_behind_first_then_least_progress(db: Path, tmp_path: Path) -> None:
    write(tmp_path / "o.csv", [row("A", real="60", period="2024"), row("B", real="30", period="2024"),
                               row("C", real="44", period="2024"), row("D", real="22", period="2024")])
    assert load_file(db, "programmes", tmp_path / "o.csv", mode="replace").status == "loaded"
    got = smartcity.latest_programmes(Reader(db))
    assert got["programme_id"].tolist() == ["D", "B", "C", "A"]
    assert got["status"].tolist() == ["behind", "behind", "on_track", "done"]


# --- words a file may use ------------------------------------------------------------------------------------------
def test_pillars_and_kinds_in_indonesian_or_english_any_case(db: Path, tmp_path: Path) -> None:
    words = {"Tata Kelola": "governance", "SMART GOVERNANCE": "governance", "pencitraan daerah": "branding",
             "Ekonomi": "economy", "Lingkungan Hidup": "environment", "masyarakat": "society", "Gaya Hidup": "living",
             "LINGKUNGAN": "environment", "smart_environment": "environment", "Smart-Living": "living"}
    kinds = ["Quick Win", "jangka pendek", "Jangka Menengah", "quick_win", "SHORT", "medium", "QW", "menengah",
             "pendek", "quick win"]
    header = ["kode_program", "nama_program", "pilar", "jenis", "opd", "indikator", "satuan", "nilai_awal",
              "tahun_awal", "target", "tahun_target", "realisasi", "periode", "keterangan", "sumber"]
    write(tmp_path / "id.csv", [row(f"W{i}", w, kind=k) for i, (w, k) in enumerate(zip(words, kinds, strict=True))],
          header)
    res = load_file(db, "programmes", tmp_path / "id.csv", mode="replace")
    assert res.status == "loaded", [p.reason() for p in res.errors]
    assert res.mapping["pillar"] == "pilar" and res.mapping["realised_value"] == "realisasi"
    got = dict(duckdb.connect(str(db), read_only=True).execute("SELECT programme_id, pillar FROM fct_programmes")
               .fetchall())
    assert got == {f"W{i}": p for i, p in enumerate(words.values())}
    assert set(aliases("pillars").values()) == set(pillars()) and alias_key(" Smart  Branding ") == "smartbranding"


def test_decimal_comma_and_decimal_point(db: Path, tmp_path: Path) -> None:
    write(tmp_path / "dc.csv", [row("K", b="1.000", tv="2.500", real="1.750,5"), row("L", real="12,5")])
    assert load_file(db, "programmes", tmp_path / "dc.csv", mode="replace").status == "loaded"
    con = duckdb.connect(str(db), read_only=True)
    assert dict(con.execute("SELECT programme_id, realised_value FROM fct_programmes").fetchall()) == {
        "K": 1750.5, "L": 12.5}
    assert con.execute("SELECT baseline_value FROM fct_programmes WHERE programme_id = 'K'").fetchone()[0] == 1000
    con.close()
    write(tmp_path / "dp.csv", [row("M", real="12.5")])
    assert load_file(db, "programmes", tmp_path / "dp.csv", mode="replace").status == "loaded"
    assert duckdb.connect(str(db), read_only=True).execute("SELECT realised_value FROM fct_programmes").fetchone()[0] \
        == 12.5


def test_xlsx_is_accepted(db: Path, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "plan.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Rencana induk")
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, ["X1", "CCTV", "Smart Living", "jangka menengah", "Diskominfo", "CCTV", "unit", 250, 2022,
                        1500, 2026, 980, "2025", "", ""])
    wb.close()
    res = load_file(db, "programmes", path, mode="replace")
    assert res.status == "loaded", [p.reason() for p in res.errors]
    got = duckdb.connect(str(db), read_only=True).execute(
        "SELECT pillar, kind, baseline_year, realised_value, period FROM fct_programmes").fetchall()
    assert got == [("living", "medium", 2022, 980.0, date(2025, 12, 31))]


# --- hostile files -------------------------------------------------------------------------------------------------
def _merged_header_xlsx(path: Path) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    top = ["programme_id", "name", "pillar", "kind", "agency", "indicator", "unit"]
    ws.write_row(0, 0, top)
    ws.merge_range(0, 7, 0, 8, "Baseline")      # H1:I1 over value and year
    ws.merge_range(0, 9, 0, 10, "Target")       # J1:K1
    ws.write_row(0, 11, ["realised_value", "period"])
    ws.write_row(1, 7, ["nilai", "tahun", "nilai", "tahun"])
    ws.write_row(2, 0, ["X", "CCTV", "living", "medium", "Kominfo", "CCTV", "unit", 250, 2022, 1500, 2026, 980,
                        "2025"])
    wb.close()
    return path


HOSTILE = [
    # name, rows (or a writer), mode, code, line, column, words the reason names
    ("pillar_not_one_of_six", [row("A"), row("B", "Kesehatan")], "upsert", "unknown_pillar", 3, "pillar",
     "Kesehatan"),
    ("target_year_before_baseline", [row("A", by="2024", ty="2023")], "upsert", "target_not_after_baseline", 2,
     "target_year", "2023"),
    ("target_year_equal_baseline", [row("A", by="2024", ty="2024")], "upsert", "target_not_after_baseline", 2,
     "target_year", "2024"),
    ("realised_as_text", [row("A"), row("B"), row("C", real="dua belas")], "upsert", "bad_value", 4,
     "realised_value", "dua belas"),
    ("realised_with_unit", [row("A", real="45 %")], "upsert", "bad_value", 2, "realised_value", "45 %"),
    ("duplicate_programme_period", [row("A"), row("B"), row("A", real="50")], "upsert", "programme_period_conflict",
     2, "period", "line 4"),
    ("same_period_in_two_forms", [row("A", period="2025"), row("A", period="2025-12-31")], "upsert",
     "programme_period_conflict", 2, "period", "line 3"),
    ("target_equals_baseline", [row("A", b="40", tv="40,0")], "upsert", "target_equals_baseline", 2, "target_value",
     "40"),
    ("kind_unknown", [row("A", kind="jangka panjang")], "upsert", "unknown_kind", 2, "kind", "jangka panjang"),
    ("period_semester", [row("A", period="Semester 1 2025")], "upsert", "bad_programme_period", 2, "period",
     "Semester 1 2025"),
    ("period_in_future", [row("A", period="2031-Q1")], "upsert", "future_period", 2, "period", "2031-Q1"),
    ("year_not_a_year", [row("A", by="20x2")], "upsert", "bad_year", 2, "baseline_year", "20x2"),
    ("empty_realised", [row("A", real="")], "upsert", "missing_value", 2, "realised_value", "realised_value"),
    ("one_programme_two_pillars", [row("A", period="2024"), row("A", "economy", period="2025")], "upsert",
     "programme_pillar_conflict", 3, "pillar", "line 2"),
    ("already_loaded_in_append_mode", [row("GOV-01", real="50", period="2025-12-31")], "append",
     "programme_already_loaded", 2, "period", "GOV-01"),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_rows_are_named_by_line_and_column(case: tuple, db: Path, tmp_path: Path) -> None:
    name, rows, mode, code, line, column, word = case
    path = write(tmp_path / f"{name}.csv", rows)
    before = snapshot(db)
    res = load_file(db, "programmes", path, mode=mode)
    assert res.status == "rejected"
    first = res.errors[0]
    assert (first.code, first.line, first.column) == (code, line, column), [p.as_dict() for p in res.errors]
    for lang in ("id", "en"):
        reason = first.reason(lang)
        assert word in reason.replace("baris", "line") and reason.endswith("."), reason
    assert snapshot(db) == before  # nothing lost, nothing added
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT dataset, status FROM loads ORDER BY load_id DESC LIMIT 1").fetchone() == (
        "programmes", "rejected")
    con.close()


@pytest.mark.parametrize("kind", ["empty", "header_only", "merged_header_xlsx", "no_pillar_column"])
def test_hostile_files_are_refused_whole(kind: str, db: Path, tmp_path: Path) -> None:
    if kind == "empty":
        path, code, line = tmp_path / "empty.csv", "empty_file", None
        path.write_bytes(b"")
    elif kind == "header_only":
        path, code, line = write(tmp_path / "header.csv", []), "header_only", None
    elif kind == "merged_header_xlsx":
        path, code, line = _merged_header_xlsx(tmp_path / "merged.xlsx"), "merged_header", 1
    else:
        path, code, line = write(tmp_path / "nopillar.csv", [row("A")[:2] + row("A")[3:]],
                                 HEADER[:2] + HEADER[3:]), "missing_column", None
    before = snapshot(db)
    res = load_file(db, "programmes", path)
    assert res.status == "rejected" and res.rows_loaded == 0
    assert (res.errors[0].code, res.errors[0].line) == (code, line), [p.as_dict() for p in res.errors]
    if kind == "merged_header_xlsx":
        assert "I, K" in res.errors[0].reason("en") and "I, K" in res.errors[0].reason("id")
    assert snapshot(db) == before


def test_partial_load_keeps_good_rows_and_the_rejects(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "mixed.csv", [row("P1"), row("P2", "Kesehatan"), row("P3")])
    res = load_file(db, "programmes", path, partial=True, mode="replace")
    assert (res.status, res.rows_loaded, res.rows_rejected) == ("loaded", 2, 1)
    con = duckdb.connect(str(db), read_only=True)
    assert [r[0] for r in con.execute("SELECT programme_id FROM fct_programmes ORDER BY 1").fetchall()] == ["P1", "P3"]
    line, reason = con.execute("SELECT line, reason FROM rejects WHERE load_id = $id", {"id": res.load_id}).fetchone()
    assert line == 3 and "Kesehatan" in reason
    con.close()


def test_dry_run_changes_nothing(db: Path, tmp_path: Path) -> None:
    before = snapshot(db)
    good = load_file(db, "programmes", write(tmp_path / "ok.csv", [row("Z")]), dry_run=True)
    bad = load_file(db, "programmes", write(tmp_path / "bad.csv", [row("Z", real="banyak")]), dry_run=True)
    assert (good.status, good.rows_loaded) == ("validated", 1)
    assert bad.status == "rejected" and bad.errors[0].line == 2
    assert snapshot(db) == before


def test_upsert_replaces_a_report_and_rollback_restores_it(db: Path, tmp_path: Path) -> None:
    key = "SELECT realised_value FROM fct_programmes WHERE programme_id = 'GOV-02' AND period = DATE '2025-12-31'"
    con = duckdb.connect(str(db), read_only=True)
    (old,) = con.execute(key).fetchone()
    n = con.execute("SELECT count(*) FROM fct_programmes").fetchone()[0]
    con.close()
    revised = row("GOV-02", name="Layanan adminduk daring", b="18", ty="2025", real="57", period="2025-12-31")
    res = load_file(db, "programmes", write(tmp_path / "rev.csv", [revised]))
    assert (res.status, res.mode, res.rows_loaded) == ("loaded", "upsert", 1)
    con = duckdb.connect(str(db), read_only=True)
    count = "SELECT count(*) FROM fct_programmes"
    assert con.execute(key).fetchone()[0] == 57 and con.execute(count).fetchone()[0] == n
    con.close()
    assert rollback(db, res.load_id).ok
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(key).fetchone()[0] == old and con.execute(count).fetchone()[0] == n
    assert con.execute("SELECT status FROM loads WHERE load_id = $i", {"i": res.load_id}).fetchone()[0] == "rolled_back"
    con.close()


def test_cli_load_via_subprocess(db: Path, tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", [row("CLI-1", real="50")])
    done = subprocess.run([sys.executable, "-m", "etl", "load", "programmes", str(good), "--db", str(db), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["status"], out["rows_loaded"], out["dataset"]) == ("loaded", 1, "programmes")
    bad = write(tmp_path / "bad.csv", [row("CLI-2"), row("CLI-3", "smart kota")])
    before = snapshot(db)
    done = subprocess.run([sys.executable, "-m", "etl", "load", "programmes", str(bad), "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "line 3, column 'pillar'" in done.stderr and "smart kota" in done.stderr
    assert snapshot(db) == before


def test_a_database_without_the_programme_tables(db: Path, tmp_path: Path) -> None:
    """A database made before the dataset existed: the read side shows no plan; a load or a refresh adds them."""
    con = duckdb.connect(str(db))
    con.execute("DROP VIEW programme_status; DROP TABLE fct_programmes; DROP TABLE undo_programmes")
    con.close()
    r = Reader(db)
    assert not smartcity.has_programmes(r)
    assert smartcity.latest_programmes(r).empty and smartcity.quick_wins(r).empty
    assert smartcity.pillar_summary(r)["programmes"].sum() == 0
    assert load_file(db, "programmes", write(tmp_path / "p.csv", [row("Q")]), dry_run=True).status == "validated"
    assert load_file(db, "programmes", tmp_path / "p.csv").status == "loaded"
    assert smartcity.has_programmes(Reader(db)) and len(status_rows(db)) == 1


# --- pillar indicators ---------------------------------------------------------------------------------------------
def test_pillar_indicators_are_the_kpi_layers_figures(db: Path) -> None:
    r = Reader(db)
    f = Filters(date(2025, 1, 1), date(2026, 10, 31))
    got = smartcity.pillar_indicators(r, f, "en").set_index("key")
    assert set(got["pillar"]) == {"governance", "branding", "economy"}  # the pack maps nothing else
    assert got.loc["service_index", "value"] == pytest.approx(metrics.service_index(r, f)["city"], rel=1e-12)
    lapor = Filters(f.date_from, f.date_to, services=("LAPOR_INFO", "LAPOR_ADUAN", "LAPOR_LAPANGAN"))
    now = metrics.summary(r, lapor)
    if now["completed"] >= smartcity.MIN_COMPLETED:
        assert got.loc["lapor_on_time", "value"] == pytest.approx(now["on_time_rate"], rel=1e-12)
    else:
        assert got.loc["lapor_on_time", "value"] is None  # too few completions: withheld, not zero
    nib = Filters(f.date_from, f.date_to, services=("NIB",))
    assert got.loc["nib_issued", "value"] == metrics.summary(r, nib)["completed"]
    assert got.loc["nib_issued", "previous"] == metrics.summary(r, nib.previous())["completed"]
    assert got.loc["on_time_rate", "value"] == pytest.approx(metrics.summary(r, f)["on_time_rate"], rel=1e-12)
    assert got.loc["on_time_rate", "previous"] == pytest.approx(metrics.summary(r, f.previous())["on_time_rate"],
                                                                rel=1e-12)
    # the online share against the raw facts, counted independently
    con = duckdb.connect(str(db), read_only=True)
    online, total = con.execute(
        "SELECT count(*) FILTER (WHERE channel = 'online'), count(*) FROM fct_service_requests "
        "WHERE submitted_at >= DATE '2025-01-01' AND submitted_at < DATE '2026-11-01'").fetchone()
    con.close()
    assert got.loc["online_share", "value"] == pytest.approx(online / total)
    assert "2019" in got.loc["wisman_recovery", "name"]  # {baseline} filled from the pack


def test_no_requests_means_no_figure_not_zero(db: Path) -> None:
    got = smartcity.pillar_indicators(Reader(db), Filters(date(2010, 1, 1), date(2010, 1, 31)), "id")
    requests = got[got["measure"] != "tourism_recovery"]
    assert len(requests) and all(pd.isna(v) or v == 0 for v in requests["value"])
    for measure in ("service_index", "on_time_rate", "channel_share"):
        assert requests.loc[requests["measure"] == measure, "value"].isna().all()


def test_each_shipped_pack_maps_valid_indicators(monkeypatch: pytest.MonkeyPatch) -> None:
    for city in ("medan", "denpasar"):
        monkeypatch.setenv("PANTAU_CITY", city)
        found = smartcity.pack_indicators()
        assert {i.pillar for i in found} >= {"governance", "economy"}
        assert not {i.pillar for i in found} & {"living", "society", "environment"}  # no topic in LAPOR! here
        with open(ROOT / "data" / "reference" / city / "services.csv", encoding="utf-8") as fh:
            services = {r["service_code"] for r in csv.DictReader(fh)}
        assert all(set(i.services) <= services for i in found), city


def test_a_broken_pillars_file_names_itself(tmp_path: Path) -> None:
    bad = tmp_path / "pillars.toml"
    bad.write_text('[[governance]]\nkey = "x"\nmeasure = "median"\nname_id = "x"\nname_en = "x"\n')
    with pytest.raises(PackError, match=r"pillars\.toml.*median"):
        smartcity._pack_indicators(str(bad), 1)
    bad.write_text('[[kesehatan]]\nkey = "x"\nmeasure = "received"\nname_id = "x"\nname_en = "x"\n')
    with pytest.raises(PackError, match="kesehatan"):
        smartcity._pack_indicators(str(bad), 2)


# --- data checks on the loaded sample plan (tier 1) ----------------------------------------------------------------
CHECKS = {
    "unique programme x period": "SELECT count(*) FROM (SELECT programme_id, period FROM fct_programmes "
                                 "GROUP BY ALL HAVING count(*) > 1)",
    "not null": "SELECT count(*) FROM fct_programmes WHERE programme_id IS NULL OR name IS NULL OR pillar IS NULL "
                "OR kind IS NULL OR indicator IS NULL OR baseline_value IS NULL OR target_value IS NULL "
                "OR realised_value IS NULL OR period IS NULL OR source IS NULL",
    "accepted pillar": "SELECT count(*) FROM fct_programmes WHERE pillar NOT IN "
                       "('governance', 'branding', 'economy', 'living', 'society', 'environment')",
    "accepted kind": "SELECT count(*) FROM fct_programmes WHERE kind NOT IN ('quick_win', 'short', 'medium')",
    "accepted status": "SELECT count(*) FROM programme_status WHERE status NOT IN ('done', 'on_track', 'behind')",
    "progress in [0, 1.25]": "SELECT count(*) FROM programme_status WHERE NOT progress BETWEEN 0 AND 1.25",
    "expected in [0, 1]": "SELECT count(*) FROM programme_status WHERE NOT expected BETWEEN 0 AND 1",
    "target after baseline": "SELECT count(*) FROM fct_programmes WHERE target_year <= baseline_year "
                             "OR target_value = baseline_value",
    "one pillar per programme": "SELECT count(*) FROM (SELECT programme_id FROM fct_programmes GROUP BY 1 "
                                "HAVING count(DISTINCT pillar) > 1)",
    "status row per fact row": "SELECT (SELECT count(*) FROM fct_programmes) - (SELECT count(*) FROM "
                               "programme_status AS s JOIN fct_programmes USING (programme_id, period))",
    "status matches its definition": """
        SELECT count(*) FROM programme_status WHERE status <> CASE WHEN progress >= 1 THEN 'done'
            WHEN progress >= expected - 0.1 THEN 'on_track' ELSE 'behind' END""",
    "every row from a known load": "SELECT count(*) FROM fct_programmes WHERE load_id NOT IN "
                                   "(SELECT load_id FROM loads WHERE dataset = 'programmes' AND status = 'loaded')",
}


@pytest.mark.parametrize("check", CHECKS, ids=list(CHECKS))
def test_sample_plan_data_checks(check: str, sample_db: Path) -> None:
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM fct_programmes").fetchone()[0] > 0
        assert con.execute(CHECKS[check]).fetchone()[0] == 0
    finally:
        con.close()


def test_the_sample_plan_is_labelled_and_covers_every_pillar(sample_db: Path) -> None:
    r = Reader(sample_db)
    s = smartcity.pillar_summary(r)
    assert s["programmes"].between(3, 6).all()
    assert s["behind"].sum() > 0 and s["done"].sum() > 0 and s["on_track"].sum() > 0
    latest = smartcity.latest_programmes(r)
    assert latest["source"].str.startswith("sample:").all() and (latest["reports"] >= 2).all()
    assert (latest["kind"] == "quick_win").sum() >= 6
    con = duckdb.connect(str(sample_db), read_only=True)
    assert con.execute("SELECT source, status FROM loads WHERE dataset = 'programmes'").fetchall() == [
        ("sample", "loaded")]
    con.close()


def test_the_cli_offers_every_dataset() -> None:
    from etl.cli import parser
    from etl.ingest.core import DATASETS

    load = parser()._subparsers._group_actions[0].choices["load"]
    dataset = next(a for a in load._actions if a.dest == "dataset")
    assert list(dataset.choices) == list(DATASETS)


# --- the kiosk's pillar view ---------------------------------------------------------------------------------------
def test_kiosk_pillar_view_holds_aggregates_only(sample_db: Path) -> None:
    from kpi import kiosk_charts, kiosk_data

    r = Reader(sample_db)
    view = kiosk_data.view(r, "pillars", "en", 5)
    summary = smartcity.pillar_summary(r)
    assert [n.label for n in view.numbers] == ["Programmes on track", "Programmes behind", "Programmes done",
                                               "Mean progress"]
    assert [n.value for n in view.numbers[:3]] == [str(summary[s].sum()) for s in ("on_track", "behind", "done")]
    assert set(view.frame.columns) == {"pillar", "pillar_label", "status", "status_label", "n"}  # no programme rows
    assert len(view.frame) == 6 * 3 and view.frame["n"].sum() == summary["programmes"].sum()
    spec = kiosk_charts.pillars_chart(view.frame, "en", "dark").to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["✕ Behind", "→ On track", "✓ Done"]


def _kiosk(db: Path, monkeypatch: pytest.MonkeyPatch, views: str) -> str:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.query_params["views"] = views
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/kiosk.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return "\n".join(e.proto.body for e in at.get("html"))


def test_kiosk_rotates_the_pillar_view_only_with_a_plan(sample_db: Path, db: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    html = _kiosk(sample_db, monkeypatch, "pillars")
    assert 'data-view="pillars"' in html and "Programmes behind" in html
    con = duckdb.connect(str(db), read_only=True)
    (load_id,) = con.execute("SELECT load_id FROM loads WHERE dataset = 'programmes'").fetchone()
    con.close()
    assert rollback(db, load_id).ok  # the sample plan undone: no plan left
    html = _kiosk(db, monkeypatch, "pillars,overview")
    assert 'data-view="overview"' in html and "Programmes behind" not in html and "1/1" in html
