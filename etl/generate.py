"""ETL layer: deterministic sample data (service requests and tourism) that tells a true-to-life story.

Requests are generated inside DuckDB from `range()` with hash-based random numbers of each row's global number, so a
seed always gives the same rows however they are chunked. They are generated, sorted and appended one run of days
(about CHUNK_ROWS rows) at a time, so memory stays bounded and the table is stored in time order; ten million rows take
a few minutes on two cores.
The story comes from the city pack: volumes follow kecamatan population and the demand calendar (Ramadan, Lebaran,
COVID: sample_calendar.csv). Counters (loket, MPP, jemput bola) take requests on working days in office hours
(dim_calendar: national holidays, cuti bersama and the pack's own days); online requests come at any hour of any day.
Work happens in office hours on working days: a request's processing time is drawn in office hours from its
service's lognormal profile (sample_profile.csv), which falls after integrated services launched (city.toml
`integration_month`), and its completion is placed that many office hours after it was submitted. A few requests get
stuck (more of the recent ones), so the open backlog is mostly young with a small old tail.
"""

from __future__ import annotations

import csv
import hashlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from base.settings import CitySettings

SAMPLE_SOURCE = "sample"
TOURISM_SOURCE_PREFIX = "sample: "
# sample_points.csv keeps a +/-0.001 degree box around each grid point inside the kecamatan; stay within it
POINT_JITTER_DEGREES = 0.0008
# Rows generated and sorted per statement: bounds the memory a build needs whatever --rows is.
CHUNK_ROWS = 500_000


