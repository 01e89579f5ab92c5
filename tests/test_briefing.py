"""Tier 2–3: the weekly briefing. The PDF's own text (read back with pypdf) holds the KPI layer's figures for the same
week and filters, in both languages; its fonts are embedded; an empty week says so; the command line refuses bad
input with exit 2; the e-mail reaches a real SMTP server started here."""

from __future__ import annotations

import copy
import io
import math
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from city_packs import SHIPPED
from pypdf import PdfReader

from base.i18n import t
from base.settings import city_settings
from etl.build import build
from kpi import fmt, metrics, queries
from kpi.briefing import BriefingError, Request, check, last_complete_week, make, parse_week
from kpi.briefing.content import HEADLINE, gather, week_within
from kpi.briefing.render import compile_pdf
from kpi.db import Reader

ROOT = Path(__file__).resolve().parent.parent


def text_of(pdf: bytes) -> list[str]:
    """Each page's text, whitespace folded (lines wrap where the layout wants)."""
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def reader(sample_db: Path) -> Reader:
    return Reader(sample_db)


@pytest.fixture(scope="module")
def week(reader: Reader) -> str:
    return last_complete_week(reader)


@pytest.fixture(scope="module")
def briefings(reader: Reader, week: str) -> dict[str, bytes]:
    return {lang: make(reader, Request(week, lang=lang)).pdf for lang in ("id", "en")}


# --- weeks ----------------------------------------------------------------------------------------------------------
def test_weeks_are_iso_weeks() -> None:
    assert parse_week("2026-W44") == date(2026, 10, 26)  # a Monday
    assert parse_week("2020-w53") == date(2020, 12, 28)  # 2020 has 53 ISO weeks
    for bad in ("2026-44", "2026-W54", "2021-W53", "W44", ""):
        with pytest.raises(BriefingError):
            parse_week(bad)
    # the last whole week inside a period: 1..31 Oct 2026 (a Saturday) ends with week 43 (19–25 Oct)
    assert week_within(date(2026, 10, 1), date(2026, 10, 31)) == "2026-W43"
    assert week_within(date(2026, 10, 25), date(2026, 10, 31)) is None  # a Sunday and a partial week
    assert week_within(date(2026, 10, 19), date(2026, 10, 25)) == "2026-W43"


def test_the_default_week_is_the_last_complete_one(reader: Reader) -> None:
    _, last = queries.data_bounds(reader)
    monday = parse_week(last_complete_week(reader))
    assert monday + timedelta(days=6) <= last < monday + timedelta(days=13)


# --- the figures --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_pdf_holds_the_kpi_layers_figures(reader: Reader, week: str, briefings: dict[str, bytes],
                                              lang: str) -> None:
    pages = text_of(briefings[lang])
    text = " ".join(pages)
    f = Request(week, lang=lang).filters()
    now, before = metrics.summary_and_previous(reader, f)
    shown = {"count": fmt.number, "hours": fmt.hours, "points": fmt.percent}
    for key, kind in HEADLINE:
        sentence = f"{t(f'overview.kpi.{key}', lang)}: {shown[kind](now[key], lang)} "
        assert sentence in text, sentence
        assert shown[kind](before[key], lang) in text
    index = metrics.service_index(reader, f)
    assert f"{t('briefing.headline.index', lang)}: {fmt.number(index['city'], lang, 2)} " in text
    # the oldest overdue pair heads the follow-up table, with its count
    pairs = metrics.overdue_pairs(reader, f).sort_values("oldest_due_at")
    first = pairs.iloc[0]
    kecamatan = queries.kecamatan_names(reader)[first["kecamatan_code"]]
    follow_up = next(p for p in pages if t("briefing.section.follow_up", lang) in p and t("briefing.col.notes", lang)
                     in p)
    assert f"1 {kecamatan}" in follow_up
    # its deadline, and the days from it to the end of the week (started days: 1 hour over is 1 day)
    days = math.ceil((pd.Timestamp(f.date_to + timedelta(days=1)) - first["oldest_due_at"]) / pd.Timedelta(days=1))
    assert f"{fmt.day(first['oldest_due_at'].date(), lang)} {fmt.number(days, lang)}" in follow_up
    # every kecamatan's index in the index table
    for row in index["by_kecamatan"].dropna(subset=["index"]).itertuples():
        assert f"{row.kecamatan} {fmt.number(row.index, lang, 2)}" in text
    # the overdue by service adds up to the headline's overdue
    assert int(pairs["overdue"].sum()) == now["overdue_at_end"]
    # the cover: city, week, dates, time zone, sample mark
    cover = pages[0]
    assert t("briefing.week", lang, week=week) in cover
    assert fmt.day(f.date_from, lang) in cover and fmt.day(f.date_to, lang) in cover
    assert t("briefing.timezone_text", lang) in cover
    assert t("filters.all_kecamatan", lang) in cover
    assert t("briefing.sample", lang) in text


