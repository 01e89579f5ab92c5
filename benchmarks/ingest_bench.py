"""Benchmark: `python -m etl load` against DuckDB's bare CREATE TABLE AS read_csv on the same canonical CSV.

    python benchmarks/ingest_bench.py --rows 1000000 [--repeat 3] [--dir /tmp/pantau-bench]
    python benchmarks/ingest_bench.py --rows 1000000 --kind realistic     # as systems export: see make_realistic
    python benchmarks/ingest_bench.py --rows 1000000 --kind bad           # realistic with 1% bad rows, --partial
    python benchmarks/ingest_bench.py --rows 10000 --into /tmp/perf10m.duckdb   # a nightly load into a big database

With --before DIR, every round also loads the same file with the code checked out in DIR (e.g. `git worktree add
/tmp/before HEAD~3`), so the two versions are compared side by side in one run, against the same bare reads.

With --into, the file holds new requests of the last 7 days before that database's newest day (a nightly extract),
and each load goes into a fresh copy of that database instead of an empty one.

Both run as child processes, side by side in one run, alternating; wall time and peak RSS (from wait4) per run;
the table reports medians and the load/bare ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE = ("import duckdb, sys; con = duckdb.connect(sys.argv[2]); "
        "con.execute(\"CREATE TABLE t AS SELECT * FROM read_csv('\" + sys.argv[1] + \"')\"); con.close()")


def make_recent_csv(path: Path, rows: int, db: Path) -> None:
    """New requests of the 7 days before `db`'s newest submission, 60% completed by then: a nightly extract."""
    con = duckdb.connect()
    con.execute("ATTACH ? AS big (READ_ONLY)", [str(db)])
    end = con.execute("SELECT max(submitted_at) FROM big.fct_service_requests").fetchone()[0]
    con.execute("DETACH big")
    con.execute(f"""
        COPY (
            SELECT 'N-' || lpad(i::VARCHAR, 9, '0') AS request_id,
                   (['KTP_EL','KK','AKTA_LAHIR','KIA','NIB','LAPOR_ADUAN'])[1 + i % 6] AS service_code,
                   '12.71.' || lpad((1 + (i * 7) % 21)::VARCHAR, 2, '0') AS kecamatan_code,
                   (['loket_kecamatan','mpp','online','jemput_bola'])[1 + (i * 3) % 4] AS channel,
                   strftime($end - to_seconds(3600 + (i * 211) % (7 * 86400)), '%Y-%m-%d %H:%M:%S') AS submitted_at,
                   CASE WHEN i % 5 < 2 THEN NULL
                        ELSE strftime($end - to_seconds((i * 211) % 3600), '%Y-%m-%d %H:%M:%S') END AS completed_at,
                   CASE WHEN i % 5 < 2 THEN 'open' ELSE 'completed' END AS status,
                   round(3.55 + (i % 1000) / 10000.0, 6) AS lat,
                   round(98.65 + (i % 777) / 10000.0, 6) AS lon
            FROM range({rows}) AS t(i)
        ) TO '{path}' (HEADER)
    """, {"end": end})
    con.close()


def make_csv(path: Path, rows: int) -> None:
    """A canonical service-request extract: codes, ISO timestamps, ~90% completed, coordinates."""
    con = duckdb.connect()
    con.execute(f"""
        COPY (
            SELECT 'B-' || lpad(i::VARCHAR, 9, '0') AS request_id,
                   (['KTP_EL','KK','AKTA_LAHIR','AKTA_MATI','PINDAH','DATANG','KIA','PBG','NIB','REKLAME',
                     'LAPOR_INFO','LAPOR_ADUAN','LAPOR_LAPANGAN'])[1 + i % 13] AS service_code,
                   '12.71.' || lpad((1 + (i * 7) % 21)::VARCHAR, 2, '0') AS kecamatan_code,
                   (['loket_kecamatan','mpp','online','jemput_bola'])[1 + (i * 3) % 4] AS channel,
                   strftime(TIMESTAMP '2019-01-01 08:00:00' + to_seconds((i * 211) % 220000000), '%Y-%m-%d %H:%M:%S')
                       AS submitted_at,
                   CASE WHEN i % 10 = 0 THEN NULL ELSE strftime(TIMESTAMP '2019-01-01 08:00:00'
                       + to_seconds((i * 211) % 220000000 + 3600 + (i * 37) % 400000), '%Y-%m-%d %H:%M:%S') END
                       AS completed_at,
                   CASE WHEN i % 10 = 0 THEN 'open' ELSE 'completed' END AS status,
                   round(3.50 + (i % 1000) / 5000.0, 6) AS lat,
                   round(98.60 + (i % 777) / 5000.0, 6) AS lon
            FROM range({rows}) AS t(i)
            WHERE TIMESTAMP '2019-01-01 08:00:00' + to_seconds((i * 211) % 220000000 + 3600 + (i * 37) % 400000)
                  < TIMESTAMP '2025-12-31'
        ) TO '{path}' (HEADER)
    """)
    con.close()


