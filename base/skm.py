"""Base layer: the community satisfaction survey's words (data/skm.toml, national; data/reference/<city>/
skm_words.toml, a pack's own additions) — the nine elements and their answer words, the profile categories, the
follow-up statuses, the personal-data headers of survey forms — and how a text names an element.

Shared by the survey loader (etl/ingest/skm.py, skm_actions.py) and the read side. Words are compared by
`word_key`: lower case, '&' as "dan", every run of other characters as one space, the file's abbreviations written out.

How a header names an element (`read_header`), by meaning, never by its number alone:
- its words are matched against each element's keywords (and phrases), exactly or, for a typo, by a similarity
  ratio of at least FUZZY against the closest keyword (a word that is itself a keyword never stands for another);
  each element scores the weights of its keywords found, plus a bonus when most of its sample question is there;
- the best element wins when it scores at least MIN_SCORE and MARGIN more than the next one;
- `u1`..`u9` is a code (the regulation's order); any other number ("Unsur 8", "8.", "P8") is only a number.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from base.settings import PackError, city_dir

SKM_FILE = Path(__file__).resolve().parent.parent / "data" / "skm.toml"
PACK_WORDS = "skm_words.toml"
ELEMENT_CODES = tuple(f"U{i}" for i in range(1, 10))
FUZZY = 0.85       # similarity ratio (difflib) at which a misspelt word counts as the keyword it is closest to
MIN_SCORE = 1.0    # a header names an element when it scores at least this (one keyword of full weight) …
MARGIN = 0.5       # … and this much more than any other element
QUESTION_SHARE = 0.6  # the share of a sample question's words a header must hold to earn the question's bonus


def _raw() -> dict[str, Any]:
    return tomllib.loads(SKM_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _national() -> dict[str, Any]:
    return _raw()


def word_key(text: object) -> str:
    """How answers, statuses and profile words are compared: 'Sangat  Sesuai\\n' -> 'sangat sesuai';
    'Tdk sopan & ramah' -> 'tidak sopan dan ramah'."""
    s = str(text).lower().replace("&", " dan ")
    words = re.sub(r"[^0-9a-z]+", " ", s).split()
    abbreviations = _national()["abbreviations"]
    return " ".join(abbreviations.get(w, w) for w in words)


@dataclass(frozen=True)
class Element:
    """One of the nine elements: its code (U1..U9), names, keywords with weights, sample questions and answer words
    (word_key -> 1..4, the regulation's four words first)."""

    code: str
    name_id: str
    name_en: str
    keywords: tuple[tuple[str, float], ...]
    questions: tuple[str, ...]
    answers: tuple[tuple[str, int], ...]

    @property
    def field(self) -> str:
        """The database column: u1..u9."""
        return self.code.lower()

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_id

    def scale(self) -> dict[str, int]:
        return dict(self.answers)

    def scale_text(self) -> str:
        """The four answers as the sample questionnaire words them: 'tidak sesuai / … / sangat sesuai'."""
        first: dict[int, str] = {}
        for word, value in self.answers:
            first.setdefault(value, word)
        return " / ".join(first[v] for v in sorted(first))


def _answer_lists(table: dict[str, Any], source: str, where: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for value, words in table.items():
        if value not in ("1", "2", "3", "4") or not isinstance(words, list):
            raise PackError(f"{source}, {where}: answers are listed as 1 = [\"word\", …] … 4 = [\"word\", …]; "
                            f"found {value!r}")
        out += [(word_key(w), int(value)) for w in words if word_key(w)]
    return out


def _merge(code: str, pairs: list[tuple[str, int]], source: str) -> tuple[tuple[str, int], ...]:
    seen: dict[str, int] = {}
    for word, value in pairs:
        if word in seen and seen[word] != value:
            raise PackError(f"{source}: the word {word!r} of element {code} means both {seen[word]} and {value}; "
                            f"give each word one answer")
        seen.setdefault(word, value)
    return tuple(seen.items())


@lru_cache(maxsize=8)
def _elements(pack: Path | None) -> tuple[Element, ...]:
    nat = _national()
    common = _answer_lists(nat.get("common_answers", {}), str(SKM_FILE), "common_answers")
    extra: dict[str, Any] = {}
    source = str(SKM_FILE)
    if pack is not None and (pack / PACK_WORDS).is_file():
        source = str(pack / PACK_WORDS)
        try:
            extra = tomllib.loads((pack / PACK_WORDS).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise PackError(f"{source}: {exc}") from None
        unknown = [k for part in ("answers", "keywords") for k in extra.get(part, {}) if k not in ELEMENT_CODES]
        if unknown or set(extra) - {"answers", "keywords"}:
            raise PackError(f"{source}: only [answers.U1] … [answers.U9] and [keywords.U1] … [keywords.U9] may be "
                            f"given (found {', '.join(unknown or sorted(set(extra) - {'answers', 'keywords'}))})")
    out = []
    for body in nat["elements"]:
        code = body["code"]
        pairs = _answer_lists(body["answers"], str(SKM_FILE), code) + common
        pairs += _answer_lists(extra.get("answers", {}).get(code, {}), source, f"[answers.{code}]")
        keywords = {word_key(k): float(v) for k, v in body["keywords"].items()}
        for k, v in extra.get("keywords", {}).get(code, {}).items():
            if not isinstance(v, int | float) or not 0 < float(v) <= 1:
                raise PackError(f"{source}, [keywords.{code}]: {k!r} needs a weight above 0 and at most 1")
            keywords[word_key(k)] = float(v)
        out.append(Element(code, body["name_id"], body["name_en"], tuple(keywords.items()),
                           tuple(body.get("questions", ())), _merge(code, pairs, source)))
    if tuple(e.code for e in out) != ELEMENT_CODES:
        raise ValueError(f"{SKM_FILE}: the elements must be U1..U9 in that order")
    return tuple(out)


def elements(city: str | None = None) -> tuple[Element, ...]:
    """The nine elements in the regulation's order, with the pack's own words added (PackError names a bad file)."""
    try:
        pack = city_dir(city)
    except (OSError, ValueError):
        pack = None
    return _elements(pack)


def element(code: str, city: str | None = None) -> Element:
    """The element U1..U9 (also u1..u9)."""
    return {e.code: e for e in elements(city)}[code.upper()]


def letters() -> dict[str, int]:
    """a -> 1 … d -> 4."""
    return {k: int(v) for k, v in _national()["letters"].items()}


def profile_words(field: str) -> dict[str, str]:
    """word_key(word) -> category for the profile field jenis_kelamin, pendidikan or pekerjaan."""
    return {word_key(w): category for category, words in _national()["profile"][field].items()
            for w in (category, *words)}


def age_band(age: int) -> str | None:
    """A whole age in years as its band ('<20', '20-29', …, '60+'), None outside the plausible ages."""
    spec = _national()["profile"]["umur"]
    starts = list(spec["band_starts"])
    if not spec["youngest"] <= age <= spec["oldest"]:
        return None
    if age < starts[0]:
        return f"<{starts[0]}"
    for lo, hi in pairwise(starts):
        if lo <= age < hi:
            return f"{lo}-{hi - 1}"
    return f"{starts[-1]}+"


def action_statuses() -> dict[str, str]:
    """word_key(word) -> planned | in_progress | done."""
    return {word_key(w): status for status, words in _national()["action_status"].items()
            for w in (status, *words)}


def personal_reason(header: str) -> str | None:
    """Why a survey column is personal data or free text, from its normalised header (mapping.norm_header):
    pii_name, pii_phone, pii_email, pii_address, pii_birth, free_text; None when it is neither."""
    spec = _national()["personal"]
    reasons = {"name": "pii_name", "phone": "pii_phone", "email": "pii_email", "address": "pii_address",
               "birth": "pii_birth", "free_text": "free_text"}
    for part, reason in reasons.items():
        if header in spec.get(part, ()) or any(header == p or header.startswith(p + "_")
                                               for p in spec.get(f"{part}_prefixes", ())):
            return reason
    return None


# --- which element a text names -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HeaderMeaning:
    """What a header (or a follow-up plan's `unsur` cell) says: the element its words name (None: none, or two
    equally), the number it carries, whether that number is a code u<N>, and the best and next scores."""

    element: str | None
    number: int | None
    is_code: bool
    score: float
    runner_up: float
    has_words: bool        # the text has words beyond numbers and stop words

    @property
    def code_element(self) -> str | None:
        """The element a code u1..u9 names in the regulation's order."""
        return f"U{self.number}" if self.is_code and self.number is not None and 1 <= self.number <= 9 else None


def _strip_suffix(word: str) -> str:
    return word[:-3] if word.endswith("nya") and len(word) > 6 else word


def _content_words(text: str) -> list[str]:
    stop = set(_national()["headers"]["stopwords"])
    return [_strip_suffix(w) for w in word_key(text).split() if not w.isdigit() and w not in stop
            and not re.fullmatch(r"[a-z]?\d+[a-z]?", w)]


@lru_cache(maxsize=8)
def _vocabulary(pack: Path | None) -> tuple[frozenset[str], tuple[tuple[str, tuple[tuple[tuple[str, ...], float], ...],
                                                                    tuple[tuple[str, ...], ...]], ...]]:
    """Every keyword word, and per element its terms (word tuples with weights) and its questions' content words."""
    words: set[str] = set()
    per: list[tuple[str, tuple[tuple[tuple[str, ...], float], ...], tuple[tuple[str, ...], ...]]] = []
    for e in _elements(pack):
        terms = tuple((tuple(_strip_suffix(w) for w in k.split()), weight) for k, weight in e.keywords)
        for t, _ in terms:
            words.update(t)
        questions = tuple(tuple(dict.fromkeys(_content_words(q))) for q in e.questions)
        per.append((e.code, terms, questions))
    return frozenset(words), tuple(per)


def _resolve(word: str, vocabulary: frozenset[str]) -> str | None:
    """The keyword a header word stands for: itself, or the single closest keyword by similarity (a typo)."""
    if word in vocabulary:
        return word
    if len(word) < 4:
        return None
    scored = sorted(((SequenceMatcher(None, word, v).ratio(), v) for v in vocabulary), reverse=True)
    if scored and scored[0][0] >= FUZZY and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][1]
    return None


def _similar(word: str, words: set[str]) -> bool:
    return word in words or any(SequenceMatcher(None, word, w).ratio() >= FUZZY for w in words)


def read_header(text: str, city: str | None = None) -> HeaderMeaning:
    """Which element `text` names by its words, and the number it carries (module docstring)."""
    try:
        pack = city_dir(city)
    except (OSError, ValueError):
        pack = None
    _elements(pack)  # checks the pack's words
    vocabulary, per = _vocabulary(pack)
    flat = re.sub(r"\s+", " ", str(text).strip().lower())
    code = re.match(r"^u\s*[_.\-]?\s*(\d{1,2})(?!\d)", flat)
    numbers = re.findall(r"(?<![0-9])(\d{1,2})(?![0-9])", flat)
    number = int(code.group(1)) if code else (int(numbers[0]) if numbers else None)
    words = _content_words(text)
    resolved = {r for r in (_resolve(w, vocabulary) for w in words) if r}
    present = set(words)
    scores: dict[str, float] = {}
    for element_code, terms, questions in per:
        score = sum(weight for t, weight in terms if all(w in resolved for w in t))
        for q in questions:
            if len(q) >= 2:
                share = sum(1 for w in q if _similar(w, present)) / len(q)
                if share >= QUESTION_SHARE:
                    score += share
        scores[element_code] = score
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, second = ranked[0], ranked[1]
    chosen = best[0] if best[1] >= MIN_SCORE and best[1] - second[1] >= MARGIN else None
    return HeaderMeaning(chosen, number, code is not None, round(best[1], 3), round(second[1], 3), bool(words))
