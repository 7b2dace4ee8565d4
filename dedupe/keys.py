"""Per-listing match features, and blocking: which pairs of listings are worth scoring.

Blocking keeps the cost about linear: a listing is only compared with listings that start in
the same half hour (two overlapping buckets, so starts up to 15 minutes apart always meet),
that share a specific URL on the same day, or, for an all-day listing, timed listings of the
same day sharing a word. Inside a bucket a pair is scored only when the two share at least one
distinctive word of the title, venue or organiser (a bit mask test, ~0.1 µs a pair).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dedupe.model import DedupeListing
from dedupe.places import city_key, place_bag, room_numbers
from dedupe.words import (
    ONLINE_CITY,
    clean_title,
    is_year_near,
    normalise_url,
    part_number,
    urls_in,
    word_keys,
    words_of,
)
from text.glossary import NAMED_LANGUAGES, TOPIC_FAMILIES

HOME_ZONE = ZoneInfo("Europe/Helsinki")
UTC_ZONES = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z", "utc"})
BUCKET_MINUTES = 30
NEAR_MINUTES = 15
# A bucket larger than this is paired through each listing's rarest words (RARE_WORDS of
# them, each shared by at most POSTING_CAP listings of the bucket) instead of a bit mask.
BIG_BUCKET = 96
POSTING_CAP = 12
RARE_WORDS = 4
# A word shared by more listings of one bucket than this (and by half of them) does not pair.
COMMON_WORD = 24
ALLDAY_POSTING_CAP = 300
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How much of a description is searched for event URLs.
URL_TEXT = 2000


@dataclass(slots=True)
class TitleVariant:
    text: str  # the title as listed
    full: str  # folded tokens, sorted
    core: str  # without a label prefix, sorted
    bag: str  # glossary concepts and word stems, sorted
    words: frozenset[str]  # the same bag as a set
    topics: frozenset[str]  # the topic families of its concepts (text.glossary)
    topic_words: tuple[tuple[str, str], ...]  # (family, the word naming it)
    tokens: tuple[str, ...]  # every folded word, in order
    # The bag with each concept replaced by its topic family ("IT" and "tech" are one), for
    # comparing translations.
    families: frozenset[str]


@dataclass(slots=True)
class Features:
    index: int
    id: int
    source_id: int
    day: int
    minute: int | None
    # For a listing stamped as UTC: the instant its wall-clock time would be in Helsinki (the
    # usual bug of a floating local time read as UTC).
    alt_minute: int | None
    utc_zone: bool
    variants: list[TitleVariant]
    # The declared language of each variant (Linked Events' title keys), None when unknown.
    languages: list[str | None]
    words: frozenset[str]
    part: int | None
    numbers: frozenset[str]
    city: str | None
    venue: frozenset[str]
    venue_text: str
    rooms: frozenset[str]
    organiser: frozenset[str]
    urls: frozenset[str]
    online_url: str | None
    series_id: str | None
    block: frozenset[str]
    # For cross-language pairing (dedupe/crosslang.py): the listing's categories, and its
    # venue's names in every language its source gives (the listing's own name first).
    categories: frozenset[str]
    venue_names: tuple[str, ...]
    venue_alt: frozenset[str]


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return HOME_ZONE


def _minutes(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds() // 60)


@lru_cache(maxsize=100_000)
def _variant(title: str, year: int) -> tuple[TitleVariant, frozenset[str]]:
    """Cached: series, feeds and aggregators repeat the same titles many times.

    A year near the event's own ("Kesätyömessut 2027") says nothing and is left out.
    """
    full, core = clean_title(title)
    full_tokens = [t for t in full.split() if not is_year_near(t, year)] or full.split()
    core_tokens = [t for t in core.split() if not is_year_near(t, year)] or full_tokens
    full_words = words_of(full_tokens)
    words = words_of(core_tokens) or full_words
    named = _topic_words(core_tokens if words_of(core_tokens) else full_tokens)
    return (
        TitleVariant(
            text=title,
            full=" ".join(sorted(full_tokens)),
            core=" ".join(sorted(core_tokens)),
            bag=" ".join(sorted(words)),
            words=words,
            topics=frozenset(family for family, _token in named),
            topic_words=named,
            tokens=tuple(full_tokens),
            families=frozenset(TOPIC_FAMILIES.get(w, w) for w in words),
        ),
        full_words,
    )


def _topic_words(tokens: list[str]) -> tuple[tuple[str, str], ...]:
    """(topic family, the word that names it) for each topic a title names. Naming Finnish,
    Swedish or English names language too ("Ruotsin kielen kurssi" / "Svenska för
    inflyttade" / "Kielikahvila")."""
    found: list[tuple[str, str]] = []
    for token in tokens:
        for key in word_keys(token):
            family = TOPIC_FAMILIES.get(key)
            if family is not None:
                found.append((family, token))
                if key in NAMED_LANGUAGES:
                    found.append(("language", token))
    return tuple(dict.fromkeys(found))


ListingUrls = tuple[frozenset[str], str | None]


def local_day(listing: DedupeListing) -> int:
    """The listing's start date in its own zone (a UTC-stamped wall-clock time keeps its date)."""
    return listing.start_at.astimezone(_zone(listing.timezone or "Europe/Helsinki")).toordinal()


def listing_urls(listing: DedupeListing) -> ListingUrls:
    """The listing's event URLs (its own, registration, page, those in the description) and
    meeting link, normalised."""
    raw = [listing.url, listing.application_url, listing.page_url]
    raw += urls_in(listing.description_text, URL_TEXT)
    urls = frozenset(u for u in (normalise_url(r) for r in raw if r) if u)
    online = normalise_url(listing.online_url) if listing.online_url else None
    return urls, online


def generic_urls(found: Iterable[tuple[int, ListingUrls]]) -> frozenset[str]:
    """URLs that one source uses for several listings (a feed, a series page, a venue's
    calendar): only a URL that points at one event is evidence. Meeting links as "online:...".
    `found` holds each listing's source id and `listing_urls`."""
    uses: Counter[tuple[int, str]] = Counter()
    for source_id, (urls, online) in found:
        for url in urls:
            uses[(source_id, url)] += 1
        if online:
            uses[(source_id, "online:" + online)] += 1
    return frozenset(url for (_source, url), count in uses.items() if count > 1)


def features(
    listing: DedupeListing,
    index: int,
    generic: frozenset[str] = frozenset(),
    found_urls: ListingUrls | None = None,
) -> Features:
    zone_name = listing.timezone or "Europe/Helsinki"
    zone = _zone(zone_name)
    local = listing.start_at.astimezone(zone)
    utc_zone = zone_name in UTC_ZONES
    minute = None if listing.all_day else _minutes(listing.start_at)
    alt_minute = None
    if utc_zone and minute is not None:
        wall = local.replace(tzinfo=None).replace(tzinfo=HOME_ZONE)
        alt_minute = _minutes(wall)
    declared = {text: lang for lang, text in listing.titles.items() if text}
    titles = [listing.title, *(t for t in listing.titles.values() if t and t != listing.title)]
    variants: list[TitleVariant] = []
    numbers: frozenset[str] = frozenset()
    year = local.year
    if len(titles) == 1:
        variant, words = _variant(listing.title, year)
        variants.append(variant)
        numbers = _numbers(words)
    else:
        collected: set[str] = set()
        for title in titles:
            variant, full_bag = _variant(title, year)
            if not variants:
                numbers = _numbers(full_bag)
            variants.append(variant)
            collected.update(full_bag)
        words = frozenset(collected)
    online = listing.attendance == "online"
    city = city_key(listing.city, listing.address, listing.venue)
    if city is None and online:
        city = ONLINE_CITY
    urls, online_url = found_urls or listing_urls(listing)
    if generic:
        urls = urls - generic
        if online_url and "online:" + online_url in generic:
            online_url = None
    venue, venue_text, venue_block = _venue(listing.venue, listing.address)
    venue_names = tuple(
        dict.fromkeys(n for n in (listing.venue, *listing.venue_names.values()) if n and n.strip())
    )
    organiser, organiser_block = _organiser(listing.organiser)
    return Features(
        index=index,
        id=listing.id,
        source_id=listing.source_id,
        day=local.toordinal(),
        minute=minute,
        alt_minute=alt_minute,
        utc_zone=utc_zone,
        variants=variants,
        languages=[declared.get(title) for title in titles],
        words=words,
        part=part_number(listing.title),
        numbers=numbers,
        city=city,
        venue=venue,
        venue_text=venue_text,
        rooms=room_numbers(listing.venue, listing.address),
        organiser=organiser,
        urls=urls,
        online_url=online_url,
        series_id=listing.series_id,
        block=_title_block(words) | venue_block | organiser_block,
        categories=frozenset(listing.values.get("categories") or ()),
        venue_names=venue_names,
        venue_alt=place_bag(*venue_names[1:]) if len(venue_names) > 1 else frozenset(),
    )


_NONE: frozenset[str] = frozenset()


@lru_cache(maxsize=100_000)
def _numbers(words: frozenset[str]) -> frozenset[str]:
    found = frozenset(w for w in words if w.startswith("#"))
    return found or _NONE  # one empty set for every title without numbers


@lru_cache(maxsize=100_000)
def _title_block(words: frozenset[str]) -> frozenset[str]:
    """The words of a title that pair listings for scoring (cities do not)."""
    if not any(w.startswith("@") for w in words):
        return words  # the same set, not a copy
    return frozenset(w for w in words if not w.startswith("@"))


@lru_cache(maxsize=100_000)
def _venue(venue: str | None, address: str | None) -> tuple[frozenset[str], str, frozenset[str]]:
    """A venue's bag of words, that bag as text, and its blocking words (cached: a venue
    hosts many events)."""
    bag = place_bag(venue, address)
    return bag, " ".join(sorted(bag)), frozenset("v:" + w for w in bag)


@lru_cache(maxsize=100_000)
def _organiser(organiser: str | None) -> tuple[frozenset[str], frozenset[str]]:
    bag = place_bag(organiser)
    return bag, frozenset("o:" + w for w in bag)


def _bucket_pairs(members: list[int], items: Sequence[Features]) -> Iterator[tuple[int, int]]:
    """Pairs inside one time bucket that share a distinctive word."""
    counts: Counter[str] = Counter()
    for index in members:
        counts.update(items[index].block)
    size = len(members)
    common = {w for w, n in counts.items() if n == 1 or n > max(COMMON_WORD, size // 2)}
    if size <= BIG_BUCKET:
        bits: dict[str, int] = {}
        masks: list[int] = []
        for index in members:
            mask = 0
            for word in items[index].block:
                if word in common:
                    continue
                bit = bits.get(word)
                if bit is None:
                    bit = bits[word] = 1 << len(bits)
                mask |= bit
            masks.append(mask)
        for x in range(size):
            mask = masks[x]
            if not mask:
                continue
            for y in range(x + 1, size):
                if mask & masks[y]:
                    yield members[x], members[y]
        return
    postings: dict[str, list[int]] = defaultdict(list)
    for index in members:
        for word in items[index].block:
            if word not in common:
                postings[word].append(index)
    yield from _rare_word_pairs(members, items, postings, POSTING_CAP)


def _rare_word_pairs(
    members: list[int],
    items: Sequence[Features],
    postings: dict[str, list[int]],
    cap: int,
) -> Iterator[tuple[int, int]]:
    """Pairs through each listing's rarest shared words only, so the work per listing stays
    bounded however crowded the hour is (the few listings a word is shared with are the ones
    that matter; a word every other listing has says little)."""
    for index in members:
        ranked = sorted(
            (len(postings[word]), word)
            for word in items[index].block
            if 1 < len(postings.get(word, ())) <= cap
        )
        for _size, word in ranked[:RARE_WORDS]:
            for other in postings[word]:
                if other != index:
                    yield index, other


# A block: ("b", day, half-hour bucket) or ("u", day, URL); ("a", day, listing id) holds the
# pairs of an all-day listing with the listings of its day.
BlockKey = tuple[str, int, int | str]


def block_keys(item: Features) -> list[BlockKey]:
    """The time buckets and URL blocks a listing belongs to (all on its own day)."""
    keys: list[BlockKey] = []
    if item.minute is not None:
        for minute in (item.minute, item.alt_minute):
            if minute is None:
                continue
            for bucket in {minute // BUCKET_MINUTES, (minute + NEAR_MINUTES) // BUCKET_MINUTES}:
                keys.append(("b", item.day, bucket))
    for url in item.urls:
        keys.append(("u", item.day, url))
    if item.online_url:
        keys.append(("u", item.day, "online:" + item.online_url))
    return keys


def block_pairs(
    kind: str, members: list[int], items: Sequence[Features]
) -> Iterator[tuple[int, int]]:
    """The pairs a time bucket ("b") or a URL block ("u") yields (indices into `items`, in
    either order; members in index order)."""
    if kind == "b":
        if len(members) > 1:
            for a, b in _bucket_pairs(members, items):
                if a != b:
                    yield a, b
        return
    size = min(len(members), 20)
    for x in range(size):
        for y in range(x + 1, size):
            if members[x] != members[y]:
                yield members[x], members[y]


def all_day_pairs(
    items: Sequence[Features], listed: Sequence[int] | None = None
) -> Iterator[tuple[int, int]]:
    """Each all-day listing of a day (or those of `listed`) paired with listings of its day
    through its rarest words, as (the all-day listing, the other). An all-day listing's pairs
    depend only on how many listings of the day have each of its words."""
    if listed is None:
        listed = [item.index for item in items if item.minute is None]
    if not listed:
        return
    wanted: set[str] = set()
    for index in listed:
        wanted |= items[index].block
    postings: dict[str, list[int]] = defaultdict(list)
    for item in items:
        for word in item.block & wanted:
            postings[word].append(item.index)
    yield from _rare_word_pairs(list(listed), items, postings, ALLDAY_POSTING_CAP)


def candidate_pairs(items: Sequence[Features]) -> Iterator[tuple[int, int]]:
    """Every pair worth scoring among one day's listings, once each, as (smaller index,
    larger index)."""
    blocks: dict[BlockKey, list[int]] = defaultdict(list)
    for item in items:
        for key in block_keys(item):
            blocks[key].append(item.index)
    seen: set[int] = set()
    total = len(items)

    def fresh(a: int, b: int) -> bool:
        key = a * total + b if a < b else b * total + a
        if key in seen:
            return False
        seen.add(key)
        return True

    for key, members in blocks.items():
        for a, b in block_pairs(key[0], members, items):
            if fresh(a, b):
                yield min(a, b), max(a, b)
    for a, b in all_day_pairs(items):
        if fresh(a, b):
            yield min(a, b), max(a, b)
