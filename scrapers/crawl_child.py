"""One crawl in its own process: `python -m scrapers.crawl_child`.

Scrapy's reactor cannot be restarted inside one process, and a bad site must not take the
caller down, so every crawl runs here. Two modes:

* ``--source-id N``: crawl a stored source, store its listings, close its CrawlRun (the run id
  comes with ``--run-id`` or is created here). While it runs, it prints progress lines
  ``{"progress": {"pages": N, "records": M, "seconds": S}}`` on stdout; at the end, the run as
  ``{"run": {...}}``. If the database is unavailable when the crawl must be stored (or read),
  it exits with ``DATABASE_UNAVAILABLE_EXIT`` and says why on stderr's last line; the parent
  closes the run as cancelled (scrapers.runner).
* ``--url URL --kind KIND --dry-run``: fetch, extract and print the records as JSON; stores
  nothing and keeps past events.

The settings come from the parent as JSON on stdin (``scrapers.handoff``: the crawl section,
and the database for a stored crawl); the child reads no settings file and no VAHTI_* variable.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from sqlalchemy.orm import Session, sessionmaker

from config import CrawlSettings, DatabaseSettings
from scrapers.bookkeeping import DATABASE_UNAVAILABLE_EXIT, close_broken_run
from scrapers.conditional import PageMemory, load_memory
from scrapers.handoff import HandoffError, read_settings
from scrapers.pipelines import DATABASE_UNAVAILABLE
from scrapers.scrapy_settings import scrapy_settings
from scrapers.spec import SourceSpec
from scrapers.spiders import SourceSpider, UnknownSpider, spider_class
from store.db import make_engine, session_factory, session_scope
from store.models import CrawlRun, Source
from store.outage import database_unavailable, describe

PROGRESS_EVERY_SECONDS = 0.25


class DatabaseUnavailable(Exception):
    """The crawl could not be stored: the database was unavailable (the message says how)."""


class ProgressReporter:
    """Scrapy extension: a progress line on stdout at most every quarter second, and one when
    the spider closes; "seconds" counts from the spider's opening (the crawl without the
    process start-up)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.opened = time.monotonic()
        self.last = 0.0
        crawler.signals.connect(self.opened_now, signal=signals.spider_opened)
        crawler.signals.connect(self.tick, signal=signals.response_received)
        crawler.signals.connect(self.tick, signal=signals.item_scraped)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressReporter:
        return cls(crawler)

    def opened_now(self) -> None:
        self.opened = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_SECONDS:
            self.last = now
            self._write(now)

    def closed(self) -> None:
        self._write(time.monotonic())

    def _write(self, now: float) -> None:
        progress = {
            "pages": self.stats.get_value("vahti/pages", 0),
            "records": self.stats.get_value("vahti/records", 0),
            "seconds": round(now - self.opened, 3),
        }
        sys.stdout.write(json.dumps({"progress": progress}) + "\n")
        sys.stdout.flush()


def _run_spider(
    crawl: CrawlSettings,
    spec: SourceSpec,
    extra: dict[str, Any],
    now: datetime,
    time_limit: int | None,
    page_memory: dict[str, PageMemory] | None = None,
) -> dict[str, Any]:
    """Run the crawl to its end; the crawler's stats."""
    process = CrawlerProcess({**scrapy_settings(crawl, time_limit=time_limit), **extra})
    crawler = process.create_crawler(spider_class(spec.kind))
    process.crawl(
        crawler,
        spec=spec,
        max_detail_pages=crawl.max_detail_pages,
        max_pages=crawl.max_pages,
        horizon_days=crawl.horizon_days,
        now=now,
        page_memory=page_memory or {},
    )
    process.start()
    assert crawler.stats is not None
    return dict(crawler.stats.get_stats())


@dataclass
class PreparedCrawl:
    """A stored crawl ready to start: the spider, its arguments and the Scrapy settings of the
    crawl (ours, the store pipeline and the run it closes). `vahti.scrapyd_node` starts the
    same on a Scrapyd node."""

    spider: type[SourceSpider]
    spider_kwargs: dict[str, Any]
    settings: dict[str, Any]


