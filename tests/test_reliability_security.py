"""Security: the app's DuckDB connection is locked down, hostile filter values stay values, exports cannot run
formulas, Streamlit is configured for the public, secrets stay out of git."""

from __future__ import annotations

import csv
import inspect
import io
import subprocess
import sys
import tomllib
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from kpi import export, metrics, queries
from kpi.db import READ_CONFIG, Reader
from kpi.filters import Filters
from tests.reliability_helpers import ROOT


def _stamp(db: Path) -> tuple[int, int, int]:
    """Any write replaces the file (new inode) or changes its size/mtime."""
    st = db.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns

HOSTILE = ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "a.b", "x'y",
           "'; DROP TABLE service_requests; --", "12.71.11' OR '1'='1", "$kecamatan", "\x00", "ü" * 300]

# --- DuckDB locked down ----------------------------------------------------------------------------------------

BLOCKED = {
    "read a file": "SELECT * FROM read_csv('/etc/passwd')",
    "read text": "SELECT * FROM read_text('/etc/hostname')",
    "read blob": "SELECT * FROM read_blob('/etc/hostname')",
    "list files": "SELECT * FROM glob('/etc/*')",
    "replacement scan": "SELECT * FROM '/etc/passwd'",
    "url": "SELECT * FROM read_csv('https://example.com/x.csv')",
    "write a file": "COPY (SELECT 1) TO '{tmp}/x.csv'",
    "export": "EXPORT DATABASE '{tmp}/exported'",
    "attach": "ATTACH '{tmp}/other.duckdb' AS other",
    "install extension": "INSTALL httpfs",
    "load extension": "LOAD httpfs",
    "enable file access": "SET enable_external_access = true",
    "reset a setting": "RESET enable_external_access",
    "more memory": "SET memory_limit = '64GB'",
    "more threads": "SET threads = 64",
    "open directories": "SET allowed_directories = ['/']",
    "profiling to a file": "SET profiling_output = '{tmp}/profile.json'",
    "create": "CREATE TABLE z AS SELECT 1",
    "delete": "DELETE FROM loads",
    "drop": "DROP VIEW service_requests",
}


@pytest.mark.parametrize("what", sorted(BLOCKED))
def test_reader_is_locked_down(sample_db: Path, tmp_path: Path, what: str) -> None:
    before = _stamp(sample_db)
    with pytest.raises(duckdb.Error):
        Reader(sample_db).df(BLOCKED[what].format(tmp=tmp_path))
    assert not list(tmp_path.iterdir())  # nothing was written anywhere
    assert _stamp(sample_db) == before


def test_reader_settings_are_the_locked_ones(sample_db: Path) -> None:
    r = Reader(sample_db)
    got = dict(r.df("SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
                    "'autoinstall_known_extensions', 'autoload_known_extensions', 'lock_configuration', "
                    "'allow_community_extensions', 'allow_unsigned_extensions', 'access_mode')").values.tolist())
    assert got == {"enable_external_access": "false", "autoinstall_known_extensions": "false",
                   "autoload_known_extensions": "false", "lock_configuration": "true",
                   "allow_community_extensions": got.get("allow_community_extensions"),
                   "allow_unsigned_extensions": "false", "access_mode": got.get("access_mode")}
    assert r.one("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()") == (True,)
    assert READ_CONFIG["lock_configuration"] is True


# --- hostile values through every read function ----------------------------------------------------------------

def _read_functions() -> list[tuple[str, object]]:
    out = []
    for mod in (metrics, queries):
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ == mod.__name__ and not name.startswith("_") and \
                    list(inspect.signature(fn).parameters)[:2] == ["r", "f"]:
                out.append((f"{mod.__name__}.{name}", fn))
    return out


@pytest.mark.parametrize(("name", "fn"), _read_functions(), ids=[n for n, _ in _read_functions()])
def test_hostile_filter_values_are_bound_not_run(sample_db: Path, name: str, fn) -> None:
    """Every read function taking Filters gets hostile kecamatan/service/channel values: no error, no match."""
    r = Reader(sample_db)
    before = _stamp(sample_db)
    f = Filters(date(2024, 1, 1), date(2024, 12, 31), kecamatan=tuple(HOSTILE), services=tuple(HOSTILE),
                channels=tuple(HOSTILE))
    extra = {p: ("month" if p == "grain" else "channel" if p == "split" else "id" if p == "lang" else None)
             for p in list(inspect.signature(fn).parameters)[2:]
             if inspect.signature(fn).parameters[p].default is inspect.Parameter.empty}
    result = fn(r, f, **extra)
    if isinstance(result, pd.DataFrame):
        numeric = result.select_dtypes("number")
        assert numeric.fillna(0).abs().to_numpy().sum() == 0 or result.empty, name  # nothing matched
    elif isinstance(result, dict) and "received" in result:
        assert result["received"] == 0
    assert _stamp(sample_db) == before
    assert Reader(sample_db).one("SELECT count(*) FROM service_requests")[0] > 0


