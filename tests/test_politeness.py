"""Politeness: pauses before retries, and the Scrapy settings every fetching process gets."""

from __future__ import annotations

from datetime import UTC, datetime

from config import CrawlSettings
from scrapers.politeness import MAX_PAUSE_SECONDS, retry_pause
from scrapers.scrapy_settings import scrapy_settings


def test_the_pause_doubles_with_each_retry() -> None:
    assert [retry_pause(n, 2.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]


def test_the_pause_never_exceeds_a_minute() -> None:
    assert retry_pause(12, 2.0) == MAX_PAUSE_SECONDS


def test_retry_after_in_seconds_is_honoured_when_longer() -> None:
    assert retry_pause(1, 2.0, "30") == 30.0
    assert retry_pause(3, 2.0, "1") == 8.0


def test_retry_after_as_a_date_counts_from_now() -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert retry_pause(1, 1.0, "Sat, 28 Nov 2026 10:00:45 GMT", now=now) == 45.0


def test_retry_after_beyond_the_cap_is_cut_and_nonsense_ignored() -> None:
    assert retry_pause(1, 2.0, "86400") == MAX_PAUSE_SECONDS
    assert retry_pause(1, 2.0, "soon") == 2.0


def test_no_backoff_means_no_pause() -> None:
    assert retry_pause(3, 0.0) == 0.0


def test_every_crawl_process_gets_politeness_and_the_guard() -> None:
    crawl = CrawlSettings(contact_url="https://vahti.example.fi/bot", max_response_mb=10.0)
    result = scrapy_settings(crawl)
    assert result["USER_AGENT"] == "Tapahtumavahti/0.1 (+https://vahti.example.fi/bot)"
    assert result["ROBOTSTXT_OBEY"] is True
    assert result["AUTOTHROTTLE_ENABLED"] is True
    assert result["DOWNLOAD_MAXSIZE"] == 10 * 1024 * 1024
    assert result["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert result["DOWNLOAD_DELAY"] == 1.0
    assert result["RETRY_TIMES"] == 2 and 429 in result["RETRY_HTTP_CODES"]
    assert result["REMOTE_CONTROL_ENABLED"] is False
    assert result["VAHTI_ALLOW_PRIVATE_NETWORKS"] is False
    middlewares = result["DOWNLOADER_MIDDLEWARES"]
    assert "scrapers.netguard.PrivateNetworkGuard" in middlewares
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
