"""ETL layer: the community satisfaction survey (dataset `skm`) — one row per respondent, each element column matched
to its element by meaning (base/skm.py), answers as 1–4, nothing personal stored.

The header reading (`read_header`, the Dataset's optional hook) places each element column:
1. `--elements` (options["elements"]), when given, names the element of each element column from left to right and
   overrides everything below ('-' leaves a column out);
2. a header whose words name an element (the question text, numbered or not, typos included; a keyword) is that
   element, whatever number it carries;
3. a code u1..u9 is that element in the regulation's order;
4. a header with only a number ("Unsur 8", "8.", "P8"), or none that says anything, is placed by its answer words
   where they belong to one element's scale only (where they fit two, U1 and U5, whose scales are the same, its
   number chooses between those two); then a column left alone with one element left is that element.
A column whose answer words belong to another element than its header says, two columns for one element, and a
column that cannot be placed while an element lacks one reject the file (`missing_required`), naming the columns.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import duckdb

from base import skm as words
from base.units import alias_key, pack_name_keys
from etl.ingest.mapping import SAMPLE_ROWS, HeaderReading, Mapping, guess_mapping, norm_header
from etl.ingest.read import run_script
from etl.ingest.result import Problem
from etl.ingest.service_requests import build_lookups
from etl.ingest.sniff import Sniffed
from etl.ingest.validate import lines_of
from etl.store import SQL_DIR

STAGING_SQL = SQL_DIR / "staging" / "skm.sql"
ELEMENT_FIELDS = tuple(f"u{i}" for i in range(1, 10))
PROFILE_FIELDS = ("umur", "jenis_kelamin", "pendidikan", "pekerjaan")
# Canonical field -> accepted headers (after mapping.norm_header), best first; u1..u9 are placed by read_header.
FIELDS: dict[str, tuple[str, ...]] = {
    "respondent_id": ("respondent_id", "id_responden", "no_responden", "nomor_responden", "kode_responden",
                      "responden_id", "response_id", "id", "no_kuesioner", "nomor_kuesioner", "id_survei"),
    "unit": ("unit", "unit_code", "kode_unit", "unit_id", "id_unit", "unit_layanan", "unit_pelayanan", "nama_unit",
             "nama_unit_layanan", "unit_kerja", "instansi", "nama_instansi", "opd", "perangkat_daerah", "skpd",
             "unit_penyelenggara", "penyelenggara_layanan", "kantor", "lokasi_layanan", "tempat_layanan"),
    "service_code": ("service_code", "kode_layanan", "layanan_id", "id_layanan", "layanan", "jenis_layanan",
                     "nama_layanan", "jenis_pelayanan", "layanan_yang_diterima", "jenis_layanan_yang_diterima",
                     "service", "service_name"),
    "submitted_at": ("submitted_at", "timestamp", "stempel_waktu", "cap_waktu", "tanggal", "tgl", "tanggal_survei",
                     "tanggal_pengisian", "tgl_pengisian", "tanggal_isi", "tgl_isi", "tgl_survei", "waktu_pengisian",
                     "tanggal_dan_waktu", "created_at", "created", "date", "submitted"),
    "umur": ("umur", "usia", "age", "umur_tahun", "usia_tahun", "kelompok_umur", "kelompok_usia", "umur_responden",
             "usia_responden"),
    "jenis_kelamin": ("jenis_kelamin", "jk", "kelamin", "gender", "sex", "l_p", "jenis_kelamin_l_p"),
    "pendidikan": ("pendidikan", "pendidikan_terakhir", "tingkat_pendidikan", "pendidikan_responden", "education"),
    "pekerjaan": ("pekerjaan", "pekerjaan_utama", "pekerjaan_responden", "profesi", "occupation", "job"),
    **{f: (f,) for f in ELEMENT_FIELDS},
}
# A header that starts so is the field when no header names it exactly ('Tgl_kunjungan', 'Unit layanan yang dituju').
PREFIXES: dict[str, tuple[str, ...]] = {
    "submitted_at": ("tgl_", "tanggal_", "timestamp", "waktu_pengisian"),
    "unit": ("unit_layanan", "unit_pelayanan", "unit_kerja", "nama_unit", "instansi", "nama_instansi"),
    "service_code": ("jenis_layanan", "jenis_pelayanan", "layanan_yang", "nama_layanan"),
}
REQUIRED = ("unit", "submitted_at")
MODES = ("append", "replace")  # replace: the file's units over the file's dates (data/README.md, "Loading data")
DATE_ORDER_PER_FILE = True     # dates with slashes are read day or month first, decided once per file
REFRESH_MARTS = False          # no request mart reads the survey
IGNORED = {"no", "nomor", "no_urut", "nomor_urut"}  # a sheet's row numbers
ANSWER_NUMBER = re.compile(r"^\s*[1-4]([.,]0+)?\s*$")
ANY_NUMBER = re.compile(r"^\s*[+-]?\d+([.,]\d+)?\s*$")
PHONE = r"^\s*(\+?62|0)[\s\-.]*8[\d\s\-.]{7,14}\s*$"
EMAIL = r"^\s*[^@\s]+@[^@\s]+\.[a-zA-Z]{2,}\s*$"
REPEAT_WINDOW = timedelta(hours=24)
MAX_LINES = 30  # lines a warning lists before "…"


def uses_extra_columns(_header: str) -> bool:
    return False


def column_label(field: str, m: Mapping, header: list[str]) -> str:
    i = m.fields.get(field)
    return header[i] if i is not None and header[i] else field


def problem_values(field: str, _m: Mapping) -> dict[str, str]:
    """An element's code and its four answer words, for the messages of its answers."""
    if field in ELEMENT_FIELDS:
        e = words.element(field)
        return {"element": e.code, "words": e.scale_text()}
    return {}


