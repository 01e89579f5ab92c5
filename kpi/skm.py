"""Read-side layer: the community satisfaction survey (SKM, Permenpan RB 14/2017) — its index (IKM), grades, sample
sizes and follow-up, defined once here and read by the CLI (`python -m etl skm`, `skm-report`), the page
Kepuasan masyarakat, the kiosk and the weekly briefing.

Definitions (stated again in data/README.md, "KPI definitions"), for a unit and a period (local dates by
`submitted_at`, both ends inclusive), n = the unit's respondents in it (with a service filter: those naming one of the
services):
- nrr = NRR_i, the mean of the answers (1-4) to element i, i = U1..U9 in the regulation's order.
- ikm = 25 x sum_i (NRR_i x 1/9), in [25, 100]: exact 1/9 (rational arithmetic on the answers' integer sums).
- element_index = 25 x NRR_i.
- mutu = the grade, read on a value rounded half up to 2 decimals: A >= 88.31, B >= 76.61, C >= 65.00, D below
  (GRADE_BANDS; the same bands grade an element index).
- city_ikm = the unweighted mean of the IKMs of the units with at least one respondent; graded with the same bands.
  A city-wide element is the unweighted mean of those units' NRR_i (so the city IKM is 25/9 x their sum too).
- population = N, requests received in the unit's scope in the period (mart_requests_daily joined to dim_unit_scope:
  every request the unit serves, not only those it answers for); sample_needed = Krejcie & Morgan,
  3.841 N 0.25 / (0.0025 (N - 1) + 3.841 x 0.25), rounded up; None ("not judged") when N = 0.
- scope_on_time_rate = on_time / completed over the same scope and period (kpi.metrics' on_time_rate, by unit).
- An action answers the survey period it names ('YYYY-S1' Jan-Jun, 'YYYY-S2' Jul-Dec, 'YYYY-Qn', 'YYYY'); a view of
  a period shows the actions whose period overlaps it. share_done = done / actions; share_done_on_time = actions done
  on or before their due date / actions. An element graded C or D with no action for it says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from base import skm as survey_words
from base.i18n import t
from kpi.db import Reader
from kpi.filters import Filters

ELEMENTS = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9")
SCALE = 25                       # an answer's mean (1-4) times 25: the index on 25-100
WEIGHT = Fraction(1, 9)          # each element's weight, exactly (the regulation's annex prints 0.111)
# The grades (mutu pelayanan) as lower bounds on a value rounded to 2 decimals; below the last: D.
GRADE_BANDS = (("A", Decimal("88.31")), ("B", Decimal("76.61")), ("C", Decimal("65.00")))
GRADE_BELOW = "D"
GRADES = (*(g for g, _ in GRADE_BANDS), GRADE_BELOW)
POOR_GRADES = ("C", "D")         # an element graded so needs a follow-up action
LOWEST = 3                       # the lowest elements each unit follows up
# Krejcie & Morgan: chi-square for 1 degree of freedom at 95 % (3.841), P = 0.5, margin d = 0.05.
KM_CHI2, KM_P, KM_D = Fraction(3841, 1000), Fraction(1, 2), Fraction(5, 100)
PROFILE_FIELDS = ("umur", "jenis_kelamin", "pendidikan", "pekerjaan")
ACTION_STATUSES = ("planned", "in_progress", "done")
PERIOD_RE = re.compile(r"^\s*(\d{4})(?:-(S[12]|Q[1-4]))?\s*$", re.IGNORECASE)


class SkmError(ValueError):
    """A request the survey figures cannot answer (unknown unit or service, a bad period); .message(lang) says why and
    what would work."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key, self.values = key, values

    def message(self, lang: str) -> str:
        return t(f"satisfaction.error.{self.key}", lang, **self.values)

    def __str__(self) -> str:
        return self.message("en")


