"""The settings a test hands to its crawl and probe children (scrapers.handoff)."""

from __future__ import annotations

from typing import Any

from config import CrawlSettings, DatabaseSettings
from scrapers.handoff import ChildSettings

# Tests fetch from their own 127.0.0.1 servers, at once and without retrying.
TEST_CRAWL: dict[str, Any] = {
    "allow_private_networks": True,
    "download_delay": 0.0,
    "autothrottle": False,
    "retries": 0,
    "download_timeout": 20,
}


def child_settings(database_url: str | None, **crawl: Any) -> ChildSettings:
    """The test's database (None: a child that stores nothing) and TEST_CRAWL with `crawl`."""
    return ChildSettings(
        crawl=CrawlSettings(**{**TEST_CRAWL, **crawl}),
        database=DatabaseSettings(url=database_url) if database_url is not None else None,
    )
