"""ETL layer: the command-line interface (`python -m etl --help`).

Exit codes: 0 = done (loaded, or nothing new), 1 = rejected / failed with the database unchanged, 2 = usage error;
`alerts` adds 3 = some messages could not be sent (queued for the next run) and 4 = another alerts run was in progress.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from base import clock
from base.settings import DEFAULT_CITY, PackError, db_path
from etl.build import DEFAULT_ROWS, DEFAULT_SEED, build
from etl.store import StoreBusy, StoreError, check_readable

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
EXIT_UNSENT, EXIT_BUSY = 3, 4   # alerts: a send failed and stays queued; another run holds the state file


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


def cmd_refresh(args: argparse.Namespace) -> int:
    from base.clock import now_local
    from etl.reference import load_reference, refresh_calendar
    from etl.store import write_transaction, write_views

    db = db_path(args.db)
    check_readable(db)
    with write_transaction(db) as con:  # refreshes every mart whole before the swap
        load_reference(con)
        refresh_calendar(con, now_local().date())
        write_views(con)
    print(f"{db}: the city pack, the working-day calendar and every mart reloaded with this release's SQL.")
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
        for key in ("received", "completed", "open_at_end", "overdue_at_end", "median_hours", "p90_hours",
                    "on_time_rate"):
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


def cmd_load(args: argparse.Namespace) -> int:
    from etl.ingest import DATASETS, load_file

    modes = DATASETS[args.dataset].MODES
    if args.mode is not None and args.mode not in modes:
        raise UsageError(f"--mode {args.mode} is not a mode of {args.dataset}; use {' or '.join(modes)}")
    db = db_path(args.db)
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    options: dict[str, Any] = {"indicator": args.indicator} if getattr(args, "indicator", None) else {}
    if args.elements is not None or args.keep_repeats:
        if args.dataset != "skm":
            raise UsageError("--elements and --keep-repeats are options of the survey (dataset skm)")
        options.update(elements=args.elements, keep_repeats=args.keep_repeats)
    result = load_file(db, args.dataset, path, mode=args.mode, partial=args.partial, dry_run=args.dry_run,
                       source="cli", options=options)
    if args.json:
        print(json.dumps(result.to_json(args.lang), default=_json_default, ensure_ascii=False))
    else:
        _print_load(result, args.lang)
    if result.status == "loaded" and not args.dry_run:
        _alerts_after_load(db, args.lang)
    return EXIT_OK if result.ok else EXIT_REJECTED


def _alerts_configured() -> bool:
    """Whether the secrets file has an [alerts] section (read without loading the read side)."""
    import tomllib

    from base.settings import secrets_path

    try:
        return "alerts" in tomllib.loads(secrets_path().read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def _alerts_after_load(db: Path, lang: str) -> None:
    """After a successful load, when [alerts] is configured: one alerts run, reported on stderr. A failure here never
    undoes or fails the load (cron runs `alerts` again within 15 minutes)."""
    if not _alerts_configured():
        return
    from base.i18n import t

    try:
        result, _ = _alerts_run(db, None, dry_run=False, lang=lang)
        print(t("alerts.cli.after_load", lang, summary=_alerts_summary(result, lang)), file=sys.stderr)
    except Exception as exc:  # the load succeeded: whatever failed here is reported, not raised
        print(f"alerts: {exc}", file=sys.stderr)


def _print_load(result: Any, lang: str) -> None:
    out = sys.stdout if result.ok else sys.stderr
    print(f"{result.status}: {result.file_name} -> {result.dataset} (load {result.load_id}); read {result.rows_read}, "
          f"loaded {result.rows_loaded}, rejected {result.rows_rejected}", file=out)
    if result.encoding:
        print(f"  encoding {result.encoding}, delimiter {result.delimiter}"
              + (f", dates {result.date_order}" if result.date_order else ""), file=out)
    for c in result.to_json(lang)["dropped_columns"]:
        print(f"  dropped column {c['column']!r}: {c['reason']}", file=out)
    for p in result.errors[:20]:
        where = f"line {p.line}" if p.line else "file"
        print(f"  error {where}" + (f", column {p.column!r}" if p.column else "") + f": {p.reason(lang)}", file=out)
    if result.error_total > 20:
        print(f"  ... {result.error_total - 20} more errors (use --json for the first 100)", file=out)
    for p in result.warnings:
        print(f"  warning: {p.reason(lang)}", file=out)


def cmd_rollback(args: argparse.Namespace) -> int:
    from etl.ingest import rollback

    db = db_path(args.db)
    check_readable(db)
    result = rollback(db, args.load_id)
    print(result.message(args.lang), file=sys.stdout if result.ok else sys.stderr)
    return EXIT_OK if result.ok else EXIT_REJECTED


def _unwritable(out: Path) -> str | None:
    """Why `out` cannot be written (checked before the work, so a bad path fails at once), or None."""
    if out.is_dir():
        return "is a folder"
    if not out.parent.is_dir():
        return f"folder {out.parent} does not exist"
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        return "permission denied"
    return None


def cmd_briefing(args: argparse.Namespace) -> int:
    # The entry point may reach the read side's briefing (tests/test_layers.py allows exactly this import); it is
    # imported here, not at the top, so the writer's commands never load Typst or vl-convert.
    from base.i18n import t
    from kpi.briefing import BriefingError, Request, last_complete_week, make, parse_week, week_label
    from kpi.briefing.mail import MailError, mail_settings, message, send
    from kpi.db import Reader

    lang = args.lang
    out = Path(args.out).expanduser()
    problem = _unwritable(out)
    if problem:
        raise UsageError(t("briefing.error.out", lang, path=out, reason=problem))
    try:
        settings = mail_settings() if args.email else None
    except MailError as exc:
        raise UsageError(exc.message(lang)) from None
    db = db_path(args.db)
    check_readable(db)
    r = Reader(db)
    week = args.week or last_complete_week(r)
    if week is None:
        raise UsageError(t("briefing.error.no_data", lang))
    try:
        week = week_label(parse_week(week))  # 2026-w44 and 2026W44 are written 2026-W44
        briefing = make(r, Request(week, tuple(args.kecamatan or ()), tuple(args.service or ()), lang))
    except BriefingError as exc:
        raise UsageError(exc.message(lang)) from None
    partial = out.with_name(f".{out.name}.part")  # a reader (or a mail) never sees half a file
    try:
        partial.write_bytes(briefing.pdf)
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UsageError(t("briefing.error.out", lang, path=out, reason=exc.strerror or exc)) from None
    size = f"{len(briefing.pdf) / 1024:,.0f} KB"
    print(t("briefing.cli.written", lang, path=out, week=week, pages=briefing.pages, size=size))
    if settings is not None:
        try:
            send(settings, message(settings, briefing.pdf, out.name, briefing.request.week, lang), out)
        except MailError as exc:
            print(f"error: {exc.message(lang)}", file=sys.stderr)
            return EXIT_USAGE
        print(t("briefing.cli.sent", lang, to=", ".join(settings.to)))
    return EXIT_OK


def cmd_skm(args: argparse.Namespace) -> int:
    # The read side's survey figures (kpi.skm), imported here so a `load` never loads them.
    import kpi.skm as skm
    from base.i18n import t
    from kpi.db import Reader
    from kpi.filters import Filters

    lang = args.lang
    if args.date_to < args.date_from:
        raise UsageError(t("satisfaction.error.dates", lang, to=args.date_to, start=args.date_from))
    db = db_path(args.db)
    check_readable(db)
    r = Reader(db)
    services = tuple(args.service or ())
    try:
        skm.check(r, args.unit, services, lang)
    except skm.SkmError as exc:
        raise UsageError(exc.message(lang)) from None
    f = Filters(args.date_from, args.date_to, services=services)
    if args.json:
        print(json.dumps(skm.summary_json(r, f, args.unit), ensure_ascii=False))
        return EXIT_OK
    _print_skm(r, f, args.unit, lang)
    return EXIT_OK


def _print_skm(r: Any, f: Any, unit: str | None, lang: str) -> None:
    """The survey's figures as a table a person reads (the same figures as --json, with names and on-time rates)."""
    import kpi.fmt as fmt
    import kpi.skm as skm
    from base.i18n import t

    service = t("satisfaction.cli.service", lang, codes=", ".join(f.services)) if f.services else ""
    print(t("satisfaction.cli.header", lang, start=fmt.day(f.date_from, lang), end=fmt.day(f.date_to, lang),
            service=service))
    frame = skm.unit_results(r, f, lang, unit)
    if frame.empty:
        print(t("satisfaction.cli.none", lang))
        return
    header = t("satisfaction.cli.columns", lang).split("|")
    name = 44  # a unit's name is cut to this many characters: the code beside it says which unit
    rows = [[f"{row.unit_code:<12} {row.name if len(row.name) <= name else row.name[:name - 1] + '…'}",
             fmt.number(row.respondents, lang),
             "–" if row.sample_needed is None or row.sample_needed != row.sample_needed
             else fmt.number(row.sample_needed, lang),
             fmt.number(row.ikm_2dp, lang, 2), row.mutu, fmt.percent(row.on_time_rate, lang)]
            for row in frame.itertuples()]
    widths = [max(len(str(x[i])) for x in [header, *rows]) for i in range(len(header))]
    for line in [header, *rows]:
        print("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in
                        enumerate(zip(line, widths, strict=True))))
    every = skm.overall(r, f, unit)
    print(t("satisfaction.cli.overall", lang, units=every["units"], respondents=fmt.number(every["respondents"], lang),
            ikm=fmt.number(every["ikm"], lang, 2), grade=every["mutu"]))


