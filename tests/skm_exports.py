"""Messy satisfaction-survey (SKM) exports, as units save them, each written together with its ground truth.

Every writer is `writer(folder, city, n, seed) -> (path, Truth)`:

- `google_forms`: a Google Forms CSV: the questionnaire's question texts as headers (numbered, some misspelt, sarana
  asked 8th and pengaduan 9th), "Timestamp" as M/D/YYYY H:MM:SS, answers as words in any case and spacing, an e-mail,
  a name, a phone number that repeats within minutes, free text;
- `excel_xlsx`: an Indonesian Excel sheet: keyword headers, DD/MM/YYYY dates (text, and real date cells), words in
  capitals with line breaks in cells, numbers, a NIK column;
- `semicolon_cp1252`: a CSV with semicolons in Windows-1252: keyword headers in another order, letters a–d and
  numbers;
- `unsur_headers`: "Unsur 1" … "Unsur 9" headers, sarana under "Unsur 8" and pengaduan under "Unsur 9", words and
  numbers mixed (the words tell the element);
- `app_table`: an SKM web app's table: u1 … u15 in the app's own order (sarana u8, pengaduan u9, its own questions
  u10 …), UTC timestamps with 'Z', a phone column that repeats; it needs `--elements` (Truth.elements).

`Truth.rows` are the respondents the file should load as: `unit_code`, `service_code` (None when the file names none
or one the pack does not know), `submitted_at` (the city's naive local time), `answers` (u1 … u9: 1–4 in the
regulation's element order) and the profile categories. They come from this module's own word lists and the pack's
own files (units.csv, kecamatan.csv, services.csv, city.toml), apart from the loader (etl/ingest/skm.py) and
data/skm.toml, so a test compares the loaded rows with what the file meant, not with what the loader thinks.
`Truth.repeat_lines` are the physical lines the load should skip as repeats (Truth.rows_keep_repeats keeps them),
`Truth.personal` the strings (names, phones, e-mails, NIKs, free text) that must be stored nowhere.

For an end-to-end check (e.g. against `python -m etl skm --json`):

    from tests.skm_exports import WRITERS
    path, truth = WRITERS["google_forms"](tmp_path, "medan", 200, seed=1)
    # python -m etl load skm <path> [--elements <truth.elements>], then compare with truth.rows
"""

from __future__ import annotations

import csv
import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PACKS = Path(__file__).resolve().parent.parent / "data" / "reference"
REGULATION = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9")
QUESTIONNAIRE = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U9", "U8")  # the sample questionnaire asks sarana 8th
QUESTIONS = {
    "U1": "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
    "U2": "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
    "U3": "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
    "U4": "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
    "U5": "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar "
          "pelayanan dengan hasil yang diberikan?",
    "U6": "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
    "U7": "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
    "U8": "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
    "U9": "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
}
# Misspellings seen in real forms: the loader must still find the element.
TYPOS = {"U1": ("persyaratan", "persyaratn"), "U3": ("kecepatan", "kecepatn"), "U5": ("kesesuaian", "kesusaian"),
         "U6": ("kompetensi", "kompentensi"), "U7": ("perilaku", "prilaku")}
KEYWORDS = {"U1": "Persyaratan", "U2": "Prosedur", "U3": "Waktu Penyelesaian", "U4": "Biaya/Tarif",
            "U5": "Produk Spesifikasi Jenis Pelayanan", "U6": "Kompetensi Pelaksana", "U7": "Perilaku Pelaksana",
            "U8": "Penanganan Pengaduan", "U9": "Sarana dan Prasarana"}
WORDS = {  # the sample questionnaire's words for 1..4
    "U1": ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    "U2": ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
    "U3": ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
    "U4": ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
    "U5": ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    "U6": ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
    "U7": ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah"),
    "U8": ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik"),
    "U9": ("Buruk", "Cukup", "Baik", "Sangat baik"),
}
VARIANTS = {  # how units reword them
    "U3": ("Tidak tepat waktu", "Kurang tepat waktu", "Tepat waktu", "Selalu tepat waktu"),
    "U6": ("Tidak mampu", "Kurang mampu", "Mampu", "Sangat mampu"),
    "U8": ("Tidak ada", "Ada tapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik"),
}
GENDER = {"L": ("L", "Laki-laki", "Pria", "LAKI-LAKI"), "P": ("P", "Perempuan", "Wanita", "perempuan")}
EDUCATION = {"SD": ("SD", "SD ke bawah"), "SMP": ("SMP", "SLTP"), "SMA": ("SMA", "SLTA", "SMK"),
             "D1-D3": ("D3", "Diploma"), "S1": ("S1", "D4/S1", "Sarjana"), "S2": ("S2",), "S3": ("S3",)}
