"""Keep events in step with listings: every listing belongs to an event.

This is the simple rule (one event per listing) that deduplication refines: see
scheduler/dedupe.py for clustering listings of the same event from several sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Event, Listing
from store.record import EVENT_FIELDS


@dataclass
class SyncCounts:
    listings: int = 0
    events_created: int = 0
    events_updated: int = 0


def copy_fields(event: Event, listing: Listing) -> None:
    for name in EVENT_FIELDS:
        setattr(event, name, getattr(listing, name))


def sync_events(session: Session, now: datetime) -> SyncCounts:
    counts = SyncCounts()
    for listing in session.scalars(select(Listing)):
        counts.listings += 1
        if listing.event is None:
            event = Event(
                created_at=now, updated_at=now, title=listing.title, start_at=listing.start_at
            )
            copy_fields(event, listing)
            event.urls = [u for u in (listing.url, listing.page_url) if u][:1]
            session.add(event)
            listing.event = event
            counts.events_created += 1
        else:
            event = listing.event
            if listing.updated_at > event.updated_at or event.gone_at != listing.gone_at:
                copy_fields(event, listing)
                event.updated_at = now
                counts.events_updated += 1
        event.gone_at = listing.gone_at
    session.flush()
    return counts
