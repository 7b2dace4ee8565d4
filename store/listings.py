"""Upserting listings, and marking the ones that vanished from their source.

One Listing per (source, external id). A content hash skips unchanged records; a new start
time marks the listing rescheduled; a status change keeps its time. Listings are never deleted
when they disappear: an upcoming one is marked gone, and restored when it comes back.

A crawl in which too many upcoming listings vanish at once is *suspect* and marks nothing
(`vanishing_is_suspect`): a broken page must not wipe a source.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from store import vocab
from store.models import Listing
from store.record import EVENT_FIELDS, EventRecord

BATCH = 500
# Share of a source's upcoming listings that may vanish in one crawl before the crawl is
# considered suspect (a broken page must not wipe a source).
MAX_GONE_FRACTION = 0.30
# So few vanishing listings, while the source still lists others, are always taken as gone
# (one of a small source's three events being removed is no sign of a broken page).
SMALL_LOSS = 2


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    restored: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.restored += other.restored


@dataclass
class GoneResult:
    gone: int
    suspect: bool
    missing: int
    upcoming: int


def upsert_listings(
    session: Session,
    source_id: int,
    records: Iterable[EventRecord],
    now: datetime,
) -> UpsertCounts:
    """Insert or update the records of one source; the caller commits."""
    counts = UpsertCounts()
    by_key: dict[str, EventRecord] = {}
    for record in records:
        by_key[record.key()] = record  # the last occurrence of a key wins
    keys = list(by_key)
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        known = session.execute(
            select(Listing.id, Listing.external_id, Listing.content_hash, Listing.gone_at).where(
                Listing.source_id == source_id, Listing.external_id.in_(chunk)
            )
        ).all()
        seen_ids: list[int] = []
        changed: dict[int, EventRecord] = {}
        for row in known:
            record = by_key[row.external_id]
            seen_ids.append(row.id)
            if row.gone_at is not None:
                counts.restored += 1
            if row.content_hash == record.content_hash():
                counts.unchanged += 1
            else:
                changed[row.id] = record
        # Rows seen again: one UPDATE for all of them; only changed ones are loaded.
        session.execute(
            update(Listing)
            .where(Listing.id.in_(seen_ids))
            .values(last_seen_at=now, gone_at=None)
            .execution_options(synchronize_session=False)
        )
        if changed:
            for listing in session.scalars(select(Listing).where(Listing.id.in_(list(changed)))):
                _update_listing(listing, changed[listing.id], now)
                counts.updated += 1
        found = {row.external_id for row in known}
        fresh = [_new_listing(source_id, k, by_key[k], now) for k in chunk if k not in found]
        if fresh:
            # One multi-row INSERT: several times faster than adding ORM objects one by one.
            session.execute(insert(Listing), fresh)
            counts.new += len(fresh)
    session.flush()
    return counts


def _new_listing(source_id: int, key: str, record: EventRecord, now: datetime) -> dict[str, Any]:
    return dict(
        source_id=source_id,
        external_id=key,
        content_hash=record.content_hash(),
        page_url=record.page_url,
        series_id=record.series_id,
        extra=record.extra,
        first_seen_at=now,
        last_seen_at=now,
        updated_at=now,
        status_changed_at=now if record.status != vocab.SCHEDULED else None,
        **record.event_values(),
    )


def _update_listing(listing: Listing, record: EventRecord, now: datetime) -> None:
    """Copy a changed record onto its listing, noting a new start and a status change."""
    digest = record.content_hash()
    previous_start = listing.start_at
    previous_status = listing.status
    for name in EVENT_FIELDS:
        setattr(listing, name, getattr(record, name))
    listing.page_url = record.page_url
    listing.series_id = record.series_id
    listing.extra = record.extra
    listing.content_hash = digest
    listing.updated_at = now
    if record.start_at != previous_start:
        listing.previous_start_at = previous_start
        listing.rescheduled_at = now
        if record.status == vocab.SCHEDULED:
            listing.status = vocab.RESCHEDULED
    elif previous_status == vocab.RESCHEDULED and record.status == vocab.SCHEDULED:
        listing.status = vocab.RESCHEDULED  # stays rescheduled until the source says otherwise
    if listing.status != previous_status:
        listing.status_changed_at = now


def touch_listings(
    session: Session, source_id: int, keys: Iterable[str], now: datetime
) -> UpsertCounts:
    """Listings a crawl saw without reading them again (their page answered 304 Not
    Modified, or stood in for a failed fetch): seen now, and back if they were gone."""
    counts = UpsertCounts()
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        rows = session.execute(
            select(Listing.id, Listing.gone_at).where(
                Listing.source_id == source_id, Listing.external_id.in_(chunk)
            )
        ).all()
        counts.unchanged += len(rows)
        counts.restored += sum(1 for row in rows if row.gone_at is not None)
        session.execute(
            update(Listing)
            .where(Listing.id.in_([row.id for row in rows]))
            .values(last_seen_at=now, gone_at=None)
            .execution_options(synchronize_session=False)
        )
    return counts


def vanishing_is_suspect(
    upcoming: int,
    missing: int,
    seen: int,
    *,
    confirmed: bool = False,
    max_fraction: float = MAX_GONE_FRACTION,
    small_loss: int = SMALL_LOSS,
) -> bool:
    """Whether `missing` of `upcoming` listings vanishing in a crawl that saw `seen` listings
    looks like a broken page rather than real removals (pure).

    Suspect when more than `max_fraction` vanish, unless only a few (`small_loss`) vanish
    while the source still lists others, or the loss is `confirmed` (the last crawls were
    suspect too and still listed events: the source really lists fewer now). A source that
    suddenly lists nothing at all is always suspect.
    """
    if upcoming == 0 or missing == 0:
        return False
    if seen == 0:
        return True
    if missing / upcoming <= max_fraction or missing <= small_loss:
        return False
    return not confirmed


def mark_gone(
    session: Session,
    source_id: int,
    seen_keys: Sequence[str] | set[str],
    now: datetime,
    max_fraction: float = MAX_GONE_FRACTION,
    *,
    confirmed: bool = False,
) -> GoneResult:
    """Mark upcoming listings of the source that this crawl did not see as gone.

    When the loss looks suspect (`vanishing_is_suspect`), nothing is marked and the result
    says so.
    """
    seen = set(seen_keys)
    upcoming = session.execute(
        select(Listing.id, Listing.external_id).where(
            Listing.source_id == source_id,
            Listing.gone_at.is_(None),
            func.coalesce(Listing.end_at, Listing.start_at) >= now,
        )
    ).all()
    missing = [row.id for row in upcoming if row.external_id not in seen]
    if vanishing_is_suspect(
        len(upcoming), len(missing), len(seen), confirmed=confirmed, max_fraction=max_fraction
    ):
        return GoneResult(gone=0, suspect=True, missing=len(missing), upcoming=len(upcoming))
    for start in range(0, len(missing), BATCH):
        session.execute(
            update(Listing)
            .where(Listing.id.in_(missing[start : start + BATCH]))
            .values(gone_at=now)
        )
    return GoneResult(
        gone=len(missing), suspect=False, missing=len(missing), upcoming=len(upcoming)
    )
