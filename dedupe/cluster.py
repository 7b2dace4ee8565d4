"""Deduplication, pure: listings in, clusters (one per event) out.

1. Features per listing (dedupe/keys.py) and blocking: only pairs that start within
   the same half hour (or share an event URL that day, or an all-day listing and a timed one
   of the same day) and share a distinctive word are scored.
2. Scoring (dedupe/score.py): a match with its score and evidence, a veto, or
   nothing.
3. Clustering: admin "same" decisions join first, whatever the algorithm thinks; then matches
   join clusters greedily, best score first. A join is refused when it would put together two
   listings that a veto or an admin "apart" decision keeps apart, two different times, parts
   or cities (checked on the whole cluster, so a vague listing cannot chain two distinct
   events into one).

The store side (dedupe/job.py) turns clusters into Event rows with stable ids.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dedupe import crosslang
from dedupe.keys import (
    NEAR_MINUTES,
    URL_TEXT,
    Features,
    candidate_pairs,
    features,
    generic_urls,
    listing_urls,
    local_day,
)
from dedupe.model import (
    APART,
    SAME,
    Cluster,
    Clustering,
    Decision,
    DedupeListing,
    PairScore,
)
from dedupe.score import score_pair
from text.freedict import Dictionaries, dictionaries
from text.language import title_language

if TYPE_CHECKING:
    from dedupe.memory import Memory
from dedupe.words import ONLINE_CITY

# Vetoes the cluster check below does not cover (day, time, part and city it does): these are
# remembered per pair so that no later join brings the two together.
PAIR_VETOES = frozenset({"number", "series", "topic"})


class _Group:
    """What a growing cluster must stay consistent with."""

    __slots__ = ("cities", "days", "max_minute", "members", "min_minute", "parts")

    def __init__(self, item: Features, index: int) -> None:
        self.members = [index]
        self.days = {item.day}
        self.parts: set[int] = set() if item.part is None else {item.part}
        city = item.city
        self.cities: set[str] = set() if city is None or city == ONLINE_CITY else {city}
        minute = None if item.utc_zone else item.minute
        self.min_minute = minute
        self.max_minute = minute

    def compatible(self, other: _Group) -> bool:
        if self.days != other.days or len(self.parts | other.parts) > 1:
            return False
        if len(self.cities | other.cities) > 1:
            return False
        lows = [m for m in (self.min_minute, other.min_minute) if m is not None]
        highs = [m for m in (self.max_minute, other.max_minute) if m is not None]
        return not lows or max(highs) - min(lows) <= NEAR_MINUTES

    def absorb(self, other: _Group) -> None:
        self.members.extend(other.members)
        self.days |= other.days
        self.parts |= other.parts
        self.cities |= other.cities
        lows = [m for m in (self.min_minute, other.min_minute) if m is not None]
        highs = [m for m in (self.max_minute, other.max_minute) if m is not None]
        self.min_minute = min(lows) if lows else None
        self.max_minute = max(highs) if highs else None


class _Clusters:
    """Union-find over all listings; constraint groups are made only for listings that join."""

    def __init__(self, size: int, make_group: Callable[[int], _Group]) -> None:
        self.parent = list(range(size))
        self.groups: dict[int, _Group] = {}
        self.apart: dict[int, set[int]] = defaultdict(set)
        self.make_group = make_group

    def find(self, index: int) -> int:
        root = index
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[index] != root:
            self.parent[index], index = root, self.parent[index]
        return root

    def group(self, root: int) -> _Group:
        found = self.groups.get(root)
        if found is None:
            found = self.groups[root] = self.make_group(root)
        return found

    def kept_apart(self, a: int, b: int) -> bool:
        small, large = sorted((self.group(a), self.group(b)), key=lambda g: len(g.members))
        large_root = self.find(large.members[0])
        return any(
            self.find(other) == large_root
            for member in small.members
            for other in self.apart.get(member, ())
        )

    def join(self, a: int, b: int, force: bool = False) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        group_a, group_b = self.group(root_a), self.group(root_b)
        if not force and (not group_a.compatible(group_b) or self.kept_apart(root_a, root_b)):
            return False
        if len(group_a.members) < len(group_b.members):
            root_a, root_b, group_a, group_b = root_b, root_a, group_b, group_a
        self.parent[root_b] = root_a
        group_a.absorb(group_b)
        del self.groups[root_b]
        return True


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk computation.

    Clustering allocates millions of small objects and frees few; each automatic collection
    walks every live object, which made 300k listings take 1.5 times as long. Nothing is
    leaked: the collector runs again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def cluster(
    listings: Sequence[DedupeListing],
    decisions: Sequence[Decision] = (),
    bilingual: Dictionaries | None = None,
    memory: Memory | None = None,
    processes: int | None = None,
) -> Clustering:
    """Group listings into events. Deterministic: the same input gives the same clusters.

    Listings are taken one local day at a time (a pair on two days is never one event, and
    joins never cross days), so memory follows the busiest day, not the whole calendar. Given
    a `Memory`, everything a later incremental run needs is kept in it (dedupe/memory.py).

    The days are scored in `processes` worker processes (by default one per core, from
    `PARALLEL_FROM` listings on) while this process joins the clusters, day by day, in the
    same order as alone: the result is the same. A run that fills a memory stays in one.
    `bilingual`: the dictionaries for cross-language pairing (default: Debian's FreeDict
    files where installed, read only when sources write in two languages or more). When
    titles come in two languages or more, the day's cross-language step (dedupe/crosslang.py)
    reads the day's clusters as they stand: such a run stays in one process (and an
    incremental run groups whole days again).
    """
    if processes is None:
        workers = _cores() if len(listings) >= PARALLEL_FROM else 1
    else:
        workers = processes
    with paused_gc():
        if memory is None and workers > 1:
            return _cluster(listings, decisions, None, workers, bilingual)
        return _cluster(listings, decisions, memory, 1, bilingual)


# Below this many listings the days are scored in this process (starting workers and
# handing them the listings costs more than it saves).
PARALLEL_FROM = 40_000
# Days handed to a worker at once.
DAYS_PER_TASK = 4


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# The verdicts on one day's candidate pairs, as `_cluster` needs them: how many pairs were
# scored, matches (score, index, other index, verdict), pair vetoes (index, other index),
# and what a cluster must stay consistent with, for each listing in a match.
DayScores = tuple[
    int,
    list[tuple[float, int, int, PairScore]],
    list[tuple[int, int]],
    dict[int, Features],
]


def _score_day(
    members: Sequence[int],
    local: Sequence[Features],
    day: int,
    ids: Sequence[int],
    memory: Memory | None,
) -> DayScores:
    matches: list[tuple[float, int, int, PairScore]] = []
    vetoes: list[tuple[int, int]] = []
    candidates = 0
    for a, b in candidate_pairs(local):
        candidates += 1
        first, second = members[a], members[b]
        verdict = score_pair(local[a], local[b])
        if memory is not None:
            memory.note_pair(day, ids[first], ids[second], verdict)
        if verdict is None:
            continue
        if verdict.apart and verdict.rule in PAIR_VETOES:
            vetoes.append((first, second))
        elif verdict.match:
            matches.append((verdict.score, first, second, verdict))
    joined = {k for _s, a, b, _v in matches for k in (a, b)}
    by_index = dict(zip(members, local, strict=True))
    return candidates, matches, vetoes, {k: _slim(by_index[k]) for k in joined}


def _slim(item: Features) -> Features:
    """What `_Group` reads of a listing's features, small enough to hand between processes."""
    return replace(
        item,
        variants=[],
        languages=[],
        words=frozenset(),
        numbers=frozenset(),
        venue=frozenset(),
        venue_text="",
        rooms=frozenset(),
        organiser=frozenset(),
        urls=frozenset(),
        block=frozenset(),
    )


