"""Real local servers the alert tests send to, each on 127.0.0.1 inside the test: an SMTP server (aiosmtpd) and one
HTTP server standing in for a webhook receiver, the Telegram Bot API and the WhatsApp Cloud API (their `api_base`
points at it). Both keep everything they receive, and tell which message id each delivery carried."""

from __future__ import annotations

import contextlib
import email
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

TELEGRAM_TOKEN = "123456:TEST-token"
WHATSAPP_TOKEN = "wa-test-token"
PHONE_ID = "10987654321"
TEMPLATE = "pantau_peringatan"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server accepted: one email.message.Message per delivery."""

    messages: list[Message] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)       # each message's bytes exactly as the server received them
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(msg)
            self.raw.append(envelope.original_content or envelope.content)
        return "250 OK"

    def ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"].strip("<>").split("@")[0] for m in self.messages]


@dataclass
class Http:
    """What the HTTP server received, and how it answers: `hold` = when set, the next webhook call (from number
    `hold_call` on) is recorded, `arrived` is set, and the answer waits for `release`; `fail` = statuses to answer the
    next other webhook calls with."""

    port: int = 0
    received: list[tuple[str, dict[str, str], dict[str, Any], int | None]] = field(default_factory=list)
    fail: list[int] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)
    hold_call: int = 1   # hold the webhook call with this number (1 = the next one) once `hold` is set
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls(self, kind: str, *, accepted: bool = False) -> list[dict[str, Any]]:
        """The bodies of the calls of one kind, in order; `accepted`: only those answered with a 2xx status (a held
        call counts as accepted: it reached the server, whatever became of the answer)."""
        prefix = {"webhook": "/hook", "telegram": "/tg/", "whatsapp": "/wa/"}[kind]
        with self.lock:
            return [body for path, _, body, status in self.received if path.startswith(prefix)
                    and (not accepted or status is None or status < 300)]

    def headers(self, kind: str) -> list[dict[str, str]]:
        prefix = {"webhook": "/hook", "telegram": "/tg/", "whatsapp": "/wa/"}[kind]
        with self.lock:
            return [h for path, h, _, _ in self.received if path.startswith(prefix)]

    def ids(self, kind: str, *, accepted: bool = True) -> list[str]:
        calls = self.calls(kind, accepted=accepted)
        if kind == "webhook":
            return [b["id"] for b in calls]
        if kind == "telegram":
            return [re.search(r"Ref: (\S+)", b["text"]).group(1) for b in calls]
        return [b["biz_opaque_callback_data"] for b in calls]


def _handler(state: Http) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            with state.lock:
                hook = self.path.startswith("/hook")
                number = 1 + sum(p.startswith("/hook") for p, _, _, _ in state.received)
                hold = hook and state.hold.is_set() and number >= state.hold_call
                status = state.fail.pop(0) if hook and state.fail and not hold else 200
                if self.path.startswith("/tg/") and self.path != f"/tg/bot{TELEGRAM_TOKEN}/sendMessage":
                    status = 404
                if self.path.startswith("/wa/") and (self.path != f"/wa/{PHONE_ID}/messages" or
                                                     self.headers.get("Authorization") != f"Bearer {WHATSAPP_TOKEN}"):
                    status = 401
                if hold:
                    state.hold.clear()
                state.received.append((self.path, dict(self.headers), body, None if hold else status))
            if hold:
                state.arrived.set()
                state.release.wait(60)
            with contextlib.suppress(OSError):  # the sender may be gone (killed, timed out): nobody reads the answer
                self._reply(status)

        def _reply(self, status: int) -> None:
            if self.path.startswith("/tg/"):
                self._answer(status, {"ok": status == 200, "result": {"message_id": len(state.received)}})
            elif self.path.startswith("/wa/"):
                self._answer(status, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.1"}]}
                             if status == 200 else {"error": {"message": "bad token"}})
            else:
                self._answer(status, {"received": status < 300})

    return Handler


@contextmanager
def servers() -> Iterator[tuple[Mailbox, Http, int]]:
    """(mailbox, http, smtp port), both servers listening on 127.0.0.1 until the block ends."""
    box, http = Mailbox(), Http()
    smtp_port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(http))
    server.daemon_threads = True
    http.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box, http, smtp_port
    finally:
        http.release.set()
        server.shutdown()
        server.server_close()
        controller.stop()


def secrets(http: Http, smtp_port: int, recipients: dict[str, list[Any]], *, timeout: float = 5) -> dict[str, Any]:
    """The [alerts] section of a secrets file pointing every channel at the local servers."""
    return {"alerts": {
        "dashboard_url": "https://pantau.example.go.id",
        "email": {"host": "127.0.0.1", "port": smtp_port, "from": "pantau@example.go.id", "starttls": False,
                  "timeout": timeout},
        "webhook": {"url": f"{http.base}/hook", "timeout": timeout, "secret": "s3cret"},
        "telegram": {"token": TELEGRAM_TOKEN, "api_base": f"{http.base}/tg", "timeout": timeout},
        "whatsapp": {"token": WHATSAPP_TOKEN, "phone_number_id": PHONE_ID, "template": TEMPLATE,
                     "api_base": f"{http.base}/wa", "timeout": timeout},
        "recipients": recipients,
    }}


def toml(value: dict[str, Any]) -> str:
    """A small TOML writer for the secrets file (tables of scalars, lists of strings or inline tables)."""
    def scalar(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return str(v)
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {scalar(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(scalar(x) for x in v) + "]"
        return json.dumps(v)

    lines: list[str] = []

    def table(name: str, body: dict[str, Any]) -> None:
        lines.append(f"[{name}]")
        subs = []
        for k, v in body.items():
            if isinstance(v, dict):
                subs.append((k, v))
            else:
                lines.append(f"{json.dumps(k)} = {scalar(v)}")
        for k, v in subs:
            table(f"{name}.{k}", v)

    for name, body in value.items():
        table(name, body)
    return "\n".join(lines) + "\n"
