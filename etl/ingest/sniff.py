"""ETL layer: what kind of file an upload is — spreadsheet or text, its encoding, delimiter and line shape."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from etl.ingest.result import FileRejected
from etl.ingest.xlsx import xlsx_to_csv

CHUNK = 8 << 20  # big chunks: hashing and transcoding stay close to disk speed
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MAX_XLSX_BYTES = 50 << 20


@dataclass
class Sniffed:
    """What we learned about a file before reading it with DuckDB."""

    path: Path                 # the file DuckDB reads: the original, or a UTF-8 copy
    kind: str                  # text | xlsx
    encoding: str              # as found: utf-8, utf-8-sig, utf-16, cp1252, latin-1, xlsx
    delimiter: str
    header: list[str]
    sha256: str
    size: int
    sheet: str | None = None
    temp_files: list[Path] = field(default_factory=list)
    # Whether every record is one physical line (no quotes, which may span lines, and no blank line before the end),
    # so that record N sits on line N + 1. Found by a scan on first use: only a file with errors needs line numbers.
    one_line_records: bool | None = None

    def records_are_lines(self) -> bool:
        if self.one_line_records is None:
            self.one_line_records = _one_line_records(self.path)
        return self.one_line_records

    def cleanup(self) -> None:
        for p in self.temp_files:
            p.unlink(missing_ok=True)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _looks_binary(head: bytes) -> bool:
    """NUL bytes, or more than 5% control characters: a PDF, an image, an archive — not a table."""
    if b"\x00" in head:
        return True
    return len(head) > 0 and sum(head.count(bytes([c])) for c in _CONTROL) > 0.05 * len(head)


def _scan_text(path: Path) -> tuple[str, str]:
    """One pass: sha256 and encoding (utf-8 / utf-8-sig / utf-16 / cp1252 / latin-1)."""
    h = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8, first = True, True
    encoding = "utf-8"
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            if first:
                first = False
                if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    encoding = "utf-16"
                    is_utf8 = False
                elif chunk.startswith(codecs.BOM_UTF8):
                    encoding = "utf-8-sig"
                if encoding != "utf-16" and _looks_binary(chunk[:8192]):
                    raise FileRejected("not_text")
            if is_utf8 and not chunk.isascii():
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
    if encoding != "utf-16" and not is_utf8:
        encoding = "cp1252"
    return h.hexdigest(), encoding


def _one_line_records(path: Path) -> bool:
    """No quote anywhere and no blank line before the end of the data (a UTF-8 file)."""
    quotes = blanks = False
    tail = b""
    with open(path, "rb") as fh:
        while not quotes and (chunk := fh.read(CHUNK)):
            quotes = b'"' in chunk
            joined = tail + chunk
            blanks = blanks or b"\n\n" in joined or b"\n\r\n" in joined
            tail = chunk[-2:]
    if quotes:
        return False
    # blank lines only at the very end are harmless; re-check without the trailing newlines
    return not (blanks and _has_inner_blank_line(path))


def _has_inner_blank_line(path: Path) -> bool:
    """A blank line before the end of the data (blank lines only at the very end are harmless)."""
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - 4096))
        stop = max(0, size - 4096) + len(fh.read().rstrip(b"\r\n \t"))
        fh.seek(0)
        pos, tail = 0, b""
        while pos < stop and (chunk := fh.read(min(CHUNK, stop - pos))):
            joined = tail + chunk
            if b"\n\n" in joined or b"\n\r\n" in joined:
                return True
            tail = chunk[-2:]
            pos += len(chunk)
    return False


def _transcode(path: Path, encoding: str) -> tuple[Path, str]:
    """Write a UTF-8 copy of a UTF-16 / Windows-1252 / Latin-1 file (DuckDB reads UTF-8 only here)."""
    if encoding == "cp1252":
        # cp1252 leaves five bytes undefined; a file using them is Latin-1 (ISO-8859-1)
        try:
            with open(path, encoding="cp1252", newline="") as fh:
                while fh.read(CHUNK):
                    pass
        except UnicodeDecodeError:
            encoding = "latin-1"
    fd, tmp = tempfile.mkstemp(prefix="pantau-upload-", suffix=".csv")
    try:
        with open(path, encoding=encoding, newline="") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(CHUNK):  # the utf-16 codec consumes the BOM itself
                dst.write(chunk)
    except UnicodeDecodeError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise FileRejected("bad_encoding", detail=str(exc)[:80]) from None
    return Path(tmp), encoding


def _first_record(path: Path) -> str:
    """The header text: the first non-blank line (a header never spans lines in practice)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for line in fh:
            if line.strip():
                return line.rstrip("\r\n")
    return ""


def detect_delimiter(header: str, sample_lines: list[str]) -> str:
    """The delimiter that splits the header most often and the first rows the same way."""
    best, best_score = ",", -1.0
    for d in DELIMITERS:
        n = header.count(d)
        if n == 0:
            continue
        consistent = sum(1 for ln in sample_lines if ln.count(d) >= n)
        score = n + consistent * 0.5
        if score > best_score:
            best, best_score = d, score
    return best


def _sample(path: Path, n: int = 20) -> list[str]:
    out: list[str] = []
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        next(fh, None)
        for line in fh:
            if line.strip():
                out.append(line)
            if len(out) >= n:
                break
    return out


def _is_spreadsheet(path: Path) -> bool:
    with open(path, "rb") as fh:
        magic = fh.read(8)
    return magic.startswith(b"PK\x03\x04") or magic.startswith(b"\xd0\xcf\x11\xe0")


def sniff(path: Path) -> Sniffed:
    """Inspect `path`; raise FileRejected for empty, binary or unreadable files."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise FileRejected("empty_file")
    if _is_spreadsheet(path):
        if size > MAX_XLSX_BYTES:
            raise FileRejected("xlsx_too_big", mb=MAX_XLSX_BYTES >> 20)
        sha = sha256_of(path)
        csv_path, sheet = xlsx_to_csv(path)
        header_line = _first_record(csv_path)
        header = next(csv.reader(io.StringIO(header_line)), []) if header_line else []
        # one line per sheet row: xlsx_to_csv replaces line breaks inside cells
        return Sniffed(csv_path, "xlsx", "xlsx", ",", header, sha, size, sheet=sheet, temp_files=[csv_path],
                       one_line_records=True)
    sha, encoding = _scan_text(path)
    read_path, temps = path, []
    if encoding in ("utf-16", "cp1252"):
        read_path, encoding = _transcode(path, encoding)
        temps.append(read_path)
    header_line = _first_record(read_path)
    if not header_line.strip(" \t,;|\ufeff"):
        for t in temps:
            t.unlink(missing_ok=True)
        raise FileRejected("empty_file")
    delimiter = detect_delimiter(header_line, _sample(read_path))
    header = next(csv.reader(io.StringIO(header_line.lstrip("\ufeff")), delimiter=delimiter), [])
    return Sniffed(read_path, "text", encoding, delimiter, header, sha, size, temp_files=temps)
