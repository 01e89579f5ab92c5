"""Tier 2: the rule kinds besides `overdue`, worked by hand — `stale` (days since the last successful load), `index`
(complete ISO weeks in a row with the kecamatan's service index below the band) and `programme` (the latest reports in
a row `behind`), each placed on its rule's steps."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from city_packs import make_pack

from base.alerts import Rule, Step, rules
from base.units import alias_key, pack_name_keys
from etl.build import build
from etl.ingest import load_file
from etl.store import write_transaction
from kpi.alerts import decide
from kpi.db import Reader

T = datetime.fromisoformat


def _rule(kind: str, thresholds: list[int], **options: object) -> Rule:
    return Rule(f"test-{kind}", kind, "Uji", "Test", tuple(Step(n, ("unit",)) for n in thresholds),
                tuple(options.items()))


def test_stale_counts_whole_days_since_the_last_successful_load(fresh_db: Path, tmp_path: Path) -> None:
    """Loaded at L: at L + 3 days 23 h it is 3 days (below the first step, 4); at L + 4 days, step 0; at L + 10 days,
    step 1. A dataset never loaded alerts nobody; a time before the load sees none."""
    csv = tmp_path / "r.csv"
    csv.write_text("request_id,service_code,kecamatan_code,submitted_at\nS1,KK,12.71.11,2025-03-03 10:00:00\n",
                   encoding="utf-8")
    assert load_file(fresh_db, "service_requests", csv).status == "loaded"
    con = duckdb.connect(str(fresh_db), read_only=True)
    try:
        (loaded,) = con.execute("SELECT max(loaded_at) FROM loads WHERE dataset = 'service_requests'").fetchone()
    finally:
        con.close()
    (stale,) = [r for r in rules("medan") if r.kind == "stale"]
    r = Reader(fresh_db)

    def placed(at: datetime) -> list[tuple[str | None, int, str, int]]:
        return [(a.unit_code, a.step, i.id, i.measure) for a in decide(r, (stale,), at).alerts for i in a.items]

    assert placed(loaded + timedelta(days=3, hours=23)) == []
    assert placed(loaded + timedelta(days=4)) == [(None, 0, "service_requests", 4)]
    assert placed(loaded + timedelta(days=10, minutes=1)) == [(None, 1, "service_requests", 10)]
    assert placed(loaded - timedelta(minutes=1)) == []
    never = _rule("stale", [1], dataset="programmes")
    assert decide(r, (never,), loaded + timedelta(days=400)).alerts == ()


@pytest.fixture(scope="module")
def index_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Completed requests of one working-day service in ISO weeks 2025-W10 to W12 (3 to 21 Mar 2025): at Medan Johor
    (12.71.11) all late (index 0), at Medan Tuntungan (12.71.07) all on time (index 1/0.9 = 1.11); in W09 Johor was on
    time too."""
    where = tmp_path_factory.mktemp("index")
    pack = make_pack(where, "medan", name="medan_index", services=[("WD1", 1, "working_days")])
    db = where / "i.duckdb"
    build(db, rows=0, city=str(pack), progress=lambda _m: None)
    rows = []
    for week, monday in enumerate(["2025-02-24", "2025-03-03", "2025-03-10", "2025-03-17"]):
        start = T(f"{monday} 09:00")
        late = week > 0  # W09 on time, W10-W12 late at Johor
        rows.append((f"J{week}", "12.71.11", start, start + timedelta(days=4 if late else 0, hours=1)))
        rows.append((f"T{week}", "12.71.07", start, start + timedelta(hours=1)))
    with write_transaction(db) as con:
        con.executemany("INSERT INTO fct_service_requests VALUES (?, 'WD1', ?, 'loket_kecamatan', ?, ?, 'completed', "
                        "NULL, NULL, 1)", rows)
    return db


@pytest.mark.parametrize(("at", "expected"), [
    ("2025-03-24 10:00", (3, "2025-W10", "2025-W12")),  # W13 begins: W12, W11, W10 below, W09 not: 3 in a row
    ("2025-03-19 10:00", (2, "2025-W10", "2025-W11")),  # within W12, not complete: W11 and W10 below, W09 not: 2
    ("2025-03-10 08:00", None),                          # W11 begins: W10 alone, under the first step (2 weeks)
    ("2025-04-07 10:00", None),                          # W15: W14 and W13 hold no completion, no index: no run
])
def test_index_counts_complete_iso_weeks_in_a_row_below_the_band(index_db: Path, at: str,
                                                                 expected: tuple | None) -> None:
    (index,) = [r for r in rules("medan") if r.kind == "index"]
    decision = decide(Reader(index_db), (index,), T(at))
    found = {(a.unit_code, a.step): [(i.id, i.measure, i.fact("from_week"), i.fact("to_week")) for i in a.items]
             for a in decision.alerts}
    assert found == ({} if expected is None else {("12.71.11", 0): [("12.71.11", *expected)]})


