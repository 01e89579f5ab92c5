"""Read-side layer: pure Altair chart builders (aggregated DataFrame in, alt.Chart out; no Streamlit).

Encodings are always channel objects (alt.X("p25:Q")), never bare strings or alt.value(): Altair turns a bare
string or dict into a channel through from_dict, which hashes the whole Vega-Lite schema on every call (per
channel, more than the rest of a chart costs). tests/test_charts.py checks that no builder takes that path.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from base.i18n import t
from kpi import fmt, skm, theme
from kpi.metrics import INDEX_AMBER, INDEX_BANDS, INDEX_GREEN, SCORE_CAP, index_status
from kpi.smartcity import STATUS_SYMBOLS, STATUSES
from kpi.theme import (
    AGE_COLOURS,
    ALERT_STEP_COLOURS,
    GRADE_COLOURS,
    MAX_GROUPS,
    MUTED,
    OKABE_ITO,
    OTHER_COLOUR,
    PROGRAMME_COLOURS,
    STATUS_COLOURS,
    TARGET_COLOURS,
    TEXT,
)

DATE_FORMAT = {"day": "%e %b %Y", "week": "%e %b %Y", "month": "%b %Y"}
# Count axes say tickMinStep=1: counts are whole, so a small one gets no ticks between two integers (labelled 0 0 1 1).


def unit_label(unit: str, lang: str) -> str:
    """Axis title for a tourism unit as stored (persen, kunjungan, …); an unknown unit is shown as stored."""
    try:
        return t(f"chart.unit.{unit}", lang)
    except KeyError:
        return unit


def _label_limit(px: int, share: float = 0.3) -> alt.ExprRef:
    """Row labels up to `px` wide, but no more than `share` of the chart's container: on a narrow screen (320 px) the
    labels are cut short (a tooltip and the download hold them whole) instead of leaving no room for the bars. Drawn
    without a container (the briefing's SVGs), the full `px`."""
    return alt.ExprRef(expr=f"containerSize()[0] > 0 ? min({px}, max(72, containerSize()[0] * {share})) : {px}")


def _rows_height(rows: int, extra: int, per_row: int = 24) -> int:
    """Height for a chart with one band per row: every row label readable, plus room for axis and legend."""
    return max(200, rows * per_row + extra)


def _finish(chart: alt.TopLevelMixin, lang: str, height: int = 320) -> alt.TopLevelMixin:
    # The builder owns `chart`, so its height and config are set in place: properties() and configure() would each
    # deep-copy the whole chart (and validate) to give back a new one.
    chart.height = height
    chart.config = theme.dashboard(lang)
    return chart


def _period_label(df: pd.DataFrame, grain: str, lang: str) -> pd.Series:
    fn = fmt.month if grain == "month" else fmt.day
    labels = {d: fn(pd.Timestamp(d).date(), lang) for d in df["period"].unique()}  # once per period, not per row
    return df["period"].map(labels)


def _x_time(grain: str, lang: str) -> alt.X:
    return alt.X("period:T", title=t(f"chart.axis.period_{grain}", lang),
                 axis=alt.Axis(format=DATE_FORMAT[grain], labelOverlap=True))


def _top_groups(df: pd.DataFrame, value: str, lang: str) -> tuple[pd.DataFrame, list[str]]:
    """Keep the MAX_GROUPS largest groups, fold the rest into 'other' (too many colours help nobody)."""
    totals = df.groupby("group")[value].sum().sort_values(ascending=False)
    keep = list(totals.index[:MAX_GROUPS])
    other = t("chart.other", lang)
    out = df.assign(group=df["group"].where(df["group"].isin(keep), other))
    out = out.groupby(["period", "group"], as_index=False)[value].sum()
    order = keep + ([other] if len(totals) > MAX_GROUPS else [])
    # Every group on every period (0 where nothing happened), or stacked areas bridge the gaps diagonally.
    grid = pd.MultiIndex.from_product([sorted(out["period"].unique()), order], names=["period", "group"])
    out = out.set_index(["period", "group"]).reindex(grid, fill_value=0).reset_index()
    out["rank"] = out["group"].map({g: i for i, g in enumerate(order)})
    return out, order


# --- builders ----------------------------------------------------------------------------------------------------
# A builder is three functions: rows(df, *args) -> (frame, key) shapes the data (labels, formatted tooltip values) and
# says what the chart's form depends on (language, grain, height, an order); template(*key) draws the form with
# Altair, its rows referred to by name (TABLE); describe(frame, *key) states the chart's takeaway in one sentence of
# the page's language, from the same rows (the Vega-Lite `description`: what a screen reader announces instead of
# "Vega visualization"). builder(df, *args) gives the Altair chart with the rows and the sentence attached (what the
# tests validate); builder.spec(df, *args) gives the same Vega-Lite dict, with the template built by Altair once per
# key and only the rows and the sentence attached per call: Altair costs far more than attaching rows
# (benchmarks/README.md).
TABLE = "table"
TEMPLATES = 256


def _rows() -> alt.NamedData:
    return alt.NamedData(name=TABLE)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _values(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame as Vega-Lite rows, as Altair converts a DataFrame (tests/test_charts.py compares the two) but column
    by column: Altair's conversion copies and rewrites the whole frame once per column (slow even for a small chart)."""
    columns = []
    for _, col in frame.items():
        if col.dtype.kind == "M":  # full ISO timestamps: Vega reads a bare date as UTC, a date-time as local time
            values = ["" if _missing(v) else v.isoformat() for v in col]
        elif col.dtype.kind == "f":
            values = [v if math.isfinite(v) else None for v in col.tolist()]
        else:
            values = [None if _missing(v) else (v.tolist() if isinstance(v, np.ndarray) else v)
                      for v in col.astype(object).tolist()]
        columns.append(values)
    names = [str(name) for name in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


class Builder:
    """A chart builder: see the comment above. Calling it returns the Altair chart; .spec() the Vega-Lite dict;
    .describe(df, *args) the sentence alone."""

    def __init__(self, rows: Callable[..., tuple[pd.DataFrame, tuple]], template: Callable[..., alt.TopLevelMixin],
                 describe: Callable[..., str]) -> None:
        functools.update_wrapper(self, template)
        self.rows, self.template, self._describe = rows, template, describe
        self._spec_of = functools.lru_cache(maxsize=TEMPLATES)(lambda key: template(*key).to_dict(validate=False))

    def __call__(self, df: pd.DataFrame, *args: Any) -> alt.TopLevelMixin:
        frame, key = self.rows(df, *args)
        chart = self.template(*key)
        chart.datasets = {TABLE: _values(frame)}
        chart.description = self._describe(frame, *key)
        return chart

    def spec(self, df: pd.DataFrame, *args: Any) -> dict[str, Any]:
        frame, key = self.rows(df, *args)
        spec = copy.deepcopy(self._spec_of(key))  # the caller (Streamlit) may change the dict it gets
        spec["datasets"] = {**spec.get("datasets", {}), TABLE: _values(frame)}
        spec["description"] = self._describe(frame, *key)
        return spec

    def describe(self, df: pd.DataFrame, *args: Any) -> str:
        frame, key = self.rows(df, *args)
        return self._describe(frame, *key)


def builder(rows: Callable[..., tuple[pd.DataFrame, tuple]],
            describe: Callable[..., str]) -> Callable[[Callable[..., Any]], Builder]:
    """Decorator: @builder(rows, describe) on a template function makes the Builder named after it."""
    return lambda template: Builder(rows, template, describe)


# --- text alternatives: one sentence per chart, from the rows it draws --------------------------------------------
def _span(frame: pd.DataFrame, grain: str, lang: str) -> tuple[str, str]:
    fn = fmt.month if grain == "month" else fmt.day
    return fn(pd.Timestamp(frame["period"].min()).date(), lang), fn(pd.Timestamp(frame["period"].max()).date(), lang)


def _empty(title_key: str, lang: str, **values: Any) -> str:
    return t("describe.empty", lang, chart=t(title_key, lang, **values))


def _counts(labels: pd.Series, order: list[str], lang: str, key: str = "describe.status_count") -> str:
    """'3 ✓ sesuai target, 2 ! mendekati target, 1 ✕ di bawah target': how many rows carry each label, in order."""
    counts = labels.value_counts()
    return ", ".join(t(key, lang, n=fmt.number(int(counts.get(label, 0)), lang), status=label) for label in order)


def _band_label(band: str, lang: str) -> str:
    return f"{INDEX_BANDS[band]} {t(f'chart.status.{band}', lang)}"


def _programme_label(status: str, lang: str) -> str:
    return fmt.programme_status_text(status, lang)


# --- a status written on every row -------------------------------------------------------------------------------
# A bar chart whose bars carry a status writes each row's figure and status (symbol and word) as the labels of a
# second y axis, on the right. An axis is laid out with the chart, so its labels are never cut, however narrow the
# screen (text marks past the plot would be); and they sit clear of any threshold line. Both axes read one field,
# "<row name><TAB><status text>", each showing its half.
ROW = "row"


def _row_key(names: pd.Series, marks: pd.Series) -> pd.Series:
    return names.astype(str) + "\t" + marks.astype(str)


def _rows_y(sort: Any, limit: int) -> alt.Y:
    return alt.Y(f"{ROW}:N", sort=sort, title=None,
                 axis=alt.Axis(labelExpr="split(datum.label, '\\t')[0]", labelLimit=_label_limit(limit),
                               labelOverlap=False))


def _status_axis(sort: Any) -> alt.Chart:
    """The right-hand axis that writes each row's status; its layer draws nothing (and is hidden from screen
    readers: the chart's description says it all)."""
    return alt.Chart(_rows()).mark_tick(opacity=0, aria=False).encode(
        y=alt.Y(f"{ROW}:N", sort=sort, title=None,
                axis=alt.Axis(orient="right", labelExpr="split(datum.label, '\\t')[1]",
                              labelLimit=_label_limit(220, 0.25),
                              labelOverlap=False, labelColor=TEXT, labelFontSize=12, labelPadding=8, ticks=False,
                              domain=False)))


def _volume_rows(df: pd.DataFrame, measure: str, grain: str, split: str, lang: str) -> tuple[pd.DataFrame, tuple]:
    data, order = _top_groups(df, measure, lang)
    data["label"] = _period_label(data, grain, lang)
    data["value_fmt"] = data[measure].map(lambda v: fmt.number(v, lang))
    return data, (measure, grain, split, lang, tuple(order))


def _volume_describe(frame: pd.DataFrame, measure: str, grain: str, split: str, lang: str,
                     order: tuple[str, ...]) -> str:
    if frame.empty or not frame[measure].sum():
        return _empty(f"chart.axis.{measure}", lang)
    totals = frame.groupby("group")[measure].sum().sort_values(ascending=False)
    total = totals.sum()
    start, end = _span(frame, grain, lang)
    return t("describe.volume", lang, measure=t(f"chart.axis.{measure}", lang),
             grain=t(f"describe.grain.{grain}", lang), split=t(f"chart.split.{split}", lang).lower(), start=start,
             end=end, total=fmt.number(total, lang), top=totals.index[0], top_total=fmt.number(totals.iloc[0], lang),
             share=fmt.percent(totals.iloc[0] / total, lang, 0))


@builder(_volume_rows, _volume_describe)
def volume_chart(measure: str, grain: str, split: str, lang: str, order: tuple[str, ...]) -> alt.Chart:
    """Stacked areas of `measure` (received | completed) per period, one colour per split group."""
    palette = OKABE_ITO[: min(len(order), MAX_GROUPS)] + ([OTHER_COLOUR] if len(order) > MAX_GROUPS else [])
    chart = alt.Chart(_rows()).mark_area(opacity=0.9, line={"color": "white", "strokeWidth": 0.5}).encode(
        x=_x_time(grain, lang),
        y=alt.Y(f"{measure}:Q", stack="zero", title=t(f"chart.axis.{measure}", lang),
                axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("group:N", title=t(f"chart.split.{split}", lang),
                        scale=alt.Scale(domain=list(order), range=palette), sort=list(order),
                        legend=alt.Legend(columns=2, labelLimit=220)),  # two columns fit a narrow screen
        order=alt.Order("rank:Q", sort="ascending"),
        tooltip=[alt.Tooltip("label:N", title=t(f"chart.axis.period_{grain}", lang)),
                 alt.Tooltip("group:N", title=t(f"chart.split.{split}", lang)),
                 alt.Tooltip("value_fmt:N", title=t(f"chart.axis.{measure}", lang))],
    )
    return _finish(chart, lang)


def _received_completed_rows(df: pd.DataFrame, grain: str, lang: str) -> tuple[pd.DataFrame, tuple]:
    totals = df.groupby("period", as_index=False)[["received", "completed"]].sum()
    long = totals.melt(id_vars="period", var_name="measure", value_name="requests")
    long["series"] = long["measure"].map(lambda m: t(f"chart.axis.{m}", lang))
    long["label"] = _period_label(long, grain, lang)
    long["value_fmt"] = long["requests"].map(lambda v: fmt.number(v, lang))
    return long, (grain, lang)


def _received_completed_describe(frame: pd.DataFrame, grain: str, lang: str) -> str:
    received = frame[frame["measure"] == "received"]
    if received.empty:
        return _empty("chart.axis.received", lang)
    peak = received.loc[received["requests"].idxmax()]
    start, end = _span(frame, grain, lang)
    return t("describe.received_completed", lang, grain=t(f"describe.grain.{grain}", lang), start=start, end=end,
             received=fmt.number(received["requests"].sum(), lang),
             completed=fmt.number(frame.loc[frame["measure"] == "completed", "requests"].sum(), lang),
             peak_label=peak["label"], peak=fmt.number(peak["requests"], lang))


@builder(_received_completed_rows, _received_completed_describe)
def received_completed_chart(grain: str, lang: str) -> alt.Chart:
    """Two lines per period: requests received and requests completed (all groups summed)."""
    names = [t("chart.axis.received", lang), t("chart.axis.completed", lang)]
    chart = alt.Chart(_rows()).mark_line(point=grain != "day", strokeWidth=2.5).encode(
        x=_x_time(grain, lang),
        y=alt.Y("requests:Q", title=t("chart.axis.requests", lang), axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=OKABE_ITO[:2])),
        strokeDash=alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=names, range=[[1, 0], [6, 3]])),
        tooltip=[alt.Tooltip("label:N", title=t(f"chart.axis.period_{grain}", lang)),
                 alt.Tooltip("series:N", title=t("chart.measure", lang)),
                 alt.Tooltip("value_fmt:N", title=t("chart.axis.requests", lang))],
    )
    return _finish(chart, lang, height=260)


def _backlog_rows(df: pd.DataFrame, grain: str, lang: str) -> tuple[pd.DataFrame, tuple]:
    return df.assign(label=_period_label(df, grain, lang),
                     value_fmt=df["open_at_end"].map(lambda v: fmt.number(v, lang))), (grain, lang)


def _backlog_describe(frame: pd.DataFrame, grain: str, lang: str) -> str:
    if frame.empty:
        return _empty("chart.axis.open_at_end", lang)
    first, last, top = frame.iloc[0], frame.iloc[-1], frame.loc[frame["open_at_end"].idxmax()]
    return t("describe.backlog", lang, grain=t(f"describe.grain.{grain}", lang), first=first["value_fmt"],
             first_label=first["label"], last=last["value_fmt"], last_label=last["label"], top=top["value_fmt"],
             top_label=top["label"])


@builder(_backlog_rows, _backlog_describe)
def backlog_chart(grain: str, lang: str) -> alt.Chart:
    """Open backlog at the end of each period."""
    chart = alt.Chart(_rows()).mark_area(color=OKABE_ITO[0], opacity=0.25, line={"color": OKABE_ITO[0]}).encode(
        x=_x_time(grain, lang),
        y=alt.Y("open_at_end:Q", title=t("chart.axis.open_at_end", lang), axis=alt.Axis(format=",d", tickMinStep=1),
                scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("label:N", title=t(f"chart.axis.period_{grain}", lang)),
                 alt.Tooltip("value_fmt:N", title=t("chart.axis.open_at_end", lang))],
    )
    return _finish(chart, lang, height=260)


def _age_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.assign(within=df["open"] - df["past_sla"])
    long = data.melt(id_vars="bucket", value_vars=["within", "past_sla"], var_name="state", value_name="requests")
    long["bucket_label"] = long["bucket"].map(lambda b: t(f"chart.age.{b}", lang))
    long["state_label"] = long["state"].map(lambda s: t(f"chart.age_state.{s}", lang))
    long["value_fmt"] = long["requests"].map(lambda v: fmt.number(v, lang))
    return long, (lang, tuple(t(f"chart.age.{b}", lang) for b in df["bucket"]))


def _age_describe(frame: pd.DataFrame, lang: str, order: tuple[str, ...]) -> str:
    per_bucket = frame.groupby("bucket_label", sort=False)["requests"].sum()
    if frame.empty or not per_bucket.sum():
        return _empty("chart.axis.open_requests", lang)
    return t("describe.age", lang, open=fmt.number(per_bucket.sum(), lang),
             past=fmt.number(frame.loc[frame["state"] == "past_sla", "requests"].sum(), lang),
             bucket=per_bucket.idxmax(), n=fmt.number(per_bucket.max(), lang))


@builder(_age_rows, _age_describe)
def age_chart(lang: str, order: tuple[str, ...]) -> alt.Chart:
    """Open requests by age bucket, split into still within SLA and already past it."""
    states = [t("chart.age_state.within", lang), t("chart.age_state.past_sla", lang)]
    chart = alt.Chart(_rows()).mark_bar().encode(
        y=alt.Y("bucket_label:N", sort=list(order), title=None),
        x=alt.X("requests:Q", stack="zero", title=t("chart.axis.open_requests", lang),
                axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("state_label:N", title=None, scale=alt.Scale(domain=states, range=list(AGE_COLOURS.values()))),
        order=alt.Order("state:N", sort="descending"),
        tooltip=[alt.Tooltip("bucket_label:N", title=t("chart.axis.age", lang)),
                 alt.Tooltip("state_label:N", title=t("chart.measure", lang)),
                 alt.Tooltip("value_fmt:N", title=t("chart.axis.open_requests", lang))],
    )
    return _finish(chart, lang, height=_rows_height(len(order), extra=120, per_row=36))


def _boxplot_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.copy()
    for col in ("p10", "p25", "median", "p75", "p90"):
        data[f"{col}_fmt"] = data[col].map(lambda v: fmt.hours(v, lang))
    data["sla_fmt"] = [fmt.standard(v, u, lang) for v, u in zip(data["sla_value"], data["sla_unit"], strict=True)]
    # a standard in hours is a point on the hours axis; one in days is a deadline that depends on the day submitted
    data["sla_hours"] = data["sla_value"].where(data["sla_unit"] == "hours")
    data["n_fmt"] = data["completed"].map(lambda v: fmt.number(v, lang))
    return data, (lang, len(data))


def _boxplot_describe(frame: pd.DataFrame, lang: str, rows: int) -> str:
    timed = frame.dropna(subset=["median"])
    if timed.empty:
        return _empty("chart.axis.hours", lang)
    fast, slow = timed.loc[timed["median"].idxmin()], timed.loc[timed["median"].idxmax()]
    return t("describe.boxplot", lang, n=fmt.number(len(timed), lang), fast=fast["service"],
             fast_hours=fast["median_fmt"], slow=slow["service"], slow_hours=slow["median_fmt"])


@builder(_boxplot_rows, _boxplot_describe)
def quantile_boxplot(lang: str, rows: int) -> alt.Chart:
    """Boxplot per service from precomputed quantiles: whiskers p10–p90, box p25–p75, median tick, and a diamond at
    the standard when it is stated in hours (the standard, in its unit, is in the tooltip)."""
    axis_x = alt.X("p10:Q", scale=alt.Scale(type="log"), title=t("chart.axis.hours_log", lang),
                   axis=alt.Axis(format=",~r"))
    y = alt.Y("service:N", sort=alt.EncodingSortField(field="median", op="min"), title=None,
              axis=alt.Axis(labelLimit=_label_limit(260), labelOverlap=False))  # fastest service on top
    tooltip = [alt.Tooltip("service:N", title=t("chart.service", lang)),
               alt.Tooltip("n_fmt:N", title=t("chart.axis.completed", lang)),
               alt.Tooltip("p10_fmt:N", title="p10"), alt.Tooltip("p25_fmt:N", title="p25"),
               alt.Tooltip("median_fmt:N", title=t("chart.median", lang)), alt.Tooltip("p75_fmt:N", title="p75"),
               alt.Tooltip("p90_fmt:N", title="p90"), alt.Tooltip("sla_fmt:N", title=t("chart.sla", lang))]
    base = alt.Chart().encode(y=y, tooltip=tooltip)  # the data sits once on the layer, not on every mark
    whisker = base.mark_rule(color=MUTED).encode(x=axis_x, x2=alt.X2("p90:Q"))
    # the light box keeps a dark outline: its edges (the quartiles) stay 3:1 against the white background
    box = base.mark_bar(size=14, color=OKABE_ITO[4], stroke=OKABE_ITO[0], strokeWidth=1).encode(
        x=alt.X("p25:Q"), x2=alt.X2("p75:Q"))
    median = base.mark_tick(color=TEXT, thickness=2.5, size=14).encode(x=alt.X("median:Q"))
    sla = base.mark_point(shape="diamond", filled=True, size=70, color="#D55E00").encode(x=alt.X("sla_hours:Q"))
    return _finish(alt.layer(whisker, box, median, sla, data=_rows()), lang,
                   height=_rows_height(rows, extra=60))


def _time_trend_rows(df: pd.DataFrame, grain: str, lang: str) -> tuple[pd.DataFrame, tuple]:
    long = df.melt(id_vars="period", value_vars=["median_hours", "p90_hours"], var_name="measure", value_name="hours")
    long["series"] = long["measure"].map(lambda m: t(f"chart.{m}", lang))
    long["label"] = _period_label(long, grain, lang)
    long["value_fmt"] = long["hours"].map(lambda v: fmt.hours(v, lang))
    return long, (grain, lang)


def _time_trend_describe(frame: pd.DataFrame, grain: str, lang: str) -> str:
    median = frame[frame["measure"] == "median_hours"].dropna(subset=["hours"])
    if median.empty:
        return _empty("chart.axis.hours", lang)
    last, top = median.iloc[-1], median.loc[median["hours"].idxmax()]
    p90 = frame[(frame["measure"] == "p90_hours") & (frame["period"] == last["period"])]
    return t("describe.time_trend", lang, grain=t(f"describe.grain.{grain}", lang), last_label=last["label"],
             median=last["value_fmt"], p90=p90["value_fmt"].iloc[0] if len(p90) else "–", top=top["value_fmt"],
             top_label=top["label"])


@builder(_time_trend_rows, _time_trend_describe)
def time_trend_chart(grain: str, lang: str) -> alt.Chart:
    """Median and p90 processing hours per period."""
    names = [t("chart.median_hours", lang), t("chart.p90_hours", lang)]
    chart = alt.Chart(_rows()).mark_line(point=True, strokeWidth=2.5).encode(
        x=_x_time(grain, lang),
        y=alt.Y("hours:Q", title=t("chart.axis.hours", lang), axis=alt.Axis(format=",d")),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=[OKABE_ITO[0], OKABE_ITO[1]])),
        strokeDash=alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=names, range=[[1, 0], [6, 3]])),
        tooltip=[alt.Tooltip("label:N", title=t(f"chart.axis.period_{grain}", lang)),
                 alt.Tooltip("series:N", title=t("chart.measure", lang)),
                 alt.Tooltip("value_fmt:N", title=t("chart.axis.hours", lang))],
    )
    return _finish(chart, lang, height=260)


