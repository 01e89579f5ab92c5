"""Reliability: fuzzing the loaders — random bytes, random CSV dialects, random mutations of valid files.

Every file must end as `loaded` (or `unchanged`) or as a structured rejection whose every error has a code and a
message in both languages; never an exception, a hang or a partial write. After every example the database is checked:
a rejected file changed nothing but the audit trail, and after a load the marts agree with the facts.
The default run tries a handful of examples per strategy; `pytest -m slow` runs hundreds.
"""

from __future__ import annotations

import codecs
import contextlib
import faulthandler
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from etl.ingest import LoadResult, load_file
from tests.reliability_helpers import ROOT, fingerprint, has_traceback

HANG_SECONDS = 120  # one small file must never take this long: the watchdog aborts the run with a traceback
FAST = settings(max_examples=3, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

REQUEST_HEADER = ["request_id", "service_code", "kecamatan_code", "channel", "submitted_at", "completed_at", "status",
                  "lat", "lon"]
HEADER_ALIASES = {
    "request_id": ["request_id", "no_permohonan", "service_request_id", "ID"],
    "service_code": ["service_code", "layanan", "Jenis Layanan"],
    "kecamatan_code": ["kecamatan", "Kecamatan", "district"],
    "channel": ["channel", "kanal"],
    "submitted_at": ["submitted_at", "tanggal_pengajuan", "requested_datetime"],
    "completed_at": ["completed_at", "tanggal_selesai", "closed_date"],
    "status": ["status"], "lat": ["lat", "latitude"], "lon": ["lon", "lng"],
}
GOOD_VALUES = {
    "service_code": ["KTP_EL", "KK", "AKTA_LAHIR", "PBG", "Kartu Keluarga", "NOPE"],
    "kecamatan_code": ["12.71.11", "Medan Johor", "KEC. MEDAN KOTA", "kecamatan medan baru", "12.71.99"],
    "channel": ["loket_kecamatan", "online", "mpp", "jemput_bola", "fax"],
    "submitted_at": ["2024-03-04 09:15:00", "04/03/2024 09:15", "2024-03-04T02:15:00Z", "13/13/2024", "2099-01-01",
                     ""],
    "completed_at": ["2024-03-05 10:00:00", "", "05-03-2024", "2024-03-01 00:00:00"],
    "status": ["completed", "open", "in_progress", "rejected", "??"],
    "lat": ["3.55", "", "3,55", "north"], "lon": ["98.68", "", "999"],
}
TOURISM_VALID = (b"indicator,area,period,value,unit,source\n"
                 b"wisman_visits,Provinsi Sumatera Utara,2024-01,21345,kunjungan,BPS\n"
                 b"tpk_star_hotels_pct,Provinsi Sumatera Utara,2024-02,45.6,persen,BPS\n")
REQUESTS_VALID = ("\n".join([",".join(REQUEST_HEADER),
                             "F-1,KTP_EL,12.71.11,loket_kecamatan,2024-03-04 09:15:00,2024-03-05 10:00:00,completed,"
                             "3.5512,98.6801",
                             "F-2,KK,12.71.01,online,2024-03-04 10:00:00,,open,,",
                             '"F-3",AKTA_LAHIR,"Medan Johor",mpp,04/03/2024 08:30,,in_progress,,']) + "\n").encode()
STATUSES = {"loaded", "unchanged", "rejected"}


@pytest.fixture
def fuzz_db(fresh_db: Path) -> Path:
    return fresh_db


def _facts(db: Path) -> dict[str, tuple[int, int]]:
    return {t: v for t, v in fingerprint(db).items() if t != "loads"}


def _loads(db: Path) -> int:
    return fingerprint(db)["loads"][0]


def _check_one(db: Path, dataset: str, data: bytes, tmp: Path, name: str = "upload.csv") -> LoadResult:
    """Load `data` and check every invariant; return the result."""
    path = tmp / name
    path.write_bytes(data)
    before, loads_before = _facts(db), _loads(db)
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        res = load_file(db, dataset, path, source="cli")
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert isinstance(res, LoadResult) and res.status in STATUSES, res
    with contextlib.suppress(InvalidArgument):  # outside @given (the seed test) there is nothing to record
        event(f"{dataset}: {res.status}" + (f" ({res.errors[0].code})" if res.errors else ""))
    for problem in res.errors:  # a structured rejection: a code and a message in both languages
        assert problem.code and problem.reason("id") and problem.reason("en")
        assert "Traceback" not in problem.reason("en")
    after, loads_after = _facts(db), _loads(db)
    if res.status == "loaded":
        assert res.rows_loaded > 0 and loads_after == loads_before + 1
        fp = fingerprint(db)
        if dataset == "service_requests":
            received = _scalar(db, "SELECT coalesce(sum(received), 0) FROM mart_requests_daily")
            assert received == fp["fct_service_requests"][0]  # the marts were rebuilt from the new facts
    else:
        assert res.errors or res.status == "unchanged"
        assert after == before  # nothing but the audit row
        assert loads_after - loads_before in (0, 1)
    assert not list(db.parent.glob(f".{db.name}.*.tmp*"))
    return res


def _scalar(db: Path, sql: str) -> int:
    from etl.store import open_read_only

    con = open_read_only(db)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


# --- strategies -----------------------------------------------------------------------------------------------

cell_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@st.composite
def csv_dialect_files(draw: st.DrawFn) -> bytes:
    """A service-request file in a random dialect: headers, delimiter, quoting, line ends, encoding, BOM, junk cells."""
    delim = draw(st.sampled_from([",", ";", "\t", "|", ":", " "]))
    quote_all = draw(st.booleans())
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    columns = draw(st.permutations(REQUEST_HEADER).map(lambda c: c[: draw(st.integers(3, len(c)))]))
    header = [draw(st.sampled_from(HEADER_ALIASES[c])) for c in columns]
    if draw(st.booleans()):
        header.append(draw(cell_text))  # an extra, unknown column
    rows = []
    for i in range(draw(st.integers(0, 6))):
        row = []
        for c in columns:
            if c == "request_id":
                row.append(f"D-{i}-{draw(st.integers(0, 3))}")
            elif draw(st.integers(0, 4)) == 0:
                row.append(draw(cell_text))
            else:
                row.append(draw(st.sampled_from(GOOD_VALUES[c])))
        if len(header) > len(columns):
            row.append(draw(cell_text))
        if draw(st.integers(0, 9)) == 0:
            row = row[: draw(st.integers(0, len(row)))]  # a ragged row
        rows.append(row)

    def fmt(v: str) -> str:
        if quote_all or any(ch in v for ch in (delim, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v

    text = newline.join(delim.join(fmt(v) for v in r) for r in [header, *rows])
    text += draw(st.sampled_from(["", newline, newline * 3, delim * 2 + newline]))
    return text.encode(encoding, errors="replace")


MUTATIONS = ("flip", "delete", "insert", "duplicate_line", "truncate", "special")
SPECIALS = [b",", b";", b'"', b"\n", b"\r\n", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"=cmd|' /C calc'!A0", b"\t",
            b"9" * 400, b"3.27306E+15"]


@st.composite
def mutated(draw: st.DrawFn, valid: bytes) -> bytes:
    """A valid file with 1..6 random edits."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(MUTATIONS))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del data[pos: pos + draw(st.integers(1, 20))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "duplicate_line":
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = bytearray(b"\n".join(lines))
        elif op == "truncate":
            del data[pos:]
        else:
            data[pos:pos] = draw(st.sampled_from(SPECIALS))
    return bytes(data)


# --- the properties -------------------------------------------------------------------------------------------

def _random_bytes(fuzz_db: Path, tmp_path: Path, data: bytes, dataset: str) -> None:
    _check_one(fuzz_db, dataset, data, tmp_path)


@FAST
@given(data=st.binary(max_size=600), dataset=st.sampled_from(["service_requests", "tourism"]))
def test_random_bytes(fuzz_db: Path, tmp_path: Path, data: bytes, dataset: str) -> None:
    _random_bytes(fuzz_db, tmp_path, data, dataset)


@FAST
@given(data=csv_dialect_files())
def test_random_csv_dialects(fuzz_db: Path, tmp_path: Path, data: bytes) -> None:
    _check_one(fuzz_db, "service_requests", data, tmp_path)


@FAST
@given(data=mutated(REQUESTS_VALID))
def test_mutated_request_files(fuzz_db: Path, tmp_path: Path, data: bytes) -> None:
    _check_one(fuzz_db, "service_requests", data, tmp_path)


@FAST
@given(data=mutated(TOURISM_VALID))
def test_mutated_tourism_files(fuzz_db: Path, tmp_path: Path, data: bytes) -> None:
    _check_one(fuzz_db, "tourism", data, tmp_path)


def test_valid_seeds_load(fuzz_db: Path, tmp_path: Path) -> None:
    """The files the mutations start from are valid: the fuzzing starts from files that load."""
    assert _check_one(fuzz_db, "service_requests", REQUESTS_VALID, tmp_path).status == "loaded"
    assert _check_one(fuzz_db, "tourism", TOURISM_VALID, tmp_path).status == "loaded"


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_cli_exit_codes_on_random_files(fresh_db: Path, tmp_path: Path, seed: int) -> None:
    """Through `python -m etl load --json`: exit 0 or 1, one JSON object, no traceback."""
    import json

    rng = random.Random(seed)
    path = tmp_path / "junk.csv"
    path.write_bytes(rng.randbytes(300) if seed == 1 else
                     ("\n".join(",".join(rng.choice(string.printable) * rng.randint(0, 5) for _ in range(9))
                                for _ in range(20))).encode())
    out = subprocess.run([sys.executable, "-m", "etl", "load", "service_requests", str(path), "--db", str(fresh_db),
                          "--json"], cwd=ROOT, capture_output=True, text=True, timeout=HANG_SECONDS)
    assert out.returncode in (0, 1), out.stderr
    assert not has_traceback(out.stderr)
    assert json.loads(out.stdout)["status"] in STATUSES


# --- the big run ----------------------------------------------------------------------------------------------

@pytest.mark.slow
@SLOW
@given(data=st.one_of(st.binary(max_size=4000), csv_dialect_files(), mutated(REQUESTS_VALID)))
def test_fuzz_requests_at_scale(fuzz_db: Path, tmp_path: Path, data: bytes) -> None:
    _check_one(fuzz_db, "service_requests", data, tmp_path)


@pytest.mark.slow
@SLOW
@given(data=st.one_of(st.binary(max_size=4000), mutated(TOURISM_VALID)))
def test_fuzz_tourism_at_scale(fuzz_db: Path, tmp_path: Path, data: bytes) -> None:
    _check_one(fuzz_db, "tourism", data, tmp_path)


@pytest.mark.slow
@SLOW
@given(data=st.binary(min_size=1, max_size=4000))
def test_fuzz_xlsx_named_files(fuzz_db: Path, tmp_path: Path, data: bytes) -> None:
    """Random bytes (and a zip signature) under an .xlsx name go down the spreadsheet path."""
    _check_one(fuzz_db, "service_requests", b"PK\x03\x04" + data, tmp_path, name="upload.xlsx")


def test_codecs_available() -> None:
    assert codecs.lookup("cp1252")  # the dialect strategy encodes with it
