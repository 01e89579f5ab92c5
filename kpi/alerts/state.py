"""Read-side layer: the alert state — a file of its own beside the database (never the database itself): which items
each alert holds, who was told about which at which step, the outbox of messages, and the acknowledgements.

SQLite in WAL mode with synchronous=FULL: a transaction is either on disk whole or not at all, so a run killed at any
moment leaves the file consistent. One run at a time holds `<state>.lock` (fcntl); the page's acknowledgements are
small transactions of their own, serialised by SQLite.

The outbox carries each message's delivery: `queued` (composed, not sent, or a send failed: retried by the next run)
→ `sending` (written and synced just before the send) → `sent`. A row a run finds still `sending` belongs to a run
that died mid-send: the message may have left or not, so it becomes `in_doubt` and is never sent again; a person
checks it (`checked`, with who and when).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1"
STATUSES = ("queued", "sending", "sent", "in_doubt", "checked")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- One row per time an alert (rule, unit, step) opened; resolved_at is set when it no longer holds anything.
CREATE TABLE IF NOT EXISTS episode (
    id          INTEGER PRIMARY KEY,
    rule        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    unit        TEXT NOT NULL,              -- '' when the alert concerns no unit
    step        INTEGER NOT NULL,           -- 0-based index into the rule's steps
    opened_at   TEXT NOT NULL,              -- the evaluated moment (city's local time) it was first found
    last_seen_at TEXT NOT NULL,
    resolved_at TEXT,
    items       INTEGER NOT NULL,           -- items it held when last seen
    peak        INTEGER NOT NULL            -- the most it held
);
CREATE UNIQUE INDEX IF NOT EXISTS episode_open ON episode (rule, unit, step) WHERE resolved_at IS NULL;
-- Items an alert has held (for `new_request_ids`).
CREATE TABLE IF NOT EXISTS seen (
    rule TEXT NOT NULL, unit TEXT NOT NULL, step INTEGER NOT NULL, item TEXT NOT NULL, first_seen_at TEXT NOT NULL,
    PRIMARY KEY (rule, unit, step, item)
) WITHOUT ROWID;
-- Who was told about which item at which step: written with the outbox row that tells them, in one transaction.
CREATE TABLE IF NOT EXISTS announced (
    rule TEXT NOT NULL, unit TEXT NOT NULL, step INTEGER NOT NULL, recipient TEXT NOT NULL, item TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (rule, unit, step, recipient, item)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    id          TEXT PRIMARY KEY,           -- stable: the webhook body's id, the e-mail's Message-ID, ...
    created_at  TEXT NOT NULL,              -- real time (city's local), not the evaluated moment
    episode_id  INTEGER,
    rule TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL, step INTEGER NOT NULL,
    recipient   TEXT NOT NULL,              -- as written in [alerts.recipients], e.g. email:camat@...
    channel     TEXT NOT NULL,              -- email | webhook | telegram | whatsapp
    lang        TEXT NOT NULL,
    title       TEXT NOT NULL,
    payload     TEXT NOT NULL,     -- JSON: what the channel's adapter sends (no secret: those stay in secrets)
    items       INTEGER NOT NULL,
    new_items   INTEGER NOT NULL,
    request_ids TEXT NOT NULL,              -- JSON list: every item the message lists
    status      TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'in_doubt', 'checked')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    updated_at  TEXT NOT NULL,
    sent_at     TEXT,
    checked_by  TEXT, checked_at TEXT, check_note TEXT
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, created_at);
-- "ditindaklanjuti": a signed-in person's note on an alert episode, with who and when.
CREATE TABLE IF NOT EXISTS ack (
    id INTEGER PRIMARY KEY, episode_id INTEGER NOT NULL REFERENCES episode (id), by TEXT NOT NULL, at TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run (
    id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, evaluated_at TEXT NOT NULL, finished_at TEXT,
    alerts INTEGER, sent INTEGER, failed INTEGER, in_doubt INTEGER
);
"""


