"""Read-side layer: the thin adapters that send one composed message (an outbox row) through its channel —
SMTP, a webhook (JSON POST), the Telegram Bot API (sendMessage) and the WhatsApp Cloud API (a template message).

Each raises SendFailed when the message certainly needs sending again: the server refused or could not be reached, it
answered with an error status, or it did not answer in time. Every message carries its stable id (the e-mail's
Message-ID, the webhook body's `id` and Idempotency-Key header, a `Ref` line in a chat text, WhatsApp's
biz_opaque_callback_data), so a receiver can drop a repeat. Tokens come from the settings at send time and never
appear in a failure's reason (the Bot API puts its token in the address).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from kpi.alerts.settings import AlertSettings
from kpi.alerts.state import Message
from kpi.smtp import deliver

# CRLF line ends, lines of at most 78 characters (a long subject is folded, as RFC 5322 allows; the quoted-printable
# body keeps within RFC 2045's 76).
MAIL_POLICY = policy.SMTP


class SendFailed(RuntimeError):
    """The message did not go out; it stays queued for the next run. `reason` says why (no secret in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def send(message: Message, settings: AlertSettings) -> None:
    """Send one outbox row through its channel."""
    {"email": _email, "webhook": _webhook, "telegram": _telegram, "whatsapp": _whatsapp}[message.channel](
        message, settings)


def email_message(message: Message, settings: AlertSettings) -> EmailMessage:
    assert settings.email is not None
    p = message.payload
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = settings.email.sender
    msg["To"] = p["to"]
    msg["Subject"] = p["subject"]
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<{message.id}@{settings.email.sender.rpartition('@')[2] or 'pantau'}>"
    msg["X-Pantau-Alert"] = message.id
    msg.set_content(p["body"], cte="7bit" if p["body"].isascii() else "quoted-printable")  # safe on any relay
    return msg


def _email(message: Message, settings: AlertSettings) -> None:
    if settings.email is None:
        raise SendFailed("[alerts.email] is not configured")
    try:
        deliver(settings.email, email_message(message, settings))
    except (OSError, smtplib.SMTPException) as exc:
        raise SendFailed(f"SMTP {settings.email.server}: {str(exc) or type(exc).__name__}") from exc


def _post(url: str, body: dict[str, Any], timeout: float, headers: dict[str, str], what: str) -> dict[str, Any]:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = Request(url, data=data, method="POST",
                      headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Pantau", **headers})
    try:
        with urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except HTTPError as exc:
        raise SendFailed(f"{what}: HTTP {exc.code}") from None
    except (URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise SendFailed(f"{what}: no answer within {timeout:g} s (timeout)") from None
        raise SendFailed(f"{what}: {type(exc).__name__} ({reason})") from None
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {}


def _webhook(message: Message, settings: AlertSettings) -> None:
    if settings.webhook is None:
        raise SendFailed("[alerts.webhook] is not configured")
    hook = settings.webhook
    headers = {"Idempotency-Key": message.id}
    if hook.secret:
        data = json.dumps(message.payload, ensure_ascii=False).encode("utf-8")
        headers["X-Pantau-Signature"] = "sha256=" + hmac.new(hook.secret.encode(), data, hashlib.sha256).hexdigest()
    _post(hook.url, message.payload, hook.timeout, headers, "webhook")


def _telegram(message: Message, settings: AlertSettings) -> None:
    if settings.telegram is None:
        raise SendFailed("[alerts.telegram] is not configured")
    tg = settings.telegram
    body = {"chat_id": message.payload["chat_id"], "text": message.payload["text"],
            "link_preview_options": {"is_disabled": True}}
    answer = _post(f"{tg.api_base}/bot{tg.token}/sendMessage", body, tg.timeout, {}, "Telegram")
    if not answer.get("ok"):
        raise SendFailed(f"Telegram: {answer.get('description') or 'not ok'}")


def _whatsapp(message: Message, settings: AlertSettings) -> None:
    if settings.whatsapp is None:
        raise SendFailed("[alerts.whatsapp] is not configured")
    wa, p = settings.whatsapp, message.payload
    body = {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": p["to"], "type": "template",
        "biz_opaque_callback_data": message.id,
        "template": {"name": wa.template, "language": {"code": p["lang"]},
                     "components": [{"type": "body",
                                     "parameters": [{"type": "text", "text": v} for v in p["params"]]}]},
    }
    answer = _post(f"{wa.api_base}/{wa.phone_number_id}/messages", body, wa.timeout,
                   {"Authorization": f"Bearer {wa.token}"}, "WhatsApp")
    if not answer.get("messages"):
        raise SendFailed(f"WhatsApp: {answer.get('error', {}).get('message') or 'no message accepted'}")
