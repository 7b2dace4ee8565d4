"""Clean-up: old crawl runs, long-past events and listings, subscribers who never confirmed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from scheduler import cleanup
from scheduler.cleanup import Retention, clean_up
from store import vocab
from store.models import CrawlRun, DedupeDecision, Event, Listing, Source, Subscriber
from tests.conftest import Database

DAY = timedelta(days=1)


def ids(db: Database, model: Any) -> set[int]:
    with db.sessions() as session:
        return set(session.scalars(select(model.id)))


def add_runs(db: Database, now: datetime) -> dict[str, int]:
    """name -> run id; started that many days ago."""
    runs: dict[str, int] = {}
    with db.sessions.begin() as session:
        lively = Source(name="lively", url="https://lively.example/")
        quiet = Source(name="quiet", url="https://quiet.example/")
        session.add_all([lively, quiet])
        session.flush()
        for name, source, days, status in [
            ("old ok", lively, 120, "ok"),
            ("old failed", lively, 100, "failed"),
            ("recent ok", lively, 10, "ok"),
            ("quiet's last success", quiet, 200, "not_modified"),
            ("quiet old failure", quiet, 150, "failed"),
            ("quiet stuck", quiet, 95, "running"),
        ]:
            run = CrawlRun(source_id=source.id, started_at=now - days * DAY, status=status)
            session.add(run)
            session.flush()
            runs[name] = run.id
    return runs


def test_old_crawl_runs_go_but_each_sources_last_success_stays(db: Database, now: datetime) -> None:
    runs = add_runs(db, now)
    counts = clean_up(db.sessions, now, Retention())
    assert counts.crawl_runs == 3
    assert ids(db, CrawlRun) == {
        runs["recent ok"],
        runs["quiet's last success"],
        runs["quiet stuck"],  # open runs are the crawl scheduler's to close, not deleted here
    }


def listing(source_id: int, key: str, start: datetime, event_id: int | None) -> Listing:
    return Listing(
        source_id=source_id,
        external_id=key,
        content_hash=key,
        title=key,
        start_at=start,
        event_id=event_id,
    )


def test_long_past_events_go_with_their_listings_and_decisions(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        source = Source(name="messut", url="https://messut.example/")
        session.add(source)
        old = Event(title="Syysmessut 2026", start_at=now - 200 * DAY, end_at=now - 199 * DAY)
        recent = Event(title="Kevätmessut", start_at=now - 30 * DAY)
        # Ended long ago by its merged dates, but one listing of it is still current.
        mixed = Event(title="Sarja", start_at=now - 300 * DAY, end_at=now - 250 * DAY)
        merged_away = Event(title="Tupla", start_at=now - 400 * DAY)
        session.add_all([old, recent, mixed, merged_away])
        session.flush()
        old_a = listing(source.id, "a", now - 200 * DAY, old.id)
        old_b = listing(source.id, "b", now - 200 * DAY, old.id)
        session.add_all([old_a, old_b])
        session.add(listing(source.id, "c", now - 30 * DAY, recent.id))
        session.add(listing(source.id, "d", now - 300 * DAY, mixed.id))
        session.add(listing(source.id, "e", now - 10 * DAY, mixed.id))
        session.flush()
        session.add(DedupeDecision(kind="same", listing_id=old_a.id, other_listing_id=old_b.id))
        kept_events = {recent.id, mixed.id}
    counts = clean_up(db.sessions, now, Retention())
    assert (counts.listings, counts.events) == (3, 2)
    assert ids(db, Event) == kept_events
    with db.sessions() as session:
        assert set(session.scalars(select(Listing.external_id))) == {"c", "e"}
    assert ids(db, DedupeDecision) == set()


def test_unconfirmed_subscribers_go_after_a_week(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        for email, status, created, confirm_sent, confirmed in [
            ("forgot@example.fi", vocab.SUBSCRIBER_PENDING, 8, None, None),
            ("asked-again@example.fi", vocab.SUBSCRIBER_PENDING, 20, 2, None),
            ("new@example.fi", vocab.SUBSCRIBER_PENDING, 1, None, None),
            ("reader@example.fi", vocab.SUBSCRIBER_ACTIVE, 300, None, 299),
            ("left@example.fi", vocab.SUBSCRIBER_UNSUBSCRIBED, 300, None, 299),
        ]:
            session.add(
                Subscriber(
                    email=email,
                    status=status,
                    created_at=now - created * DAY,
                    confirm_sent_at=None if confirm_sent is None else now - confirm_sent * DAY,
                    confirmed_at=None if confirmed is None else now - confirmed * DAY,
                )
            )
    counts = clean_up(db.sessions, now, Retention())
    assert counts.subscribers == 1
    with db.sessions() as session:
        left = set(session.scalars(select(Subscriber.email)))
    assert left == {
        "asked-again@example.fi",
        "new@example.fi",
        "reader@example.fi",
        "left@example.fi",
    }


def test_a_large_clean_up_goes_in_batches(db: Database, now: datetime, monkeypatch: Any) -> None:
    monkeypatch.setattr(cleanup, "BATCH", 7)
    with db.sessions.begin() as session:
        source = Source(name="s", url="https://s.example/")
        session.add(source)
        session.flush()
        for day in range(200, 225):
            session.add(CrawlRun(source_id=source.id, started_at=now - day * DAY, status="ok"))
    counts = clean_up(db.sessions, now, Retention(crawl_runs_days=90))
    assert counts.crawl_runs == 24  # the newest success stays
    assert len(ids(db, CrawlRun)) == 1
    assert clean_up(db.sessions, now, Retention()).crawl_runs == 0
