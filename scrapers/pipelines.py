"""Item pipelines: store records as listings, or print them (dry run).

A record the database cannot store is left out (store.listings.store_listings) and counted
as an error and a skipped record of the run, with why; the rest of the page is stored.

The database going away during a crawl costs nothing while it comes back before the crawl
ends: the records that could not be stored are kept and stored at the next try. If it is still
unavailable when the crawl closes, nothing more is written; the stats say so
(DATABASE_UNAVAILABLE) and the crawl process ends with DATABASE_UNAVAILABLE_EXIT, so that its
run is closed as cancelled, not failed (scrapers.runner): the site was not at fault.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from scrapers.bookkeeping import CrawlOutcome, finish_run
from scrapers.conditional import PageMemory
from scrapers.spiders.source_spider import MAX_ERRORS_KEPT, CarriedItem, PageItem, RecordItem
from store.db import make_engine, session_factory, session_scope
from store.listings import UpsertCounts, store_listings
from store.outage import database_unavailable, describe
from store.record import EventRecord

log = logging.getLogger(__name__)
FLUSH_EVERY = 200
# In the crawler's stats when the run could not be closed: the database's words.
DATABASE_UNAVAILABLE = "vahti/database_unavailable"
# The start of the error logged then (a Scrapyd job's log says so with it: scrapers.remote).
DATABASE_UNAVAILABLE_LOG = "cannot store the crawl: the database is unavailable"
STATUS_PREFIX = "vahti/status/"
FETCH_PREFIX = "vahti/fetch/"


def crawl_outcome(stats: dict[str, Any], reason: str) -> CrawlOutcome:
    """What the spider left in the crawler's stats, as a CrawlOutcome (pure)."""
    statuses: dict[str, int] = {}
    for key, value in stats.items():
        for prefix in (STATUS_PREFIX, FETCH_PREFIX):
            if key.startswith(prefix):
                statuses[key.removeprefix(prefix)] = value
    if stats.get("retry/count"):
        statuses["retried"] = stats["retry/count"]
    return CrawlOutcome(
        pages=stats.get("vahti/pages", 0),
        http_statuses=statuses,
        errors=stats.get("vahti/errors", 0),
        skipped=stats.get("vahti/skipped", 0),
        error_messages=list(stats.get("vahti/error_messages", [])),
        start_failed=stats.get("vahti/start_failed"),
        incomplete=bool(stats.get("vahti/incomplete")) or reason != "finished",
        finish_reason=reason,
        detected_kind=stats.get("vahti/detected_kind"),
        detected_reason=stats.get("vahti/detected_reason"),
        not_modified=stats.get("vahti/not_modified", 0),
    )


class StorePipeline:
    """Upsert records into listings as they arrive; close the CrawlRun when the crawl ends."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.source_id: int = settings.getint("VAHTI_SOURCE_ID")
        self.run_id: int = settings.getint("VAHTI_RUN_ID")
        self.now = datetime.fromisoformat(settings.get("VAHTI_NOW"))
        engine = make_engine(
            settings.get("VAHTI_DATABASE_URL"),
            busy_timeout_ms=settings.getint("VAHTI_BUSY_TIMEOUT_MS", 10_000),
        )
        self.engine = engine
        self.sessions = session_factory(engine)
        self.buffer: list[EventRecord] = []
        self.seen: set[str] = set()
        self.pages: list[PageMemory] = []
        self.carried: list[PageMemory] = []
        self.counts = UpsertCounts()
        self.flush_at = FLUSH_EVERY  # further after a flush the database refused
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if isinstance(item, RecordItem):
            self._take([item["record"]])
        elif isinstance(item, PageItem):
            self._take(item.get("records", []))
            self.pages.append(item["page"])
        elif isinstance(item, CarriedItem):
            self.carried.append(item["page"])
            self.crawler.stats.inc_value("vahti/records", len(item["page"].record_keys))
        return item

    def _take(self, records: list[EventRecord]) -> None:
        for record in records:
            self.buffer.append(record)
            self.seen.add(record.key())
        if records:
            self.crawler.stats.inc_value("vahti/records", len(records))
        if len(self.buffer) >= self.flush_at:
            self._flush_while_crawling()

    def _flush(self) -> None:
        if not self.buffer:
            return
        counts = store_listings(self.sessions, self.source_id, self.buffer, self.now)
        self.buffer = []
        self.counts.add(counts)  # only once committed: an unavailable database raises above
        for message in counts.refused:  # an error of the run, like an unreadable event
            log.warning("%s", message)
            stats = self.crawler.stats
            stats.inc_value("vahti/errors")
            stats.inc_value("vahti/skipped")
            kept: list[str] = stats.get_value("vahti/error_messages", [])
            if len(kept) < MAX_ERRORS_KEPT:
                stats.set_value("vahti/error_messages", [*kept, message])

    def _flush_while_crawling(self) -> None:
        """Store the records so far; while the database is unavailable, keep them for the
        next try (another FLUSH_EVERY records on, or the close)."""
        try:
            self._flush()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            self.flush_at = len(self.buffer) + FLUSH_EVERY
            log.warning(
                "the database is unavailable (%s): %d records kept to store later",
                describe(exc),
                len(self.buffer),
            )
        else:
            self.flush_at = FLUSH_EVERY

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            self._flush()
            outcome = crawl_outcome(self.crawler.stats.get_stats(), reason)
            with session_scope(self.sessions) as session:
                finish_run(
                    session,
                    run_id=self.run_id,
                    outcome=outcome,
                    counts=self.counts,
                    seen=self.seen,
                    now=self.now,
                    finished_at=datetime.now(UTC),
                    pages=self.pages,
                    carried=self.carried,
                )
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            self.crawler.stats.set_value(DATABASE_UNAVAILABLE, describe(exc))
            log.error("%s (%s)", DATABASE_UNAVAILABLE_LOG, describe(exc))
        finally:
            self.engine.dispose()


class PrintPipeline:
    """Collect records and print them as one JSON object on stdout when the crawl ends."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.records: list[dict[str, Any]] = []
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrintPipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if isinstance(item, RecordItem):
            self.records.append(item["record"].to_json())
        elif isinstance(item, PageItem):
            self.records.extend(record.to_json() for record in item.get("records", []))
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        outcome = crawl_outcome(self.crawler.stats.get_stats(), reason)
        self.records.sort(key=lambda r: (r["start_at"], r["title"]))
        json.dump(
            {"records": self.records, "outcome": outcome.to_json()},
            sys.stdout,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")
        sys.stdout.flush()
