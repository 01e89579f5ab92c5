"""Read-side layer: which alerts hold at a moment — a pure read over the KPI layer (no network, no alert state).

Each rule kind has an evaluator in a small registry (EVALUATORS): (Reader, Rule, at) -> the items that may alert, each
with the unit it concerns, its measure in the kind's unit and what a message says of it. decide() puts every item in
the highest step of its rule whose threshold the measure meets, and groups them: an alert is (rule, unit, step).
A new kind is one more evaluator here and one more KindSpec in base/alerts.py (docs/architecture.md).

Definitions (stated again in data/README.md, "Alerts"):
- working days over = the number of working days (dim_calendar) whose start, 00:00 local, lies in [due_at, at).
- overdue: requests open at `at` (submitted before it, not completed before it) whose deadline due_at is before it,
  grouped by their responsible unit (service_requests.unit_code); a request no unit answers for alerts nobody.
  Measure: working days over. Items oldest deadline first.
- index: a kecamatan whose service index (kpi.metrics.service_index) is below the band in each of the last complete
  ISO weeks before `at`; measure: how many such weeks in a row, counted back from the last one. Unit: its kantor camat.
- stale: a dataset whose last successful load (loads.status = 'loaded') at or before `at` is N whole days old; a
  dataset never loaded alerts nobody. No unit.
- programme: a master-plan programme whose latest report up to `at` has status `behind`; measure: its latest reports
  in a row with that status. Unit: the unit the programme's agency names (base/units.py), if any.
- skm: a unit whose satisfaction index (kpi/skm.py) was graded in `grades` (default C or D) in the latest survey
  semester over by `at` (kpi.skm.latest_semester), with at least `min_respondents` respondents; measure: the semesters
  in a row, back from that one, so graded. The item is the unit's result of that semester (`unit@semester`): each new
  semester's grade is news.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from base.alerts import Rule
from base.units import alias_key, pack_name_keys
from kpi import metrics, skm
from kpi.db import Reader
from kpi.filters import Filters
from kpi.smartcity import has_programmes


class CalendarEnds(ValueError):
    """`at` lies past the working-day calendar; `python -m etl refresh` extends it."""

    def __init__(self, last: date) -> None:
        super().__init__(last)
        self.last = last


@dataclass(frozen=True)
class Item:
    """One thing an alert holds: a request, a kecamatan, a dataset or a programme (`id`), the unit it concerns, its
    measure in the kind's unit, and what a message or the page says of it (kind-specific facts)."""

    id: str
    unit_code: str | None
    measure: int
    facts: tuple[tuple[str, Any], ...] = ()

    def fact(self, key: str) -> Any:
        return dict(self.facts).get(key)


@dataclass(frozen=True)
class Alert:
    """(rule, unit, step) and the items in it, in the order messages list them (the most pressing first)."""

    rule: str
    kind: str
    unit_code: str | None
    step: int
    items: tuple[Item, ...]

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.rule, self.unit_code or "", self.step)

    @property
    def ids(self) -> list[str]:
        return [i.id for i in self.items]


@dataclass(frozen=True)
class Decision:
    """Every alert that holds at `at`, and the names of the units they concern."""

    at: datetime
    alerts: tuple[Alert, ...]
    unit_names: tuple[tuple[str, str, str], ...] = ()   # (unit_code, name_id, name_en)

    def unit_name(self, code: str | None, lang: str) -> str | None:
        for c, name_id, name_en in self.unit_names:
            if c == code:
                return name_en if lang == "en" else name_id
        return None


@dataclass(frozen=True)
class Evaluator:
    kind: str
    items: Callable[[Reader, Rule, datetime], list[Item]]
    resets: bool  # True: an item that leaves the alert is news again when it returns (a condition); False: a request


EVALUATORS: dict[str, Evaluator] = {}


def evaluator(kind: str, *, resets: bool) -> Callable[[Callable[[Reader, Rule, datetime], list[Item]]],
                                                       Callable[[Reader, Rule, datetime], list[Item]]]:
    """Register the function as the evaluator of `kind`."""
    def register(fn: Callable[[Reader, Rule, datetime], list[Item]]) -> Callable[[Reader, Rule, datetime], list[Item]]:
        EVALUATORS[kind] = Evaluator(kind, fn, resets)
        return fn
    return register