def _on_time_rows(df: pd.DataFrame, target: float, lang: str) -> tuple[pd.DataFrame, tuple]:
    below = df["on_time_rate"] < target
    data = df.assign(
        rate_fmt=df["on_time_rate"].map(lambda v: fmt.percent(v, lang)),
        sla_fmt=[fmt.standard(v, u, lang) for v, u in zip(df["sla_value"], df["sla_unit"], strict=True)],
        n_fmt=df["completed"].map(lambda v: fmt.number(v, lang)),
        below=below.map({True: _target_label("below_target", lang), False: _target_label("at_target", lang)}),
        # written beside each bar: the rate and the symbol of its state, so no bar says it by colour alone
        mark=[f"{r} {INDEX_BANDS['red' if b else 'green']}" for r, b in
              zip(df["on_time_rate"].map(lambda v: fmt.percent(v, lang)), below, strict=True)],
    )
    data[ROW] = _row_key(data["service"], data["mark"])
    return data, (target, lang, len(data))


def _target_label(state: str, lang: str) -> str:
    """'✓ Mencapai target' / '✕ Di bawah target': the legend's words, with the symbol written after each bar."""
    return f"{INDEX_BANDS['green' if state == 'at_target' else 'red']} {t(f'chart.{state}', lang)}"


def _on_time_describe(frame: pd.DataFrame, target: float, lang: str, rows: int) -> str:
    rated = frame.dropna(subset=["on_time_rate"])
    if rated.empty:
        return _empty("chart.axis.on_time_rate", lang)
    low, high = rated.loc[rated["on_time_rate"].idxmin()], rated.loc[rated["on_time_rate"].idxmax()]
    return t("describe.on_time", lang, target=fmt.percent(target, lang, 0),
             below=fmt.number(int((rated["on_time_rate"] < target).sum()), lang), n=fmt.number(len(rated), lang),
             low=low["service"], low_rate=low["rate_fmt"], high=high["service"], high_rate=high["rate_fmt"])


