"""Deduplication, pure: listings in, clusters (one per event) out.

1. Features per listing (scheduler/dedupe_keys.py) and blocking: only pairs that start within
   the same half hour (or share an event URL that day, or an all-day listing and a timed one
   of the same day) and share a distinctive word are scored.
2. Scoring (scheduler/dedupe_score.py): a match with its score and evidence, a veto, or
   nothing.
3. Clustering: admin "same" decisions join first, whatever the algorithm thinks; then matches
   join clusters greedily, best score first. A join is refused when it would put together two
   listings that a veto or an admin "apart" decision keeps apart, two different times, parts
   or cities (checked on the whole cluster, so a vague listing cannot chain two distinct
   events into one).

The store side (scheduler/dedupe_job.py) turns clusters into Event rows with stable ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from scheduler.dedupe_keys import (
    NEAR_MINUTES,
    Features,
    candidate_pairs,
    drop_generic_urls,
    features,
)
from scheduler.dedupe_model import (
    APART,
    SAME,
    Cluster,
    Clustering,
    Decision,
    DedupeListing,
    PairScore,
)
from scheduler.dedupe_score import score_pair
from scheduler.dedupe_text import ONLINE_CITY


class _Group:
    """What a growing cluster must stay consistent with."""

    __slots__ = ("cities", "days", "max_minute", "members", "min_minute", "parts")

    def __init__(self, item: Features) -> None:
        self.members = [item.index]
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
    def __init__(self, items: Sequence[Features]) -> None:
        self.parent = list(range(len(items)))
        self.groups: dict[int, _Group] = {item.index: _Group(item) for item in items}
        self.apart: dict[int, set[int]] = defaultdict(set)

    def find(self, index: int) -> int:
        root = index
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[index] != root:
            self.parent[index], index = root, self.parent[index]
        return root

    def kept_apart(self, a: int, b: int) -> bool:
        small, large = sorted((self.groups[a], self.groups[b]), key=lambda g: len(g.members))
        large_root = self.find(large.members[0])
        return any(
            self.find(other) == large_root
            for member in small.members
            for other in self.apart[member]
        )

    def join(self, a: int, b: int, force: bool = False) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        if not force and (
            not self.groups[root_a].compatible(self.groups[root_b])
            or self.kept_apart(root_a, root_b)
        ):
            return False
        if len(self.groups[root_a].members) < len(self.groups[root_b].members):
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        self.groups[root_a].absorb(self.groups.pop(root_b))
        return True


def cluster(listings: Sequence[DedupeListing], decisions: Sequence[Decision] = ()) -> Clustering:
    """Group listings into events. Deterministic: the same input gives the same clusters."""
    ordered = sorted(listings, key=lambda listing: listing.id)
    items = [features(listing, index) for index, listing in enumerate(ordered)]
    drop_generic_urls(items)
    position = {item.id: item.index for item in items}
    clusters = _Clusters(items)
    matches: list[tuple[float, int, int, PairScore]] = []
    candidates = 0
    for a, b in candidate_pairs(items):
        candidates += 1
        verdict = score_pair(items[a], items[b])
        if verdict is None:
            continue
        if verdict.apart:
            clusters.apart[a].add(b)
            clusters.apart[b].add(a)
        elif verdict.match:
            matches.append((verdict.score, a, b, verdict))
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
    matches.sort(key=lambda m: (-m[0], m[1], m[2]))
    for _score, a, b, _verdict in matches:
        clusters.join(a, b)
    return Clustering(
        clusters=_collect(clusters, items, matches, admin_same),
        candidate_pairs=candidates,
        scored_pairs=candidates,
        matched_pairs=len(matches),
    )


def _collect(
    clusters: _Clusters,
    items: Sequence[Features],
    matches: list[tuple[float, int, int, PairScore]],
    admin_same: list[tuple[int, int]],
) -> list[Cluster]:
    why: dict[int, dict[str, Any]] = {}
    for a, b in admin_same:
        if clusters.find(a) == clusters.find(b):
            for x, y in ((a, b), (b, a)):
                why.setdefault(x, {"with": items[y].id, "rule": "admin"})
    for score, a, b, verdict in matches:  # best first: the first edge seen is the best one
        if clusters.find(a) != clusters.find(b):
            continue
        for x, y in ((a, b), (b, a)):
            if x not in why:
                why[x] = {"with": items[y].id, "score": score, "rule": verdict.rule}
                why[x].update(verdict.evidence)
    result: list[Cluster] = []
    for group in clusters.groups.values():
        members = sorted(group.members)
        ids = [items[m].id for m in members]
        reasons = {items[m].id: why[m] for m in members if len(members) > 1 and m in why}
        result.append(Cluster(listing_ids=ids, why=reasons))
    result.sort(key=lambda c: c.listing_ids[0])
    return result