WORK = {"PNS": ("PNS", "ASN"), "TNI/POLRI": ("TNI", "POLRI"), "Swasta": ("Swasta", "Pegawai swasta"),
        "Wirausaha": ("Wiraswasta", "Wirausaha"), "Pelajar/Mahasiswa": ("Pelajar", "Mahasiswa"),
        "Lainnya": ("Lainnya", "Ibu rumah tangga")}
UNKNOWN_SERVICES = ("Legalisir ijazah", "Surat keterangan usaha")
FIRST = ("Siti", "Budi", "Rahmat", "Dewi", "Ketut", "Made", "Putu", "Wayan", "Nurhayati", "Sri")
LAST = ("Aminah Tarigan", "Santoso Ginting", "Hidayat Nasution", "Lestari Sembiring", "Ardana Wirawan",
        "Suastika Dharma", "Wahyuningsih Lubis", "Kurniawan Siregar")
FREE_TEXT = ("Pelayanan sudah baik, terima kasih", "Ruang tunggu panas, mohon tambah kipas",
             "Petugas ramah tetapi antrean lama sekali", "Tolong informasi syarat dipasang di depan")


@dataclass
class Truth:
    """What a written file should load as (module docstring)."""

    rows: list[dict] = field(default_factory=list)
    repeat_lines: list[int] = field(default_factory=list)
    repeat_rows: list[dict] = field(default_factory=list)   # the repeats, as they would load with --keep-repeats
    personal: list[str] = field(default_factory=list)
    elements: str | None = None                             # the --elements the file needs
    unknown_service_lines: list[int] = field(default_factory=list)

    @property
    def rows_keep_repeats(self) -> list[dict]:
        return self.rows + self.repeat_rows


@dataclass(frozen=True)
class _Unit:
    code: str
    spellings: tuple[str, ...]
    services: tuple[str, ...]


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _pack(city: str) -> tuple[list[_Unit], dict[str, tuple[str, ...]], ZoneInfo]:
    """The pack's units with the ways a form writes them, its services with their spellings, and its zone."""
    folder = PACKS / city
    settings = tomllib.loads((folder / "city.toml").read_text(encoding="utf-8"))
    prefixes = settings.get("kecamatan_name_prefixes", [])
    kec = {r["kecamatan_code"]: r["name"] for r in _read_csv(folder / "kecamatan.csv")}
    services = {r["service_code"]: (r["service_code"], r["name_id"]) for r in _read_csv(folder / "services.csv")}
    units = []
    for r in _read_csv(folder / "units.csv"):
        if r["kind"] == "kecamatan":
            name = kec[r["kecamatan_code"]]
            short = next((name[len(p):].strip() for p in prefixes if name.startswith(p + " ")), name)
            spellings = (f"Kantor Camat {name}", f"Kecamatan {name}", name, f"KEC. {name.upper()}",
                         f"kantor camat  {name.lower()} ", f"Kecamatan {short}", r["unit_code"])
        else:
            aliases = [a for a in r["aliases"].split("|") if a]
            spellings = (r["name_id"], r["unit_code"], *aliases[:2])
        units.append(_Unit(r["unit_code"], spellings, tuple(r["services"].split("|")) if r["services"] else ()))
    # the units a survey names: kantor camat, the offices of adminduk and licences, the MPP (not the LAPOR! admin)
    units = [u for u in units if not set(u.services) & {"LAPOR_INFO", "LAPOR_ADUAN", "LAPOR_LAPANGAN"}]
    return units, services, ZoneInfo(settings["timezone"])


def _band(age: int) -> str:
    if age < 20:
        return "<20"
    if age >= 60:
        return "60+"
    lo = age // 10 * 10
    return f"{lo}-{lo + 9}"


def _mess(rng: random.Random, word: str) -> str:
    """A word as people type it: its case, spaces around and inside it, a line break."""
    kind = rng.randrange(7)
    if kind == 0:
        return word.upper()
    if kind == 1:
        return word.lower() + "  "
    if kind == 2:
        return word.title()
    if kind == 3 and " " in word:
        return word.replace(" ", "  ", 1)
    if kind == 4 and " " in word:
        return word.replace(" ", "\n", 1)
    if kind == 5:
        return " " + word
    return word