@builder(_on_time_rows, _on_time_describe)
def on_time_chart(target: float, lang: str, rows: int) -> alt.Chart:
    """On-time rate per service (share completed within its standard's deadline) against the city's target rate; each
    bar's rate and state (✓ / ✕) written on its row, on the right."""
    states = [_target_label(s, lang) for s in TARGET_COLOURS]
    sort = alt.EncodingSortField(field="on_time_rate", op="max", order="ascending")
    bars = alt.Chart(_rows()).mark_bar().encode(
        y=_rows_y(sort, 260),
        x=alt.X("on_time_rate:Q", title=t("chart.axis.on_time_rate", lang),
                axis=alt.Axis(format=".0%", values=[0, 0.2, 0.4, 0.6, 0.8, 1]),
                scale=alt.Scale(domain=[0, 1], nice=False)),
        color=alt.Color("below:N", title=None, scale=alt.Scale(domain=states, range=list(TARGET_COLOURS.values())),
                        legend=alt.Legend(direction="vertical")),
        tooltip=[alt.Tooltip("service:N", title=t("chart.service", lang)),
                 alt.Tooltip("rate_fmt:N", title=t("chart.axis.on_time_rate", lang)),
                 alt.Tooltip("below:N", title=t("chart.axis.status", lang)),
                 alt.Tooltip("sla_fmt:N", title=t("chart.sla", lang)),
                 alt.Tooltip("n_fmt:N", title=t("chart.axis.completed", lang))],
    )
    rule = alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(color=TEXT, strokeDash=[4, 3], size=2).encode(
        x=alt.X("target:Q"))
    chart = alt.layer(bars, _status_axis(sort), rule).resolve_axis(y="independent")
    return _finish(chart, lang, height=_rows_height(rows, extra=90))


