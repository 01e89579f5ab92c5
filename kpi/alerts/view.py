"""Read-side layer: what the page Peringatan / Alerts shows — the alerts that hold now (decide.py) beside what the
state file remembers (episodes, messages, acknowledgements), shaped as tables in the reader's language. Pure: values
in, frames out. Every status is a word with a symbol, never a colour alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from base.alerts import Rule
from base.i18n import t
from kpi import fmt
from kpi.alerts.decide import Alert, Decision
from kpi.alerts.state import Message

SYMBOLS = {"unprocessed": "◌", "no_message": "–", "notified": "✓", "queued": "⏳", "in_doubt": "⚠",
           "open": "●", "resolved": "○", "sent": "✓", "sending": "…", "checked": "✔"}


def when(stamp: str | None, lang: str) -> str:
    """A state file's time ('2026-12-07 21:59:59', the city's) as the page shows times: '7 Des 2026 21.59'."""
    return fmt.timestamp(datetime.fromisoformat(stamp), lang) if stamp else ""


def status_label(status: str, lang: str) -> str:
    return f"{SYMBOLS[status]} {t(f'alerts.page.status.{status}', lang)}"


def measure_label(kind: str, n: int, lang: str) -> str:
    """A measure in its kind's unit: '5 hari kerja', '3 minggu', '12 hari', '2 laporan'."""
    if kind == "overdue":
        return fmt.standard(n, "working_days", lang)
    return t(f"alerts.page.measure.{kind}", lang, n=fmt.number(n, lang))


def step_label(rule: Rule, step: int, lang: str) -> str:
    """'2 dari 3 (≥ 3 hari kerja)'."""
    return t("alerts.page.step", lang, step=step + 1, steps=len(rule.steps),
             threshold=measure_label(rule.kind, rule.steps[step].threshold, lang))


def _open_episodes(episodes: list[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    return {(e["rule"], e["unit"], e["step"]): e for e in episodes if e["resolved_at"] is None}


def _status(episode: dict[str, Any] | None) -> str:
    if episode is None:
        return "unprocessed"
    for status in ("in_doubt", "queued"):
        if episode[status]:
            return status
    return "notified" if episode["sent"] else "no_message"


def _ack(episode: dict[str, Any] | None, lang: str) -> str:
    if not episode or not episode["ack_by"]:
        return ""
    return t("alerts.page.ack_line", lang, by=episode["ack_by"], at=when(episode["ack_at"], lang),
             note=episode["ack_note"])


def alert_rows(decision: Decision, rules: tuple[Rule, ...], episodes: list[dict[str, Any]], lang: str,
               unit: str | None = None, rule: str | None = None) -> pd.DataFrame:
    """One row per alert that holds now (optionally of one unit or one rule), the most pressing first: who, what,
    which step, how many, the worst measure, whether its recipients were told, and the latest follow-up note."""
    by_key = {r.key: r for r in rules}
    known = _open_episodes(episodes)
    rows = []
    for a in decision.alerts:
        if (unit and a.unit_code != unit) or (rule and a.rule != rule):
            continue
        r, episode = by_key[a.rule], known.get(a.key)
        status = _status(episode)
        rows.append({
            "key": "|".join(map(str, a.key)), "rule": a.rule, "unit_code": a.unit_code or "", "step": a.step,
            "unit": decision.unit_name(a.unit_code, lang) or t("alerts.msg.city_wide", lang),
            "rule_name": r.name(lang), "step_label": step_label(r, a.step, lang), "items": len(a.items),
            "worst": measure_label(a.kind, max(i.measure for i in a.items), lang),
            "status": status, "status_label": status_label(status, lang),
            "since": when(episode["opened_at"], lang) if episode else "", "episode": episode["id"] if episode else None,
            "ack": _ack(episode, lang), "rank": (-a.step, -max(i.measure for i in a.items), -len(a.items))})
    columns = ["key", "rule", "unit_code", "step", "unit", "rule_name", "step_label", "items", "worst", "status",
               "status_label", "since", "episode", "ack"]
    rows.sort(key=lambda row: row.pop("rank"))  # the most pressing first: the latest step, the longest over
    return pd.DataFrame(rows, columns=columns)


def chart_rows(decision: Decision, lang: str, unit: str | None = None) -> pd.DataFrame:
    """Overdue requests now, per unit and step: unit (its name), step (0-based), items."""
    rows = [{"unit": decision.unit_name(a.unit_code, lang) or a.unit_code or "", "step": a.step, "items": len(a.items)}
            for a in decision.alerts if a.kind == "overdue" and (not unit or a.unit_code == unit)]
    return pd.DataFrame(rows, columns=["unit", "step", "items"])


def find(decision: Decision, key: str) -> Alert | None:
    return next((a for a in decision.alerts if "|".join(map(str, a.key)) == key), None)


def history_rows(episodes: list[dict[str, Any]], rules: tuple[Rule, ...], names: dict[str, str],
                 lang: str) -> pd.DataFrame:
    """Every alert episode the state file remembers, newest first: when it opened and resolved, its peak, the
    messages sent for it and the latest follow-up note."""
    by_key = {r.key: r for r in rules}
    rows = []
    for e in episodes:
        r = by_key.get(e["rule"])
        rows.append({
            "opened_at": when(e["opened_at"], lang), "resolved_at": when(e["resolved_at"], lang),
            "state": status_label("resolved" if e["resolved_at"] else "open", lang),
            "rule": r.name(lang) if r else e["rule"], "unit": names.get(e["unit"], e["unit"] or "–"),
            "step": step_label(r, e["step"], lang) if r and e["step"] < len(r.steps) else str(e["step"] + 1),
            "peak": e["peak"], "sent": e["sent"], "ack": _ack(e, lang)})
    columns = ["opened_at", "resolved_at", "state", "rule", "unit", "step", "peak", "sent", "ack"]
    return pd.DataFrame(rows, columns=columns)


def message_rows(messages: list[Message], lang: str) -> pd.DataFrame:
    """Outbox rows, newest first: when, to whom, through what, what it said, its delivery status."""
    rows = [{"created_at": when(m.created_at, lang), "recipient": m.recipient, "channel": m.channel, "title": m.title,
             "items": m.items, "new_items": m.new_items, "status": status_label(m.status, lang),
             "attempts": m.attempts, "sent_at": when(m.sent_at, lang), "last_error": m.last_error or "", "id": m.id}
            for m in reversed(messages)]
    columns = ["created_at", "recipient", "channel", "title", "items", "new_items", "status", "attempts", "sent_at",
               "last_error", "id"]
    return pd.DataFrame(rows, columns=columns)
