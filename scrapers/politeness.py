"""Retries that back off: a pause before each retry that doubles, and Retry-After honoured.

Scrapy's RetryMiddleware re-sends a failed request at once; a struggling organiser site is
better served by waiting. The pause is awaited inside the middleware, so other requests of
the crawl go on meanwhile.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response

MAX_PAUSE_SECONDS = 60.0


def retry_pause(
    attempt: int,
    base_seconds: float,
    retry_after: str | None = None,
    now: datetime | None = None,
    cap: float = MAX_PAUSE_SECONDS,
) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, ...) (pure).

    ``base * 2**(attempt-1)``, or the server's Retry-After (seconds or an HTTP date) when it
    asks for longer; never more than `cap`.
    """
    pause = base_seconds * 2 ** max(attempt - 1, 0)
    asked = _retry_after_seconds(retry_after, now) if retry_after else None
    if asked is not None:
        pause = max(pause, asked)
    return max(0.0, min(pause, cap))


def _retry_after_seconds(value: str, now: datetime | None) -> float | None:
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware with a growing pause before each retry (crawl.retry_backoff_seconds)."""

    base_seconds: float = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.base_seconds = crawler.settings.getfloat("VAHTI_RETRY_BACKOFF_SECONDS", 0.0)
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            header = response.headers.get("Retry-After")
            await self._pause(result, header.decode("latin-1") if header else None)
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._pause(result, None)
        return result

    async def _pause(self, retry: Request, retry_after: str | None) -> None:
        seconds = retry_pause(retry.meta.get("retry_times", 1), self.base_seconds, retry_after)
        if seconds > 0:
            await asyncio.sleep(seconds)