def test_filters_are_named_and_applied(reader: Reader, week: str) -> None:
    whole = Request(week).filters()
    kecamatan = metrics.by_kecamatan(reader, whole).nlargest(2, "received")["kecamatan_code"].tolist()
    service = queries.on_time_by_service(reader, whole, "en").nlargest(1, "completed")["service_code"].iloc[0]
    req = Request(week, kecamatan=tuple(kecamatan), services=(service,), lang="en")
    pages = text_of(make(reader, req).pdf)
    names = queries.kecamatan_names(reader)
    assert ", ".join(names[c] for c in kecamatan) in pages[0]
    assert queries.service_names(reader, "en")[service] in pages[0]
    now = metrics.summary(reader, req.filters())
    assert now["received"] > 0
    assert f"{t('overview.kpi.received', 'en')}: {fmt.number(now['received'], 'en')} " in " ".join(pages)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_pages_numbered_and_fonts_embedded(briefings: dict[str, bytes], lang: str) -> None:
    pdf = PdfReader(io.BytesIO(briefings[lang]))
    n = len(pdf.pages)
    assert 7 <= n <= 14
    for i, page in enumerate(pdf.pages, 1):
        assert t("briefing.page_of", lang, x=i, y=n) in " ".join(page.extract_text().split())
    fonts = {}
    for page in pdf.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            fonts[font["/BaseFont"]] = descendant["/FontDescriptor"].get_object()
    assert fonts
    for name, descriptor in fonts.items():
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), f"{name} is not embedded"


def test_the_two_languages_differ(briefings: dict[str, bytes]) -> None:
    en, id_ = " ".join(text_of(briefings["en"])), " ".join(text_of(briefings["id"]))
    assert t("briefing.title", "en") in en and t("briefing.title", "id") not in en
    assert t("briefing.title", "id") in id_ and t("briefing.title", "en") not in id_
    assert t("briefing.section.definitions", "en") in en and t("overview.help.received", "en") in en


def test_size_is_small(briefings: dict[str, bytes]) -> None:
    assert all(len(pdf) < 2_000_000 for pdf in briefings.values())


def _empty_pair(reader: Reader, week: str) -> tuple[str, str]:
    f = Request(week).filters()
    for kec in sorted(queries.kecamatan_names(reader)):
        for svc in queries.service_names(reader, "id"):
            now = metrics.summary(reader, Request(week, (kec,), (svc,)).filters())
            if now["received"] == now["completed"] == now["open_at_end"] == 0:
                return kec, svc
    pytest.fail(f"no empty kecamatan x service pair in {f}")


def test_an_empty_week_says_so_and_draws_nothing(reader: Reader, week: str) -> None:
    kec, svc = _empty_pair(reader, week)
    req = Request(week, (kec,), (svc,), "en")
    content, charts = gather(reader, req)
    assert charts == {} and content["empty"]
    text = " ".join(text_of(make(reader, req).pdf))
    monday = parse_week(week)
    assert t("briefing.empty", "en", week=week, start=fmt.day(monday, "en"),
             end=fmt.day(monday + timedelta(days=6), "en")) in text
    assert t("briefing.section.trend", "en") not in text and t("briefing.section.definitions", "en") in text


def test_a_long_table_continues_with_its_header_and_loses_no_row(reader: Reader, week: str) -> None:
    content, _ = gather(reader, Request(week, lang="en"))
    content = copy.deepcopy(content)
    table = content["follow_up"]["table"]
    row = table["rows"][0]
    table["rows"] = [[str(i), f"Kecamatan {i:03d}", *row[2:]] for i in range(1, 121)]
    content["charts"] = {}
    pages = text_of(compile_pdf(content))
    holding = [p for p in pages if "Kecamatan 0" in p or "Kecamatan 1" in p]
    assert len(holding) >= 3
    assert all(t("briefing.col.notes", "en") in p for p in holding)  # the header, repeated
    text = " ".join(pages)
    assert all(f"Kecamatan {i:03d}" in text for i in range(1, 121))


def test_the_sample_mark_follows_the_data(reader: Reader, week: str) -> None:
    content, _ = gather(reader, Request(week, lang="en"))
    assert content["sample"] is queries.has_sample_data(reader) is True
    real = compile_pdf({**content, "sample": False, "charts": {}})
    assert t("briefing.sample", "en") not in " ".join(text_of(real))


