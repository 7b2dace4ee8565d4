"""The incremental dedupe run (dedupe/memory.py) gives what a full run gives, on SQLite and
PostgreSQL: the labelled set in two databases, the same random changes (fixed seed) in both,
one grouped again incrementally and the other from scratch, after each of three rounds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dedupe.job import DedupeCounts, run_dedupe
from dedupe.memory import Memory
from store.listings import upsert_listings
from store.models import Event, Listing
from store.record import EventRecord
from tests.conftest import Database, _backends, migrated_database
from tests.support.labelled import load, store_set, to_record

Change = tuple[str, int, Any]


@pytest.fixture(params=_backends())
def two(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """Two fresh databases on one backend: one grouped incrementally, one from scratch."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        migrated_database(request.param, tmp_path / "a") as first,
        migrated_database(request.param, tmp_path / "b") as second,
    ):
        yield first, second


# The sources of the labelled set that write in Finnish (Linked Events without its other
# languages' titles): titles in one language, so the runs are incremental. With titles in
# two languages or more the cross-language step reads whole days and every run is a full
# one (test_titles_in_several_languages_mean_full_runs).
FINNISH_SOURCES = (1, 2, 4, 7)


def finnish(data: dict[str, Any]) -> dict[str, Any]:
    listings = [
        {**row, "titles": {}} for row in data["listings"] if row["source"] in FINNISH_SOURCES
    ]
    sources = [s for s in data["sources"] if s["id"] in FINNISH_SOURCES]
    return {**data, "listings": listings, "sources": sources}


def seed(database: Database, data: dict[str, Any], now: datetime) -> None:
    with database.sessions.begin() as session:
        store_set(session, data, now)


def random_changes(
    rng: random.Random, records: dict[tuple[int, str], EventRecord], count: int, round_: int
) -> list[Change]:
    """New, changed (title, time, place, URL), gone, back and long-past listings."""
    keys = sorted(records)
    changes: list[Change] = []
    for n in range(count):
        source, key = rng.choice(keys)
        record = records[(source, key)]
        other = records[rng.choice(keys)]
        roll = rng.random()
        if roll < 0.15:
            record = replace(record, title=other.title)
        elif roll < 0.25:
            record = replace(record, title=record.title + " (uusi aika)")
        elif roll < 0.4:
            shift = rng.choice([15, 60, 24 * 60, -15])
            record = replace(record, start_at=record.start_at + timedelta(minutes=shift))
        elif roll < 0.45:
            record = replace(record, start_at=record.start_at - timedelta(days=400), end_at=None)
        elif roll < 0.55:
            record = replace(record, venue=other.venue, city=other.city)
        elif roll < 0.65:
            record = replace(record, url=other.url)
        elif roll < 0.75:
            changes.append(("gone", source, key))
            continue
        elif roll < 0.8:
            changes.append(("back", source, key))
            continue
        else:
            source = rng.choice(sorted({s for s, _k in keys}))
            key = f"new-{round_}-{n}"
            record = replace(other, external_id=key)
        records[(source, key)] = record
        changes.append(("put", source, record))
    return changes


def apply(database: Database, changes: list[Change], now: datetime) -> None:
    with database.sessions.begin() as session:
        for kind, source, value in changes:
            if kind == "put":
                upsert_listings(session, source, [value], now)
            else:
                session.execute(
                    update(Listing)
                    .where(Listing.source_id == source, Listing.external_id == value)
                    .values(gone_at=now if kind == "gone" else None)
                )


