"""Cross-language pairing: one event listed by a Finnish site and an English (or Swedish) site.

The scoring rules (dedupe/score.py) need a shared venue or organiser word and titles that say
the same in glossary concepts; a translated title with the venue named in each site's language
("Ansioluettelo kuntoon" at "Helsingin kaupunginkirjasto" / "Polish your CV" at "Helsinki City
Library") has neither. What a person sees there is structure, and that is what this step reads,
after the day's ordinary matches have joined:

* **structure**: two listings from two sources whose titles are in different languages (the
  language a source writes its titles in is read from a sample of them; a Linked Events title
  keeps its own key), starting at the same minute, in the same city (or both online), with
  compatible categories, rooms and organisers, and no veto of the scoring rules between them;
* **evidence** from real bilingual resources, not from words typed here: the titles compared
  word by word in English through Debian's FreeDict dictionaries (text/freedict.py) or through
  the glossary's concepts, whichever says more; the venue's names in other languages as the
  sources give them (a Linked Events place's name.fi/sv/en, schema.org alternateName), else
  its name compared through the dictionaries;
* **one-to-one**: between two sources, a listing is paired with at most one listing, only
  when each is the other's clear best (by a margin) among that source's candidates, and a
  listing whose event already holds a listing of the other source is not paired again.

Without dictionaries the title evidence is the glossary's alone and venues are compared by
their names from the sources: fewer pairs, never an error.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from rapidfuzz import fuzz

from dedupe.keys import Features, TitleVariant
from dedupe.model import DedupeListing, PairScore
from dedupe.places import GENERIC_PLACE_WORDS
from dedupe.score import ORGANISER_SHARE, VENUE_SPELLING, VENUE_WORD, score_pair
from dedupe.words import CITY_NAMES, ONLINE_CITY, tokens
from text.freedict import Dictionaries, en_key
from text.glossary import STOPWORDS
from text.language import title_language

# How a source's title language is read: the first titles of the source, a clear majority.
SOURCE_SAMPLE: Final = 25
SOURCE_SHARE: Final = 0.6
# A (minute, city) cell with more listings than this is too crowded to pair by structure.
CELL_LIMIT: Final = 60
# Thresholds, chosen on the tune half of tests/fixtures/dedupe/xlang.json (docs/dedupe.md).
TITLE_MIN: Final = 0.2
PAIR_MIN: Final = 0.3
MARGIN: Final = 0.1
TITLE_WEIGHT: Final = 0.6
VENUE_WEIGHT: Final = 0.3
ORGANISER_WEIGHT: Final = 0.1
# Categories that say nothing against another.
ANY_CATEGORY: Final = frozenset({"other"})


def title_sample(listing: DedupeListing) -> tuple[int, int, str, str | None]:
    """What `source_languages` reads of a listing: id, source, title, the title's own key."""
    declared = next((k for k, v in listing.titles.items() if v == listing.title), None)
    return listing.id, listing.source_id, listing.title, declared


def source_languages(listings: Sequence[DedupeListing]) -> dict[int, str | None]:
    """The language each source writes its titles in (fi, sv, en), or None when mixed."""
    return languages_of_samples(title_sample(listing) for listing in listings)


def languages_of_samples(
    samples: Iterable[tuple[int, int, str, str | None]],
) -> dict[int, str | None]:
    """`source_languages` from each listing's `title_sample`."""
    sample: dict[int, list[str]] = defaultdict(list)
    for _id, source_id, title, declared in sorted(samples):
        found = sample[source_id]
        if len(found) < SOURCE_SAMPLE:
            language = declared or title_language(title)
            if language:
                found.append(language)
    result: dict[int, str | None] = {}
    for source, found in sample.items():
        top = Counter(found).most_common(1)
        result[source] = (
            top[0][0] if top and top[0][1] >= SOURCE_SHARE * max(len(found), 1) else None
        )
    return result


@dataclass(slots=True)
class _Candidate:
    score: float
    first: int  # index in the day's listings
    second: int
    evidence: dict[str, Any]