def prepare_crawl(
    crawl: CrawlSettings,
    database: DatabaseSettings,
    sessions: sessionmaker[Session],
    source_id: int,
    run_id: int,
    now: datetime,
    time_limit: int | None,
) -> PreparedCrawl | None:
    """Read the source and its page memory; None when the run was closed here instead (a
    ``spider:NAME`` kind no spider has)."""
    with session_scope(sessions) as session:
        source = session.get(Source, source_id)
        if source is None:
            raise SystemExit(f"no source with id {source_id}")
        spec = SourceSpec.from_source(source, tuple(crawl.languages))
        memory = load_memory(session, source_id)
    try:
        spider = spider_class(spec.kind)
    except UnknownSpider as exc:
        with session_scope(sessions) as session:
            close_broken_run(session, run_id, "failed", f"kind {spec.kind}: {exc}", now)
        return None
    settings = {
        **scrapy_settings(crawl, time_limit=time_limit),
        "ITEM_PIPELINES": {"scrapers.pipelines.StorePipeline": 500},
        "VAHTI_SOURCE_ID": source_id,
        "VAHTI_RUN_ID": run_id,
        "VAHTI_NOW": now.isoformat(),
        "VAHTI_DATABASE_URL": database.url,
        "VAHTI_BUSY_TIMEOUT_MS": database.busy_timeout_ms,
    }
    kwargs = {
        "spec": spec,
        "max_detail_pages": crawl.max_detail_pages,
        "max_pages": crawl.max_pages,
        "horizon_days": crawl.horizon_days,
        "now": now,
        "page_memory": memory,
    }
    return PreparedCrawl(spider=spider, spider_kwargs=kwargs, settings=settings)


def crawl_source(
    crawl: CrawlSettings,
    database: DatabaseSettings,
    source_id: int,
    run_id: int | None,
    time_limit: int | None,
) -> dict[str, Any]:
    engine = make_engine(database.url, busy_timeout_ms=database.busy_timeout_ms)
    if run_id is None:
        # Started by hand: bring the schema up first. A caller that made the run did that.
        from store.migrate import ensure_schema

        ensure_schema(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    if run_id is None:
        with session_scope(sessions) as session:
            if session.get(Source, source_id) is None:
                raise SystemExit(f"no source with id {source_id}")
            run = CrawlRun(source_id=source_id, started_at=now)
            session.add(run)
            session.flush()
            run_id = run.id
    prepared = prepare_crawl(crawl, database, sessions, source_id, run_id, now, time_limit)
    if prepared is not None:
        process = CrawlerProcess(
            {**prepared.settings, "EXTENSIONS": {"scrapers.crawl_child.ProgressReporter": 500}}
        )
        crawler = process.create_crawler(prepared.spider)
        process.crawl(crawler, **prepared.spider_kwargs)
        process.start()
        assert crawler.stats is not None
        stats = crawler.stats.get_stats()
        if stats.get(DATABASE_UNAVAILABLE):
            engine.dispose()
            raise DatabaseUnavailable(str(stats[DATABASE_UNAVAILABLE]))
    with session_scope(sessions) as session:
        run_row = session.get_one(CrawlRun, run_id)
        summary = {
            "run_id": run_row.id,
            "source_id": source_id,
            "status": run_row.status,
            "records": run_row.records,
            "new": run_row.new,
            "updated": run_row.updated,
            "gone": run_row.gone,
            "errors": run_row.errors,
            "first_error": run_row.first_error,
        }
    engine.dispose()
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scrapers.crawl_child", epilog="The settings come as JSON on stdin."
    )
    parser.add_argument("--source-id", type=int)
    parser.add_argument("--run-id", type=int)
    parser.add_argument("--url")
    parser.add_argument("--kind", default="jsonld")
    parser.add_argument("--config", default="{}", help="source config as JSON")
    parser.add_argument("--timezone")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--time-limit", type=int)
    args = parser.parse_args(argv)
    try:
        settings = read_settings(sys.stdin)
    except HandoffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    crawl = settings.crawl
    if args.dry_run:
        if not args.url:
            parser.error("--dry-run needs --url")
        spec = SourceSpec(
            url=args.url,
            kind=args.kind,
            config=json.loads(args.config),
            timezone=args.timezone or crawl.default_timezone,
            languages=tuple(crawl.languages),
            include_past=True,
        )
        try:
            spider_class(spec.kind)
        except UnknownSpider as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        _run_spider(
            crawl,
            spec,
            {"ITEM_PIPELINES": {"scrapers.pipelines.PrintPipeline": 500}},
            datetime.now(UTC),
            args.time_limit,
        )
        return 0
    if args.source_id is None:
        parser.error("give --source-id, or --url with --dry-run")
    if settings.database is None:
        print("error: settings on stdin: a stored crawl needs [database]", file=sys.stderr)
        return 2
    try:
        summary = crawl_source(
            crawl, settings.database, args.source_id, args.run_id, args.time_limit
        )
    except Exception as exc:
        if not isinstance(exc, DatabaseUnavailable) and not database_unavailable(exc):
            raise
        detail = str(exc) if isinstance(exc, DatabaseUnavailable) else describe(exc)
        print(f"error: the database was unavailable during the crawl: {detail}", file=sys.stderr)
        return DATABASE_UNAVAILABLE_EXIT
    print(json.dumps({"run": summary}))
    return 0 if summary["status"] not in ("failed", "timeout") else 1


if __name__ == "__main__":
    sys.exit(main())