# --- answers -------------------------------------------------------------------------------------------------------
def answer_value(element: words.Element, raw: str | None) -> tuple[int | None, str | None]:
    """A cell of an element column as its answer 1..4, or (None, the error code): 1–4, a–d, the element's words
    (any case and spacing), or a letter or number before the words ('d. Sangat sesuai', '4 - Sangat sesuai')."""
    if raw is None or not str(raw).strip():
        return None, "skm_answer_missing"
    if ANSWER_NUMBER.match(raw):
        return int(raw.strip()[0]), None
    if ANY_NUMBER.match(raw):
        return None, "skm_answer_range"
    key = words.word_key(raw)
    scale, letters = element.scale(), words.letters()
    if key in scale:
        return scale[key], None
    if key in letters:
        return letters[key], None
    head, _, rest = key.partition(" ")
    prefix = letters.get(head) or (int(head) if head in ("1", "2", "3", "4") else None)
    if prefix is not None and rest in scale and scale[rest] == prefix:
        return prefix, None
    return None, "skm_answer_word"


def _word_elements(key: str, elements: tuple[words.Element, ...]) -> frozenset[str] | None:
    """The elements whose scale holds an answer word (None: the cell is a number or a letter, which says nothing)."""
    if not key or key in words.letters() or re.fullmatch(r"[0-9 ]+", key):
        return None
    head, _, rest = key.partition(" ")
    if rest and (head in words.letters() or head in ("1", "2", "3", "4")):
        key = rest
    return frozenset(e.code for e in elements if key in e.scale())


def _evidence(con: duckdb.DuckDBPyConnection, i: int, elements: tuple[words.Element, ...]) -> frozenset[str] | None:
    """The elements a column's answer words point to: those whose scale holds the most word cells (at least half of
    them). None when words are fewer than half of the column's cells (a stray word is the row's error, not the
    column's meaning), or they fit every element."""
    counts: Counter[frozenset[str]] = Counter()
    cells = 0
    for value, n in con.execute(f"SELECT c{i + 1}, count(*) FROM (SELECT c{i + 1} FROM ing_raw LIMIT {SAMPLE_ROWS}) "
                                f"WHERE c{i + 1} IS NOT NULL GROUP BY 1").fetchall():
        cells += n
        found = _word_elements(words.word_key(value), elements)
        if found is not None:
            counts[found] += n
    total = sum(counts.values())
    if not total or total * 2 < cells:
        return None
    covered = {e.code: sum(n for found, n in counts.items() if e.code in found) for e in elements}
    best = max(covered.values())
    chosen = frozenset(c for c, n in covered.items() if n == best)
    if best * 2 < total or len(chosen) == len(elements):
        return None
    return chosen