def decide(r: Reader, rules: tuple[Rule, ...], at: datetime) -> Decision:
    """Every alert of `rules` that holds at `at` (the city's local time): per rule, its items by (unit, step)."""
    alerts: list[Alert] = []
    for rule in rules:
        groups: dict[tuple[str, int], list[Item]] = {}
        for item in EVALUATORS[rule.kind].items(r, rule, at):
            step = rule.step_of(item.measure)
            if step is not None:
                groups.setdefault((item.unit_code or "", step), []).append(item)
        for (unit, step), items in sorted(groups.items()):
            alerts.append(Alert(rule.key, rule.kind, unit or None, step, tuple(items)))
    names = r.df("SELECT unit_code, name_id, name_en FROM dim_unit ORDER BY unit_code")
    return Decision(at, tuple(alerts), tuple(names.itertuples(index=False, name=None)))


def last_counted_day(at: datetime) -> date:
    """The last day whose start (00:00) lies before `at`."""
    return (at - timedelta(microseconds=1)).date()


# --- the evaluators ----------------------------------------------------------------------------------------------
# first_day: the first day whose 00:00 is at or after due_at. The working days in [first_day, last counted day] are
# working_day_no(last) - working_day_no(first_day - 1): working_day_no numbers the working days (0 before the calendar).
_OVERDUE = """
    WITH open AS (
        SELECT request_id, service_code, kecamatan_code, unit_code, submitted_at, due_at,
               CAST(due_at AS DATE) + CASE WHEN due_at = date_trunc('day', due_at) THEN 0 ELSE 1 END AS first_day
        FROM service_requests
        WHERE submitted_at < $at AND (completed_at IS NULL OR completed_at >= $at) AND due_at < $at
          AND unit_code IS NOT NULL AND (len($services) = 0 OR list_contains($services, service_code))
    )
    SELECT o.request_id, o.service_code, o.kecamatan_code, o.unit_code, o.submitted_at, o.due_at,
           greatest($last_no - coalesce(c.working_day_no, 0), 0)::BIGINT AS working_days_over
    FROM open AS o LEFT JOIN dim_calendar AS c ON c.day = o.first_day - 1
    ORDER BY o.due_at, o.request_id
"""


def working_day_no(r: Reader, day: date) -> int:
    """dim_calendar.working_day_no of `day` (0 before the calendar); CalendarEnds past its last day."""
    first, last = r.one("SELECT min(day), max(day) FROM dim_calendar")
    if last is None or day > last:
        raise CalendarEnds(last)
    if day < first:
        return 0
    return int(r.one("SELECT working_day_no FROM dim_calendar WHERE day = $d", {"d": day})[0])


def overdue_requests(r: Reader, at: datetime, services: tuple[str, ...] = ()) -> pd.DataFrame:
    """Requests open and past their deadline at `at`, with their responsible unit and working days over, oldest
    deadline first: request_id, service_code, kecamatan_code, unit_code, submitted_at, due_at, working_days_over."""
    last_no = working_day_no(r, last_counted_day(at))
    return r.df(_OVERDUE, {"at": at, "services": list(services), "last_no": last_no})


@evaluator("overdue", resets=False)
def _overdue(r: Reader, rule: Rule, at: datetime) -> list[Item]:
    frame = overdue_requests(r, at, tuple(rule.option("services") or ()))
    return [Item(str(row.request_id), row.unit_code, int(row.working_days_over),
                 (("service_code", row.service_code), ("kecamatan_code", row.kecamatan_code),
                  ("submitted_at", row.submitted_at.to_pydatetime()), ("due_at", row.due_at.to_pydatetime())))
            for row in frame.itertuples(index=False)]


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _kecamatan_units(r: Reader) -> dict[str, str]:
    frame = r.df("SELECT kecamatan_code, min(unit_code) AS unit_code FROM dim_unit WHERE kind = 'kecamatan' "
                 "AND kecamatan_code IS NOT NULL GROUP BY kecamatan_code")
    return dict(zip(frame["kecamatan_code"], frame["unit_code"], strict=True))


@evaluator("index", resets=True)
def _index(r: Reader, rule: Rule, at: datetime) -> list[Item]:
    band = metrics.INDEX_GREEN if rule.option("below") == "green" else metrics.INDEX_AMBER
    monday = at.date() - timedelta(days=at.weekday())
    run: dict[str, int] = {}
    latest: dict[str, tuple[str, float]] = {}
    broken: set[str] = set()
    for k in range(1, rule.steps[-1].threshold + 1):
        start = monday - timedelta(weeks=k)
        weekly = metrics.service_index(r, Filters(start, start + timedelta(days=6)))["by_kecamatan"]
        for row in weekly.itertuples(index=False):
            code = row.kecamatan_code
            if code in broken:
                continue
            if pd.notna(row.index) and row.index < band:
                run[code] = run.get(code, 0) + 1
                latest.setdefault(code, (row.kecamatan, float(row.index)))
            else:
                broken.add(code)
    units = _kecamatan_units(r)
    last_week = monday - timedelta(weeks=1)
    return [Item(code, units.get(code), n,
                 (("kecamatan", latest[code][0]), ("index", latest[code][1]), ("band", band),
                  ("from_week", iso_week(last_week - timedelta(weeks=n - 1))), ("to_week", iso_week(last_week))))
            for code, n in sorted(run.items())]


