"""Text clean-up for matching: tokens of folded text (text.sanitise.fold), glossary concepts,
cities (text.places), parts, URLs.

Everything here is pure and cached per distinct word, because the same few thousand words
recur across a hundred thousand titles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from text.glossary import CONCEPTS, PREFIX_CONCEPTS, STOPWORDS, TAIL_STEMS
from text.lexicon import ONLINE_PLACE_WORDS, STATUS_TOKENS
from text.places import city_forms
from text.sanitise import fold

ONLINE_CITY: Final = "online"
ONLINE_WORDS: Final = frozenset(fold(word) for word in ONLINE_PLACE_WORDS.split())

_TOKEN = re.compile(r"[a-z0-9]+")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+")
_BRACKETED = re.compile(r"[\(\[]([^\)\]]{1,40})[\)\]]")
_PREFIX = re.compile(r"^\s*([^:|–—]{1,60}?)\s*(?::|\||–|—|\s-\s)\s*(\S.*)$")
_SUFFIX = re.compile(r"^(.*\S)\s*(?:\||–|—|\s-\s)\s*([^:|–—]{1,40})$")
_ROMAN: Final = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8}
_PART_WORDS = r"(?:osa|part|del|session|jakso|moduuli|module|modul|kerta|tapaaminen|traff|vaihe)"
_PART_AFTER = re.compile(rf"\b{_PART_WORDS}\s*(\d{{1,2}}|[ivx]{{1,4}})\b")
_PART_BEFORE = re.compile(rf"\b(\d{{1,2}})\s*\.?\s*{_PART_WORDS}\b")
_PART_OF = re.compile(r"\b(\d)\s*/\s*(\d)\b")
_LEVEL = re.compile(r"^[abc][12]$")
_DROP_QUERY = ("utm_", "fbclid", "gclid", "mc_", "ref", "source", "lang")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


# Every name of a city (text.places), as folded words → one key per city: its folded Finnish
# name ("Åbo" and "Turun" → "turku"). A name of several words is its words joined by a space.
CITY_NAMES: Final[dict[str, str]] = {
    " ".join(tokens(form)): fold(city) for form, city in city_forms().items()
}


def _stem_table() -> tuple[re.Pattern[str], dict[str, str]]:
    stem_to_concept: dict[str, str] = {}
    for concept, stems in CONCEPTS.items():
        for stem in stems:
            stem_to_concept.setdefault(stem, concept)
    ordered = sorted(stem_to_concept, key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in ordered)), stem_to_concept


_STEMS, _STEM_CONCEPT = _stem_table()


@lru_cache(maxsize=200_000)
def concepts_of(token: str) -> tuple[str, ...]:
    """Glossary concepts a word stands for; compounds may hold several ("mentorointiohjelma").

    Stems of three letters or fewer must be the whole word, stems of four must start it (or
    follow another stem: "palkka|tuki", or end it when they are a compound's usual head:
    "verkostoitumis|ilta"), and longer stems may stand anywhere in a compound.
    """
    found: list[str] = []
    position = 0
    boundary = 0  # where a compound's next part may start: the start, or after a stem
    while position < len(token):
        match = _STEMS.match(token, position)
        if match is not None:
            stem = match.group()
            end = match.end() == len(token)
            whole = position == 0 and end
            short = len(stem) == 4 and (position == boundary or (end and stem in TAIL_STEMS))
            if len(stem) >= 5 or short or whole:
                concept = _STEM_CONCEPT[stem]
                if concept not in found:
                    found.append(concept)
                position = boundary = match.end()
                continue
        position += 1
    return tuple(found)


@lru_cache(maxsize=200_000)
def word_keys(token: str) -> tuple[str, ...]:
    """What one word contributes to a bag of words: a city, concepts, or the word itself.

    A word outside the glossary keeps its first six letters, so Finnish case endings
    ("Oodissa", "Oodi") and small spelling variants still meet.
    """
    if token in STOPWORDS or token in STATUS_TOKENS:
        return ()
    city = CITY_NAMES.get(token)
    if city is not None:
        return ("@" + city,)
    if token.isdigit() or _LEVEL.match(token):
        return ("#" + token,)
    concepts = concepts_of(token)
    if concepts:
        return concepts
    return (token[:6],) if len(token) > 1 else ()


def bag(text: str) -> frozenset[str]:
    return words_of(tokens(text))


def words_of(folded_tokens: Iterable[str]) -> frozenset[str]:
    """The bag of already folded tokens."""
    return frozenset(key for token in folded_tokens for key in word_keys(token))


def is_concept(key: str) -> bool:
    return key in CONCEPTS


def _drop_status(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        inner = set(tokens(match.group(1)))
        return " " if inner and inner <= STATUS_TOKENS | STOPWORDS else match.group(0)

    return _BRACKETED.sub(replace, text)


def _is_label(text: str) -> bool:
    """True when a title prefix or suffix only says what kind of event it is, or its status."""
    words = tokens(text)
    if not words or len(words) > 4:
        return False
    for word in words:
        if word in STATUS_TOKENS or word in STOPWORDS or word in ONLINE_WORDS:
            continue
        concepts = concepts_of(word)
        if not concepts or not set(concepts) <= PREFIX_CONCEPTS:
            return False
    return True


def clean_title(title: str) -> tuple[str, str]:
    """(full, core): the folded title without status words, and without a label prefix too.

    "PERUTTU: Webinaari: CV-klinikka (täynnä)" gives ("webinaari cv klinikka", "cv klinikka").
    """
    text = _drop_status(title)
    core = text
    for _ in range(3):
        match = _PREFIX.match(core)
        if match is None or not _is_label(match.group(1)):
            break
        core = match.group(2)
    match = _SUFFIX.match(core)
    if match is not None and _is_label(match.group(2)):
        core = match.group(1)

    def joined(value: str) -> str:
        return " ".join(t for t in tokens(value) if t not in STATUS_TOKENS)

    full, core_words = joined(text), joined(core)
    return full, core_words or full


@lru_cache(maxsize=100_000)
def part_number(title: str) -> int | None:
    """The part of a series a title names: "osa 2", "Part II", "del 3", "2. kerta", "1/3"."""
    text = fold(title)
    match = _PART_AFTER.search(text) or _PART_BEFORE.search(text)
    if match is not None:
        value = match.group(1)
        return int(value) if value.isdigit() else _ROMAN.get(value)
    match = _PART_OF.search(text)
    return int(match.group(1)) if match is not None else None


def is_year_near(token: str, year: int) -> bool:
    """A year in a title that only repeats when the event is ("Kesätyömessut 2027")."""
    return len(token) == 4 and token.isdigit() and abs(int(token) - year) <= 1


@lru_cache(maxsize=200_000)
def normalise_url(url: str) -> str | None:
    """A URL reduced to what identifies the page: no scheme, "www.", fragment, tracking query
    or trailing slash. None for something that is not an http(s) URL."""
    url = url.strip()
    fast = _plain_url(url)
    if fast is not None:
        return fast
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.removeprefix("www.")
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(_DROP_QUERY)]
    path = parts.path.rstrip("/")
    text = host + path + ("?" + urlencode(sorted(query)) if query else "")
    return text.lower()


_PLAIN_SCHEMES = ("https://", "http://")
_NOT_PLAIN = re.compile(r"[?#@\[\]:\\]")


def _plain_url(url: str) -> str | None:
    """`normalise_url` of the usual URL without a query, fragment, port or user, read
    without urlsplit (a third of a dedupe run's URL work); None when it is not that plain."""
    for scheme in _PLAIN_SCHEMES:
        if url.startswith(scheme):
            rest = url[len(scheme) :]
            break
    else:
        return None
    if not (rest.isascii() and rest.isprintable()) or " " in rest or _NOT_PLAIN.search(rest):
        return None
    host, slash, path = rest.partition("/")
    if not host:
        return None
    return (host.lower().removeprefix("www.") + (slash + path).rstrip("/")).lower()


def urls_in(text: str, limit: int = 2000) -> list[str]:
    """URLs written in the start of a description (an aggregator's "more at ..." link)."""
    return [u.rstrip(".,;:") for u in _URL_IN_TEXT.findall(text[:limit])]
