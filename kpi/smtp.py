"""Read-side layer: SMTP as Pantau uses it — the settings shape of a secrets section (host, port, user, password,
from, starttls, timeout), where the secrets file is, and one connection that sends one message. Shared by the weekly
briefing's e-mail (kpi/briefing/mail.py) and the alerts (kpi/alerts/channels.py)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from base.settings import secrets_path

__all__ = ["MailSettings", "deliver", "secrets_path", "settings_from"]


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 30.0

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def settings_from(section: Mapping[str, Any], to: tuple[str, ...] = ()) -> MailSettings:
    """MailSettings from a secrets section holding at least `host` and `from` (the caller checks them)."""
    return MailSettings(host=str(section["host"]), port=int(section.get("port", 587)), sender=str(section["from"]),
                        to=to, user=section.get("user") or None, password=section.get("password") or None,
                        starttls=bool(section.get("starttls", True)), timeout=float(section.get("timeout", 30)))


def deliver(settings: MailSettings, msg: EmailMessage) -> None:
    """Send `msg` over one connection: STARTTLS unless switched off (a server that does not offer it is refused, so
    nothing goes in the clear), then the login when a user is set. Raises OSError or smtplib.SMTPException."""
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        smtp.ehlo()
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(msg)