def state(session: Session) -> dict[str, Any]:
    """The groups (by source and external id), why each listing joined, and what each
    event shows."""
    rows = session.execute(
        select(Listing.source_id, Listing.external_id, Listing.event_id, Listing.match_info)
    ).all()
    groups: dict[int, list[tuple[int, str]]] = {}
    for row in rows:
        if row.event_id is not None:
            groups.setdefault(row.event_id, []).append((row.source_id, row.external_id))
    events = {
        tuple(sorted(groups[e.id])): (e.title, e.start_at, e.urls, e.gone_at, e.listing_count)
        for e in session.scalars(select(Event).where(Event.merged_into_id.is_(None)))
        if e.id in groups
    }
    why = {(row.source_id, row.external_id): row.match_info for row in rows}
    return {"groups": sorted(sorted(g) for g in groups.values()), "events": events, "why": why}


def run(database: Database, now: datetime, memory: Memory | None = None) -> DedupeCounts:
    with database.sessions.begin() as session:
        return run_dedupe(session, now, memory=memory)


def rounds_agree(
    two: tuple[Database, Database],
    data: dict[str, Any],
    memory: Memory,
    now: datetime,
    *,
    seed: int,
    per_round: int,
) -> None:
    """Three rounds of the same random changes in both databases: each time an incremental
    run (with `memory`) in the first and a full run in the second give the same state."""
    incremental, full = two
    records = {(r["source"], f"labelled-{r['id']}"): to_record(r) for r in data["listings"]}
    rng = random.Random(seed)
    for round_ in range(3):
        later = now + timedelta(hours=round_ + 1)
        changes = random_changes(rng, records, per_round, round_)
        for database in two:
            apply(database, changes, later)
        counts = run(incremental, later, memory)
        assert not counts.full and 0 < counts.regrouped < counts.listings
        run(full, later)
        with incremental.sessions() as a, full.sessions() as b:
            assert state(a) == state(b), f"round {round_}"


def test_incremental_runs_give_the_full_runs_result(
    two: tuple[Database, Database], now: datetime
) -> None:
    incremental, full = two
    data = finnish(load())
    for database in two:
        seed(database, data, now)
    memory = Memory()
    assert run(incremental, now, memory).full
    run(full, now)
    rounds_agree(two, data, memory, now, seed=20261207, per_round=40)
    # A full run over the incremental run's result finds nothing to change.
    assert not run(incremental, now + timedelta(hours=4)).changed


def test_a_change_the_mark_cannot_see_is_caught_by_the_comparison(
    two: tuple[Database, Database], now: datetime
) -> None:
    """The control: the same comparison sees a difference when the incremental run misses a
    change (a listing moved to another day behind the content hash's back)."""
    incremental, full = two
    data = finnish(load())
    for database in two:
        seed(database, data, now)
    memory = Memory()
    run(incremental, now, memory)
    run(full, now)
    with incremental.sessions() as session:
        row = session.execute(
            select(Listing.source_id, Listing.external_id, Listing.event_id, Listing.start_at)
            .where(Listing.event_id.is_not(None))
            .order_by(Listing.id)
        ).all()
    sizes: dict[int, int] = {}
    for item in row:
        sizes[item.event_id] = sizes.get(item.event_id, 0) + 1
    target = next(item for item in row if sizes[item.event_id] > 1)
    for database in two:
        with database.sessions.begin() as session:
            session.execute(
                update(Listing)
                .where(
                    Listing.source_id == target.source_id,
                    Listing.external_id == target.external_id,
                )
                .values(start_at=target.start_at + timedelta(days=3))
            )
    assert run(incremental, now, memory).regrouped == 0
    run(full, now)
    with incremental.sessions() as a, full.sessions() as b:
        assert state(a)["groups"] != state(b)["groups"]


def test_titles_in_several_languages_incremental_too(
    two: tuple[Database, Database], now: datetime
) -> None:
    """The whole labelled set (fi, sv and en titles): the cross-language step runs, so an
    incremental run groups again the whole days a change touches, with the full run's
    result, round after round."""
    incremental, full = two
    data = load()
    for database in two:
        seed(database, data, now)
    memory = Memory()
    run(incremental, now, memory)
    run(full, now)
    assert memory.across is not None
    rounds_agree(two, data, memory, now, seed=5, per_round=15)
