"""Test corpus: messy but valid and plainly bad upload files, generated (never checked in) for the ingest tests."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

HEADER = ["request_id", "service_code", "kecamatan_code", "channel", "submitted_at", "completed_at", "status", "lat",
          "lon"]
ROWS = [
    ["C-1", "KTP_EL", "12.71.11", "loket_kecamatan", "2024-03-04 09:15:00", "2024-03-05 10:00:00", "completed",
     "3.5512", "98.6801"],
    ["C-2", "KK", "12.71.01", "online", "2024-03-04 10:00:00", "", "open", "", ""],
    ["C-3", "AKTA_LAHIR", "12.71.21", "mpp", "2024-03-05 08:30:00", "2024-03-07 08:30:00", "completed", "3.5601",
     "98.6502"],
    ["C-4", "PBG", "12.71.17", "jemput_bola", "2024-03-06 11:00:00", "", "in_progress", "", ""],
]
NIK = "1271014506900002"
NAME = "Siti Aminah Lubis"


@dataclass
class Case:
    name: str
    dataset: str
    make: Callable[[Path], Path]
    exit_code: int
    rows_loaded: int = 0
    error_code: str | None = None      # expected code of the first error
    error_line: int | None = None      # expected physical line of the first error
    extra: dict = field(default_factory=dict)


def _text(path: Path, rows: list[list[str]], *, delim: str = ",", encoding: str = "utf-8", newline: str = "\n",
          bom: bytes = b"", tail: str = "") -> Path:
    def q(v: str) -> str:
        return f'"{v.replace(chr(34), chr(34) * 2)}"' if any(c in v for c in (delim, '"', "\n")) else v
    text = newline.join(delim.join(q(v) for v in r) for r in rows) + newline + tail
    path.write_bytes(bom + text.encode(encoding))
    return path


def canonical(path: Path) -> Path:
    return _text(path, [HEADER, *ROWS])


def semicolon_bom_crlf_decimal_comma(path: Path) -> Path:
    rows = [[v.replace(".", ",") if i in (7, 8) else v for i, v in enumerate(r)] for r in ROWS]
    return _text(path, [HEADER, *rows], delim=";", newline="\r\n", bom=codecs.BOM_UTF8)


def utf16_tab(path: Path) -> Path:  # Excel "Unicode text"
    return _text(path, [HEADER, *ROWS], delim="\t", encoding="utf-16", newline="\r\n")


def cp1252_pipe(path: Path) -> Path:
    rows = [[*r, "Catatan: café, señor – ok"] for r in ROWS]
    return _text(path, [[*HEADER, "catatan"], *rows], delim="|", encoding="cp1252")


def indonesian_headers_names(path: Path) -> Path:
    header = ["No Permohonan", "Jenis Layanan", "Kecamatan", "Kanal", "Tanggal Masuk", "Tanggal Selesai", "Status",
              "Nama Pemohon", "NIK"]
    rows = [
        ["P-1", "Kartu Keluarga", "Kec. Medan Johor", "Loket", "04/03/2024 09:15", "05/03/2024 10:00:30", "Selesai",
         NAME, NIK],
        ["P-2", "KTP-el", "KECAMATAN MEDAN BARU", "Mal Pelayanan Publik", "05-03-2024", "", "Baru", NAME, NIK],
        ["P-3", "Akta kematian", "medan kota", "daring", "2024-03-04T02:15:00Z", "2024-03-04T12:00:00+07:00", "tuntas",
         NAME, NIK],
        # still in progress, yet with a time in the completion column (a last update): not a completion
        ["P-4", "Akta kematian", "medan kota", "daring", "2024-03-04T02:15:00Z", "2024-03-04T12:00:00+07:00", "proses",
         NAME, NIK],
    ]
    return _text(path, [header, *rows], tail="\n\n")


def open311_headers(path: Path) -> Path:
    header = ["service_request_id", "service_name", "district", "source", "requested_datetime", "closed_date",
              "status", "latitude", "long", "extra_a", "", ""]
    rows = [["O-1", "Birth certificate", "Medan Selayang", "web", "2024-03-04T09:15", "2024-03-04T15:00", "closed",
             "3.55", "98.65", "x", "", ""],
            ["O-2", "LAPOR! complaint", "12.71.20", "outreach", "2024-03-04T10:00:00+07:00", "", "open", "", "", "y",
             "", ""]]
    return _text(path, [header, *rows], tail="\n\n")


def open311_georeport(path: Path) -> Path:
    """An Open311 GeoReport v2 export as a city's API writes it: no channel field, the last update as
    updated_datetime (a completion only for closed requests), its own expected_datetime, and free text."""
    header = ["service_request_id", "status", "service_code", "service_name", "requested_datetime",
              "updated_datetime", "expected_datetime", "address", "lat", "long", "agency_responsible", "description",
              "kecamatan"]
    rows = [["G-1", "closed", "AKTA_LAHIR", "Birth certificate", "2024-03-04T09:15:00+07:00",
             "2024-03-05T10:00:00+07:00", "2024-03-08T00:00:00+07:00", "Jl. Contoh No. 1", "3.55", "98.65",
             "Dinas Kependudukan", f"Permohonan atas nama {NAME}", "Medan Johor"],
            ["G-2", "open", "", "LAPOR! complaint", "2024-03-04T03:00:00Z", "2024-03-06T08:00:00Z", "",
             "Jl. Contoh No. 2", "", "", "Kelurahan", "Jalan rusak, hubungi 081234567890", "12.71.20"],
            ["G-3", "closed", "KK", "", "2024-03-05T08:00:00+07:00", "2024-03-05T15:30:00+07:00", "", "", "3.6",
             "98.7", "", "", "kec. medan baru"]]
    return _text(path, [header, *rows])


def quoted_newlines(path: Path) -> Path:
    rows = [[*r, "line one\nline two, with comma"] for r in ROWS]
    return _text(path, [[*HEADER, "note"], *rows])


def xlsx_cells(path: Path) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("data")
    dt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    header = ["request_id", "layanan", "kecamatan", "kanal", "tanggal_pengajuan", "tanggal_selesai", "nama", "nik"]
    ws.write_row(0, 0, header)
    ws.write_row(1, 0, ["X-1", "KIA", "Medan Petisah", "online"])
    ws.write_datetime(1, 4, datetime(2024, 3, 4, 9, 15), dt)
    ws.write_datetime(1, 5, datetime(2024, 3, 6, 9, 15), dt)
    ws.write_row(1, 6, [NAME, float(NIK)])  # Excel stores a NIK as a number: 1.27101E+15
    ws.write_row(2, 0, ["X-2", "NIB", "12.71.09", "mpp", 45356.5, "", NAME, float(NIK)])  # a serial date number
    wb.close()
    return path


def only(rows: list[list[str]]) -> Callable[[Path], Path]:
    return lambda p: _text(p, rows)


def with_row(i: int, col: str, value: str) -> Callable[[Path], Path]:
    def make(p: Path) -> Path:
        rows = [list(r) for r in ROWS]
        rows[i][HEADER.index(col)] = value
        return _text(p, [HEADER, *rows])
    return make


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def binary(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    return path


def ragged(path: Path) -> Path:
    path.write_text(",".join(HEADER) + "\n" + ",".join(ROWS[0]) + "\n" + ",".join(ROWS[1][:5]) + "\n"
                    + ",".join(ROWS[2]) + "\n", encoding="utf-8")
    return path


def quoted_newline_then_bad(path: Path) -> Path:
    rows = [[*r, "a\nb\nc"] for r in ROWS]
    rows[2][HEADER.index("kecamatan_code")] = "Medan Atlantis"
    return _text(path, [[*HEADER, "note"], *rows])  # row 3 starts on physical line 2 + 2*3 = 8


def quoted_crlf_then_bad(path: Path) -> Path:
    """As API exports write: every field quoted, CRLF, blank lines at the end; one record per line."""
    rows = [list(r) for r in ROWS]
    rows[2][HEADER.index("kecamatan_code")] = "Medan Atlantis"
    text = "\r\n".join(",".join(f'"{v}"' for v in r) for r in [HEADER, *rows]) + "\r\n\r\n\r\n"
    path.write_bytes(text.encode("utf-8"))  # row 3 on line 4
    return path


def blank_lines_then_bad(path: Path) -> Path:
    rows = [list(r) for r in ROWS]
    rows[2][HEADER.index("kecamatan_code")] = "Medan Atlantis"
    lines = [",".join(HEADER), ",".join(rows[0]), "", ",".join(rows[1]), "", ",".join(rows[2]), ",".join(rows[3])]
    path.write_text("\n".join(lines) + "\n\n\n", encoding="utf-8")  # row 3 on line 6; blank lines at the end too
    return path


def conflict(path: Path) -> Path:
    dup = list(ROWS[0])
    dup[HEADER.index("channel")] = "online"
    return _text(path, [HEADER, *ROWS, dup])


def tourism_long(path: Path) -> Path:
    return _text(path, [["indikator", "wilayah", "periode", "nilai", "satuan", "sumber"],
                        ["wisman_visits", "Provinsi Sumatera Utara", "2024-01", "21.345", "kunjungan", "BPS"],
                        ["tpk_star_hotels_pct", "Provinsi Sumatera Utara", "Feb-24", "45,6", "persen", "BPS"]],
                 delim=";")


def tourism_wide(path: Path) -> Path:
    return _text(path, [["bulan", "wisman_visits", "tpk_star_hotels_pct"], ["2024-01", "21345", "45.6"],
                        ["2024-02", "19870", "47.1"]])


def tourism_bps(path: Path) -> Path:
    return _text(path, [["", "Jan-24", "Feb-24", "Mar-24"], ["SUMATERA UTARA", "3934845", "3404211", "-"],
                        ["ACEH", "1081919", "988563", "977399"]], delim=";", newline="\r\n", bom=codecs.BOM_UTF8)


def tourism_quarter(path: Path) -> Path:
    area = "Provinsi Sumatera Utara"
    return _text(path, [["indicator", "area", "period", "value"], ["wisman_visits", area, "2024-01", "100"],
                        ["wisman_visits", area, "2024-01..2024-03", "300"]])


def tourism_conflict(path: Path) -> Path:
    area = "Provinsi Sumatera Utara"
    return _text(path, [["indicator", "area", "period", "value"], ["wisman_visits", area, "2024-01", "100"],
                        ["wisman_visits", area, "2024-01", "101"]])


CASES = [
    Case("canonical", "service_requests", canonical, 0, 4),
    Case("semicolon_bom_crlf_decimal_comma", "service_requests", semicolon_bom_crlf_decimal_comma, 0, 4),
    Case("utf16_tab", "service_requests", utf16_tab, 0, 4),
    Case("cp1252_pipe", "service_requests", cp1252_pipe, 0, 4),
    Case("indonesian_headers_names", "service_requests", indonesian_headers_names, 0, 4),
    Case("open311_headers", "service_requests", open311_headers, 0, 2),
    Case("open311_georeport", "service_requests", open311_georeport, 0, 3),
    Case("quoted_newlines", "service_requests", quoted_newlines, 0, 4),
    Case("xlsx_cells", "service_requests", xlsx_cells, 0, 2, extra={"suffix": ".xlsx"}),
    Case("empty", "service_requests", empty, 1, error_code="empty_file"),
    Case("header_only", "service_requests", only([HEADER]), 1, error_code="header_only"),
    Case("binary", "service_requests", binary, 1, error_code="not_text"),
    Case("missing_column", "service_requests", only([HEADER[:2] + HEADER[3:], ROWS[0][:2] + ROWS[0][3:]]), 1,
         error_code="missing_column"),
    Case("bad_timestamp", "service_requests", with_row(1, "submitted_at", "31/02/2024 10:00"), 1,
         error_code="bad_timestamp", error_line=3),
    Case("month_first", "service_requests", with_row(0, "submitted_at", "03/24/2024 10:00"), 1,
         error_code="bad_timestamp", error_line=2),
    Case("future_timestamp", "service_requests", with_row(3, "submitted_at", "2099-01-01 10:00:00"), 1,
         error_code="future_timestamp", error_line=5),
    Case("completed_before_submitted", "service_requests", with_row(0, "completed_at", "2024-03-01 10:00:00"), 1,
         error_code="completed_before_submitted", error_line=2),
    Case("unknown_kecamatan", "service_requests", with_row(2, "kecamatan_code", "Kec. Medan Atlantis"), 1,
         error_code="unknown_kecamatan", error_line=4),
    Case("unknown_service", "service_requests", with_row(1, "service_code", "SIM"), 1, error_code="unknown_service",
         error_line=3),
    Case("duplicate_conflict", "service_requests", conflict, 1, error_code="duplicate_conflict", error_line=2),
    Case("ragged", "service_requests", ragged, 1, error_code="ragged_row", error_line=3),
    Case("quoted_newline_then_bad", "service_requests", quoted_newline_then_bad, 1, error_code="unknown_kecamatan",
         error_line=8),
    Case("blank_lines_then_bad", "service_requests", blank_lines_then_bad, 1, error_code="unknown_kecamatan",
         error_line=6),
    Case("quoted_crlf_then_bad", "service_requests", quoted_crlf_then_bad, 1, error_code="unknown_kecamatan",
         error_line=4),
    Case("tourism_long", "tourism", tourism_long, 0, 2),
    Case("tourism_wide", "tourism", tourism_wide, 0, 4),
    Case("tourism_bps", "tourism", tourism_bps, 0, 5, extra={"indicator": "wisnus_trips"}),
    Case("tourism_quarter", "tourism", tourism_quarter, 1, error_code="period_not_month", error_line=3),
    Case("tourism_conflict", "tourism", tourism_conflict, 1, error_code="tourism_conflict", error_line=2),
]


def write_case(case: Case, directory: Path) -> Path:
    return case.make(directory / f"{case.name}{case.extra.get('suffix', '.csv')}")
