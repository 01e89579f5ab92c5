"""ETL layer: which file column feeds which database field (header aliases), and which columns hold personal data."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from etl.ingest.result import LoadResult, Problem
from etl.ingest.sniff import Sniffed

SAMPLE_ROWS = 5000  # the personal-data check reads the first rows only


def norm_header(name: str) -> str:
    """'Tanggal Pengajuan ' -> 'tanggal_pengajuan'; 'Created Date' -> 'created_date'."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


# Canonical field -> accepted header names (after norm_header), best first. Indonesian, English, Open311 GeoReport v2,
# NYC / SF 311 exports.
REQUEST_FIELDS: dict[str, tuple[str, ...]] = {
    "request_id": ("request_id", "id", "no_permohonan", "nomor_permohonan", "no_registrasi", "service_request_id",
                   "unique_key", "case_id", "caseid", "ticket_id", "no_tiket", "id_permohonan"),
    "service_code": ("service_code", "kode_layanan", "layanan", "jenis_layanan", "service", "service_name",
                     "nama_layanan", "complaint_type", "category", "request_type"),
    "kecamatan_code": ("kecamatan_code", "kode_kecamatan", "kecamatan", "kec", "district", "nama_kecamatan",
                       "supervisor_district", "borough"),
    "channel": ("channel", "kanal", "source", "saluran", "open_data_channel_type", "media"),
    "submitted_at": ("submitted_at", "tanggal_pengajuan", "tanggal_masuk", "tgl_masuk", "tgl_pengajuan", "created_date",
                     "requested_datetime", "opened", "created_at", "waktu_masuk"),
    "completed_at": ("completed_at", "tanggal_selesai", "tgl_selesai", "closed_date", "closed", "updated_datetime",
                     "waktu_selesai", "closed_at"),
    "status": ("status", "status_permohonan", "keadaan"),
    # a second way to say the service (Open311 has both service_code and service_name): read where the code is empty
    "service_name": ("service_name", "nama_layanan"),
    "lat": ("lat", "latitude", "lintang"),
    "lon": ("lon", "lng", "long", "longitude", "bujur"),
}
# What every KPI needs: which request, which service (its standard), where, and when it came in. The channel, the
# completion, the status and the coordinates may be missing: a real export (Open311, a registry extract) often has
# no channel; the channel is then `unknown`, the status follows the completion, and the map leaves the request out.
REQUEST_REQUIRED = ("request_id", "service_code", "kecamatan_code", "submitted_at")
# Columns of 311 exports that are read by nothing and may hold personal data (free text, a street address): dropped,
# with a warning. An export's own deadline (expected_datetime) is ignored: Pantau computes the deadline itself.
FREE_TEXT_HEADERS = {"address", "description", "agency_responsible", "alamat", "keterangan", "uraian",
                     "incident_address", "street_address", "resolution_description", "descriptor"}
IGNORED_HEADERS = {"expected_datetime", "due_date", "tenggat"}

TOURISM_FIELDS: dict[str, tuple[str, ...]] = {
    "indicator": ("indicator", "indikator", "variabel", "variable"),
    "area": ("area", "wilayah", "provinsi", "daerah", "region", "kabupaten_kota"),
    "period": ("period", "periode", "bulan", "month", "tanggal", "date", "waktu"),
    "value": ("value", "nilai", "jumlah", "angka"),
    "unit": ("unit", "satuan"),
    "source": ("source", "sumber", "source_url", "url"),
}
TOURISM_REQUIRED = ("indicator", "period", "value")

# Personal data: never stored anywhere. Names by header; NIK by header or by its values.
NAME_HEADERS = {"nama", "nama_pemohon", "nama_lengkap", "name", "full_name", "applicant", "applicant_name", "pemohon",
                "nama_pelapor", "reporter", "reporter_name", "first_name", "last_name", "contact_name", "nama_wp"}
NIK_HEADERS = {"nik", "no_nik", "nomor_nik", "nik_pemohon", "nomor_induk_kependudukan", "no_ktp", "nomor_ktp", "ktp",
               "national_id", "id_number", "no_kk", "nomor_kk"}
NIK_PATTERN = r"^\s*(\d{16}|\d(\.\d+)?[eE]\+15)\s*$"


@dataclass
class Mapping:
    """Field -> file column index (0-based); dropped personal-data columns; columns ignored."""

    fields: dict[str, int]
    dropped: dict[int, str] = field(default_factory=dict)   # index -> reason code (pii_name | pii_nik | …)
    ignored: list[int] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)     # what a dataset's own header reading found

    def col(self, name: str, table: str = "") -> str:
        """The SQL identifier of a field's column (c1..cN, made by our code, after `table.` if given), or NULL."""
        i = self.fields.get(name)
        return f"{table + '.' if table else ''}c{i + 1}" if i is not None else "NULL"


@dataclass
class HeaderReading:
    """What a dataset's own header reading (its optional `read_header` hook) found: field -> column, columns of
    personal data or free text by its own words or values (index -> reason), what it found besides (kept in
    Mapping.detail), its warnings, the fields whose mapping those warnings explain and the columns it explains
    (no generic `mapped_column` / `ignored_column` warning for them)."""

    fields: dict[str, int]
    dropped: dict[int, str] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    explained_fields: set[str] = field(default_factory=set)
    explained_columns: set[int] = field(default_factory=set)