def _answer_text(rng: random.Random, element: str, value: int, *, words: float, letters: float = 0.0) -> str:
    """An answer as a form writes it: its words (or a variant), a letter a–d, 'c. Sesuai', or the number."""
    roll = rng.random()
    if roll < words:
        table = VARIANTS.get(element) if element in VARIANTS and rng.random() < 0.3 else WORDS[element]
        text = _mess(rng, table[value - 1])
        if rng.random() < 0.1:
            text = f"{'abcd'[value - 1]}. {text.strip()}"
        return text
    if roll < words + letters:
        return "abcd"[value - 1] if rng.random() < 0.5 else "ABCD"[value - 1]
    return str(value)


def _respondents(city: str, n: int, seed: int, *, services: bool = True) -> tuple[list[dict], random.Random]:
    """n respondents of the city's units: unit, its spelling, service, local time, answers (regulation order),
    profile, and personal data."""
    rng = random.Random(seed)
    units, catalogue, _zone = _pack(city)
    out = []
    start = datetime(2025, 1, 2, 8, 0)
    for k in range(n):
        unit = rng.choice(units)
        svc_pool = unit.services or tuple(catalogue)
        svc_pool = tuple(s for s in svc_pool if not s.startswith("LAPOR")) or svc_pool
        if services and rng.random() < 0.06:
            service, service_text = None, rng.choice(UNKNOWN_SERVICES)
        elif services:
            service = rng.choice(svc_pool)
            service_text = rng.choice(catalogue[service])
        else:
            service, service_text = None, None
        day = start + timedelta(days=rng.randrange(0, 340), minutes=rng.randrange(0, 8 * 60), seconds=rng.randrange(60))
        age = rng.randrange(17, 75)
        gender = rng.choice(("L", "P"))
        education = rng.choice(tuple(EDUCATION))
        work = rng.choice(tuple(WORK))
        # mostly satisfied, some elements weaker, as real surveys are
        base = rng.choice((3, 3, 3, 4, 4, 2))
        answers = tuple(max(1, min(4, base + rng.choice((-1, 0, 0, 0, 1)))) for _ in REGULATION)
        out.append({
            "unit_code": unit.code, "unit_text": rng.choice(unit.spellings), "service_code": service,
            "service_text": service_text, "submitted_at": day.replace(microsecond=0), "answers": answers,
            "umur": _band(age), "age": age, "jenis_kelamin": gender, "gender_text": rng.choice(GENDER[gender]),
            "pendidikan": education, "education_text": rng.choice(EDUCATION[education]),
            "pekerjaan": work, "work_text": rng.choice(WORK[work]),
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {k}", "phone": f"08{rng.randrange(11, 99)}{k:08d}",
            "email": f"responden{k}.{seed}@contoh.id", "saran": f"{rng.choice(FREE_TEXT)} ({k})",
            "id": f"R{seed}-{k:05d}",
        })
    out.sort(key=lambda r: r["submitted_at"])
    return out, rng


def _truth_row(r: dict, *, profile: bool = True) -> dict:
    row = {"unit_code": r["unit_code"], "service_code": r["service_code"], "submitted_at": r["submitted_at"],
           "answers": r["answers"]}
    row |= ({"umur": r["umur"], "jenis_kelamin": r["jenis_kelamin"], "pendidikan": r["pendidikan"],
             "pekerjaan": r["pekerjaan"]} if profile else
            {"umur": None, "jenis_kelamin": None, "pendidikan": None, "pekerjaan": None})
    return row


def _add_repeats(rows: list[dict], rng: random.Random, share: float) -> list[tuple[dict, bool]]:
    """Rows in file order with repeated submissions put in: the same person (phone, e-mail) for the same unit a few
    minutes later (a repeat: skipped), plus two that are not repeats (another unit; more than 24 hours later)."""
    out: list[tuple[dict, bool]] = []
    for r in rows:
        out.append((r, False))
        if rng.random() < share:
            again = dict(r, submitted_at=r["submitted_at"] + timedelta(minutes=rng.randrange(1, 50)),
                         answers=tuple(rng.randrange(1, 5) for _ in REGULATION), id=r["id"] + "b")
            for _ in range(rng.choice((1, 1, 2))):
                out.append((again, True))
                again = dict(again, submitted_at=again["submitted_at"] + timedelta(minutes=3), id=again["id"] + "c")
    if len(rows) > 3:  # the same phone, another unit; the same phone and unit 30 hours later: both kept
        other_unit = next(r for r in rows if r["unit_code"] != rows[0]["unit_code"])
        out.append((dict(other_unit, phone=rows[0]["phone"], email=rows[0]["email"], id=rows[0]["id"] + "u",
                         submitted_at=rows[0]["submitted_at"] + timedelta(minutes=20)), False))
        out.append((dict(rows[1], submitted_at=rows[1]["submitted_at"] + timedelta(hours=30), id=rows[1]["id"] + "d"),
                    False))
    return out