def cmd_skm_report(args: argparse.Namespace) -> int:
    # The report is drawn by the read side's briefing engine (kpi.briefing.skm_report), imported here only.
    import kpi.skm as skm
    from base.i18n import t
    from kpi.briefing.skm_report import ReportRequest, make
    from kpi.db import Reader

    lang = args.lang
    out = Path(args.out).expanduser()
    problem = _unwritable(out)
    if problem:
        raise UsageError(t("satisfaction.error.out", lang, path=out, reason=problem))
    db = db_path(args.db)
    check_readable(db)
    try:
        req = ReportRequest(args.unit, skm.period_name(args.period), lang, tuple(args.service or ()))
        report = make(Reader(db), req)
    except skm.SkmError as exc:
        raise UsageError(exc.message(lang)) from None
    partial = out.with_name(f".{out.name}.part")  # a reader never sees half a file
    try:
        partial.write_bytes(report.pdf)
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UsageError(t("satisfaction.error.out", lang, path=out, reason=exc.strerror or exc)) from None
    print(t("satisfaction.cli.written", lang, path=out, unit=req.unit, period=req.period, pages=report.pages,
            size=f"{len(report.pdf) / 1024:,.0f} KB"))
    return EXIT_OK


def _at(text: str | None, lang: str) -> Any:
    from datetime import datetime

    from base.i18n import t

    if text is None:
        return clock.now_local()
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise UsageError(t("alerts.cli.bad_at", lang, value=text)) from None


