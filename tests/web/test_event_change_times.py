"""What feeds rely on: the dedupe job moves Event.updated_at and Event.sequence only when a
reader could see the change (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from dedupe.job import run_dedupe
from store.listings import mark_gone, upsert_listings
from store.models import Event, Listing, Source
from store.record import EventRecord
from tests.conftest import Database

START = datetime(2027, 1, 14, 17, 0, tzinfo=timezone(timedelta(hours=2)))


def record(key: str, **fields: Any) -> EventRecord:
    values: dict[str, Any] = {
        "title": "Palkkaneuvottelun ABC",
        "start_at": START,
        "venue": "Keskustakirjasto Oodi",
        "city": "Helsinki",
        "language": "fi",
        "url": "https://tyo.example.fi/palkka",
    }
    values.update(fields)
    return EventRecord(external_id=key, **values)


def sources(db: Database) -> tuple[int, int]:
    with db.sessions.begin() as session:
        organiser = Source(name="organiser", url="https://tyo.example.fi/", priority=10)
        aggregator = Source(name="aggregator", url="https://kooste.example.fi/", priority=0)
        session.add_all([organiser, aggregator])
        session.flush()
        return organiser.id, aggregator.id


def the_event(db: Database) -> Event:
    with db.sessions() as session:
        event = session.scalars(select(Event).where(Event.listing_count > 0)).one()
        session.expunge(event)
        return event


def test_a_new_event_starts_at_sequence_zero(db: Database, now: datetime) -> None:
    organiser, _ = sources(db)
    with db.sessions.begin() as session:
        upsert_listings(session, organiser, [record("a")], now)
        run_dedupe(session, now)
    event = the_event(db)
    assert event.sequence == 0 and event.updated_at == now and event.created_at == now


def test_a_shown_change_raises_the_sequence_and_moves_updated_at(
    db: Database, now: datetime
) -> None:
    organiser, _ = sources(db)
    with db.sessions.begin() as session:
        upsert_listings(session, organiser, [record("a")], now)
        run_dedupe(session, now)
    later = now + timedelta(hours=5)
    with db.sessions.begin() as session:
        upsert_listings(
            session, organiser, [record("a", start_at=START + timedelta(hours=1))], later
        )
        run_dedupe(session, later)
    event = the_event(db)
    assert event.sequence == 1 and event.updated_at == later
    latest = later + timedelta(hours=5)
    with db.sessions.begin() as session:
        upsert_listings(
            session,
            organiser,
            [record("a", start_at=START + timedelta(hours=1), status="cancelled")],
            latest,
        )
        run_dedupe(session, latest)
    event = the_event(db)
    assert event.sequence == 2 and event.updated_at == latest and event.status == "cancelled"


def test_a_second_listing_that_shows_nothing_new_moves_neither(db: Database, now: datetime) -> None:
    organiser, aggregator = sources(db)
    with db.sessions.begin() as session:
        upsert_listings(session, organiser, [record("a")], now)
        run_dedupe(session, now)
    later = now + timedelta(hours=5)
    with db.sessions.begin() as session:
        # The aggregator copies the organiser's event and links the same page.
        upsert_listings(session, aggregator, [record("copy-of-a")], later)
        counts = run_dedupe(session, later)
    assert counts.events_created == 0
    event = the_event(db)
    assert event.listing_count == 2
    assert event.sequence == 0 and event.updated_at == now


def test_an_event_that_goes_and_comes_back_moves_updated_at_but_not_the_sequence(
    db: Database, now: datetime
) -> None:
    organiser, _ = sources(db)
    other = record(
        "b",
        title="CV-klinikka",
        start_at=START + timedelta(days=7),
        url="https://tyo.example.fi/cv",
    )
    with db.sessions.begin() as session:
        upsert_listings(session, organiser, [record("a"), other], now)
        run_dedupe(session, now)
    gone = now + timedelta(days=1)
    with db.sessions.begin() as session:
        assert mark_gone(session, organiser, {"b"}, gone).gone == 1
        run_dedupe(session, gone)
    event = event_of(db, "a")
    assert event.gone_at is not None and event.updated_at == gone and event.sequence == 0
    back = gone + timedelta(days=1)
    with db.sessions.begin() as session:
        upsert_listings(session, organiser, [record("a"), other], back)
        run_dedupe(session, back)
    event = event_of(db, "a")
    assert event.gone_at is None and event.updated_at == back and event.sequence == 0


def event_of(db: Database, key: str) -> Event:
    with db.sessions() as session:
        event = session.scalars(
            select(Event)
            .join(Listing, Listing.event_id == Event.id)
            .where(Listing.external_id == key)
        ).one()
        session.expunge(event)
        return event