# A listing as a worker needs it (`_fields`), and the worker's share of the run's state.
_Fields = tuple[Any, ...]
_WORKER_GENERIC: frozenset[str] = frozenset()


def _fields(listing: DedupeListing) -> _Fields:
    return (
        listing.id,
        listing.source_id,
        listing.title,
        dict(listing.titles) or None,
        listing.start_at,
        listing.timezone,
        listing.all_day,
        listing.venue,
        listing.address,
        listing.city,
        listing.attendance,
        listing.organiser,
        listing.series_id,
        listing.url,
        listing.page_url,
        listing.application_url,
        listing.online_url,
        listing.description_text[:URL_TEXT],
        dict(listing.venue_names) or None,
        list(listing.values.get("categories") or ()) or None,
    )


def _unpack(fields: _Fields) -> DedupeListing:
    (id_, source, title, titles, start, zone, all_day, venue, address, city, attendance,
     organiser, series, url, page_url, application_url, online_url, text, venue_names,
     categories) = fields  # fmt: skip
    return DedupeListing(
        id=id_,
        source_id=source,
        title=title,
        titles=titles or {},
        start_at=start,
        timezone=zone,
        all_day=all_day,
        venue=venue,
        address=address,
        city=city,
        attendance=attendance,
        organiser=organiser,
        series_id=series,
        url=url,
        page_url=page_url,
        application_url=application_url,
        online_url=online_url,
        description_text=text,
        venue_names=venue_names or {},
        values={"categories": categories} if categories else {},
    )


