"""Keep events in step with listings (kept for callers of the walking skeleton).

`sync_events` now runs the dedupe job (scheduler/dedupe_job.py): listings of the same event
from several sources become one event, with ids stable across runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.dedupe_job import DEFAULT_PAST_DAYS, run_dedupe


@dataclass
class SyncCounts:
    listings: int = 0
    events_created: int = 0
    events_updated: int = 0


def sync_events(session: Session, now: datetime, past_days: int = DEFAULT_PAST_DAYS) -> SyncCounts:
    counts = run_dedupe(session, now, past_days)
    return SyncCounts(
        listings=counts.listings,
        events_created=counts.events_created,
        events_updated=counts.events_updated,
    )
