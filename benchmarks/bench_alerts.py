"""Benchmarks: `python -m etl alerts` on a large database — the whole command as cron runs it (a new process: start-up,
deciding, the state file, sending to local servers), its phases in-process, and the naive approach in the same run.

    python -m etl build --rows 10000000 --db /tmp/alerts10m.duckdb      # once
    python benchmarks/bench_alerts.py --db /tmp/alerts10m.duckdb --name alerts_10m

Measured:
- dry run: `python -m etl alerts --dry-run --json` (decide, compare with the state, nothing sent or recorded);
- first run: a fresh state file, every alert's messages sent to a local SMTP server (aiosmtpd) and a local HTTP
  server (webhook, Telegram, WhatsApp);
- steady run: the same moment again, nothing new to send (what cron does every 15 minutes on a quiet day);
- in-process: decide() alone, warm;
- naive: every request read into pandas (the analyst-facing view, ten million rows), open and overdue ones kept, and
  working days over counted per request by walking the calendar in Python — what a script written from the words
  would do. Its (unit, step) -> requests is compared with the CLI's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common import DEFAULT_DB, ROOT, load_now, machine, rss_mib, save, timed

sys.path.insert(0, str(ROOT / "tests"))


def cli(db: Path, at: str, env: dict[str, str], *extra: str) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "etl", "alerts", "--db", str(db), "--at", at, "--json", *extra],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - t0
    if out.returncode not in (0, 3):
        raise SystemExit(f"alerts exited {out.returncode}: {out.stderr[-2000:]}")
    return seconds, json.loads(out.stdout)


def naive(db: Path, city: str, at: datetime) -> dict[tuple[str, int], set[str]]:
    """Every request into pandas, then a Python loop per overdue request over the calendar's days."""
    import duckdb
    import pandas as pd

    from base.alerts import rules

    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = con.execute("SELECT request_id, unit_code, submitted_at, completed_at, due_at FROM service_requests"
                            ).df()
        working = {d.date() if hasattr(d, "date") else d for (d,) in
                   con.execute("SELECT day FROM working_days WHERE is_working_day").fetchall()}
    finally:
        con.close()
    moment = pd.Timestamp(at)
    late = frame[(frame["submitted_at"] < moment) & (frame["completed_at"].isna() | (frame["completed_at"] >= moment))
                 & (frame["due_at"] < moment) & frame["unit_code"].notna()]
    (rule,) = [r for r in rules(city) if r.kind == "overdue"]
    out: dict[tuple[str, int], set[str]] = {}
    for request, unit, due in zip(late["request_id"], late["unit_code"], late["due_at"], strict=True):
        day = due.normalize() if due == due.normalize() else due.normalize() + timedelta(days=1)
        over = 0
        while day < moment:            # each day whose 00:00 lies in [due, at)
            if day.date() in working:
                over += 1
            day += timedelta(days=1)
        out.setdefault((unit, rule.step_of(over)), set()).add(request)
    return out


@contextmanager
def receivers(units: list[str]) -> Iterator[tuple[str, Any, Any]]:
    """Local SMTP and HTTP servers and a secrets file sending every unit's alerts to them."""
    from alert_servers import secrets, servers, toml

    recipients: dict[str, list[Any]] = {f"unit:{u}": [f"email:unit-{u.lower()}@example.go.id"] for u in units}
    recipients |= {"head": ["email:head@example.go.id", "telegram:-1001"], "mayor_office": ["webhook",
                                                                                           "whatsapp:6281100000001"],
                   "data_team": ["email:data@example.go.id"]}
    with servers() as (box, http, smtp_port), tempfile.TemporaryDirectory() as work:
        path = Path(work) / "secrets.toml"
        raw = secrets(http, smtp_port, recipients, timeout=30)
        raw["alerts"]["state"] = str(Path(work) / "alerts.sqlite")
        path.write_text(toml(raw), encoding="utf-8")
        yield str(path), box, http


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--at", default=None, help="evaluate at this local time (default: now, to the minute)")
    parser.add_argument("--city", default=os.environ.get("PANTAU_CITY", "medan"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--name", default="alerts_10m")
    args = parser.parse_args()
    os.environ["PANTAU_CITY"] = args.city

    from base import clock
    from base.alerts import rules
    from kpi.alerts import decide
    from kpi.db import Reader

    at_text = args.at or clock.now_local().strftime("%Y-%m-%d %H:%M")
    at = datetime.strptime(at_text, "%Y-%m-%d %H:%M")
    env = {**os.environ, "PANTAU_CITY": args.city, "PANTAU_SECRETS": "/nonexistent/secrets.toml"}
    result: dict[str, Any] = {"db": str(args.db), "at": at_text, "machine": machine(), "load": {"start": load_now()}}

    dry = [cli(args.db, at_text, env, "--dry-run") for _ in range(args.repeat)]
    dry_out = dry[-1][1]
    result["dry_run_s"] = [round(s, 3) for s, _ in dry]
    result["alerts"] = len(dry_out["alerts"])
    result["overdue_requests"] = sum(len(a["request_ids"]) for a in dry_out["alerts"] if a["kind"] == "overdue")
    result["load"]["after_dry"] = load_now()

    r = Reader(args.db)
    chosen = rules(args.city)
    decide(r, chosen, at)  # warm
    inproc = [timed(lambda: decide(r, chosen, at))[0] for _ in range(args.repeat)]
    result["decide_in_process_s"] = [round(s, 3) for s in inproc]

    units = sorted({a["unit_code"] for a in dry_out["alerts"] if a["unit_code"]})
    with receivers(units) as (secrets_file, box, http):
        env_send = {**env, "PANTAU_SECRETS": secrets_file}
        first_s, first = cli(args.db, at_text, env_send)
        steady = [cli(args.db, at_text, env_send) for _ in range(args.repeat)]
        result["first_run_s"] = round(first_s, 3)
        result["first_run_messages"] = {"sent": sum(n["status"] == "sent" for n in first["notifications"]),
                                        "failed": sum(n["status"] == "failed" for n in first["notifications"]),
                                        "received": len(box.messages) + len(http.received)}
        result["steady_run_s"] = [round(s, 3) for s, _ in steady]
        result["steady_run_messages"] = sum(len(out["notifications"]) for _, out in steady)
    result["load"]["after_send"] = load_now()

    rss0 = rss_mib()
    naive_s, naive_out = timed(lambda: naive(args.db, args.city, at))
    result["naive_s"] = round(naive_s, 3)
    result["naive_rss_mib_added"] = round(rss_mib() - rss0, 1)
    got = {(a["unit_code"], a["step"]): set(a["request_ids"]) for a in dry_out["alerts"] if a["kind"] == "overdue"}
    result["naive_agrees"] = got == naive_out
    result["load"]["end"] = load_now()
    median_dry = statistics.median(result["dry_run_s"])
    result["ratio_naive_over_dry_run"] = round(naive_s / median_dry, 1)
    print(json.dumps(result, indent=2))
    print("saved", save(args.name, result))


if __name__ == "__main__":
    main()