def _languages(item: Features, source: str | None) -> list[str | None]:
    return [declared or source for declared in item.languages]


def title_languages(item: Features, source_language: Mapping[int, str | None]) -> set[str]:
    """The known languages of a listing's titles."""
    return {lang for lang in _languages(item, source_language.get(item.source_id)) if lang}


def _categories_fit(a: Features, b: Features) -> bool:
    ca, cb = a.categories - ANY_CATEGORY, b.categories - ANY_CATEGORY
    return not ca or not cb or bool(ca & cb)


def _organiser(a: Features, b: Features) -> bool | None:
    if not a.organiser or not b.organiser:
        return None
    shared = len(a.organiser & b.organiser)
    return shared / min(len(a.organiser), len(b.organiser)) >= ORGANISER_SHARE


def _content(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOPWORDS and len(t) > 1]


def meeting_words(
    a: Sequence[str], lang_a: str, b: Sequence[str], lang_b: str, dicts: Dictionaries
) -> tuple[list[bool], list[bool]]:
    """For each word on each side: does it meet a word of the other side in English (the word
    itself, its first five letters, or its English in the dictionaries)?"""
    keys_a = [dicts.english_words(t, lang_a) | {en_key(t)} for t in a]
    keys_b = [dicts.english_words(t, lang_b) | {en_key(t)} for t in b]
    all_a: frozenset[str] = frozenset().union(*keys_a)
    all_b: frozenset[str] = frozenset().union(*keys_b)
    return [bool(k & all_b) for k in keys_a], [bool(k & all_a) for k in keys_b]


def word_similarity(
    a: Sequence[str], lang_a: str, b: Sequence[str], lang_b: str, dicts: Dictionaries
) -> float:
    """The share of words on both sides that meet a word of the other side in English."""
    if not a or not b:
        return 0.0
    met_a, met_b = meeting_words(a, lang_a, b, lang_b, dicts)
    return (sum(met_a) + sum(met_b)) / (len(a) + len(b))


def _unmet_topic(
    va: TitleVariant, vb: TitleVariant, words_a: Sequence[str], met_a: Sequence[bool]
) -> bool:
    """`va` names a topic (a glossary topic family: pay subsidy, CV, IT ...) that `vb` does not
    name, with a word that meets nothing in `vb` either."""
    met = dict(zip(words_a, met_a, strict=True))
    return any(
        family not in vb.topics and not met.get(word, False) for family, word in va.topic_words
    )


def _families(va: TitleVariant, vb: TitleVariant) -> float:
    if not va.families or not vb.families:
        return 0.0
    return 2 * len(va.families & vb.families) / (len(va.families) + len(vb.families))


def title_evidence(
    a: Features,
    b: Features,
    langs_a: Sequence[str | None],
    langs_b: Sequence[str | None],
    dicts: Dictionaries,
) -> tuple[float, str] | None:
    """The best title agreement over pairs of titles in two different languages, with the two
    languages ("fi/en"); None when no such pair is known. Titles in one language are the
    ordinary rules' to compare."""
    best: tuple[float, str] | None = None
    for va, lang_a in zip(a.variants, langs_a, strict=True):
        for vb, lang_b in zip(b.variants, langs_b, strict=True):
            if lang_a is None or lang_b is None or lang_a == lang_b:
                continue
            words_a, words_b = _content(va.text), _content(vb.text)
            if not words_a or not words_b:
                continue
            met_a, met_b = meeting_words(words_a, lang_a, words_b, lang_b, dicts)
            if _unmet_topic(va, vb, words_a, met_a) or _unmet_topic(vb, va, words_b, met_b):
                continue  # one names a topic the other does not: two events, or unclear
            value = max(
                (sum(met_a) + sum(met_b)) / (len(words_a) + len(words_b)), _families(va, vb)
            )
            if best is None or value > best[0]:
                best = (value, f"{lang_a}/{lang_b}")
    return best


