"""The satisfaction survey's index (IKM, Permenpan RB 14/2017): hand-worked definitions, an independent computation
against `python -m etl skm --json`, the command line's refusals, the report PDF read back, the briefing's line and
the sample data. Real ETL and real databases, no mocks."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pypdf import PdfReader

from base.i18n import t
from etl.build import build
from etl.ingest import load_file
from kpi import fmt, skm
from kpi.briefing import Request, last_complete_week
from kpi.briefing.content import gather
from kpi.db import Reader
from kpi.filters import Filters

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["respondent_id", "unit_code", "service_code", "submitted_at", *(f"u{i}" for i in range(1, 10)), "umur",
           "jenis_kelamin", "pendidikan", "pekerjaan", "load_id"]
S1 = Filters(date(2026, 1, 1), date(2026, 6, 30))


# --- helpers ----------------------------------------------------------------------------------------------------------
def answers_with_total(n: int, total: int) -> list[tuple[int, ...]]:
    """n questionnaires whose 9n answers (1-4) sum to `total`: every answer the same base, some one higher."""
    base, extra = divmod(total, 9 * n)
    assert 1 <= base <= 4 and (base < 4 or extra == 0)
    rows, left = [], extra
    for _ in range(n):
        up = min(9, left)
        left -= up
        rows.append(tuple([base + 1] * up + [base] * (9 - up)))
    return rows


def add_respondents(db: Path, unit: str, answers: list[tuple[int, ...]], when: datetime = datetime(2026, 3, 2, 9),
                    service: str | None = None, profile: tuple = (None, None, None, None), tag: str = "") -> None:
    """Respondents inserted straight into the survey table (the loader is tested elsewhere), load_id 999."""
    rows = [(f"{tag}{unit}-{i}", unit, service, when, *a, *profile, 999) for i, a in enumerate(answers)]
    con = duckdb.connect(str(db))
    try:
        con.executemany(f"INSERT INTO fct_skm_responses ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 18)})", rows)
    finally:
        con.close()


def requests_csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """Service requests (kecamatan, service, channel, submitted_at) as an upload file, all completed a day later."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["request_id", "service_code", "kecamatan_code", "channel", "submitted_at", "completed_at",
                    "status"])
        for i, (kec, svc, channel, at) in enumerate(rows):
            done = (datetime.fromisoformat(at) + timedelta(days=1)).isoformat(sep=" ")
            w.writerow([f"T-{i:05d}", svc, kec, channel, at, done, "completed"])
    return path


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """The city pack without requests or survey (build --rows 0)."""
    path = tmp_path / "pantau.duckdb"
    build(path, rows=0, seed=1, progress=lambda _m: None)
    return path


