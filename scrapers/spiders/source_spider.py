"""The generic spider: fetch a source's page, run its extractor, follow detail and next pages.

Counts and errors go to the crawler's stats (keys under ``vahti/``), where the pipeline reads
them when the crawl ends; the spider keeps no results of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from scrapers.detect import detect
from scrapers.extractors import ExtractContext, ExtractError, extract
from scrapers.spec import SourceSpec

MAX_ERRORS_KEPT = 20


class RecordItem(dict[str, Any]):
    """An item carrying one EventRecord under the key "record"."""


class SourceSpider(scrapy.Spider):
    name = "source"

    def __init__(
        self,
        spec: SourceSpec,
        max_detail_pages: int = 200,
        max_pages: int = 50,
        horizon_days: int = 365,
        now: datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.max_detail_pages = max_detail_pages
        self.max_pages = max_pages
        self.horizon_days = horizon_days
        self.now = now or datetime.now(UTC)
        self._followed: set[str] = set()
        self.kind = spec.kind

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(
            self.spec.url,
            callback=self.parse,
            errback=self.on_error,
            cb_kwargs={"role": "start"},
            dont_filter=True,
        )

    def _stat(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"vahti/{key}", count)

    def _context(self, url: str, response: Response) -> ExtractContext:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        return ExtractContext(
            url=url,
            now=self.now,
            timezone=self.spec.timezone,
            languages=self.spec.languages,
            config=self.spec.config,
            source_language=self.spec.language,
            source_categories=self.spec.categories,
            content_type=content_type,
            include_past=self.spec.include_past,
            horizon_days=self.horizon_days,
        )

    def parse(
        self, response: Response, role: str = "start", kind: str | None = None
    ) -> Iterator[Any]:
        self._stat("pages")
        self._stat(f"status/{response.status}")
        if response.status >= 400:
            self._fail(role, f"{response.url}: HTTP {response.status}")
            return
        if self.kind == "auto":
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
            found = detect(response.body, response.url, content_type)
            if found.kind is None:
                self._fail(
                    role,
                    f"{response.url}: cannot tell what kind of source this is ({found.reason})",
                )
                return
            self.kind = found.kind
            self.crawler.stats.set_value("vahti/detected_kind", found.kind)
            self.crawler.stats.set_value("vahti/detected_reason", found.reason)
            if found.url != response.url:  # e.g. the calendar the page links
                yield scrapy.Request(
                    found.url, callback=self.parse, errback=self.on_error, cb_kwargs={"role": role}
                )
                return
        try:
            result = extract(
                kind or self.kind, response.body, self._context(response.url, response)
            )
        except ExtractError as exc:
            self._fail(role, f"{response.url}: {exc}")
            return
        for message in result.errors:
            self._note_error(message)
        self._stat("skipped", result.skipped)
        for record in result.records:
            yield RecordItem(record=record)
        yield from self._follow(
            response, result.follow, "detail", self.max_detail_pages, result.follow_kind
        )
        yield from self._follow(response, result.next_pages, "page", self.max_pages, kind)

    def _follow(
        self,
        response: Response,
        urls: list[str],
        role: str,
        limit: int,
        kind: str | None = None,
    ) -> Iterator[scrapy.Request]:
        for url in urls:
            absolute = response.urljoin(url)
            if absolute in self._followed:
                continue
            if self.crawler.stats.get_value(f"vahti/followed/{role}", 0) >= limit:
                self._stat(f"limited/{role}")
                break
            self._followed.add(absolute)
            self._stat(f"followed/{role}")
            yield scrapy.Request(
                absolute,
                callback=self.parse,
                errback=self.on_error,
                cb_kwargs={"role": role, "kind": kind},
            )

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else self.spec.url
        role = request.cb_kwargs.get("role", "start") if request is not None else "start"
        self._stat("fetch_errors")
        self._fail(role, f"{url}: {failure.getErrorMessage() or repr(failure.value)}")

    def _note_error(self, message: str) -> None:
        self._stat("errors")
        kept: list[str] = self.crawler.stats.get_value("vahti/error_messages", [])
        if len(kept) < MAX_ERRORS_KEPT:
            self.crawler.stats.set_value("vahti/error_messages", [*kept, message])

    def _fail(self, role: str, message: str) -> None:
        """A page could not be read: the crawl is incomplete (nothing may be marked gone)."""
        self._note_error(message)
        self.crawler.stats.set_value("vahti/incomplete", True)
        if role == "start":
            self.crawler.stats.set_value("vahti/start_failed", message)
