"""Tier 3: alerts delivered to real local servers — an SMTP server (aiosmtpd) and an HTTP server standing in for a
webhook receiver, the Telegram Bot API and the WhatsApp Cloud API — through the real adapters and the real state file.

Requests (Medan test pack, one working day standard, no holiday in March 2025), their deadlines and the shipped
0 / 3 / 5 ladder:
    R1  Kantor Camat Medan Johor (12.71.11)      submitted Mon 3 Mar, due Wed 5 Mar 00:00
    R2  12.71.11                                  submitted Tue 4 Mar, due Thu 6 Mar 00:00
    R3  12.71.11                                  submitted Wed 5 Mar, due Fri 7 Mar 00:00
    K1  Kantor Camat Medan Tuntungan (12.71.07)  submitted Mon 3 Mar, due Wed 5 Mar 00:00
Working days over and steps:
    Fri 7 Mar 10:00   R1 3 (step 1)  R2 2 (0)  R3 1 (0)  K1 3 (1)
    Mon 10 Mar 10:00  R1 4 (1)       R2 3 (1)  R3 2 (0)  K1 4 (1)
    Tue 11 Mar 10:00  R1 5 (2)       R2 4 (1)  R3 3 (1)  K1 5 (2)
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tomllib
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from alert_servers import PHONE_ID, TELEGRAM_TOKEN, TEMPLATE, secrets, servers, toml
from city_packs import make_pack

from base.alerts import rules
from etl.build import build
from etl.ingest import load_file
from etl.store import write_transaction
from kpi.alerts import parse_settings, run
from kpi.alerts.compose import TELEGRAM_MAX
from kpi.db import Reader

ROOT = Path(__file__).resolve().parent.parent
T = datetime.fromisoformat
T0, T1, T2 = T("2025-03-07 10:00"), T("2025-03-10 10:00"), T("2025-03-11 10:00")
REQUESTS = [("R1", "12.71.11", "2025-03-03 10:00"), ("R2", "12.71.11", "2025-03-04 10:00"),
            ("R3", "12.71.11", "2025-03-05 10:00"), ("K1", "12.71.07", "2025-03-03 10:00")]
RECIPIENTS = {
    "unit:12.71.11": ["email:camat-johor@example.go.id", {"to": "telegram:-1001", "lang": "en"}],
    "unit:12.71.07": ["email:camat-tuntungan@example.go.id"],
    "head": ["email:kepala@example.go.id"],
    "mayor_office": ["webhook", "whatsapp:6281100000001"],
}
JOHOR, TUNTUNGAN = ["email:camat-johor@example.go.id", "telegram:-1001"], ["email:camat-tuntungan@example.go.id"]
HEAD, MAYOR = ["email:kepala@example.go.id"], ["webhook", "whatsapp:6281100000001"]


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("alerts_delivery")
    pack = make_pack(where, "medan", name="medan_alerts", services=[("WD1", 1, "working_days")])
    db = where / "base.duckdb"
    build(db, rows=0, city=str(pack), progress=lambda _m: None)
    with write_transaction(db) as con:
        con.executemany("INSERT INTO fct_service_requests VALUES (?, 'WD1', ?, 'loket_kecamatan', ?, NULL, 'open', "
                        "NULL, NULL, 1)", [(i, k, T(s)) for i, k, s in REQUESTS])
    return pack, db


@pytest.fixture
def city(base_db: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(pack, a private copy of the database) with PANTAU_CITY set to the pack."""
    pack, db = base_db
    copy = tmp_path / "pantau.duckdb"
    copy.write_bytes(db.read_bytes())
    monkeypatch.setenv("PANTAU_CITY", str(pack))
    return pack, copy


def _run(db: Path, pack: Path, settings: object, at: datetime) -> dict:
    result = run(Reader(db), rules(str(pack)), settings, at, db.with_name(db.name + ".alerts.sqlite"))
    assert not result.busy
    return result.to_json()


def _sent(out: dict) -> Counter:
    return Counter((n["unit_code"], n["step"], n["recipient"]) for n in out["notifications"] if n["status"] == "sent")