def _looks_like_answers(con: duckdb.DuckDBPyConnection, i: int, elements: tuple[words.Element, ...]) -> bool:
    """Whether nearly every value of a column with a header that says nothing is an answer (1–4, a–d, scale words)."""
    rows = con.execute(f"SELECT c{i + 1}, count(*) FROM (SELECT c{i + 1} FROM ing_raw LIMIT {SAMPLE_ROWS}) "
                       f"WHERE c{i + 1} IS NOT NULL GROUP BY 1").fetchall()
    total = sum(n for _, n in rows)
    if not total:
        return False
    scale_words = set().union(*(e.scale() for e in elements)) | set(words.letters())
    good = sum(n for v, n in rows if ANSWER_NUMBER.match(v) or words.word_key(v) in scale_words)
    return good >= 0.95 * total


def _value_personal(con: duckdb.DuckDBPyConnection, columns: list[int]) -> dict[int, str]:
    """Columns whose values are mostly phone numbers or e-mail addresses, or free text (long answers of many words)."""
    if not columns:
        return {}
    exprs = []
    for i in columns:
        c = f"c{i + 1}"
        exprs.append(f"avg(CASE WHEN {c} IS NULL THEN NULL WHEN regexp_matches({c}, $phone) THEN 1.0 ELSE 0.0 END), "
                     f"avg(CASE WHEN {c} IS NULL THEN NULL WHEN regexp_matches({c}, $email) THEN 1.0 ELSE 0.0 END), "
                     f"avg(CASE WHEN {c} IS NULL THEN NULL WHEN length({c}) >= 40 "
                     f"OR length(regexp_replace(trim({c}), '\\S+', '', 'g')) >= 5 THEN 1.0 ELSE 0.0 END)")
    shares = con.execute(f"SELECT {', '.join(exprs)} FROM (SELECT * FROM ing_raw LIMIT {SAMPLE_ROWS})",
                         {"phone": PHONE, "email": EMAIL}).fetchone()
    out: dict[int, str] = {}
    for k, i in enumerate(columns):
        phone, email, text = shares[3 * k: 3 * k + 3]
        if phone is not None and phone >= 0.5:
            out[i] = "pii_phone"
        elif email is not None and email >= 0.5:
            out[i] = "pii_email"
        elif text is not None and text >= 0.5:
            out[i] = "free_text"
    return out


def _elements_option(value: object) -> list[str | None] | None:
    """options["elements"] ('u1,u2,…' or a list) as element codes, None for a column left out ('-'); a name or a
    keyword counts as its element. ValueError names a bad entry."""
    if value is None or value == "" or value == []:
        return None
    items = [p.strip() for p in (value.split(",") if isinstance(value, str) else value)]
    out: list[str | None] = []
    for item in items:
        if item in ("-", "x", "skip", ""):
            out.append(None)
            continue
        meaning = words.read_header(item)
        code = meaning.code_element if not meaning.has_words else meaning.element
        if code is None:
            raise ValueError(item)
        out.append(code)
    return out


