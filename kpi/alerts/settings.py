"""Read-side layer: who is told, and through what — the [alerts] section of .streamlit/secrets.toml (PANTAU_SECRETS
names another file), never in git:

    [alerts]
    dashboard_url = "https://pantau.example.go.id"   # links in messages open the alerts page filtered to the unit
    lang = "id"                                       # recipients' language unless a recipient says otherwise
    state = "/var/lib/pantau/alerts.sqlite"           # optional; default <database>.alerts.sqlite
    [alerts.email]      host, port, user, password, from, starttls, timeout   (the keys of [briefing])
    [alerts.webhook]    url, timeout, secret (optional: an HMAC-SHA256 signature header)
    [alerts.telegram]   token, api_base, timeout
    [alerts.whatsapp]   token, phone_number_id, template, api_base, timeout
    [alerts.recipients] "role" or "role:unit_code" = ["email:ADDR", "webhook", "telegram:CHAT_ID",
                                                      "whatsapp:NUMBER", {to = "email:ADDR", lang = "en"}]

A bare role's recipients are told for every unit; a "role:unit_code" entry adds recipients for that unit only.
Problems raise AlertConfigError, whose message (Indonesian or English) names the file, the key and the fix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from base.alerts import NAME
from base.i18n import LANGS, t
from base.units import units
from kpi.smtp import MailSettings, secrets_path, settings_from

CHANNELS = ("email", "webhook", "telegram", "whatsapp")
TELEGRAM_API = "https://api.telegram.org"
WHATSAPP_API = "https://graph.facebook.com/v21.0"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")
CHAT = re.compile(r"^(-?[0-9]+|@[A-Za-z0-9_]{5,})$")


class AlertConfigError(ValueError):
    """The [alerts] settings cannot be used; .message(lang) names the file, the key and the fix."""

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code, values)
        self.code, self.values = code, values

    def message(self, lang: str) -> str:
        return t(f"alerts.config.{self.code}", lang, **self.values)

    def __str__(self) -> str:
        return self.message("en")


@dataclass(frozen=True)
class Recipient:
    target: str      # as written: "email:ADDR", "webhook", "telegram:CHAT_ID", "whatsapp:NUMBER"
    channel: str
    address: str     # "" for the webhook
    lang: str


@dataclass(frozen=True)
class Webhook:
    url: str
    timeout: float = 10.0
    secret: str | None = None


@dataclass(frozen=True)
class Telegram:
    token: str
    api_base: str = TELEGRAM_API
    timeout: float = 10.0


@dataclass(frozen=True)
class WhatsApp:
    token: str
    phone_number_id: str
    template: str
    api_base: str = WHATSAPP_API
    timeout: float = 10.0


@dataclass(frozen=True)
class AlertSettings:
    dashboard_url: str
    lang: str = "id"
    state: Path | None = None
    email: MailSettings | None = None
    webhook: Webhook | None = None
    telegram: Telegram | None = None
    whatsapp: WhatsApp | None = None
    recipients: tuple[tuple[str, tuple[Recipient, ...]], ...] = ()

    def recipients_for(self, roles: Iterable[str], unit: str | None) -> list[Recipient]:
        """Everyone a step's roles reach for `unit`: each role's own recipients, then its "role:unit" ones; each
        target once."""
        table = dict(self.recipients)
        out: dict[str, Recipient] = {}
        for role in roles:
            for r in (*table.get(role, ()), *(table.get(f"{role}:{unit}", ()) if unit else ())):
                out.setdefault(r.target, r)
        return list(out.values())

    def roles(self) -> set[str]:
        return {key.split(":", 1)[0] for key, _ in self.recipients}

    def state_path(self, db: Path) -> Path:
        from kpi.alerts.state import default_path

        return self.state or default_path(db)

    def link(self, unit: str | None, rule: str, lang: str) -> str:
        """The alerts page filtered to the unit (or the rule, for an alert of no unit), in the recipient's language."""
        query = f"unit={unit}" if unit else f"rule={rule}"
        return f"{self.dashboard_url.rstrip('/')}/peringatan?{query}" + ("&lang=en" if lang == "en" else "")


def _number(section: Mapping[str, Any], key: str, default: float, where: str, source: str) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise AlertConfigError("number", path=source, setting=f"{where}.{key}")
    return float(value)


def _text(section: Mapping[str, Any], key: str, where: str, source: str) -> str:
    value = section.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AlertConfigError("missing_key", path=source, setting=f"{where}.{key}")
    return value.strip()


