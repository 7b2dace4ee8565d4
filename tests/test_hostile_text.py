"""Hostile bytes in scraped text: one bad event never costs the rest of its page.

A page served on 127.0.0.1 holds good events and one whose title, venue, description, link
and id carry NUL, ESC sequences, C1 controls, bidi overrides and zero-width characters. A
real crawl (child process) stores every event, cleaned, on SQLite and PostgreSQL. A record
that still cannot be stored (built past the cleaner) is left out with its reason while the
others are stored, and the reason reaches the crawl run's errors.
"""

from __future__ import annotations

import asyncio
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from scrapy.utils.test import get_crawler
from sqlalchemy import select

from scrapers.extractors import ExtractContext, extract
from scrapers.pipelines import StorePipeline
from scrapers.spiders.source_spider import RecordItem
from services.crawl_queue import CrawlQueue
from store.listings import store_listings
from store.models import CrawlRun, HttpValidator, Listing, Source
from store.record import EventRecord
from tests.conftest import Database
from tests.support.children import child_settings
from tests.support.http import SiteServer

HELSINKI = ZoneInfo("Europe/Helsinki")
HOSTILE_TITLE = (
    "Työpaja\u0000 \u001b[31mpunainen\u001b[0m \u0085C1\u0090 \u202eesrever\u202c "
    "zero\u200bwidth \u2066isolate\u2069\ufeff"
)
CLEAN_TITLE = "Työpaja punainen C1 esrever zerowidth isolate"


def day(offset: int) -> str:
    today = datetime.now(HELSINKI).date()
    start = datetime.combine(today + timedelta(days=offset), datetime.min.time(), HELSINKI)
    return start.replace(hour=17).isoformat()


def page() -> bytes:
    events = [
        {
            "@context": "https://schema.org",
            "@type": "Event",
            "@id": f"https://x.example.fi/tapahtumat/{n}",
            "name": name,
            "startDate": day(10 + n),
            "url": f"https://x.example.fi/tapahtumat/{n}",
        }
        for n, name in ((1, "CV-klinikka"), (3, "Rekrytointimessut"))
    ]
    events.insert(
        1,
        {
            "@context": "https://schema.org",
            "@type": "Event",
            "@id": "https://x.example.fi/tapahtumat/2\u0000\u202e",
            "name": HOSTILE_TITLE,
            "startDate": day(12),
            "url": "https://x.example.fi/tapahtumat/2\u0000\u001b[2J",
            "description": "Rivi\u0000 yksi\u001b]0;owned\u0007\n\nRivi \u202ekaksi\u200b",
            "location": {"@type": "Place", "name": "Oodi\u0000\u001b[5m", "address": "Helsinki"},
            "organizer": {"@type": "Organization", "name": "Järjestäjä\u0085\u009b"},
            "offers": {"@type": "Offer", "price": "5\u0000 €"},
        },
    )
    script = json.dumps(events)  # \u0000 and friends as JSON escapes, as a site writes them
    html = f'<html><head><script type="application/ld+json">{script}</script></head></html>'
    return html.encode()


def invisible(text: str) -> list[str]:
    """Control, format and surrogate characters in `text` (newlines of a description
    allowed)."""
    return [
        f"U+{ord(ch):04X}"
        for ch in text
        if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")
    ]


def add_source(db: Database, url: str, kind: str = "jsonld") -> int:
    with db.sessions.begin() as session:
        source = Source(name="vihamielinen", url=url, kind=kind, interval_hours=1.0)
        session.add(source)
        session.flush()
        return source.id


def test_a_page_with_hostile_text_is_stored_whole_and_clean(
    db: Database, site_server: SiteServer
) -> None:
    etag = '"v1\x1b[2J\x9b"'  # a header is latin-1: ESC and C1 get through
    source_id = add_source(db, site_server.add("/tapahtumat/", page(), headers={"ETag": etag}))
    queue = CrawlQueue(
        db.sessions, max_parallel=1, time_limit=120, child_settings=child_settings(db.url)
    )
    [result] = asyncio.run(queue.run([source_id]))
    assert result.status == "ok", result.first_error
    with db.sessions() as session:
        run = session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id)).one()
        listings = list(session.scalars(select(Listing).order_by(Listing.start_at)))
        remembered = session.scalars(select(HttpValidator.etag)).one()
    assert (run.errors, run.skipped, run.new) == (0, 0, 3)
    assert remembered == '"v1"'
    assert [listing.title for listing in listings] == [
        "CV-klinikka",
        CLEAN_TITLE,
        "Rekrytointimessut",
    ]
    hostile = listings[1]
    assert hostile.external_id == "https://x.example.fi/tapahtumat/2"
    assert hostile.url == "https://x.example.fi/tapahtumat/2"
    assert hostile.venue == "Oodi"
    assert hostile.organiser == "Järjestäjä"
    assert hostile.price == "5 €"
    assert hostile.description_text == "Rivi yksi Rivi kaksi"  # JSON-LD text is one line
    for listing in listings:
        for name in ("title", "external_id", "url", "venue", "organiser", "price"):
            assert invisible(getattr(listing, name) or "") == [], name
        assert invisible(listing.description_html) == invisible(listing.description_text) == []
        assert all(invisible(t) == [] for t in listing.titles.values())


