"""What a dedupe run remembers for the next one, so that the next run re-blocks and re-scores
only what changed (pure: no database).

A full run (`dedupe.cluster.cluster(..., memory=m)`) keeps each listing's match features,
each day's candidate pairs and the verdicts that clustering uses (matches and the pair
vetoes), and the clusters. `Memory.update` then takes the listings that changed since
(new or changed content, gone from the window) and:

1. recomputes their features (and those of listings whose URL stopped or started being a
   URL one source uses for several listings: it is no evidence then);
2. re-blocks every day that holds a changed listing (blocking looks at a whole half hour, so
   a changed listing can add or remove pairs of two unchanged ones) and scores only the pairs
   that are new or involve a changed listing; the others keep their verdicts;
3. takes the region of listings that can be affected: closed under the old matches, the new
   matches, the admin's "same" decisions and the current events (a listing whose event is
   held by another listing brings it along), starting from the changed listings and the ends
   of every pair whose verdict changed;
4. clusters that region again with `dedupe.cluster.recluster`: the same joins in the same
   order as a full run makes there. Outside the region nothing changed: a cluster depends
   only on the matches and vetoes inside its connected component of matches.

So the result is the full run's, cluster for cluster (tests/test_dedupe_incremental.py
compares them on random changes).
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from dedupe import crosslang
from dedupe.cluster import PAIR_VETOES, paused_gc, recluster
from dedupe.keys import (
    BlockKey,
    Features,
    ListingUrls,
    all_day_pairs,
    block_keys,
    block_pairs,
    features,
    listing_urls,
)
from dedupe.model import SAME, Cluster, Decision, DedupeListing, PairScore
from dedupe.score import score_pair
from text.freedict import Dictionaries

_SHIFT = 32
_LOW = (1 << _SHIFT) - 1


class FullRunNeeded(Exception):
    """The changes reach beyond what an incremental run redoes: run a full one."""


def _key(a: int, b: int) -> int:
    """One int for a pair of listing ids (a < b): a set of ints is a third of a set of tuples."""
    return a << _SHIFT | b


def _ends(key: int) -> tuple[int, int]:
    return key >> _SHIFT, key & _LOW


def _kept(verdict: PairScore | None) -> bool:
    """Whether clustering uses the verdict: a match or a veto remembered per pair."""
    return verdict is not None and (
        verdict.match or (verdict.apart and verdict.rule in PAIR_VETOES)
    )


@dataclass
class Region:
    """What an incremental run clustered again: the listings (present ones), their clusters."""

    listing_ids: set[int]
    clusters: list[Cluster]
    scored_pairs: int
    changed: int
    # Listings whose cluster of the last run held a changed, gone or stirred listing.
    tainted: set[int] = field(default_factory=set)


@dataclass
class Memory:
    """A dedupe run's state, kept by a long-lived caller (the daemon) between runs."""

    features: dict[int, Features] = field(default_factory=dict)
    raw_urls: dict[int, ListingUrls] = field(default_factory=dict)
    url_uses: Counter[tuple[int, str]] = field(default_factory=Counter)
    # URL → how many sources use it for several listings (> 0: the URL is generic).
    generic_count: Counter[str] = field(default_factory=Counter)
    days: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    # Each block's listings, the pairs each block yields, and how many blocks yield a pair
    # (a pair stays a candidate while one does). The all-day block ("a", day) is the day.
    members: dict[BlockKey, set[int]] = field(default_factory=lambda: defaultdict(set))
    block_pairs: dict[BlockKey, set[int]] = field(default_factory=dict)
    pair_blocks: Counter[int] = field(default_factory=Counter)
    verdicts: dict[int, tuple[int, PairScore]] = field(default_factory=dict)
    matches_of: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    vetoes_of: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    decisions: frozenset[Decision] = frozenset()
    clusters: int = 0
    # The cross-language step's source languages and dictionaries when it runs (titles in
    # two languages or more), and what decides whether it does.
    across: tuple[Mapping[int, str | None], Dictionaries] | None = None
    samples: dict[int, tuple[int, int, str, str | None]] = field(default_factory=dict)
    title_languages: dict[int, frozenset[str]] = field(default_factory=dict)
    # Filled by the job (dedupe/job.py): what each listing was when it was last grouped,
    # the source priorities then, and the event each listing was put in.
    marks: dict[int, tuple[str, datetime | None]] = field(default_factory=dict)
    priorities: dict[int, int] = field(default_factory=dict)
    event_of: dict[int, int] = field(default_factory=dict)
    why: dict[int, dict[str, Any]] = field(default_factory=dict)
    cluster_of: dict[int, int] = field(default_factory=dict)
    ready: bool = False

    def clear(self) -> None:
        """Forget everything: the next run is a full one."""
        self.__init__()  # type: ignore[misc]

    # -- filled by a full run (dedupe.cluster.cluster) --

    def start(
        self,
        ordered: Sequence[DedupeListing],
        urls: Sequence[ListingUrls],
        across: tuple[Mapping[int, str | None], Dictionaries] | None = None,
    ) -> None:
        self.clear()
        self.across = across
        for listing, found in zip(ordered, urls, strict=True):
            self.raw_urls[listing.id] = found
            self._count_urls(listing.source_id, found, 1)
            self._note_languages(listing, 1)

    def _note_languages(self, listing: DedupeListing, step: int) -> None:
        """What says which languages titles come in (dedupe.cluster: the cross-language step
        runs when there are two or more)."""
        if step > 0:
            self.samples[listing.id] = crosslang.title_sample(listing)
            self.title_languages[listing.id] = frozenset(
                lang for lang, text in listing.titles.items() if text
            )
        else:
            self.samples.pop(listing.id, None)
            self.title_languages.pop(listing.id, None)

    def _languages_unchanged(self) -> bool:
        """Whether the cross-language step runs as in the memory's full run, with the same
        source languages (else the next run must be a full one)."""
        languages = crosslang.languages_of_samples(self.samples.values())
        written = {lang for lang in languages.values() if lang}
        for found in self.title_languages.values():
            written |= found
        if (len(written) > 1) != (self.across is not None):
            return False
        return self.across is None or dict(self.across[0]) == languages

    def note_pair(self, day: int, a: int, b: int, verdict: PairScore | None) -> None:
        if _kept(verdict):
            assert verdict is not None
            self._set_verdict(_key(a, b) if a < b else _key(b, a), day, verdict)

    def keep_features(self, items: Sequence[Features]) -> None:
        """One day's features (`index` their position), and the pairs of its blocks."""
        blocks: dict[BlockKey, list[int]] = defaultdict(list)
        for item in items:
            self.features[item.id] = item
            self.days[item.day].add(item.id)
            for key in block_keys(item):
                blocks[key].append(item.index)
                self.members[key].add(item.id)
        for key, positions in blocks.items():
            self._set_pairs(key, _keys(block_pairs(key[0], positions, items), items))
        for key, pairs in _by_all_day_listing(items, None).items():
            self._set_pairs(key, pairs)

    def _set_pairs(self, key: BlockKey, pairs: set[int]) -> None:
        if pairs:
            self.block_pairs[key] = pairs
            self.pair_blocks.update(pairs)

    def finish(self, decisions: Sequence[Decision], clusters: Sequence[Cluster]) -> None:
        self.decisions = frozenset(decisions)
        for found in clusters:
            first = found.listing_ids[0]
            for listing_id in found.listing_ids:
                self.cluster_of[listing_id] = first
        self.clusters = len(clusters)
        self.ready = True
        # The memory lives as long as the process: keep the cyclic garbage collector from
        # walking its millions of objects after every run (a second at 20,000 listings).
        # They are freed by reference counting when the memory is cleared.
        gc.freeze()

    # -- an incremental run --

    def update(
        self,
        changed: Mapping[int, DedupeListing],
        removed: Collection[int],
        decisions: Sequence[Decision],
        forced: Collection[int] = (),
        companions: Callable[[int], Iterable[int]] = lambda _id: (),
    ) -> Region:
        """Take the changes in and cluster the region they can affect again.

        `changed`: listings new or with new content; `removed`: listings no longer taking
        part; `forced`: listings whose own features did not change but whose event must be
        written again (gone or back, a new priority, an event changed elsewhere);
        `companions(id)`: the other listings that hold the listing's current event.
        """
        with paused_gc():
            return self._update(changed, removed, decisions, forced, companions)

    def _update(
        self,
        changed: Mapping[int, DedupeListing],
        removed: Collection[int],
        decisions: Sequence[Decision],
        forced: Collection[int],
        companions: Callable[[int], Iterable[int]],
    ) -> Region:
        for listing_id in removed:
            self.samples.pop(listing_id, None)
            self.title_languages.pop(listing_id, None)
        for listing in changed.values():
            self._note_languages(listing, 1)
        if not self._languages_unchanged():
            raise FullRunNeeded("the languages titles come in changed")
        dirty, versions = self._take_changes(changed, removed)
        edges, scored = self._rescore(dirty, versions)
        seeds = set(dirty) | set(removed) | set(forced)
        for key in edges:
            seeds.update(_ends(key))
        new_decisions = frozenset(decisions)
        for decision in self.decisions ^ new_decisions:
            seeds.update((decision.listing_id, decision.other_listing_id))
        old_same = _same_edges(self.decisions)
        new_same = _same_edges(new_decisions)
        # The matches before this run differ from today's only in the pairs whose verdict
        # changed: walking both reaches every old and every new match.
        covered: set[int] = set()
        changed_edges: dict[int, set[int]] = defaultdict(set)
        for key in edges:
            a, b = _ends(key)
            changed_edges[a].add(b)
            changed_edges[b].add(a)
        region: set[int] = set()
        frontier = list(seeds)
        # With the cross-language step, whole days: it reads a day's clusters as they stand.
        days: set[int] = set()
        if self.across is not None:
            days = {item.day for found in versions.values() for item in found}
        while frontier or days:
            for day in days:
                frontier.extend(self.days.get(day, ()))
            days = set()
            while frontier:
                x = frontier.pop()
                if x in region:
                    continue
                region.add(x)
                frontier.extend(changed_edges.get(x, ()))
                frontier.extend(self.matches_of.get(x, ()))
                frontier.extend(old_same.get(x, ()))
                frontier.extend(new_same.get(x, ()))
                frontier.extend(companions(x))
                if self.across is not None and x in self.features:
                    day = self.features[x].day
                    if day not in covered:
                        covered.add(day)
                        days.add(day)
        present = {x for x in region if x in self.features}
        matches: list[tuple[int, float, int, int, PairScore]] = []
        vetoes: list[tuple[int, int]] = []
        for x in present:
            for y in self.matches_of.get(x, ()):
                if x < y:
                    day, verdict = self.verdicts[_key(x, y)]
                    matches.append((day, verdict.score, x, y, verdict))
            vetoes.extend((x, y) for y in self.vetoes_of.get(x, ()) if x < y and y in present)
        clusters = recluster(
            sorted(present), self.features, matches, vetoes, decisions, self.across
        )
        # The region holds whole clusters of the last run (it is closed under its matches).
        old_clusters = {self.cluster_of[x] for x in region if x in self.cluster_of}
        # Listings whose last cluster held a listing that changed, left or must be written.
        stirred = {self.cluster_of[x] for x in seeds if x in self.cluster_of}
        tainted = {x for x in region if self.cluster_of.get(x) in stirred}
        for listing_id in region:
            self.cluster_of.pop(listing_id, None)
        for found in clusters:
            first = found.listing_ids[0]
            for listing_id in found.listing_ids:
                self.cluster_of[listing_id] = first
        self.clusters += len(clusters) - len(old_clusters)
        self.decisions = new_decisions
        return Region(present, clusters, scored, len(dirty) + len(removed), tainted)

    def _take_changes(
        self, changed: Mapping[int, DedupeListing], removed: Collection[int]
    ) -> tuple[set[int], dict[int, list[Features]]]:
        """New features for changed listings (and for those whose URLs' standing changed);
        the changed listings, and each one's features before and after."""
        versions: dict[int, list[Features]] = defaultdict(list)
        touched_urls: set[str] = set()
        generic_before = self.generic()
        for listing_id in removed:
            old = self.features.pop(listing_id, None)
            if old is not None:
                versions[listing_id].append(old)
                touched_urls |= self._count_urls(old.source_id, self.raw_urls.pop(listing_id), -1)
        raw: dict[int, ListingUrls] = {}
        for listing_id, listing in changed.items():
            old = self.features.get(listing_id)
            if old is not None:
                versions[listing_id].append(old)
                touched_urls |= self._count_urls(old.source_id, self.raw_urls[listing_id], -1)
            raw[listing_id] = self.raw_urls[listing_id] = listing_urls(listing)
            touched_urls |= self._count_urls(listing.source_id, raw[listing_id], 1)
        generic = self.generic()
        flipped = {u for u in touched_urls if (u in generic) != (u in generic_before)}
        for listing_id, listing in changed.items():
            self.features[listing_id] = features(listing, 0, generic, raw[listing_id])
        dirty = set(changed)
        if flipped:
            for listing_id, (urls, online) in self.raw_urls.items():
                if listing_id in dirty or listing_id not in self.features:
                    continue
                if urls & flipped or (online and "online:" + online in flipped):
                    item = self.features[listing_id]
                    versions[listing_id].append(item)
                    kept_urls, kept_online = _without_generic((urls, online), generic)
                    self.features[listing_id] = replace(
                        item, urls=kept_urls, online_url=kept_online
                    )
                    dirty.add(listing_id)
        for listing_id, olds in versions.items():
            for old in olds:
                self.days[old.day].discard(listing_id)
                for key in block_keys(old):
                    self.members[key].discard(listing_id)
        for listing_id in dirty:
            item = self.features[listing_id]
            versions[listing_id].append(item)
            self.days[item.day].add(listing_id)
            for key in block_keys(item):
                self.members[key].add(listing_id)
        return dirty, versions

    def _rescore(
        self, dirty: set[int], versions: dict[int, list[Features]]
    ) -> tuple[set[int], int]:
        """Block again the blocks a changed listing is or was in (a block's pairs depend on
        all its listings' words), and score the pairs that became candidates or involve a
        changed listing; returns the pairs whose kept verdict changed, and how many were
        scored."""
        touched: set[BlockKey] = set()
        words: dict[int, set[str]] = defaultdict(set)
        for olds_and_new in versions.values():
            for item in olds_and_new:
                touched.update(block_keys(item))
                words[item.day] |= item.block
                if item.minute is None:
                    touched.add(("a", item.day, item.id))
        results: dict[BlockKey, set[int]] = {}
        for day, changed_words in words.items():
            # An all-day listing's pairs follow the words it shares with the changed ones.
            members = sorted(self.days.get(day, ()))
            items = [self.features[m] for m in members]
            listed: list[int] = []
            for index, item in enumerate(items):
                item.index = index
                if item.minute is None and (
                    item.id in dirty or not changed_words.isdisjoint(item.block)
                ):
                    listed.append(index)
                    touched.add(("a", day, item.id))
            if listed:
                results.update(_by_all_day_listing(items, listed))
        before: dict[int, int] = {}
        involved: set[int] = set()
        for key in touched:
            if key[0] == "a":
                new = results.get(key, set())
            else:
                members = sorted(self.members.get(key, ()))
                if not members:
                    self.members.pop(key, None)
                items = [self.features[m] for m in members]
                for index, item in enumerate(items):
                    item.index = index
                new = _keys(block_pairs(key[0], list(range(len(items))), items), items)
            old = self.block_pairs.get(key, set())
            for pair in new - old:
                before.setdefault(pair, self.pair_blocks[pair])
                self.pair_blocks[pair] += 1
            for pair in old - new:
                before.setdefault(pair, self.pair_blocks[pair])
                self.pair_blocks[pair] -= 1
                if self.pair_blocks[pair] <= 0:
                    del self.pair_blocks[pair]
            involved.update(p for p in new if _ends(p)[0] in dirty or _ends(p)[1] in dirty)
            if new:
                self.block_pairs[key] = new
            else:
                self.block_pairs.pop(key, None)
        edges: set[int] = set()
        scored = 0
        for pair in involved | set(before):
            a, b = _ends(pair)
            verdict: PairScore | None = None
            if self.pair_blocks.get(pair, 0) > 0:
                if before.get(pair, 1) > 0 and a not in dirty and b not in dirty:
                    continue  # a candidate before and after, neither listing changed
                scored += 1
                verdict = score_pair(self.features[a], self.features[b])
            kept = self.verdicts.get(pair)
            if not _kept(verdict):
                if kept is not None:
                    self._drop_verdict(pair)
                    edges.add(pair)
                continue
            assert verdict is not None
            if kept is None or kept[1] != verdict:
                if kept is not None:
                    self._drop_verdict(pair)
                self._set_verdict(pair, self.features[a].day, verdict)
                edges.add(pair)
        for day in words:
            if not self.days.get(day):
                self.days.pop(day, None)
        return edges, scored

    # -- bookkeeping --

    def generic(self) -> frozenset[str]:
        return frozenset(url for url, n in self.generic_count.items() if n > 0)

    def _count_urls(self, source_id: int, found: ListingUrls, step: int) -> set[str]:
        urls, online = found
        keys = set(urls)
        if online:
            keys.add("online:" + online)
        for url in keys:
            before = self.url_uses[(source_id, url)]
            after = before + step
            if after > 0:
                self.url_uses[(source_id, url)] = after
            else:
                del self.url_uses[(source_id, url)]
            if (before > 1) != (after > 1):
                self.generic_count[url] += 1 if after > 1 else -1
                if self.generic_count[url] <= 0:
                    del self.generic_count[url]
        return keys

    def _set_verdict(self, key: int, day: int, verdict: PairScore) -> None:
        self.verdicts[key] = (day, verdict)
        a, b = _ends(key)
        adjacency = self.matches_of if verdict.match else self.vetoes_of
        adjacency[a].add(b)
        adjacency[b].add(a)

    def _drop_verdict(self, key: int) -> None:
        _day, verdict = self.verdicts.pop(key)
        a, b = _ends(key)
        adjacency = self.matches_of if verdict.match else self.vetoes_of
        adjacency[a].discard(b)
        adjacency[b].discard(a)