def _date_decision(con: duckdb.DuckDBPyConnection, i: int | None, header: str) -> dict[str, str]:
    """How the file writes its dates, decided once for the whole file: day or month first for dates with slashes
    (DD/MM/YYYY, as an Indonesian Excel saves them, or M/D/YYYY, as an English Google Form's Timestamp does), from
    the dates that settle it (a first number above 12 is a day, a second one above 12 is a day); with none, the
    header decides ('Timestamp' is an English Google Form's), else day first."""
    if i is None:
        return {"order": "", "basis": "none"}
    c = f"trim(c{i + 1})"
    slash, day_first, month_first, iso, serial = con.execute(
        f"""SELECT count(*) FILTER (WHERE m IS NOT NULL),
                   count(*) FILTER (WHERE m[1]::INTEGER > 12 AND m[2]::INTEGER <= 12),
                   count(*) FILTER (WHERE m[2]::INTEGER > 12 AND m[1]::INTEGER <= 12),
                   count(*) FILTER (WHERE regexp_matches(v, '^\\d{{4}}-\\d\\d?-\\d\\d?')),
                   count(*) FILTER (WHERE regexp_matches(v, '^\\d{{5}}(\\.\\d+)?$'))
            FROM (SELECT v, CASE WHEN regexp_matches(v, '^\\d{{1,2}}[/\\-.]\\d{{1,2}}[/\\-.]\\d{{4}}')
                                 THEN [regexp_extract(v, '^(\\d{{1,2}})', 1),
                                       regexp_extract(v, '^\\d{{1,2}}[/\\-.](\\d{{1,2}})', 1)] END AS m
                  FROM (SELECT {c} AS v FROM ing_raw WHERE c{i + 1} IS NOT NULL))"""
    ).fetchone()
    if not slash:
        order = "YYYY-MM-DD" if iso >= serial and iso else ("Excel serial" if serial else "YYYY-MM-DD")
        return {"order": order, "basis": "values"}
    if month_first > day_first:
        return {"order": "MM/DD/YYYY", "basis": "values", "against": str(day_first)}
    if day_first > month_first:
        return {"order": "DD/MM/YYYY", "basis": "values", "against": str(month_first)}
    if month_first:  # as many of each: the file mixes both; day first, and the others are named as errors
        return {"order": "DD/MM/YYYY", "basis": "values", "against": str(month_first)}
    if norm_header(header) == "timestamp":
        return {"order": "MM/DD/YYYY", "basis": "header"}
    return {"order": "DD/MM/YYYY", "basis": "default"}


def date_order(con: duckdb.DuckDBPyConnection, column: str) -> str | None:
    """How the file writes its dates, from the values alone (the full decision, with the header, is read_header's)."""
    m = re.fullmatch(r"c(\d+)", column)
    if m is None:
        return None
    return _date_decision(con, int(m.group(1)) - 1, "").get("order") or None