# --- the arithmetic -----------------------------------------------------------------------------------------------
def rounded(value: Fraction | Decimal | float | int) -> Decimal:
    """`value` rounded half up to 2 decimals, exactly (88.305 -> 88.31; a float is taken at its exact binary value,
    so 88.31 stays 88.31)."""
    exact = Fraction(value) if not isinstance(value, Fraction) else value
    return Decimal(math.floor(exact * 100 + Fraction(1, 2))).scaleb(-2)


def grade(value: Fraction | Decimal | float | int | None) -> str | None:
    """The mutu of an IKM or an element index: A, B, C or D on the value rounded to 2 decimals; None without one."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    shown = rounded(value)
    return next((g for g, low in GRADE_BANDS if shown >= low), GRADE_BELOW)


def nrr(sums: Sequence[int], n: int) -> tuple[Fraction, ...]:
    """NRR_i = (sum of the answers to element i) / n, exactly."""
    return tuple(Fraction(s, n) for s in sums)


def ikm_of(nrrs: Sequence[Fraction]) -> Fraction:
    """IKM = 25 x sum_i (NRR_i x 1/9)."""
    return SCALE * sum((x * WEIGHT for x in nrrs), Fraction(0))


def sample_needed(population: int | None) -> int | None:
    """Krejcie & Morgan's sample for a population N, rounded up; None ("not judged") without a population."""
    if not population or population <= 0:
        return None
    pq = KM_P * (1 - KM_P)
    exact = KM_CHI2 * population * pq / (KM_D ** 2 * (population - 1) + KM_CHI2 * pq)
    return math.ceil(exact)


def city_ikm(unit_ikms: Iterable[Fraction]) -> Fraction | None:
    """The unweighted mean of the units' IKMs; None without any."""
    values = list(unit_ikms)
    return sum(values, Fraction(0)) / len(values) if values else None


def number(value: Fraction | None) -> float | None:
    """An exact value as the nearest float (for frames, JSON and charts); None stays None."""
    return None if value is None else float(value)


# --- periods ------------------------------------------------------------------------------------------------------
def period_range(label: str) -> tuple[date, date]:
    """The dates of a survey period: 'YYYY-S1' (Jan-Jun), 'YYYY-S2' (Jul-Dec), 'YYYY-Qn' or 'YYYY'; SkmError
    otherwise."""
    match = PERIOD_RE.match(label or "")
    if not match:
        raise SkmError("period", period=label)
    year, part = int(match[1]), (match[2] or "").upper()
    if part.startswith("S"):
        first_month, months = (1 if part == "S1" else 7), 6
    elif part.startswith("Q"):
        first_month, months = 3 * (int(part[1]) - 1) + 1, 3
    else:
        first_month, months = 1, 12
    start = date(year, first_month, 1)
    end_month = first_month + months
    end = (date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)) - timedelta(days=1)
    return start, end


def period_name(label: str) -> str:
    """A period label written the canonical way ('2026-s1' -> '2026-S1'); SkmError for a bad one."""
    period_range(label)
    match = PERIOD_RE.match(label)
    assert match is not None
    return match[1] + (f"-{match[2].upper()}" if match[2] else "")


def semester_of(day: date) -> str:
    """The semester a date falls in: 'YYYY-S1' (January-June) or 'YYYY-S2' (July-December)."""
    return f"{day.year}-S{1 if day.month <= 6 else 2}"


def semester_before(label: str) -> str:
    """The semester before 'YYYY-S1' or 'YYYY-S2'."""
    year, part = period_name(label).split("-")
    return f"{year}-S1" if part == "S2" else f"{int(year) - 1}-S2"


def period_text(label: str, lang: str) -> str:
    """'Semester 1 2026' / 'H1 2026', 'Triwulan 2 2026' / 'Q2 2026', or the year."""
    match = PERIOD_RE.match(label)
    if not match or not match[2]:
        return label
    part = match[2].upper()
    kind = "semester" if part.startswith("S") else "quarter"
    return t(f"satisfaction.period.{kind}", lang, n=part[1], year=match[1])