def _start_worker(generic: frozenset[str]) -> None:
    global _WORKER_GENERIC
    _WORKER_GENERIC = generic
    gc.disable()  # as in the parent (paused_gc): many small objects, few freed


def _worker_days(task: list[tuple[int, list[int], list[_Fields]]]) -> list[DayScores]:
    """Score a few days in a worker process (members are indices into the parent's list)."""
    result: list[DayScores] = []
    for day, members, fields in task:
        local = [features(_unpack(f), k, _WORKER_GENERIC) for k, f in enumerate(fields)]
        result.append(_score_day(members, local, day, (), None))
    return result


def _cluster(
    listings: Sequence[DedupeListing],
    decisions: Sequence[Decision],
    memory: Memory | None,
    workers: int,
    bilingual: Dictionaries | None,
) -> Clustering:
    ordered = sorted(listings, key=lambda listing: listing.id)
    ids = [listing.id for listing in ordered]
    languages = crosslang.source_languages(ordered)
    written = {lang for lang in languages.values() if lang}
    written.update(lang for listing in ordered for lang, text in listing.titles.items() if text)
    across = len(written) > 1  # titles in two languages or more: pair across them
    source_ids: list[int] = []
    if across:
        if bilingual is None:
            bilingual = dictionaries()
        workers = 1  # the cross-language step needs the day's features and clusters here
        source_ids = [listing.source_id for listing in ordered]
    # Workers read each listing's URLs again rather than be handed them: less to keep here.
    urls = [listing_urls(listing) for listing in ordered] if workers == 1 else None
    generic = generic_urls(
        (listing.source_id, urls[index] if urls else listing_urls(listing))
        for index, listing in enumerate(ordered)
    )
    current: dict[int, Features] = {}
    if memory is not None:
        assert urls is not None
        memory.start(
            ordered, urls, (languages, bilingual) if across and bilingual is not None else None
        )

    def make_group(index: int) -> _Group:
        found = urls[index] if urls else None
        item = current.get(index) or features(ordered[index], 0, generic, found)
        return _Group(item, index)

    clusters = _Clusters(len(ordered), make_group)
    why: dict[int, dict[str, Any]] = {}
    if decisions:
        position = {listing.id: index for index, listing in enumerate(ordered)}
        _apply_decisions(clusters, decisions, position, ids, why)
    days: dict[int, list[int]] = defaultdict(list)
    for index, listing in enumerate(ordered):
        days[local_day(listing)].append(index)
    order = sorted(days)

    def scored_here() -> Iterator[tuple[DayScores, list[Features], list[int]]]:
        for day in order:
            members = days[day]
            assert urls is not None
            local = [features(ordered[g], k, generic, urls[g]) for k, g in enumerate(members)]
            yield _score_day(members, local, day, ids, memory), local, members
            if memory is not None:
                memory.keep_features(local)

    def tasks() -> Iterator[list[tuple[int, list[int], list[_Fields]]]]:
        for start in range(0, len(order), DAYS_PER_TASK):
            yield [
                (day, days[day], [_fields(ordered[g]) for g in days[day]])
                for day in order[start : start + DAYS_PER_TASK]
            ]

    candidates = matched = 0
    with ExitStack() as stack:
        if workers > 1:
            title_language("Kurs i finska")  # lingua's models loaded once, shared by the workers
            pool = stack.enter_context(
                multiprocessing.get_context("fork").Pool(
                    workers, initializer=_start_worker, initargs=(generic,)
                )
            )
            scored: Iterable[tuple[DayScores, list[Features] | None, list[int] | None]] = (
                (day, None, None) for chunk in pool.imap(_worker_days, tasks()) for day in chunk
            )
        else:
            scored = scored_here()
        for (count, day_matches, vetoes, seeds), local, members in scored:
            candidates += count
            current = seeds
            for first, second in vetoes:
                clusters.apart[first].add(second)
                clusters.apart[second].add(first)
            day_matches.sort(key=lambda m: (-m[0], m[1], m[2]))
            for _score, a, b, _verdict in day_matches:
                clusters.join(a, b)
            if across and bilingual is not None and local is not None and members is not None:
                current = dict(zip(members, local, strict=True))
                day_matches.extend(
                    _across(clusters, local, members, source_ids, languages, bilingual)
                )
            _explain(clusters, day_matches, ids, why)
            matched += len(day_matches)
    current = {}
    found = _collect(clusters, ids, why)
    if memory is not None:
        memory.finish(decisions, found)
    return Clustering(
        clusters=found,
        candidate_pairs=candidates,
        scored_pairs=candidates,
        matched_pairs=matched,
    )