class Busy(RuntimeError):
    """Another run holds the state file's lock."""


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Message:
    """One outbox row."""

    id: str
    created_at: str
    rule: str
    kind: str
    unit: str
    step: int
    recipient: str
    channel: str
    lang: str
    title: str
    payload: dict[str, Any]
    items: int
    new_items: int
    request_ids: list[str]
    status: str
    attempts: int
    last_error: str | None
    sent_at: str | None


class State:
    """The alert state file. Open it with State.open(path) (creates it) or State.read(path) (None if missing)."""

    def __init__(self, path: Path, con: sqlite3.Connection) -> None:
        self.path, self.con = path, con

    @classmethod
    def open(cls, path: Path) -> State:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA busy_timeout = 30000")
        con.executescript(_SCHEMA)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        return cls(path, con)

    @classmethod
    def read(cls, path: Path) -> State | None:
        """The state file opened read-only (a dry run records nothing); None when it does not exist yet."""
        if not path.exists():
            return None
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, isolation_level=None)
        con.execute("PRAGMA busy_timeout = 30000")
        return cls(path, con)

    def close(self) -> None:
        self.con.close()

    @staticmethod
    @contextlib.contextmanager
    def _tx(con: sqlite3.Connection) -> Iterator[None]:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """One atomic, durable write (BEGIN IMMEDIATE ... COMMIT)."""
        return self._tx(self.con)

    # --- the run lock ---------------------------------------------------------------------------------------------
    @staticmethod
    @contextlib.contextmanager
    def run_lock(path: Path) -> Iterator[None]:
        """Hold `<state>.lock` for a whole run; Busy at once when another run holds it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o640)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy(str(path)) from None
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock (also when the process dies)

    # --- what alerts held -----------------------------------------------------------------------------------------
    def open_episodes(self) -> dict[tuple[str, str, int], tuple[int, str]]:
        """(rule, unit, step) -> (episode id, kind), for every alert open in the state."""
        rows = self.con.execute("SELECT rule, unit, step, id, kind FROM episode WHERE resolved_at IS NULL").fetchall()
        return {(r, u, s): (i, k) for r, u, s, i, k in rows}

    def load_current(self, items: Iterable[tuple[str, str, int, str]]) -> None:
        """The (rule, unit, step, item) every alert holds now, as the temporary table `cur` the lookups join: they
        cost what the alerts hold now, not the history."""
        self.con.execute("DROP TABLE IF EXISTS temp.cur")
        self.con.execute("CREATE TEMP TABLE cur (rule TEXT, unit TEXT, step INTEGER, item TEXT, "
                         "PRIMARY KEY (rule, unit, step, item)) WITHOUT ROWID")
        self.con.executemany("INSERT OR IGNORE INTO temp.cur VALUES (?, ?, ?, ?)", items)

    def seen_now(self) -> dict[tuple[str, str, int], set[str]]:
        """(rule, unit, step) -> the items held now that the alert held before."""
        out: dict[tuple[str, str, int], set[str]] = {}
        for rule, unit, step, item in self.con.execute(
                "SELECT s.rule, s.unit, s.step, s.item FROM seen s JOIN temp.cur c USING (rule, unit, step, item)"):
            out.setdefault((rule, unit, step), set()).add(item)
        return out

    def announced_now(self) -> dict[tuple[str, str, int], dict[str, set[str]]]:
        """(rule, unit, step) -> recipient -> the items held now that the recipient was told of at that step."""
        out: dict[tuple[str, str, int], dict[str, set[str]]] = {}
        for rule, unit, step, recipient, item in self.con.execute(
                "SELECT a.rule, a.unit, a.step, a.recipient, a.item FROM announced a "
                "JOIN temp.cur c USING (rule, unit, step, item)"):
            out.setdefault((rule, unit, step), {}).setdefault(recipient, set()).add(item)
        return out

    def forget_absent(self, rules: Iterable[str]) -> None:
        """For these rules (conditions), forget the items no alert holds now: when such a condition returns, it is
        news again."""
        chosen = list(rules)
        if not chosen:
            return
        marks = ", ".join("?" * len(chosen))
        for table in ("seen", "announced"):
            self.con.execute(f"DELETE FROM {table} WHERE rule IN ({marks}) AND NOT EXISTS (SELECT 1 FROM temp.cur c "
                             f"WHERE c.rule = {table}.rule AND c.unit = {table}.unit AND c.step = {table}.step "
                             f"AND c.item = {table}.item)", chosen)

    def open_episode(self, key: tuple[str, str, int], kind: str, at: datetime, items: int) -> int:
        rule, unit, step = key
        cur = self.con.execute("INSERT INTO episode (rule, kind, unit, step, opened_at, last_seen_at, items, peak) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               (rule, kind, unit, step, _ts(at), _ts(at), items, items))
        return int(cur.lastrowid)

    def touch_episode(self, episode: int, at: datetime, items: int) -> None:
        self.con.execute("UPDATE episode SET last_seen_at = ?, items = ?, peak = max(peak, ?) WHERE id = ?",
                         (_ts(at), items, items, episode))

    def resolve_episode(self, episode: int, at: datetime) -> None:
        self.con.execute("UPDATE episode SET resolved_at = ?, items = 0 WHERE id = ?", (_ts(at), episode))

    def add_seen(self, key: tuple[str, str, int], items: Iterable[str], at: datetime) -> None:
        self.con.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?, ?, ?)",
                             [(*key, item, _ts(at)) for item in items])

    # --- the outbox -----------------------------------------------------------------------------------------------
    def enqueue(self, message: Message, episode: int | None, told: Iterable[str]) -> None:
        """Write the message (queued) and mark its new items told to its recipient, in the caller's transaction."""
        m = message
        self.con.execute(
            "INSERT INTO outbox (id, created_at, episode_id, rule, kind, unit, step, recipient, channel, lang, title, "
            "payload, items, new_items, request_ids, status, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
            (m.id, m.created_at, episode, m.rule, m.kind, m.unit, m.step, m.recipient, m.channel, m.lang, m.title,
             json.dumps(m.payload, ensure_ascii=False), m.items, m.new_items, json.dumps(m.request_ids), m.created_at))
        self.con.executemany("INSERT OR IGNORE INTO announced VALUES (?, ?, ?, ?, ?, ?)",
                             [(m.rule, m.unit, m.step, m.recipient, item, m.id) for item in told])

    def mark_in_doubt(self, now: datetime) -> list[str]:
        """Rows left `sending` by a run that died: they become `in_doubt`, never to be sent again."""
        with self.transaction():
            ids = [r[0] for r in self.con.execute("SELECT id FROM outbox WHERE status = 'sending'")]
            self.con.execute("UPDATE outbox SET status = 'in_doubt', updated_at = ? WHERE status = 'sending'",
                             (_ts(now),))
        return ids

    def queued(self) -> list[Message]:
        return self.messages("status = 'queued'")

    def messages(self, where: str = "1 = 1", params: tuple = (), limit: int | None = None) -> list[Message]:
        """Outbox rows, oldest first (`where` is this module's or a caller's fixed text; values go in `params`)."""
        sql = (f"SELECT id, created_at, rule, kind, unit, step, recipient, channel, lang, title, payload, items, "
               f"new_items, request_ids, status, attempts, last_error, sent_at FROM outbox WHERE {where} "
               f"ORDER BY created_at, rowid" + (f" LIMIT {int(limit)}" if limit else ""))
        out = []
        for row in self.con.execute(sql, params):
            values = list(row)
            values[10], values[13] = json.loads(values[10]), json.loads(values[13])
            out.append(Message(*values))
        return out

    def sending(self, message_id: str, now: datetime) -> None:
        """Durably mark the message as being sent, just before the send."""
        with self.transaction():
            self.con.execute("UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = ? "
                             "WHERE id = ? AND status = 'queued'", (_ts(now), message_id))

    def sent(self, message_id: str, now: datetime) -> None:
        with self.transaction():
            self.con.execute("UPDATE outbox SET status = 'sent', sent_at = ?, updated_at = ?, last_error = NULL "
                             "WHERE id = ?", (_ts(now), _ts(now), message_id))

    def failed(self, message_id: str, now: datetime, reason: str) -> None:
        """The send failed without doubt (refused, unreachable, an error status): queued again for the next run."""
        with self.transaction():
            self.con.execute("UPDATE outbox SET status = 'queued', last_error = ?, updated_at = ? WHERE id = ?",
                             (reason[:500], _ts(now), message_id))

    def check(self, message_id: str, by: str, note: str, now: datetime) -> bool:
        """A person checked a message in doubt (with the receiver): recorded with who, when and what they found."""
        with self.transaction():
            cur = self.con.execute("UPDATE outbox SET status = 'checked', checked_by = ?, checked_at = ?, "
                                   "check_note = ?, updated_at = ? WHERE id = ? AND status = 'in_doubt'",
                                   (by, _ts(now), note, _ts(now), message_id))
        return cur.rowcount == 1

    # --- acknowledgements and history -----------------------------------------------------------------------------
    def acknowledge(self, episode: int, by: str, note: str, now: datetime) -> None:
        with self.transaction():
            self.con.execute("INSERT INTO ack (episode_id, by, at, note) VALUES (?, ?, ?, ?)",
                             (episode, by, _ts(now), note))

    def episodes(self, limit: int = 500) -> list[dict[str, Any]]:
        """Alert episodes, newest first, with their latest acknowledgement and how many messages went out."""
        rows = self.con.execute(
            """
            SELECT e.id, e.rule, e.kind, e.unit, e.step, e.opened_at, e.last_seen_at, e.resolved_at, e.items, e.peak,
                   a.by, a.at, a.note,
                   (SELECT count(*) FROM outbox o WHERE o.episode_id = e.id AND o.status = 'sent') AS sent,
                   (SELECT count(*) FROM outbox o WHERE o.episode_id = e.id AND o.status = 'queued') AS queued,
                   (SELECT count(*) FROM outbox o WHERE o.episode_id = e.id AND o.status = 'in_doubt') AS in_doubt,
                   (SELECT max(o.sent_at) FROM outbox o WHERE o.episode_id = e.id) AS last_sent_at
            FROM episode e
            LEFT JOIN ack a ON a.id = (SELECT max(id) FROM ack WHERE episode_id = e.id)
            ORDER BY e.id DESC LIMIT ?
            """, (limit,)).fetchall()
        keys = ("id", "rule", "kind", "unit", "step", "opened_at", "last_seen_at", "resolved_at", "items", "peak",
                "ack_by", "ack_at", "ack_note", "sent", "queued", "in_doubt", "last_sent_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def record_run(self, started: datetime, at: datetime, finished: datetime, counts: dict[str, int]) -> None:
        with self.transaction():
            self.con.execute("INSERT INTO run (started_at, evaluated_at, finished_at, alerts, sent, failed, in_doubt) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (_ts(started), _ts(at), _ts(finished), counts.get("alerts", 0), counts.get("sent", 0),
                              counts.get("failed", 0), counts.get("in_doubt", 0)))

    def last_run(self) -> dict[str, Any] | None:
        row = self.con.execute("SELECT started_at, evaluated_at, finished_at, alerts, sent, failed, in_doubt FROM run "
                               "ORDER BY id DESC LIMIT 1").fetchone()
        keys = ("started_at", "evaluated_at", "finished_at", "alerts", "sent", "failed", "in_doubt")
        return dict(zip(keys, row, strict=True)) if row else None


def default_path(db: Path) -> Path:
    """The state file beside the database: <db>.alerts.sqlite."""
    return db.with_name(db.name + ".alerts.sqlite")
