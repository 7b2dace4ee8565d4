"""Scoring one candidate pair: the same event, certainly not the same event, or no verdict.

Evidence, each in [0, 1] or unknown:

* title: the best rapidfuzz ratio over the two titles (and their other-language titles) in
  three forms: the cleaned words, the words without a label prefix ("Webinaari:"), and the
  bag of glossary concepts and word stems, which is what lets "Rekrytointimessut" meet
  "Rekryteringsmässa" and "Recruitment fair";
* time: same instant, near (≤ 15 min), all-day against timed on the same day, or a time
  zone slip (a Helsinki wall-clock time stamped as UTC);
* venue, organiser: a shared distinctive word, or a close spelling;
* URLs: a shared event page, registration form or meeting link.

Vetoes (never one event): another day; another time on the same day; another part of a
series ("osa 1" / "osa 2"); other numbers in the titles (A1 / A2); another city; titles that
each name a topic the other lacks ("Finskakurs" / "Svenskakurs"), unless an event URL is shared.
"""

from __future__ import annotations

from typing import Any, Final

from rapidfuzz import fuzz

from dedupe.keys import NEAR_MINUTES, Features, TitleVariant
from dedupe.model import PairScore
from dedupe.words import ONLINE_CITY, is_concept
from text.language import title_language

# Thresholds on the title ratio (0-1), chosen on tests/fixtures/dedupe (docs/dedupe.md).
TITLE_ALONE: Final = 0.90
TITLE_WITH_PLACE: Final = 0.75
WORDS_SHARED: Final = 0.5
TITLE_CONTAINED: Final = 0.95
VENUE_SPELLING: Final = 85.0
VENUE_WORD: Final = 80.0
ORGANISER_SHARE: Final = 0.5
CONTAINED_WORDS: Final = 2
TYPO_WORD: Final = 80.0
TRANSLATION_SHARED: Final = 0.5
TIME_WEIGHT: Final = {"same": 1.0, "near": 0.7, "all-day": 0.6, "zone": 0.5}


def time_relation(a: Features, b: Features) -> str:
    if a.day != b.day:
        return "day"
    if a.minute is None or b.minute is None:
        return "all-day" if (a.minute is None) != (b.minute is None) else "same"
    gap = abs(a.minute - b.minute)
    if gap == 0:
        return "same"
    if gap <= NEAR_MINUTES:
        return "near"
    if a.utc_zone != b.utc_zone and (a.alt_minute == b.minute or b.alt_minute == a.minute):
        return "zone"
    return "time"


def title_similarity(a: Features, b: Features) -> float:
    """The best of: the cleaned words, the words without a label prefix, the bags of concepts
    and stems compared as text, and the bags' overlap (Dice) — the last two carry translations.
    """
    best = 0.0
    for va in a.variants:
        for vb in b.variants:
            best = max(
                best,
                fuzz.ratio(va.full, vb.full),
                fuzz.ratio(va.core, vb.core),
                fuzz.ratio(va.bag, vb.bag),
                _dice(va.words, vb.words),
            )
            if best >= 100.0:
                return 1.0
    return best / 100.0


def _words_shared(a: Features, b: Features) -> bool:
    """At least half the words (concepts, stems) in common, in some pair of titles: a long
    shared word ("maahanmuuttajille") must not carry two different titles over the line."""
    return any(
        _dice(va.words, vb.words) >= WORDS_SHARED * 100 for va in a.variants for vb in b.variants
    )


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 200.0 * len(a & b) / (len(a) + len(b))


def _venue_match(a: Features, b: Features) -> bool | None:
    """True: one place; False: two places (or two rooms of one); None: cannot tell."""
    if a.rooms and b.rooms and not a.rooms & b.rooms:
        return False  # "huone 204" / "room 115"
    if not a.venue or not b.venue:
        return None
    shared = a.venue & b.venue
    if any(_is_name(w) for w in shared) or a.venue == b.venue:
        return True
    names_a = [w for w in a.venue if len(w) > 2 and _is_name(w)]
    names_b = [w for w in b.venue if len(w) > 2 and _is_name(w)]
    if not names_a or not names_b:
        return None  # "Main Building, Hall 1": nothing that names the place
    if any(fuzz.ratio(x, y) >= VENUE_WORD for x in names_a for y in names_b):
        return True  # "Oodi" / "Ode", "Kaisa-talo" / "Kajsahuset"
    return fuzz.ratio(a.venue_text, b.venue_text) >= VENUE_SPELLING


def _is_name(word: str) -> bool:
    """A word that can tell one venue from another: not a glossary concept, not a bare number
    (a street number "1" is shared by half the addresses in town)."""
    return not is_concept(word) and not word.startswith("#")


def _organiser_match(a: Features, b: Features) -> bool | None:
    if not a.organiser or not b.organiser:
        return None
    shared = len(a.organiser & b.organiser)
    return shared / min(len(a.organiser), len(b.organiser)) >= ORGANISER_SHARE


def _veto(a: Features, b: Features, shared_url: bool) -> str | None:
    if a.part is not None and b.part is not None and a.part != b.part:
        return "part"
    if a.numbers and b.numbers and not a.numbers & b.numbers:
        return "number"
    if (
        not shared_url
        and a.city
        and b.city
        and a.city != b.city
        and ONLINE_CITY not in (a.city, b.city)
    ):
        return "city"
    if a.series_id and a.series_id == b.series_id and a.source_id == b.source_id:
        return "series"  # two occurrences the same source tells apart
    if not shared_url and _topics_differ(a, b):
        return "topic"
    return None


