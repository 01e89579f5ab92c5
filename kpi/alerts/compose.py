"""Read-side layer: an alert in words, for one recipient — short, in the recipient's language, and without personal
data (only the unit, counts, working days, dates and request ids, which hold none).

Each message says the unit, how many items, how far over (for requests: in hari kerja) and the oldest, lists the
items with the new ones marked, and links to the alerts page filtered to the unit. A chat message (Telegram,
WhatsApp) lists at most CHAT_IDS ids and then says how many more, with the link; an e-mail at most EMAIL_IDS; the
webhook body always carries every id. A Telegram text never exceeds TELEGRAM_MAX characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from base.alerts import Rule
from base.i18n import t
from kpi import fmt, skm
from kpi.alerts.decide import Alert, Decision
from kpi.alerts.settings import AlertSettings, Recipient

CHAT_IDS = 20
EMAIL_IDS = 100
TELEGRAM_MAX = 4096
WHATSAPP_PARAM_MAX = 1000   # the Cloud API refuses long template parameters; a summary stays well under
NEW_MARK = "★"


@dataclass(frozen=True)
class Words:
    """What every channel says of one alert to one recipient: a title and summary lines, then the ids."""

    title: str
    lines: tuple[str, ...]
    ids: tuple[str, ...]          # every item, the new ones first
    new: frozenset[str]
    link: str


def working_days(values: list[int], lang: str) -> str:
    """How far over, in hari kerja: '3 hari kerja', '0–5 hari kerja', or 'kurang dari 1 hari kerja' when no working
    day has started since the deadline."""
    low, high = min(values), max(values)
    if high == 0:
        return t("alerts.msg.under_one", lang)
    if low == high:
        return fmt.standard(high, "working_days", lang)
    return t("alerts.msg.range", lang, low=fmt.number(low, lang), high=fmt.standard(high, "working_days", lang))


def words(alert: Alert, rule: Rule, decision: Decision, new: set[str], lang: str, link: str) -> Words:
    """The title and summary lines of `alert` in `lang`; `new` = the ids this recipient has not been told of."""
    unit = decision.unit_name(alert.unit_code, lang) or t("alerts.msg.city_wide", lang)
    items = alert.items
    step = t("alerts.msg.step", lang, step=alert.step + 1, steps=len(rule.steps))
    values = {"unit": unit, "count": fmt.number(len(items), lang), "step": step, "rule": rule.name(lang)}
    lines: list[str] = []
    if alert.kind == "overdue":
        one = "_one" if len(items) == 1 else ""
        title = t(f"alerts.msg.overdue.title{one}", lang, **values)
        oldest = items[0]
        lines.append(t(f"alerts.msg.overdue.summary{one}", lang, **values,
                       over=working_days([i.measure for i in items], lang)))
        lines.append(t("alerts.msg.overdue.oldest", lang, id=oldest.id, due=fmt.timestamp(oldest.fact("due_at"), lang),
                       over=working_days([oldest.measure], lang)))
    elif alert.kind == "index":
        title = t("alerts.msg.index.title", lang, **values, band=fmt.number(items[0].fact("band"), lang, 2))
        for i in items[:CHAT_IDS]:
            lines.append(t("alerts.msg.index.line", lang, kecamatan=i.fact("kecamatan"),
                           index=fmt.number(i.fact("index"), lang, 2), band=fmt.number(i.fact("band"), lang, 2),
                           weeks=fmt.number(i.measure, lang), start=i.fact("from_week"), end=i.fact("to_week")))
    elif alert.kind == "stale":
        item = items[0]
        title = t("alerts.msg.stale.title", lang, **values, days=fmt.number(item.measure, lang),
                  dataset=t(f"alerts.dataset.{item.id}", lang) if _known_dataset(item.id) else item.id)
        lines.append(t("alerts.msg.stale.line", lang, when=fmt.timestamp(item.fact("last_loaded_at"), lang),
                       days=fmt.number(item.measure, lang)))
    elif alert.kind == "skm":
        item = items[0]
        period = skm.period_text(item.fact("semester"), lang)
        title = t("alerts.msg.skm.title", lang, **values, mutu=item.fact("mutu"),
                  grade=t(f"satisfaction.grade.{item.fact('mutu')}", lang), period=period)
        lines.append(t("alerts.msg.skm.line", lang, ikm=fmt.number(item.fact("ikm"), lang, 2), mutu=item.fact("mutu"),
                       period=period, respondents=fmt.number(item.fact("respondents"), lang),
                       semesters=fmt.number(item.measure, lang)))
    else:  # programme
        title = t("alerts.msg.programme.title", lang, **values)
        for i in items[:CHAT_IDS]:
            lines.append(t("alerts.msg.programme.line", lang, id=i.id, name=i.fact("name"),
                           progress=fmt.percent(i.fact("progress"), lang, 0),
                           expected=fmt.percent(i.fact("expected"), lang, 0), period=fmt.day(i.fact("period"), lang),
                           reports=fmt.number(i.measure, lang)))
    fresh = [i.id for i in items if i.id in new]
    if 0 < len(fresh) < len(items):
        lines.append(t("alerts.msg.new", lang, n=fmt.number(len(fresh), lang), mark=NEW_MARK))
    ordered = tuple(fresh + [i.id for i in items if i.id not in new])
    return Words(title, tuple(lines), ordered, frozenset(fresh), link)


def _known_dataset(name: str) -> bool:
    from base.i18n import catalog

    return f"alerts.dataset.{name}" in catalog()


def id_list(w: Words, limit: int | None, lang: str) -> list[str]:
    """The ids as lines of text: the new ones marked, at most `limit`, then how many more and the link."""
    if not w.ids:
        return []
    shown = w.ids if limit is None else w.ids[:limit]
    marked = ", ".join(f"{NEW_MARK}{i}" if i in w.new else i for i in shown)
    out = [t("alerts.msg.ids", lang, ids=marked, mark=NEW_MARK) if w.new else t("alerts.msg.ids_plain", lang,
                                                                                ids=marked)]
    if len(w.ids) > len(shown):
        out.append(t("alerts.msg.more", lang, n=fmt.number(len(w.ids) - len(shown), lang), link=w.link))
    return out


def text(w: Words, lang: str, limit: int | None, message_id: str) -> str:
    """The plain text of an e-mail or a chat message."""
    body = [*w.lines, *id_list(w, limit, lang), t("alerts.msg.link", lang, link=w.link),
            t("alerts.msg.ref", lang, id=message_id)]
    return "\n".join(body)


def telegram_text(w: Words, lang: str, message_id: str) -> str:
    """At most TELEGRAM_MAX characters: fewer ids if the unit's name and the lines leave no room for twenty."""
    limit = CHAT_IDS
    while True:
        out = f"{w.title}\n\n{text(w, lang, limit, message_id)}"
        if len(out) <= TELEGRAM_MAX or limit == 0:
            return out[:TELEGRAM_MAX]
        limit //= 2