def _by_all_day_listing(
    items: Sequence[Features], listed: Sequence[int] | None
) -> dict[BlockKey, set[int]]:
    """The pairs of each all-day listing of one day's `items` (those of `listed`), by block."""
    found: dict[BlockKey, set[int]] = {}
    if listed is not None:
        for index in listed:
            found[("a", items[index].day, items[index].id)] = set()
    for a, b in all_day_pairs(items, listed):
        x, y = items[a].id, items[b].id
        key: BlockKey = ("a", items[a].day, x)
        found.setdefault(key, set()).add(_key(x, y) if x < y else _key(y, x))
    return found


def _keys(pairs: Iterable[tuple[int, int]], items: Sequence[Features]) -> set[int]:
    """Pairs of positions in `items` as pair keys of listing ids."""
    result: set[int] = set()
    for a, b in pairs:
        x, y = items[a].id, items[b].id
        result.add(_key(x, y) if x < y else _key(y, x))
    return result


def _same_edges(decisions: Iterable[Decision]) -> dict[int, set[int]]:
    edges: dict[int, set[int]] = defaultdict(set)
    for decision in decisions:
        if decision.kind == SAME:
            edges[decision.listing_id].add(decision.other_listing_id)
            edges[decision.other_listing_id].add(decision.listing_id)
    return edges


def _without_generic(found: ListingUrls, generic: frozenset[str]) -> ListingUrls:
    """The listing's URLs as evidence: those one source uses for several listings left out
    (as dedupe.keys.features does)."""
    urls, online = found
    urls = urls - generic
    if online and "online:" + online in generic:
        online = None
    return urls, online