def _delivered(box: object, http: object) -> Counter:
    """Every message id the servers accepted, counted."""
    ids = box.ids() + http.ids("webhook") + http.ids("telegram") + http.ids("whatsapp")
    return Counter(ids)


def _alerts(out: dict) -> dict[tuple[str | None, int], tuple[str, list[str], list[str]]]:
    return {(a["unit_code"], a["step"]): (a["state"], sorted(a["request_ids"]), sorted(a["new_request_ids"]))
            for a in out["alerts"]}


def test_each_step_tells_its_recipients_once_and_a_day_later_only_what_entered_it(city: tuple[Path, Path]) -> None:
    pack, db = city
    with servers() as (box, http, smtp_port):
        settings = parse_settings(secrets(http, smtp_port, RECIPIENTS), "test")
        # Fri 7 Mar: step 0 of Johor (R2, R3) to its unit; step 1 of Johor (R1) and of Tuntungan (K1) to the unit and
        # the head; nothing reaches the mayor's office yet
        out = _run(db, pack, settings, T0)
        assert {a["kind"] for a in out["alerts"]} == {"overdue"}
        assert _alerts(out) == {("12.71.11", 0): ("new", ["R2", "R3"], ["R2", "R3"]),
                                ("12.71.11", 1): ("new", ["R1"], ["R1"]),
                                ("12.71.07", 1): ("new", ["K1"], ["K1"])}
        assert _sent(out) == Counter([("12.71.11", 0, r) for r in JOHOR] + [("12.71.11", 1, r) for r in JOHOR + HEAD]
                                     + [("12.71.07", 1, r) for r in TUNTUNGAN + HEAD])
        assert all(n["status"] == "sent" for n in out["notifications"])
        assert not http.calls("webhook") and not http.calls("whatsapp")
        delivered = _delivered(box, http)
        assert set(delivered) == {n["id"] for n in out["notifications"]} and set(delivered.values()) == {1}

        # the same moment again: nothing new, nothing sent
        again = _run(db, pack, settings, T0)
        assert again["notifications"] == [] and {a["state"] for a in again["alerts"]} == {"open"}
        assert _delivered(box, http) == delivered

        # Mon 10 Mar: R2 entered step 1 (told to Johor's unit and the head, with R1 listed, R2 marked new); R3 stays in
        # step 0, already told; K1 stays in step 1, already told
        mon = _run(db, pack, settings, T1)
        assert _alerts(mon) == {("12.71.11", 0): ("open", ["R3"], []),
                                ("12.71.11", 1): ("open", ["R1", "R2"], ["R2"]),
                                ("12.71.07", 1): ("open", ["K1"], [])}
        assert _sent(mon) == Counter(("12.71.11", 1, r) for r in JOHOR + HEAD)
        mail = [m for m in box.messages if m["X-Pantau-Alert"] in {n["id"] for n in mon["notifications"]}]
        assert {m["To"] for m in mail} == {"camat-johor@example.go.id", "kepala@example.go.id"}
        body = mail[0].get_payload(decode=True).decode("utf-8")
        assert "★R2" in body and "R1" in body and "★R1" not in body and "2 permohonan" in body
        assert all(len(line) <= 78 for raw in box.raw for line in raw.splitlines())  # RFC 5322 / 2045 lines
        (tg,) = [b for b, i in zip(http.calls("telegram"), http.ids("telegram"), strict=True)
                 if i in {n["id"] for n in mon["notifications"]}]
        assert tg["chat_id"] == "-1001" and "requests past their deadline" in tg["text"]  # this one reads English

        # Tue 11 Mar: step 0 of Johor resolves (R3 moved up), R3 is new in step 1; R1 and K1 reach the mayor's office
        # (webhook and WhatsApp); Tuntungan's step 1 resolves
        tue = _run(db, pack, settings, T2)
        assert _alerts(tue) == {("12.71.11", 0): ("resolved", [], []),
                                ("12.71.11", 1): ("open", ["R2", "R3"], ["R3"]),
                                ("12.71.11", 2): ("new", ["R1"], ["R1"]),
                                ("12.71.07", 1): ("resolved", [], []),
                                ("12.71.07", 2): ("new", ["K1"], ["K1"])}
        assert _sent(tue) == Counter([("12.71.11", 1, r) for r in JOHOR + HEAD] + [("12.71.11", 2, r) for r in MAYOR]
                                     + [("12.71.07", 2, r) for r in MAYOR])
        hooks = {b["unit_code"]: b for b in http.calls("webhook")}
        assert set(hooks["12.71.11"]) == {"id", "rule", "kind", "unit_code", "unit_name", "step", "title", "text",
                                          "request_ids", "new_request_ids", "link", "lang", "created_at"}
        assert hooks["12.71.11"]["request_ids"] == ["R1"] and hooks["12.71.11"]["step"] == 2
        assert hooks["12.71.11"]["unit_name"] == "Kantor Camat Medan Johor"
        assert hooks["12.71.11"]["link"] == "https://pantau.example.go.id/peringatan?unit=12.71.11"
        wa = http.calls("whatsapp")[0]
        assert wa["type"] == "template" and wa["template"]["name"] == TEMPLATE and wa["to"] == "6281100000001"
        assert [p["type"] for p in wa["template"]["components"][0]["parameters"]] == ["text"] * 3
        delivered = _delivered(box, http)
        assert set(delivered.values()) == {1} and len(delivered) == 7 + 3 + 7

        # a load completes every request: each alert resolves and nobody is told anything
        done = db.with_name("done.csv")
        done.write_text("request_id,service_code,kecamatan_code,channel,submitted_at,completed_at,status\n" + "".join(
            f"{i},WD1,{k},loket_kecamatan,{s}:00,2025-03-11 11:00:00,completed\n" for i, k, s in REQUESTS),
            encoding="utf-8")
        assert load_file(db, "service_requests", done).status == "loaded"
        after = _run(db, pack, settings, T("2025-03-11 12:00"))
        assert {a["state"] for a in after["alerts"]} == {"resolved"} and len(after["alerts"]) == 3
        assert after["notifications"] == [] and _delivered(box, http) == delivered