def _overlaps(label: str, f: Filters) -> bool:
    try:
        start, end = period_range(label)
    except SkmError:
        return False
    return start <= f.date_to and end >= f.date_from


# --- what is loaded -------------------------------------------------------------------------------------------------
def _has_table(r: Reader, name: str) -> bool:
    row = r.one("SELECT count(*) FROM duckdb_tables() WHERE table_name = $name AND database_name = current_database()",
                {"name": name})
    return bool(row and row[0])


def has_responses(r: Reader) -> bool:
    """Whether any survey respondent is loaded (a database made before the dataset existed has none)."""
    return _has_table(r, "fct_skm_responses") and bool(r.one("SELECT EXISTS (SELECT 1 FROM fct_skm_responses)")[0])


def has_sample(r: Reader) -> bool:
    """Whether the survey rows or actions loaded include generated sample data (loads.source = 'sample')."""
    if not has_responses(r):
        return False
    return bool(r.one(
        """
        SELECT EXISTS (SELECT 1 FROM fct_skm_responses AS f JOIN loads AS l USING (load_id) WHERE l.source = 'sample')
            OR EXISTS (SELECT 1 FROM fct_skm_actions AS a JOIN loads AS l USING (load_id) WHERE l.source = 'sample')
        """)[0])


def response_bounds(r: Reader) -> tuple[date | None, date | None]:
    """The first and last local date with a respondent (None, None without any)."""
    if not has_responses(r):
        return None, None
    first, last = r.one("SELECT min(submitted_at)::DATE, max(submitted_at)::DATE FROM fct_skm_responses")
    return first, last


def unit_names(r: Reader, lang: str) -> dict[str, str]:
    """unit_code -> the unit's name in `lang`, kantor camat first (by code), then the city-wide units."""
    frame = r.df("SELECT unit_code, name_id, name_en FROM dim_unit ORDER BY kecamatan_code IS NULL, unit_code")
    column = "name_en" if lang == "en" else "name_id"
    return dict(zip(frame["unit_code"], frame[column], strict=True))


def element_name(unsur: str, lang: str) -> str:
    """An element's name in `lang` ('U3' -> 'Waktu penyelesaian'), as the national word list (data/skm.toml) states
    it."""
    return survey_words.element(unsur).name(lang)


def unit_short_names(r: Reader) -> dict[str, str]:
    """unit_code -> a short name for a tile: a kantor camat by its kecamatan's name, any other unit by its code."""
    frame = r.df("SELECT u.unit_code, coalesce(k.name, u.unit_code) AS short FROM dim_unit AS u "
                 "LEFT JOIN dim_kecamatan AS k ON u.kind = 'kecamatan' AND k.kecamatan_code = u.kecamatan_code")
    return dict(zip(frame["unit_code"], frame["short"], strict=True))


def check(r: Reader, unit: str | None = None, services: Sequence[str] = (), lang: str = "id") -> None:
    """SkmError naming the valid codes for a unit or service the pack does not know."""
    if unit is not None:
        units = unit_names(r, lang)
        if unit not in units:
            raise SkmError("unit", code=unit, valid=", ".join(units))
    if services:
        known = r.df("SELECT service_code FROM dim_service ORDER BY service_code")["service_code"].tolist()
        unknown = [s for s in services if s not in known]
        if unknown:
            raise SkmError("service", codes=", ".join(unknown), valid=", ".join(known))


# --- the figures -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Score:
    """The answers of a set of respondents: how many, and the sum of the answers to each element (exact)."""

    respondents: int
    sums: tuple[int, ...]

    @property
    def nrr(self) -> tuple[Fraction, ...]:
        return nrr(self.sums, self.respondents)

    @property
    def ikm(self) -> Fraction:
        return ikm_of(self.nrr)


_SUMS = ", ".join(f"sum(u{i})::BIGINT AS s{i}" for i in range(1, 10))
# The respondents of a period (local dates, both ends inclusive), limited to a unit and to services when given.
_RESPONDENTS = """
    submitted_at >= $date_from AND submitted_at < $date_to + INTERVAL 1 DAY
    AND (len($services) = 0 OR list_contains($services, service_code))
    AND ($unit IS NULL OR unit_code = $unit)
"""