@pytest.mark.parametrize("city", SHIPPED)
def test_every_shipped_pack_gets_its_own_briefing(city: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The city, its zone and its kecamatan come from the pack: nothing of another city shows."""
    monkeypatch.setenv("PANTAU_CITY", city)
    db = tmp_path / "pantau.duckdb"
    build(db, rows=5_000, seed=7, city=city, progress=lambda _msg: None)
    r = Reader(db)
    text = " ".join(text_of(make(r, Request(last_complete_week(r), lang="en")).pdf))
    settings = city_settings()
    assert settings.name in text and t("briefing.timezone_text", "en") in text
    assert settings.timezone_label in t("briefing.timezone_text", "en")
    others = [city_settings(o).name for o in SHIPPED if o != city]
    assert not [o for o in others if o in text]
    assert any(name in text for name in queries.kecamatan_names(r).values())
    # the same database under another pack's name is refused, as the dashboard refuses it
    other = next((o for o in SHIPPED if o != city), None)
    if other:
        done = run("--db", str(db), "--out", str(tmp_path / "b.pdf"), "--lang", "en", env={"PANTAU_CITY": other})
        assert done.returncode == 2 and f"built from the city pack `{city}`" in done.stderr


def test_check_refuses_what_it_cannot_brief(reader: Reader, week: str) -> None:
    with pytest.raises(BriefingError, match="outside the data"):
        check(reader, Request("2001-W01", lang="en"))
    with pytest.raises(BriefingError) as err:
        check(reader, Request(week, kecamatan=("99.99",), lang="en"))
    assert "99.99" in err.value.message("en") and sorted(queries.kecamatan_names(reader))[0] in err.value.message("en")


# --- the command line -------------------------------------------------------------------------------------------------
def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", "briefing", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_cli_writes_the_default_week(sample_db: Path, reader: Reader, tmp_path: Path) -> None:
    out = tmp_path / "b.pdf"
    done = run("--db", str(sample_db), "--out", str(out), "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert last_complete_week(reader) in done.stdout and str(out) in done.stdout
    assert out.read_bytes().startswith(b"%PDF") and not list(tmp_path.glob(".*part"))


@pytest.mark.parametrize(("args", "says"), [
    (["--week", "2001-W05"], "outside the data. The data covers"),
    (["--week", "2026-44"], "is not an ISO week"),
    (["--kecamatan", "99.99"], "Valid codes:"),
    (["--service", "NOPE"], "Unknown service code: NOPE"),
    (["--out", "/nonexistent-folder/b.pdf"], "does not exist"),
    (["--email"], "E-mail is not configured"),
])
def test_cli_bad_input_exits_2(sample_db: Path, tmp_path: Path, args: list[str], says: str) -> None:
    out = tmp_path / "b.pdf"
    argv = ["--db", str(sample_db), "--lang", "en", "--out", str(out), *args]
    if "--out" in args:
        argv = ["--db", str(sample_db), "--lang", "en", *args]
    done = run(*argv, env={"PANTAU_SECRETS": str(tmp_path / "none.toml")})
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert says in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_cli_messages_in_indonesian(sample_db: Path, tmp_path: Path) -> None:
    done = run("--db", str(sample_db), "--out", str(tmp_path / "b.pdf"), "--week", "2001-W05")
    assert done.returncode == 2 and "di luar data" in done.stderr


# --- e-mail -------------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def secrets(tmp_path: Path, port: int, starttls: bool) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(f'[briefing]\nhost = "127.0.0.1"\nport = {port}\nfrom = "pantau@kota.example"\n'
                    f'to = ["wali@kota.example", "sekda@kota.example"]\nstarttls = {str(starttls).lower()}\n'
                    'timeout = 5\n', encoding="utf-8")
    return path


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Any]]:
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.envelopes: list = []

        async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook name
            self.envelopes.append(envelope)
            return "250 OK"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


def test_email_sends_the_pdf(sample_db: Path, tmp_path: Path, smtp_server) -> None:
    port, inbox = smtp_server
    out = tmp_path / "b.pdf"
    done = run("--db", str(sample_db), "--out", str(out), "--lang", "en", "--email",
               env={"PANTAU_SECRETS": str(secrets(tmp_path, port, starttls=False))})
    assert done.returncode == 0, done.stderr
    assert "wali@kota.example" in done.stdout
    [envelope] = inbox.envelopes
    assert sorted(envelope.rcpt_tos) == ["sekda@kota.example", "wali@kota.example"]
    msg = message_from_bytes(envelope.content, policy=policy.default)
    assert "weekly briefing" in msg["Subject"]
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "b.pdf" and attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == out.read_bytes()


def test_starttls_is_asked_for_when_configured(sample_db: Path, tmp_path: Path, smtp_server) -> None:
    """The local server offers no STARTTLS: a configured STARTTLS must refuse to send in the clear."""
    port, inbox = smtp_server
    out = tmp_path / "b.pdf"
    done = run("--db", str(sample_db), "--out", str(out), "--lang", "en", "--email",
               env={"PANTAU_SECRETS": str(secrets(tmp_path, port, starttls=True))})
    assert done.returncode == 2 and "STARTTLS" in done.stderr
    assert not inbox.envelopes and out.is_file()


def test_smtp_down_leaves_the_pdf_and_says_so(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.pdf"
    done = run("--db", str(sample_db), "--out", str(out), "--lang", "en", "--email",
               env={"PANTAU_SECRETS": str(secrets(tmp_path, free_port(), starttls=False))})
    assert done.returncode == 2
    assert f"The PDF is saved at {out}" in done.stderr and "sending the e-mail failed" in done.stderr
    assert out.read_bytes().startswith(b"%PDF")


# --- the overview's button ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_overview_offers_the_briefing_of_the_week_in_view(app_env: Path, lang: str) -> None:
    from test_app_pages import run_page

    at = run_page("overview", lang=lang, period="custom", **{"from": "2026-10-01", "to": "2026-10-31"})
    [button] = [b for b in at.get("download_button") if b.proto.label == t("briefing.download", lang)]
    assert "2026-W43" in button.proto.help and fmt.day(date(2026, 10, 19), lang) in button.proto.help
    # two days hold no whole week: the page says what the briefing needs instead of offering a wrong week
    at = run_page("overview", lang=lang, period="custom", **{"from": "2026-10-30", "to": "2026-10-31"})
    assert not [b for b in at.get("download_button") if b.proto.label == t("briefing.download", lang)]
    assert t("briefing.download_none", lang) in [str(c.value) for c in at.caption]


@pytest.mark.browser
def test_the_button_downloads_the_pdf_in_a_browser(sample_db: Path) -> None:
    """In Chromium: the click runs the deferred callable on Streamlit's side and a real PDF arrives."""
    from tests.test_e2e_browser import CHROMIUM, _open

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")  # test_e2e_browser fails the run for it where a browser is required
    from playwright.sync_api import sync_playwright

    from tests import test_e2e_browser

    servers = test_e2e_browser.server.__wrapped__(sample_db)
    base = next(servers)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=test_e2e_browser.ARGS)
            tab = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            _open(tab, base, "overview", "en")
            with tab.expect_download(timeout=120_000) as download:
                tab.get_by_role("button", name=t("briefing.download", "en")).click()
            pdf = Path(download.value.path()).read_bytes()
            name = download.value.suggested_filename
            browser.close()
    finally:
        next(servers, None)
    assert pdf.startswith(b"%PDF") and len(PdfReader(io.BytesIO(pdf)).pages) >= 7
    assert name.startswith("pantau_briefing_") and name.endswith(".pdf")