def _heatmap_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.assign(
        rate_fmt=df["on_time_rate"].map(lambda v: fmt.percent(v, lang)),
        median_fmt=df["median_hours"].map(lambda v: fmt.hours(v, lang)),
        n_fmt=df["completed"].map(lambda v: fmt.number(v, lang)),
    )
    return data, (lang, df["service"].nunique())


def _heatmap_describe(frame: pd.DataFrame, lang: str, services: int) -> str:
    rated = frame.dropna(subset=["on_time_rate"])
    if rated.empty:
        return _empty("chart.axis.on_time_rate", lang)
    low, high = rated.loc[rated["on_time_rate"].idxmin()], rated.loc[rated["on_time_rate"].idxmax()]
    return t("describe.heatmap", lang, cells=fmt.number(len(rated), lang), low_service=low["service"],
             low_kecamatan=low["kecamatan"], low_rate=low["rate_fmt"], high_service=high["service"],
             high_kecamatan=high["kecamatan"], high_rate=high["rate_fmt"])


@builder(_heatmap_rows, _heatmap_describe)
def heatmap_chart(lang: str, services: int) -> alt.Chart:
    """Service x kecamatan: on-time rate (viridis), with median hours and completions in the tooltip."""
    chart = alt.Chart(_rows()).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("kecamatan:N", title=t("chart.kecamatan", lang),
                axis=alt.Axis(labelAngle=-60, labelLimit=160, labelOverlap=False)),
        y=alt.Y("service:N", title=None, axis=alt.Axis(labelLimit=_label_limit(260), labelOverlap=False)),
        color=alt.Color("on_time_rate:Q", title=t("chart.axis.on_time_rate", lang),
                        scale=alt.Scale(scheme="viridis", domain=[0.5, 1], clamp=True),
                        legend=alt.Legend(format=".0%", orient="right", gradientLength=200)),
        tooltip=[alt.Tooltip("service:N", title=t("chart.service", lang)),
                 alt.Tooltip("kecamatan:N", title=t("chart.kecamatan", lang)),
                 alt.Tooltip("rate_fmt:N", title=t("chart.axis.on_time_rate", lang)),
                 alt.Tooltip("median_fmt:N", title=t("chart.median_hours", lang)),
                 alt.Tooltip("n_fmt:N", title=t("chart.axis.completed", lang))],
    )
    return _finish(chart, lang, height=_rows_height(services, extra=130))


def _index_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.assign(
        band=df["index"].map(lambda v: index_status(v) or "none"),
        status=df["index"].map(lambda v: fmt.status_text(v, lang)),
        index_fmt=df["index"].map(lambda v: fmt.number(v, lang, 2)),
    )
    # written beside each bar: the index and its band in a symbol and a word ("1,08 ✓ sesuai target"), so no bar says
    # its status by colour alone; a kecamatan with nothing to score gets the reason alone
    short = {b: f"{symbol} {t(f'chart.status_short.{b}', lang)}" for b, symbol in INDEX_BANDS.items()}
    data["mark"] = [status if band == "none" else f"{value} {short[band]}"
                    for value, status, band in zip(data["index_fmt"], data["status"], data["band"], strict=True)]
    data[ROW] = _row_key(data["kecamatan"], data["mark"])
    return data, (lang, len(data))


def _index_describe(frame: pd.DataFrame, lang: str, rows: int) -> str:
    scored = frame.dropna(subset=["index"])
    if scored.empty:
        return _empty("chart.axis.index", lang)
    high, low = scored.loc[scored["index"].idxmax()], scored.loc[scored["index"].idxmin()]
    bands = [t("describe.band_count", lang, n=fmt.number(int((frame["band"] == b).sum()), lang),
               status=_band_label(b, lang)) for b in INDEX_BANDS]
    if (frame["band"] == "none").any():
        bands.append(t("describe.band_count", lang, n=fmt.number(int((frame["band"] == "none").sum()), lang),
                       status=t("chart.status.none", lang).lower()))
    return t("describe.index", lang, high=high["kecamatan"], high_value=high["index_fmt"], low=low["kecamatan"],
             low_value=low["index_fmt"], bands=", ".join(bands))