def _params(f: Filters, unit: str | None) -> dict[str, Any]:
    return {"date_from": f.date_from, "date_to": f.date_to, "services": list(f.services), "unit": unit}


def scores(r: Reader, f: Filters, unit: str | None = None) -> dict[str, Score]:
    """unit_code -> its Score in the period (units with at least one respondent), for the filters' services."""
    if not has_responses(r):
        return {}
    frame = r.df(f"SELECT unit_code, count(*)::BIGINT AS n, {_SUMS} FROM fct_skm_responses WHERE {_RESPONDENTS} "
                 "GROUP BY unit_code", _params(f, unit))
    return {row[0]: Score(int(row[1]), tuple(int(v) for v in row[2:])) for row in frame.itertuples(index=False)}


def scope_counts(r: Reader, f: Filters, unit: str | None = None) -> pd.DataFrame:
    """Per unit: the requests of its scope (dim_unit_scope, every request it serves) in the period, for the filters'
    services: received (the population N), completed, on_time, and on_time_rate (on_time / completed, missing when
    nothing was completed), every unit listed."""
    return r.df(
        """
        WITH scoped AS (
            SELECT s.unit_code, sum(m.received)::BIGINT AS received, sum(m.completed)::BIGINT AS completed,
                   sum(m.on_time)::BIGINT AS on_time
            FROM dim_unit_scope AS s
            JOIN mart_requests_daily AS m USING (kecamatan_code, service_code, channel)
            WHERE m.day BETWEEN $date_from AND $date_to
              AND (len($services) = 0 OR list_contains($services, m.service_code))
              AND ($unit IS NULL OR s.unit_code = $unit)
            GROUP BY s.unit_code
        )
        SELECT u.unit_code, coalesce(c.received, 0)::BIGINT AS received, coalesce(c.completed, 0)::BIGINT AS completed,
               coalesce(c.on_time, 0)::BIGINT AS on_time, c.on_time / nullif(c.completed, 0) AS on_time_rate
        FROM dim_unit AS u LEFT JOIN scoped AS c USING (unit_code)
        WHERE $unit IS NULL OR u.unit_code = $unit
        ORDER BY u.kecamatan_code IS NULL, u.unit_code
        """,
        _params(f, unit),
    )


UNIT_COLUMNS = ["unit_code", "name", "respondents", *ELEMENTS, "ikm", "ikm_2dp", "mutu", "population",
                "sample_needed", "sample_met", "received", "completed", "on_time_rate"]


def unit_results(r: Reader, f: Filters, lang: str = "id", unit: str | None = None) -> pd.DataFrame:
    """One row per unit with respondents in the period (kantor camat first): its name, respondents, NRR of U1..U9,
    ikm (exact, as a float), ikm_2dp (rounded to 2 decimals, as published), mutu, population (N), sample_needed
    (None: not judged), sample_met, and the on-time rate of its scope (received, completed, on_time_rate)."""
    found = scores(r, f, unit)
    if not found:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    names = unit_names(r, lang)
    scope = scope_counts(r, f, unit).set_index("unit_code")
    rows = []
    for code in names:  # the pack's order
        if code not in found:
            continue
        s = found[code]
        population = int(scope.at[code, "received"]) if code in scope.index else 0
        needed = sample_needed(population)
        rate = scope.at[code, "on_time_rate"] if code in scope.index else None
        rows.append({"unit_code": code, "name": names[code], "respondents": s.respondents,
                     **{e: float(x) for e, x in zip(ELEMENTS, s.nrr, strict=True)},
                     "ikm": float(s.ikm), "ikm_2dp": float(rounded(s.ikm)), "mutu": grade(s.ikm),
                     "population": population, "sample_needed": needed,
                     "sample_met": None if needed is None else s.respondents >= needed,
                     "received": population, "completed": int(scope.at[code, "completed"]) if code in scope.index
                     else 0, "on_time_rate": None if rate is None or pd.isna(rate) else float(rate)})
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