def test_programme_counts_the_latest_reports_behind_and_finds_the_agencys_unit(sample_db: Path) -> None:
    """Against the master plan's own status view, read independently: each programme whose latest report up to the
    moment is `behind`, with how many reports in a row, under the unit its agency names."""
    at = T("2026-10-20 10:00")
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        reports = con.execute("SELECT f.programme_id, f.agency, s.status FROM fct_programmes f JOIN programme_status s "
                              "USING (programme_id, period) WHERE f.period <= ? ORDER BY f.programme_id, f.period",
                              [at.date()]).fetchall()
    finally:
        con.close()
    want: dict[str, tuple[int, str | None]] = {}
    by_programme: dict[str, list[tuple[str, str]]] = {}
    for programme, agency, status in reports:
        by_programme.setdefault(programme, []).append((agency, status))
    names = pack_name_keys("medan")
    for programme, rows in by_programme.items():
        n = 0
        for _, status in reversed(rows):
            if status != "behind":
                break
            n += 1
        if n:
            want[programme] = (n, names.get(alias_key(rows[-1][0] or "")))
    (rule,) = [r for r in rules("medan") if r.kind == "programme"]
    decision = decide(Reader(sample_db), (rule,), at)
    got = {i.id: (i.measure, a.unit_code) for a in decision.alerts for i in a.items}
    assert got == want and len(want) >= 3
    assert any(unit for _, unit in want.values()) and any(unit is None for _, unit in want.values())
    assert {a.step for a in decision.alerts} == {0, 1}  # 1 report behind, and 2 or more



@pytest.fixture(scope="module")
def survey_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Survey respondents written by hand (no requests): every answer of a unit in a semester the same, so its IKM is
    25 × that answer — 4 → 100 (A), 3 → 75 (C), 2 → 50 (D).
      Medan Johor (12.71.11): 2025-S1 all 4 (A), 2025-S2 all 2 (D), 2026-S1 all 2 (D), 40 respondents each;
      Medan Tuntungan (12.71.07): 2025-S2 all 4 (A), 2026-S1 all 3 (C), 40 each;
      the MPP: 2026-S1 all 3 (C), 5 respondents only;
      Disdukcapil: 2026-S1 all 4 (A), 40."""
    db = tmp_path_factory.mktemp("skm_alerts") / "s.duckdb"
    build(db, rows=0, progress=lambda _m: None)
    plan = [("12.71.11", "2025-03-10", 4, 40), ("12.71.11", "2025-09-10", 2, 40), ("12.71.11", "2026-03-10", 2, 40),
            ("12.71.07", "2025-09-10", 4, 40), ("12.71.07", "2026-03-10", 3, 40), ("MPP", "2026-03-10", 3, 5),
            ("DISDUKCAPIL", "2026-03-10", 4, 40)]
    rows = [(unit, T(f"{day} 10:00") + timedelta(minutes=i), *([answer] * 9))
            for unit, day, answer, n in plan for i in range(n)]
    with write_transaction(db) as con:
        con.executemany("INSERT INTO fct_skm_responses (unit_code, submitted_at, u1, u2, u3, u4, u5, u6, u7, u8, u9, "
                        "load_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", rows)
    return db


@pytest.mark.parametrize(("at", "least", "expected"), [
    # 2026-S1 is over: Johor D in 2026-S1 and 2025-S2 (A before): 2 in a row, step 1; Tuntungan C once, step 0;
    # the MPP's 5 respondents are not judged (at least 30)
    ("2026-07-15 10:00", 30, [("12.71.07", 0, "12.71.07@2026-S1", 1), ("12.71.11", 1, "12.71.11@2026-S1", 2)]),
    # the same moment, every unit judged: the MPP's C too
    ("2026-07-15 10:00", 1, [("12.71.07", 0, "12.71.07@2026-S1", 1), ("12.71.11", 1, "12.71.11@2026-S1", 2),
                             ("MPP", 0, "MPP@2026-S1", 1)]),
    # within 2026-S1: the latest semester over is 2025-S2, when only Johor was graded D (once)
    ("2026-06-15 10:00", 30, [("12.71.11", 0, "12.71.11@2025-S2", 1)]),
    # 1 Jul 2026 00:00 itself: 30 Jun is the last day counted, so 2026-S1 is over
    ("2026-07-01 00:00", 30, [("12.71.07", 0, "12.71.07@2026-S1", 1), ("12.71.11", 1, "12.71.11@2026-S1", 2)]),
    # before any semester is over: nothing to judge
    ("2025-06-30 23:00", 1, []),
])
def test_skm_counts_the_latest_semesters_graded_c_or_d(survey_db: Path, at: str, least: int,
                                                        expected: list[tuple[str, int, str, int]]) -> None:
    rule = Rule("grade", "skm", "Uji", "Test", (Step(1, ("head",)), Step(2, ("head", "mayor_office"))),
                (("grades", ("C", "D")), ("min_respondents", least)))
    got = [(a.unit_code, a.step, i.id, i.measure) for a in decide(Reader(survey_db), (rule,), T(at)).alerts
           for i in a.items]
    assert sorted(got) == expected


def test_skm_alert_words_name_the_grade_and_the_semester(survey_db: Path) -> None:
    from kpi.alerts.compose import words

    (rule,) = [r for r in rules("medan") if r.kind == "skm"]
    decision = decide(Reader(survey_db), (rule,), T("2026-07-15 10:00"))
    johor = next(a for a in decision.alerts if a.unit_code == "12.71.11")
    item = johor.items[0]
    assert (item.fact("mutu"), item.fact("ikm"), item.fact("respondents"), item.fact("semester")) == (
        "D", 50.0, 40, "2026-S1")
    said = words(johor, rule, decision, {item.id}, "id", "https://x.go.id/kepuasan")
    assert said.title.startswith("Kantor Camat Medan Johor: mutu D") and "2026" in said.title
    assert "IKM 50,00" in said.lines[0] and "2 semester berturut-turut" in said.lines[0]
    english = words(johor, rule, decision, {item.id}, "en", "https://x.go.id/kepuasan")
    assert "graded D" in english.title and "IKM 50.00" in english.lines[0]