# --- the header -----------------------------------------------------------------------------------------------------
def read_header(con: duckdb.DuckDBPyConnection, header: list[str], options: dict[str, Any]) -> HeaderReading:
    """Field -> column for a survey file, its personal and free-text columns, and the element columns placed by
    meaning (module docstring); problems that stop the load are kept in detail["problems"]."""
    elements = words.elements()
    normed = [norm_header(h) for h in header]
    dropped = {i: why for i, n in enumerate(normed) if (why := words.personal_reason(n))}
    plain_spec = {f: a for f, a in FIELDS.items() if f not in ELEMENT_FIELDS}
    fields = {f: i for f, i in guess_mapping(header, plain_spec).items() if i not in dropped}
    used = set(fields.values()) | set(dropped)
    for fld, prefixes in PREFIXES.items():
        if fld not in fields:
            hit = next((i for i, n in enumerate(normed) if i not in used and n.startswith(prefixes)), None)
            if hit is not None:
                fields[fld] = hit
                used.add(hit)
    warnings: list[Problem] = []
    explained: set[int] = set()
    # element columns, left to right: what each header says
    columns: list[dict[str, Any]] = []
    others: list[int] = []   # neither a field nor an element by its header: checked for personal values
    unknown: list[int] = []  # of those, the ones whose header says nothing: an element column if its values are answers
    for i, h in enumerate(header):
        if i in used or normed[i] in IGNORED or not normed[i]:
            continue
        meaning = words.read_header(h)
        if meaning.element or meaning.is_code or (meaning.number is not None and not meaning.has_words):
            columns.append({"index": i, "column": h, "meaning": meaning})
            continue
        others.append(i)
        if meaning.score == 0 or not meaning.has_words:
            unknown.append(i)
    dropped |= _value_personal(con, others)
    for i in unknown:
        if i not in dropped and _looks_like_answers(con, i, elements):
            columns.append({"index": i, "column": header[i], "meaning": words.read_header("")})
    columns.sort(key=lambda c: c["index"])
    for c in columns:
        c["evidence"] = _evidence(con, c["index"], elements)
    problems: list[Problem] = []
    try:
        stated = _elements_option(options.get("elements"))
    except ValueError as exc:
        stated, problems = None, [Problem("skm_elements_option", values={"entry": str(exc)})]
    placed: dict[str, dict[str, Any]] = {}
    if stated is not None:
        if len(stated) > len(columns):
            problems.append(Problem("skm_elements_count", values={
                "n": len(stated), "m": len(columns), "columns": ", ".join(f'"{c["column"]}"' for c in columns)}))
        twice = [code for code, n in Counter(x for x in stated if x).items() if n > 1]
        if twice:
            problems.append(Problem("skm_elements_twice", values={"elements": ", ".join(twice)}))
        for c, code in zip(columns, stated, strict=False):
            c["element"], c["how"] = code, "order" if code else "left_out"
        for c in columns[len(stated):]:
            c["element"], c["how"] = None, "past"
    else:
        _place(columns, problems)
    for c in columns:
        if c.get("element") and c.get("how") not in ("left_out", "past"):
            other = placed.get(c["element"])
            if other is not None:
                problems.append(Problem("skm_element_twice", values={
                    "element": c["element"], "first": other["column"], "second": c["column"]}))
            placed.setdefault(c["element"], c)
    missing = [e.code for e in elements if e.code not in placed]
    unplaced = [c for c in columns if not c.get("element") and c.get("how") not in ("left_out", "past")]
    if unplaced and missing:
        suggestion = ",".join((c.get("element") or "?").lower() for c in columns)
        problems.append(Problem("skm_unplaced", values={
            "columns": ", ".join(f'"{c["column"]}"' for c in unplaced), "elements": ", ".join(missing),
            "example": suggestion}))
    for c in columns:
        i = c["index"]
        explained.add(i)
        if c.get("element") and placed.get(c["element"]) is c:
            fields[c["element"].lower()] = i
            e = words.element(c["element"])
            number = c["meaning"].number
            how = c["how"]
            if how == "text" and number is not None and f"U{number}" != e.code:
                how = "text_not_number"
            warnings.append(Problem(f"skm_element_{how}", column=c["column"], values={
                "element": e.code, "name_id": e.name_id, "name_en": e.name_en, "number": number or ""},
                kind="warning"))
        elif not missing or c.get("how") in ("left_out", "past"):
            warnings.append(Problem("skm_extra_column", column=c["column"], kind="warning"))
    detail = {"elements": [{"index": c["index"], "column": c["column"], "element": c.get("element"),
                            "how": c.get("how")} for c in columns],
              "problems": problems,
              "date": _date_decision(con, fields.get("submitted_at"),
                                     header[fields["submitted_at"]] if "submitted_at" in fields else "")}
    return HeaderReading(fields, dropped, detail, warnings, set(ELEMENT_FIELDS), explained)


def _place(columns: list[dict[str, Any]], problems: list[Problem]) -> None:
    """Steps 2–4 of the module docstring, in place: each column's element and how it was found."""
    all_codes = frozenset(words.ELEMENT_CODES)
    for c in columns:
        meaning, evidence = c["meaning"], c["evidence"]
        said = meaning.element or meaning.code_element
        if said is not None:
            if evidence is not None and said not in evidence:
                problems.append(Problem("skm_element_conflict", column=c["column"], values={
                    "element": said, "answers": " / ".join(sorted(evidence))}))
            c["element"], c["how"] = said, ("text" if meaning.element else "code")
        elif meaning.is_code and meaning.number is not None and meaning.number > 9:
            c["element"], c["how"] = None, "past"
    changed = True
    while changed:  # answer words, then what is left
        changed = False
        taken = {c["element"] for c in columns if c.get("element")}
        open_columns = [c for c in columns if not c.get("element") and c.get("how") != "past"]
        for c in open_columns:
            candidates = (c["evidence"] or all_codes) - taken
            number = f"U{c['meaning'].number}" if c["meaning"].number is not None else None
            if len(candidates) > 1 and c["evidence"] is not None and number in candidates:
                # words that fit two elements (U1 and U5 share their scale): the number chooses between those two
                c["element"], c["how"] = number, "words_number"
            elif len(candidates) == 1 and (c["evidence"] is not None or len(open_columns) == 1):
                c["element"] = next(iter(candidates))
                c["how"] = "words" if c["evidence"] is not None else "rest"
            else:
                continue
            changed = True
            break