@builder(_index_rows, _index_describe)
def index_chart(lang: str, rows: int) -> alt.Chart:
    """Service index per kecamatan, coloured by band (kpi.theme.STATUS_COLOURS), each row's index and band written on
    the right in a symbol and a word, with the 0.9 and 1.0 thresholds drawn."""
    states = [_band_label(b, lang) for b in INDEX_BANDS]
    # both axes sort by the index: a kecamatan with nothing to score comes last, its reason written on its row
    sort = alt.EncodingSortField(field="index", op="max", order="descending")
    bars = alt.Chart(_rows()).mark_bar().encode(
        y=_rows_y(sort, 200),
        x=alt.X("index:Q", title=t("chart.axis.index", lang), scale=alt.Scale(domain=[0, SCORE_CAP], nice=False),
                axis=alt.Axis(format=".2f", values=[0, 0.25, 0.5, 0.75, INDEX_AMBER, INDEX_GREEN, SCORE_CAP])),
        color=alt.Color("status:N", title=t("chart.axis.status", lang),
                        scale=alt.Scale(domain=states, range=[STATUS_COLOURS[b] for b in INDEX_BANDS]),
                        legend=alt.Legend(direction="vertical")),  # one under the other: fits a narrow screen
        tooltip=[alt.Tooltip("kecamatan:N", title=t("chart.kecamatan", lang)),
                 alt.Tooltip("index_fmt:N", title=t("chart.axis.index", lang)),
                 alt.Tooltip("status:N", title=t("chart.axis.status", lang))],
    )
    rules = alt.Chart(pd.DataFrame({"x": [INDEX_AMBER, INDEX_GREEN]})).mark_rule(
        color=TEXT, strokeDash=[4, 3]).encode(x=alt.X("x:Q"))
    # axis, its title and the legend below take about 150 px of the height Streamlit gives the whole chart
    chart = alt.layer(bars, _status_axis(sort), rules).resolve_axis(y="independent")
    return _finish(chart, lang, height=_rows_height(rows, extra=150, per_row=26))


def _tourism_value_rows(df: pd.DataFrame, unit: str, lang: str) -> tuple[pd.DataFrame, tuple]:
    long = df.melt(id_vars="period", value_vars=["value", "value_base"], var_name="measure", value_name="amount")
    long["series"] = long["measure"].map(lambda m: t(f"chart.tourism.{m}", lang))
    long["label"] = _period_label(long, "month", lang)
    long["value_fmt"] = long["amount"].map(lambda v: fmt.number(v, lang, fmt.unit_digits(unit)))
    return long.dropna(subset=["amount"]), (unit, lang)


def _tourism_value_describe(frame: pd.DataFrame, unit: str, lang: str) -> str:
    values = frame[frame["measure"] == "value"]
    if values.empty:
        return _empty("chart.tourism.value", lang)
    last, top = values.iloc[-1], values.loc[values["amount"].idxmax()]
    base = frame[(frame["measure"] == "value_base") & (frame["period"] == last["period"])]
    return t("describe.tourism_value", lang, unit=unit_label(unit, lang), last_label=last["label"],
             value=last["value_fmt"], base=base["value_fmt"].iloc[0] if len(base) else "–", top=top["value_fmt"],
             top_label=top["label"])


@builder(_tourism_value_rows, _tourism_value_describe)
def tourism_value_chart(unit: str, lang: str) -> alt.Chart:
    """Monthly values of one indicator, with the same month of 2019 as a dashed reference line."""
    names = [t("chart.tourism.value", lang), t("chart.tourism.value_base", lang)]
    unit_title = unit_label(unit, lang)
    chart = alt.Chart(_rows()).mark_line(point=True, strokeWidth=2.5).encode(
        x=_x_time("month", lang),
        y=alt.Y("amount:Q", title=unit_title, axis=alt.Axis(format=",~f")),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=[OKABE_ITO[0], MUTED])),
        strokeDash=alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=names, range=[[1, 0], [5, 4]])),
        tooltip=[alt.Tooltip("label:N", title=t("chart.axis.period_month", lang)),
                 alt.Tooltip("series:N", title=t("chart.measure", lang)),
                 alt.Tooltip("value_fmt:N", title=unit_title)],
    )
    return _finish(chart, lang, height=280)


def _recovery_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.dropna(subset=["recovery"]).assign(
        label=lambda d: _period_label(d, "month", lang),
        value_fmt=lambda d: d["recovery"].map(lambda v: fmt.number(v, lang, 1)),
    )
    return data, (lang,)


def _recovery_describe(frame: pd.DataFrame, lang: str) -> str:
    if frame.empty:
        return _empty("chart.axis.recovery", lang)
    last, top, low = frame.iloc[-1], frame.loc[frame["recovery"].idxmax()], frame.loc[frame["recovery"].idxmin()]
    return t("describe.recovery", lang, last_label=last["label"], last=last["value_fmt"], top=top["value_fmt"],
             top_label=top["label"], low=low["value_fmt"], low_label=low["label"])


@builder(_recovery_rows, _recovery_describe)
def recovery_chart(lang: str) -> alt.Chart:
    """Recovery index (value ÷ same month of 2019 × 100) with the 100 baseline."""
    green = OKABE_ITO[2]  # the points too: a theme's default point colour would otherwise show through
    line = alt.Chart(_rows()).mark_line(point=alt.OverlayMarkDef(color=green), strokeWidth=2.5, color=green).encode(
        x=_x_time("month", lang),
        y=alt.Y("recovery:Q", title=t("chart.axis.recovery", lang), axis=alt.Axis(format=",d")),
        tooltip=[alt.Tooltip("label:N", title=t("chart.axis.period_month", lang)),
                 alt.Tooltip("value_fmt:N", title=t("chart.axis.recovery", lang))],
    )
    base = alt.Chart(pd.DataFrame({"y": [100]})).mark_rule(color=TEXT, strokeDash=[4, 3], size=2).encode(y=alt.Y("y:Q"))
    label = alt.Chart(pd.DataFrame({"y": [100], "text": [t("chart.baseline_year", lang)]})).mark_text(
        align="left", dx=4, dy=-8, color=TEXT, fontSize=12).encode(
        y=alt.Y("y:Q"), x=alt.XValue(0), text=alt.Text("text:N"))
    return _finish(alt.layer(base, line, label), lang, height=280)


# --- smart city (kpi/smartcity.py) --------------------------------------------------------------------------------
# The master plan's statuses in kpi.theme.PROGRAMME_COLOURS, each with its symbol and word (kpi.fmt).
PROGRAMME_SHAPES = {"behind": "triangle-down", "on_track": "circle", "done": "square"}


def _status_scale(lang: str) -> alt.Scale:
    return alt.Scale(domain=[_programme_label(s, lang) for s in STATUSES],
                     range=[PROGRAMME_COLOURS[s] for s in STATUSES])


def _programme_counts(frame: pd.DataFrame, lang: str) -> str:
    return _counts(frame["status_label"], [_programme_label(s, lang) for s in reversed(STATUSES)], lang)


def _quick_win_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.assign(
        programme=df["programme_id"] + " " + df["name"],
        pillar_label=df["pillar"].map(lambda p: t(f"smartcity.pillar.{p}", lang)),
        status_label=df["status"].map(lambda s: _programme_label(s, lang)),
        progress_fmt=df["progress"].map(lambda v: fmt.percent(v, lang, 0)),
        expected_fmt=df["expected"].map(lambda v: fmt.percent(v, lang, 0)),
        day_fmt=df["period"].map(lambda d: fmt.day(pd.Timestamp(d).date(), lang)),
        span_fmt=[f"{fmt.day(pd.Timestamp(a).date(), lang)} → {fmt.day(pd.Timestamp(b).date(), lang)}"
                  for a, b in zip(df["baseline_date"], df["target_date"], strict=True)],
        first=~df.duplicated("programme_id"),
        last=~df.duplicated("programme_id", keep="last"),
    )
    for col in ("baseline_date", "target_date", "period"):
        data[col] = pd.to_datetime(data[col])
    order = tuple(dict.fromkeys(data["programme"]))
    return data, (lang, order)


