"""Base layer: the city's alert rules — the pack's alerts.toml, read and checked once here (what triggers an alert,
and which roles are told at each step). The read side evaluates them (kpi/alerts); `python -m etl doctor` checks them.

A rule has a `kind` and a ladder of `steps`. Each step names its threshold in the kind's own measure and the roles it
notifies; an item (a request, a kecamatan, a dataset, a programme) is in the highest step whose threshold it meets:

    kind        threshold key        measure of an item
    overdue     after_working_days   working days over: working days whose start (00:00) lies in [due_at, now)
    index       weeks                complete ISO weeks in a row, up to the last one, with the kecamatan's index below
                                     the band
    stale       after_days           whole days since the dataset's last successful load
    programme   after_reports        the programme's latest reports in a row with status `behind`
    skm         semesters            the latest survey semesters in a row (up to the last one over) in which the
                                     unit's satisfaction index was graded C or D (option `grades`)
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from base.settings import PackError, city_dir

RULES_FILE = "alerts.toml"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")          # role names
KEY = re.compile(r"^[a-z][a-z0-9_-]*$")          # rule keys (they appear in links and message ids)
BANDS = ("green", "amber")                       # index below the green band (< 1.0) or the amber band (< 0.9)


@dataclass(frozen=True)
class KindSpec:
    """What a kind's rule may say: its threshold key and its least value, and its own options (key -> default)."""

    threshold: str
    least: int
    options: tuple[tuple[str, Any], ...] = ()


KINDS: dict[str, KindSpec] = {
    "overdue": KindSpec("after_working_days", 0, (("services", ()),)),
    "index": KindSpec("weeks", 1, (("below", "amber"),)),
    "stale": KindSpec("after_days", 1, (("dataset", None),)),
    "programme": KindSpec("after_reports", 1, ()),
    "skm": KindSpec("semesters", 1, (("grades", ("C", "D")), ("min_respondents", 1))),
}
SKM_GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Step:
    threshold: int
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One [[rule]] of alerts.toml. `options` holds the kind's own settings as (key, value) pairs (hashable)."""

    key: str
    kind: str
    name_id: str
    name_en: str
    steps: tuple[Step, ...]
    options: tuple[tuple[str, Any], ...] = ()

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_id

    def option(self, key: str) -> Any:
        return dict(self.options).get(key, dict(KINDS[self.kind].options).get(key))

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for s in self.steps for r in s.notify))

    def step_of(self, measure: int) -> int | None:
        """The highest step whose threshold `measure` meets (0-based), None below the first."""
        met = [i for i, s in enumerate(self.steps) if measure >= s.threshold]
        return met[-1] if met else None


def _service_codes(pack: Path) -> set[str]:
    with open(pack / "services.csv", encoding="utf-8-sig", newline="") as fh:
        return {r["service_code"].strip() for r in csv.DictReader(fh) if (r.get("service_code") or "").strip()}


def parse_rules(raw: dict[str, Any], source: str, services: set[str]) -> tuple[Rule, ...]:
    """Check a parsed alerts.toml; PackError names the file, the rule and the fix."""
    unknown = set(raw) - {"rule"}
    if unknown:
        raise PackError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}; rules are written as "
                        f"[[rule]] tables (data/README.md, 'Alerts')")
    tables = raw.get("rule", [])
    if not isinstance(tables, list):
        raise PackError(f"{source}: write each rule as a [[rule]] table (data/README.md, 'Alerts')")
    out: list[Rule] = []
    seen: set[str] = set()
    for n, table in enumerate(tables, 1):
        key = str(table.get("key", ""))
        where = f"{source}, rule {key!r}" if key else f"{source}, rule number {n}"
        if not KEY.match(key):
            raise PackError(f"{where}: `key` must be lower-case letters, digits, '_' or '-', starting with a letter "
                            f"(e.g. key = \"overdue\"); it names the rule in messages and links")
        if key in seen:
            raise PackError(f"{where}: the key is used by an earlier rule; give each rule its own key")
        seen.add(key)
        kind = table.get("kind")
        if kind not in KINDS:
            raise PackError(f"{where}: kind {kind!r} must be one of {', '.join(KINDS)}")
        spec = KINDS[kind]
        allowed = {"key", "kind", "name_id", "name_en", "steps"} | {k for k, _ in spec.options}
        if extra := sorted(set(table) - allowed):
            raise PackError(f"{where}: unknown key(s) {', '.join(extra)} for kind {kind!r}; it takes "
                            f"{', '.join(sorted(allowed))}")
        names = [str(table.get(k, "")).strip() for k in ("name_id", "name_en")]
        if not all(names):
            raise PackError(f"{where}: name_id and name_en are both needed (the rule's name in messages)")
        steps = _steps(table.get("steps"), where, spec)
        options = _options(table, where, kind, services)
        out.append(Rule(key, kind, names[0], names[1], steps, options))
    return tuple(out)