def make_realistic(canonical: Path, path: Path, bad_share: float = 0.0) -> int:
    """The canonical extract as real systems write it: every field quoted, CRLF line ends, 10% of the timestamps with
    an offset (+07:00, Z, +00:00, as API exports write them), 20% of the kecamatan written as names ("Medan Johor",
    "Kec. Medan Johor"), and with `bad_share` of the rows broken (a date that does not exist, an unknown kecamatan).
    Returns the number of bad rows."""
    from base.clock import utc_offset_minutes
    from base.settings import city_dir

    con = duckdb.connect()
    names = con.execute("SELECT kecamatan_code, name FROM read_csv(?, header = true)",
                        [str(city_dir() / "kecamatan.csv")]).fetchall()
    con.execute("CREATE TEMP TABLE kec AS SELECT unnest($c) AS code, unnest($n) AS name",
                {"c": [c for c, _ in names], "n": [n for _, n in names]})
    bad_every = int(2 / bad_share) if bad_share else 0  # two kinds of bad row per `bad_every` rows
    local = int(utc_offset_minutes())  # offsets: the same instant written in another zone
    con.execute("""
        CREATE TEMP TABLE r AS
        SELECT row_number() OVER () AS i, * FROM read_csv(?, header = true, all_varchar = true)""", [str(canonical)])
    n_bad = con.execute(f"SELECT count(*) FROM r WHERE {bad_every} > 0 AND i % {max(bad_every, 1)} IN (7, 11)"
                        ).fetchone()[0]
    con.execute(f"""
        COPY (
            SELECT request_id, service_code,
                   CASE WHEN {bad_every} > 0 AND i % {max(bad_every, 1)} = 7 THEN 'Kecamatan Tidak Ada'
                        WHEN i % 5 = 1 THEN k.name WHEN i % 10 = 3 THEN 'Kec. ' || k.name
                        ELSE kecamatan_code END AS kecamatan_code,
                   channel,
                   CASE WHEN {bad_every} > 0 AND i % {max(bad_every, 1)} = 11 THEN '31/02/2025 25:00'
                        WHEN i % 30 = 2 THEN strftime(CAST(submitted_at AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S') || '+07:00'
                        WHEN i % 30 = 12 THEN strftime(CAST(submitted_at AS TIMESTAMP)
                                                       - to_minutes({local}), '%Y-%m-%dT%H:%M:%SZ')
                        WHEN i % 30 = 22 THEN strftime(CAST(submitted_at AS TIMESTAMP)
                                                       - to_minutes({local}), '%Y-%m-%dT%H:%M:%S') || '+00:00'
                        ELSE submitted_at END AS submitted_at,
                   CASE WHEN completed_at IS NULL THEN NULL
                        WHEN i % 30 = 2 THEN strftime(CAST(completed_at AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S') || '+07:00'
                        WHEN i % 30 = 12 THEN strftime(CAST(completed_at AS TIMESTAMP)
                                                       - to_minutes({local}), '%Y-%m-%dT%H:%M:%SZ')
                        ELSE completed_at END AS completed_at,
                   status, lat, lon
            FROM r JOIN kec AS k ON k.code = r.kecamatan_code
            ORDER BY i
        ) TO '{path}.lf' (HEADER, FORCE_QUOTE *)
    """)
    con.close()
    with open(f"{path}.lf", "rb") as src, open(path, "wb") as dst:  # CRLF, as Windows systems write
        for line in src:
            dst.write(line.rstrip(b"\n") + b"\r\n")
    Path(f"{path}.lf").unlink()
    return int(n_bad)