def _quick_win_describe(frame: pd.DataFrame, lang: str, order: tuple[str, ...]) -> str:
    latest = frame[frame["last"]]
    if latest.empty:
        return _empty("smartcity.quick_wins_title", lang)
    return t("describe.quick_wins", lang, n=fmt.number(len(latest), lang), statuses=_programme_counts(latest, lang))


@builder(_quick_win_rows, _quick_win_describe)
def quick_win_chart(lang: str, order: tuple[str, ...]) -> alt.Chart:
    """Each quick win on one row: a bar from its baseline date to its target date, a dot per report whose colour and
    shape give the report's status (the legend names it with its symbol and word)."""
    y = alt.Y("programme:N", sort=list(order), title=None,
              axis=alt.Axis(labelLimit=_label_limit(320), labelOverlap=False))
    span = alt.Chart(_rows()).mark_bar(color="#D9E2EC", height=14).encode(
        y=y, x=alt.X("baseline_date:T", title=t("chart.smartcity.date", lang), scale=alt.Scale(padding=14),
                     axis=alt.Axis(format="%b %Y", labelOverlap=True)),
        x2=alt.X2("target_date:T"),
        tooltip=[alt.Tooltip("programme:N", title=t("chart.smartcity.programme", lang)),
                 alt.Tooltip("span_fmt:N", title=t("chart.smartcity.span", lang))],
    ).transform_filter(alt.datum.first)
    labels = [_programme_label(s, lang) for s in STATUSES]
    dots = alt.Chart(_rows()).mark_point(filled=True, size=110, opacity=1).encode(
        y=y, x=alt.X("period:T"),
        color=alt.Color("status_label:N", title=t("chart.smartcity.status", lang), scale=_status_scale(lang),
                        legend=alt.Legend(orient="top")),
        shape=alt.Shape("status_label:N", title=t("chart.smartcity.status", lang),
                        scale=alt.Scale(domain=labels, range=[PROGRAMME_SHAPES[s] for s in STATUSES]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("programme:N", title=t("chart.smartcity.programme", lang)),
                 alt.Tooltip("day_fmt:N", title=t("chart.smartcity.report", lang)),
                 alt.Tooltip("progress_fmt:N", title=t("chart.smartcity.progress", lang)),
                 alt.Tooltip("expected_fmt:N", title=t("chart.smartcity.expected", lang)),
                 alt.Tooltip("status_label:N", title=t("chart.smartcity.status", lang))],
    )
    # axis, its title and the legend take about 150 px of the height Streamlit gives the whole chart
    return _finish(alt.layer(span, dots), lang, height=_rows_height(len(order), extra=170, per_row=30))


def _programme_progress_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.assign(
        programme=df["programme_id"] + " " + df["name"],
        status_label=df["status"].map(lambda s: _programme_label(s, lang)),
        progress_fmt=df["progress"].map(lambda v: fmt.percent(v, lang, 0)),
        expected_fmt=df["expected"].map(lambda v: fmt.percent(v, lang, 0)),
    )
    # written on each row, on the right: its progress and status symbol, so no bar says its status by colour alone
    data["mark"] = [f"{p} {STATUS_SYMBOLS.get(s, '')}".strip()
                    for p, s in zip(data["progress_fmt"], df["status"], strict=True)]
    data[ROW] = _row_key(data["programme"], data["mark"])
    order = tuple(data[ROW])
    return data, (lang, order)


def _programme_progress_describe(frame: pd.DataFrame, lang: str, order: tuple[str, ...]) -> str:
    if frame.empty:
        return _empty("chart.smartcity.progress", lang)
    gap = frame["progress"] - frame["expected"]
    low = frame.loc[gap.idxmin()]
    return t("describe.programmes", lang, n=fmt.number(len(frame), lang), statuses=_programme_counts(frame, lang),
             low=low["programme"], low_progress=low["progress_fmt"], low_expected=low["expected_fmt"])


@builder(_programme_progress_rows, _programme_progress_describe)
def programme_progress_chart(lang: str, order: tuple[str, ...]) -> alt.Chart:
    """Progress of each programme at its latest report (bar, coloured by status, its progress and status symbol
    written on its row, on the right) and the progress expected by then (tick); 100 % = the target."""
    y = _rows_y(list(order), 320)
    x_scale = alt.Scale(domain=[0, SCORE_CAP], nice=False)
    tips = [alt.Tooltip("programme:N", title=t("chart.smartcity.programme", lang)),
            alt.Tooltip("progress_fmt:N", title=t("chart.smartcity.progress", lang)),
            alt.Tooltip("expected_fmt:N", title=t("chart.smartcity.expected", lang)),
            alt.Tooltip("status_label:N", title=t("chart.smartcity.status", lang))]
    bars = alt.Chart(_rows()).mark_bar().encode(
        y=y, x=alt.X("progress:Q", title=t("chart.smartcity.progress", lang),
                     axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1, SCORE_CAP]), scale=x_scale),
        color=alt.Color("status_label:N", title=t("chart.smartcity.status", lang), scale=_status_scale(lang),
                        legend=alt.Legend(orient="top")),
        tooltip=tips,
    )
    ticks = alt.Chart(_rows()).mark_tick(color=TEXT, thickness=3).encode(
        y=alt.Y(f"{ROW}:N", sort=list(order), axis=None), x=alt.X("expected:Q"), tooltip=tips)
    target = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=TEXT, strokeDash=[4, 3], size=1.5).encode(
        x=alt.X("x:Q"))
    return _finish(alt.layer(bars, ticks, _status_axis(list(order)), target).resolve_axis(y="independent"), lang,
                   height=_rows_height(len(order), extra=170, per_row=32))


# --- satisfaction survey (kpi/skm.py) -------------------------------------------------------------------------------
IKM_AXIS = [25, 50, skm.GRADE_BANDS[2][1], skm.GRADE_BANDS[1][1], skm.GRADE_BANDS[0][1], 100]


def _grade_scale(lang: str) -> alt.Scale:
    return alt.Scale(domain=[f"{g} · {t(f'satisfaction.grade.{g}', lang)}" for g in GRADE_COLOURS],
                     range=list(GRADE_COLOURS.values()))


def _grade_words(grade: str | None, lang: str) -> str:
    return f"{grade} · {t(f'satisfaction.grade.{grade}', lang)}" if grade else t("satisfaction.grade.none", lang)


def _band_rules() -> alt.Chart:
    """Dashed lines at the lower bounds of grades C, B and A."""
    bounds = [float(low) for _, low in skm.GRADE_BANDS]
    return alt.Chart(pd.DataFrame({"x": bounds})).mark_rule(color=MUTED, strokeDash=[4, 3]).encode(x=alt.X("x:Q"))


def _grade_bars(label: str, value: str, order: tuple[str, ...], value_title: str, lang: str,
                tooltip: list[alt.Tooltip]) -> alt.LayerChart:
    """Horizontal bars of an index on 25-100 (`value`), one per `label` in `order`, coloured by grade, each with its
    value and grade letter written beside it (`text`), and the grade bounds drawn."""
    y = alt.Y(f"{label}:N", sort=list(order), title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False))
    x = alt.X(f"{value}:Q", title=value_title, scale=alt.Scale(domain=[25, 108], nice=False, zero=False),
              axis=alt.Axis(values=[float(v) for v in IKM_AXIS], format=".2~f"))
    bars = alt.Chart(_rows()).mark_bar().encode(
        y=y, x=x, x2=alt.X2Datum(25),  # bars start at the index's floor, 25, not at a zero off the scale
        color=alt.Color("grade_label:N", title=t("satisfaction.chart.grade", lang), scale=_grade_scale(lang),
                                  legend=alt.Legend(orient="top")),
        tooltip=tooltip)
    text = alt.Chart(_rows()).mark_text(align="left", dx=4, color=TEXT, fontSize=12).encode(
        y=y, x=alt.X(f"{value}:Q"), text=alt.Text("text:N"))
    return alt.layer(bars, _band_rules(), text)