@dataclass(frozen=True)
class SampleWindow:
    start: date       # first day generated
    end: date         # last day generated
    as_of: datetime   # extract time: requests not finished by then are open

    @classmethod
    def from_settings(cls, s: CitySettings) -> SampleWindow:
        y0, m0 = map(int, s.sample_start.split("-"))
        y1, m1 = map(int, s.sample_end.split("-"))
        end = (date(y1 + m1 // 12, m1 % 12 + 1, 1)) - timedelta(days=1)
        return cls(date(y0, m0, 1), end, datetime(end.year, end.month, end.day, 17, 0))


def _read_csv(path: Path, optional: bool = False) -> list[dict[str, str]]:
    """A pack file's rows; an optional file that is absent has none."""
    if optional and not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# Monday is busiest after the weekend; Friday counters close earlier for Friday prayers.
WEEKDAY_FACTOR = (1.12, 1.04, 1.0, 0.98, 0.86)
OFFICE_OPENS, OFFICE_HOURS = 8, 8   # counters and back offices work 08:00-16:00 on working days


def _date_unit(d: date) -> float:
    """A number in [0, 1) fixed by the date alone (same data for the same seed, whatever the chunking)."""
    return int(hashlib.sha256(d.isoformat().encode()).hexdigest()[:8], 16) / 2**32


def day_weights(pack: Path, window: SampleWindow, working: dict[date, bool]
                ) -> list[tuple[date, float, float, float, float]]:
    """Per day: (day, volume weight, share of channels loket / mpp / online as cumulative thresholds).

    `working` tells the working days (dim_calendar): on any other day only online requests come in.
    """
    calendar = [(date.fromisoformat(r["date_from"]), date.fromisoformat(r["date_to"]), float(r["volume_factor"]))
                for r in _read_csv(pack / "sample_calendar.csv", optional=True)]
    mpp_since = {r["channel"]: date.fromisoformat(r["since"]) for r in _read_csv(pack / "channels.csv")}.get(
        "mpp", window.start)
    rows = []
    d = window.start
    while d <= window.end:
        years = (d - window.start).days / 365.25
        w = 1.0 + 0.05 * years                       # the city grows and moves more services to the counters
        if not working.get(d, d.weekday() < 5):
            w *= 0.10 if d.weekday() != 6 else 0.06  # a day off: online only, a trickle
        else:
            w *= WEEKDAY_FACTOR[d.weekday()] if d.weekday() < 5 else 0.5  # a Saturday service day: half a day
        w *= 0.85 + 0.30 * _date_unit(d)             # day-to-day variation: no two weekdays alike
        for lo, hi, factor in calendar:
            if lo <= d <= hi:
                w *= factor
        if d.day >= 26:
            w *= 1.08                                # end-of-month rush
        # Channel mix shifts over the years: online grows, the mall (MPP) takes over from district counters.
        online = min(0.18 + 0.035 * years, 0.45)
        mpp = 0.0 if d < mpp_since else min(0.12 + 0.04 * (d - mpp_since).days / 365.25, 0.25)
        jemput = 0.06
        if not working.get(d, d.weekday() < 5):
            online, mpp, jemput = 1.0, 0.0, 0.0
        loket = max(1.0 - online - mpp - jemput, 0.0)
        rows.append((d, w, loket, loket + mpp, loket + mpp + online))
        d += timedelta(days=1)
    return rows


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder), summing exactly to `total`."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    counts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    return counts


REQUESTS_SQL = """
WITH base AS (
    SELECT d.day, d.working, d.wd_no, d.ch1, d.ch2, d.ch3, unnest(range(d.n)) AS j, d.first_i
    FROM gen_days AS d
    WHERE d.day BETWEEN $chunk_from AND $chunk_to
), u AS (
    -- independent uniforms in [0, 1) from a hash of (row, stream, seed): deterministic and parallel-safe
    SELECT day, working, wd_no, ch1, ch2, ch3, first_i + j AS i,
           hash(first_i + j, 1, $seed)::DOUBLE / 18446744073709551616.0 AS u_kec,
           hash(first_i + j, 2, $seed)::DOUBLE / 18446744073709551616.0 AS u_svc,
           hash(first_i + j, 3, $seed)::DOUBLE / 18446744073709551616.0 AS u_ch,
           hash(first_i + j, 4, $seed)::DOUBLE / 18446744073709551616.0 AS u_time,
           hash(first_i + j, 5, $seed)::DOUBLE / 18446744073709551616.0 AS u_z1,
           hash(first_i + j, 6, $seed)::DOUBLE / 18446744073709551616.0 AS u_z2,
           hash(first_i + j, 7, $seed)::DOUBLE / 18446744073709551616.0 AS u_out,
           hash(first_i + j, 8, $seed)::DOUBLE / 18446744073709551616.0 AS u_r,
           hash(first_i + j, 9, $seed)::DOUBLE / 18446744073709551616.0 AS u_theta,
           hash(first_i + j, 10, $seed)::DOUBLE / 18446744073709551616.0 AS u_status,
           hash(first_i + j, 11, $seed)::DOUBLE / 18446744073709551616.0 AS u_jitter
    FROM base
), picked AS (
    -- the kecamatan / service whose cumulative share interval holds the uniform (an inverse-CDF pick); a CASE
    -- over the interval bounds streams, where an ASOF join would sort every row first
    SELECT u.*, k.kecamatan_code, k.first_point, k.n_points, k.slow AS k_slow,
           s.service_code, s.median_before, s.median_after, s.sigma,
           CASE WHEN u_ch < ch1 THEN 'loket_kecamatan' WHEN u_ch < ch2 THEN 'mpp'
                WHEN u_ch < ch3 THEN 'online' ELSE 'jemput_bola' END AS channel
    FROM u
    JOIN gen_kecamatan AS k ON k.idx = {kecamatan_pick}
    JOIN gen_services AS s ON s.idx = {service_pick}
), timed AS (
    SELECT *,
           -- hour of the day: counters 08:00-16:00 with a morning peak; online at any hour, mostly 06:00-23:00
           CASE WHEN channel <> 'online' THEN 8 + 8 * pow(u_time, 1.35)
                WHEN u_time < 0.10 THEN 6 * u_time / 0.10
                WHEN u_time < 0.96 THEN 6 + 17 * (u_time - 0.10) / 0.86
                ELSE 23 + (u_time - 0.96) / 0.04 END AS hour,
           -- months since integrated services launched (negative before)
           date_diff('month', $integration::DATE, day) AS m_int,
           sqrt(-2 * ln(greatest(u_z1, 1e-12))) * cos(2 * pi() * u_z2) AS z
    FROM picked
), hours AS (
    SELECT *,
           day::TIMESTAMP + to_microseconds(CAST(hour * 3600e6 AS BIGINT)) AS submitted_at,
           -- where the work starts, in office hours counted from the first working day of the calendar: now, when
           -- the office is open; else at the next opening
           CASE WHEN working AND hour < {opens} + {office} THEN (wd_no - 1) * {office} + greatest(hour - {opens}, 0)
                ELSE wd_no * {office} END AS work_start,
           -- processing time in office hours
           greatest(0.1,
             CASE WHEN m_int < 0 THEN median_before
                  ELSE median_after + (median_before - median_after) * exp(-m_int / 5.0) END
             * CASE WHEN day BETWEEN DATE '2020-03-16' AND DATE '2020-12-31' THEN 1.35 ELSE 1.0 END
             * k_slow
             -- each kecamatan x service drifts quarter by quarter: some improve, some slip (the "movers")
             * (0.8 + 0.45 * (hash(kecamatan_code, service_code, year(day) * 4 + quarter(day), $seed)::DOUBLE
                              / 18446744073709551616.0))
             * CASE channel WHEN 'online' THEN 0.85 WHEN 'jemput_bola' THEN 1.1 ELSE 1.0 END
             * exp(sigma * z)
             -- late outliers: files that got stuck waiting for a document or a signature
             * CASE WHEN u_out < 0.015 THEN 3 + 12 * u_out / 0.015 ELSE 1.0 END) AS work_hours
    FROM timed
), finished AS (
    SELECT h.*,
           w.day::TIMESTAMP + to_microseconds(CAST(({opens} + h.work_start + h.work_hours
                                                     - (w.wd_no - 1) * {office}) * 3600e6 AS BIGINT)) AS done_at,
           -- a few requests get stuck and stay open: more of the recent ones, a small old tail
           u_out > 1 - (0.0001 + 0.01 * exp(-date_diff('day', h.day, $as_of::DATE) / 30.0)) AS stalled
    FROM hours AS h
    LEFT JOIN gen_workdays AS w ON w.wd_no = CAST(floor((h.work_start + h.work_hours) / {office}) AS BIGINT) + 1
)
SELECT $prefix || '-' || strftime(day, '%Y') || '-'
         || CASE WHEN i < 100000000 THEN lpad(i::VARCHAR, 8, '0') ELSE i::VARCHAR END AS request_id,
       service_code, finished.kecamatan_code, channel, submitted_at,
       CASE WHEN stalled OR done_at IS NULL OR done_at > $as_of THEN NULL ELSE done_at END AS completed_at,
       CASE WHEN stalled OR done_at IS NULL OR done_at > $as_of
                 THEN (CASE WHEN u_status < 0.6 THEN 'in_progress' ELSE 'open' END)
            WHEN u_status < 0.02 THEN 'rejected' ELSE 'completed' END AS status,
       -- a grid point inside the kecamatan (sample_points.csv) plus a jitter smaller than the grid's margin
       round(p.lat + (u_theta - 0.5) * 2 * $jitter, 6) AS lat,
       round(p.lon + (u_jitter - 0.5) * 2 * $jitter, 6) AS lon,
       $load_id::BIGINT AS load_id
FROM finished
JOIN gen_points AS p
  ON p.idx = finished.first_point + least(CAST(floor(u_r * finished.n_points) AS BIGINT), finished.n_points - 1)
ORDER BY submitted_at, i
""".replace("{opens}", str(OFFICE_OPENS)).replace("{office}", str(OFFICE_HOURS))


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Insert many small rows in one statement (one bound list per column; executemany runs a statement per row).

    `table` is a name from this module, never input.
    """
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    select = ", ".join(f"unnest($c{i})" for i in range(len(columns)))
    con.execute(f"INSERT INTO {table} SELECT {select}", {f"c{i}": list(c) for i, c in enumerate(columns)})


def _pick_case(column: str, param_prefix: str, n: int) -> str:
    """`CASE` giving the index of the last interval whose lower bound (bound parameter) is <= `column`.

    `column` and `param_prefix` come from this module only; the bounds themselves are bound as parameters.
    """
    whens = " ".join(f"WHEN {column} >= ${param_prefix}{i} THEN {i}" for i in range(n - 1, 0, -1))
    return f"CASE {whens} ELSE 0 END" if n > 1 else "0"


def stage_generator_tables(con: duckdb.DuckDBPyConnection, pack: Path, window: SampleWindow, rows: int,
                           seed: int) -> dict[str, float]:
    """Small driver tables (days, kecamatan and service weights) the generator SQL joins to.

    Returns the interval lower bounds (`kec<i>`, `svc<i>`) the generator's inverse-CDF picks bind as parameters.
    """
    calendar = {d: (w, no) for d, w, no in con.execute(
        "SELECT day, is_working_day, working_day_no FROM dim_calendar").fetchall()}
    days = day_weights(pack, window, {d: w for d, (w, _) in calendar.items()})
    counts = _apportion(rows, [w for _, w, *_ in days])
    first = 0
    day_rows = []
    for (d, _, c1, c2, c3), n in zip(days, counts, strict=True):
        working, wd_no = calendar[d]
        day_rows.append((d, working, wd_no, n, first, c1, c2, c3))
        first += n
    con.execute("CREATE OR REPLACE TEMP TABLE gen_days (day DATE, working BOOLEAN, wd_no BIGINT, n BIGINT, "
                "first_i BIGINT, ch1 DOUBLE, ch2 DOUBLE, ch3 DOUBLE)")
    _insert_rows(con, "gen_days", day_rows)
    con.execute("CREATE OR REPLACE TEMP TABLE gen_workdays AS SELECT working_day_no AS wd_no, day FROM dim_calendar "
                "WHERE is_working_day")

    kec = _read_csv(pack / "kecamatan.csv")
    points: dict[str, list[tuple[float, float]]] = {}
    for p in _read_csv(pack / "sample_points.csv", optional=True):
        points.setdefault(p["kecamatan_code"], []).append((float(p["lat"]), float(p["lon"])))
    total_pop = sum(float(k["population"]) for k in kec)
    rng = random.Random(seed)
    cum = 0.0
    bounds: dict[str, float] = {}
    kec_rows, point_rows = [], []
    for i, k in enumerate(kec):
        code = k["kecamatan_code"]
        # Without grid points for a kecamatan, fall back to its centroid (jittered within the grid margin).
        pts = points.get(code) or [(float(k["lat"]), float(k["lon"]))]
        kec_rows.append((i, code, cum, len(point_rows), len(pts), round(rng.uniform(0.8, 1.35), 3)))
        point_rows += [(len(point_rows) + j, lat, lon) for j, (lat, lon) in enumerate(pts)]
        bounds[f"kec{i}"] = cum
        cum += float(k["population"]) / total_pop
    con.execute("CREATE OR REPLACE TEMP TABLE gen_kecamatan (idx BIGINT, kecamatan_code VARCHAR, cum_lo DOUBLE, "
                "first_point BIGINT, n_points BIGINT, slow DOUBLE)")
    _insert_rows(con, "gen_kecamatan", kec_rows)
    con.execute("CREATE OR REPLACE TEMP TABLE gen_points (idx BIGINT, lat DOUBLE, lon DOUBLE)")
    _insert_rows(con, "gen_points", point_rows)

    prof = _read_csv(pack / "sample_profile.csv")
    total_share = sum(float(p["share"]) for p in prof)
    cum = 0.0
    svc_rows = []
    for i, p in enumerate(prof):
        svc_rows.append((i, p["service_code"], cum, float(p["median_work_hours_before"]),
                         float(p["median_work_hours_after"]), float(p["sigma"])))
        bounds[f"svc{i}"] = cum
        cum += float(p["share"]) / total_share
    con.execute("CREATE OR REPLACE TEMP TABLE gen_services (idx BIGINT, service_code VARCHAR, cum_lo DOUBLE, "
                "median_before DOUBLE, median_after DOUBLE, sigma DOUBLE)")
    _insert_rows(con, "gen_services", svc_rows)
    return bounds


def day_chunks(con: duckdb.DuckDBPyConnection, chunk_rows: int) -> list[tuple[date, date, int]]:
    """Consecutive runs of days holding about `chunk_rows` requests each: (first day, last day, rows)."""
    chunks: list[tuple[date, date, int]] = []
    lo, n = None, 0
    for day, count in con.execute("SELECT day, n FROM gen_days ORDER BY day").fetchall():
        lo = lo or day
        n += count
        if n >= chunk_rows:
            chunks.append((lo, day, n))
            lo, n = None, 0
    if lo is not None:
        chunks.append((lo, day, n))
    return chunks


def generate_requests(con: duckdb.DuckDBPyConnection, pack: Path, settings: CitySettings, rows: int, seed: int,
                      load_id: int, progress: Callable[[str], None] | None = None,
                      chunk_rows: int = CHUNK_ROWS) -> int:
    """Insert `rows` sample requests into fct_service_requests; return the number inserted.

    Rows are generated a run of days at a time, each run sorted by submitted_at and appended, so the table ends up
    ordered by time (zone maps prune date filters) while only one run is ever held for sorting. Every random number
    is a hash of the request's global row number, so the rows do not depend on how the days are chunked.
    """
    if rows <= 0:
        return 0
    window = SampleWindow.from_settings(settings)
    bounds = stage_generator_tables(con, pack, window, rows, seed)
    n_kec = sum(1 for k in bounds if k.startswith("kec"))
    n_svc = len(bounds) - n_kec
    sql = (REQUESTS_SQL.replace("{kecamatan_pick}", _pick_case("u_kec", "kec", n_kec))
           .replace("{service_pick}", _pick_case("u_svc", "svc", n_svc)))
    y, m = map(int, settings.integration_month.split("-"))
    prefix = settings.request_id_prefix
    params = {"seed": seed, "integration": date(y, m, 1), "as_of": window.as_of, "load_id": load_id,
              "prefix": prefix, "jitter": POINT_JITTER_DEGREES}
    params.update({k: v for k, v in bounds.items() if k not in ("kec0", "svc0")})  # index 0 is the CASE's ELSE
    done, t0 = 0, time.perf_counter()
    chunks = day_chunks(con, chunk_rows)
    for lo, hi, n in chunks:
        con.execute(f"INSERT INTO fct_service_requests {sql}", {**params, "chunk_from": lo, "chunk_to": hi})
        done += n
        if progress and len(chunks) > 1:
            elapsed = time.perf_counter() - t0
            progress(f"  {done:,} / {rows:,} rows (up to {hi.isoformat()}, {done / max(elapsed, 1e-9):,.0f} rows/s)")
    for t in ("gen_days", "gen_workdays", "gen_kecamatan", "gen_points", "gen_services"):
        con.execute(f"DROP TABLE {t}")
    return rows


# --- tourism -----------------------------------------------------------------------------------------------------

def _months(start: date, end: date) -> list[date]:
    out, d = [], date(start.year, start.month, 1)
    while d <= end:
        out.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def tourism_rows(pack: Path, settings: CitySettings, seed: int) -> list[tuple[str, str, date, float, str, str]]:
    """Monthly tourism indicators from 2018-01 to the sample end, anchored to the published BPS figures
    in tourism_anchors.csv; months without a published figure are interpolated between anchors (in log space),
    scaled to published annual totals, or carried forward with modest growth after the last anchor."""
    window = SampleWindow.from_settings(settings)
    months = _months(date(2018, 1, 1), window.end)
    anchors = _read_csv(pack / "tourism_anchors.csv", optional=True)  # a pack without published figures: none
    backcasts = _read_csv(pack / "tourism_backcast.csv") if (pack / "tourism_backcast.csv").exists() else []
    rng = random.Random(seed)
    out = []
    for indicator in sorted({a["indicator"] for a in anchors}):
        rows = [a for a in anchors if a["indicator"] == indicator]
        unit = rows[0]["unit"]
        monthly = {date.fromisoformat(a["period"] + "-01"): (float(a["value"]), a["source"])
                   for a in rows if len(a["period"]) == 7}
        annual = {int(a["period"]): float(a["value"]) for a in rows if len(a["period"]) == 4}
        backcast = [(b["period_from"], b["period_to"], float(b["factor"])) for b in backcasts
                    if b["indicator"] == indicator]
        values: dict[date, tuple[float, str]] = {}
        known = sorted(monthly)
        for mo in months:
            if mo in monthly:
                v, src = monthly[mo]
                values[mo] = (v, f"{TOURISM_SOURCE_PREFIX}BPS figure as published ({src})")
                continue
            before = [k for k in known if k < mo]
            after = [k for k in known if k > mo]
            if before and after:
                a, b = before[-1], after[0]
                t = (mo - a).days / (b - a).days
                va, vb = max(monthly[a][0], 1.0), max(monthly[b][0], 1.0)
                v = math.exp(math.log(va) + t * (math.log(vb) - math.log(va)))
                how = "interpolated between BPS figures"
            elif after and backcast:  # before the first anchor: the first published year, times the COVID profile
                ref = date(after[0].year, mo.month, 1)
                factor = next((f for lo, hi, f in backcast if lo <= mo.isoformat()[:7] <= hi), 1.0)
                v = (monthly.get(ref) or monthly[after[0]])[0] * factor
                how = "back-cast from BPS figures (tourism_backcast.csv)"
            elif after:  # before the first anchor: the same month a year later, a little lower
                ref = date(mo.year + 1, mo.month, 1)
                v = (values.get(ref) or monthly.get(ref) or monthly[after[0]])[0] * 0.96
                how = "back-cast from BPS figures"
            else:  # after the last anchor: the same month a year earlier, with modest growth
                ref = date(mo.year - 1, mo.month, 1)
                v = values[ref][0] * (1.0 if unit == "persen" else 1.04)
                how = "projected from the last BPS figures"
            v *= 1 + rng.uniform(-0.04, 0.04)
            values[mo] = (v, f"{TOURISM_SOURCE_PREFIX}{how}")
        for year, total in annual.items():  # keep published annual totals exact
            in_year = [mo for mo in months if mo.year == year]
            fixed = sum(values[mo][0] for mo in in_year if mo in monthly)
            free = [mo for mo in in_year if mo not in monthly]
            free_sum = sum(values[mo][0] for mo in free)
            if free and free_sum > 0 and total > fixed:
                k = (total - fixed) / free_sum
                for mo in free:
                    values[mo] = (values[mo][0] * k, values[mo][1] + f", scaled to the published {year} total")
        for mo in months:
            v, src = values[mo]
            v = round(min(v, 100.0), 2) if unit == "persen" else float(round(v))
            out.append((indicator, settings.tourism_area, mo, v, unit, src))
    return out


def generate_tourism(con: duckdb.DuckDBPyConnection, pack: Path, settings: CitySettings, seed: int,
                     load_id: int) -> int:
    rows = tourism_rows(pack, settings, seed)
    _insert_rows(con, "fct_tourism_monthly", [(*r, load_id) for r in rows])
    return len(rows)