def test_no_personal_data_and_a_chat_message_fits(city: tuple[Path, Path]) -> None:
    """A message holds the unit, counts, days and ids only; a Telegram text stays within 4,096 characters and lists
    at most 20 ids, then says how many more, with the link."""
    pack, db = city
    many = [(f"X{n:04d}", "12.71.11", "2025-03-03 09:00") for n in range(300)]
    with write_transaction(db) as con:
        con.executemany("INSERT INTO fct_service_requests VALUES (?, 'WD1', ?, 'loket_kecamatan', ?, NULL, 'open', "
                        "NULL, NULL, 1)", [(i, k, T(s)) for i, k, s in many])
    with servers() as (_box, http, smtp_port):
        settings = parse_settings(secrets(http, smtp_port, {"unit": [{"to": "telegram:-1001", "lang": "id"},
                                                                     "webhook"]}), "test")
        _run(db, pack, settings, T1)  # R1, R2 and the 300 are in step 1 of Johor
        (tg,) = [b for b in http.calls("telegram") if "302 permohonan" in b["text"]]
        assert len(tg["text"]) <= TELEGRAM_MAX
        assert tg["text"].count("★") == 21  # the legend and the 20 ids shown, all new
        assert "… dan 282 lainnya: https://pantau.example.go.id/peringatan?unit=12.71.11" in tg["text"]
        (hook,) = [b for b in http.calls("webhook") if b["unit_code"] == "12.71.11" and b["step"] == 1]
        assert len(hook["request_ids"]) == len(hook["new_request_ids"]) == 302  # the webhook carries every id
        for body in http.calls("telegram") + http.calls("webhook"):
            text = json.dumps(body, ensure_ascii=False)
            assert "NIK" not in text and not re.search(r"\d{16}", text)  # no national id number, ever
        for headers in http.headers("telegram") + http.headers("webhook"):
            assert TELEGRAM_TOKEN not in json.dumps(headers)