def _alerts_run(db: Path, at_text: str | None, *, dry_run: bool, lang: str) -> tuple[Any, Any]:
    """One alerts run (kpi.alerts, imported here only): (RunResult, settings). UsageError names what to fix."""
    from base.alerts import rules
    from base.i18n import t
    from base.settings import PackError, secrets_path
    from kpi.alerts import AlertConfigError, CalendarEnds, default_path, load_settings, run
    from kpi.db import Reader

    at = _at(at_text, lang)
    try:
        chosen = rules()
        settings = load_settings()
    except PackError as exc:
        raise UsageError(str(exc)) from None
    except AlertConfigError as exc:
        raise UsageError(exc.message(lang)) from None
    if settings is None and not dry_run:
        raise UsageError(t("alerts.cli.not_configured", lang, path=secrets_path()))
    check_readable(db)
    state = settings.state_path(db) if settings else default_path(db)
    try:
        return run(Reader(db), chosen, settings, at, state, dry_run=dry_run), settings
    except CalendarEnds as exc:
        raise UsageError(t("alerts.cli.calendar", lang, last=exc.last)) from None


def _alerts_summary(result: Any, lang: str) -> str:
    from base.i18n import t

    states = [a["state"] for a in result.alerts]
    values = {"at": result.at.strftime("%Y-%m-%d %H:%M"), "alerts": len(states) - states.count("resolved"),
              "new": states.count("new"), "resolved": states.count("resolved")}
    if result.dry_run:
        return t("alerts.cli.dry_run", lang, **values, messages=len(result.notifications))
    return t("alerts.cli.summary", lang, **values, sent=result.sent, failed=result.failed)


