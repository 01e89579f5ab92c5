"""Read-side layer: one alerts run — decide (a pure read of the database), record what is news for whom in the state
file, then deliver the outbox. The main database is only read.

Exactly once, as far as a sender can:
1. Under the run lock (`<state>.lock`), rows a dead run left `sending` become `in_doubt`: never sent again.
2. In one state transaction: the alerts' episodes and items, and for each recipient of each alert's step with items
   it was not told of at that step, an outbox row (a stable id, `queued`) and the items marked told.
3. Each queued row (also those an earlier run could not deliver): marked `sending` (synced) just before the send,
   then `sent`, or `queued` again when the send failed (retried by the next run).
A run killed anywhere leaves at most one row `sending`: the message that may have left. Two runs at once: the second
finds the lock held and does nothing (`busy`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from base import clock
from base.alerts import Rule
from kpi.alerts import channels, compose
from kpi.alerts.decide import EVALUATORS, Decision, decide
from kpi.alerts.settings import AlertSettings
from kpi.alerts.state import Busy, Message, State
from kpi.db import Reader


@dataclass
class RunResult:
    """What a run found and did, as `python -m etl alerts --json` prints it."""

    at: datetime
    alerts: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    in_doubt: list[str] = field(default_factory=list)       # messages found in doubt by this run
    busy: bool = False                                       # another run held the lock: nothing was done
    dry_run: bool = False

    @property
    def failed(self) -> int:
        return sum(n["status"] == "failed" for n in self.notifications)

    @property
    def sent(self) -> int:
        return sum(n["status"] == "sent" for n in self.notifications)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at.strftime("%Y-%m-%d %H:%M"), "alerts": self.alerts,
                               "notifications": self.notifications}
        if self.in_doubt:
            out["in_doubt"] = self.in_doubt
        if self.busy:
            out["busy"] = True
        return out


def new_message_id(at: datetime) -> str:
    """'pantau-<minute>-<8 hex>-<8 hex>': unique, and never 16 digits in a row (what a NIK looks like)."""
    random = uuid.uuid4().hex
    return f"pantau-{at:%Y%m%d%H%M}-{random[:8]}-{random[8:16]}"


def run(r: Reader, rules: tuple[Rule, ...], settings: AlertSettings | None, at: datetime, state_path: Path, *,
        dry_run: bool = False, sender: Callable[[Message, AlertSettings], None] = channels.send,
        now: Callable[[], datetime] = clock.now_local) -> RunResult:
    """Evaluate `rules` at `at`; unless `dry_run`, record and deliver. Without settings nobody is told (dry runs and
    the page work without them)."""
    if dry_run:
        state = State.read(state_path)
        try:
            return _plan(r, rules, settings, at, state, dry_run=True, now=now)
        finally:
            if state is not None:
                state.close()
    try:
        with State.run_lock(state_path):
            state = State.open(state_path)
            try:
                started = now()
                in_doubt = state.mark_in_doubt(started)
                result = _plan(r, rules, settings, at, state, dry_run=False, now=now)
                result.in_doubt = in_doubt
                if settings is not None:
                    result.notifications = _deliver(state, settings, sender, now)
                state.record_run(started, at, now(), {"alerts": len(result.alerts), "sent": result.sent,
                                                      "failed": result.failed, "in_doubt": len(in_doubt)})
                return result
            finally:
                state.close()
    except Busy:
        return RunResult(at, busy=True)


def _plan(r: Reader, rules: tuple[Rule, ...], settings: AlertSettings | None, at: datetime, state: State | None, *,
          dry_run: bool, now: Callable[[], datetime]) -> RunResult:
    """Decide, compare with the state, and (unless dry) record the news and queue its messages."""
    decision = decide(r, rules, at)
    by_key = {rule.key: rule for rule in rules}
    result = RunResult(at, dry_run=dry_run)
    if state is not None:
        state.load_current((*a.key, i) for a in decision.alerts for i in a.ids)
        episodes, seen, told = state.open_episodes(), state.seen_now(), state.announced_now()
    else:
        episodes, seen, told = {}, {}, {}
    created = now()
    planned: list[tuple[Message, list[str]]] = []
    opened: list[tuple[Any, ...]] = []
    for alert in decision.alerts:
        rule, key = by_key[alert.rule], alert.key
        before = seen.get(key, set())
        new_ids = [i for i in alert.ids if i not in before]
        result.alerts.append({"rule": alert.rule, "kind": alert.kind, "unit_code": alert.unit_code,
                              "step": alert.step, "state": "open" if key in episodes else "new",
                              "request_ids": alert.ids, "new_request_ids": new_ids})
        opened.append((key, alert, new_ids))
        if settings is None:
            continue
        for recipient in settings.recipients_for(rule.steps[alert.step].notify, alert.unit_code):
            already = told.get(key, {}).get(recipient.target, set())
            fresh = [i for i in alert.ids if i not in already]
            if not fresh:
                continue
            message_id = new_message_id(created)
            title, payload = compose.payload(alert, rule, decision, recipient, set(fresh), settings, message_id,
                                             created)
            stamp = created.strftime("%Y-%m-%d %H:%M:%S")
            message = Message(message_id, stamp, alert.rule, alert.kind, key[1], alert.step, recipient.target,
                              recipient.channel, recipient.lang, title, payload, len(alert.ids), len(fresh),
                              alert.ids, "queued", 0, None, None)
            planned.append((message, fresh))
    current = {a.key for a in decision.alerts}
    for key, (_, kind) in sorted(episodes.items()):
        if key not in current:
            result.alerts.append({"rule": key[0], "kind": kind, "unit_code": key[1] or None, "step": key[2],
                                  "state": "resolved", "request_ids": [], "new_request_ids": []})
    if dry_run or state is None:
        result.notifications = [_note(m, "dry_run") for m, _ in planned]
        return result
    _record(state, decision, rules, episodes, opened, planned, at)
    return result


def _record(state: State, decision: Decision, rules: tuple[Rule, ...], episodes: dict, opened: list,
            planned: list[tuple[Message, list[str]]], at: datetime) -> None:
    """One transaction: episodes opened, touched and resolved; items seen; messages queued with what they tell."""
    with state.transaction():
        ids: dict[tuple[str, str, int], int] = {}
        for key, alert, new_ids in opened:
            if key in episodes:
                ids[key] = episodes[key][0]
                state.touch_episode(ids[key], at, len(alert.ids))
            else:
                ids[key] = state.open_episode(key, alert.kind, at, len(alert.ids))
            state.add_seen(key, new_ids, at)
        current = {a.key for a in decision.alerts}
        for key, (episode, _) in episodes.items():
            if key not in current:
                state.resolve_episode(episode, at)
        state.forget_absent(rule.key for rule in rules if EVALUATORS[rule.kind].resets)
        for message, fresh in planned:
            state.enqueue(message, ids[(message.rule, message.unit, message.step)], fresh)


def _deliver(state: State, settings: AlertSettings, sender: Callable[[Message, AlertSettings], None],
             now: Callable[[], datetime]) -> list[dict[str, Any]]:
    out = []
    for message in state.queued():
        state.sending(message.id, now())
        try:
            sender(message, settings)
        except channels.SendFailed as exc:
            state.failed(message.id, now(), exc.reason)
            out.append(_note(message, "failed", exc.reason))
            continue
        state.sent(message.id, now())
        out.append(_note(message, "sent"))
    return out


def _note(m: Message, status: str, error: str | None = None) -> dict[str, Any]:
    note = {"rule": m.rule, "unit_code": m.unit or None, "step": m.step, "recipient": m.recipient, "status": status,
            "id": m.id, "request_ids": m.request_ids}
    if error:
        note["error"] = error
    return note
