"""Clean-up: what the store no longer needs, deleted in small batches.

* crawl runs older than `keep_crawl_runs_days` (each source's last successful run is kept: it
  is the source's "last success" in /metrics and the admin pages);
* listings and events that ended more than `keep_past_events_days` ago (crawls no longer
  bring them back: extraction leaves out events that have ended). An event is deleted once
  none of its listings is left, so an event never loses a listing that is still current;
* subscribers who never confirmed their address, `unconfirmed_days` after they signed up (or
  after their last confirmation mail).

Each batch is its own transaction, so a large first clean-up never holds SQLite's write lock
for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from store import vocab
from store.models import CrawlRun, Event, Listing, Subscriber

BATCH = 2000
SUCCESS_STATUSES = ("ok", "not_modified", "suspect")


@dataclass(frozen=True)
class Retention:
    crawl_runs_days: int = 90
    past_events_days: int = 180
    unconfirmed_days: int = 7


@dataclass
class CleanupCounts:
    crawl_runs: int = 0
    listings: int = 0
    events: int = 0
    subscribers: int = 0


def _delete_batches(sessions: sessionmaker[Session], model: Any, condition: Any) -> int:
    deleted = 0
    while True:
        with sessions.begin() as session:
            ids = list(session.scalars(select(model.id).where(condition).limit(BATCH)))
            if not ids:
                return deleted
            session.execute(
                delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
            )
            deleted += len(ids)


def _last_successes(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(func.max(CrawlRun.id))
            .where(CrawlRun.status.in_(SUCCESS_STATUSES))
            .group_by(CrawlRun.source_id)
        )
    )


def clean_up(sessions: sessionmaker[Session], now: datetime, keep: Retention) -> CleanupCounts:
    counts = CleanupCounts()
    runs_before = now - timedelta(days=keep.crawl_runs_days)
    with sessions() as session:
        kept = _last_successes(session)
    counts.crawl_runs = _delete_batches(
        sessions,
        CrawlRun,
        (CrawlRun.started_at < runs_before)
        & (CrawlRun.status != "running")
        & CrawlRun.id.not_in(kept),
    )
    ended_before = now - timedelta(days=keep.past_events_days)
    counts.listings = _delete_batches(
        sessions, Listing, func.coalesce(Listing.end_at, Listing.start_at) < ended_before
    )
    counts.events = _delete_batches(
        sessions,
        Event,
        (func.coalesce(Event.end_at, Event.start_at) < ended_before)
        & ~exists().where(Listing.event_id == Event.id),
    )
    signed_up_before = now - timedelta(days=keep.unconfirmed_days)
    counts.subscribers = _delete_batches(
        sessions,
        Subscriber,
        (Subscriber.status == vocab.SUBSCRIBER_PENDING)
        & Subscriber.confirmed_at.is_(None)
        & (func.coalesce(Subscriber.confirm_sent_at, Subscriber.created_at) < signed_up_before),
    )
    return counts
