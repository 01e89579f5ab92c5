"""Read-side layer: numbers, percentages, hours and dates in the reader's locale (babel)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import NumberPattern, parse_pattern

from base.i18n import t
from kpi.metrics import INDEX_BANDS, index_status

LOCALES = {"id": "id_ID", "en": "en_GB"}
# Charts format thousands of tooltip values per run, most of them repeated: babel is exact but slow per call, even
# with its pattern parsed once (benchmarks/README.md).
CACHE_SIZE = 16_384


def _loc(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["id"])


@lru_cache(maxsize=64)
def _number_format(lang: str, digits: int, percent: bool) -> tuple[NumberPattern, Locale]:
    """The parsed pattern and locale: what babel's format_decimal/format_percent would look up on every call."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + ("%" if percent else "")
    return parse_pattern(pattern), Locale.parse(_loc(lang))


@lru_cache(maxsize=CACHE_SIZE)
def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """1.234,5 (id) or 1,234.5 (en); an em dash for no value."""
    if value is None or value != value:
        return "–"
    pattern, locale = _number_format(lang, digits, False)
    return pattern.apply(value, locale)


@lru_cache(maxsize=CACHE_SIZE)
def percent(rate: float | None, lang: str, digits: int = 1) -> str:
    """0.912 -> 91,2% (id) / 91.2% (en)."""
    if rate is None or rate != rate:
        return "–"
    pattern, locale = _number_format(lang, digits, True)
    return pattern.apply(rate, locale)


@lru_cache(maxsize=CACHE_SIZE)
def hours(value: float | None, lang: str) -> str:
    """Processing hours: one decimal under 10 h, whole hours above."""
    if value is None or value != value:
        return "–"
    unit = "jam" if lang == "id" else "h"
    return f"{number(value, lang, 1 if abs(value) < 10 else 0)} {unit}"


@lru_cache(maxsize=CACHE_SIZE)
def day(value: date | datetime, lang: str, style: str = "medium") -> str:
    """31 Okt 2026 (id) / 31 Oct 2026 (en)."""
    return format_date(value, format=style, locale=_loc(lang))


@lru_cache(maxsize=CACHE_SIZE)
def month(value: date | datetime, lang: str) -> str:
    """Oktober 2026 / October 2026."""
    return format_date(value, format="LLLL y", locale=_loc(lang))


def unit_digits(unit: str) -> int:
    """Decimals a value in `unit` is shown with: a percentage (tourism's `persen`) one, a count none."""
    return 1 if unit == "persen" else 0


def delta(change: float, lang: str, kind: str, minus: str = "−") -> str:
    """A change against an earlier period, signed: `count` (+1.234), `hours` (+0,8 jam), `points` (a rate's change in
    percentage points: +1,3 poin) or `relative` (a share of the earlier value: +4,2%). `minus` is the sign of a fall:
    a typographic minus on screens, '-' where a widget reads the sign (st.metric)."""
    size = abs(change)
    if kind == "points":
        text = number(size * 100, lang, 1) + " " + t("fmt.points", lang)
    elif kind == "relative":
        text = percent(size, lang, 1)
    elif kind == "hours":
        text = hours(size, lang)
    else:
        text = number(size, lang)
    return ("+" if change >= 0 else minus) + text


def standard(value: float, unit: str, lang: str) -> str:
    """A service standard in its own unit: '5 hari kerja' / '5 working days', '24 jam' / '24 hours'."""
    n = number(value, lang, 0 if float(value).is_integer() else 1)
    plural = "one" if value == 1 else "other"
    return t(f"standard.{unit}.{plural}", lang, n=n)


def timestamp(value: datetime, lang: str) -> str:
    return format_datetime(value, format="d MMM y HH:mm", locale=_loc(lang))


# The headline KPIs in the order every view shows them, with how each one's change reads (a `delta` kind).
HEADLINE_KINDS = {"received": "count", "completed": "count", "open_at_end": "count", "overdue_at_end": "count",
                  "median_hours": "hours", "p90_hours": "hours", "on_time_rate": "points"}


def kpi_value(key: str, value: float | None, lang: str) -> str:
    """A headline KPI's value as the overview and the briefing show it: a rate in percent, times in hours, counts."""
    if key == "on_time_rate":
        return percent(value, lang)
    if key in ("median_hours", "p90_hours"):
        return hours(value, lang)
    return number(value, lang)


def mover_sentence(row: Any, lang: str) -> str:
    """A row of queries.biggest_movers in words: '<service> di <kecamatan>: median turun dari 31 jam menjadi 19 jam'."""
    key = "overview.mover_down" if row.direction == "down" else "overview.mover_up"
    return t(key, lang, service=row.service, kecamatan=row.kecamatan, before=hours(row.median_hours_prev, lang),
             after=hours(row.median_hours, lang))


def status_text(value: float | None, lang: str) -> str:
    """A service index's band as a symbol and a word ('✓ sesuai target', '! mendekati target', '✕ di bawah target'),
    as every view that colours a band writes it beside the colour; 'no completions' when there is nothing to score."""
    band = index_status(value)
    word = t(f"chart.status.{band or 'none'}", lang)
    return f"{INDEX_BANDS[band]} {word}" if band else word


def programme_status_text(status: str | None, lang: str) -> str:
    """A master-plan status (kpi.smartcity.STATUSES) as a symbol and a word ('✕ Tertinggal'); None: no programmes."""
    from kpi.smartcity import STATUS_SYMBOLS  # the statuses' own module reads the KPI layer, which formats with this

    word = t(f"smartcity.status.{status or 'none'}", lang)
    return f"{STATUS_SYMBOLS[status]} {word}" if status in STATUS_SYMBOLS else word
