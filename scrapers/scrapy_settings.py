"""Scrapy settings built from our settings (politeness, limits, our components)."""

from __future__ import annotations

from typing import Any

from vahti.settings import Settings


def scrapy_settings(settings: Settings, *, time_limit: int | None = None) -> dict[str, Any]:
    crawl = settings.crawl
    return {
        "BOT_NAME": "tapahtumavahti",
        "USER_AGENT": crawl.user_agent.format(contact_url=crawl.contact_url),
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.1),
        "DOWNLOAD_DELAY": crawl.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": int(crawl.max_response_mb * 1024 * 1024),
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": crawl.retries > 0,
        "RETRY_TIMES": crawl.retries,
        "CLOSESPIDER_TIMEOUT": time_limit or crawl.time_limit_seconds,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19 opens a remote-control server per crawl and leaves token files behind.
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOG_ENABLED": True,
        "HTTPERROR_ALLOW_ALL": True,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
