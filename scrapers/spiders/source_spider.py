"""The generic spider: fetch a source's page, run its extractor, follow detail and next pages.

One spider serves every generic kind (the kind picks the extractor); a site that none of them
can read gets a small subclass that overrides `extract_page` (see scrapers/spiders/sites/).

What the spider yields, for the pipeline:

* ``PageItem``: a page read in full: its records (EventRecords) and its page memory
  (validators, listing keys and links), one item per page (each item costs Scrapy's item
  machinery a pass, a tenth of a millisecond: docs/benchmarks.md, crawling);
* ``RecordItem``: one EventRecord alone (the pipelines take it; the spider yields its
  records inside their PageItem);
* ``CarriedItem``: a remembered page that answered 304 Not Modified, or a detail page that
  failed this time, standing in with the listing keys it yielded last time.

Counts and errors go to the crawler's stats (keys under ``vahti/``), where the pipeline reads
them when the crawl ends; the spider keeps no results of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from scrapers.conditional import PageMemory, validators_of

if TYPE_CHECKING:
    from scrapers.detect import Detection
from scrapers.extractors import ExtractContext, ExtractError, Extraction, extract
from scrapers.spec import SourceSpec

MAX_ERRORS_KEPT = 20
# How a failed fetch is counted in the run's HTTP statuses (exception class name -> key).
FETCH_FAILURES = {
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "DownloadCancelledError": "too-large",
    "DownloadConnectionRefusedError": "connection-refused",
    "ConnectionRefusedError": "connection-refused",
    "CannotResolveHostError": "dns",
    "DNSLookupError": "dns",
    "ResponseDataLossError": "data-loss",
    "IgnoreRequest": "refused",
}


class RecordItem(dict[str, Any]):
    """An item carrying one EventRecord under the key "record"."""


class PageItem(dict[str, Any]):
    """A page read in full: its PageMemory under the key "page", its EventRecords under
    "records"."""


class CarriedItem(dict[str, Any]):
    """A remembered page standing in for this crawl: "page" (PageMemory) and "reason"."""


def page_key(request: Request) -> str:
    """The URL a page is remembered by: the one asked for, before any redirect."""
    redirects: list[str] = request.meta.get("redirect_urls") or []
    return redirects[0] if redirects else request.url


class SourceSpider(scrapy.Spider):
    name = "source"

    def __init__(
        self,
        spec: SourceSpec,
        max_detail_pages: int = 200,
        max_pages: int = 50,
        horizon_days: int = 365,
        now: datetime | None = None,
        page_memory: Mapping[str, PageMemory] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.max_detail_pages = max_detail_pages
        self.max_pages = max_pages
        self.horizon_days = horizon_days
        self.now = now or datetime.now(UTC)
        # Read by scrapers.conditional.ConditionalRequests.
        self.page_memory: Mapping[str, PageMemory] = page_memory or {}
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

    # --- the hook for site-specific spiders ------------------------------------------------
    def extract_page(
        self, response: Response, context: ExtractContext, kind: str | None = None
    ) -> Extraction:
        """Records, links and errors of one page, read as `kind` (the kind the link that led
        here asked for, else the source's). Site spiders override this and may ignore `kind`;
        raise ExtractError when the page cannot be read at all."""
        return extract(kind or self.kind, response.body, context)

    # --- callbacks ---------------------------------------------------------------------------
    def parse(
        self, response: Response, role: str = "start", kind: str | None = None
    ) -> Iterator[Any]:
        self._stat("pages")
        self._stat(f"status/{response.status}")
        key = page_key(response.request) if response.request else response.url
        if response.status == 304:
            yield from self._not_modified(response, key, role)
            return
        if response.status >= 400:
            yield from self._page_failed(role, key, f"{response.url}: HTTP {response.status}")
            return
        if self.kind == "auto":
            found = self._detect(response, role)
            if found is None:
                return
            if found.url != response.url:  # e.g. the calendar the page links
                yield scrapy.Request(
                    found.url, callback=self.parse, errback=self.on_error, cb_kwargs={"role": role}
                )
                return
        try:
            result = self.extract_page(response, self._context(response.url, response), kind)
        except ExtractError as exc:
            yield from self._page_failed(role, key, f"{response.url}: {exc}")
            return
        except Exception as exc:  # an extractor bug must not pass for a page without events
            message = f"{response.url}: the {self.kind} extractor failed: {exc!r}"
            yield from self._page_failed(role, key, message)
            return
        for message in result.errors:
            self._note_error(message)
        self._stat("skipped", result.skipped)
        keys = [record.key() for record in result.records]
        links: dict[str, list[str]] = {}
        link_kinds = {"detail": result.follow_kind, "page": kind}
        for link_role, urls in (("detail", result.follow), ("page", result.next_pages)):
            absolute = [response.urljoin(url) for url in urls]
            links[link_role], requests = self._follow(absolute, link_role, link_kinds[link_role])
            yield from requests
        etag, last_modified = validators_of(response) if response.url == key else (None, None)
        yield PageItem(
            records=result.records,
            page=PageMemory(
                url=key,
                etag=etag,
                last_modified=last_modified,
                record_keys=keys,
                links={r: urls for r, urls in links.items() if urls},
                link_kinds={r: k for r, k in link_kinds.items() if k and links[r]},
                fetched_at=self.now,
            ),
        )

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request: Request | None = getattr(failure, "request", None)
        url = request.url if request is not None else self.spec.url
        role = request.cb_kwargs.get("role", "start") if request is not None else "start"
        name = type(failure.value).__name__
        self._stat(f"fetch/{FETCH_FAILURES.get(name, 'failed')}")
        if isinstance(failure.value, IgnoreRequest):
            detail = str(failure.value) or "refused"
        else:
            detail = failure.getErrorMessage() or name
        key = page_key(request) if request is not None else url
        yield from self._page_failed(role, key, f"{url}: {detail}")

    # --- helpers -----------------------------------------------------------------------------
    def _detect(self, response: Response, role: str) -> Detection | None:
        from scrapers.detect import detect

        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        found = detect(response.body, response.url, content_type)
        if found.kind is None:
            self._fail(
                role, f"{response.url}: cannot tell what kind of source this is ({found.reason})"
            )
            return None
        self.kind = found.kind
        self.crawler.stats.set_value("vahti/detected_kind", found.kind)
        self.crawler.stats.set_value("vahti/detected_reason", found.reason)
        return found

    def _not_modified(self, response: Response, key: str, role: str) -> Iterator[Any]:
        memory = self.page_memory.get(key)
        if memory is None or not response.meta.get("vahti_conditional"):
            yield from self._page_failed(
                role, key, f"{response.url}: 304 Not Modified to a request that was not conditional"
            )
            return
        self._stat("not_modified")
        yield from self._carry(memory, "not-modified")

    def _page_failed(self, role: str, key: str, message: str) -> Iterator[Any]:
        """A page could not be read. A remembered detail or next page stands in with what it
        yielded last time; otherwise the crawl is incomplete (nothing may be marked gone)."""
        if role == "start":
            self._fail(role, message)
            return
        self._note_error(message)
        memory = self.page_memory.get(key)
        if memory is None:
            self.crawler.stats.set_value("vahti/incomplete", True)
            return
        self._stat("carried_failed")
        yield from self._carry(memory, "failed")

    def _carry(self, memory: PageMemory, reason: str) -> Iterator[Any]:
        yield CarriedItem(page=memory, reason=reason)
        for link_role in ("detail", "page"):
            urls = memory.links.get(link_role, [])
            _links, requests = self._follow(urls, link_role, memory.link_kinds.get(link_role))
            yield from requests

    def _follow(
        self, urls: Iterable[str], role: str, kind: str | None = None
    ) -> tuple[list[str], list[Request]]:
        """The page's links of one role (within the crawl's limit) and requests for the ones
        not fetched yet, to be read as `kind` (None: the source's kind)."""
        limit = self.max_detail_pages if role == "detail" else self.max_pages
        links: list[str] = []
        requests: list[Request] = []
        for url in urls:
            absolute = url.split("#", 1)[0]
            if absolute in links:
                continue
            if absolute not in self._followed:
                if self.crawler.stats.get_value(f"vahti/followed/{role}", 0) >= limit:
                    self._limit_reached(role, limit)
                    break
                self._followed.add(absolute)
                self._stat(f"followed/{role}")
                requests.append(
                    scrapy.Request(
                        absolute,
                        callback=self.parse,
                        errback=self.on_error,
                        cb_kwargs={"role": role, "kind": kind},
                    )
                )
            links.append(absolute)
        return links, requests

    def _limit_reached(self, role: str, limit: int) -> None:
        """Pages left unread: their listings must not look gone."""
        if self.crawler.stats.get_value(f"vahti/limited/{role}"):
            return
        self.crawler.stats.set_value(f"vahti/limited/{role}", True)
        self.crawler.stats.set_value("vahti/incomplete", True)
        setting = "crawl.max_detail_pages" if role == "detail" else "crawl.max_pages"
        self._note(f"stopped following {role} pages after {limit} ({setting}); none marked gone")

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

    def _stat(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"vahti/{key}", count)

    def _note(self, message: str) -> None:
        kept: list[str] = self.crawler.stats.get_value("vahti/error_messages", [])
        if len(kept) < MAX_ERRORS_KEPT:
            self.crawler.stats.set_value("vahti/error_messages", [*kept, message])

    def _note_error(self, message: str) -> None:
        self._stat("errors")
        self._note(message)

    def _fail(self, role: str, message: str) -> None:
        """A page could not be read: the crawl is incomplete (nothing may be marked gone)."""
        self._note_error(message)
        self.crawler.stats.set_value("vahti/incomplete", True)
        if role == "start" and not self.crawler.stats.get_value("vahti/start_failed"):
            self.crawler.stats.set_value("vahti/start_failed", message)