def ikm_json(db: Path, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "etl", "skm", "--db", str(db), "--json", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def sums_of(rows: list[tuple[int, ...]]) -> list[int]:
    """The sum of the answers to each element."""
    return [sum(r[i] for r in rows) for i in range(9)]


# --- hand-worked definitions ------------------------------------------------------------------------------------------
def test_all_fours_give_100_and_grade_a(empty_db: Path) -> None:
    add_respondents(empty_db, "12.71.11", [(4,) * 9] * 3)
    out = ikm_json(empty_db, "--from", "2026-01-01", "--to", "2026-06-30")
    assert out["units"] == [{"unit_code": "12.71.11", "respondents": 3, "nrr": {f"U{i}": 4.0 for i in range(1, 10)},
                             "ikm": 100.0, "mutu": "A", "population": 0, "sample_needed": None}]
    assert out["overall"] == {"units": 1, "respondents": 3, "ikm": 100.0, "mutu": "A"}
    assert out["period"] == {"from": "2026-01-01", "to": "2026-06-30"}
    # what a 0.111 weight gives instead: the mistake the exact 1/9 avoids
    assert round(25 * 4 * 9 * 0.111, 2) == 99.9


# IKM = 25 x T / (9 n) for n respondents whose answers sum to T: each pair gives the IKM exactly.
BOUNDARIES = [(2500, 79479, "88.31", "A"), (250, 7947, "88.30", "B"), (2500, 68949, "76.61", "B"),
              (5, 117, "65.00", "C"), (2500, 58491, "64.99", "D"), (5000, 158949, "88.31", "A"),
              (500, 15893, "88.29", "B")]


@pytest.mark.parametrize(("n", "total", "shown", "grade"), BOUNDARIES)
def test_grade_bands_at_their_bounds(n: int, total: int, shown: str, grade: str) -> None:
    ikm = skm.ikm_of(skm.nrr(sums_of(answers_with_total(n, total)), n))
    assert ikm == Fraction(25 * total, 9 * n)
    assert skm.rounded(ikm) == Decimal(shown)
    assert skm.grade(ikm) == grade
    assert skm.grade(float(ikm)) == grade  # the same through a float: rounded first, then compared


def test_the_bounds_through_the_command_line(empty_db: Path) -> None:
    """88.31 is A, 88.30 B, 76.61 B, 65.00 C, 64.99 D, 88.305 rounds half up to 88.31 (A): five units' respondent
    sets made to give exactly these, read back from `python -m etl skm --json`."""
    units = {"12.71.01": (2500, 79479), "12.71.02": (250, 7947), "12.71.03": (2500, 68949), "12.71.04": (5, 117),
             "12.71.05": (2500, 58491), "12.71.06": (5000, 158949)}
    for unit, (n, total) in units.items():
        add_respondents(empty_db, unit, answers_with_total(n, total))
    out = ikm_json(empty_db, "--from", "2026-03-02", "--to", "2026-03-02")
    got = {u["unit_code"]: (u["ikm"], u["mutu"]) for u in out["units"]}
    assert got == {"12.71.01": (88.31, "A"), "12.71.02": (88.30, "B"), "12.71.03": (76.61, "B"),
                   "12.71.04": (65.0, "C"), "12.71.05": (64.99, "D"), "12.71.06": (88.31, "A")}


def test_element_scores_nrr_and_index() -> None:
    rows = [(1, 2, 3, 4, 4, 4, 4, 4, 4), (3, 2, 3, 4, 4, 4, 4, 4, 1)]
    frame = skm.element_table([skm.nrr(sums_of(rows), 2)])
    assert frame["unsur"].tolist()[:3] == ["U1", "U2", "U9"]          # lowest first; ties in the regulation's order
    first = frame.iloc[0]
    assert (first["nrr"], first["index"], first["mutu"]) == (2.0, 50.0, "D")
    assert frame.set_index("unsur").loc["U3", "index"] == 75.0 and frame.set_index("unsur").loc["U3", "mutu"] == "C"
    assert frame["rank"].tolist() == list(range(1, 10))


def test_city_ikm_is_the_unweighted_mean_of_units(empty_db: Path) -> None:
    add_respondents(empty_db, "12.71.07", [(4,) * 9])               # 1 respondent: 100
    add_respondents(empty_db, "12.71.08", [(3,) * 9] * 3)           # 3 respondents: 75
    out = ikm_json(empty_db, "--from", "2026-01-01", "--to", "2026-12-31")
    assert out["overall"] == {"units": 2, "respondents": 4, "ikm": 87.5, "mutu": "B"}   # (100 + 75) / 2
    weighted = (100 * 1 + 75 * 3) / 4
    assert weighted == 81.25  # what a mean over respondents would say: not the definition
    assert skm.city_ikm([]) is None


@pytest.mark.parametrize(("population", "needed"), [(100, 80), (1_000, 278), (10_000, 370), (1_000_000, 384),
                                                    (1, 1), (0, None), (None, None)])
def test_sample_needed_krejcie_morgan(population: int | None, needed: int | None) -> None:
    assert skm.sample_needed(population) == needed


def test_population_is_the_units_scope_and_a_unit_without_requests_is_not_judged(empty_db: Path,
                                                                                 tmp_path: Path) -> None:
    """100 KTP-el requests at the Medan Johor counter in January: in the scope of its kantor camat and of
    Disdukcapil (every KTP-el request of the city, whichever unit answers for it), not of the MPP (requests made at
    the MPP) nor of DPMPTSP (licences)."""
    rows = [("12.71.11", "KTP_EL", "loket_kecamatan", f"2026-01-{5 + i % 20:02d} 09:{i % 60:02d}:00")
            for i in range(100)]
    res = load_file(empty_db, "service_requests", requests_csv(tmp_path / "r.csv", rows))
    assert res.ok, [p.reason("en") for p in res.errors]
    for unit in ("12.71.11", "DISDUKCAPIL", "MPP", "DPMPTSP"):
        add_respondents(empty_db, unit, [(3,) * 9] * 2, when=datetime(2026, 1, 20, 10), service="KTP_EL")
    out = {u["unit_code"]: u for u in ikm_json(empty_db, "--from", "2026-01-01", "--to", "2026-01-31")["units"]}
    assert {c: (u["population"], u["sample_needed"]) for c, u in out.items()} == {
        "12.71.11": (100, 80), "DISDUKCAPIL": (100, 80), "MPP": (0, None), "DPMPTSP": (0, None)}
    # the on-time rate beside the IKM is over the same scope: all 100 completed a day later, KTP-el's standard 24 h
    r = Reader(empty_db)
    results = skm.unit_results(r, Filters(date(2026, 1, 1), date(2026, 1, 31)), "en").set_index("unit_code")
    assert results.loc["12.71.11", "completed"] == 100 and results.loc["12.71.11", "on_time_rate"] == 1.0
    assert pd.isna(results.loc["MPP", "on_time_rate"]) and results.loc["MPP", "sample_met"] is None


def test_service_filter_counts_only_respondents_naming_it(empty_db: Path, tmp_path: Path) -> None:
    rows = [("12.71.11", svc, "loket_kecamatan", f"2026-02-0{2 + i % 5} 10:00:00")
            for i, svc in enumerate(["KTP_EL"] * 30 + ["KK"] * 12)]
    assert load_file(empty_db, "service_requests", requests_csv(tmp_path / "r.csv", rows)).ok
    add_respondents(empty_db, "12.71.11", [(4,) * 9] * 2, datetime(2026, 2, 9, 9), service="KTP_EL", tag="a")
    add_respondents(empty_db, "12.71.11", [(2,) * 9] * 3, datetime(2026, 2, 9, 9), service="KK", tag="b")
    add_respondents(empty_db, "12.71.11", [(1,) * 9], datetime(2026, 2, 9, 9), service=None, tag="c")
    every = ikm_json(empty_db, "--from", "2026-02-01", "--to", "2026-02-28")["units"][0]
    assert every["respondents"] == 6 and every["population"] == 42
    ktp = ikm_json(empty_db, "--from", "2026-02-01", "--to", "2026-02-28", "--service", "KTP_EL")["units"][0]
    assert (ktp["respondents"], ktp["ikm"], ktp["population"], ktp["sample_needed"]) == (2, 100.0, 30, 28)
    kk = ikm_json(empty_db, "--from", "2026-02-01", "--to", "2026-02-28", "--service", "KK")["units"][0]
    assert (kk["respondents"], kk["ikm"], kk["mutu"], kk["population"]) == (3, 50.0, "D", 12)
    none = ikm_json(empty_db, "--from", "2026-02-01", "--to", "2026-02-28", "--service", "PBG")
    assert none["units"] == [] and none["overall"] == {"units": 0, "respondents": 0, "ikm": None, "mutu": None}


def test_periods_are_local_dates_both_ends_inclusive(empty_db: Path) -> None:
    add_respondents(empty_db, "12.71.11", [(4,) * 9], datetime(2026, 1, 1, 0, 0), tag="first")
    add_respondents(empty_db, "12.71.11", [(4,) * 9], datetime(2026, 6, 30, 23, 59, 59), tag="last")
    add_respondents(empty_db, "12.71.11", [(1,) * 9], datetime(2026, 7, 1, 0, 0), tag="after")
    add_respondents(empty_db, "12.71.11", [(1,) * 9], datetime(2025, 12, 31, 23, 59, 59), tag="before")
    unit = ikm_json(empty_db, "--from", "2026-01-01", "--to", "2026-06-30")["units"][0]
    assert (unit["respondents"], unit["ikm"]) == (2, 100.0)
    assert skm.period_range("2026-S1") == (date(2026, 1, 1), date(2026, 6, 30))
    assert skm.period_range("2026-s2") == (date(2026, 7, 1), date(2026, 12, 31))
    assert skm.period_range("2024-Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert skm.period_range("2025") == (date(2025, 1, 1), date(2025, 12, 31))
    assert skm.semester_of(date(2026, 6, 30)) == "2026-S1" and skm.semester_of(date(2026, 7, 1)) == "2026-S2"
    for bad in ("2026-S3", "2026-H1", "26-S1", "", "2026-Q5"):
        with pytest.raises(skm.SkmError):
            skm.period_range(bad)


def test_follow_up_lowest_elements_and_an_unplanned_poor_element(empty_db: Path) -> None:
    """U8 and U3 graded D and C; an action for U8 only: U3 is flagged; shares of done and done by the due date."""
    answers = [(4, 4, 3, 4, 4, 4, 4, 2, 4)] * 4
    add_respondents(empty_db, "12.71.11", answers)
    con = duckdb.connect(str(empty_db))
    con.executemany("INSERT INTO fct_skm_actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, 999)", [
        ("12.71.11", "2026-S1", "U8", "Petugas pengaduan", "Sekretaris", date(2026, 9, 30), "done", date(2026, 9, 1)),
        ("12.71.11", "2026-S1", "U8", "Kotak saran", None, date(2026, 8, 31), "done", date(2026, 9, 15)),
        ("12.71.11", "2026-Q2", "U9", "Kursi", None, date(2026, 8, 31), "planned", None),
        ("12.71.11", "2025-S2", "U3", "Lama", None, date(2026, 3, 31), "done", date(2026, 3, 1)),  # not this period
    ])
    con.close()
    r = Reader(empty_db)
    lowest = skm.lowest_elements(r, S1).set_index("unsur")
    assert list(lowest.index[:3]) == ["U8", "U3", "U1"]
    assert (lowest.loc["U8", "mutu"], lowest.loc["U8", "actions"], lowest.loc["U8", "unplanned"]) == ("D", 2, False)
    assert (lowest.loc["U3", "mutu"], lowest.loc["U3", "unplanned"]) == ("C", True)
    assert lowest.loc["U8", "action_text"] == "Kotak saran · Petugas pengaduan"
    planned = skm.actions(r, S1)
    assert len(planned) == 3  # the 2025-S2 action answers another period
    assert skm.action_shares(planned) == {"actions": 3, "done": 2, "done_on_time": 1, "share_done": 2 / 3,
                                          "share_done_on_time": 1 / 3}


def test_latest_semester_is_the_last_one_over(empty_db: Path) -> None:
    assert skm.latest_semester(Reader(empty_db)) is None  # (a reader left open would keep the file from writers)
    add_respondents(empty_db, "12.71.11", [(3,) * 9], datetime(2026, 8, 3, 9), tag="s2")
    assert skm.latest_semester(Reader(empty_db)) == "2026-S2"      # none over yet: the current one
    add_respondents(empty_db, "12.71.11", [(3,) * 9], datetime(2026, 2, 3, 9), tag="s1")
    r = Reader(empty_db)
    assert skm.latest_semester(r) == "2026-S1"
    assert skm.latest_semester(r, date(2026, 12, 31)) == "2026-S2"
    assert skm.latest_semester(r, date(2026, 5, 1)) == "2026-S1"
    assert skm.report_periods(r) == ["2026-S2", "2026-S1"]


# --- an independent computation ---------------------------------------------------------------------------------------
def independent(db: Path, start: date, end: date, unit: str | None = None, service: str | None = None) -> dict:
    """The same figures from the raw tables with pandas and exact fractions, written apart from kpi/skm.py: the
    facts (not the marts) for the population, the grade bands as the regulation prints them."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        answers = con.execute("SELECT * FROM fct_skm_responses").df()
        requests = con.execute("SELECT kecamatan_code, service_code, channel, submitted_at FROM service_requests").df()
        scope = con.execute("SELECT unit_code, kecamatan_code, service_code, channel FROM dim_unit_scope").df()
        order = con.execute("SELECT unit_code FROM dim_unit ORDER BY kecamatan_code IS NULL, unit_code").df()
    finally:
        con.close()
    day = answers["submitted_at"].dt.date
    picked = answers[(day >= start) & (day <= end)]
    if service:
        picked = picked[picked["service_code"] == service]
    if unit:
        picked = picked[picked["unit_code"] == unit]
    in_period = requests[(requests["submitted_at"].dt.date >= start) & (requests["submitted_at"].dt.date <= end)]
    if service:
        in_period = in_period[in_period["service_code"] == service]
    population = in_period.merge(scope, on=["kecamatan_code", "service_code", "channel"]).groupby("unit_code").size()

    def half_up(x: Fraction) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = 60
            return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def mutu(x: Fraction) -> str:
        v = half_up(x)
        return "A" if v >= Decimal("88.31") else "B" if v >= Decimal("76.61") else "C" if v >= Decimal("65.00") \
            else "D"

    units, ikms = [], []
    for code in order["unit_code"]:
        mine = picked[picked["unit_code"] == code]
        if mine.empty:
            continue
        n = len(mine)
        sums = [int(mine[f"u{i}"].sum()) for i in range(1, 10)]
        ikm = Fraction(25 * sum(sums), 9 * n)
        ikms.append(ikm)
        big_n = int(population.get(code, 0))
        needed = math.ceil(Fraction(3841, 1000) * big_n * Fraction(1, 4)
                           / (Fraction(25, 10000) * (big_n - 1) + Fraction(3841, 1000) * Fraction(1, 4))) \
            if big_n else None
        units.append({"unit_code": code, "respondents": n, "nrr": {f"U{i}": s / n for i, s in enumerate(sums, 1)},
                      "ikm": float(half_up(ikm)), "mutu": mutu(ikm), "population": big_n, "sample_needed": needed})
    city = sum(ikms, Fraction(0)) / len(ikms) if ikms else None
    return {"period": {"from": start.isoformat(), "to": end.isoformat()}, "units": units,
            "overall": {"units": len(units), "respondents": sum(u["respondents"] for u in units),
                        "ikm": float(half_up(city)) if city is not None else None,
                        "mutu": mutu(city) if city is not None else None}}


@pytest.fixture(scope="module")
def survey_db(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample database (its generated survey) plus respondents inserted at the edges: a unit with one
    respondent, respondents on the first and last instant of the semester and just outside it, a service."""
    db = tmp_path_factory.mktemp("survey") / "pantau.duckdb"
    db.write_bytes(sample_db.read_bytes())
    add_respondents(db, "DPMPTSP", [(2, 3, 1, 4, 4, 3, 2, 2, 1)], datetime(2026, 1, 1, 0, 0), "PBG", tag="x")
    add_respondents(db, "MPP", [(4, 4, 4, 4, 4, 4, 4, 4, 3)] * 7, datetime(2026, 6, 30, 23, 59, 59), "KTP_EL",
                    profile=("20-29", "P", "S1", "PNS"), tag="y")
    add_respondents(db, "MPP", [(1,) * 9] * 5, datetime(2026, 7, 1, 0, 0), "KTP_EL", tag="z")
    add_respondents(db, "12.71.03", [(1, 1, 1, 1, 1, 1, 1, 1, 2)], datetime(2026, 3, 3, 8, 0), None, tag="w")
    return db


def _same(cli: dict, ours: dict) -> None:
    assert cli["period"] == ours["period"] and cli["overall"] == ours["overall"]
    assert [u["unit_code"] for u in cli["units"]] == [u["unit_code"] for u in ours["units"]]
    for a, b in zip(cli["units"], ours["units"], strict=True):
        assert {k: v for k, v in a.items() if k != "nrr"} == {k: v for k, v in b.items() if k != "nrr"}
        assert a["nrr"] == pytest.approx(b["nrr"], rel=1e-12, abs=0)


@pytest.mark.parametrize("args", [(), ("--service", "KTP_EL"), ("--unit", "MPP"), ("--unit", "DPMPTSP",
                                                                                   "--service", "PBG")])
def test_cli_json_agrees_with_an_independent_computation(survey_db: Path, args: tuple[str, ...]) -> None:
    cli = ikm_json(survey_db, "--from", "2026-01-01", "--to", "2026-06-30", *args)
    opts = dict(zip(args[::2], args[1::2], strict=True))
    ours = independent(survey_db, date(2026, 1, 1), date(2026, 6, 30), opts.get("--unit"), opts.get("--service"))
    assert cli["units"], "the sample survey has respondents in the semester"
    _same(cli, ours)


def test_cli_json_agrees_over_a_whole_year_and_a_day(survey_db: Path) -> None:
    for start, end in ((date(2025, 1, 1), date(2025, 12, 31)), (date(2026, 7, 1), date(2026, 7, 1))):
        _same(ikm_json(survey_db, "--from", start.isoformat(), "--to", end.isoformat()),
              independent(survey_db, start, end))


# --- the command line's refusals --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "says"), [
    (["skm", "--from", "2026-01-01", "--to", "2026-06-30", "--unit", "NOPE"], "unknown unit NOPE"),
    (["skm", "--from", "2026-01-01", "--to", "2026-06-30", "--service", "NOPE"], "unknown service NOPE"),
    (["skm", "--from", "2026-06-30", "--to", "2026-01-01"], "is before"),
    (["skm", "--from", "2026-13-01", "--to", "2026-06-30"], "is not a date"),
    (["skm-report", "--unit", "NOPE", "--period", "2026-S1"], "unknown unit NOPE"),
    (["skm-report", "--unit", "MPP", "--period", "2026-S3"], "2026-S3"),
    (["skm-report", "--unit", "MPP", "--period", "2019-S1"], "no SKM respondent"),
    (["skm-report", "--unit", "MPP", "--period", "2026-S1", "--service", "NOPE"], "unknown service"),
])
def test_cli_bad_input_exits_2(survey_db: Path, tmp_path: Path, args: list[str], says: str) -> None:
    out_args = ["--out", str(tmp_path / "r.pdf")] if args[0] == "skm-report" else []
    out = subprocess.run([sys.executable, "-m", "etl", *args, "--db", str(survey_db), "--lang", "en", *out_args],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert says in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_cli_refusals_speak_indonesian_by_default(survey_db: Path, tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "etl", "skm", "--db", str(survey_db), "--from", "2026-01-01", "--to",
                          "2026-06-30", "--unit", "NOPE"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "unit NOPE tidak dikenal" in out.stderr and "MPP" in out.stderr
    for bad in (tmp_path / "missing" / "r.pdf", tmp_path):
        out = subprocess.run([sys.executable, "-m", "etl", "skm-report", "--db", str(survey_db), "--unit", "MPP",
                              "--period", "2026-S1", "--out", str(bad)], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 2 and "tidak dapat menulis" in out.stderr


def test_cli_table_for_people(survey_db: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "etl", "skm", "--db", str(survey_db), "--from", "2026-01-01", "--to",
                          "2026-06-30", "--lang", "en"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    every = skm.overall(Reader(survey_db), S1)
    assert f"City: {every['units']} units" in out.stdout and fmt.number(every["ikm"], "en", 2) in out.stdout
    assert "Public Service Mall" in out.stdout and "sample needed" in out.stdout


# --- the report PDF, read back ----------------------------------------------------------------------------------------
def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_report_pdf_holds_the_kpi_layers_figures(survey_db: Path, tmp_path: Path, lang: str) -> None:
    out = tmp_path / f"skm_{lang}.pdf"
    run = subprocess.run([sys.executable, "-m", "etl", "skm-report", "--db", str(survey_db), "--unit", "MPP",
                          "--period", "2026-S1", "--lang", lang, "--out", str(out)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    pdf = out.read_bytes()
    text = pdf_text(pdf)
    r = Reader(survey_db)
    row = skm.unit_results(r, S1, lang, "MPP").iloc[0]
    assert t("satisfaction.report.title", lang) in text and row["name"] in text
    for section in ("basis", "method", "results", "analysis", "follow_up", "closing"):
        assert t(f"satisfaction.report.section.{section}", lang) in text
    assert "14/2017" in text or "14 of 2017" in text
    assert fmt.number(row["ikm_2dp"], lang, 2) in text and t(f"satisfaction.grade.{row['mutu']}", lang) in text
    assert fmt.number(row["population"], lang) in text and fmt.number(row["sample_needed"], lang) in text
    assert fmt.number(row["respondents"], lang) in text and fmt.percent(row["on_time_rate"], lang) in text
    elements = skm.elements(r, S1, "MPP")
    for e in elements.itertuples():
        assert fmt.number(e.nrr, lang, 3) in text and fmt.number(e.index, lang, 2) in text
    for e in elements.head(3).itertuples():
        assert skm.element_name(e.unsur, lang) in text
    shares = skm.action_shares(skm.actions(r, S1, "MPP"))
    assert shares["actions"] and fmt.percent(shares["share_done_on_time"], lang, 0) in text
    assert f"{t('satisfaction.report.sample', lang)}" in text  # the sample mark
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 4


# --- the briefing's line ----------------------------------------------------------------------------------------------
def test_the_briefing_names_the_latest_semesters_city_ikm_and_its_poor_units(survey_db: Path) -> None:
    r = Reader(survey_db)
    week = last_complete_week(r)
    content, _ = gather(r, Request(week, lang="en"))
    line = content["satisfaction"]["line"]
    semester = skm.latest_semester(r, Request(week).filters().date_to)
    f = Filters(*skm.period_range(semester))
    every = skm.overall(r, f)
    assert skm.period_text(semester, "en") in line and fmt.number(every["ikm"], "en", 2) in line
    poor = skm.unit_results(r, f, "en").query("mutu in ('C', 'D')")
    assert all(name in line for name in poor["name"])
    assert ("Units graded C or D" in line) == bool(len(poor))


def test_without_a_survey_the_briefing_has_no_such_line(sample_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "nosurvey.duckdb"
    db.write_bytes(sample_db.read_bytes())
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM fct_skm_responses")
    con.close()
    r = Reader(db)
    content, _ = gather(r, Request(last_complete_week(r), lang="id"))
    assert content["satisfaction"] is None


# --- the sample -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("city", ["medan", "denpasar"])
def test_sample_survey_tells_its_story(city: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beside sample requests only: respondents every semester, IKMs mostly 78-90, one or two units at C, some units
    short of their sample, follow-up actions done on time, late, or still planned, and one element graded C or D
    without an action; the same seed gives the same rows."""
    monkeypatch.setenv("PANTAU_CITY", city)
    db = tmp_path / "a.duckdb"
    build(db, rows=60_000, seed=3, city=city, progress=lambda _m: None)
    r = Reader(db)
    assert skm.has_sample(r)
    semesters = skm.report_periods(r)
    assert semesters[-1] == "2023-S1" and len(semesters) == 8
    latest = skm.latest_semester(r)
    f = Filters(*skm.period_range(latest))
    units = skm.unit_results(r, f, "id")
    assert len(units) == len(skm.unit_names(r, "id"))
    assert units["ikm"].between(78, 90).mean() >= 0.7
    assert 1 <= int(units["mutu"].eq("C").sum()) <= 2 and not units["mutu"].eq("D").any()
    assert len(skm.semester_trend(r)) == 8  # a city row for every semester
    short = sum(int(skm.unit_results(r, Filters(*skm.period_range(s)), "id")["sample_met"].eq(False).sum())
                for s in semesters)
    assert short >= 3
    earlier = skm.actions(r, Filters(date(2024, 7, 1), date(2025, 12, 31)))
    assert earlier["done"].any() and (earlier["done"] & ~earlier["done_on_time"]).any()
    latest_actions = skm.actions(r, f)
    assert latest_actions["status"].isin(["planned", "in_progress"]).any()
    assert int(skm.lowest_elements(r, f)["unplanned"].sum()) == 1
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT count(*), sum(hash(respondent_id, unit_code, submitted_at, u1, u9, umur)) "
                       "FROM fct_skm_responses").fetchone()
    sources = con.execute("SELECT dataset, source FROM loads WHERE dataset LIKE 'skm%' ORDER BY dataset").fetchall()
    con.close()
    assert sources == [("skm", "sample"), ("skm_actions", "sample")]
    again = tmp_path / "b.duckdb"
    build(again, rows=60_000, seed=3, city=city, progress=lambda _m: None)
    con = duckdb.connect(str(again), read_only=True)
    assert con.execute("SELECT count(*), sum(hash(respondent_id, unit_code, submitted_at, u1, u9, umur)) "
                       "FROM fct_skm_responses").fetchone() == rows
    con.close()


def test_sample_profile_uses_the_loaders_categories() -> None:
    """The sample writes the categories a loaded file would be stored as (data/skm.toml), so the page orders and
    labels them as it does real data."""
    from base import skm as words
    from etl.skm_sample import PROFILE

    for field in ("jenis_kelamin", "pendidikan", "pekerjaan"):
        assert {c for c, _ in PROFILE[field] if c} <= set(words.profile_words(field).values()), field
    bands = {c for c, _ in PROFILE["umur"] if c}
    assert bands == {words.age_band(a) for a in (15, 25, 35, 45, 55, 65)}
    for field, shares in PROFILE.items():
        assert abs(sum(s for _, s in shares) - 1) < 1e-9, field


def test_no_sample_survey_without_sample_requests(empty_db: Path) -> None:
    r = Reader(empty_db)
    assert not skm.has_responses(r) and not skm.has_sample(r)
    assert skm.unit_results(r, S1).empty and skm.overall(r, S1)["ikm"] is None
