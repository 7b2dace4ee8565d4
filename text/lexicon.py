"""Words in Finnish, Swedish and English that map onto the closed vocabularies of store.vocab.

The status and online word tables here are the only ones: extraction reads them as written,
matching (dedupe.words) derives its folded word sets from them. City names are in text.places.

Categories and audiences come from two sources: the fi/sv/en labels of YSO concepts
(text/data/yso_categories.json, written by tools/yso_labels.py: courses, seminars, mentoring,
volunteering, recruitment, ...), matched whatever their inflection through text.morphology
(Voikko's base forms where installed, else Snowball stems), and the project's own words for
what YSO has no concept for or names otherwise (info sessions, language cafés, job fairs,
English "Recruitment Day"). Finnish builds compounds ("rekrytointimessut", "maahanmuuttajille"),
so most entries are stems matched anywhere inside a word (``|`` separates entries); entries
written with ``\\b`` must stand at a word boundary. Within a word the longest match wins:
"verkkoseminaari" is a webinar, not a seminar. Categories are read from titles and keywords
first and from the description only when those say nothing: a job fair's description that
mentions a CV workshop is still a job fair.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib.resources import files

from store import vocab
from text.morphology import base_forms, stem, word_forms
from text.sanitise import fold

# Read as package data, so that it is found inside a zipped egg too (a Scrapyd node's crawl).
YSO_CONCEPTS = files("text") / "data" / "yso_categories.json"

CATEGORY_WORDS: dict[str, str] = {
    "job-fair": (
        "rekrytointimessu|rekrymessu|työmessu|uramessu|rekrytointitapahtum|"
        "rekrytreff|rekrytointitreff|rekrypäiv|rekrytointipäiv|työnantajatapaami|"
        "job fair|career fair|careers fair|recruitment fair|recruitment event|"
        "recruiting event|career day|\\bexpo\\b|jobbmäss|rekryteringsmäss|"
        "karriärmäss|rekryteringsevenemang|arbetsgivarträff|karriärdag|"
        "rekry|recruitment|recruiting|työnhakupäiv|meet the employer|tapaa työnantaj|"
        "träffa arbetsgivar|\\bmessut\\b"
    ),
    "mentoring": "mentor|mentoring|mentee|job buddy|jobbuddy",
    "webinar": "webinaar|webinar|webbinar|verkkoluento|verkkoluenno|online talk",
    "workshop": (
        "työpaj|paja\\b|pajat\\b|pajassa\\b|workshop|verkstad|klinikka|clinic|sparring|"
        "sparraus|harjoitu|hands-on"
    ),
    "course": (
        "kurs|koulutus|valmennus|utbildning|\\bcourse|training|bootcamp|opintojakso|\\bstudier\\b"
    ),
    "seminar": (
        "seminaari|seminar|luento|luennot|luennoi|lecture|föreläsning|conference|konferenssi|"
        "konferens|paneeli|panel|\\btalk\\b|symposi|keynote|aamukahvit"
    ),
    "networking": (
        "verkostoitu|verkosto|networking|nätverk|meetup|afterwork|after work|"
        "mingel|kielikahvil|språkcafé|språkkafé|språkkafe|language café|language cafe|kohtaamis|"
        "~träff\\b|kielen kahvil|keskustelukahvil|samtalsgrupp"
    ),
    "info-session": (
        "infotilaisuu|info-ilta|infoilta|info session|infosession|"
        "information session|infotillfälle|informationstillfälle|\\binfo\\b|"
        "tiedotustilaisuu|open day|avoimet ovet|tietoisku|\\binfo|info\\b|informationsträff|"
        "informationsmöte"
    ),
    "volunteering": "vapaaehtoi|volunteer|frivillig|volontär|talkoo",
}

AUDIENCE_WORDS: dict[str, str] = {
    "immigrants": (
        "maahanmuutta|maahan muuttane|kotoutu|invandrar|inflyttar|nyinflytt|"
        "integration|immigrant|newcomer|new in finland|ny i finland|\\bmigrant|"
        "maahantullei|kotoutujil|ukrainalais|ukrainian|ukrainare|nyanländ"
    ),
    "women": (
        "naisille|naisten\\b|\\bnaiset\\b|kvinnor|kvinno|\\bwomen|\\bwoman|female|"
        "womento|tytöille|flickor|\\bgirls\\b|\\bnais"
    ),
    "students": (
        "opiskelij|opiskelev|student|studerande|\\balumn|korkeakoulu|högskolestuder|graduate"
    ),
    "youth": (
        "\\bnuor|nuorille|ungdom|\\bunga\\b|young people|youth|\\bteen|alle 30-v|under 30|ohjaamo"
    ),
    "unemployed": (
        "työttöm|työnhak|työtä hakev|arbetslös|arbetssök|jobbsök|unemployed|"
        "job seeker|jobseeker|job-seeker|looking for work|job hunting|palkkatuki|"
        "lönesubvention|työmarkkinatu"
    ),
    "entrepreneurs": (
        "yrittäj|yritystoimin|\\bstartup|start-up|företagar|entrepreneur|founder|"
        "oma yritys|eget företag|yrityksen perust|grunda företag|starta eget|starta företag"
    ),
    "international": (
        "international|kansainväli|internationell|english-speaking|"
        "\\bin english\\b|englanniksi|på engelska|\\bexpat|talent boost|foreign|"
        "ulkomaalai|utländsk"
    ),
}

# Words and phrases that name a status of store.vocab, the one table of them: extraction
# reads a listing's status from them (status_word, split_status), matching drops their
# single words from titles (STATUS_TOKENS).
STATUS_WORDS: dict[str, str] = {
    vocab.CANCELLED: ("peruttu|peruutettu|perutaan|inställt|inställd|inhiberat|cancelled|canceled"),
    vocab.POSTPONED: (
        "siirretty|siirtyy|lykätty|framflyttat|framflyttad|uppskjutet|uppskjuten|postponed"
    ),
    vocab.RESCHEDULED: "uusi ajankohta|uusi aika|ny tidpunkt|ny tid|rescheduled|new date",
}
# Words a title carries about the listing that name no status of store.vocab ("täynnä",
# "sold out", "updated"): matching drops them with the status words.
LISTING_NOTE_WORDS = """
    täynnä loppuunmyyty uusittu päivitetty fullbokad fullsatt full sold out soldout updated live
