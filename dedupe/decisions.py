"""Admin decisions on duplicates: merge two events, split a listing out of an event.

Each decision is stored as pairs of listings (`DedupeDecision`), so it survives every later
run whatever the algorithm thinks, and then the dedupe job runs at once so the events show
the decision. The newer decision on a pair replaces an older one (a merge after a split of
the same listings undoes the split, and the other way round). The caller owns the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dedupe.job import DEFAULT_PAST_DAYS, DedupeCounts, run_dedupe
from dedupe.model import APART, SAME
from store.models import DedupeDecision, Event, Listing


class DedupeAdminError(ValueError):
    """A merge or split that cannot be done, worded for the admin."""


@dataclass
class AdminResult:
    event_id: int
    listing_ids: list[int]
    counts: DedupeCounts


def _listing_ids(session: Session, event_id: int) -> list[int]:
    event = session.get(Event, event_id)
    if event is None:
        raise DedupeAdminError(f"no event with id {event_id}")
    ids = list(
        session.scalars(select(Listing.id).where(Listing.event_id == event_id).order_by(Listing.id))
    )
    if not ids:
        target = f" (merged into {event.merged_into_id})" if event.merged_into_id else ""
        raise DedupeAdminError(f"event {event_id} has no listings{target}")
    return ids


def _check_window(
    session: Session, listing_ids: Sequence[int], now: datetime, past_days: int
) -> None:
    since = now - timedelta(days=past_days)
    for listing in session.scalars(select(Listing).where(Listing.id.in_(listing_ids))):
        if (listing.end_at or listing.start_at) < since:
            raise DedupeAdminError(
                f"listing {listing.id} ended more than {past_days} days ago; "
                "past events are not deduplicated again"
            )


def record(
    session: Session,
    kind: str,
    pairs: Sequence[tuple[int, int]],
    note: str,
    now: datetime,
) -> None:
    """Store decisions on listing pairs, replacing earlier decisions on the same pairs."""
    for a, b in pairs:
        low, high = min(a, b), max(a, b)
        if low == high:
            continue
        row = session.scalars(
            select(DedupeDecision).where(
                DedupeDecision.listing_id == low, DedupeDecision.other_listing_id == high
            )
        ).one_or_none()
        if row is None:
            session.add(
                DedupeDecision(
                    kind=kind, listing_id=low, other_listing_id=high, created_at=now, note=note
                )
            )
        else:
            row.kind, row.created_at, row.note = kind, now, note
    session.flush()


def merge_events(
    session: Session,
    keep_id: int,
    other_id: int,
    now: datetime,
    past_days: int = DEFAULT_PAST_DAYS,
) -> AdminResult:
    """Make one event of two; `keep_id` keeps its id, `other_id` points at it afterwards."""
    if keep_id == other_id:
        raise DedupeAdminError("merge needs two different events")
    kept = _listing_ids(session, keep_id)
    other = _listing_ids(session, other_id)
    anchor = kept[0]
    members = kept + other
    _check_window(session, members, now, past_days)
    record(session, SAME, [(anchor, m) for m in members], f"merge {keep_id} {other_id}", now)
    # Clear "apart" decisions between the two groups: this merge is the newer word.
    for row in session.scalars(
        select(DedupeDecision).where(
            DedupeDecision.kind == APART,
            DedupeDecision.listing_id.in_(members),
            DedupeDecision.other_listing_id.in_(members),
        )
    ):
        session.delete(row)
    for listing in session.scalars(select(Listing).where(Listing.id.in_(other))):
        listing.event_id = keep_id  # so the kept id wins the id assignment
    session.flush()
    counts = run_dedupe(session, now, past_days)
    merged = session.get(Event, other_id)
    holders = session.scalar(select(Listing.id).where(Listing.event_id == other_id).limit(1))
    if merged is not None and holders is None:
        merged.merged_into_id = keep_id
        merged.gone_at = merged.gone_at or now
        merged.listing_count = 0
        merged.updated_at = now
        counts.events_merged_away += 1
    return AdminResult(keep_id, members, counts)


def split_event(
    session: Session,
    event_id: int,
    listing_id: int,
    now: datetime,
    past_days: int = DEFAULT_PAST_DAYS,
) -> AdminResult:
    """Take one listing out of an event for good; returns the listing's event afterwards."""
    members = _listing_ids(session, event_id)
    if listing_id not in members:
        raise DedupeAdminError(f"listing {listing_id} is not in event {event_id}")
    others = [m for m in members if m != listing_id]
    if not others:
        raise DedupeAdminError(f"event {event_id} has only listing {listing_id}: nothing to split")
    _check_window(session, members, now, past_days)
    record(session, APART, [(listing_id, m) for m in others], f"split {event_id} {listing_id}", now)
    listing = session.get(Listing, listing_id)
    assert listing is not None
    listing.event_id = None
    session.flush()
    counts = run_dedupe(session, now, past_days)
    return AdminResult(counts.event_of[listing_id], [listing_id], counts)
