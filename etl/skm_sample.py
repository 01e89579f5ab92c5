"""ETL layer: sample data for the satisfaction survey (SKM) — respondents and follow-up actions for every unit of the
pack, written straight into fct_skm_responses and fct_skm_actions (etl/sql/skm.sql) beside the sample requests.

The story: each unit surveys its users every semester of the last SAMPLE_SEMESTERS of the sample window, about as
many as the sample it needs for the requests its scope received (most a little more, some units short); units are
mostly graded B or A (IKM about 80-89, a little better each semester), one or two at C; waiting time (U3) and
complaint handling (U8) score lowest, cost (U4, most services are free) highest. Units follow up their elements graded
C or D, and a few their lowest element; most actions of earlier semesters are done (some after their due date), the
latest semester's are planned or under way, and one element graded C is left without an action.

Every random number is a hash of (row, stream, seed) as in etl/generate.py, so a seed gives the same rows.
"""

from __future__ import annotations

import hashlib
import random
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from etl.generate import SampleWindow

SAMPLE_SEMESTERS = 8          # the survey sample covers the last 8 semesters of the sample window
ACTION_SEMESTERS = 4          # the semesters before the last that have a follow-up plan
ACTIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "skm_sample.toml"
ELEMENTS = tuple(f"U{i}" for i in range(1, 10))
# Each element's usual distance from the unit's IKM, in index points (they sum to zero).
ELEMENT_OFFSET = (1.0, -0.5, -3.0, 5.0, 0.5, 1.0, 2.5, -4.0, -2.5)
# The grade bands, only to steer the story (kpi/skm.py defines them): an element below this needs an action.
STORY_POOR_BELOW = 76.61
# Respondent profile categories (as the survey loader stores them: data/skm.toml) and their shares (made up); a blank
# is "not stated".
PROFILE = {
    "umur": (("<20", 0.05), ("20-29", 0.26), ("30-39", 0.27), ("40-49", 0.2), ("50-59", 0.13), ("60+", 0.07),
             (None, 0.02)),
    "jenis_kelamin": (("L", 0.47), ("P", 0.51), (None, 0.02)),
    "pendidikan": (("SD", 0.07), ("SMP", 0.12), ("SMA", 0.42), ("D1-D3", 0.1), ("S1", 0.22), ("S2", 0.04),
                   ("S3", 0.01), (None, 0.02)),
    "pekerjaan": (("PNS", 0.09), ("TNI/POLRI", 0.03), ("Swasta", 0.3), ("Wirausaha", 0.22),
                  ("Pelajar/Mahasiswa", 0.12), ("Lainnya", 0.22), (None, 0.02)),
}


def _unit_random(seed: int, *parts: object) -> float:
    """A number in [0, 1) fixed by the seed and `parts` alone."""
    text = "|".join(str(p) for p in (seed, *parts))
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) / 16 ** 12


@dataclass(frozen=True)
class Semester:
    label: str
    start: date
    end: date      # the semester's last day, or the sample window's end


def semesters(window: SampleWindow, count: int = SAMPLE_SEMESTERS) -> list[Semester]:
    """The last `count` semesters of the sample window, oldest first (the last one may end with the window)."""
    year, half = window.end.year, 1 if window.end.month <= 6 else 2
    out = []
    for _ in range(count):
        start = date(year, 1 if half == 1 else 7, 1)
        end = date(year, 6, 30) if half == 1 else date(year, 12, 31)
        if start >= window.start:
            out.append(Semester(f"{year}-S{half}", start, min(end, window.end)))
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return out[::-1]


def _about_needed(population: int) -> float:
    """About the sample a unit needs for `population` users (kpi/skm.py computes it exactly): the story only aims
    near it."""
    return population * 384 / (population + 384) if population > 0 else 0.0