def _across(
    clusters: _Clusters,
    local: Sequence[Features],
    members: Sequence[int],
    source_ids: Sequence[int],
    languages: Mapping[int, str | None],
    bilingual: Dictionaries,
) -> list[tuple[float, int, int, PairScore]]:
    """The day's cross-language pairs (dedupe/crosslang.py), joined; `members` and the
    returned pairs index the clusters' listings, `source_ids` their sources."""

    def find(k: int) -> int:
        return clusters.find(members[k])

    def sources_of(k: int) -> set[int]:
        return {source_ids[m] for m in clusters.group(find(k)).members}

    position = {m: k for k, m in enumerate(members)}

    def members_of(k: int) -> list[int]:
        return [position[m] for m in clusters.group(find(k)).members if m in position]

    found = crosslang.candidates(local, languages, bilingual, lambda x, y: find(x) == find(y))
    if not found:
        return []
    joined = crosslang.pair(
        found,
        local,
        find,
        sources_of,
        members_of,
        languages,
        lambda x, y: clusters.join(members[x], members[y]),
    )
    return [(score, members[x], members[y], verdict) for score, x, y, verdict in joined]


def recluster(
    ids: Sequence[int],
    items: dict[int, Features],
    matches: Sequence[tuple[int, float, int, int, PairScore]],
    vetoes: Sequence[tuple[int, int]],
    decisions: Sequence[Decision],
    across: tuple[Mapping[int, str | None], Dictionaries] | None = None,
) -> list[Cluster]:
    """Cluster a region of listings closed under matches (dedupe/memory.py): the same joins,
    in the same order, as `cluster` makes for them in a full run. `matches` are (day, score,
    id, other id, verdict) with id < other id; `vetoes` the pair vetoes between them."""
    ordered = sorted(ids)
    position = {listing_id: index for index, listing_id in enumerate(ordered)}
    clusters = _Clusters(len(ordered), lambda index: _Group(items[ordered[index]], index))
    why: dict[int, dict[str, Any]] = {}
    _apply_decisions(clusters, decisions, position, ordered, why)
    for a, b in vetoes:
        clusters.apart[position[a]].add(position[b])
        clusters.apart[position[b]].add(position[a])
    by_day: dict[int, list[tuple[float, int, int, PairScore]]] = defaultdict(list)
    for day, score, a, b, verdict in matches:
        by_day[day].append((score, position[a], position[b], verdict))
    day_members: dict[int, list[int]] = defaultdict(list)
    if across is not None:  # the region holds whole days: each day's step runs again
        for index, listing_id in enumerate(ordered):
            day_members[items[listing_id].day].append(index)
    source_ids = [items[listing_id].source_id for listing_id in ordered] if across else []
    for day in sorted(by_day.keys() | day_members.keys()):
        day_matches = by_day[day]
        day_matches.sort(key=lambda m: (-m[0], m[1], m[2]))
        for _score, a, b, _verdict in day_matches:
            clusters.join(a, b)
        if across is not None:
            members = day_members[day]
            local = [items[ordered[m]] for m in members]
            for k, item in enumerate(local):
                item.index = k
            day_matches.extend(_across(clusters, local, members, source_ids, *across))
        _explain(clusters, day_matches, ordered, why)
    return _collect(clusters, ordered, why)