def _url(value: str, key: str, source: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise AlertConfigError("url", path=source, setting=key, value=value)
    return value.rstrip("/")


def parse_settings(raw: Mapping[str, Any], source: str, unit_codes: Iterable[str] | None = None) -> AlertSettings:
    """AlertSettings from a parsed secrets file's [alerts] table (`raw` is the whole file)."""
    section = raw.get("alerts")
    if not isinstance(section, Mapping):
        raise AlertConfigError("missing", path=source)
    known = {"dashboard_url", "lang", "state", "recipients", *CHANNELS}
    if extra := sorted(set(section) - known):
        raise AlertConfigError("unknown", path=source, keys=", ".join(extra), known=", ".join(sorted(known)))
    url = _url(_text(section, "dashboard_url", "alerts", source), "alerts.dashboard_url", source)
    lang = section.get("lang", "id")
    if lang not in LANGS:
        raise AlertConfigError("lang", path=source, setting="alerts.lang", value=lang)
    state = Path(str(section["state"])).expanduser() if section.get("state") else None

    def sub(name: str) -> Mapping[str, Any] | None:
        value = section.get(name)
        if value is not None and not isinstance(value, Mapping):
            raise AlertConfigError("table", path=source, setting=f"alerts.{name}")
        return value

    email = webhook = telegram = whatsapp = None
    if (s := sub("email")) is not None:
        for key in ("host", "from"):
            _text(s, key, "alerts.email", source)
        _number(s, "port", 587, "alerts.email", source)
        _number(s, "timeout", 30, "alerts.email", source)
        email = settings_from(s)
    if (s := sub("webhook")) is not None:
        webhook = Webhook(_url(_text(s, "url", "alerts.webhook", source), "alerts.webhook.url", source),
                          _number(s, "timeout", 10, "alerts.webhook", source), s.get("secret") or None)
    if (s := sub("telegram")) is not None:
        telegram = Telegram(_text(s, "token", "alerts.telegram", source),
                            _url(s.get("api_base") or TELEGRAM_API, "alerts.telegram.api_base", source),
                            _number(s, "timeout", 10, "alerts.telegram", source))
    if (s := sub("whatsapp")) is not None:
        whatsapp = WhatsApp(_text(s, "token", "alerts.whatsapp", source),
                            _text(s, "phone_number_id", "alerts.whatsapp", source),
                            _text(s, "template", "alerts.whatsapp", source),
                            _url(s.get("api_base") or WHATSAPP_API, "alerts.whatsapp.api_base", source),
                            _number(s, "timeout", 10, "alerts.whatsapp", source))
    configured = {"email": email, "webhook": webhook, "telegram": telegram, "whatsapp": whatsapp}
    codes = set(unit_codes) if unit_codes is not None else {u.unit_code for u in units()}
    recipients = []
    for key, targets in (sub("recipients") or {}).items():
        role, _, unit = key.partition(":")
        if not NAME.match(role):
            raise AlertConfigError("role", path=source, setting=key)
        if unit and unit not in codes:
            raise AlertConfigError("unit", path=source, setting=key, unit=unit)
        if not isinstance(targets, list):
            raise AlertConfigError("targets", path=source, setting=key)
        recipients.append((key, tuple(_recipient(t_, key, lang, configured, source) for t_ in targets)))
    return AlertSettings(url, lang, state, email, webhook, telegram, whatsapp, tuple(recipients))


def _recipient(raw: Any, key: str, default_lang: str, configured: dict[str, Any], source: str) -> Recipient:
    lang = default_lang
    if isinstance(raw, Mapping):
        lang = raw.get("lang", default_lang)
        if lang not in LANGS:
            raise AlertConfigError("lang", path=source, setting=f"alerts.recipients.{key}", value=lang)
        raw = raw.get("to")
    if not isinstance(raw, str):
        raise AlertConfigError("target", path=source, setting=key, value=raw)
    channel, _, address = raw.partition(":")
    ok = {"email": EMAIL.match(address), "webhook": not address, "telegram": CHAT.match(address),
          "whatsapp": PHONE.match(address)}.get(channel)
    if not ok:
        raise AlertConfigError("target", path=source, setting=key, value=raw)
    if configured[channel] is None:
        raise AlertConfigError("channel", path=source, setting=key, channel=channel)
    return Recipient(raw, channel, address.lstrip("+") if channel == "whatsapp" else address, lang)


def load_settings(path: Path | None = None) -> AlertSettings | None:
    """The [alerts] settings of the secrets file (PANTAU_SECRETS or .streamlit/secrets.toml); None when the file has
    no [alerts] section; AlertConfigError when it cannot be read or used."""
    path = path or secrets_path()
    if not path.exists():
        return None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AlertConfigError("unreadable", path=path, reason=str(exc)) from None
    if "alerts" not in raw:
        return None
    return parse_settings(raw, str(path))
