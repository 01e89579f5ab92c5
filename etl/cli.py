"""ETL layer: the command-line interface (`python -m etl --help`).

Exit codes: 0 = done (loaded, or nothing new), 1 = rejected / failed with the database unchanged, 2 = usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from etl.build import DEFAULT_ROWS, DEFAULT_SEED, build
from etl.config import db_path
from etl.store import StoreBusy, StoreError, check_readable

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments: exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 itself; keep the message short and clear
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2024-01-31") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def cmd_build(args: argparse.Namespace) -> int:
    db = db_path(args.db)
    if db.exists() and not args.force:
        print(f"{db} already exists; keeping it. Use --force to rebuild it from scratch.", file=sys.stderr)
        return EXIT_REJECTED
    if args.rows < 0:
        raise UsageError("--rows must be 0 or more")
    build(db, rows=args.rows, seed=args.seed, city=args.city)
    return EXIT_OK


def cmd_kpi(args: argparse.Namespace) -> int:
    from kpi.db import Reader
    from kpi.filters import Filters
    from kpi.metrics import by_kecamatan, summary

    if args.date_to < args.date_from:
        raise UsageError("--to is before --from")
    db = db_path(args.db)
    check_readable(db)
    f = Filters(args.date_from, args.date_to, kecamatan=tuple(args.kecamatan or ()), services=tuple(args.service or ()))
    r = Reader(db)
    result: dict[str, Any] = {"period": {"from": f.date_from, "to": f.date_to}, **summary(r, f)}
    frame = by_kecamatan(r, f)
    result["by_kecamatan"] = [
        {k: (None if v != v else v) for k, v in row.items()}  # NaN -> null
        for row in frame[["kecamatan_code", "received", "completed", "median_hours", "on_time_rate"]]
        .astype(object).to_dict(orient="records")
    ]
    if args.json:
        print(json.dumps(result, default=_json_default, ensure_ascii=False))
    else:
        for key in ("received", "completed", "open_at_end", "median_hours", "p90_hours", "on_time_rate"):
            print(f"{key:>14}: {result[key]}")
    return EXIT_OK


def cmd_loads(args: argparse.Namespace) -> int:
    from kpi.db import Reader
    from kpi.queries import load_history

    db = db_path(args.db)
    check_readable(db)
    frame = load_history(Reader(db))
    if args.json:
        print(frame.to_json(orient="records", date_format="iso"))
    else:
        print(frame.to_string(index=False) if len(frame) else "No loads yet.")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m etl", description="Pantau ETL: build, load, inspect and undo data.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    b = sub.add_parser("build", help="create the database: city pack + sample requests + sample tourism data")
    b.add_argument("--db", help="database file (default: PANTAU_DB or data/pantau.duckdb)")
    b.add_argument("--rows", type=int, default=DEFAULT_ROWS, help=f"sample requests (default {DEFAULT_ROWS:,}; 0 = "
                   "reference data only)")
    b.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed; the same seed gives the same data")
    b.add_argument("--city", help="city pack under data/reference (default: PANTAU_CITY or medan)")
    b.add_argument("--force", action="store_true", help="replace an existing database")
    b.set_defaults(func=cmd_build)

    k = sub.add_parser("kpi", help="headline KPIs for a period (the same figures the dashboard shows)")
    k.add_argument("--db")
    k.add_argument("--from", dest="date_from", type=_date, required=True, help="first day, YYYY-MM-DD (WIB)")
    k.add_argument("--to", dest="date_to", type=_date, required=True, help="last day, YYYY-MM-DD (WIB), inclusive")
    k.add_argument("--kecamatan", action="append", help="kecamatan code, e.g. 12.71.11 (repeatable)")
    k.add_argument("--service", action="append", help="service code, e.g. KTP_EL (repeatable)")
    k.add_argument("--json", action="store_true")
    k.set_defaults(func=cmd_kpi)

    lo = sub.add_parser("loads", help="load history (audit trail)")
    lo.add_argument("--db")
    lo.add_argument("--json", action="store_true")
    lo.set_defaults(func=cmd_loads)

    from etl.ops import add_commands as add_ops_commands  # backup, restore, doctor
    add_ops_commands(sub)

    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, StoreBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except KeyboardInterrupt:
        print("interrupted; the database is unchanged", file=sys.stderr)
        return EXIT_REJECTED


if __name__ == "__main__":
    sys.exit(main())