def _apply_decisions(
    clusters: _Clusters,
    decisions: Sequence[Decision],
    position: dict[int, int],
    ids: Sequence[int],
    why: dict[int, dict[str, Any]],
) -> None:
    """Admin "apart" decisions become vetoes; "same" decisions join at once, unconditionally."""
    admin_same: list[tuple[int, int]] = []
    for decision in sorted(decisions, key=lambda d: (d.listing_id, d.other_listing_id)):
        first = position.get(decision.listing_id)
        second = position.get(decision.other_listing_id)
        if first is None or second is None or first == second:
            continue
        if decision.kind == APART:
            clusters.apart[first].add(second)
            clusters.apart[second].add(first)
        elif decision.kind == SAME:
            admin_same.append((first, second))
    for a, b in admin_same:
        clusters.join(a, b, force=True)
        for x, y in ((a, b), (b, a)):
            why.setdefault(x, {"with": ids[y], "rule": "admin"})


def _explain(
    clusters: _Clusters,
    matches: list[tuple[float, int, int, PairScore]],
    ids: Sequence[int],
    why: dict[int, dict[str, Any]],
) -> None:
    """For each joined listing, the best match inside its cluster (matches come best first)."""
    for score, a, b, verdict in matches:
        if clusters.find(a) != clusters.find(b):
            continue
        for x, y in ((a, b), (b, a)):
            if x not in why:
                why[x] = {"with": ids[y], "score": score, "rule": verdict.rule}
                why[x].update(verdict.evidence)


def _collect(
    clusters: _Clusters, ids: Sequence[int], why: dict[int, dict[str, Any]]
) -> list[Cluster]:
    members: dict[int, list[int]] = defaultdict(list)
    for index in range(len(ids)):
        members[clusters.find(index)].append(index)
    result: list[Cluster] = []
    for indices in members.values():
        listing_ids = [ids[m] for m in indices]
        reasons = {ids[m]: why[m] for m in indices if len(indices) > 1 and m in why}
        result.append(Cluster(listing_ids=listing_ids, why=reasons))
    result.sort(key=lambda c: c.listing_ids[0])
    return result
