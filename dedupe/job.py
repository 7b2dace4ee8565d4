"""The dedupe job: listings from the store → pure clustering → Event rows with stable ids.

Ids: each cluster keeps the id of the existing event that holds most of its listings (ties:
the older event). So a new listing joins its event, an event whose listings change keeps its
id, and a second run with nothing new changes nothing. An event left with no listings (they
all joined another event) is marked gone and points at that event (`merged_into_id`). An
event whose listings are all gone from their sources gets `gone_at`.

Only listings that end at most `past_days` before `now` take part; older events are left as
they are, so the cost follows what is current, not the whole history. The caller owns the
session (and commits).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dedupe.cluster import cluster, paused_gc
from dedupe.memory import FullRunNeeded, Memory
from dedupe.merge import canonical_values, latest
from dedupe.model import Cluster, Decision, DedupeListing
from store.models import DedupeDecision, Event, Listing, Source
from store.record import EVENT_FIELDS

DEFAULT_PAST_DAYS = 30
BATCH = 500


@dataclass
class DedupeCounts:
    listings: int = 0
    events: int = 0
    duplicates_joined: int = 0
    events_created: int = 0
    events_updated: int = 0
    events_gone: int = 0
    events_merged_away: int = 0
    listings_moved: int = 0
    candidate_pairs: int = 0
    seconds: float = 0.0
    # A full run, or an incremental one that grouped `regrouped` listings again.
    full: bool = True
    regrouped: int = 0
    rewritten: int = 0
    # Listing id → event id, for callers that want to report where a listing went.
    event_of: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def changed(self) -> bool:
        return bool(
            self.events_created
            or self.events_updated
            or self.events_gone
            or self.events_merged_away
            or self.listings_moved
        )


def to_dedupe_listing(listing: Listing, priority: int) -> DedupeListing:
    values = {name: getattr(listing, name) for name in EVENT_FIELDS}
    return DedupeListing(
        id=listing.id,
        source_id=listing.source_id,
        priority=priority,
        title=listing.title,
        titles=listing.titles or {},
        start_at=listing.start_at,
        end_at=listing.end_at,
        timezone=listing.timezone,
        all_day=listing.all_day,
        url=listing.url,
        page_url=listing.page_url,
        application_url=listing.application_url,
        venue=listing.venue,
        venue_names=(listing.extra or {}).get("venue_names") or {},
        address=listing.address,
        city=listing.city,
        attendance=listing.attendance,
        online_url=listing.online_url,
        organiser=listing.organiser,
        series_id=listing.series_id,
        description_text=listing.description_text or "",
        gone=listing.gone_at is not None,
        values=values,
    )


def _window_listings(session: Session, since: datetime) -> list[Listing]:
    query = (
        select(Listing)
        .where(func.coalesce(Listing.end_at, Listing.start_at) >= since)
        .order_by(Listing.id)
    )
    return list(session.scalars(query))


def _decisions(session: Session, ids: Sequence[int]) -> list[Decision]:
    wanted = set(ids)
    result: list[Decision] = []
    for row in session.scalars(select(DedupeDecision).order_by(DedupeDecision.id)):
        if row.listing_id in wanted and row.other_listing_id in wanted:
            result.append(Decision(row.kind, row.listing_id, row.other_listing_id))
    return result


def _assign_ids(
    clusters: Sequence[Cluster], current: dict[int, int | None]
) -> dict[int, int | None]:
    """Cluster index → the existing event id it keeps (None: a new event)."""
    overlaps: list[tuple[int, int, int]] = []
    for index, found in enumerate(clusters):
        counts = Counter(current[i] for i in found.listing_ids if current[i] is not None)
        overlaps.extend((-n, event_id, index) for event_id, n in counts.items() if event_id)
    overlaps.sort()
    chosen: dict[int, int | None] = {}
    taken: set[int] = set()
    for _n, event_id, index in overlaps:
        if index in chosen or event_id in taken:
            continue
        chosen[index] = event_id
        taken.add(event_id)
    return {index: chosen.get(index) for index in range(len(clusters))}


def run_dedupe(
    session: Session,
    now: datetime,
    past_days: int = DEFAULT_PAST_DAYS,
    memory: Memory | None = None,
) -> DedupeCounts:
    """Cluster current listings into events and write them; returns what changed.

    Without a `memory`, or with an empty one, a full run (filling the memory). With the
    memory of an earlier run in this process, an incremental run: only the listings that
    changed since, and the region they can affect, are grouped and written again
    (dedupe/memory.py); the result is the full run's.
    """
    with paused_gc():
        if memory is not None and memory.ready:
            return _incremental(session, now, past_days, memory)
        return _run(session, now, past_days, memory)


def _run(session: Session, now: datetime, past_days: int, memory: Memory | None) -> DedupeCounts:
    started = time.perf_counter()
    counts = DedupeCounts()
    rows = _window_listings(session, now - timedelta(days=past_days))
    priority = _priorities(session)
    inputs = [to_dedupe_listing(row, priority.get(row.source_id, 0)) for row in rows]
    by_id = {row.id: row for row in rows}
    found = cluster(inputs, _decisions(session, list(by_id)), memory=memory)
    counts.listings = len(rows)
    counts.candidate_pairs = found.candidate_pairs
    current = {row.id: row.event_id for row in rows}
    _place(session, found.clusters, by_id, inputs, current, now, counts)
    counts.events = len(found.clusters)
    counts.duplicates_joined = counts.listings - counts.events
    if memory is not None:
        memory.priorities = priority
        memory.marks = {row.id: (row.content_hash, row.gone_at) for row in rows}
        memory.event_of = dict(counts.event_of)
        memory.why = {i: c.why.get(i, {}) for c in found.clusters for i in c.listing_ids}
    counts.seconds = time.perf_counter() - started
    return counts


def _incremental(session: Session, now: datetime, past_days: int, memory: Memory) -> DedupeCounts:
    """Group again only what changed since the memory's run (see dedupe/memory.py)."""
    started = time.perf_counter()
    counts = DedupeCounts(full=False)
    since = now - timedelta(days=past_days)
    window = session.execute(
        select(
            Listing.id, Listing.source_id, Listing.content_hash, Listing.gone_at, Listing.event_id
        ).where(func.coalesce(Listing.end_at, Listing.start_at) >= since)
    ).all()
    priority = _priorities(session)
    changed_sources = {
        s
        for s in priority.keys() | memory.priorities.keys()
        if priority.get(s, 0) != memory.priorities.get(s, 0)
    }
    changed_ids: list[int] = []
    forced: set[int] = set()
    holders: dict[int | None, list[int]] = defaultdict(list)
    current: dict[int, int | None] = {}
    marks, event_of = memory.marks, memory.event_of
    for listing_id, source_id, digest, gone_at, event_id in window:
        current[listing_id] = event_id
        holders[event_id].append(listing_id)
        mark = marks.get(listing_id)
        if mark is None or mark[0] != digest:
            changed_ids.append(listing_id)
        elif (
            mark[1] != gone_at
            or event_id != event_of.get(listing_id)
            or source_id in changed_sources
        ):
            forced.add(listing_id)
    removed = [listing_id for listing_id in memory.marks if listing_id not in current]
    rows = {row.id: row for row in _listings(session, changed_ids)}
    changed = {
        listing_id: to_dedupe_listing(row, priority.get(row.source_id, 0))
        for listing_id, row in rows.items()
    }
    try:
        region = memory.update(
            changed,
            removed,
            _decisions(session, list(current)),
            forced,
            lambda x: holders.get(current[x], ()) if current.get(x) is not None else (),
        )
    except FullRunNeeded:
        memory.clear()
        return _run(session, now, past_days, memory)
    # A cluster of the region that is what it was (its listings unchanged, holding its event
    # and nothing else holding it, the same reasons) is not written again: a full run would
    # find nothing to change in it. Whole days come back this way with the cross-language step.
    touched = set(changed) | forced
    placing: list[Cluster] = []
    for group in region.clusters:
        ids = group.listing_ids
        event_id = current.get(ids[0])
        if (
            event_id is not None
            and touched.isdisjoint(ids)
            and region.tainted.isdisjoint(ids)
            and len(holders.get(event_id, ())) == len(ids)
            and all(current.get(i) == event_id for i in ids)
            and all(memory.why.get(i) == group.why.get(i, {}) for i in ids)
        ):
            counts.event_of.update(dict.fromkeys(ids, event_id))
        else:
            placing.append(group)
    placed = {i for group in placing for i in group.listing_ids}
    rows.update({row.id: row for row in _listings(session, placed - rows.keys())})
    inputs = [
        changed.get(i) or to_dedupe_listing(rows[i], priority.get(rows[i].source_id, 0))
        for i in sorted(placed)
    ]
    local = {i: current[i] for i in placed}
    _place(session, placing, rows, inputs, local, now, counts)
    for group in placing:
        for listing_id in group.listing_ids:
            memory.why[listing_id] = group.why.get(listing_id, {})
    for listing_id in removed:
        memory.marks.pop(listing_id, None)
        memory.event_of.pop(listing_id, None)
        memory.why.pop(listing_id, None)
    for listing_id, loaded in rows.items():
        memory.marks[listing_id] = (loaded.content_hash, loaded.gone_at)
    memory.event_of.update(counts.event_of)
    memory.priorities = priority
    counts.event_of = dict(memory.event_of)
    counts.listings = len(window)
    counts.events = memory.clusters
    counts.duplicates_joined = counts.listings - counts.events
    counts.candidate_pairs = region.scored_pairs
    counts.regrouped = len(region.listing_ids)
    counts.rewritten = len(placed)
    counts.seconds = time.perf_counter() - started
    return counts


