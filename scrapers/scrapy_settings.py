"""Scrapy settings built from our settings: politeness, limits, the guard, our components.

Every process that fetches (a crawl, a dry run, the probe of `auto` sources) starts Scrapy
with these settings, so the private-network guard, robots.txt, the size and time limits and
the user agent apply to all of them.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import default_settings

from config import CrawlSettings

# After this many redirects in a row a request is given up (a redirect loop ends here).
MAX_REDIRECTS = 10
# Items of one response processed at once. Our pipeline is synchronous, so more only costs:
# Scrapy starts this many asyncio tasks for every callback's output.
CONCURRENT_ITEMS = 4
# Status codes worth retrying: server trouble, gateway time-outs, "slow down".
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# Every name a connection goes to is resolved by the guarded resolver, which refuses non-public
# answers (scrapers.resolver); Scrapy before 2.14 calls the setting DNS_RESOLVER.
RESOLVER_SETTING = (
    "TWISTED_DNS_RESOLVER" if hasattr(default_settings, "TWISTED_DNS_RESOLVER") else "DNS_RESOLVER"
)
RESOLVER = "scrapers.resolver.GuardedResolver"

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapers.politeness.BackoffRetryMiddleware": 550,
    # Last before the download: every request, robots.txt and redirects included.
    "scrapers.conditional.ConditionalRequests": 940,
    "scrapers.netguard.PrivateNetworkGuard": 950,
}


def scrapy_settings(crawl: CrawlSettings, *, time_limit: int | None = None) -> dict[str, Any]:
    return {
        "BOT_NAME": "tapahtumavahti",
        "USER_AGENT": crawl.user_agent.format(contact_url=crawl.contact_url),
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "ROBOTSTXT_USER_AGENT": "Tapahtumavahti",
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.1),
        "DOWNLOAD_DELAY": crawl.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "CONCURRENT_ITEMS": CONCURRENT_ITEMS,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": int(crawl.max_response_mb * 1024 * 1024),
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": crawl.retries > 0,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "REDIRECT_MAX_TIMES": MAX_REDIRECTS,
        "CLOSESPIDER_TIMEOUT": time_limit or crawl.time_limit_seconds,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy reads each callback's source with inspect and ast to warn about generators
        # that return a value; its cache misses for bound methods, so it re-parsed the spider
        # for many pages (~0.3 s of a 2,000-page crawl). Our spiders are tested instead.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # Scrapy 2.19 opens a remote-control server per crawl and leaves token files behind.
        "REMOTE_CONTROL_ENABLED": False,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "LOG_LEVEL": "WARNING",
        "LOG_ENABLED": True,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "HTTPERROR_ALLOW_ALL": True,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DOWNLOADER_MIDDLEWARES": dict(DOWNLOADER_MIDDLEWARES),
        RESOLVER_SETTING: RESOLVER,
        "VAHTI_ALLOW_PRIVATE_NETWORKS": crawl.allow_private_networks,
        "VAHTI_TRUSTED_HOSTS": list(crawl.trusted_hosts),
        "VAHTI_RETRY_BACKOFF_SECONDS": crawl.retry_backoff_seconds,
        "VAHTI_CONDITIONAL_REQUESTS": crawl.conditional_requests,
        "VAHTI_FULL_FETCH_DAYS": crawl.full_fetch_days,
    }