RESPONSES_SQL = """
WITH base AS (
    SELECT g.*, unnest(range(g.n)) AS j FROM gen_skm AS g
), u AS (
    SELECT *, first_i + j AS i,
           hash(first_i + j, 1, $seed)::DOUBLE / 18446744073709551616.0 AS u_day,
           hash(first_i + j, 2, $seed)::DOUBLE / 18446744073709551616.0 AS u_time,
           hash(first_i + j, 3, $seed)::DOUBLE / 18446744073709551616.0 AS u_svc,
           hash(first_i + j, 4, $seed)::DOUBLE / 18446744073709551616.0 AS u_r1,
           hash(first_i + j, 5, $seed)::DOUBLE / 18446744073709551616.0 AS u_r2,
           [hash(first_i + j, 10 + e, $seed)::DOUBLE / 18446744073709551616.0 FOR e IN range(18)] AS u_e,
           [hash(first_i + j, 40 + p, $seed)::DOUBLE / 18446744073709551616.0 FOR p IN range(4)] AS u_p
    FROM base
), z AS (
    -- a respondent's own leaning (some answer high throughout) and each answer's noise: standard normals
    SELECT *, sqrt(-2 * ln(greatest(u_r1, 1e-12))) * cos(2 * pi() * u_r2) AS z_r,
           [sqrt(-2 * ln(greatest(u_e[2 * k + 1], 1e-12))) * cos(2 * pi() * u_e[2 * k + 2]) FOR k IN range(9)] AS z_e
    FROM u
), answered AS (
    SELECT *, [CAST(least(4, greatest(1, round(target[k + 1] + 0.35 * z_r + 0.5 * z_e[k + 1]))) AS TINYINT)
               FOR k IN range(9)] AS a
    FROM z
)
SELECT $prefix || '-' || replace(a.semester, '-', '') || '-' || lpad((a.i - a.first_i + 1)::VARCHAR, 5, '0')
           AS respondent_id,
       a.unit_code,
       CASE WHEN a.u_svc < $no_service THEN NULL
            ELSE (SELECT s.service_code FROM gen_skm_services AS s
                  WHERE s.unit_code = a.unit_code AND s.semester = a.semester
                    AND (a.u_svc - $no_service) / (1 - $no_service) >= s.lo
                  ORDER BY s.lo DESC LIMIT 1) END AS service_code,
       d.day::TIMESTAMP + to_microseconds(CAST((8 + 7.5 * a.u_time) * 3600e6 AS BIGINT)) AS submitted_at,
       a.a[1], a.a[2], a.a[3], a.a[4], a.a[5], a.a[6], a.a[7], a.a[8], a.a[9],
       $umur[1 + len(list_filter($umur_cum, lambda x: x <= a.u_p[1]))] AS umur,
       $jenis_kelamin[1 + len(list_filter($jenis_kelamin_cum, lambda x: x <= a.u_p[2]))] AS jenis_kelamin,
       $pendidikan[1 + len(list_filter($pendidikan_cum, lambda x: x <= a.u_p[3]))] AS pendidikan,
       $pekerjaan[1 + len(list_filter($pekerjaan_cum, lambda x: x <= a.u_p[4]))] AS pekerjaan,
       $load_id::BIGINT AS load_id
FROM answered AS a
JOIN gen_skm_days AS d ON d.semester = a.semester
 AND d.idx = least(CAST(floor(a.u_day * a.n_days) AS BIGINT), a.n_days - 1)
ORDER BY submitted_at, respondent_id
"""


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Many small rows in one statement; `table` and `columns` come from this module, never from input."""
    if not rows:
        return
    values = list(zip(*rows, strict=True))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT "
                + ", ".join(f"unnest($c{i}) AS {c}" for i, c in enumerate(columns)),
                {f"c{i}": list(v) for i, v in enumerate(values)})


def _cumulative(shares: tuple[tuple[str | None, float], ...]) -> tuple[list[str | None], list[float]]:
    """The labels and the lower bounds of their intervals after the first (the first starts at 0)."""
    total = sum(s for _, s in shares)
    bounds, acc = [], 0.0
    for _, share in shares[:-1]:
        acc += share / total
        bounds.append(acc)
    return [label for label, _ in shares], bounds


def unit_targets(units: list[str], seed: int, count: int) -> dict[str, list[float]]:
    """Each unit's aimed IKM in each of `count` semesters: mostly 81-91 and rising a little, the one or two lowest
    units (by their hash) at C. (Answers are whole numbers capped at 4, so the IKM they give lands about a point
    lower.)"""
    ranked = sorted(units, key=lambda u: _unit_random(seed, "quality", u))
    weak = ranked[:1] + (ranked[1:2] if len(units) > 12 else [])
    out = {}
    for unit in units:
        level = 81 + 10 * _unit_random(seed, "level", unit)
        if unit in weak:
            level = 71.0 + 3.0 * weak.index(unit) + 1.5 * _unit_random(seed, "level", unit)
        out[unit] = [level - 0.3 * (count - 1 - k) + 2.4 * (_unit_random(seed, "drift", unit, k) - 0.5)
                     for k in range(count)]
    return out


def generate_skm_responses(con: duckdb.DuckDBPyConnection, window: SampleWindow, seed: int, load_id: int,
                           prefix: str) -> int:
    """Insert the sample respondents into fct_skm_responses; return how many."""
    spans = semesters(window)
    if not spans:
        return 0
    units = [r[0] for r in con.execute("SELECT unit_code FROM dim_unit ORDER BY unit_code").fetchall()]
    # the requests each unit's scope received, per semester and service (what its sample is drawn from)
    received = con.execute(
        """
        SELECT s.unit_code, year(r.submitted_at) || '-S' || CASE WHEN month(r.submitted_at) <= 6 THEN '1' ELSE '2' END
                   AS semester, r.service_code, count(*)::BIGINT AS n
        FROM fct_service_requests AS r JOIN dim_unit_scope AS s USING (kecamatan_code, service_code, channel)
        WHERE r.submitted_at >= $first
        GROUP BY ALL ORDER BY ALL
        """, {"first": spans[0].start}).fetchall()
    per_unit: dict[tuple[str, str], int] = {}
    service_rows = []
    by_pair: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for unit, semester, service, n in received:
        per_unit[(unit, semester)] = per_unit.get((unit, semester), 0) + n
        by_pair.setdefault((unit, semester), []).append((service, n))
    for (unit, semester), services in by_pair.items():
        total, acc = sum(n for _, n in services), 0
        for service, n in services:
            service_rows.append((unit, semester, service, acc / total))
            acc += n
    _insert(con, "gen_skm_services", ["unit_code", "semester", "service_code", "lo"], service_rows)

    day_rows = []
    n_days = {}
    for span in spans:
        days = [r[0] for r in con.execute("SELECT day FROM dim_calendar WHERE is_working_day AND day BETWEEN $a AND $b "
                                          "ORDER BY day", {"a": span.start, "b": span.end}).fetchall()]
        n_days[span.label] = len(days)
        day_rows += [(span.label, i, d) for i, d in enumerate(days)]
    _insert(con, "gen_skm_days", ["semester", "idx", "day"], day_rows)

    targets = unit_targets(units, seed, len(spans))
    rows, first = [], 0
    for k, span in enumerate(spans):
        for unit in units:
            population = per_unit.get((unit, span.label), 0)
            if population == 0 or not n_days[span.label]:
                continue
            short = _unit_random(seed, "short", unit, span.label) < 0.18
            factor = (0.55 + 0.35 * _unit_random(seed, "reach", unit, span.label) if short
                      else 1.02 + 0.3 * _unit_random(seed, "reach", unit, span.label))
            n = min(population, max(1, round(_about_needed(population) * factor)))
            ikm = targets[unit][k]
            target = [min(3.95, max(1.2, (ikm + off + 4 * (_unit_random(seed, "element", unit, e) - 0.5)) / 25))
                      for e, off in zip(ELEMENTS, ELEMENT_OFFSET, strict=True)]
            rows.append((unit, span.label, first, n, n_days[span.label], target))
            first += n
    _insert(con, "gen_skm", ["unit_code", "semester", "first_i", "n", "n_days", "target"], rows)
    params: dict[str, object] = {"seed": seed, "load_id": load_id, "prefix": prefix, "no_service": 0.08}
    for field, shares in PROFILE.items():
        labels, bounds = _cumulative(shares)
        params[field], params[f"{field}_cum"] = labels, bounds
    con.execute(f"INSERT INTO fct_skm_responses {RESPONSES_SQL}", params)
    for table in ("gen_skm", "gen_skm_days", "gen_skm_services"):
        con.execute(f"DROP TABLE {table}")
    return first


def _actions_words() -> dict[str, dict[str, list[str]]]:
    return tomllib.loads(ACTIONS_FILE.read_text(encoding="utf-8"))


def generate_skm_actions(con: duckdb.DuckDBPyConnection, window: SampleWindow, seed: int, load_id: int) -> int:
    """Insert the sample follow-up plan into fct_skm_actions (from the element scores the sample respondents gave);
    return how many actions."""
    spans = semesters(window)[-1 - ACTION_SEMESTERS:-1]
    if not spans:
        return 0
    scores = con.execute(
        """
        SELECT unit_code, year(submitted_at) || '-S' || CASE WHEN month(submitted_at) <= 6 THEN '1' ELSE '2' END
                   AS semester, 25 * avg(u1), 25 * avg(u2), 25 * avg(u3), 25 * avg(u4), 25 * avg(u5), 25 * avg(u6),
               25 * avg(u7), 25 * avg(u8), 25 * avg(u9), 25 * avg((u1 + u2 + u3 + u4 + u5 + u6 + u7 + u8 + u9) / 9)
        FROM fct_skm_responses GROUP BY ALL ORDER BY ALL
        """).fetchall()
    index = {(r[0], r[1]): (list(r[2:11]), r[11]) for r in scores}
    words = _actions_words()
    rng = random.Random(seed)
    latest = spans[-1].label
    weakest = min((ikm, unit) for (unit, sem), (_, ikm) in index.items() if sem == latest)[1] \
        if any(sem == latest for _, sem in index) else None
    rows = []
    for span in spans:
        due = span.end + timedelta(days=92)   # about the end of the next quarter
        for (unit, semester), (elements, _ikm) in sorted(index.items()):
            if semester != span.label:
                continue
            order = sorted(range(9), key=lambda i: (elements[i], i))
            chosen = [i for i in order if elements[i] < STORY_POOR_BELOW]
            if not chosen and _unit_random(seed, "follow", unit, semester) < 0.25:
                chosen = order[:1]
            if semester == latest and unit == weakest and len(chosen) > 1:
                chosen = chosen[:1] + chosen[2:]   # one element graded C or D left without an action
            for i in chosen:
                element = ELEMENTS[i]
                choice = rng.randrange(len(words[element]["actions"]))
                action = words[element]["actions"][choice]
                owner = words[element]["owners"][choice % len(words[element]["owners"])]
                status, done = _progress(span, latest, due, window.end, rng)
                rows.append((unit, semester, element, action, owner, due, status, done, load_id))
    if rows:
        con.executemany("INSERT INTO fct_skm_actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def _progress(span: Semester, latest: str, due: date, as_of: date, rng: random.Random
              ) -> tuple[str, date | None]:
    """An action's status and completion date: earlier semesters' mostly done, about a fifth of them late; the latest
    semester's planned, under way or (a few) done early. Never done after the data ends."""
    draw = rng.random()
    if span.label == latest:
        if draw < 0.2:
            return "done", min(as_of, span.end + timedelta(days=20 + int(40 * rng.random())))
        return ("in_progress", None) if draw < 0.6 else ("planned", None)
    if draw < 0.12:
        return "in_progress", None
    late = rng.random() < 0.22
    done = due + timedelta(days=5 + int(50 * rng.random())) if late else due - timedelta(days=int(60 * rng.random()))
    return "done", min(done, as_of)


def generate_skm(con: duckdb.DuckDBPyConnection, window: SampleWindow, seed: int, load_ids: tuple[int, int],
                 prefix: str) -> tuple[int, int]:
    """The survey sample for the units in dim_unit: (respondents, actions) written into fct_skm_responses and
    fct_skm_actions."""
    n = generate_skm_responses(con, window, seed, load_ids[0], prefix)
    return n, generate_skm_actions(con, window, seed, load_ids[1]) if n else 0
