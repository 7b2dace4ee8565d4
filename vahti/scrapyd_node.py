"""The Scrapy project a Scrapyd node runs (`vahti nodes deploy` uploads it as an egg whose
``scrapy`` entry point names this module as its settings module).

It offers one spider, ``vahti`` (`NodeJob`). The daemon schedules it with the ids of a source
and of the CrawlRun it has already created, the time limit and the crawl section (the same
policy and guards as its local crawls: scrapers.remote). The node's own environment gives the
rest, read by the settings loader exactly as the shell reads it (``VAHTI_DATABASE__URL`` and
the others, or ``VAHTI_SETTINGS``): above all the database, which never travels in a job.

`NodeJob.from_crawler` then prepares the crawl exactly as a local crawl process does
(scrapers.crawl_child.prepare_crawl: the source, its conditional-GET page memory, the store
pipeline that upserts listings and closes the run) and hands Scrapy the source's own spider.
Nothing goes to Scrapyd's items files (FEEDS is emptied). A problem of the node itself (its
settings, its database) is logged with scrapers.nodes.NODE_TROUBLE, so the daemon closes the
run as cancelled instead of blaming the source.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from config import CrawlSettings
from config.loader import SettingsError, load_settings
from scrapers.crawl_child import prepare_crawl
from scrapers.nodes import NODE_SPIDER, NODE_TROUBLE
from scrapers.scrapy_settings import scrapy_settings
from store.db import make_engine, session_factory
from store.outage import database_unavailable, describe

log = logging.getLogger("vahti.node")

# Process-wide settings (the reactor, the guarded resolver, log level): the defaults; each job
# brings its crawl section, and the resolver's guard settings as `-s` options.
globals().update(scrapy_settings(CrawlSettings()))
SPIDER_MODULES = [__name__]
FEEDS: dict[str, Any] = {}


class NodeJob(scrapy.Spider):
    """Stands for the source's spider until Scrapy creates it (`from_crawler`)."""

    name = NODE_SPIDER

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        try:
            source_id = int(kwargs["source_id"])
            run_id = int(kwargs["run_id"])
            time_limit = int(kwargs["time_limit"]) if kwargs.get("time_limit") else None
            crawl = CrawlSettings.model_validate_json(kwargs.get("crawl") or "{}")
        except (KeyError, ValueError) as exc:
            log.error("%s the job's arguments are not a crawl's: %s", NODE_TROUBLE, exc)
            raise
        try:
            database = load_settings().database
        except SettingsError as exc:
            log.error("%s the node's settings: %s", NODE_TROUBLE, exc)
            raise
        engine = make_engine(database.url, busy_timeout_ms=database.busy_timeout_ms)
        try:
            prepared = prepare_crawl(
                crawl,
                database,
                session_factory(engine),
                source_id,
                run_id,
                datetime.now(UTC),
                time_limit,
            )
        except Exception as exc:  # nothing of the source was read yet: the node's trouble
            what = describe(exc) if database_unavailable(exc) else f"{type(exc).__name__}: {exc}"
            log.error("%s the database: %s", NODE_TROUBLE, " ".join(what.split())[:500])
            raise
        finally:
            engine.dispose()
        if prepared is None:  # its run is closed (failed) already
            raise CloseSpider("no spider for this source")
        crawler.settings.setdict({**prepared.settings, "FEEDS": {}}, priority="cmdline")
        return prepared.spider.from_crawler(crawler, **prepared.spider_kwargs)