def _topics_differ(a: Features, b: Features) -> bool:
    """Each title names a topic the other lacks ("Finskakurs" / "Svenskakurs", "CV-paja" /
    "LinkedIn-paja"), however the titles are paired (a listing may carry several)."""
    return all(_topic_conflict(va, vb) for va in a.variants for vb in b.variants)


def _topic_conflict(va: TitleVariant, vb: TitleVariant) -> bool:
    only_a, only_b = va.topics - vb.topics, vb.topics - va.topics
    return bool(only_a and only_b) and _firm(va, only_a, vb) and _firm(vb, only_b, va)


def _firm(variant: TitleVariant, topics: frozenset[str], other: TitleVariant) -> bool:
    """Some of these topics is named by a word the other title has no look-alike of: a typo
    ("nevuottelun", "insinööritn uorille") loses a concept, not the word."""
    return any(
        family in topics and all(fuzz.ratio(word, seen) < TYPO_WORD for seen in other.tokens)
        for family, word in variant.topic_words
    )


def score_pair(a: Features, b: Features) -> PairScore | None:
    """The verdict on a candidate pair; None when it is neither a match nor a veto."""
    time = time_relation(a, b)
    if time in ("day", "time"):
        return PairScore(0.0, match=False, apart=True, rule=time, evidence={"time": time})
    shared_url = bool(a.urls & b.urls)
    veto = _veto(a, b, shared_url)
    if veto is not None:
        return PairScore(0.0, match=False, apart=True, rule=veto, evidence={"time": time})
    same_online = a.online_url is not None and a.online_url == b.online_url
    title = title_similarity(a, b)
    venue = _venue_match(a, b)
    organiser = _organiser_match(a, b)
    place = bool(venue) or bool(organiser) or same_online
    rule = None
    languages: str | None = None
    if shared_url:
        rule = "url"
    elif same_online:
        rule = "online-url"
    elif title >= TITLE_ALONE and (time == "same" or place) and venue is not False:
        rule = "title"
    elif title >= TITLE_WITH_PLACE and place and venue is not False and _words_shared(a, b):
        rule = "title+place"
    elif place and venue is not False and _contained(a, b, time, organiser):
        rule = "title-contained"
    elif (
        place
        and venue is not False
        and organiser is not False
        and time == "same"
        and a.minute is not None
        and a.source_id != b.source_id
    ):
        languages = _translated(a, b)
        if languages is not None:
            rule = "translation"
    if rule is None:
        return None
    score = (
        0.6 * title
        + 0.15 * TIME_WEIGHT[time]
        + 0.1 * bool(venue)
        + 0.1 * bool(organiser)
        + 0.05 * (shared_url or same_online)
    )
    if rule in ("url", "online-url"):
        score = 1.0 + score  # a shared event page outranks any title: joined first
    evidence: dict[str, Any] = {
        "title": round(title, 3),
        "time": time,
        "venue": venue,
        "organiser": organiser,
        "url": shared_url,
        "online_url": same_online,
    }
    if languages is not None:
        evidence["languages"] = languages
    return PairScore(round(score, 3), match=True, apart=False, rule=rule, evidence=evidence)


def _contained(a: Features, b: Features, time: str, organiser: bool | None) -> bool:
    """One title is the other with words added ("CV-klinikka" / "CV-klinikka Oodissa"), as
    written, or as concepts and stems at the same hour ("Kesätyömessut" / "Kesätyömessut
    nuorille ja opiskelijoille" / "Summer job fair for young people")."""
    same_hour = time in ("same", "near") and organiser is not False
    for va in a.variants:
        for vb in b.variants:
            if same_hour:
                small, large = sorted((va.words, vb.words), key=len)
                if len(small) >= CONTAINED_WORDS and small <= large:
                    return True
            if min(va.core.count(" "), vb.core.count(" ")) < 1:
                continue
            if fuzz.token_set_ratio(va.core, vb.core) >= TITLE_CONTAINED * 100:
                return True
    return False


def _translated(a: Features, b: Features) -> str | None:
    """The two languages ("fi/en") when the listings' titles are in different languages (none
    in common) and say the same in concepts: half the concepts and stems shared, a topic
    family counting as one ("IT" / "tech"; translations rarely share more), and no topic
    that only one names on each side ("palkkatuki" / "yrittäjyys"). None otherwise, and when
    a title's language is not clear."""
    langs_a = _languages(a)
    langs_b = _languages(b)
    known_a = {lang for lang in langs_a if lang}
    known_b = {lang for lang in langs_b if lang}
    if not known_a or not known_b or known_a & known_b:
        return None
    for va, lang_a in zip(a.variants, langs_a, strict=True):
        for vb, lang_b in zip(b.variants, langs_b, strict=True):
            if lang_a is None or lang_b is None:
                continue
            if _dice(va.families, vb.families) < TRANSLATION_SHARED * 100:
                continue
            if _topic_conflict(va, vb):
                continue
            return f"{lang_a}/{lang_b}"
    return None


def _languages(item: Features) -> list[str | None]:
    return [
        declared or title_language(variant.text)
        for variant, declared in zip(item.variants, item.languages, strict=True)
    ]