def _write_csv(path: Path, header: list[str], rows: list[list[str]], *, delimiter: str = ",",
               encoding: str = "utf-8") -> list[int]:
    """Write the file; returns each data row's first physical line (a cell with a line break spans two)."""
    lines, line = [], 2
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            lines.append(line)
            line += 1 + sum(str(c).count("\n") for c in row)
    return lines


def _finish(truth: Truth, placed: list[tuple[dict, bool]], lines: list[int], *, profile: bool = True) -> Truth:
    for (r, repeat), line in zip(placed, lines, strict=True):
        if repeat:
            truth.repeat_lines.append(line)
            truth.repeat_rows.append(_truth_row(r, profile=profile))
        else:
            truth.rows.append(_truth_row(r, profile=profile))
        if r["service_text"] is not None and r["service_code"] is None:
            truth.unknown_service_lines.append(line)
        truth.personal += [r["name"], r["phone"], r["email"], r["saran"]]
    return truth


def google_forms(folder: Path, city: str, n: int = 120, seed: int = 1) -> tuple[Path, Truth]:
    """A Google Forms CSV export (module docstring)."""
    rows, rng = _respondents(city, n, seed)
    placed = _add_repeats(rows, rng, 0.08)
    questions = []
    for k, element in enumerate(QUESTIONNAIRE, 1):
        text = QUESTIONS[element]
        if element in TYPOS and rng.random() < 0.6:
            text = text.replace(*TYPOS[element])
        questions.append(f"{k}. {text}" if k % 3 else text)  # numbered or not
    header = ["Timestamp", "Alamat email", "Nama Lengkap", "Nomor HP/WA", "Unit Layanan yang Dinilai",
              "Jenis Layanan", "Usia", "Jenis Kelamin", "Pendidikan Terakhir", "Pekerjaan", *questions,
              "Kritik dan Saran"]
    out = []
    for r, _ in placed:
        t = r["submitted_at"]
        stamp = f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}:{t.second:02d}"
        phone = rng.choice((r["phone"], f"+62 {r['phone'][1:4]}-{r['phone'][4:8]}-{r['phone'][8:]}"))
        answers = [_answer_text(rng, e, r["answers"][REGULATION.index(e)], words=0.95) for e in QUESTIONNAIRE]
        out.append([stamp, r["email"], r["name"], phone, r["unit_text"], r["service_text"], str(r["age"]),
                    r["gender_text"], r["education_text"], r["work_text"], *answers, r["saran"]])
    path = folder / f"skm_google_forms_{city}.csv"
    return path, _finish(Truth(), placed, _write_csv(path, header, out))


def excel_xlsx(folder: Path, city: str, n: int = 80, seed: int = 2) -> tuple[Path, Truth]:
    """An Indonesian Excel sheet (module docstring)."""
    import xlsxwriter

    rows, rng = _respondents(city, n, seed)
    header = ["No", "Tanggal", "OPD", "Layanan", "Nama Responden", "NIK", "Umur", "JK", "Pendidikan", "Pekerjaan",
              *[KEYWORDS[e] for e in QUESTIONNAIRE]]
    path = folder / f"skm_excel_{city}.xlsx"
    truth = Truth()
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Rekap SKM")
    date_format = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    ws.write_row(0, 0, header)
    for k, r in enumerate(rows, 1):
        nik = f"1271{rng.randrange(10**11, 10**12):012d}"
        truth.personal += [r["name"], nik]
        values: list[object] = [k, None, r["unit_text"], r["service_text"], r["name"], nik, r["age"],
                                r["gender_text"], r["education_text"], r["work_text"]]
        for e in QUESTIONNAIRE:
            text = _answer_text(rng, e, r["answers"][REGULATION.index(e)], words=0.7)
            values.append(int(text) if text.isdigit() else text.upper() if rng.random() < 0.5 else text)
        ws.write_row(k, 0, values)
        t = r["submitted_at"]
        if rng.random() < 0.2:  # a real date cell
            ws.write_datetime(k, 1, t, date_format)
            truth.rows.append(_truth_row(r))
        else:  # a date typed as text, day first, without the time
            ws.write_string(k, 1, f"{t.day:02d}/{t.month:02d}/{t.year}")
            truth.rows.append(_truth_row(dict(r, submitted_at=t.replace(hour=0, minute=0, second=0))))
        if r["service_text"] is not None and r["service_code"] is None:
            truth.unknown_service_lines.append(k + 1)
    wb.close()
    return path, truth


