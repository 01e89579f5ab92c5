"""Tier 3: the satisfaction survey end to end — messy exports as units write them (tests/skm_exports.py) loaded with
`python -m etl load skm`, then `python -m etl skm --json` against a computation written here, apart from kpi/skm.py:
NRR, IKM with exact ninths, the grade on the IKM rounded half up to 2 decimals, the city's unweighted mean, and the
sample needed for N = the requests of the unit's scope, read from units.csv by this file's own reading."""

from __future__ import annotations

import csv
import json
import math
import random
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from skm_exports import WRITERS, Truth

from etl.build import build

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "data" / "reference"
BANDS = ((Decimal("88.31"), "A"), (Decimal("76.61"), "B"), (Decimal("65.00"), "C"))


def _etl(*args: str, city: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**__import__("os").environ, "PANTAU_CITY": city}, timeout=300)


def _pack_rows(city: str, name: str) -> list[dict[str, str]]:
    with open(PACKS / city / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _in_scope(unit: dict[str, str], kecamatan: str, service: str, channel: str) -> bool:
    """units.csv read again: blank kecamatan, services or channels means every one."""
    def held(cell: str, value: str) -> bool:
        return not cell.strip() or value in [p.strip() for p in cell.split("|")]
    return held(unit["kecamatan_code"], kecamatan) and held(unit["services"], service) and held(unit["channels"],
                                                                                                 channel)


def _requests(path: Path, city: str, first: date, last: date, n: int, seed: int) -> list[tuple[str, str, str, date]]:
    """A service-request export in the same weeks as the survey: N of each unit's scope is counted from it."""
    rng = random.Random(seed)
    kec = [r["kecamatan_code"] for r in _pack_rows(city, "kecamatan.csv")]
    svc = [r["service_code"] for r in _pack_rows(city, "services.csv")]
    chan = [r["channel"] for r in _pack_rows(city, "channels.csv")]
    span = (last - first).days
    rows = [(f"E2E-{i:05d}", rng.choice(svc), rng.choice(kec), rng.choice(chan),
             first + timedelta(days=rng.randint(0, span))) for i in range(n)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["request_id", "service_code", "kecamatan_code", "channel", "submitted_at", "completed_at",
                    "status"])
        for rid, s, k, c, d in rows:
            w.writerow([rid, s, k, c, f"{d.isoformat()} 09:30:00", f"{d.isoformat()} 11:00:00", "completed"])
    return [(s, k, c, d) for _rid, s, k, c, d in rows]


def _two(value: Fraction) -> Decimal:
    """Rounded half up to 2 decimals, from the exact fraction."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _grade(ikm: Fraction) -> str:
    shown = _two(ikm)
    return next((g for bound, g in BANDS if shown >= bound), "D")


def _sample(population: int) -> int | None:
    if population == 0:
        return None
    chi, p, d = Fraction(3841, 1000), Fraction(1, 4), Fraction(1, 400)
    return math.ceil(chi * population * p / (d * (population - 1) + chi * p))


def expected(rows: list[dict], requests: list[tuple[str, str, str, date]], units: list[dict[str, str]],
             first: date, last: date, service: str | None = None) -> dict:
    """The --json object computed from the ground truth: every sum exact."""
    chosen = [r for r in rows if first <= r["submitted_at"].date() <= last
              and (service is None or r["service_code"] == service)]
    by_unit: dict[str, list[list[int]]] = defaultdict(list)
    for r in chosen:
        by_unit[r["unit_code"]].append(list(r["answers"]))
    out, ikms = [], []
    for code, answers in by_unit.items():
        n = len(answers)
        nrr = [Fraction(sum(a[i] for a in answers), n) for i in range(9)]
        ikm = 25 * sum(nrr) / 9
        ikms.append(ikm)
        unit = next(u for u in units if u["unit_code"] == code)
        population = sum(1 for s, k, c, d in requests if first <= d <= last and (service is None or s == service)
                         and _in_scope(unit, k, s, c))
        out.append({"unit_code": code, "respondents": n, "nrr": [float(x) for x in nrr], "ikm": ikm,
                    "mutu": _grade(ikm), "population": population, "sample_needed": _sample(population)})
    city = sum(ikms) / len(ikms) if ikms else None
    return {"units": {u["unit_code"]: u for u in out},
            "overall": {"units": len(out), "respondents": len(chosen), "ikm": city,
                        "mutu": _grade(city) if city is not None else None}}


def _compare(got: dict, want: dict, first: date, last: date) -> None:
    assert got["period"] == {"from": first.isoformat(), "to": last.isoformat()}
    assert {u["unit_code"] for u in got["units"]} == set(want["units"])      # only units with respondents
    for u in got["units"]:
        w = want["units"][u["unit_code"]]
        assert u["respondents"] == w["respondents"], u["unit_code"]
        assert [u["nrr"][f"U{i}"] for i in range(1, 10)] == pytest.approx(w["nrr"], abs=1e-12), u["unit_code"]
        assert u["ikm"] == float(_two(w["ikm"])), u["unit_code"]
        assert u["mutu"] == w["mutu"], (u["unit_code"], float(w["ikm"]))
        assert (u["population"], u["sample_needed"]) == (w["population"], w["sample_needed"]), u["unit_code"]
    o = want["overall"]
    assert (got["overall"]["units"], got["overall"]["respondents"], got["overall"]["mutu"]) == (
        o["units"], o["respondents"], o["mutu"])
    assert got["overall"]["ikm"] == float(_two(o["ikm"]))


@pytest.fixture(scope="module", params=["medan", "denpasar"])
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[str, Path, dict[str, Truth], list[tuple[str, str, str, date]]]:
    """Every writer's export of one city loaded into a database with no sample data, plus service requests in the
    same weeks; the truths and the requests returned for the independent computation."""
    city = request.param
    where = tmp_path_factory.mktemp(f"skm_e2e_{city}")
    db = where / "e2e.duckdb"
    build(db, rows=0, city=city, progress=lambda _m: None)
    truths: dict[str, Truth] = {}
    for seed, (name, writer) in enumerate(sorted(WRITERS.items()), 11):
        path, truth = writer(where, city, 90, seed=seed)
        args = ["load", "skm", str(path), "--db", str(db), "--json"]
        if truth.elements:
            args += ["--elements", truth.elements]
        out = _etl(*args, city=city)
        assert out.returncode == 0, (name, out.stdout[-2000:], out.stderr[-2000:])
        result = json.loads(out.stdout)
        assert result["status"] == "loaded" and result["rows_loaded"] == len(truth.rows), name
        if truth.repeat_lines:   # repeats found by phone or e-mail in memory, kept out and named by line
            (warning,) = [w for w in result["warnings"] if w["code"] == "skm_repeats"]
            said = json.dumps(warning)
            assert all(f'"{line} (' in said or f" {line} (" in said for line in truth.repeat_lines), (name, said)
        truths[name] = truth
    stamps = [r["submitted_at"] for t in truths.values() for r in t.rows]
    first, last = min(stamps).date(), max(stamps).date()
    requests = _requests(where / "requests.csv", city, first, last, 600, seed=7)
    out = _etl("load", "service_requests", str(where / "requests.csv"), "--db", str(db), city=city)
    assert out.returncode == 0, out.stderr
    return city, db, truths, requests


def test_skm_json_agrees_with_an_independent_computation(loaded: tuple) -> None:
    city, db, truths, requests = loaded
    rows = [r for t in truths.values() for r in t.rows]
    units = _pack_rows(city, "units.csv")
    stamps = sorted(r["submitted_at"] for r in rows)
    first, last = stamps[0].date(), stamps[-1].date()
    middle = stamps[len(stamps) // 2].date()
    for a, b in ((first, last), (first, middle), (middle, last)):
        out = _etl("skm", "--db", str(db), "--from", a.isoformat(), "--to", b.isoformat(), "--json", city=city)
        assert out.returncode == 0, out.stderr
        _compare(json.loads(out.stdout), expected(rows, requests, units, a, b), a, b)
    named = [r["service_code"] for r in rows if r["service_code"]]
    service = max(set(named), key=named.count)
    out = _etl("skm", "--db", str(db), "--from", first.isoformat(), "--to", last.isoformat(), "--service", service,
               "--json", city=city)
    assert out.returncode == 0, out.stderr
    _compare(json.loads(out.stdout), expected(rows, requests, units, first, last, service), first, last)


def test_nothing_personal_is_stored(loaded: tuple) -> None:
    _city, db, truths, _requests = loaded
    personal = {p for t in truths.values() for p in t.personal if len(p) >= 5}
    assert personal
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]
        cells = [str(v) for table in tables for row in con.execute(f'SELECT * FROM "{table}"').fetchall()
                 for v in row if v is not None]
    finally:
        con.close()

    def digits(text: str) -> str:
        return "".join(ch for ch in text if ch.isdigit())

    stored = "\n".join(cells)
    stored_digits = {digits(c) for c in cells}
    leaked = [p for p in personal if p in stored or (len(digits(p)) >= 8 and any(digits(p) in d for d in
                                                                                  stored_digits))]
    assert not leaked, leaked[:5]
