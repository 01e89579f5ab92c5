"""Tier 2: alert rules as pack data (alerts.toml) and recipients as secrets ([alerts]) — the shipped rules, every
refusal naming the file, the rule and the fix, the registry of evaluators matching the kinds a pack may name, and the
command line's exit codes for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from city_packs import SHIPPED, make_pack

from base.alerts import KINDS, parse_rules, rules
from base.settings import PackError
from etl.ops import doctor
from kpi.alerts import EVALUATORS, AlertConfigError, parse_settings

ROOT = Path(__file__).resolve().parent.parent
GOOD = """
[[rule]]
key = "late"
kind = "overdue"
name_id = "Terlambat"
name_en = "Late"
steps = [{after_working_days = 0, notify = ["unit"]}, {after_working_days = 2, notify = ["head"]}]
"""


def test_every_kind_a_pack_may_name_has_an_evaluator() -> None:
    assert set(EVALUATORS) == set(KINDS) == {"overdue", "index", "stale", "programme", "skm"}


@pytest.mark.parametrize("city", SHIPPED)
def test_the_shipped_rules(city: str) -> None:
    found = {r.key: r for r in rules(city)}
    assert {r.kind for r in found.values()} == set(KINDS)
    ladder = found["overdue"]
    assert [(s.threshold, s.notify) for s in ladder.steps] == [(0, ("unit",)), (3, ("unit", "head")),
                                                               (5, ("mayor_office",))]
    assert [ladder.step_of(n) for n in (0, 2, 3, 4, 5, 400)] == [0, 0, 1, 1, 2, 2]
    assert found["stale-requests"].option("dataset") == "service_requests"
    assert found["index-red"].option("below") == "amber" and found["index-red"].step_of(1) is None


BAD = [
    ("kind = \"overdue\"", "kind = \"later\"", "kind 'later' must be one of overdue, index, stale, programme, skm"),
    ("kind = \"overdue\"", "kind = \"skm\"", "step 1: unknown key(s) after_working_days; a step has semesters"),
    ("after_working_days = 2", "after_working_days = 0", "must be greater than the previous step's (0)"),
    ("{after_working_days = 2,", "{after_workdays = 2,", "unknown key(s) after_workdays"),
    ("notify = [\"head\"]", "notify = [\"Head Office\"]", "notify must list role names"),
    ("name_en = \"Late\"", "name_en = \"Late\"\nservices = [\"NOPE\"]", "services NOPE are not in services.csv"),
    ("name_en = \"Late\"", "", "name_id and name_en are both needed"),
    ("key = \"late\"", "key = \"Late Requests\"", "`key` must be lower-case"),
    ("steps = [", "steps = [{after_working_days = -1, notify = [\"unit\"]}, ", "at least 0"),
]


@pytest.mark.parametrize(("old", "new", "says"), BAD, ids=[b[2][:30] for b in BAD])
def test_a_bad_rule_is_refused_with_the_file_the_rule_and_the_fix(old: str, new: str, says: str) -> None:
    import tomllib

    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    with pytest.raises(PackError) as err:
        parse_rules(tomllib.loads(text), "pack/alerts.toml", {"KTP_EL", "KK"})
    message = str(err.value)
    assert message.startswith("pack/alerts.toml, rule") and says in message, message


def test_a_second_rule_with_the_same_key_and_a_stale_rule_without_dataset() -> None:
    import tomllib

    with pytest.raises(PackError, match="the key is used by an earlier rule"):
        parse_rules(tomllib.loads(GOOD + GOOD), "a.toml", set())
    stale = GOOD.replace("kind = \"overdue\"", "kind = \"stale\"").replace("after_working_days", "after_days") \
        .replace("after_days = 0", "after_days = 1")
    with pytest.raises(PackError, match="names its dataset"):
        parse_rules(tomllib.loads(stale), "a.toml", set())


def test_doctor_checks_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "none.duckdb"
    broken = make_pack(tmp_path, name="broken")
    (broken / "alerts.toml").write_text(GOOD.replace("\"unit\"", "\"Unit!\""), encoding="utf-8")
    monkeypatch.setenv("PANTAU_CITY", str(broken))
    (check,) = [c for c in doctor(db) if c.name == "alerts"]
    assert not check.ok and "alerts.toml, rule 'late', step 1: notify must list role names" in check.message
    bare = make_pack(tmp_path, name="bare")
    (bare / "alerts.toml").unlink()
    monkeypatch.setenv("PANTAU_CITY", str(bare))
    (check,) = [c for c in doctor(db) if c.name == "alerts"]
    assert check.ok and check.warning and "no alert rules" in check.message
    odd = make_pack(tmp_path, name="odd")
    text = (odd / "alerts.toml").read_text(encoding="utf-8").replace('dataset = "service_requests"',
                                                                      'dataset = "registry_export"')
    (odd / "alerts.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("PANTAU_CITY", str(odd))
    (check,) = [c for c in doctor(db) if c.name == "alerts"]
    assert not check.ok and "stale-requests" in check.message and "service_requests" in check.message


# --- [alerts] in the secrets file ---------------------------------------------------------------------------------
BASE = {"dashboard_url": "https://pantau.example.go.id", "email": {"host": "smtp.example.go.id", "from": "p@x.go.id"},
        "webhook": {"url": "https://hooks.example.go.id/pantau"}}


def _parse(**alerts: object) -> object:
    return parse_settings({"alerts": {**BASE, **alerts}}, "secrets.toml", unit_codes={"12.71.11", "MPP"})


def test_recipients_by_role_and_by_unit() -> None:
    s = _parse(recipients={"unit:12.71.11": ["email:camat@x.go.id", {"to": "webhook", "lang": "en"}],
                           "head": ["email:kepala@x.go.id", "email:camat@x.go.id"], "mayor_office": ["webhook"]})
    told = s.recipients_for(("unit", "head"), "12.71.11")
    assert [r.target for r in told] == ["email:camat@x.go.id", "webhook", "email:kepala@x.go.id"]  # each once
    assert [r.lang for r in told] == ["id", "en", "id"]
    assert [r.target for r in s.recipients_for(("unit", "head"), "MPP")] == ["email:kepala@x.go.id",
                                                                             "email:camat@x.go.id"]
    assert s.recipients_for(("unit",), None) == []
    assert s.link("12.71.11", "overdue", "en") == "https://pantau.example.go.id/peringatan?unit=12.71.11&lang=en"
    assert s.email.port == 587 and s.email.starttls  # the [briefing] keys and defaults


SETTINGS_BAD = [
    ({"dashboard_url": "pantau.example.go.id"}, "url", "https://"),
    ({"recipients": {"unit:12.71.99": ["webhook"]}}, "unit", "units.csv"),
    ({"recipients": {"Kepala Dinas": ["webhook"]}}, "role", "mayor_office"),
    ({"recipients": {"head": ["mail:kepala@x.go.id"]}}, "target", "email:"),
    ({"recipients": {"head": ["telegram:-100123"]}}, "channel", "[alerts.telegram]"),
    ({"recipients": {"head": "email:kepala@x.go.id"}}, "targets", "["),
    ({"email": {"host": "smtp.example.go.id"}}, "missing_key", "alerts.email.from"),
    ({"webhook": {"url": "https://x.go.id", "timeout": "lama"}}, "number", "alerts.webhook.timeout"),
    ({"lang": "jv"}, "lang", "\"id\""),
    ({"sms": {}}, "unknown", "sms"),
]


@pytest.mark.parametrize(("change", "key", "says"), SETTINGS_BAD, ids=[b[1] for b in SETTINGS_BAD])
def test_bad_settings_are_refused_in_both_languages(change: dict, key: str, says: str) -> None:
    with pytest.raises(AlertConfigError) as err:
        _parse(**change)
    assert err.value.code == key
    indonesian, english = err.value.message("id"), err.value.message("en")
    assert indonesian != english and "secrets.toml" in indonesian and says in english, english


def test_without_alerts_the_section_is_named() -> None:
    with pytest.raises(AlertConfigError) as err:
        parse_settings({"briefing": {}}, "secrets.toml", unit_codes=())
    assert "[alerts]" in err.value.message("id") and "tidak ada yang diberi tahu" in err.value.message("id")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "etl", "alerts", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_exit_codes_for_bad_input(fresh_db: Path, tmp_path: Path) -> None:
    none = tmp_path / "none.toml"
    out = _cli("--db", str(fresh_db), "--at", "7 Mar 2025", env={"PANTAU_SECRETS": str(none)})
    assert out.returncode == 2 and "YYYY-MM-DD HH:MM" in out.stderr
    out = _cli("--db", str(fresh_db), env={"PANTAU_SECRETS": str(none)})
    assert out.returncode == 2 and "[alerts] belum diatur" in out.stderr and "--dry-run" in out.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[alerts]\ndashboard_url = "https://x.go.id"\n[alerts.recipients]\nhead = ["sms:0812"]\n',
                   encoding="utf-8")
    out = _cli("--db", str(fresh_db), "--lang", "en", env={"PANTAU_SECRETS": str(bad)})
    assert out.returncode == 2 and "\"sms:0812\" is not a known recipient" in out.stderr
    broken = make_pack(tmp_path, name="broken")
    (broken / "alerts.toml").write_text(GOOD.replace("overdue", "skm"), encoding="utf-8")
    out = _cli("--db", str(fresh_db), "--dry-run", env={"PANTAU_SECRETS": str(none), "PANTAU_CITY": str(broken)})
    assert out.returncode == 2 and "alerts.toml, rule 'late'" in out.stderr and "semesters" in out.stderr
    out = _cli("--db", str(tmp_path / "missing.duckdb"), "--dry-run", env={"PANTAU_SECRETS": str(none)})
    assert out.returncode == 1 and "does not exist" in out.stderr
