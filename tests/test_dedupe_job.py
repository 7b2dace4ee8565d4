"""The dedupe job on SQLite and PostgreSQL: stable event ids, gone events, admin decisions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dedupe.decisions import DedupeAdminError, merge_events, split_event
from dedupe.job import run_dedupe
from dedupe.quality import pairwise_quality
from store.listings import mark_gone, upsert_listings
from store.models import DedupeDecision, Event, Listing, Source
from store.record import EventRecord
from tests.conftest import Database
from tests.support.labelled import load, store_set

START = datetime(2027, 1, 14, 17, 0, tzinfo=timezone(timedelta(hours=2)))


def record(key: str, title: str, **fields: Any) -> EventRecord:
    values: dict[str, Any] = {
        "start_at": START,
        "venue": "Keskustakirjasto Oodi",
        "city": "Helsinki",
        "organiser": "Helsingin kaupungin työllisyyspalvelut",
        "url": f"https://example.fi/{key}",
    }
    values.update(fields)
    return EventRecord(external_id=key, title=title, **values)


def add_sources(session: Session, count: int = 3) -> list[int]:
    sources = [
        Source(name=f"source {n}", url=f"https://s{n}.example/", priority=10 - n)
        for n in range(count)
    ]
    session.add_all(sources)
    session.flush()
    return [s.id for s in sources]


def put(session: Session, source_id: int, now: datetime, *records: EventRecord) -> None:
    upsert_listings(session, source_id, records, now)


def event_of(session: Session, source_id: int, key: str) -> int | None:
    return session.scalar(
        select(Listing.event_id).where(Listing.source_id == source_id, Listing.external_id == key)
    )


def snapshot(session: Session) -> list[tuple[Any, ...]]:
    events = [
        (e.id, e.title, e.updated_at, e.gone_at, e.merged_into_id, e.listing_count, e.urls)
        for e in session.scalars(select(Event).order_by(Event.id))
    ]
    listings = [
        (row.id, row.event_id, row.match_info)
        for row in session.scalars(select(Listing).order_by(Listing.id))
    ]
    return [*events, *listings]


def test_the_labelled_set_through_the_store(db: Database, now: datetime) -> None:
    data = load()
    with db.sessions.begin() as session:
        store_set(session, data, now)
    with db.sessions.begin() as session:
        first = run_dedupe(session, now)
    assert first.listings == len(data["listings"]) and first.events_created == first.events
    with db.sessions() as session:
        labels = {}
        groups: dict[int, list[int]] = {}
        for row in session.scalars(select(Listing)):
            labels[row.id] = data["listings"][int(row.external_id.split("-")[1]) - 1]["group"]
            assert row.event_id is not None
            groups.setdefault(row.event_id, []).append(row.id)
        quality = pairwise_quality(groups.values(), labels)
        assert quality.precision >= 0.98 and quality.recall >= 0.95
        before = snapshot(session)
    with db.sessions.begin() as session:
        second = run_dedupe(session, now + timedelta(hours=1))
    assert not second.changed
    with db.sessions() as session:
        assert snapshot(session) == before


def test_a_new_listing_joins_the_existing_event(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        organiser, city, _ = add_sources(session)
        put(session, organiser, now, record("a", "CV-klinikka maahanmuuttajille"))
        run_dedupe(session, now)
        first = event_of(session, organiser, "a")
    with db.sessions.begin() as session:
        put(session, city, now, record("b", "Työpaja: CV-klinikka maahanmuuttajille", venue="Oodi"))
        counts = run_dedupe(session, now)
        assert counts.events_created == 0 and counts.events_updated == 1
        assert event_of(session, city, "b") == first
        event = session.get(Event, first)
        assert event is not None and event.listing_count == 2 and len(event.urls) == 2


def test_an_event_whose_listing_changes_keeps_its_id(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        organiser, city, _ = add_sources(session)
        put(session, organiser, now, record("a", "Palkkaneuvottelun ABC"))
        put(session, city, now, record("b", "Palkkaneuvottelun ABC"))
        run_dedupe(session, now)
        first = event_of(session, organiser, "a")
    later = now + timedelta(days=1)
    with db.sessions.begin() as session:
        put(
            session,
            organiser,
            later,
            record("a", "Palkkaneuvottelun ABC – uusi puhuja", price="0 €"),
        )
        counts = run_dedupe(session, later)
        assert counts.events_created == 0 and counts.listings_moved == 0
        event = session.get(Event, first)
        assert event is not None
        assert event.title == "Palkkaneuvottelun ABC – uusi puhuja" and event.updated_at == later
        assert event_of(session, city, "b") == first


def test_a_rescheduled_listing_leaves_and_gets_its_own_event(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        organiser, city, _ = add_sources(session)
        put(session, organiser, now, record("a", "Palkkaneuvottelun ABC"))
        put(session, city, now, record("b", "Palkkaneuvottelun ABC"))
        run_dedupe(session, now)
        first = event_of(session, organiser, "a")
    with db.sessions.begin() as session:
        moved = record("b", "Palkkaneuvottelun ABC", start_at=START + timedelta(days=7))
        put(session, city, now, moved)
        counts = run_dedupe(session, now)
        assert counts.events_created == 1
        assert event_of(session, organiser, "a") == first  # the organiser's keeps the id
        assert event_of(session, city, "b") not in (None, first)


def test_an_event_whose_listings_are_all_gone_is_gone(db: Database, now: datetime) -> None:
    later = now + timedelta(days=1)
    with db.sessions.begin() as session:
        organiser, city, _ = add_sources(session)
        put(
            session,
            organiser,
            now,
            record("a", "CV-klinikka"),
            record("x", "Muu", start_at=START + timedelta(days=3)),
        )
        put(
            session,
            city,
            now,
            record("b", "CV-klinikka"),
            record("y", "Toinen", start_at=START + timedelta(days=4)),
        )
        run_dedupe(session, now)
        first = event_of(session, organiser, "a")
    with db.sessions.begin() as session:
        mark_gone(session, organiser, {"x"}, later, max_fraction=1.0)
        assert run_dedupe(session, later).events_gone == 0
        event = session.get(Event, first)
        assert event is not None and event.gone_at is None
        mark_gone(session, city, {"y"}, later, max_fraction=1.0)
        counts = run_dedupe(session, later)
        assert counts.events_gone == 1
        assert event.gone_at == later and event_of(session, city, "b") == first
    with db.sessions.begin() as session:
        put(session, city, later, record("b", "CV-klinikka"))  # back on its source
        run_dedupe(session, later)
        event = session.get(Event, first)
        assert event is not None and event.gone_at is None


def test_two_events_found_to_be_one_keep_the_older_id(db: Database, now: datetime) -> None:
    page = "https://www.aalto.fi/en/events/meet-the-employers"
    with db.sessions.begin() as session:
        organiser, aggregator, _ = add_sources(session)
        put(session, organiser, now, record("a", "Meet the employers at Dipoli", url=page))
        put(
            session,
            aggregator,
            now,
            record("b", "IT-alan rekrytointimessut", url="https://agg.example/1"),
        )
        run_dedupe(session, now)
        older, newer = event_of(session, organiser, "a"), event_of(session, aggregator, "b")
        assert older is not None and newer is not None and older < newer
    with db.sessions.begin() as session:
        linked = record(
            "b",
            "IT-alan rekrytointimessut",
            url="https://agg.example/1",
            description_text=f"Lisää: {page}",
        )
        put(session, aggregator, now, linked)
        counts = run_dedupe(session, now)
        assert counts.events_merged_away == 1
        assert event_of(session, aggregator, "b") == older
        retired = session.get(Event, newer)
        assert (
            retired is not None and retired.merged_into_id == older and retired.gone_at is not None
        )


def test_admin_merge_wins_and_survives_reruns(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        organiser, city, _ = add_sources(session)
        put(session, organiser, now, record("a", "Työnhaku LinkedInissä"))
        put(session, city, now, record("b", "LinkedIn-ilta", venue="Stoa"))
        run_dedupe(session, now)
        first, second = event_of(session, organiser, "a"), event_of(session, city, "b")
        assert first is not None and second is not None and first != second
    with db.sessions.begin() as session:
        result = merge_events(session, second, first, now)
        assert result.event_id == second
        assert event_of(session, organiser, "a") == event_of(session, city, "b") == second
        merged = session.get(Event, first)
        assert merged is not None and merged.merged_into_id == second
    with db.sessions.begin() as session:
        assert not run_dedupe(session, now).changed
        assert event_of(session, organiser, "a") == second


def test_admin_split_wins_survives_reruns_and_a_later_merge_undoes_it(
    db: Database, now: datetime
) -> None:
    with db.sessions.begin() as session:
        organiser, city, aggregator = add_sources(session)
        put(session, organiser, now, record("a", "CV-klinikka maahanmuuttajille"))
        put(session, city, now, record("b", "CV-klinikka maahanmuuttajille"))
        put(session, aggregator, now, record("c", "CV-KLINIKKA MAAHANMUUTTAJILLE"))
        run_dedupe(session, now)
        event_id = event_of(session, organiser, "a")
        assert event_id is not None
        listing_c = session.scalar(select(Listing.id).where(Listing.external_id == "c"))
        assert listing_c is not None
    with db.sessions.begin() as session:
        result = split_event(session, event_id, listing_c, now)
        assert result.event_id != event_id
        assert event_of(session, aggregator, "c") == result.event_id
        assert event_of(session, city, "b") == event_id
        assert session.scalar(select(DedupeDecision.kind).limit(1)) == "apart"
    with db.sessions.begin() as session:
        assert not run_dedupe(session, now + timedelta(hours=2)).changed
        assert event_of(session, aggregator, "c") == result.event_id
    with db.sessions.begin() as session:
        merge_events(session, event_id, result.event_id, now)
        assert event_of(session, aggregator, "c") == event_id
        kinds = set(session.scalars(select(DedupeDecision.kind)))
        assert kinds == {"same"}


def test_admin_mistakes_are_refused_with_a_reason(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        organiser, city, _ = add_sources(session)
        put(session, organiser, now, record("a", "CV-klinikka"))
        put(session, city, now, record("b", "Palkkaneuvottelun ABC", venue="Stoa"))
        run_dedupe(session, now)
        a, b = event_of(session, organiser, "a"), event_of(session, city, "b")
        assert a is not None and b is not None
        with pytest.raises(DedupeAdminError, match="no event with id 999"):
            merge_events(session, a, 999, now)
        with pytest.raises(DedupeAdminError, match="two different events"):
            merge_events(session, a, a, now)
        with pytest.raises(DedupeAdminError, match="nothing to split"):
            split_event(session, a, 1, now)
        with pytest.raises(DedupeAdminError, match="is not in event"):
            split_event(session, a, 99, now)


def test_listings_past_the_window_are_left_alone(db: Database, now: datetime) -> None:
    past = now - timedelta(days=60)
    with db.sessions.begin() as session:
        organiser, city, _ = add_sources(session)
        put(session, organiser, past, record("old", "CV-klinikka", start_at=past))
        run_dedupe(session, past)
        old_event = event_of(session, organiser, "old")
    with db.sessions.begin() as session:
        put(session, city, now, record("copy", "CV-klinikka", start_at=past))
        counts = run_dedupe(session, now, past_days=30)
        assert counts.listings == 0
        assert event_of(session, city, "copy") is None
        assert event_of(session, organiser, "old") == old_event