def whatsapp_params(w: Words, lang: str) -> list[str]:
    """The template's three body parameters: title, one-line summary with the ids, link (no line breaks: the Cloud
    API refuses them in parameters)."""
    limit = CHAT_IDS
    while True:
        summary = " ".join([*w.lines, *id_list(w, limit, lang)]).replace("\n", " ")
        if len(summary) <= WHATSAPP_PARAM_MAX or limit == 0:
            return [w.title[:WHATSAPP_PARAM_MAX], summary[:WHATSAPP_PARAM_MAX], w.link]
        limit //= 2


def payload(alert: Alert, rule: Rule, decision: Decision, recipient: Recipient, new: set[str],
            settings: AlertSettings, message_id: str, created: datetime) -> tuple[str, dict[str, Any]]:
    """(title, what the recipient's channel sends) for one alert and one recipient."""
    lang = recipient.lang
    w = words(alert, rule, decision, new, lang, settings.link(alert.unit_code, alert.rule, lang))
    if recipient.channel == "email":
        body = text(w, lang, EMAIL_IDS, message_id)
        return w.title, {"to": recipient.address, "subject": w.title, "body": body}
    if recipient.channel == "telegram":
        return w.title, {"chat_id": recipient.address, "text": telegram_text(w, lang, message_id)}
    if recipient.channel == "whatsapp":
        return w.title, {"to": recipient.address, "lang": lang, "params": whatsapp_params(w, lang)}
    return w.title, {
        "id": message_id, "rule": alert.rule, "kind": alert.kind, "unit_code": alert.unit_code,
        "unit_name": decision.unit_name(alert.unit_code, lang), "step": alert.step, "title": w.title,
        "text": "\n".join(w.lines), "request_ids": alert.ids, "new_request_ids": [i for i in alert.ids if i in new],
        "link": w.link, "lang": lang, "created_at": created.strftime("%Y-%m-%d %H:%M:%S")}