def venue_evidence(
    a: Features,
    b: Features,
    lang_a: str | None,
    lang_b: str | None,
    dicts: Dictionaries,
) -> tuple[bool | None, float]:
    """(one venue?, how sure 0-1) for two listings whose venues may be named in two languages.

    True when a distinctive word of a name is shared, any name from either source counted;
    False when one source names the venue in the other listing's language as well and no name
    meets, or when both names hold a name-like word (one the dictionaries do not know: names
    stay names in any language) and none of them meets; else unknown, with the names'
    agreement through the dictionaries."""
    all_a, all_b = a.venue | a.venue_alt, b.venue | b.venue_alt
    if not a.venue_names or not b.venue_names:
        return None, 0.0
    if all_a & all_b and any(not w.startswith("#") for w in all_a & all_b):
        return True, 1.0
    if any(
        fuzz.ratio(x.casefold(), y.casefold()) >= VENUE_SPELLING
        for x in a.venue_names
        for y in b.venue_names
    ):
        return True, 1.0
    if a.venue_alt and b.venue_alt:
        return False, 0.0  # both give the venue's names in several languages: none meets
    if (a.venue_alt and len(a.venue_names) > 2) or (b.venue_alt and len(b.venue_names) > 2):
        return False, 0.0  # one names it in three languages, and not as the other does
    if lang_a is None or lang_b is None:
        return None, 0.0
    words_a, words_b = (
        _place_words(_name_part(a.venue_names[0])),
        _place_words(_name_part(b.venue_names[0])),
    )
    names_a = [w for w in words_a if not dicts.knows(w, lang_a)]
    names_b = [w for w in words_b if not dicts.knows(w, lang_b)]
    if names_a and names_b and not _names_meet(names_a, names_b):
        return False, 0.0  # names stay names in any language ("Caisa", "Sampola"): two venues
    return None, word_similarity(words_a, lang_a, words_b, lang_b, dicts)


def _names_meet(a: Sequence[str], b: Sequence[str]) -> bool:
    return any(fuzz.ratio(x, y) >= VENUE_WORD for x in a for y in b)


def _name_part(venue: str) -> str:
    """A venue without the address or note after it: "Luckan, Simonsgatan 8" → "Luckan"."""
    return re.split(r"[,(]", venue, maxsplit=1)[0]


def _place_words(name: str) -> list[str]:
    """The words of a venue's name that may tell it from another ("talo", "library", a city
    or a number do not)."""
    return [
        t
        for t in _content(name)
        if t not in GENERIC_PLACE_WORDS and t not in CITY_NAMES and not t.isdigit()
    ]


def candidates(
    items: Sequence[Features],
    source_language: Mapping[int, str | None],
    dicts: Dictionaries,
    same_event: Callable[[int, int], bool],
) -> list[_Candidate]:
    """Scored cross-language candidates of one day's listings (indexes into `items`)."""
    cells: dict[tuple[int, str], list[int]] = defaultdict(list)
    for item in items:
        if item.minute is None or item.city is None:
            continue
        if source_language.get(item.source_id) is None and not any(item.languages):
            continue
        cells[(item.minute, item.city)].append(item.index)
    found: list[_Candidate] = []
    for members in cells.values():
        if len(members) < 2 or len(members) > CELL_LIMIT:
            continue
        for x, first in enumerate(members):
            for second in members[x + 1 :]:
                candidate = _candidate(
                    items[first], items[second], source_language, dicts, same_event
                )
                if candidate is not None:
                    found.append(candidate)
    return found