"""
# Folded single words of both tables, for matching (a phrase's words stay: "new date").
STATUS_TOKENS: frozenset[str] = frozenset(
    {fold(w) for words in STATUS_WORDS.values() for w in words.split("|") if " " not in w}
    | {fold(w) for w in LISTING_NOTE_WORDS.split()}
)

# Stems that say, anywhere in a text, that an event is online (attendance_in).
ONLINE_WORDS = (
    "verkossa|verkkotapahtum|etänä|etäyhtey|etätapahtum|etäosallistu|online|"
    "webinaar|webinar|webbinar|zoom|\\bteams\\b|google meet|på distans|"
    "distansevenemang|virtuell|virtual|livestream|striim|internet|"
    "digitaalinen tapahtuma"
)

# Whole words that mean "online" and no place: a venue written only with them ("Verkossa
# (Teams)", "Online") is none (scrapers.normalise), and a title label made of them ("Etänä:")
# says nothing about the event (dedupe.words). Some are too common for ONLINE_WORDS ("verkko"
# is in "verkkosivut", web pages; "event", "remote work").
ONLINE_PLACE_WORDS = """
    online verkossa verkko verkkotapahtuma internet zoom teams microsoft google meet
    webinaari webinar webbinarium etänä etäyhteys virtual virtuell på distans livestream
    striimi event tapahtuma remote
