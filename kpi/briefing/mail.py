"""Read-side layer: the briefing sent by e-mail — SMTP settings from .streamlit/secrets.toml ([briefing] or [smtp]),
STARTTLS unless switched off, the PDF attached. Nothing here reads the database."""

from __future__ import annotations

import os
import smtplib
import tomllib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from base.i18n import t
from kpi import fmt
from kpi.briefing.content import BriefingError, parse_week
from kpi.smtp import MailSettings, deliver, secrets_path, settings_from

SECTIONS = ("briefing", "smtp")  # the first of these secrets.toml has is used


class MailError(BriefingError):
    """E-mail is not configured, or sending failed; .message(lang) says which and what to do."""


__all__ = ["MailError", "MailSettings", "mail_settings", "message", "secrets_path", "send"]


def mail_settings(path: Path | None = None) -> MailSettings:
    """The SMTP settings; MailError('mail_config') when the file or its section is missing or incomplete."""
    path = path or secrets_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        raw = {}
    section = next((raw[s] for s in SECTIONS if isinstance(raw.get(s), dict)), None)
    if not section or not section.get("host") or not section.get("from") or not section.get("to"):
        raise MailError("mail_config", path=path)
    to = section["to"]
    to = tuple(to) if isinstance(to, list) else tuple(a.strip() for a in str(to).split(",") if a.strip())
    return settings_from(section, to)


def message(settings: MailSettings, pdf: bytes, file_name: str, week: str, lang: str) -> EmailMessage:
    """The e-mail of a briefing: a subject and a line naming the city and the week, and the PDF attached."""
    monday = parse_week(week)
    start, end = fmt.day(monday, lang), fmt.day(monday + timedelta(days=6), lang)
    subject = t("briefing.mail.subject", lang, week=week)
    body = t("briefing.mail.body", lang, week=week, start=start, end=end)
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    msg.set_content(body)
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=file_name)
    return msg


def send(settings: MailSettings, msg: EmailMessage, saved_at: str | os.PathLike[str]) -> None:
    """Send `msg`; MailError('mail_send'), naming where the PDF is saved, when the server cannot be reached or
    refuses (no STARTTLS offered while it is asked for, a wrong password, a rejected address)."""
    try:
        deliver(settings, msg)
    except (OSError, smtplib.SMTPException) as exc:
        reason = str(exc) or type(exc).__name__
        raise MailError("mail_send", path=str(saved_at), server=settings.server, reason=reason) from exc