def test_a_failed_send_is_retried_by_the_next_run_and_delivered_once(city: tuple[Path, Path]) -> None:
    """Webhook 500, a webhook that does not answer in time, SMTP down: queued, then delivered by the next run; the
    messages that went out the first time are not sent again."""
    pack, db = city
    with servers() as (box, http, smtp_port):
        closed = secrets(http, smtp_port, RECIPIENTS, timeout=1)
        closed["alerts"]["email"]["port"] = _closed_port()
        http.hold.set()  # the first webhook call gets no answer within the 1 s timeout ...
        http.fail = [500]  # ... and the second a server error
        first = _run(db, pack, parse_settings(closed, "test"), T2)
        failed = [n for n in first["notifications"] if n["status"] == "failed"]
        sent = [n for n in first["notifications"] if n["status"] == "sent"]
        assert sorted(n["recipient"] for n in failed) == sorted(["webhook", "webhook", *JOHOR[:1], *HEAD])
        assert {n["error"].split(":")[0] for n in failed} == {"webhook", "SMTP 127.0.0.1"}
        assert any("HTTP 500" in n["error"] for n in failed) and any("timeout" in n["error"] for n in failed)
        http.release.set()
        assert not box.messages
        second = _run(db, pack, parse_settings(secrets(http, smtp_port, RECIPIENTS), "test"), T2)
        assert sorted(n["id"] for n in second["notifications"]) == sorted(n["id"] for n in failed)
        assert {n["status"] for n in second["notifications"]} == {"sent"}
        assert _delivered(box, http) == Counter({n["id"]: 1 for n in sent + failed}) + Counter(
            {n["id"]: 1 for n in failed if "timeout" in n["error"]})  # the call that timed out reached the server
        assert _run(db, pack, parse_settings(secrets(http, smtp_port, RECIPIENTS), "test"), T2)["notifications"] == []


def _closed_port() -> int:
    from alert_servers import free_port

    return free_port()  # nothing listens there


