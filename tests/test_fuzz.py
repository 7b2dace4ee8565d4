"""Fuzz: hostile bytes and strings through every extractor, auto-detection, and the whole
store → dedupe → digest/feed path; no crash, no lost good record, clean text everywhere.

Seeded (FUZZ_SEED, default 1313) and sized (FUZZ_CASES, default 6 pages per kind) from the
environment, for longer runs by hand: ``FUZZ_SEED=7 FUZZ_CASES=200 pytest tests/test_fuzz.py``.
A failing case names its seed and case number, so it can be run again alone.

Every fuzzed page carries known-good events (tests/support/fuzz.py) beside hostile ones:
C0/C1 controls with NUL, bidi overrides, zero-width characters, 1 MB fields and attributes,
invalid UTF-8, lone surrogates escaped in JSON, JSON-LD nested 10,000 levels, deeply nested
microdata, malformed iCalendar, feeds with a bogus encoding. The good ones must all come out:
as records of the extractor, as listings in the database, deduplicated into events, in a
rendered digest and in the Atom and iCalendar feeds of the web app, without any character
the cleaner must remove.
"""

from __future__ import annotations

import asyncio
import html
import os
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import func, select

from dedupe.job import run_dedupe
from digest.preview import preview
from digest.transports import FileSender
from scrapers.detect import detect
from scrapers.extractors import ExtractError, Extraction, extract
from scrapers.runner import CrawlResult
from services.crawl_queue import CrawlQueue
from store import vocab
from store.models import CrawlRun, Event, Listing, Source, Subscriber
from store.record import EventRecord
from tests.conftest import Database, _backends, migrated_database
from tests.support.children import child_settings
from tests.support.digest import config as digest_config
from tests.support.extract import NOW, context
from tests.support.fuzz import (
    BUILDERS,
    CSS_CONFIG,
    HELSINKI,
    Fuzz,
    GoodEvent,
    deep_json,
    forbidden_in,
    many_events_page,
)
from tests.support.http import SiteServer
from tests.test_extract_robustness import BILLION_LAUGHS
from tests.web.conftest import BASE_URL, make_config
from web.app import create_app

SEED = int(os.environ.get("FUZZ_SEED", "1313"))
CASES = int(os.environ.get("FUZZ_CASES", "6"))
SITE = "https://fuzz.example.fi"
KINDS = tuple(BUILDERS)
ALL_KINDS = (*KINDS, "jsonld-detail", "css-detail")
# Fields of a record that readers see as text.
TEXT_FIELDS = ("title", "description_text", "venue", "address", "city", "organiser", "price")


def config_of(kind: str) -> dict[str, object]:
    return dict(CSS_CONFIG) if kind.startswith("css") else {}


def run_extractor(kind: str, body: bytes, content_type: str | None, now: datetime) -> Extraction:
    """The extractor's result, or ExtractError; any other exception is a crash (re-raised
    with the kind, so the report names it)."""
    ctx = context(f"{SITE}/{kind}/", now=now, config=config_of(kind), content_type=content_type)
    try:
        return extract(kind, body, ctx)
    except ExtractError:
        raise
    except Exception as exc:
        raise AssertionError(f"{kind} extractor crashed: {exc!r}") from exc


def dirty_fields(record: EventRecord) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in TEXT_FIELDS:
        value = getattr(record, name)
        if isinstance(value, str) and forbidden_in(value):
            found[name] = forbidden_in(value)
    for name in ("titles", "descriptions"):
        for lang, value in getattr(record, name).items():
            if forbidden_in(value):
                found[f"{name}[{lang}]"] = forbidden_in(value)
    return found


def assert_good_kept(result: Extraction, good: list[GoodEvent], where: str) -> None:
    """Every good event is a record with its clean title; no record keeps a removed character."""
    for event in good:
        found = [r.title for r in result.records if event.marker in r.title]
        assert found, f"{where}: good event {event.title!r} lost; errors: {result.errors[:5]}"
        assert found == [event.title], f"{where}: good event {event.title!r} came out as {found}"
    for record in result.records:
        dirty = dirty_fields(record)
        assert not dirty, f"{where}: {record.title[:60]!r} keeps {dirty}"


# --- the extractors and auto-detection, in process --------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_pages_keep_every_good_event_clean(kind: str) -> None:
    now = NOW
    fuzz = Fuzz(SEED * 31 + KINDS.index(kind), today=now)
    for case in range(CASES):
        page = BUILDERS[kind](fuzz, SITE, fuzz.good(kind, 3), f"{SITE}/{kind}/{case + 1}")
        where = f"FUZZ_SEED={SEED} {kind} case {case}"
        try:
            result = run_extractor(kind, page.body, page.content_type, now)
        except ExtractError as exc:
            raise AssertionError(f"{where}: page with good events refused: {exc}") from None
        assert_good_kept(result, page.good, where)
        detected = detect(page.body, f"{SITE}/{kind}/", page.content_type)
        assert detected.kind is not None, f"{where}: not detected: {detected.reason}"