def overall(r: Reader, f: Filters, unit: str | None = None) -> dict[str, Any]:
    """The city-wide IKM: units (with respondents), respondents, ikm (the unweighted mean of their IKMs, rounded to 2
    decimals) and mutu; ikm and mutu None without respondents."""
    found = scores(r, f, unit)
    value = city_ikm(s.ikm for s in found.values())
    return {"units": len(found), "respondents": sum(s.respondents for s in found.values()),
            "ikm": None if value is None else float(rounded(value)), "mutu": grade(value),
            "ikm_exact": number(value)}


def summary_json(r: Reader, f: Filters, unit: str | None = None) -> dict[str, Any]:
    """The object `python -m etl skm --json` prints (the contract in data/README.md): the period, each unit with
    respondents (nrr as exact floats, ikm rounded to 2 decimals, mutu, population, sample_needed) and `overall`."""
    frame = unit_results(r, f, "id", unit)
    units = [{"unit_code": row["unit_code"], "respondents": int(row["respondents"]),
              "nrr": {e: float(row[e]) for e in ELEMENTS}, "ikm": float(row["ikm_2dp"]), "mutu": row["mutu"],
              "population": int(row["population"]),
              "sample_needed": None if pd.isna(row["sample_needed"]) else int(row["sample_needed"])}
             for _, row in frame.iterrows()]
    every = overall(r, f, unit)
    return {"period": {"from": f.date_from.isoformat(), "to": f.date_to.isoformat()}, "units": units,
            "overall": {k: every[k] for k in ("units", "respondents", "ikm", "mutu")}}


ELEMENT_COLUMNS = ["unsur", "position", "nrr", "index", "mutu", "rank"]


def ranked(nrrs: Sequence[Fraction]) -> list[tuple[int, int, Fraction, str]]:
    """The elements lowest first, ties in the regulation's order: (rank, position 0-8, NRR, mutu of 25 x NRR)."""
    order = sorted(range(len(ELEMENTS)), key=lambda i: (nrrs[i], i))
    return [(rank, i, nrrs[i], grade(SCALE * nrrs[i]) or GRADE_BELOW) for rank, i in enumerate(order, 1)]


def element_table(per_unit: Sequence[Sequence[Fraction]]) -> pd.DataFrame:
    """The nine elements of one unit (one NRR row) or of several (each element the unweighted mean of their NRR_i),
    lowest first, ties in the regulation's order: unsur, position (1-9), nrr, index (25 x NRR), mutu, rank (1 =
    lowest)."""
    if not per_unit:
        return pd.DataFrame(columns=ELEMENT_COLUMNS)
    means = [sum((u[i] for u in per_unit), Fraction(0)) / len(per_unit) for i in range(len(ELEMENTS))]
    return pd.DataFrame([{"unsur": ELEMENTS[i], "position": i + 1, "nrr": float(x), "index": float(SCALE * x),
                          "mutu": g, "rank": rank} for rank, i, x, g in ranked(means)], columns=ELEMENT_COLUMNS)


def elements(r: Reader, f: Filters, unit: str | None = None) -> pd.DataFrame:
    """element_table() for one unit, or city-wide with unit None (over the units with respondents); empty without
    respondents."""
    return element_table([s.nrr for s in scores(r, f, unit).values()])


ACTION_COLUMNS = ["unit_code", "period", "unsur", "action", "owner", "due_date", "status", "done_date", "done",
                  "done_on_time"]