def _priorities(session: Session) -> dict[int, int]:
    return {row[0]: row[1] for row in session.execute(select(Source.id, Source.priority))}


def _listings(session: Session, ids: Iterable[int]) -> list[Listing]:
    wanted = sorted(ids)
    found: list[Listing] = []
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        found.extend(session.scalars(select(Listing).where(Listing.id.in_(chunk))))
    return found


def _place(
    session: Session,
    clusters: Sequence[Cluster],
    by_id: Mapping[int, Listing],
    inputs: Sequence[DedupeListing],
    current: dict[int, int | None],
    now: datetime,
    counts: DedupeCounts,
) -> None:
    """Write the clusters as events: ids kept (`_assign_ids`), merged values, listings moved,
    events left without listings retired. `current`: each listing's event before."""
    assigned = _assign_ids(clusters, current)
    events = _load_events(session, {e for e in current.values() if e is not None})
    inputs_by_id = {item.id: item for item in inputs}
    placed: list[tuple[Event, Cluster]] = []
    for index, group in enumerate(clusters):
        event_id = assigned[index]
        event = events.get(event_id) if event_id is not None else None
        members = [inputs_by_id[i] for i in group.listing_ids]
        values = canonical_values(members)
        gone_at = None
        if all(m.gone for m in members):
            gone_at = latest([by_id[i].gone_at for i in group.listing_ids])
        if event is None:
            event = Event(created_at=now, updated_at=now, listing_count=len(members))
            _write(event, values, gone_at, len(members), now)
            session.add(event)
            counts.events_created += 1
        else:
            was_gone = event.gone_at is not None
            if _write(event, values, gone_at, len(members), now):
                counts.events_updated += 1
                counts.events_gone += int(gone_at is not None and not was_gone)
        placed.append((event, group))
    session.flush()  # ids for the new events, in one batch
    kept: set[int] = set()
    for event, group in placed:
        kept.add(event.id)
        for listing_id in group.listing_ids:
            row = by_id[listing_id]
            if row.event_id != event.id:
                if row.event_id is not None:
                    counts.listings_moved += 1
                row.event_id = event.id
            why = group.why.get(listing_id, {})
            if row.match_info != why:
                row.match_info = why
            counts.event_of[listing_id] = event.id
    counts.events_merged_away = _retire(session, events, kept, counts.event_of, current, now)
    session.flush()