def _candidate(
    a: Features,
    b: Features,
    source_language: Mapping[int, str | None],
    dicts: Dictionaries,
    same_event: Callable[[int, int], bool],
) -> _Candidate | None:
    if a.source_id == b.source_id or same_event(a.index, b.index):
        return None
    if a.city == ONLINE_CITY and (a.online_url is None or a.online_url != b.online_url):
        return None  # online: only the same meeting link says it is one event
    if a.rooms and b.rooms and not a.rooms & b.rooms:
        return None
    if not _categories_fit(a, b):
        return None
    organiser = _organiser(a, b)
    if organiser is False:
        return None
    langs_a = _languages(a, source_language.get(a.source_id))
    langs_b = _languages(b, source_language.get(b.source_id))
    title = title_evidence(a, b, langs_a, langs_b, dicts)
    if title is None or title[0] < TITLE_MIN:
        return None
    verdict = score_pair(a, b)
    if verdict is not None:
        return None  # a veto, or a match the ordinary rules made (and the clusters refused)
    venue, venue_value = venue_evidence(a, b, langs_a[0], langs_b[0], dicts)
    if venue is False:
        return None
    score = (
        TITLE_WEIGHT * title[0] + VENUE_WEIGHT * venue_value + ORGANISER_WEIGHT * bool(organiser)
    )
    if score < PAIR_MIN:
        return None
    return _Candidate(
        round(score, 3),
        a.index,
        b.index,
        {
            "title": round(title[0], 3),
            "time": "same",
            "venue": venue,
            "venue_names": round(venue_value, 3),
            "organiser": organiser,
            "url": False,
            "online_url": False,
            "languages": title[1],
        },
    )


def _venues_differ(
    first: Sequence[int],
    second: Sequence[int],
    items: Sequence[Features],
    source_language: Mapping[int, str | None],
) -> bool:
    for x in first:
        for y in second:
            a, b = items[x], items[y]
            if not title_languages(a, source_language) & title_languages(b, source_language):
                continue
            if a.venue_names and b.venue_names and not _names_one_venue(a, b):
                return True
    return False


def _names_one_venue(a: Features, b: Features) -> bool:
    """Some name of one listing's venue meets some name of the other's (any language)."""
    shared = (a.venue | a.venue_alt) & (b.venue | b.venue_alt)
    if any(not w.startswith("#") for w in shared):
        return True
    return any(
        fuzz.ratio(x.casefold(), y.casefold()) >= VENUE_SPELLING
        for x in a.venue_names
        for y in b.venue_names
    )


def pair(
    found: Iterable[_Candidate],
    items: Sequence[Features],
    find: Callable[[int], int],
    sources_of: Callable[[int], set[int]],
    members_of: Callable[[int], list[int]],
    source_language: Mapping[int, str | None],
    join: Callable[[int, int], bool],
) -> list[tuple[float, int, int, PairScore]]:
    """Join one-to-one pairs (indexes into `items`; the callables take the same indexes and
    answer for the listing's event so far): each the clear best of the other among its
    source's candidates, the event of neither holding a listing of the other's source yet,
    and no two of their listings with titles in one language naming two venues (two events
    that both have a Finnish title at two venues were the ordinary rules' to keep apart).
    Returns the joined pairs."""
    # (an event, another source) → the best score of each event of that source it could join
    ranked: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    keyed: list[tuple[_Candidate, tuple[int, int], tuple[int, int]]] = []
    for c in found:
        a, b = items[c.first], items[c.second]
        root_a, root_b = find(c.first), find(c.second)
        key_a, key_b = (root_a, b.source_id), (root_b, a.source_id)
        for key, other in ((key_a, root_b), (key_b, root_a)):
            ranked[key][other] = max(ranked[key].get(other, 0.0), c.score)
        keyed.append((c, key_a, key_b))

    def clear_best(key: tuple[int, int], score: float) -> bool:
        scores = sorted(ranked[key].values(), reverse=True)
        return scores[0] <= score and (len(scores) == 1 or scores[1] <= score - MARGIN)

    joined: list[tuple[float, int, int, PairScore]] = []
    for c, key_a, key_b in sorted(keyed, key=lambda k: (-k[0].score, k[0].first, k[0].second)):
        a, b = items[c.first], items[c.second]
        if not clear_best(key_a, c.score) or not clear_best(key_b, c.score):
            continue
        if b.source_id in sources_of(c.first) or a.source_id in sources_of(c.second):
            continue  # already paired with that source (in its own language or another)
        if _venues_differ(members_of(c.first), members_of(c.second), items, source_language):
            continue  # two venues, as two listings in one language name them
        if join(c.first, c.second):
            verdict = PairScore(c.score, True, False, "cross-language", c.evidence)
            joined.append((c.score, c.first, c.second, verdict))
    return joined