def _units_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.sort_values(["ikm", "name"], ascending=[False, True]).assign(
        ikm_fmt=lambda d: d["ikm_2dp"].map(lambda v: fmt.number(v, lang, 2)),
        grade_label=lambda d: d["mutu"].map(lambda g: _grade_words(g, lang)),
        respondents_fmt=lambda d: d["respondents"].map(lambda v: fmt.number(v, lang)),
        needed_fmt=lambda d: d["sample_needed"].map(lambda v: "–" if _missing(v) else fmt.number(v, lang)),
    )
    data["text"] = [f"{v} {g}" for v, g in zip(data["ikm_fmt"], data["mutu"], strict=True)]
    return data[["unit_code", "name", "ikm", "ikm_fmt", "mutu", "grade_label", "respondents", "respondents_fmt",
                 "needed_fmt", "text"]], (lang, tuple(data["name"]))


def _units_description(frame: pd.DataFrame, lang: str, order: tuple[str, ...]) -> str:
    if frame.empty:
        return t("satisfaction.none_in_period", lang)
    top, bottom = frame.iloc[0], frame.iloc[-1]
    return t("satisfaction.chart.units_desc", lang, n=len(frame), top=top["name"], top_value=top["ikm_fmt"],
             top_grade=top["mutu"], bottom=bottom["name"], bottom_value=bottom["ikm_fmt"],
             bottom_grade=bottom["mutu"], poor=int(frame["mutu"].isin(skm.POOR_GRADES).sum()))


@builder(_units_rows, _units_description)
def satisfaction_units_chart(lang: str, order: tuple[str, ...]) -> alt.LayerChart:
    """The IKM of each unit with respondents (kpi.skm.unit_results), highest first, coloured and lettered by grade,
    with the grade bounds drawn."""
    tips = [alt.Tooltip("name:N", title=t("satisfaction.col.unit", lang)),
            alt.Tooltip("ikm_fmt:N", title=t("satisfaction.col.ikm", lang)),
            alt.Tooltip("grade_label:N", title=t("satisfaction.col.mutu", lang)),
            alt.Tooltip("respondents_fmt:N", title=t("satisfaction.col.respondents", lang)),
            alt.Tooltip("needed_fmt:N", title=t("satisfaction.col.sample_needed", lang))]
    chart = _grade_bars("name", "ikm", order, t("satisfaction.chart.ikm", lang), lang, tips)
    return _finish(chart, lang, height=_rows_height(len(order), extra=110, per_row=24))


def element_label(unsur: str, lang: str) -> str:
    """'U3 Waktu penyelesaian': an element's code and its name (data/skm.toml, through base.skm)."""
    return f"{unsur} {skm.element_name(unsur, lang)}"


def _elements_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.sort_values("rank").assign(
        element=lambda d: d["unsur"].map(lambda u: element_label(u, lang)),
        index_fmt=lambda d: d["index"].map(lambda v: fmt.number(v, lang, 2)),
        nrr_fmt=lambda d: d["nrr"].map(lambda v: fmt.number(v, lang, 3)),
        grade_label=lambda d: d["mutu"].map(lambda g: _grade_words(g, lang)),
    )
    data["text"] = [f"{v} {g}" for v, g in zip(data["index_fmt"], data["mutu"], strict=True)]
    return data[["unsur", "element", "nrr", "nrr_fmt", "index", "index_fmt", "mutu", "grade_label", "rank",
                 "text"]], (lang, tuple(data["element"]))


def _elements_description(frame: pd.DataFrame, lang: str, order: tuple[str, ...]) -> str:
    if frame.empty:
        return t("satisfaction.none_in_period", lang)
    low, high = frame.iloc[0], frame.iloc[-1]
    return t("satisfaction.chart.elements_desc", lang, low=low["element"], low_value=low["index_fmt"],
             low_grade=low["mutu"], high=high["element"], high_value=high["index_fmt"], high_grade=high["mutu"])


@builder(_elements_rows, _elements_description)
def satisfaction_elements_chart(lang: str, order: tuple[str, ...]) -> alt.LayerChart:
    """The nine elements' index (25 x NRR, kpi.skm.element_table), lowest on top, coloured and lettered by grade."""
    tips = [alt.Tooltip("element:N", title=t("satisfaction.col.unsur", lang)),
            alt.Tooltip("nrr_fmt:N", title=t("satisfaction.col.nrr", lang)),
            alt.Tooltip("index_fmt:N", title=t("satisfaction.col.index", lang)),
            alt.Tooltip("grade_label:N", title=t("satisfaction.col.mutu", lang))]
    chart = _grade_bars("element", "index", order, t("satisfaction.chart.index", lang), lang, tips)
    return _finish(chart, lang, height=_rows_height(len(order), extra=110, per_row=28))


def _trend_rows(df: pd.DataFrame, unit_name: str | None, lang: str) -> tuple[pd.DataFrame, tuple]:
    city = t("satisfaction.chart.city", lang)
    data = df.assign(
        series=df["scope"].map(lambda s: city if s == "city" else (unit_name or s)),
        semester_label=df["semester"].map(lambda s: skm.period_text(str(s), lang)),
        ikm_fmt=df["ikm_2dp"].map(lambda v: fmt.number(v, lang, 2)),
        grade_label=df["mutu"].map(lambda g: _grade_words(g, lang)),
        respondents_fmt=df["respondents"].map(lambda v: fmt.number(v, lang)),
    )
    data["text"] = [f"{v} {g}" for v, g in zip(data["ikm_fmt"], data["mutu"], strict=True)]
    series = tuple(dict.fromkeys(data["series"]))
    return data[["semester", "semester_label", "scope", "series", "ikm", "ikm_fmt", "mutu", "grade_label",
                 "respondents", "respondents_fmt", "text"]], (lang, series, tuple(dict.fromkeys(
                     data["semester_label"])))


def _trend_description(frame: pd.DataFrame, lang: str, series: tuple[str, ...], semesters: tuple[str, ...]) -> str:
    if frame.empty:
        return t("satisfaction.none_in_period", lang)
    parts = []
    for name in series:
        rows = frame[frame["series"] == name]
        parts.append(t("satisfaction.chart.trend_series", lang, name=name,
                       start=f"{rows.iloc[0]['ikm_fmt']} ({rows.iloc[0]['mutu']})",
                       end=f"{rows.iloc[-1]['ikm_fmt']} ({rows.iloc[-1]['mutu']})"))
    return t("satisfaction.chart.trend_desc", lang, first=semesters[0], last=semesters[-1], series="; ".join(parts))


