"""A crawl the database interrupted (not the site) is cancelled and costs its source nothing.

The database is taken away for real (tests.support.outage) while a crawl child waits on a slow
local site, and given back once the child has ended; the parent then closes the run.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from config import CrawlSettings, DatabaseSettings
from scrapers.handoff import ChildSettings
from scrapers.runner import CrawlResult, crawl_one
from store import vocab
from store.models import CrawlRun, Listing, Source
from tests.support.children import TEST_CRAWL
from tests.support.http import SiteServer
from tests.support.outage import OutageDatabase, children_running

START = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
PAGE = (
    '<html><head><script type="application/ld+json">'
    '{"@type": "Event", "@id": "https://x.example.fi/1", "name": "Työnhakuklinikka",'
    f' "startDate": "{START}"}}</script></head></html>'
).encode()
# The source's state before the crawl: a cancelled crawl must leave all of it as it was.
LAST_RUN = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
NEXT_CRAWL = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def add_source(database: OutageDatabase, url: str) -> int:
    """A degraded source that failed twice before: what a crawl may and may not change."""
    with database.sessions.begin() as session:
        source = Source(
            name="hidas",
            url=url,
            kind="jsonld",
            interval_hours=1.0,
            health=vocab.HEALTH_DEGRADED,
            health_reason="2 errors in the last crawl: x",
            consecutive_failures=2,
            last_run_at=LAST_RUN,
            next_crawl_at=NEXT_CRAWL,
        )
        session.add(source)
        session.flush()
        return source.id


def source_state(database: OutageDatabase, source_id: int) -> tuple[Any, ...]:
    with database.sessions() as session:
        source = session.get_one(Source, source_id)
        return (
            source.health,
            source.health_reason,
            source.consecutive_failures,
            source.last_run_at.replace(tzinfo=UTC) if source.last_run_at else None,
            source.next_crawl_at.replace(tzinfo=UTC) if source.next_crawl_at else None,
        )


def only_run(database: OutageDatabase, source_id: int) -> CrawlRun:
    with database.sessions() as session:
        return session.query(CrawlRun).filter_by(source_id=source_id).one()


def settings(database: OutageDatabase) -> ChildSettings:
    return ChildSettings(
        crawl=CrawlSettings(**TEST_CRAWL),
        database=DatabaseSettings(url=database.url, busy_timeout_ms=database.busy_timeout_ms),
    )


def crawl_in_thread(
    database: OutageDatabase, source_id: int, results: list[CrawlResult]
) -> threading.Thread:
    """crawl_one on a loop of its own: a locked SQLite write blocks its thread, not the test."""

    def run() -> None:
        results.append(
            asyncio.run(
                crawl_one(
                    database.sessions, source_id, time_limit=60, child_settings=settings(database)
                )
            )
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_for(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_crawl_the_database_interrupted_is_cancelled_and_costs_the_source_nothing(
    outage: OutageDatabase, site_server: SiteServer
) -> None:
    asked, answer = threading.Event(), threading.Event()

    def slow_page(_handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        asked.set()
        answer.wait(30)  # the database goes away while the site takes its time
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE

    source_id = add_source(outage, site_server.add_handler("/hidas/", slow_page))
    before = source_state(outage, source_id)
    results: list[CrawlResult] = []
    thread = crawl_in_thread(outage, source_id, results)
    try:
        assert asked.wait(60), "the crawl never reached the site"
        outage.cut()
        answer.set()
        # The child reads the page, cannot store it and ends; then the database returns.
        wait_for(lambda: not children_running("scrapers.crawl_child"), 60)
        outage.restore()
        thread.join(60)
    finally:
        answer.set()
        outage.restore()
    [result] = results
    run = only_run(outage, source_id)
    assert (result.status, run.status) == (vocab.RUN_CANCELLED, vocab.RUN_CANCELLED)
    assert not result.failed
    assert run.first_error is not None and "database was unavailable" in run.first_error
    assert run.finished_at is not None
    assert source_state(outage, source_id) == before  # health, failures, no backoff
    with outage.sessions() as session:
        assert session.query(Listing).count() == 0  # nothing stored from the cancelled crawl


def test_a_site_failure_still_fails_the_run_and_counts(
    outage: OutageDatabase, site_server: SiteServer
) -> None:
    """The positive control: the same crawl, the site at fault, the database fine."""
    source_id = add_source(outage, site_server.add("/hidas/", b"oops", status=500))
    results: list[CrawlResult] = []
    crawl_in_thread(outage, source_id, results).join(90)
    [result] = results
    run = only_run(outage, source_id)
    assert (result.status, run.status) == (vocab.RUN_FAILED, vocab.RUN_FAILED)
    health, _reason, failures, last_run, next_crawl = source_state(outage, source_id)
    assert (health, failures) == (vocab.HEALTH_FAILING, 3)
    assert last_run != LAST_RUN and next_crawl != NEXT_CRAWL  # backs off


def test_a_database_back_before_the_crawl_ends_costs_nothing(
    outage: OutageDatabase, site_server: SiteServer
) -> None:
    """Gone while the site answered, back before the crawl is stored: an ordinary crawl."""
    asked, answer = threading.Event(), threading.Event()

    def slow_page(_handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        asked.set()
        answer.wait(30)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE

    source_id = add_source(outage, site_server.add_handler("/hidas/", slow_page))
    results: list[CrawlResult] = []
    thread = crawl_in_thread(outage, source_id, results)
    try:
        assert asked.wait(60), "the crawl never reached the site"
        outage.cut()
        time.sleep(1.0)
        outage.restore()
        answer.set()
        thread.join(60)
    finally:
        answer.set()
        outage.restore()
    [result] = results
    assert result.status == only_run(outage, source_id).status == vocab.RUN_OK
    health, _reason, failures, _last, _next = source_state(outage, source_id)
    assert (health, failures) == (vocab.HEALTH_OK, 0)