def missing_required(_con: duckdb.DuckDBPyConnection, m: Mapping, _header: list[str],
                     _options: dict) -> list[Problem]:
    out = [Problem("missing_column", values={"field": f, "aliases": ", ".join(FIELDS[f][:6])})
           for f in REQUIRED if f not in m.fields]
    out += list(m.detail.get("problems", []))
    if not any(p.code == "skm_unplaced" for p in out):
        for e in words.elements():
            if e.field not in m.fields:
                out.append(Problem("skm_missing_element", values={
                    "element": e.code, "name_id": e.name_id, "name_en": e.name_en}))
    return out


# --- staging --------------------------------------------------------------------------------------------------------
def _table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list[Any]], types: dict[str, str]) -> None:
    cols = ", ".join(f"unnest(${k})::{types[k]} AS {k}" for k in columns)
    if not next(iter(columns.values()), []):
        cols = ", ".join(f"NULL::{types[k]} AS {k}" for k in columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} WHERE false")
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols}", columns)


def _distinct(con: duckdb.DuckDBPyConnection, m: Mapping, field: str, *, trimmed: bool = False) -> list[str]:
    """The distinct values of a field's column, as the cells hold them (or trimmed, as staging keeps them)."""
    i = m.fields.get(field)
    if i is None:
        return []
    value = f"nullif(trim(c{i + 1}), '')" if trimmed else f"c{i + 1}"
    return [r[0] for r in con.execute(f"SELECT DISTINCT {value} AS v FROM ing_raw WHERE v IS NOT NULL").fetchall()]


def unit_lookup(con: duckdb.DuckDBPyConnection, values: list[str], table: str = "ing_skm_units") -> None:
    """TEMP TABLE `table`(raw, unit_code): each spelling of a unit in the file and its unit (base.units names: code,
    names, aliases, a kantor camat by its kecamatan's name with or without the city's prefix); NULL when unknown."""
    keys = pack_name_keys()
    _table(con, table, {"raw": values, "unit_code": [keys.get(alias_key(v)) for v in values]},
           {"raw": "VARCHAR", "unit_code": "VARCHAR"})


def _answer_lookup(con: duckdb.DuckDBPyConnection, m: Mapping) -> None:
    raws, fields, values, problems = [], [], [], []
    for e in words.elements():
        for raw in _distinct(con, m, e.field):
            value, problem = answer_value(e, raw)
            raws.append(raw)
            fields.append(e.field)
            values.append(value)
            problems.append(problem)
    _table(con, "ing_skm_answer_words", {"field": fields, "raw": raws, "value": values, "problem": problems},
           {"field": "VARCHAR", "raw": "VARCHAR", "value": "TINYINT", "problem": "VARCHAR"})


def profile_value(field: str, raw: str) -> tuple[str | None, bool]:
    """A profile cell as its category and whether it was known: an age in years becomes its band, a band the file
    writes is kept in one spelling ('17 - 25 th' -> '17-25'); an unknown word is left empty (umur, jenis_kelamin) or
    read as 'Lainnya' (pendidikan, pekerjaan)."""
    key = words.word_key(raw)
    if field == "umur":
        age = re.fullmatch(r"(\d{1,3})( (th|thn|tahun|years?))?", key)
        if age:
            band = words.age_band(int(age.group(1)))
            return band, band is not None
        text = raw.strip().lower()
        nums = re.findall(r"\d{1,3}", text)
        if len(nums) == 2 and int(nums[0]) < int(nums[1]):
            return f"{int(nums[0])}-{int(nums[1])}", True
        if len(nums) == 1 and re.search(r"<|kurang|bawah|under", text):
            return f"<{int(nums[0])}", True
        if len(nums) == 1 and re.search(r">|lebih|atas|\+|over", text):
            n = int(nums[0]) + (1 if re.search(r">|lebih|over", text) and "=" not in text else 0)
            return f"{n}+", True
        return None, False
    table = words.profile_words(field)
    if key in table:
        return table[key], True
    return (None if field == "jenis_kelamin" else "Lainnya"), False