@builder(_trend_rows, _trend_description)
def satisfaction_trend_chart(lang: str, series: tuple[str, ...], semesters: tuple[str, ...]) -> alt.LayerChart:
    """The IKM by semester (kpi.skm.semester_trend): the city's, and the chosen unit's beside it, each point with its
    value and grade letter, over the B and A bounds."""
    # 'Semester 1' over '2026': eight half-years fit a printed page's width too
    x = alt.X("semester_label:N", sort=list(semesters), title=t("satisfaction.chart.semester", lang),
              axis=alt.Axis(labelAngle=0, labelExpr="[slice(datum.label, 0, -5), slice(datum.label, -4)]"))
    y = alt.Y("ikm:Q", title=t("satisfaction.chart.ikm", lang), scale=alt.Scale(zero=False, padding=16),
              axis=alt.Axis(format=".0f"))
    colour = alt.Color("series:N", title=t("satisfaction.chart.series", lang),
                       scale=alt.Scale(domain=list(series), range=[OKABE_ITO[0], OKABE_ITO[5]][: len(series)]),
                       legend=alt.Legend(orient="top"))
    dash = alt.StrokeDash("series:N", title=t("satisfaction.chart.series", lang),
                          scale=alt.Scale(domain=list(series), range=[[1, 0], [6, 3]][: len(series)]))
    tips = [alt.Tooltip("semester_label:N", title=t("satisfaction.chart.semester", lang)),
            alt.Tooltip("series:N", title=t("satisfaction.chart.series", lang)),
            alt.Tooltip("ikm_fmt:N", title=t("satisfaction.col.ikm", lang)),
            alt.Tooltip("grade_label:N", title=t("satisfaction.col.mutu", lang)),
            alt.Tooltip("respondents_fmt:N", title=t("satisfaction.col.respondents", lang))]
    line = alt.Chart(_rows()).mark_line(point=alt.OverlayMarkDef(size=60, filled=True), strokeWidth=2.5).encode(
        x=x, y=y, color=colour, strokeDash=dash, tooltip=tips)
    text = alt.Chart(_rows()).mark_text(dy=-12, fontSize=11, color=TEXT).encode(x=x, y=y, text=alt.Text("text:N"))
    lows = pd.DataFrame({"y": [float(low) for _, low in skm.GRADE_BANDS[:2]],
                         "text": [f"{g} ≥ {fmt.number(float(low), lang, 2)}" for g, low in skm.GRADE_BANDS[:2]]})
    bounds = alt.Chart(lows).mark_rule(color=MUTED, strokeDash=[4, 3]).encode(y=alt.Y("y:Q"))
    # the bounds' names sit right of the plot, where no point's label can be
    bound_text = alt.Chart(lows).mark_text(align="left", dx=6, baseline="middle", color=MUTED, fontSize=11).encode(
        y=alt.Y("y:Q"), x=alt.XValue(alt.expr("width")), text=alt.Text("text:N"))
    return _finish(alt.layer(bounds, bound_text, line, text), lang, height=300)


def profile_category(field: str, category: str, lang: str) -> str:
    """A profile category as shown: 'Laki-laki' / 'Male' for L, 'tidak diisi' / 'not stated' for a blank."""
    if not category:
        return t("satisfaction.profile.blank", lang)
    if field == "jenis_kelamin" and category.upper() in ("L", "P"):
        return t(f"satisfaction.profile.{category.upper()}", lang)
    return category


def _profile_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.assign(
        field_label=df["field"].map(lambda f: t(f"satisfaction.profile.{f}", lang)),
        category_label=[profile_category(f, c, lang) for f, c in zip(df["field"], df["category"], strict=True)],
        share_fmt=df["share"].map(lambda v: fmt.percent(v, lang, 0)),
        respondents_fmt=df["respondents"].map(lambda v: fmt.number(v, lang)),
    )
    data["label"] = [f"{f}: {c}" for f, c in zip(data["field_label"], data["category_label"], strict=True)]
    fields = tuple(dict.fromkeys(data["field_label"]))
    return data[["field", "field_label", "category", "category_label", "label", "respondents", "respondents_fmt",
                 "share", "share_fmt"]], (lang, tuple(data["label"]), fields)


def _profile_description(frame: pd.DataFrame, lang: str, order: tuple[str, ...], fields: tuple[str, ...]) -> str:
    if frame.empty:
        return t("satisfaction.none_in_period", lang)
    parts = []
    for name in fields:
        rows = frame[(frame["field_label"] == name) & (frame["category"] != "")]
        if len(rows):
            top = rows.sort_values("respondents", ascending=False).iloc[0]
            parts.append(t("satisfaction.chart.profile_part", lang, field=name, category=top["category_label"],
                           share=top["share_fmt"]))
    total = int(frame[frame["field"] == frame["field"].iloc[0]]["respondents"].sum())
    return t("satisfaction.chart.profile_desc", lang, n=fmt.number(total, lang), parts="; ".join(parts))


@builder(_profile_rows, _profile_description)
def satisfaction_profile_chart(lang: str, order: tuple[str, ...], fields: tuple[str, ...]) -> alt.LayerChart:
    """The respondent profile (kpi.skm.profile): the share of respondents in each category of age, sex, education and
    occupation, one colour per question, the share written beside each bar."""
    y = alt.Y("label:N", sort=list(order), title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False))
    x = alt.X("share:Q", title=t("satisfaction.chart.share", lang), axis=alt.Axis(format=".0%"))
    bars = alt.Chart(_rows()).mark_bar().encode(
        y=y, x=x, color=alt.Color("field_label:N", title=None, sort=list(fields),
                                  scale=alt.Scale(domain=list(fields), range=OKABE_ITO[: len(fields)]),
                                  legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("field_label:N", title=t("satisfaction.chart.question", lang)),
                 alt.Tooltip("category_label:N", title=t("satisfaction.chart.category", lang)),
                 alt.Tooltip("respondents_fmt:N", title=t("satisfaction.col.respondents", lang)),
                 alt.Tooltip("share_fmt:N", title=t("satisfaction.chart.share", lang))])
    text = alt.Chart(_rows()).mark_text(align="left", dx=4, color=TEXT, fontSize=11).encode(
        y=y, x=alt.X("share:Q"), text=alt.Text("share_fmt:N"))
    return _finish(alt.layer(bars, text), lang, height=_rows_height(len(order), extra=90, per_row=20))


# --- alerts ------------------------------------------------------------------------------------------------------
ALERT_CHART_UNITS = 12  # units named in the chart's text alternative (the table below it lists every alert)


def _alert_steps_rows(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, tuple]:
    data = df.assign(step_label=df["step"].map(lambda s: t("chart.alerts.step", lang, n=s + 1)),
                     items_fmt=df["items"].map(lambda v: fmt.number(v, lang)))
    order = tuple(data.groupby("unit")["items"].sum().sort_values(ascending=False, kind="stable").index)
    steps = tuple(int(s) for s in sorted(data["step"].unique()))
    return data, (lang, order, steps)


def _alert_steps_describe(data: pd.DataFrame, lang: str, order: tuple[str, ...], steps: tuple[int, ...]) -> str:
    parts = ["{}: {}".format(unit, ", ".join(f"{r.step_label} {r.items_fmt}" for r in
                                              data[data["unit"] == unit].sort_values("step").itertuples()))
             for unit in order[:ALERT_CHART_UNITS]]
    more = len(order) - ALERT_CHART_UNITS
    return t("chart.alerts.description", lang, total=fmt.number(int(data["items"].sum()), lang),
             units=fmt.number(len(order), lang), parts="; ".join(parts)) + (
        " " + t("chart.alerts.more", lang, n=more) if more > 0 else "")


@builder(_alert_steps_rows, _alert_steps_describe)
def alert_steps_chart(lang: str, order: tuple[str, ...], steps: tuple[int, ...]) -> alt.Chart:
    """Overdue requests in each unit's alerts, stacked by step (each step its own colour, the same on every page, and
    its name in the legend and the tooltip); the text alternative lists the same figures."""
    names = [t("chart.alerts.step", lang, n=s + 1) for s in steps]
    colours = [ALERT_STEP_COLOURS[min(s, len(ALERT_STEP_COLOURS) - 1)] for s in steps]
    chart = alt.Chart(_rows()).mark_bar().encode(
        y=alt.Y("unit:N", sort=list(order), title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
        x=alt.X("items:Q", stack="zero", title=t("chart.alerts.axis", lang), axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("step_label:N", title=t("chart.alerts.legend", lang), sort=names,
                        scale=alt.Scale(domain=names, range=colours),
                        legend=alt.Legend(orient="top")),
        order=alt.Order("step:Q", sort="ascending"),
        tooltip=[alt.Tooltip("unit:N", title=t("chart.alerts.unit", lang)),
                 alt.Tooltip("step_label:N", title=t("chart.alerts.legend", lang)),
                 alt.Tooltip("items_fmt:N", title=t("chart.alerts.axis", lang))],
    )
    return _finish(chart, lang, height=_rows_height(len(order), extra=110, per_row=26))