def actions(r: Reader, f: Filters, unit: str | None = None) -> pd.DataFrame:
    """The follow-up actions whose survey period overlaps the period (of one unit, or all): unit_code, period,
    unsur, action, owner, due_date, status, done_date, done, done_on_time (done on or before its due date)."""
    if not _has_table(r, "fct_skm_actions"):
        return pd.DataFrame(columns=ACTION_COLUMNS)
    frame = r.df(
        """
        SELECT unit_code, period, unsur, action, owner, due_date, status, done_date,
               status = 'done' AS done,
               coalesce(status = 'done' AND done_date <= due_date, false) AS done_on_time
        FROM fct_skm_actions WHERE $unit IS NULL OR unit_code = $unit
        ORDER BY unit_code, period, unsur, due_date, action
        """,
        {"unit": unit},
    )
    keep = frame["period"].map(lambda p: _overlaps(p, f)) if len(frame) else pd.Series(dtype=bool)
    return frame[keep].reset_index(drop=True) if len(frame) else frame.reindex(columns=ACTION_COLUMNS)


def action_shares(frame: pd.DataFrame) -> dict[str, Any]:
    """Over actions() rows: actions, done, done_on_time, share_done and share_done_on_time (None without actions)."""
    n = len(frame)
    done, on_time = int(frame["done"].sum()) if n else 0, int(frame["done_on_time"].sum()) if n else 0
    return {"actions": n, "done": done, "done_on_time": on_time, "share_done": done / n if n else None,
            "share_done_on_time": on_time / n if n else None}


LOWEST_COLUMNS = ["unit_code", "unsur", "nrr", "index", "mutu", "rank", "actions", "action_text", "unplanned"]


def lowest_elements(r: Reader, f: Filters, unit: str | None = None) -> pd.DataFrame:
    """Each unit's three lowest elements in the period with the actions planned against them (actions, the actions'
    texts joined by ' · '), plus every other element graded C or D; unplanned = graded C or D with no action."""
    found = scores(r, f, unit)
    planned: dict[tuple[str, str], list[str]] = {}
    for a in actions(r, f, unit).itertuples(index=False):
        planned.setdefault((a.unit_code, a.unsur), []).append(str(a.action))
    rows = []
    for code in unit_names(r, "id"):
        if code not in found:
            continue
        for rank, i, x, g in ranked(found[code].nrr):
            if rank > LOWEST and g not in POOR_GRADES:
                continue
            mine = planned.get((code, ELEMENTS[i]), [])
            rows.append({"unit_code": code, "unsur": ELEMENTS[i], "nrr": float(x), "index": float(SCALE * x),
                         "mutu": g, "rank": rank, "actions": len(mine), "action_text": " · ".join(mine),
                         "unplanned": g in POOR_GRADES and not mine})
    return pd.DataFrame(rows, columns=LOWEST_COLUMNS)


TREND_COLUMNS = ["semester", "date_from", "date_to", "scope", "respondents", "ikm", "ikm_2dp", "mutu"]


def semester_trend(r: Reader, services: tuple[str, ...] = (), unit: str | None = None) -> pd.DataFrame:
    """The IKM by semester over all loaded responses: per semester one row of scope 'city' (the unweighted mean of
    the units' IKMs, respondents summed) and, with `unit`, one of scope 'unit' (that unit's); ikm exact as a float,
    ikm_2dp rounded as published; date_to is the last day with a respondent when the semester is not over in the
    data."""
    if not has_responses(r):
        return pd.DataFrame(columns=TREND_COLUMNS)
    frame = r.df(
        f"""
        SELECT year(submitted_at) || '-S' || CASE WHEN month(submitted_at) <= 6 THEN '1' ELSE '2' END AS semester,
               unit_code, count(*)::BIGINT AS n, {_SUMS}
        FROM fct_skm_responses
        WHERE len($services) = 0 OR list_contains($services, service_code)
        GROUP BY ALL ORDER BY semester, unit_code
        """,
        {"services": list(services)},
    )
    _, last = response_bounds(r)
    rows = []
    for semester, part in frame.groupby("semester", sort=True):
        found = {row[1]: Score(int(row[2]), tuple(int(v) for v in row[3:])) for row in part.itertuples(index=False)}
        start, end = period_range(str(semester))
        end = min(end, last) if last else end
        value = city_ikm(s.ikm for s in found.values())
        rows.append({"semester": semester, "date_from": start, "date_to": end, "scope": "city",
                     "respondents": sum(s.respondents for s in found.values()), "ikm": number(value),
                     "ikm_2dp": None if value is None else float(rounded(value)), "mutu": grade(value)})
        if unit is not None and unit in found:
            rows.append({"semester": semester, "date_from": start, "date_to": end, "scope": "unit",
                         "respondents": found[unit].respondents, "ikm": float(found[unit].ikm),
                         "ikm_2dp": float(rounded(found[unit].ikm)), "mutu": grade(found[unit].ikm)})
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def latest_semester(r: Reader, day: date | None = None) -> str | None:
    """The semester whose figures are the ones to publish on `day` (default: the last respondent's date): the latest
    semester with respondents that is over by then; else the semester of `day`, when it has respondents; else None."""
    held = report_periods(r)
    if not held:
        return None
    day = day or response_bounds(r)[1]
    over = [s for s in held if period_range(s)[1] <= day]
    if over:
        return over[0]
    current = semester_of(day)
    return current if current in held else None