def semicolon_cp1252(folder: Path, city: str, n: int = 80, seed: int = 3) -> tuple[Path, Truth]:
    """A semicolon CSV in Windows-1252 (module docstring)."""
    rows, rng = _respondents(city, n, seed, services=False)
    order = ("U9", "U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8")  # sarana asked first
    keyword = {"U1": "persyaratan", "U2": "prosedur", "U3": "waktu", "U4": "biaya", "U5": "produk",
               "U6": "kompetensi", "U7": "perilaku", "U8": "pengaduan", "U9": "sarana"}
    header = ["tgl_input", "Unit Kerja", *[keyword[e] for e in order], "Keterangan"]
    out = []
    for r in rows:
        t = r["submitted_at"]
        answers = [_answer_text(rng, e, r["answers"][REGULATION.index(e)], words=0.3, letters=0.4) for e in order]
        # plain spaces instead of line breaks: Windows-1252 files from Excel keep one record per line
        out.append([t.strftime("%Y-%m-%d %H:%M"), r["unit_text"], *[a.replace("\n", " ") for a in answers],
                    f"Café depan kantor – {r['saran']}"])
    path = folder / f"skm_semicolon_{city}.csv"
    lines = _write_csv(path, header, out, delimiter=";", encoding="cp1252")
    truth = Truth(personal=[r["saran"] for r in rows])
    for r, _line in zip(rows, lines, strict=True):
        truth.rows.append(_truth_row(dict(r, submitted_at=r["submitted_at"].replace(second=0)), profile=False))
    return path, truth


def unsur_headers(folder: Path, city: str, n: int = 80, seed: int = 4) -> tuple[Path, Truth]:
    """'Unsur 1' … 'Unsur 9' headers, sarana 8th and pengaduan 9th (module docstring)."""
    rows, rng = _respondents(city, n, seed)
    header = ["tgl_survei", "Instansi", "Kode Layanan", *[f"Unsur {k}" for k in range(1, 10)]]
    out = []
    for r in rows:
        t = r["submitted_at"]
        answers = [_answer_text(rng, e, r["answers"][REGULATION.index(e)], words=0.75) for e in QUESTIONNAIRE]
        out.append([t.strftime("%d-%m-%Y %H:%M"), r["unit_text"], r["service_code"] or r["service_text"], *answers])
    path = folder / f"skm_unsur_{city}.csv"
    lines = _write_csv(path, header, out)
    truth = Truth()
    for r, line in zip(rows, lines, strict=True):
        truth.rows.append(_truth_row(dict(r, submitted_at=r["submitted_at"].replace(second=0)), profile=False))
        if r["service_code"] is None:
            truth.unknown_service_lines.append(line)
    return path, truth


def app_table(folder: Path, city: str, n: int = 150, seed: int = 5) -> tuple[Path, Truth]:
    """An SKM web app's table (module docstring); load it with --elements Truth.elements."""
    rows, rng = _respondents(city, n, seed)
    _units, _services, zone = _pack(city)
    placed = _add_repeats(rows, rng, 0.1)
    header = ["id", "unit_id", "layanan_id", "created_at", "no_hp", *[f"u{k}" for k in range(1, 16)], "umur", "jk",
              "pendidikan", "pekerjaan"]
    out = []
    for k, (r, _) in enumerate(placed):
        utc = r["submitted_at"].replace(tzinfo=zone).astimezone(UTC)
        answers = [str(r["answers"][REGULATION.index(e)]) for e in QUESTIONNAIRE]
        extra = [str(rng.randrange(1, 6)) for _ in range(6)]  # the app's own questions, on a 1-5 scale
        out.append([str(1000 + k), r["unit_code"], r["service_code"] or "", utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    r["phone"], *answers, *extra, str(r["age"]), r["jenis_kelamin"], r["education_text"],
                    r["work_text"]])
    path = folder / f"skm_app_{city}.csv"
    for r, _ in placed:  # the app has no free text for unknown services: a blank is no service
        r["service_text"] = r["service_code"]
    truth = _finish(Truth(elements="u1,u2,u3,u4,u5,u6,u7,u9,u8"), placed, _write_csv(path, header, out))
    truth.personal = [r["phone"] for r, _ in placed]
    return path, truth


WRITERS: dict[str, Callable[..., tuple[Path, Truth]]] = {
    "google_forms": google_forms, "excel_xlsx": excel_xlsx, "semicolon_cp1252": semicolon_cp1252,
    "unsur_headers": unsur_headers, "app_table": app_table,
}
