"""App layer: formatting only pages need — tile values and deltas, sentences, labels that may be missing."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from base.clock import now_local
from base.i18n import t
from kpi import fmt

# Headline tiles: which way is good for each KPI (st.metric colours the delta accordingly); how its change reads is
# kpi.fmt's, shared with the briefing.
COLOURS = {"received": "off", "completed": "normal", "open_at_end": "inverse", "overdue_at_end": "inverse",
           "median_hours": "inverse", "p90_hours": "inverse", "on_time_rate": "normal"}
HEADLINE = tuple((key, COLOURS[key], kind) for key, kind in fmt.HEADLINE_KINDS.items())
STATUS_BADGE = {"green": "green", "amber": "orange", "red": "red"}


headline_value = fmt.kpi_value  # the tile's value: formatted as the briefing formats it


def headline_delta(kind: str, now: float | None, before: float | None, language: str) -> str | None:
    """Change against the previous period (kpi.fmt.delta), with the '-' st.metric reads for its arrow."""
    if now is None or before is None or now != now or before != before:
        return None
    return fmt.delta(now - before, language, kind, minus="-")


mover_sentence = fmt.mover_sentence


def age_text(loaded_at: datetime, language: str) -> str:
    """How long ago a load happened, in hours under two days, else days."""
    hours = max((now_local() - pd.Timestamp(loaded_at).to_pydatetime()).total_seconds() / 3600, 0)
    if hours < 48:
        return t("data.age_hours", language, n=fmt.number(hours, language))
    return t("data.age_days", language, n=fmt.number(hours / 24, language))


def _known(key: str, fallback: str, language: str) -> str:
    try:
        return t(key, language)
    except KeyError:
        return fallback


def indicator_label(indicator: str, language: str) -> str:
    """A tourism indicator's name; one uploaded under a new code is shown as stored."""
    return _known(f"tourism.indicator.{indicator}", indicator, language)


def unit_short(unit: str, language: str) -> str:
    """Short unit after a value in a tile ('%', 'kunjungan' / 'visits'); an unknown unit is shown as stored."""
    return _known(f"tourism.unit_short.{unit}", unit, language)


def dataset_label(dataset: str, language: str) -> str:
    return _known(f"data.dataset.{dataset}", dataset, language)


def source_label(source: str, language: str) -> str:
    return _known(f"data.source.{source}", source, language)


# Smart-city pillar indicators (kpi/smartcity.py): how each measure's value and change read.
INDICATOR_DELTA = {"service_index": "relative", "on_time_rate": "points", "channel_share": "points",
                   "received": "count", "completed": "count", "tourism_recovery": "index"}


def indicator_value(measure: str, value: float | None, language: str) -> str:
    if measure in ("on_time_rate", "channel_share"):
        return fmt.percent(value, language)
    if measure == "service_index":
        return fmt.number(value, language, 2)
    if measure == "tourism_recovery":
        return fmt.number(value, language, 1)
    return fmt.number(value, language)


def indicator_delta(measure: str, now: float | None, before: float | None, language: str) -> str | None:
    """The change against the previous period as st.metric reads it; None when either value is missing."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    kind = INDICATOR_DELTA[measure]
    if kind == "index":  # the recovery index moves in index points (2019 = 100), not in per cent of itself
        return ("+" if now >= before else "-") + fmt.number(abs(now - before), language, 1)
    if kind == "relative":
        return fmt.delta((now - before) / before, language, kind, minus="-") if before else None
    return fmt.delta(now - before, language, kind, minus="-")