PROFILE_COLUMNS = ["field", "category", "respondents", "share"]


def _profile_order(category: str) -> tuple[float, str]:
    """Age bands by their first number ('<20' before '20-29'), anything else by name; 'not stated' last."""
    if not category:
        return (math.inf, "")
    digits = re.search(r"\d+", category)
    if digits:
        return (int(digits[0]) - (0.5 if category.lstrip().startswith("<") else 0), category)
    return (0, category.lower())


def profile(r: Reader, f: Filters, unit: str | None = None) -> pd.DataFrame:
    """The respondents by age band, sex, education and occupation (aggregates only): field, category ('' = not
    stated), respondents, share of the period's respondents; age bands in order, the other fields' categories in the
    national list's order (data/skm.toml), not stated last."""
    if not has_responses(r):
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    fields = ", ".join(PROFILE_FIELDS)  # column names from this module's constant, never from input
    frame = r.df(
        f"""
        SELECT CASE {" ".join(f"WHEN grouping({c}) = 0 THEN '{c}'" for c in PROFILE_FIELDS)} END AS field,
               coalesce(nullif(trim(coalesce({fields})), ''), '') AS category, count(*)::BIGINT AS respondents
        FROM fct_skm_responses WHERE {_RESPONDENTS}
        GROUP BY GROUPING SETS ({", ".join(f"({c})" for c in PROFILE_FIELDS)})
        """,
        _params(f, unit),
    )
    if frame.empty:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    total = frame.groupby("field")["respondents"].transform("sum")
    frame["share"] = frame["respondents"] / total
    parts = []
    for field in PROFILE_FIELDS:
        part = frame[frame["field"] == field]
        if field == "umur":
            part = part.sort_values("category", key=lambda c: c.map(_profile_order))
        else:  # the categories in the national list's order (data/skm.toml), any other after them, blank last
            known = list(dict.fromkeys(survey_words.profile_words(field).values()))
            ranks = [len(known) + 1 if c == "" else known.index(c) if c in known else len(known)
                     for c in part["category"]]
            part = part.assign(rank=ranks).sort_values(["rank", "respondents", "category"],
                                                       ascending=[True, False, True])
        parts.append(part[PROFILE_COLUMNS])
    return pd.concat(parts, ignore_index=True)


def report_periods(r: Reader, unit: str | None = None) -> list[str]:
    """The semesters with respondents (of the unit, or any), newest first: what a report can be made for."""
    if not has_responses(r):
        return []
    frame = r.df(
        """
        SELECT DISTINCT year(submitted_at) || '-S' || CASE WHEN month(submitted_at) <= 6 THEN '1' ELSE '2' END AS s
        FROM fct_skm_responses WHERE $unit IS NULL OR unit_code = $unit ORDER BY s DESC
        """,
        {"unit": unit},
    )
    return frame["s"].tolist()