def _profile_lookup(con: duckdb.DuckDBPyConnection, m: Mapping) -> None:
    fields, raws, cats, known = [], [], [], []
    for f in PROFILE_FIELDS:
        for raw in _distinct(con, m, f):
            cat, ok = profile_value(f, raw)
            fields.append(f)
            raws.append(raw)
            cats.append(cat)
            known.append(ok)
    _table(con, "ing_skm_profile", {"field": fields, "raw": raws, "category": cats, "known": known},
           {"field": "VARCHAR", "raw": "VARCHAR", "category": "VARCHAR", "known": "BOOLEAN"})


def _lines_text(lines: list[int]) -> str:
    shown = ", ".join(str(x) for x in lines[:MAX_LINES])
    return shown + (f", … (+{len(lines) - MAX_LINES})" if len(lines) > MAX_LINES else "")


def _person(phone: str | None, email: str | None) -> str | None:
    """Who sent a row, in memory only: a phone's digits (62… written as 0…), else the e-mail in lower case."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    if len(digits) >= 8:
        return "tel:" + digits
    mail = (email or "").strip().lower()
    return "mail:" + mail if "@" in mail else None


def _repeats(con: duckdb.DuckDBPyConnection, m: Mapping) -> list[tuple[int, int]]:
    """(row, the row of the same person and unit it repeats) for rows sent again within REPEAT_WINDOW of the kept
    one: the same phone number or e-mail (used here, never stored) for the same unit; the first is kept."""
    phones = [i for i, why in sorted(m.dropped.items()) if why == "pii_phone"]
    mails = [i for i, why in sorted(m.dropped.items()) if why == "pii_email"]
    if not phones and not mails:
        return []
    phone = f"r.c{phones[0] + 1}" if phones else "NULL"
    mail = f"r.c{mails[0] + 1}" if mails else "NULL"
    rows = con.execute(
        f"""SELECT s.rn, s.unit_code, s.submitted_at, {phone}, {mail} FROM stg_skm AS s JOIN ing_raw AS r
            ON r.rowid = s.rn WHERE s.rn NOT IN (SELECT rn FROM ing_errors) ORDER BY s.submitted_at, s.rn"""
    ).fetchall()
    kept: dict[tuple[str, str], tuple[int, datetime]] = {}
    out: list[tuple[int, int]] = []
    for rn, unit, at, ph, em in rows:
        who = _person(ph, em)
        if who is None:
            continue
        first = kept.get((unit, who))
        if first is not None and at - first[1] < REPEAT_WINDOW:
            out.append((rn, first[0]))
        else:
            kept[(unit, who)] = (rn, at)
    return out


def stage(con: duckdb.DuckDBPyConnection, m: Mapping, s: Sniffed, *, now: object, append: bool,
          options: dict) -> dict:
    """Creates stg_skm (one typed row per respondent), ing_errors and ing_repeats (etl/sql/staging/skm.sql)."""
    build_lookups(con)  # ing_service_alias: a service by code or name, as service requests resolve it
    unit_lookup(con, _distinct(con, m, "unit", trimmed=True))
    _answer_lookup(con, m)
    _profile_lookup(con, m)
    date = m.detail.get("date", {})
    cols = {f: m.col(f) for f in FIELDS}
    kept = [f"c{i + 1}" for i in range(len(s.header)) if i not in m.dropped]
    cols["not_empty"] = f"coalesce({', '.join(kept)}) IS NOT NULL" if kept else "false"
    run_script(con, STAGING_SQL.read_text(encoding="utf-8").format(**cols),
               {"now": now, "month_first": date.get("order") == "MM/DD/YYYY"})
    warnings: list[Problem] = []
    if date.get("basis") in ("header", "default"):
        warnings.append(Problem(f"skm_date_order_{date['basis']}", values={"order": date["order"]}, kind="warning"))
    unknown = con.execute("SELECT rn, service_raw FROM stg_skm WHERE service_raw IS NOT NULL AND service_code IS NULL "
                          "ORDER BY rn").fetchall()
    if unknown:
        lines = lines_of(con, s, [r for r, _ in unknown])
        names = sorted({v for _, v in unknown})
        warnings.append(Problem("skm_unknown_service", column=column_label("service_code", m, s.header), values={
            "n": len(unknown), "values": ", ".join(f'"{v[:40]}"' for v in names[:5]) + (", …" if len(names) > 5
                                                                                       else ""),
            "lines": _lines_text([lines[r] for r, _ in unknown if r in lines])}, kind="warning"))
    for f in PROFILE_FIELDS:
        rows = [r for (r,) in con.execute(
            f"SELECT rn FROM stg_skm WHERE {f}_raw IS NOT NULL AND NOT {f}_known ORDER BY rn").fetchall()]
        if rows:
            lines = lines_of(con, s, rows)
            warnings.append(Problem(f"skm_profile_unknown_{'empty' if f in ('umur', 'jenis_kelamin') else 'other'}",
                                    column=column_label(f, m, s.header), values={
                                        "n": len(rows), "lines": _lines_text([lines[r] for r in rows if r in lines])},
                                    kind="warning"))
    repeats = _repeats(con, m)
    keep = bool(options.get("keep_repeats"))
    _table(con, "ing_repeats", {"rn": [] if keep else [r for r, _ in repeats]}, {"rn": "BIGINT"})
    if repeats:
        lines = lines_of(con, s, [x for pair in repeats for x in pair])
        pairs = [f"{lines.get(r, '?')} (→ {lines.get(f, '?')})" for r, f in repeats]
        shown = ", ".join(pairs[:MAX_LINES]) + (f", … (+{len(pairs) - MAX_LINES})" if len(pairs) > MAX_LINES else "")
        warnings.append(Problem("skm_repeats_kept" if keep else "skm_repeats", values={
            "n": len(repeats), "lines": shown}, kind="warning"))
    rows_read = con.execute("SELECT count(*) FROM stg_skm").fetchone()[0]
    return {"rows_read": rows_read, "repeats": 0 if keep else len(repeats), "warnings": warnings, "layout": None,
            "date_order": date.get("order") or None}


COLUMNS = ("respondent_id, unit_code, service_code, submitted_at, u1, u2, u3, u4, u5, u6, u7, u8, u9, umur, "
           "jenis_kelamin, pendidikan, pekerjaan")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """fct_skm_responses, fct_skm_actions and their undo tables (etl/sql/skm.sql; idempotent)."""
    con.execute((SQL_DIR / "skm.sql").read_text(encoding="utf-8"))


def write(con: duckdb.DuckDBPyConnection, load_id: int, mode: str) -> int:
    """Insert the valid respondents; a replace first moves the loaded respondents of the file's units, over each
    unit's dates in the file (first to last local day), to undo_skm_responses."""
    ensure_tables(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE ing_good AS SELECT {COLUMNS} FROM stg_skm "
                "WHERE rn NOT IN (SELECT rn FROM ing_errors) AND rn NOT IN (SELECT rn FROM ing_repeats)")
    n = int(con.execute("SELECT count(*) FROM ing_good").fetchone()[0])
    if n == 0:
        return 0  # nothing valid: touch nothing (a replace must not empty the table)
    if mode == "replace":
        span = """(SELECT unit_code, min(submitted_at)::DATE AS d0, max(submitted_at)::DATE AS d1 FROM ing_good
                   GROUP BY unit_code)"""
        replaced = (f"EXISTS (SELECT 1 FROM {span} AS g WHERE g.unit_code = f.unit_code "
                    "AND f.submitted_at::DATE BETWEEN g.d0 AND g.d1)")
        con.execute(f"INSERT INTO undo_skm_responses SELECT f.*, $id FROM fct_skm_responses AS f WHERE {replaced}",
                    {"id": load_id})
        con.execute(f"DELETE FROM fct_skm_responses AS f WHERE {replaced}")
    con.execute(f"INSERT INTO fct_skm_responses SELECT {COLUMNS}, $id FROM ing_good ORDER BY unit_code, submitted_at",
                {"id": load_id})
    return n


def fast_write(_con: duckdb.DuckDBPyConnection, _s: Sniffed, _m: Mapping, _load_id: int, _mode: str, *,
               now: object) -> None:
    """Surveys are small: always the full path, which names every error by line."""
    return None


def fast_warnings(_m: Mapping) -> list[Problem]:
    return []
