"""Words in Finnish, Swedish and English that map onto the closed vocabularies of store.vocab.

The status and online word tables here are the only ones: extraction reads them as written,
matching (dedupe.words) derives its folded word sets from them. City names are in text.places.

Finnish builds compounds ("rekrytointimessut", "maahanmuuttajille"), so most entries are stems
matched anywhere inside a word (``|`` separates entries); entries written with ``\\b`` must
stand at a word boundary. Categories are read from titles and keywords first and from the
description only when those say nothing: a job fair's description that mentions a CV workshop
is still a job fair.
"""

from __future__ import annotations

import re
from functools import lru_cache

from store import vocab
from text.sanitise import fold

CATEGORY_WORDS: dict[str, str] = {
    "job-fair": (
        "rekrytointimessu|rekrymessu|työmessu|uramessu|rekrytointitapahtum|"
        "rekrytreff|rekrytointitreff|rekrypäiv|rekrytointipäiv|työnantajatapaami|"
        "job fair|career fair|careers fair|recruitment fair|recruitment event|"
        "recruiting event|career day|\\bexpo\\b|jobbmäss|rekryteringsmäss|"
        "karriärmäss|rekryteringsevenemang|arbetsgivarträff|karriärdag"
    ),
    "mentoring": "mentor|mentoring|mentee|job buddy|jobbuddy",
    "webinar": "webinaar|webinar|webbinar|verkkoluen|online talk",
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
        "mingel|kielikahvil|språkcafé|language café|language cafe|kohtaamis|"
        "träff\\b"
    ),
    "info-session": (
        "infotilaisuu|info-ilta|infoilta|info session|infosession|"
        "information session|infotillfälle|informationstillfälle|\\binfo\\b|"
        "tiedotustilaisuu|open day|avoimet ovet"
    ),
    "volunteering": "vapaaehtoi|volunteer|frivillig|talkoo",
}

AUDIENCE_WORDS: dict[str, str] = {
    "immigrants": (
        "maahanmuutta|maahan muuttane|kotoutu|invandrar|inflyttar|nyinflytt|"
        "integration|immigrant|newcomer|new in finland|ny i finland|\\bmigrant|"
        "maahantullei|kotoutujil|ukrainalais"
    ),
    "women": (
        "naisille|naisten\\b|\\bnaiset\\b|kvinnor|kvinno|\\bwomen|\\bwoman|female|"
        "womento|tytöille|flickor|\\bgirls\\b"
    ),
    "students": ("opiskelij|student|studerande|\\balumn|korkeakoulu|högskolestuder|graduate"),
    "youth": (
        "\\bnuor|nuorille|ungdom|\\bunga\\b|young people|youth|\\bteen|alle 30-v|under 30|ohjaamo"
    ),
    "unemployed": (
        "työttöm|työnhak|työtä hakev|arbetslös|arbetssök|jobbsök|unemployed|"
        "job seeker|jobseeker|job-seeker|looking for work|job hunting|palkkatuki|"
        "lönesubvention"
    ),
    "entrepreneurs": (
        "yrittäj|yritystoimin|\\bstartup|start-up|företagar|entrepreneur|founder|"
        "oma yritys|eget företag|yrityksen perust|grunda företag"
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


class _Vocabulary:
    """Which values of a vocabulary a text names. Entries are ``|``-separated; plain stems are
    found by substring (fast), entries with ``\\b`` by one pattern for the whole vocabulary."""

    def __init__(self, values: dict[str, str]) -> None:
        self.stems: list[tuple[str, str]] = []
        self.names: dict[str, str] = {}
        bounded: list[str] = []
        for value, words in values.items():
            group = f"v{len(bounded)}"
            entries = words.split("|")
            self.stems += [(w.casefold(), value) for w in entries if "\\b" not in w]
            parts = [_bounded(w) for w in entries if "\\b" in w]
            if parts:
                bounded.append(f"(?P<{group}>{'|'.join(parts)})")
                self.names[group] = value
        self.pattern = re.compile("|".join(bounded), re.IGNORECASE) if bounded else None

    def found(self, folded: str) -> set[str]:
        """The values named in `folded` (text already casefolded)."""
        values = {value for stem, value in self.stems if stem in folded}
        if self.pattern is not None:
            values |= {self.names[str(m.lastgroup)] for m in self.pattern.finditer(folded)}
        return values


def _bounded(word: str) -> str:
    return re.escape(word.replace("\\b", "\x00")).replace("\x00", r"\b")


class _Words(_Vocabulary):
    """A single list of entries: does the text name any of them?"""

    def __init__(self, words: str) -> None:
        super().__init__({"yes": words})

    def search(self, folded: str) -> bool:
        return bool(self.found(folded))


_CATEGORIES = _Vocabulary(CATEGORY_WORDS)
_AUDIENCES = _Vocabulary(AUDIENCE_WORDS)
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
