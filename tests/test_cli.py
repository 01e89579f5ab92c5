"""Tier 2: the CLI contract (exit codes, JSON shape) and KPI figures against an independent computation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import deadlines
import duckdb
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def etl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)


def test_kpi_json_shape_and_independent_figures(sample_db: Path) -> None:
    out = etl("kpi", "--db", str(sample_db), "--from", "2024-01-01", "--to", "2024-12-31", "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert set(got) == {"period", "received", "completed", "open_at_end", "overdue_at_end", "median_hours",
                        "p90_hours", "on_time_rate", "by_kecamatan"}
    assert got["period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    assert len(got["by_kecamatan"]) == 21
    assert set(got["by_kecamatan"][0]) == {"kecamatan_code", "received", "completed", "median_hours", "on_time_rate"}

    # Independent computation straight from the analyst-facing view, in numpy.
    con = duckdb.connect(str(sample_db), read_only=True)
    raw = con.execute("""SELECT r.kecamatan_code, r.submitted_at, r.completed_at, s.sla_value, s.sla_unit
                         FROM service_requests r JOIN services s USING (service_code)""").df()
    due = deadlines.due_at(raw, deadlines.working_days_of_db(con))
    con.close()
    on_time = deadlines.on_time(raw, due).to_numpy()
    start, end = np.datetime64("2024-01-01"), np.datetime64("2025-01-01")
    sub, done = raw["submitted_at"].to_numpy(), raw["completed_at"].to_numpy()
    received = (sub >= start) & (sub < end)
    completed = (done >= start) & (done < end)
    hours = (done[completed] - sub[completed]) / np.timedelta64(1, "h")
    assert got["received"] == int(received.sum())
    assert got["completed"] == int(completed.sum())
    assert got["open_at_end"] == int(((sub < end) & (np.isnat(done) | (done >= end))).sum())
    assert got["median_hours"] == pytest.approx(np.percentile(hours, 50), abs=0.01)
    assert got["p90_hours"] == pytest.approx(np.percentile(hours, 90), abs=0.01)
    assert got["on_time_rate"] == pytest.approx(on_time[completed].astype(float).mean(), abs=1e-9)
    open_at_end = (sub < end) & (np.isnat(done) | (done >= end))
    assert got["overdue_at_end"] == int((open_at_end & (due.to_numpy() < end)).sum()) > 0
    johor = next(k for k in got["by_kecamatan"] if k["kecamatan_code"] == "12.71.11")
    in_johor = (raw["kecamatan_code"] == "12.71.11").to_numpy()
    assert johor["received"] == int((received & in_johor).sum())
    assert johor["median_hours"] == pytest.approx(
        np.percentile((done[completed & in_johor] - sub[completed & in_johor]) / np.timedelta64(1, "h"), 50), abs=0.01)


def test_kpi_filters_and_nulls(sample_db: Path) -> None:
    out = etl("kpi", "--db", str(sample_db), "--from", "2018-01-01", "--to", "2018-01-31",
              "--kecamatan", "12.71.11", "--service", "KK", "--json")
    got = json.loads(out.stdout)
    assert out.returncode == 0
    assert (got["received"], got["completed"], got["median_hours"], got["on_time_rate"]) == (0, 0, None, None)
    assert [k["kecamatan_code"] for k in got["by_kecamatan"]] == ["12.71.11"]


@pytest.mark.parametrize("args", [
    ["kpi", "--from", "2024-13-01", "--to", "2024-12-31"],
    ["kpi", "--from", "2024-02-01"],
    ["kpi", "--from", "2024-02-01", "--to", "2024-01-01"],
    ["nonsense"],
    ["build", "--rows", "-5"],
])
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    out = etl(*args, "--db", str(tmp_path / "none.duckdb")) if args[0] != "nonsense" else etl(*args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "error" in out.stderr


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    out = etl("kpi", "--db", str(tmp_path / "missing.duckdb"), "--from", "2024-01-01", "--to", "2024-01-31")
    assert out.returncode == 1
    assert "does not exist" in out.stderr and "python -m etl build" in out.stderr
    assert "Traceback" not in out.stderr


def test_build_refuses_to_overwrite_without_force(fresh_db: Path) -> None:
    before = fresh_db.stat().st_mtime_ns
    out = etl("build", "--db", str(fresh_db), "--rows", "0")
    assert out.returncode == 1 and "--force" in out.stderr
    assert fresh_db.stat().st_mtime_ns == before
    out = etl("build", "--db", str(fresh_db), "--rows", "500", "--force")
    assert out.returncode == 0, out.stderr
    assert "rows/s" in out.stdout


def test_loads_history_json(sample_db: Path) -> None:
    out = etl("loads", "--db", str(sample_db), "--json")
    assert out.returncode == 0
    rows = json.loads(out.stdout)
    # the sample plan and the sample survey (respondents and follow-up actions) too
    assert {r["dataset"] for r in rows} == {"service_requests", "tourism", "programmes", "skm", "skm_actions"}
    assert all(r["source"] == "sample" and r["status"] == "loaded" for r in rows)
