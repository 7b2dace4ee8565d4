"""Conditional requests and page memory: which headers go out, what is remembered."""

from __future__ import annotations

from datetime import datetime, timedelta

from scrapers.conditional import PageMemory, conditional_headers, load_memory, save_memory
from store.models import Source
from tests.conftest import Database

WEEK = timedelta(days=7)


def page(url: str, fetched_at: datetime | None, **values: object) -> PageMemory:
    return PageMemory(url=url, fetched_at=fetched_at, **values)  # type: ignore[arg-type]


def test_a_remembered_page_is_asked_for_conditionally(now: datetime) -> None:
    memory = page("u", now - timedelta(days=1), etag='"abc"', last_modified="Wed, 25 Nov 2026")
    assert conditional_headers(memory, now, WEEK) == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Wed, 25 Nov 2026",
    }


def test_a_page_without_validators_or_memory_is_fetched_in_full(now: datetime) -> None:
    assert conditional_headers(page("u", now), now, WEEK) == {}
    assert conditional_headers(None, now, WEEK) == {}


def test_a_page_read_in_full_too_long_ago_is_read_in_full_again(now: datetime) -> None:
    memory = page("u", now - timedelta(days=7), etag='"abc"')
    assert conditional_headers(memory, now, WEEK) == {}
    assert conditional_headers(memory, now, timedelta(days=8)) == {"If-None-Match": '"abc"'}


def add_source(db: Database) -> int:
    with db.sessions.begin() as session:
        source = Source(name="s", url="https://example.fi/")
        session.add(source)
        session.flush()
        return source.id


def test_memory_is_stored_and_read_back(db: Database, now: datetime) -> None:
    source_id = add_source(db)
    stored = page(
        "https://example.fi/tapahtumat/",
        now,
        etag='"v1"',
        record_keys=["a", "b"],
        links={"detail": ["https://example.fi/t/1"]},
    )
    with db.sessions.begin() as session:
        save_memory(session, source_id, [stored])
    with db.sessions() as session:
        assert load_memory(session, source_id) == {stored.url: stored}


def test_a_complete_crawl_forgets_pages_it_no_longer_reached(db: Database, now: datetime) -> None:
    source_id = add_source(db)
    with db.sessions.begin() as session:
        save_memory(session, source_id, [page("a", now), page("b", now), page("c", now)])
    later = now + timedelta(days=1)
    with db.sessions.begin() as session:
        save_memory(session, source_id, [page("a", later, etag='"2"')], keep_only={"a", "b"})
    with db.sessions() as session:
        memory = load_memory(session, source_id)
    assert set(memory) == {"a", "b"}
    assert memory["a"].etag == '"2"' and memory["a"].fetched_at == later
    assert memory["b"].fetched_at == now


def test_an_incomplete_crawl_forgets_nothing(db: Database, now: datetime) -> None:
    source_id = add_source(db)
    with db.sessions.begin() as session:
        save_memory(session, source_id, [page("a", now), page("b", now)])
    with db.sessions.begin() as session:
        save_memory(session, source_id, [page("a", now)], keep_only=None)
    with db.sessions() as session:
        assert set(load_memory(session, source_id)) == {"a", "b"}