def run(cmd: list[str], out: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(seconds, peak RSS MiB, exit code) of one child process; its stdout goes to `out`."""
    t0 = time.perf_counter()
    with open(out or os.devnull, "wb") as sink:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=sink, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        print(proc.stderr.read().decode()[-2000:], file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/pantau-ingest-bench")
    ap.add_argument("--into", help="load into copies of this database (a nightly load) instead of an empty one")
    ap.add_argument("--kind", choices=["canonical", "realistic", "bad"], default="canonical",
                    help="canonical codes and ISO times; realistic: as systems export (offsets, names, quotes, CRLF); "
                         "bad: realistic with 1%% bad rows, loaded with --partial")
    ap.add_argument("--full-path", action="store_true",
                    help="also time each load with the fast path off (PANTAU_FAST_LOAD=0), as for a messy file")
    ap.add_argument("--before", help="also load with the code in this directory each round (a same-run comparison)")
    ap.add_argument("--make-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--name", default=None, help="also write benchmarks/results/<name>.json")
    args = ap.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    if args.into:
        csv_path = work / f"nightly_{args.rows}.csv"
        make_recent_csv(csv_path, args.rows, Path(args.into))
        base = Path(args.into)
    elif args.make_only:  # in a child process: see below
        csv_path = work / f"requests_{args.rows}.csv"
        if not csv_path.exists():
            make_csv(csv_path, args.rows)
        if args.kind != "canonical":
            print(make_realistic(csv_path, work / f"requests_{args.rows}_{args.kind}.csv",
                                 0.01 if args.kind == "bad" else 0.0))
        return 0
    else:
        # The files are made in a child process: Linux keeps a process's peak RSS across fork and exec, so a parent
        # that had built a 10M-row file in memory would lend that peak to every child measured after it.
        made = subprocess.run([sys.executable, __file__, "--make-only", "--rows", str(args.rows), "--kind", args.kind,
                               "--dir", str(work)], check=True, capture_output=True, text=True)
        csv_path = work / f"requests_{args.rows}.csv"
        if args.kind != "canonical":
            csv_path = work / f"requests_{args.rows}_{args.kind}.csv"
            n_bad = int(made.stdout.split()[-1])
        base = work / "base.duckdb"
    if not base.exists():
        from etl.build import build

        build(base, rows=0, progress=lambda _m: None)
    size_mb = csv_path.stat().st_size / 2**20
    print(f"file: {csv_path} ({size_mb:,.0f} MiB, {args.rows:,} rows requested)")
    bare_t, bare_m, load_t, load_m, full_t, full_m = [], [], [], [], [], []
    before_t: list[float] = []
    phases_all: list[dict] = []
    loads: list[float] = []  # the 1-minute load average at each round (other work on the machine)
    before_phases: list[dict] = []
    for i in range(args.repeat):
        bare_db = work / "bare.duckdb"
        bare_db.unlink(missing_ok=True)
        s, m, rc = run([sys.executable, "-c", BARE, str(csv_path), str(bare_db)])
        assert rc == 0
        bare_t.append(s)
        bare_m.append(m)
        db = work / "pantau.duckdb"
        shutil.copyfile(base, db)
        s, m, rc = run([sys.executable, "-m", "etl", "load", "service_requests", str(csv_path), "--db", str(db),
                        "--json", *(["--partial"] if args.kind == "bad" else [])], out=work / "load.json")
        assert rc == 0, "load failed"
        result = json.loads((work / "load.json").read_text())
        phases = result["timings"]
        phases_all.append(phases)
        if args.kind == "bad":  # every bad row is named by its line
            con = duckdb.connect(str(db), read_only=True)
            named = con.execute("SELECT count(DISTINCT line) FROM rejects WHERE line IS NOT NULL").fetchone()[0]
            con.close()
            assert result["rows_rejected"] == n_bad == named, (result["rows_rejected"], n_bad, named)
        load_t.append(s)
        load_m.append(m)
        loads.append(os.getloadavg()[0])
        print(f"run {i + 1} (load {loads[-1]:.2f}): bare {bare_t[-1]:.2f} s / {bare_m[-1]:.0f} MiB, "
              f"etl load {load_t[-1]:.2f} s / {load_m[-1]:.0f} MiB; phases {phases}")
        if args.before:  # the same load with the other version's code (its own `python -m etl` in its directory)
            shutil.copyfile(base, db)
            t0 = time.perf_counter()
            with open(work / "load_before.json", "wb") as sink:
                done = subprocess.run([sys.executable, "-m", "etl", "load", "service_requests", str(csv_path), "--db",
                                       str(db), "--json", *(["--partial"] if args.kind == "bad" else [])],
                                      cwd=args.before, stdout=sink, stderr=subprocess.PIPE)
            before_t.append(time.perf_counter() - t0)
            assert done.returncode == 0, done.stderr.decode()[-2000:]
            before_phases.append(json.loads((work / "load_before.json").read_text())["timings"])
            print(f"       before ({args.before}) {before_t[-1]:.2f} s; phases {before_phases[-1]}")
        if args.full_path:  # the same load with the fast path off: what a file that is not canonical costs
            shutil.copyfile(base, db)
            s, m, rc = run([sys.executable, "-m", "etl", "load", "service_requests", str(csv_path), "--db", str(db),
                            "--json"], out=work / "load.json", env={"PANTAU_FAST_LOAD": "0"})
            assert rc == 0, "load failed"
            full_t.append(s)
            full_m.append(m)
            print(f"       full path {s:.2f} s / {m:.0f} MiB; phases "
                  f"{json.loads((work / 'load.json').read_text())['timings']}")
    con = duckdb.connect(str(work / "pantau.duckdb"), read_only=True)
    loaded = con.execute("SELECT rows_loaded FROM loads ORDER BY load_id DESC LIMIT 1").fetchall()[0][0]
    con.close()
    bt, lt = statistics.median(bare_t), statistics.median(load_t)
    # runs alternate, so each pair saw about the same machine load: the median of the pair ratios is the figure
    ratio = statistics.median(lo / b for lo, b in zip(load_t, bare_t, strict=True))
    print()
    print("| rows | bare CTAS read_csv (s) | etl load (s) | ratio (median of pairs) | bare peak RSS (MiB) "
          "| load peak RSS (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {loaded:,} | {bt:.2f} | {lt:.2f} | {ratio:.2f} | {max(bare_m):.0f} | {max(load_m):.0f} |")
    if before_t:
        before_ratio = statistics.median(b / bare for b, bare in zip(before_t, bare_t, strict=True))
        print(f"before ({args.before}): {statistics.median(before_t):.2f} s, ratio {before_ratio:.2f} "
              f"(this code: {ratio:.2f}; this ÷ before, median of rounds: "
              f"{statistics.median(lo / b for lo, b in zip(load_t, before_t, strict=True)):.2f})")
    if full_t:
        full_ratio = statistics.median(f / b for f, b in zip(full_t, bare_t, strict=True))
        print(f"full path (fast path off): {statistics.median(full_t):.2f} s, ratio {full_ratio:.2f}, "
              f"peak {max(full_m):.0f} MiB")
    if args.name:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from common import machine, save

        result = {"machine": machine(), "rows": loaded, "kind": args.kind, "into": args.into, "bare_s": bare_t,
                  "load_s": load_t, "ratio_median_of_pairs": round(ratio, 3), "bare_peak_mib": bare_m,
                  "load_peak_mib": load_m, "load_phases": phases_all, "load_average": loads}
        if before_t:
            result.update(before=args.before, before_s=before_t, before_phases=before_phases,
                          before_ratio_median_of_pairs=round(statistics.median(
                              b / bare for b, bare in zip(before_t, bare_t, strict=True)), 3))
        print(f"saved {save(args.name, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