def test_random_bytes_never_crash_an_extractor_or_detection() -> None:
    now = NOW
    fuzz = Fuzz(SEED, today=now)
    prefixes = [b"", b"<html>", b"BEGIN:VCALENDAR\r\n", b'{"meta": {}, "data": [', b"<?xml"]
    for case in range(CASES * 10):
        body = fuzz.rng.choice(prefixes) + fuzz.junk(fuzz.rng.randint(1, 4000))
        content_type = fuzz.rng.choice([None, "text/html", "application/json", "x/\x00y"])
        for kind in ALL_KINDS:
            with suppress(ExtractError):
                run_extractor(kind, body, content_type, now)
        try:
            detect(body, f"{SITE}/", content_type)
        except Exception as exc:
            raise AssertionError(f"FUZZ_SEED={SEED} case {case}: detect crashed: {exc!r}") from exc


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("levels", [1_000, 10_000])
def test_json_nested_ten_thousand_levels_is_no_crash(kind: str, levels: int) -> None:
    now = NOW
    deep = deep_json(levels)
    bodies = [
        deep.encode(),
        f'<html><script type="application/ld+json">{deep}</script></html>'.encode(),
        ('{"meta": {}, "data": [' + deep + "]}").encode(),
    ]
    for body in bodies:
        with suppress(ExtractError):
            run_extractor(kind, body, None, now)
        assert detect(body, f"{SITE}/", None).reason


@pytest.mark.parametrize("declaration", ["", '<?xml version="1.0" encoding="x-bogus"?>'])
def test_billion_laughs_is_refused_by_the_feed_reader(declaration: str) -> None:
    body = declaration.encode() + BILLION_LAUGHS.split(b"?>", 1)[1]
    for kind in ("rss", "ics", "jsonld", "css", "linkedevents"):
        with suppress(ExtractError):
            run_extractor(kind, body, "application/rss+xml", NOW)
    with pytest.raises(ExtractError, match="refused"):
        run_extractor("rss", body, "application/rss+xml", NOW)
    assert detect(body, f"{SITE}/feed/", None).reason  # an answer, not a crash


def test_ten_thousand_events_in_one_page() -> None:
    now = NOW
    first = (now + timedelta(days=30)).astimezone(HELSINKI)
    body = many_events_page(SITE, 10_000, first)
    result = run_extractor("jsonld", body, "text/html", now)
    assert len(result.records) == 10_000
    assert len({record.key() for record in result.records}) == 10_000


# --- the whole path: crawl children → store → dedupe → digest and feeds -----------------------

PAGES_PER_SOURCE = 3
MANY_EVENTS = 10_000
DIGEST_EMAIL = "fuzz@example.fi"


@dataclass
class Crawled:
    db: Database
    now: datetime
    good: list[GoodEvent]
    results: list[CrawlResult]
    many_source: int


def serve_sources(
    server: SiteServer, fuzz: Fuzz
) -> tuple[dict[str, tuple[str, str]], list[GoodEvent]]:
    """Fuzzed pages of every kind on `server` (and a page auto-detection must read); the
    sources that crawl them (name -> (url, kind)) and every good event they carry."""
    good: list[GoodEvent] = []
    sources: dict[str, tuple[str, str]] = {}
    for kind in KINDS:
        pages = PAGES_PER_SOURCE if kind != "ics" else 1
        for number in range(pages):
            next_url = server.url(f"/{kind}/{number + 1}") if number + 1 < pages else None
            page = BUILDERS[kind](fuzz, SITE, fuzz.good(kind, 2), next_url)
            server.add(f"/{kind}/{number}", page.body, content_type=page.content_type)
            good += page.good
        sources[kind] = (server.url(f"/{kind}/0"), kind)
    auto = BUILDERS["jsonld"](fuzz, SITE, fuzz.good("auto", 2), None)
    server.add("/auto/", auto.body, content_type=auto.content_type)
    good += auto.good
    sources["auto"] = (server.url("/auto/"), "auto")
    first = (fuzz.today + timedelta(days=40)).replace(microsecond=0)
    server.add("/many/", many_events_page(SITE, MANY_EVENTS, first), content_type="text/html")
    sources["many"] = (server.url("/many/"), "jsonld")
    server.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    return sources, good