def _cli(db: Path, pack: Path, secrets_file: Path, at: datetime, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PANTAU_CITY": str(pack), "PANTAU_SECRETS": str(secrets_file)}
    return subprocess.Popen([sys.executable, "-m", "etl", "alerts", "--db", str(db), "--at", f"{at:%Y-%m-%d %H:%M}",
                             "--json", *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _outbox(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db.with_name(db.name + ".alerts.sqlite"))
    try:
        return dict(con.execute("SELECT id, status FROM outbox").fetchall())
    finally:
        con.close()


def test_a_run_killed_while_sending_delivers_every_message_once(city: tuple[Path, Path], tmp_path: Path) -> None:
    """SIGKILL while the webhook call is in flight, then another run: every message reaches the servers exactly once;
    the one in flight is `in_doubt`, shown for a person to check and never sent again."""
    pack, db = city
    with servers() as (box, http, smtp_port):
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(toml(secrets(http, smtp_port, RECIPIENTS, timeout=60)), encoding="utf-8")
        http.hold_call = 2  # the queue: Tuntungan's webhook and WhatsApp, Johor's three, Johor's webhook (held), ...
        http.hold.set()
        proc = _cli(db, pack, secrets_file, T2)
        assert http.arrived.wait(120), proc.communicate()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        http.release.set()
        left = _outbox(db)
        (in_flight,) = [i for i, s in left.items() if s == "sending"]
        assert http.ids("webhook")[1:] == [in_flight]
        assert Counter(left.values()) == Counter({"sent": 5, "sending": 1, "queued": 1})

        again = _cli(db, pack, secrets_file, T2)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        result = json.loads(out)
        assert result["in_doubt"] == [in_flight] and "diragukan" in err
        statuses = _outbox(db)
        assert statuses.pop(in_flight) == "in_doubt" and set(statuses.values()) == {"sent"}
        assert len(statuses) == 6 and {n["status"] for n in result["notifications"]} == {"sent"}
        assert in_flight not in {n["id"] for n in result["notifications"]}
        delivered = _delivered(box, http)
        assert set(delivered) == set(statuses) | {in_flight} and set(delivered.values()) == {1}

        third = _cli(db, pack, secrets_file, T2)
        out, _ = third.communicate(timeout=120)
        assert third.returncode == 0 and json.loads(out)["notifications"] == []
        assert _delivered(box, http) == delivered and _outbox(db)[in_flight] == "in_doubt"


def test_two_runs_at_once_send_once(city: tuple[Path, Path], tmp_path: Path) -> None:
    """While one run is sending, a second one finds the state file locked, does nothing and says so (exit 4)."""
    pack, db = city
    with servers() as (box, http, smtp_port):
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(toml(secrets(http, smtp_port, RECIPIENTS, timeout=60)), encoding="utf-8")
        http.hold.set()
        first = _cli(db, pack, secrets_file, T2)
        assert http.arrived.wait(120), first.communicate()
        second = _cli(db, pack, secrets_file, T2)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 4, err
        assert json.loads(out) == {"at": "2025-03-11 10:00", "alerts": [], "notifications": [], "busy": True}
        http.release.set()
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        notes = json.loads(out)["notifications"]
        assert len(notes) == 7 and {n["status"] for n in notes} == {"sent"}
        assert _delivered(box, http) == Counter({n["id"]: 1 for n in notes})


def test_the_json_has_the_documented_shape(city: tuple[Path, Path], tmp_path: Path) -> None:
    pack, db = city
    with servers() as (_box, http, smtp_port):
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(toml(secrets(http, smtp_port, RECIPIENTS)), encoding="utf-8")
        dry = _cli(db, pack, secrets_file, T1, "--dry-run")
        out, err = dry.communicate(timeout=120)
        assert dry.returncode == 0, err
        result = json.loads(out)
        assert set(result) == {"at", "alerts", "notifications"} and result["at"] == "2025-03-10 10:00"
        for a in result["alerts"]:
            assert set(a) == {"rule", "kind", "unit_code", "step", "state", "request_ids", "new_request_ids"}
            assert isinstance(a["step"], int) and a["state"] in ("new", "open", "resolved")
        for n in result["notifications"]:
            assert set(n) == {"rule", "unit_code", "step", "recipient", "status", "id", "request_ids"}
            assert n["status"] == "dry_run"
        assert not http.received and not db.with_name(db.name + ".alerts.sqlite").exists()
        assert tomllib.loads(secrets_file.read_text())["alerts"]["whatsapp"]["phone_number_id"] == PHONE_ID


def test_a_successful_load_runs_the_alerts_when_they_are_configured(city: tuple[Path, Path], tmp_path: Path) -> None:
    """`python -m etl load` that loads runs one alerts run at once (now: every test request is far past its deadline,
    so the mayor's office is told); the load's own output and exit code are unchanged. Without [alerts], nothing."""
    pack, db = city
    extra = tmp_path / "extra.csv"
    extra.write_text("request_id,service_code,kecamatan_code,channel,submitted_at\n"
                     "N1,WD1,12.71.11,loket_kecamatan,2025-03-06 10:00:00\n", encoding="utf-8")
    with servers() as (_box, http, smtp_port):
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(toml(secrets(http, smtp_port, {"mayor_office": ["webhook"]}, timeout=60)),
                                encoding="utf-8")
        env = {**os.environ, "PANTAU_CITY": str(pack), "PANTAU_SECRETS": str(secrets_file)}
        out = subprocess.run([sys.executable, "-m", "etl", "load", "service_requests", str(extra), "--db", str(db),
                              "--json", "--lang", "en"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["status"] == "loaded" and "Alerts checked after the load" in out.stderr
        told = {b["unit_code"]: b for b in http.calls("webhook")}
        assert set(told) == {"12.71.11", "12.71.07"} and "N1" in told["12.71.11"]["request_ids"]
        assert _outbox(db) and set(_outbox(db).values()) == {"sent"}

    quiet = tmp_path / "quiet.csv"
    quiet.write_text(extra.read_text(encoding="utf-8").replace("N1", "N2"), encoding="utf-8")
    env = {**os.environ, "PANTAU_CITY": str(pack), "PANTAU_SECRETS": str(tmp_path / "none.toml")}
    out = subprocess.run([sys.executable, "-m", "etl", "load", "service_requests", str(quiet), "--db", str(db)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "Alerts" not in out.stderr and "Peringatan" not in out.stderr