"""

HYBRID_WORDS = (
    "hybridi|hybrid|paikan päällä ja verkossa|paikan päällä tai verkossa|"
    "på plats och på distans|på plats eller på distans|in person and online|"
    "on-site and online|onsite and online"
)

FREE_WORDS = (
    "maksuton|ilmainen|vapaa pääsy|veloituksetta|free of charge|free entry|"
    "free admission|\\bfree\\b event|no cost|\\bgratis\\b|avgiftsfri|kostnadsfri|"
    "fritt inträde|\\bfree\\b to attend"
)


_WORD = re.compile(r"[^\W\d_]+")
_ONE_WORD = re.compile(r"(?:\\b)?[^\W\d_]+(?:\\b)?")
# A word's matches: (value, start, end) within the word; start -1 when found through its
# base forms or stems only (it then has no place in the word).
_Hit = tuple[str, int, int]


def yso_terms(kind: str) -> dict[str, list[tuple[str, str]]]:
    """{value: [(language, label)]} of the YSO concepts for categories or audiences, each
    label without its qualifier ("messut (tapahtumat)" -> "messut")."""
    data = json.loads(YSO_CONCEPTS.read_text(encoding="utf-8"))
    terms: dict[str, list[tuple[str, str]]] = {}
    for concept in data["concepts"]:
        if kind in concept:
            for language, label in concept["labels"].items():
                plain = re.sub(r"\s*\(.*?\)", "", label).strip().casefold()
                terms.setdefault(concept[kind], []).append((language, plain))
    return terms


class _Vocabulary:
    """Which values of a vocabulary a text names.

    Own entries are ``|``-separated: a single word is found inside a word (``\\b`` ties it to
    the word's start or end), anything longer ("job fair", "info-ilta") in the text. YSO
    labels (`terms`) are found in a word, its stems or its Finnish base forms: a Finnish or
    Swedish label or stem inside the word (compounds), an English one as the word's stem.
    Within a word the longest match wins over those it overlaps, and a weak entry (``~``, e.g.
    "träff") counts only when nothing else does ("rekryteringsträff" is a job fair); a word
    inside a longer entry says only what that entry says ("online talk" is a webinar).
    """

    def __init__(
        self,
        values: dict[str, str],
        terms: dict[str, list[tuple[str, str]]] | None = None,
        use_voikko: bool = True,
    ) -> None:
        self.use_voikko = use_voikko
        self.parts: list[tuple[str, str, str]] = []  # (entry, part|start|end|word, value)
        self.morph: list[tuple[str, str, str]] = []  # (key, language, value)
        self._cache: dict[str, frozenset[str]] = {}
        # Longer entries: (text to look for, its pattern when it has \\b, value).
        self.phrases: list[tuple[str, re.Pattern[str] | None, str]] = []
        for value, words in values.items():
            longer = []
            for entry in words.split("|"):
                weak = entry.startswith("~")
                entry = entry.removeprefix("~")
                if _ONE_WORD.fullmatch(entry):
                    mode = ("weak-" if weak else "") + _mode(entry)
                    self.parts.append((entry.replace("\\b", "").casefold(), mode, value))
                else:
                    longer.append(entry.casefold())
            for language, label in (terms or {}).get(value, []):
                if _WORD.fullmatch(label):
                    keys = _keys(label, language, use_voikko)
                    self.morph += [(k, language, value) for k in keys]
                else:
                    longer.append(label)
            for entry in longer:
                pattern = re.compile(_bounded(entry)) if "\\b" in entry else None
                self.phrases.append((entry.replace("\\b", ""), pattern, value))
        # Entries and keys by their first three letters: a word is only checked against those
        # whose start it contains (most words of a description contain none).
        self.index: dict[str, list[tuple[str, str, str, bool]]] = {}
        for entry, mode, value in self.parts:
            self.index.setdefault(entry[:3], []).append((entry, mode, value, False))
        for key, language, value in self.morph:
            self.index.setdefault(key[:3], []).append((key, language, value, True))

    def found(self, folded: str) -> set[str]:
        """The values named in `folded` (text already casefolded)."""
        values: set[str] = set()
        phrases: list[tuple[str, int, int]] = []
        for text, pattern, value in self.phrases:
            if text not in folded:
                continue
            if pattern is None:
                at = folded.find(text)
                while at >= 0:
                    phrases.append((value, at, at + len(text)))
                    at = folded.find(text, at + 1)
            else:
                phrases += [(value, *match.span()) for match in pattern.finditer(folded)]
        values |= {value for value, _, _ in phrases}
        for match in _WORD.finditer(folded):
            word = match.group()
            found = self._cache.get(word)
            if found is None:
                if len(self._cache) > 100_000:
                    self._cache.clear()
                found = self._cache[word] = self._in_word(word)
            # a word inside a phrase says what the phrase says: "online talk" is no talk
            ruling = {v for v, a, b in phrases if a <= match.start() and match.end() <= b}
            values |= found & ruling if ruling else found
        return values

    def _in_word(self, word: str) -> frozenset[str]:
        candidates = [c for i in range(len(word) - 2) for c in self.index.get(word[i : i + 3], ())]
        if not candidates:
            return frozenset()
        hits: list[_Hit] = []
        weak: list[_Hit] = []
        for entry, how, value, morph in dict.fromkeys(candidates):
            if not morph:  # own entry: in the word, else in its Finnish base forms
                found = weak if how.startswith("weak-") else hits
                mode = how.removeprefix("weak-")
                at = _place(word, entry, mode)
                if at >= 0:
                    found.append((value, at, at + len(entry)))
                elif self.use_voikko and any(
                    _place(base, entry, mode) >= 0 for base in base_forms(word)
                ):
                    found.append((value, -1, -1))  # "palkkatuesta" is "palkkatuki"
                continue
            at = word.find(entry) if how != "en" else (0 if word == entry else -1)
            if at >= 0:
                hits.append((value, at, at + len(entry)))
            elif how == "en":
                if stem(word, "en") == entry:
                    hits.append((value, -1, -1))
            elif any(entry in form for form in word_forms(word, how, self.use_voikko)):
                hits.append((value, -1, -1))
        if not hits:  # a weak entry ("träff") counts when nothing else in the word does
            hits = weak
        return frozenset(
            value
            for value, start, end in hits
            if start < 0
            or not any(
                other != value and s < end and start < e and e - s > end - start
                for other, s, e in hits
                if s >= 0
            )
        )


def _mode(entry: str) -> str:
    starts, ends = entry.startswith("\\b"), entry.endswith("\\b")
    return "word" if starts and ends else "start" if starts else "end" if ends else "part"


def _place(word: str, entry: str, mode: str) -> int:
    """Where `entry` stands in `word` as its mode asks, else -1."""
    if mode == "part":
        return word.find(entry)
    if mode == "start":
        return 0 if word.startswith(entry) else -1
    if mode == "end":
        return len(word) - len(entry) if word.endswith(entry) else -1
    return 0 if word == entry else -1


def _keys(label: str, language: str, use_voikko: bool) -> set[str]:
    """What a one-word YSO label is found by: itself, its stem when that keeps most of it
    ("naiset" -> "naise", not "företagare" -> "företag", companies), and in Finnish its base
    forms ("kurssit" -> "kurssi"). Keys shorter than four letters are left out."""
    keys = {label}
    stemmed = stem(label, language)
    if len(stemmed) >= len(label) - 2:
        keys.add(stemmed)
    if language == "fi" and use_voikko:
        keys |= base_forms(label)
    return {k for k in keys if len(k) >= 4}


def _bounded(word: str) -> str:
    return re.escape(word.replace("\\b", "\x00")).replace("\x00", r"\b")


class _Words(_Vocabulary):
    """A single list of entries: does the text name any of them?"""

    def __init__(self, words: str) -> None:
        super().__init__({"yes": words})

    def search(self, folded: str) -> bool:
        return bool(self.found(folded))


def category_vocabulary(use_voikko: bool = True) -> _Vocabulary:
    """The categories' words and YSO labels (without Voikko: Snowball stems only)."""
    return _Vocabulary(CATEGORY_WORDS, yso_terms("category"), use_voikko)


def audience_vocabulary(use_voikko: bool = True) -> _Vocabulary:
    return _Vocabulary(AUDIENCE_WORDS, yso_terms("audience"), use_voikko)


_CATEGORIES = category_vocabulary()
_AUDIENCES = audience_vocabulary()
_ONLINE = _Words(ONLINE_WORDS)
_HYBRID = _Words(HYBRID_WORDS)
_FREE = _Words(FREE_WORDS)
_STATUS_BY_WORD = {
    word: status for status, words in STATUS_WORDS.items() for word in words.split("|")
}
_STATUS_ALTERNATION = "|".join(
    re.escape(word).replace("\\ ", r"\s+") for word in sorted(_STATUS_BY_WORD, key=len)[::-1]
)
_STATUS_LEAD = re.compile(
    r"^\s*[\[(*]?\s*(?P<word>" + _STATUS_ALTERNATION + r")(?P<word2>)\s*[\])*]?\s*"
    r"(?:[:!–—-]+\s*|\s+)",
    re.IGNORECASE,
)
_STATUS_TAIL = re.compile(
    r"\s*(?:[:–—-]+\s*|\s+)?[\[(*]\s*(?P<word>" + _STATUS_ALTERNATION + r")\s*[\])*]?\s*$"
    r"|\s*[:–—-]+\s*(?P<word2>" + _STATUS_ALTERNATION + r")[!.]*\s*$",
    re.IGNORECASE,
)
_PLACE_LABEL = re.compile(
    r"(?:^|\n)\s*(?:paikka|sijainti|osoite|tapahtumapaikka|plats|adress|where|location|venue|"
    r"place|address)\s*:\s*([^\n]{2,200})",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def categories_in(text: str) -> tuple[str, ...]:
    """Categories whose words occur in the text, in vocabulary order."""
    found = _CATEGORIES.found(text.casefold())
    return tuple(c for c in vocab.CATEGORIES if c in found)


@lru_cache(maxsize=4096)
def audiences_in(text: str) -> tuple[str, ...]:
    found = _AUDIENCES.found(text.casefold())
    return tuple(a for a in vocab.AUDIENCES if a in found)


@lru_cache(maxsize=4096)
def attendance_in(text: str) -> str | None:
    """online / hybrid when the text says so; None when it says nothing."""
    folded = text.casefold()
    if _HYBRID.search(folded):
        return vocab.HYBRID
    if _ONLINE.search(folded):
        return vocab.ONLINE
    return None


@lru_cache(maxsize=4096)
def says_free(text: str) -> bool:
    return _FREE.search(text.casefold())


def status_word(text: str) -> str | None:
    """The status a word or short phrase names ("PERUTTU", "Inställt", "Postponed")."""
    key = " ".join(text.casefold().strip(" \t\n[]()!:.-–—*").split())
    return _STATUS_BY_WORD.get(key)


def split_status(title: str) -> tuple[str, str | None]:
    """Cut a status word off the start or end of a title: "PERUTTU: Messut" -> ("Messut",
    "cancelled"), "Messut (inställt)" -> ("Messut", "cancelled")."""
    for pattern in (_STATUS_LEAD, _STATUS_TAIL):
        match = pattern.search(title)
        if match is None:
            continue
        word = match.group("word") or match.group("word2")
        marked = any(ch in match.group(0) for ch in "[(*:!–—-")
        rest = (title[: match.start()] + title[match.end() :]).strip()
        if rest and (marked or word.isupper()):
            return rest, _STATUS_BY_WORD[" ".join(word.casefold().split())]
    return title, None


def labelled_place(text: str) -> str | None:
    """The place a text names on a labelled line: "Paikka: ...", "Plats: ...", "Where: ..."."""
    match = _PLACE_LABEL.search(text)
    return match.group(1).strip() if match else None