def _steps(raw: Any, where: str, spec: KindSpec) -> tuple[Step, ...]:
    example = f"steps = [{{{spec.threshold} = {max(spec.least, 1)}, notify = [\"unit\"]}}]"
    if not isinstance(raw, list) or not raw:
        raise PackError(f"{where}: `steps` must list at least one step, e.g. {example}")
    out: list[Step] = []
    for i, step in enumerate(raw, 1):
        at = f"{where}, step {i}"
        if not isinstance(step, dict):
            raise PackError(f"{at}: a step is a table, e.g. {example}")
        if extra := sorted(set(step) - {spec.threshold, "notify"}):
            raise PackError(f"{at}: unknown key(s) {', '.join(extra)}; a step has {spec.threshold} and notify")
        value = step.get(spec.threshold, spec.least if len(raw) == 1 else None)
        if not isinstance(value, int) or isinstance(value, bool) or value < spec.least:
            raise PackError(f"{at}: {spec.threshold} must be a whole number of at least {spec.least}")
        if out and value <= out[-1].threshold:
            raise PackError(f"{at}: {spec.threshold} = {value} must be greater than the previous step's "
                            f"({out[-1].threshold}); list the steps from the first to the last")
        notify = step.get("notify")
        if not isinstance(notify, list) or not notify or not all(isinstance(r, str) and NAME.match(r)
                                                                 for r in notify):
            raise PackError(f"{at}: notify must list role names (lower-case letters, digits and '_', e.g. "
                            f"[\"unit\", \"head\"]); .streamlit/secrets.toml [alerts.recipients] says who they are")
        out.append(Step(value, tuple(dict.fromkeys(notify))))
    return tuple(out)


def _options(table: dict[str, Any], where: str, kind: str, services: set[str]) -> tuple[tuple[str, Any], ...]:
    out: dict[str, Any] = {}
    if kind == "overdue" and "services" in table:
        chosen = table["services"]
        if not isinstance(chosen, list) or not all(isinstance(s, str) for s in chosen):
            raise PackError(f"{where}: services must be a list of service codes, e.g. [\"KTP_EL\", \"KK\"]")
        if bad := [s for s in chosen if s not in services]:
            raise PackError(f"{where}: services {', '.join(bad)} are not in services.csv")
        out["services"] = tuple(chosen)
    if kind == "index" and "below" in table:
        if table["below"] not in BANDS:
            raise PackError(f"{where}: below must be \"green\" (index under 1.0) or \"amber\" (under 0.9)")
        out["below"] = table["below"]
    if kind == "stale":
        dataset = table.get("dataset")
        if not isinstance(dataset, str) or not NAME.match(dataset):
            raise PackError(f"{where}: a stale rule names its dataset, e.g. dataset = \"service_requests\"")
        out["dataset"] = dataset
    if kind == "skm" and "grades" in table:
        chosen = table["grades"]
        if not isinstance(chosen, list) or not chosen or any(g not in SKM_GRADES for g in chosen):
            raise PackError(f"{where}: grades must be a list of survey grades, e.g. [\"C\", \"D\"]")
        out["grades"] = tuple(chosen)
    if kind == "skm" and "min_respondents" in table:
        least = table["min_respondents"]
        if not isinstance(least, int) or isinstance(least, bool) or least < 1:
            raise PackError(f"{where}: min_respondents must be a whole number of 1 or more (a unit with fewer "
                            f"respondents in a semester is not judged)")
        out["min_respondents"] = least
    return tuple(out.items())


@lru_cache(maxsize=8)
def _pack_rules(pack: Path) -> tuple[Rule, ...]:
    path = pack / RULES_FILE
    if not path.is_file():
        return ()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    return parse_rules(raw, str(path), _service_codes(pack))


def rules(city: str | None = None) -> tuple[Rule, ...]:
    """The alert rules of the pack `city` (default: PANTAU_CITY), checked; none when the pack has no alerts.toml."""
    return _pack_rules(city_dir(city))


def rules_file(city: str | None = None) -> Path:
    return city_dir(city) / RULES_FILE