HeaderReader = Callable[[duckdb.DuckDBPyConnection, list[str], dict[str, Any]], HeaderReading]


def guess_mapping(header: list[str], spec: dict[str, tuple[str, ...]]) -> dict[str, int]:
    normed = [norm_header(h) for h in header]
    out: dict[str, int] = {}
    used: set[int] = set()
    for fld, aliases in spec.items():
        for alias in aliases:
            hits = [i for i, h in enumerate(normed) if h == alias and i not in used]
            if hits:
                out[fld] = hits[0]
                used.add(hits[0])
                break
    return out


def personal_columns(con: duckdb.DuckDBPyConnection, header: list[str], keep: set[int],
                     own: frozenset[str] = frozenset()) -> dict[int, str]:
    """Columns holding applicant names or NIKs. `keep` (e.g. the request id) is only checked by header; a header
    that is one of the dataset's own field names (`own`: a programme's `name`) is that field, not a person's name."""
    out: dict[int, str] = {}
    for i, h in enumerate(header):
        n = norm_header(h)
        if n in own:
            continue
        if n in NAME_HEADERS or n.startswith("nama_pemohon"):
            out[i] = "pii_name"
        elif n in NIK_HEADERS:
            out[i] = "pii_nik"
        elif n in FREE_TEXT_HEADERS:
            out[i] = "free_text"
    candidates = [i for i in range(len(header)) if i not in out and i not in keep]
    if candidates:
        # one scan over a sample: share of values that look like a NIK, per column
        exprs = ", ".join(
            f"avg(CASE WHEN regexp_matches(c{i + 1}, $pat) THEN 1.0 WHEN c{i + 1} IS NULL THEN NULL ELSE 0.0 END)"
            for i in candidates
        )
        shares = con.execute(f"SELECT {exprs} FROM (SELECT * FROM ing_raw LIMIT $n)",
                             {"pat": NIK_PATTERN, "n": SAMPLE_ROWS}).fetchone()
        for i, share in zip(candidates, shares, strict=True):
            if share is not None and share >= 0.5:
                out[i] = "pii_nik"
    return out


def prepare(con: duckdb.DuckDBPyConnection, s: Sniffed, fields_spec: dict[str, tuple[str, ...]],
            uses_extra_columns: Callable[[str], bool],
            override: dict[str, str | None] | None, *, reader: HeaderReader | None = None,
            options: dict[str, Any] | None = None) -> tuple[Mapping, list[Problem]]:
    """The mapping of a read file: guessed from its header (by the dataset's own `reader` when it has one, which
    may also read the first rows of ing_raw), changed by `override` (field -> column name, or None to leave a field
    out), without personal-data columns; plus a warning for every column left unread."""
    header = s.header
    own = reader(con, header, dict(options or {})) if reader is not None else HeaderReading(
        guess_mapping(header, fields_spec))
    fields = dict(own.fields)
    if override:
        by_name = {h: i for i, h in enumerate(header)}
        for fld, col in override.items():
            if fld not in fields_spec:
                continue
            if col is None or col == "":
                fields.pop(fld, None)
            elif col in by_name:
                fields[fld] = by_name[col]
    keep = {fields["request_id"]} if "request_id" in fields else set()
    dropped = {**personal_columns(con, header, keep, frozenset(fields_spec)), **own.dropped}
    fields = {f: i for f, i in fields.items() if i not in dropped}
    warnings = [Problem(f"dropped_{why}", column=header[i], kind="warning") for i, why in sorted(dropped.items())]
    warnings += own.warnings
    # a field read from a column named otherwise (an alias: 'tanggal_masuk' for submitted_at) is said, so a wrong
    # guess shows before the load
    warnings += [Problem("mapped_column", column=header[i], values={"field": f}, kind="warning")
                 for f, i in fields.items() if norm_header(header[i]) != f and not (override and f in override)
                 and f not in own.explained_fields]
    used = set(fields.values()) | set(dropped)
    m = Mapping(fields, dropped, detail=own.detail)
    for i, h in enumerate(header):
        if i not in used and not uses_extra_columns(h):
            m.ignored.append(i)
            if h.strip() and norm_header(h) and i not in own.explained_columns:
                code = "ignored_deadline" if norm_header(h) in IGNORED_HEADERS else "ignored_column"
                warnings.append(Problem(code, column=h, kind="warning"))
    return m, warnings


def describe(res: LoadResult, s: Sniffed, m: Mapping, fields_spec: dict[str, tuple[str, ...]],
             warnings: list[Problem]) -> None:
    """What the result says of the mapping: every field's column, the dropped personal-data columns, the warnings."""
    res.warnings += warnings
    res.mapping = {f: (s.header[i] if i is not None else None) for f, i in
                   ((f, m.fields.get(f)) for f in fields_spec)}
    res.dropped_columns = [{"column": s.header[i], "reason": why} for i, why in sorted(m.dropped.items())]