def record(title: str, key: str, **values: object) -> EventRecord:
    start = datetime(2027, 3, 1, 15, tzinfo=UTC)
    return EventRecord(
        title=title, start_at=start, external_id=key, page_url="https://x.example.fi/", **values
    )  # type: ignore[arg-type]


def test_a_record_the_database_refuses_is_left_out_with_why(db: Database) -> None:
    source_id = add_source(db, "https://x.example.fi/")
    now = datetime(2027, 2, 1, tzinfo=UTC)
    records = [
        record("Hyvä yksi", "1"),
        record("Paha\x00nolla", "2"),  # past the cleaner: PostgreSQL refuses NUL
        record("Hyvä kaksi", "3"),
        record("Paha pitkä", "4", venue="V" * 301),  # over the column's 300
        record("Paha pari", "5\ud800"),  # a lone surrogate cannot be encoded
        record("Hyvä kolme", "6"),
    ]
    counts = store_listings(db.sessions, source_id, records, now)
    with db.sessions() as session:
        stored = sorted(session.scalars(select(Listing.title)))
    assert stored == ["Hyvä kaksi", "Hyvä kolme", "Hyvä yksi"]
    assert counts.new == 3
    assert counts.refused == [
        "https://x.example.fi/: skipped event 'Paha\\x00nolla': title contains U+0000",
        "https://x.example.fi/: skipped event 'Paha pitkä': venue is 301 characters long, "
        "over its column's 300",
        "https://x.example.fi/: skipped event 'Paha pari': external_id contains U+D800",
    ]


def test_a_record_refused_only_by_the_database_is_left_out_the_batch_stored(
    db: Database,
) -> None:
    source_id = add_source(db, "https://x.example.fi/")
    now = datetime(2027, 2, 1, tzinfo=UTC)
    records = [
        record("Hyvä yksi", "1"),
        record("Outo", "2", extra={"when": now}),  # no JSON for a datetime: the insert fails
        record("Hyvä kaksi", "3"),
    ]
    counts = store_listings(db.sessions, source_id, records, now)
    with db.sessions() as session:
        stored = sorted(session.scalars(select(Listing.title)))
    assert stored == ["Hyvä kaksi", "Hyvä yksi"]
    [why] = counts.refused
    assert why.startswith("https://x.example.fi/: skipped event 'Outo': the database refused it (")
    assert "JSON serializable" in why


def test_the_reason_of_a_refused_record_reaches_the_crawl_run(db: Database) -> None:
    source_id = add_source(db, "https://x.example.fi/")
    started = datetime.now(UTC)
    with db.sessions.begin() as session:
        run = CrawlRun(source_id=source_id, started_at=started)
        session.add(run)
        session.flush()
        run_id = run.id
    crawler = get_crawler(
        settings_dict={
            "VAHTI_SOURCE_ID": source_id,
            "VAHTI_RUN_ID": run_id,
            "VAHTI_NOW": started.isoformat(),
            "VAHTI_DATABASE_URL": db.url,
        }
    )
    pipeline = StorePipeline(crawler)
    for item in (record("Hyvä", "1"), record("Paha\x00", "2"), record("Toinen hyvä", "3")):
        pipeline.process_item(RecordItem(record=item))
    pipeline.spider_closed(None, "finished")  # type: ignore[arg-type]
    with db.sessions() as session:
        run = session.get_one(CrawlRun, run_id)
        stored = sorted(session.scalars(select(Listing.title)))
        source = session.get_one(Source, source_id)
    assert stored == ["Hyvä", "Toinen hyvä"]
    assert (run.status, run.new, run.errors, run.skipped) == ("ok", 2, 1, 1)
    assert run.first_error == (
        "https://x.example.fi/: skipped event 'Paha\\x00': title contains U+0000"
    )
    assert run.error_messages == [run.first_error]
    assert source.health == "degraded"


def test_a_site_message_in_a_crawl_run_is_one_clean_line(
    db: Database, site_server: SiteServer
) -> None:
    kind = "application/x-evil\x1b]0;pwned\x07\x1b[2J\x9b"
    url = site_server.add("/outo/", b"\x00\x01binary", content_type=kind)
    source_id = add_source(db, url, kind="auto")
    queue = CrawlQueue(
        db.sessions, max_parallel=1, time_limit=120, child_settings=child_settings(db.url)
    )
    [result] = asyncio.run(queue.run([source_id]))
    assert result.failed
    with db.sessions() as session:
        run = session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id)).one()
        source = session.get_one(Source, source_id)
    assert run.first_error is not None and "(application/x-evil)" in run.first_error
    assert invisible(run.first_error) == [] and invisible(source.health_reason or "") == []
    assert all(invisible(message) == [] for message in run.error_messages)


def test_calendar_occurrences_get_clean_keys_that_fit(now: datetime) -> None:
    uid = "sarja\x1b[2J\u202e-" + "x" * 600
    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//FI\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART:20261201T150000Z\r\nDTEND:20261201T160000Z\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Viikkotapaaminen\u0000\u202e\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = extract("ics", calendar.encode(), ExtractContext(url="https://x.fi/c.ics", now=now))
    keys = [record.external_id or "" for record in result.records]
    assert len(keys) == 3 and len(set(keys)) == 3  # positive control: three occurrences
    for record in result.records:
        assert record.title == "Viikkotapaaminen"
        assert invisible(record.external_id or "") == [] and len(record.external_id or "") <= 500
        assert invisible(record.series_id or "") == [] and len(record.series_id or "") <= 500