def cmd_alerts(args: argparse.Namespace) -> int:
    # The entry point reaches the read side's alerts (tests/test_layers.py allows exactly this import) inside
    # _alerts_run, so other commands never load it.
    import sqlite3

    from base.i18n import t

    lang = args.lang
    db = db_path(args.db)
    try:
        result, settings = _alerts_run(db, args.at, dry_run=args.dry_run, lang=lang)
    except sqlite3.Error as exc:
        raise StoreError(f"the alert state file cannot be used ({exc}); see docs/operations.md, 'Alerts'") from exc
    if result.busy:
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False))
        from kpi.alerts import default_path

        state = settings.state_path(db) if settings else default_path(db)
        print(t("alerts.cli.busy", lang, path=state.with_name(state.name + ".lock")), file=sys.stderr)
        return EXIT_BUSY
    if result.in_doubt:
        print(t("alerts.cli.in_doubt", lang, n=len(result.in_doubt), ids=", ".join(result.in_doubt)), file=sys.stderr)
    if settings is not None and not args.dry_run:
        from base.alerts import rules

        lonely = sorted({role for rule in rules() for role in rule.roles} - settings.roles())
        if lonely:
            print(t("alerts.cli.no_recipient", lang, roles=", ".join(lonely)), file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        for a in result.alerts:
            if a["state"] != "resolved":
                print(t("alerts.cli.alert", lang, rule=a["rule"], unit=a["unit_code"] or "-", step=a["step"] + 1,
                        count=len(a["request_ids"]), new=len(a["new_request_ids"])))
        print(_alerts_summary(result, lang))
        for n in result.notifications:
            if n["status"] == "failed":
                print(f"  failed {n['id']} -> {n['recipient']}: {n.get('error', '')}", file=sys.stderr)
    return EXIT_UNSENT if result.failed else EXIT_OK


def cmd_hash_password(args: argparse.Namespace) -> int:
    import getpass

    from etl.ingest.auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Password for the upload page: ")
        if password != getpass.getpass("Repeat: "):
            raise UsageError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 10:
        raise UsageError("use at least 10 characters")
    print("# add to .streamlit/secrets.toml")
    print("[upload]")
    print(f'password_hash = "{hash_password(password)}"')
    return EXIT_OK


def _zone_label() -> str:
    """The city's time zone label for help texts; help must work even when the city pack is broken."""
    try:
        return clock.label()
    except (OSError, ValueError):
        return "local time"


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m etl", description="Pantau ETL: build, load, inspect and undo data.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    b = sub.add_parser("build", help="create the database: city pack + sample requests + sample tourism data")
    b.add_argument("--db", help="database file (default: PANTAU_DB or data/pantau.duckdb)")
    b.add_argument("--rows", type=int, default=DEFAULT_ROWS, help=f"sample requests (default {DEFAULT_ROWS:,}; 0 = "
                   "reference data only)")
    b.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed; the same seed gives the same data")
    b.add_argument("--city", help=f"city pack under data/reference, or its folder (default: PANTAU_CITY or "
                                  f"{DEFAULT_CITY})")
    b.add_argument("--force", action="store_true", help="replace an existing database")
    b.set_defaults(func=cmd_build)

    rf = sub.add_parser("refresh", help="reload the city pack and the calendar, rebuild every mart from the facts "
                        "(after an upgrade, or an edited pack: services, holidays)")
    rf.add_argument("--db")
    rf.set_defaults(func=cmd_refresh)

    k = sub.add_parser("kpi", help="headline KPIs for a period (the same figures the dashboard shows)")
    k.add_argument("--db")
    zone = _zone_label()
    k.add_argument("--from", dest="date_from", type=_date, required=True, help=f"first day, YYYY-MM-DD ({zone})")
    k.add_argument("--to", dest="date_to", type=_date, required=True, help=f"last day, YYYY-MM-DD ({zone}), inclusive")
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

    ld = sub.add_parser("load", help="load a CSV/TSV/Excel file (service_requests, tourism, programmes: the "
                                     "smart-city master plan, skm: the satisfaction survey, skm_actions: its "
                                     "follow-up plan)")
    ld.add_argument("dataset", choices=["service_requests", "tourism", "programmes", "skm", "skm_actions"])
    ld.add_argument("file")
    ld.add_argument("--db")
    ld.add_argument("--mode", choices=["upsert", "append", "replace"], default=None,
                    help="upsert (the default, skm: append): update ids already loaded; append: refuse them; "
                         "replace: the whole table (skm: the file's units over its dates; skm_actions: the file's "
                         "units and periods)")
    ld.add_argument("--partial", action="store_true", help="load the valid rows; invalid rows go to `rejects`")
    ld.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    ld.add_argument("--indicator", help="tourism, BPS table layout: the indicator the table holds (e.g. wisnus_trips)")
    ld.add_argument("--elements", help="skm: the element of each element column, left to right, e.g. "
                    "u1,u2,u3,u4,u5,u6,u7,u9,u8 (codes in the regulation's order, or names; - for a column that is "
                    "no element); overrides the headers, codes included")
    ld.add_argument("--keep-repeats", action="store_true", help="skm: keep rows of the same phone or e-mail for "
                    "the same unit within 24 hours (default: keep the first, list the others in the warnings)")
    ld.add_argument("--json", action="store_true", help="print one JSON object")
    ld.add_argument("--lang", choices=["en", "id"], default="en", help="language of messages (default en)")
    ld.set_defaults(func=cmd_load)

    rb = sub.add_parser("rollback", help="undo a load (the latest, or one no later load depends on)")
    rb.add_argument("load_id", type=int)
    rb.add_argument("--db")
    rb.add_argument("--lang", choices=["en", "id"], default="en")
    rb.set_defaults(func=cmd_rollback)

    br = sub.add_parser("briefing", help="the weekly briefing of one ISO week as a PDF (optionally e-mailed)")
    br.add_argument("--db")
    br.add_argument("--week", help="ISO week, e.g. 2026-W44 (default: the last complete week in the data)")
    br.add_argument("--lang", choices=["id", "en"], default="id", help="language of the briefing and messages "
                    "(default id)")
    br.add_argument("--kecamatan", action="append", help="kecamatan code, e.g. 12.71.11 (repeatable)")
    br.add_argument("--service", action="append", help="service code, e.g. KTP_EL (repeatable)")
    br.add_argument("--out", required=True, help="the PDF file to write")
    br.add_argument("--email", action="store_true", help="also send it to the list in .streamlit/secrets.toml "
                    "([briefing]: host, port, from, to; see docs/operations.md)")
    br.set_defaults(func=cmd_briefing)

    sk = sub.add_parser("skm", help="the satisfaction index (IKM) of each unit with respondents in a period, and "
                        "the city's (Permenpan RB 14/2017)")
    sk.add_argument("--db")
    sk.add_argument("--from", dest="date_from", type=_date, required=True, help=f"first day, YYYY-MM-DD ({zone})")
    sk.add_argument("--to", dest="date_to", type=_date, required=True, help=f"last day, YYYY-MM-DD ({zone}), "
                    "inclusive")
    sk.add_argument("--unit", help="one unit's code, e.g. DISDUKCAPIL (default: every unit)")
    sk.add_argument("--service", action="append", help="only respondents naming this service, e.g. KTP_EL "
                    "(repeatable)")
    sk.add_argument("--json", action="store_true", help="print one JSON object (data/README.md, 'Satisfaction')")
    sk.add_argument("--lang", choices=["id", "en"], default="id", help="language of the table and messages "
                    "(default id)")
    sk.set_defaults(func=cmd_skm)

    sr = sub.add_parser("skm-report", help="one unit's SKM report for a survey period as a PDF")
    sr.add_argument("--db")
    sr.add_argument("--unit", required=True, help="the unit's code, e.g. DISDUKCAPIL")
    sr.add_argument("--period", required=True, help="the survey period: YYYY-S1, YYYY-S2, YYYY-Qn or YYYY")
    sr.add_argument("--service", action="append", help="only respondents naming this service (repeatable)")
    sr.add_argument("--lang", choices=["id", "en"], default="id", help="language of the report and messages "
                    "(default id)")
    sr.add_argument("--out", required=True, help="the PDF file to write")
    sr.set_defaults(func=cmd_skm_report)

    al = sub.add_parser("alerts", help="decide which alerts hold (the city pack's alerts.toml) and tell their "
                        "recipients ([alerts] in .streamlit/secrets.toml); cron, every 15 minutes and after each load",
                        description="Exit codes: 0 done; 1 the database or the alert state file cannot be read; 2 "
                        "bad input or settings (the message says what to fix); 3 some messages could not be sent and "
                        "stay queued for the next run; 4 another alerts run was in progress (nothing done).")
    al.add_argument("--db")
    al.add_argument("--at", help=f"evaluate as if it were this local time, \"YYYY-MM-DD HH:MM\" ({zone}); default now")
    al.add_argument("--dry-run", action="store_true", help="send nothing and record nothing")
    al.add_argument("--json", action="store_true", help="print one JSON object (alerts and notifications)")
    al.add_argument("--lang", choices=["id", "en"], default="id", help="language of this command's messages "
                    "(recipients get their own)")
    al.set_defaults(func=cmd_alerts)

    hp = sub.add_parser("hash-password", help="print the secrets.toml line for the upload page's analyst password")
    hp.set_defaults(func=cmd_hash_password)

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
    except PackError as exc:  # the city pack itself is wrong (e.g. its skm_words.toml): nothing was changed
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except KeyboardInterrupt:
        print("interrupted; the database is unchanged", file=sys.stderr)
        return EXIT_REJECTED


if __name__ == "__main__":
    sys.exit(main())
