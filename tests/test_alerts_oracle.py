"""Tier 2: an independent computation of the overdue alerts, from the requests and the calendar alone, agrees with
`python -m etl alerts --dry-run --json` on generated data (Medan's and Denpasar's sample), about which requests are in
which (unit, step).

The oracle shares no code with kpi/alerts: deadlines and working days come from tests/deadlines.py (the `holidays`
package and the pack's holidays.csv, read again), each request's responsible unit from the units rule as base/units.py
defines it once, the ladder from the pack's alerts.toml read with tomllib, and "working days over" from the words of
data/README.md: the working days whose start, 00:00 local, lies in [due_at, at).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from deadlines import due_at, working_days_of_pack

from base.units import pack_responsibility
from etl.build import build

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "data" / "reference"
# in the data (requests completed after `at` were open then), around Lebaran 2026, and after the data's last day
MOMENTS = ["2026-10-20 10:00", "2026-03-25 14:30", "2026-12-07 09:30"]


@pytest.fixture(scope="module")
def denpasar_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oracle_dps") / "denpasar.duckdb"
    build(path, rows=30_000, seed=7, city="denpasar", progress=lambda _m: None)
    return path


def oracle(db: Path, city: str, at: datetime) -> tuple[dict[tuple[str, int], set[str]], int]:
    """(unit, step) -> request ids by the definitions, and how many of them were completed after `at`."""
    pack = PACKS / city
    con = duckdb.connect(str(db), read_only=True)
    try:
        facts = con.execute("SELECT request_id, service_code, kecamatan_code, channel, submitted_at, completed_at "
                            "FROM fct_service_requests").df()
    finally:
        con.close()
    standards = pd.read_csv(pack / "services.csv", dtype={"service_code": str})[["service_code", "sla_value",
                                                                                  "sla_unit"]]
    frame = facts.merge(standards, on="service_code")
    first = frame["submitted_at"].min().date()
    work = working_days_of_pack(first, date(2028, 12, 31), pack)
    frame["due"] = due_at(frame, work)
    moment = pd.Timestamp(at)
    open_then = (frame["submitted_at"] < moment) & (frame["completed_at"].isna() | (frame["completed_at"] >= moment))
    late = frame[open_then & (frame["due"] < moment)].copy()
    owner = pack_responsibility(city)
    late["unit"] = [(u.unit_code if (u := owner.get((k, s, c))) else None)
                    for k, s, c in zip(late["kecamatan_code"], late["service_code"], late["channel"], strict=True)]
    late = late[late["unit"].notna()]
    # working days d with d 00:00 >= due (the first such day: due's date, or the next one unless due is at 00:00) and
    # d 00:00 < at (the last such day: the date of the instant just before at)
    due = late["due"]
    first_day = due.dt.normalize() + pd.to_timedelta((due != due.dt.normalize()).astype(int), unit="D")
    last_day = (moment - pd.Timedelta(microseconds=1)).normalize()
    counted = (np.searchsorted(work, np.datetime64(last_day.date()), side="right")
               - np.searchsorted(work, first_day.to_numpy(dtype="datetime64[D]"), side="left"))
    late["over"] = np.maximum(counted, 0)
    raw = tomllib.loads((pack / "alerts.toml").read_text(encoding="utf-8"))
    (rule,) = [r for r in raw["rule"] if r["kind"] == "overdue"]
    thresholds = [s["after_working_days"] for s in rule["steps"]]
    late["step"] = [max(i for i, t in enumerate(thresholds) if n >= t) for n in late["over"]]
    out: dict[tuple[str, int], set[str]] = {}
    for unit, step, request in zip(late["unit"], late["step"], late["request_id"], strict=True):
        out.setdefault((unit, int(step)), set()).add(request)
    return out, int(late["completed_at"].notna().sum())


def cli(db: Path, city: str, at: str) -> dict[tuple[str, int], set[str]]:
    env = {**os.environ, "PANTAU_CITY": city, "PANTAU_SECRETS": str(db.with_name("none.toml"))}
    out = subprocess.run([sys.executable, "-m", "etl", "alerts", "--db", str(db), "--at", at, "--dry-run", "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["at"] == at and not db.with_name(db.name + ".alerts.sqlite").exists()
    return {(a["unit_code"], a["step"]): set(a["request_ids"]) for a in result["alerts"] if a["kind"] == "overdue"}


@pytest.mark.parametrize("at", MOMENTS)
@pytest.mark.parametrize("city", ["medan", "denpasar"])
def test_the_cli_places_every_overdue_request_where_the_definitions_do(city: str, at: str, sample_db: Path,
                                                                      denpasar_db: Path) -> None:
    db = sample_db if city == "medan" else denpasar_db
    want, done_later = oracle(db, city, datetime.fromisoformat(at))
    got = cli(db, city, at)
    assert got == want
    # not a vacuous agreement: several units, more than one step of the ladder
    assert len({unit for unit, _ in want}) >= 3 and len({step for _, step in want}) >= 2
    if at == MOMENTS[0]:
        assert done_later > 0, "some requests overdue on that day were completed later: they count as open then"


def test_the_oracle_counts_working_days_as_defined() -> None:
    """The oracle's own count on one hand-worked case: due Fri 28 Mar 2025 00:00 (cuti bersama), at Tue 8 Apr 2025
    10:00 — only Tue 8 Apr is a working day in between (Lebaran), so 1."""
    work = working_days_of_pack(date(2025, 3, 1), date(2025, 4, 30), PACKS / "medan")
    first, last = np.datetime64("2025-03-28"), np.datetime64("2025-04-08")
    assert np.searchsorted(work, last, side="right") - np.searchsorted(work, first, side="left") == 1
    assert date(2025, 4, 8) - timedelta(days=11) == date(2025, 3, 28)