def _load_events(session: Session, ids: Iterable[int]) -> dict[int, Event]:
    wanted = sorted(ids)
    events: dict[int, Event] = {}
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        events.update({e.id: e for e in session.scalars(select(Event).where(Event.id.in_(chunk)))})
    return events


def _write(
    event: Event, values: dict[str, Any], gone_at: datetime | None, size: int, now: datetime
) -> bool:
    """Set the merged values on an event; True when anything changed.

    `updated_at` moves only when a reader could see the change: a shown value (`values`: the
    event fields and its URLs) or whether the event is shown at all (gone, back, no longer
    merged away); the listing count alone does not move it. `sequence` (iCalendar SEQUENCE)
    rises when a shown value of an existing event changes; a new event starts at 0.
    """
    shown = [name for name, value in values.items() if getattr(event, name, None) != value]
    for name in shown:
        setattr(event, name, values[name])
    presence = event.gone_at != gone_at or event.merged_into_id is not None
    changed = bool(shown)
    for name, value in (("listing_count", size), ("gone_at", gone_at), ("merged_into_id", None)):
        if getattr(event, name, None) != value:
            setattr(event, name, value)
            changed = True
    if shown or presence:
        event.updated_at = now
    if shown and event.id is not None:  # a new event has no id before the flush
        event.sequence = (event.sequence or 0) + 1
    return changed


def _retire(
    session: Session,
    events: dict[int, Event],
    kept: set[int],
    event_of: dict[int, int],
    current: dict[int, int | None],
    now: datetime,
) -> int:
    """Events whose current listings all went elsewhere: gone, pointing at where they went."""
    went: dict[int, Counter[int]] = defaultdict(Counter)
    for listing_id, old in current.items():
        if old is not None and old not in kept:
            went[old][event_of[listing_id]] += 1
    retired = 0
    for event_id, targets in sorted(went.items()):
        event = events.get(event_id)
        if event is None:
            continue
        holders = session.scalars(select(Listing.id).where(Listing.event_id == event_id))
        if any(listing_id not in current for listing_id in holders):
            continue  # older listings still hold it; it is outside the window
        target = min(targets, key=lambda t: (-targets[t], t))
        if event.merged_into_id != target or event.gone_at is None:
            event.merged_into_id = target
            event.gone_at = event.gone_at or now
            event.listing_count = 0
            event.updated_at = now
            retired += 1
    return retired