@pytest.fixture(scope="module", params=_backends())
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crawled]:
    with migrated_database(request.param, tmp_path_factory.mktemp("fuzz")) as db:
        now = datetime.now(UTC)
        server = SiteServer()
        server.start()
        try:
            sources, good = serve_sources(server, Fuzz(SEED * 7 + 1, today=now))
            with db.sessions.begin() as session:
                rows = {
                    name: Source(
                        name=name,
                        url=url,
                        kind=kind,
                        config=dict(CSS_CONFIG) if kind == "css" else {},
                        interval_hours=1.0,
                    )
                    for name, (url, kind) in sources.items()
                }
                session.add_all(rows.values())
            settings = child_settings(db.url, max_response_mb=20.0)
            queue = CrawlQueue(db.sessions, max_parallel=2, time_limit=120, child_settings=settings)
            results = asyncio.run(queue.run([row.id for row in rows.values()]))
        finally:
            server.stop()
        with db.sessions.begin() as session:
            run_dedupe(session, now)
            session.add(
                Subscriber(
                    email=DIGEST_EMAIL,
                    status=vocab.SUBSCRIBER_ACTIVE,
                    language="fi",
                    categories=["job-fair"],
                    max_items=200,
                )
            )
        yield Crawled(db, now, good, results, rows["many"].id)


def by_marker(titles: list[str], good: list[GoodEvent]) -> dict[str, list[str]]:
    return {event.marker: [t for t in titles if event.marker in t] for event in good}


def assert_all_shown(where: str, shown: str, good: list[GoodEvent]) -> None:
    missing = [event.title for event in good if event.title not in shown]
    assert not missing, f"{where}: good events missing (or not clean): {missing}"
    assert not forbidden_in(shown), f"{where} shows {forbidden_in(shown)}"


@pytest.mark.slow
def test_every_crawl_ends_ok_without_an_extractor_crash(crawled: Crawled) -> None:
    for result in crawled.results:
        assert result.status == vocab.RUN_OK, (result.name, result.status, result.first_error)
    with crawled.db.sessions() as session:
        for run in session.scalars(select(CrawlRun)):
            messages = " ".join(run.error_messages or [])
            assert "extractor failed" not in messages, messages[:2000]


@pytest.mark.slow
def test_every_good_event_is_stored_with_its_clean_title(crawled: Crawled) -> None:
    with crawled.db.sessions() as session:
        titles = list(session.scalars(select(Listing.title)))
        many = session.scalar(
            select(func.count())
            .select_from(Listing)
            .where(Listing.source_id == crawled.many_source)
        )
    found = by_marker(titles, crawled.good)
    lost = [event.title for event in crawled.good if not found[event.marker]]
    assert not lost, f"good events not stored: {lost}"
    wrong = {e.title: found[e.marker] for e in crawled.good if found[e.marker] != [e.title]}
    assert not wrong, f"good events stored with other titles: {wrong}"
    assert many == MANY_EVENTS


@pytest.mark.slow
def test_every_good_event_is_deduplicated_into_an_event_of_its_own(crawled: Crawled) -> None:
    with crawled.db.sessions() as session:
        rows = session.execute(select(Listing.title, Listing.event_id)).all()
        events = {e.id: e for e in session.scalars(select(Event))}
    for good in crawled.good:
        found = [event_id for title, event_id in rows if good.marker in title]
        assert len(found) == 1, f"{good.title!r}: {len(found)} listings"
        event_id = found[0]
        assert event_id is not None, f"{good.title!r} is in no event"
        event = events[event_id]
        assert event.title == good.title
        assert abs(event.start_at.replace(tzinfo=UTC) - good.start) < timedelta(minutes=1)
        for value in (event.title, event.description_text, event.venue, event.address):
            assert not forbidden_in(value or ""), (good.title, value)
    ids = [event_id for title, event_id in rows if any(g.marker in title for g in crawled.good)]
    assert len(set(ids)) == len(crawled.good)


@pytest.mark.slow
def test_every_good_event_is_in_the_digest_in_clean_text(crawled: Crawled) -> None:
    with crawled.db.sessions() as session:
        composed = preview(session, DIGEST_EMAIL, digest_config(), crawled.now).composed
    assert composed is not None
    assert_all_shown("digest text", composed.rendered.text, crawled.good)
    assert_all_shown("digest HTML", html.unescape(composed.rendered.html), crawled.good)


@pytest.mark.slow
def test_every_good_event_is_in_the_atom_and_ical_feeds(crawled: Crawled, tmp_path: Path) -> None:
    app = create_app(
        make_config(),
        crawled.db.sessions,
        scheduler_status=lambda: True,
        sender=FileSender(tmp_path / "outbox"),
        clock=lambda: crawled.now,
    )
    with TestClient(app, base_url=BASE_URL) as client:
        atom = client.get("/feeds/events.atom?category=job-fair&lang=fi")
        ical = client.get("/feeds/events.ics?category=job-fair&lang=fi")
    assert atom.status_code == 200 and ical.status_code == 200
    parsed = feedparser.parse(atom.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert_all_shown("Atom feed", "\n".join(e.title for e in parsed.entries), crawled.good)
    assert not forbidden_in(atom.text), forbidden_in(atom.text)
    calendar = Calendar.from_ical(ical.content)
    summaries = "\n".join(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert_all_shown("iCalendar feed", summaries, crawled.good)
    assert not forbidden_in(ical.text), forbidden_in(ical.text)