@evaluator("stale", resets=True)
def _stale(r: Reader, rule: Rule, at: datetime) -> list[Item]:
    dataset = rule.option("dataset")
    row = r.one("SELECT max(loaded_at) FROM loads WHERE dataset = $d AND status = 'loaded' AND loaded_at <= $at",
                {"d": dataset, "at": at})
    if not row or row[0] is None:
        return []
    last = pd.Timestamp(row[0]).to_pydatetime()
    return [Item(dataset, None, (at - last).days, (("dataset", dataset), ("last_loaded_at", last)))]


@evaluator("programme", resets=True)
def _programme(r: Reader, rule: Rule, at: datetime) -> list[Item]:
    if not has_programmes(r):
        return []
    frame = r.df(
        """
        SELECT f.programme_id, f.name, f.agency, f.pillar, s.period, s.status, s.progress, s.expected
        FROM fct_programmes AS f JOIN programme_status AS s USING (programme_id, period)
        WHERE f.period <= $day
        ORDER BY f.programme_id, f.period DESC
        """,
        {"day": at.date()},
    )
    known = set(r.df("SELECT unit_code FROM dim_unit")["unit_code"])
    names = {k: v for k, v in pack_name_keys().items() if v in known}
    out = []
    for programme, reports in frame.groupby("programme_id", sort=True):
        statuses = list(reports["status"])
        behind = next((i for i, s in enumerate(statuses) if s != "behind"), len(statuses))
        if behind:
            top = reports.iloc[0]
            agency = top["agency"] if isinstance(top["agency"], str) else None
            out.append(Item(str(programme), names.get(alias_key(agency)) if agency else None, behind,
                            (("name", top["name"]), ("agency", agency), ("pillar", top["pillar"]),
                             ("period", pd.Timestamp(top["period"]).date()), ("progress", float(top["progress"])),
                             ("expected", float(top["expected"])))))
    return out


@evaluator("skm", resets=True)
def _skm(r: Reader, rule: Rule, at: datetime) -> list[Item]:
    if not skm.has_responses(r):
        return []
    latest = skm.latest_semester(r, last_counted_day(at))
    if latest is None:
        return []
    grades, least = set(rule.option("grades")), int(rule.option("min_respondents"))
    run: dict[str, int] = {}
    shown: dict[str, Any] = {}
    semester = latest
    for k in range(rule.steps[-1].threshold):
        start, end = skm.period_range(semester)
        results = skm.unit_results(r, Filters(start, end))
        poor = results[(results["respondents"] >= least) & results["mutu"].isin(grades)]
        if k == 0:
            shown = {row.unit_code: row for row in poor.itertuples(index=False)}
            run = dict.fromkeys(shown, 1)
            going = set(run)
        else:
            going &= set(poor["unit_code"])
            for code in going:
                run[code] += 1
        if not going:
            break
        semester = skm.semester_before(semester)
    return [Item(f"{code}@{latest}", code, n,
                 (("semester", latest), ("ikm", float(shown[code].ikm_2dp)), ("mutu", shown[code].mutu),
                  ("respondents", int(shown[code].respondents))))
            for code, n in sorted(run.items())]


# --- for the page: the requests behind an alert -------------------------------------------------------------------
def items_frame(alert: Alert, services: dict[str, str], kecamatan: dict[str, str]) -> pd.DataFrame:
    """An overdue alert's requests as a table (request id, service, kecamatan, submitted, due, working days over);
    another kind's items with their facts and their measure."""
    if alert.kind != "overdue":
        return pd.DataFrame([{"item": i.id, **dict(i.facts), "measure": i.measure} for i in alert.items])
    rows = [{"request_id": i.id, "service": services.get(i.fact("service_code"), i.fact("service_code")),
             "kecamatan": kecamatan.get(i.fact("kecamatan_code"), i.fact("kecamatan_code")),
             "submitted_at": i.fact("submitted_at"), "due_at": i.fact("due_at"), "working_days_over": i.measure}
            for i in alert.items]
    columns = ["request_id", "service", "kecamatan", "submitted_at", "due_at", "working_days_over"]
    return pd.DataFrame(rows, columns=columns)