# --- the master plan's pillars ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_pillar_page_holds_the_plans_figures(reader: Reader, briefings: dict[str, bytes], lang: str) -> None:
    """The smart-city section shows what kpi.smartcity computes: the programmes behind, least progress first."""
    from kpi import smartcity

    assert smartcity.has_programmes(reader)  # the sample database carries the sample plan
    text = " ".join(text_of(briefings[lang]))
    latest = smartcity.latest_programmes(reader)
    behind = latest[latest["status"] == "behind"].sort_values(["progress", "programme_id"])
    assert len(behind) > 0
    assert t("briefing.smartcity.behind", lang, n=fmt.number(len(behind), lang)) in text
    first = behind.iloc[0]
    assert f"{first['name']}" in text and fmt.percent(first["progress"], lang, 0) in text
    summary = smartcity.pillar_summary(reader)
    content, _ = gather(reader, Request(last_complete_week(reader), lang=lang))
    rows = content["smartcity"]["pillars"]["rows"]
    assert [r[2] for r in rows] == [fmt.number(n, lang) for n in summary["programmes"]]
    assert [r[5] for r in rows] == [fmt.number(n, lang) for n in summary["behind"]]


def test_without_a_plan_the_pillar_page_says_how_to_load_one(sample_db: Path, tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "noplan.duckdb"
    db.write_bytes(sample_db.read_bytes())
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM fct_programmes")
    con.close()
    r = Reader(db)
    content, _ = gather(r, Request(last_complete_week(r), lang="en"))
    assert content["smartcity"]["none"] == t("briefing.smartcity.none", "en")
    assert "pillars" not in content["smartcity"]