@pytest.mark.parametrize("grain", ["day; DROP TABLE loads", "week' --", "a.b"])
def test_identifiers_come_from_whitelists(sample_db: Path, grain: str) -> None:
    f = Filters(date(2024, 1, 1), date(2024, 3, 31))
    with pytest.raises((KeyError, ValueError)):
        queries.time_trend(Reader(sample_db), f, grain)
    with pytest.raises((KeyError, ValueError)):
        queries.volume_series(Reader(sample_db), f, "month", grain, "id")


# --- exports -------------------------------------------------------------------------------------------------

FORMULAS = ["=1+2", "+1+2", "-1+2", "@SUM(A1:A2)", "\t=1+2", "\r=1+2", "=HYPERLINK(\"http://x\",\"y\")",
            "=cmd|' /C calc'!A0"]


def _frame(extra: list[str] | None = None) -> pd.DataFrame:
    text = FORMULAS + (extra or [])
    n = len(text)
    return pd.DataFrame({
        "text": text,
        "category": pd.Categorical(text),
        "plain": (["Medan Johor", "a=b", "x-y", "ok", "12.71.11", "Kec. Medan Kota", "'quoted", "-"] + ["z"] * n)[:n],
        "count": list(range(-3, n - 3)),
        "rate": [-0.5 + i / 10 for i in range(n)],
        "day": pd.date_range("2024-01-01", periods=n, freq="D"),
        "=bad header": ["x"] * n,
    })


def test_csv_export_neutralises_formulas_and_keeps_numbers() -> None:
    frame = _frame(extra=["x\r=2+3"])
    raw = export.to_csv(frame)
    assert raw.startswith(b"\xef\xbb\xbf")
    # Read it as a spreadsheet does: a bare CR or LF outside quotes starts a new row.
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert len(body) == len(frame)  # no cell broke into an extra row
    assert "'=bad header" in header
    for col in ("text", "category"):
        i = header.index(col)
        assert [row[i] for row in body] == ["'" + f for f in FORMULAS] + ["x\r=2+3"]
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit() or cell == "-", cell
    assert [row[header.index("plain")] for row in body][:6] == ["Medan Johor", "a=b", "x-y", "ok", "12.71.11",
                                                                  "Kec. Medan Kota"]
    assert [row[header.index("count")] for row in body] == [str(i) for i in range(-3, len(FORMULAS) - 2)]
    assert body[0][header.index("rate")] == "-0.5"  # negative numbers stay numbers


def test_xlsx_export_has_no_formulas_and_numbers_stay_numbers() -> None:
    raw = export.to_xlsx(_frame(), "export")
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # not a single formula cell
    rows = CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0).to_python()
    header, body = rows[0], rows[1:]
    assert "'=bad header" in header
    for col in ("text", "category"):
        i = header.index(col)
        assert [row[i] for row in body] == ["'" + f for f in FORMULAS]
    i = header.index("count")
    assert all(isinstance(row[i], int | float) for row in body)
    assert [row[i] for row in body] == list(range(-3, len(FORMULAS) - 3))
    assert isinstance(body[0][header.index("rate")], float)


# --- Streamlit settings and secrets ---------------------------------------------------------------------------

def test_streamlit_config_is_hardened() -> None:
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["client"]["showErrorDetails"] in ("none", False)  # tracebacks stay in the server log
    assert cfg["client"]["toolbarMode"] == "viewer"
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"].get("enableCORS", True) is True  # CORS protection stays on (the default)
    assert 1 <= cfg["server"]["maxUploadSize"] <= 100  # MB: bounded
    assert cfg["server"]["headless"] is True
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["showSidebarNavigation"] is False
    assert cfg["runner"]["magicEnabled"] is False  # a stray expression in a page never reaches the screen


def test_streamlit_reads_the_same_values() -> None:
    """Streamlit's own config loader, not just the TOML file: the option names are right."""
    code = ("from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(config.get_option('client.showErrorDetails'), config.get_option('client.toolbarMode'), "
            "config.get_option('server.enableXsrfProtection'), config.get_option('server.maxUploadSize'), "
            "config.get_option('runner.magicEnabled'), config.get_option('runner.postScriptGC'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # postScriptGC off: no full garbage collection after every page view (benchmarks/README.md, "How many viewers")
    assert out.stdout.split() == ["none", "viewer", "True", "50", "False", "False"]


def test_secrets_are_gitignored_and_documented() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT)
    assert ignored.returncode == 0
    tracked = subprocess.run(["git", "ls-files", ".streamlit"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "secrets.toml\n" not in tracked
    example = ROOT / ".streamlit" / "secrets.toml.example"
    assert example.is_file()
    parsed = tomllib.loads(example.read_text(encoding="utf-8"))  # the example is valid TOML
    assert parsed  # and says something
