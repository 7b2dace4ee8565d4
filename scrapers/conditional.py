"""Conditional requests and page memory (the ``http_validators`` table).

After a page is read in full, the crawl remembers its ETag and Last-Modified, the keys of the
listings it yielded and the links it led to. The next crawl sends ``If-None-Match`` /
``If-Modified-Since``; a ``304 Not Modified`` costs no parsing: the spider carries the page's
remembered listing keys (so they are not taken for gone) and follows its remembered links. The
same memory stands in for a detail page that fails for a moment.

Pages are read in full again after ``crawl.full_fetch_days`` whatever the server says, so
recurring events move into the window and extractor fixes reach old pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from store.models import HttpValidator
from text.sanitise import one_line

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

CONDITIONAL_HEADERS = ("If-None-Match", "If-Modified-Since")
# Where the links' kinds are kept inside the `links` column.
KINDS_KEY = "kinds"
MAX_ETAG = 500
MAX_LAST_MODIFIED = 100


@dataclass
class PageMemory:
    """What one successful read of a page left behind."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    record_keys: list[str] = field(default_factory=list)
    links: dict[str, list[str]] = field(default_factory=dict)
    # The kind each role's links are read with, when not the source's own.
    link_kinds: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime | None = None


def conditional_headers(
    memory: PageMemory | None, now: datetime, full_fetch_after: timedelta
) -> dict[str, str]:
    """The headers that make a request for a remembered page conditional (pure).

    None when the page was never read, carries no validators, or was last read in full longer
    ago than `full_fetch_after`.
    """
    if memory is None or memory.fetched_at is None:
        return {}
    if now - memory.fetched_at >= full_fetch_after:
        return {}
    headers: dict[str, str] = {}
    if memory.etag:
        headers["If-None-Match"] = memory.etag
    if memory.last_modified:
        headers["If-Modified-Since"] = memory.last_modified
    return headers


def validators_of(response: Response) -> tuple[str | None, str | None]:
    """ETag and Last-Modified of a response, when they fit the table."""
    etag = _header(response, "ETag")
    last_modified = _header(response, "Last-Modified")
    return (
        etag if etag and len(etag) <= MAX_ETAG else None,
        last_modified if last_modified and len(last_modified) <= MAX_LAST_MODIFIED else None,
    )


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return one_line(value.decode("latin-1")) or None if value else None


def _links_json(page: PageMemory) -> dict[str, Any]:
    links: dict[str, Any] = {role: list(urls) for role, urls in page.links.items()}
    if page.link_kinds:
        links[KINDS_KEY] = dict(page.link_kinds)
    return links


def load_memory(session: Session, source_id: int) -> dict[str, PageMemory]:
    rows = session.scalars(select(HttpValidator).where(HttpValidator.source_id == source_id))
    return {
        row.url: PageMemory(
            url=row.url,
            etag=row.etag,
            last_modified=row.last_modified,
            record_keys=list(row.record_keys or []),
            links={
                role: list(urls) for role, urls in (row.links or {}).items() if role != KINDS_KEY
            },
            link_kinds=dict((row.links or {}).get(KINDS_KEY) or {}),
            fetched_at=row.fetched_at,
        )
        for row in rows
    }


def save_memory(
    session: Session,
    source_id: int,
    pages: Iterable[PageMemory],
    *,
    keep_only: set[str] | None = None,
) -> None:
    """Store the pages read in full; with `keep_only`, forget every other page of the source.

    `keep_only` is given after a complete crawl: pages it no longer reached are not part of
    the source any more.
    """
    by_url = {page.url: page for page in pages if len(page.url) <= 2000}
    rows = session.execute(
        select(HttpValidator.url, HttpValidator.id).where(HttpValidator.source_id == source_id)
    )
    existing: dict[str, int] = {url: row_id for url, row_id in rows}
    now = datetime.now(UTC)
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for url, page in by_url.items():
        values = {
            "etag": page.etag,
            "last_modified": page.last_modified,
            "record_keys": list(page.record_keys),
            "links": _links_json(page),
            "fetched_at": page.fetched_at,
            "updated_at": now,
        }
        if url in existing:
            updates.append({"id": existing[url], **values})
        else:
            inserts.append({"source_id": source_id, "url": url, **values})
    # Bulk statements: a crawl of a few hundred pages remembers them all at once.
    if updates:
        session.execute(update(HttpValidator), updates)
    if inserts:
        session.execute(insert(HttpValidator), inserts)
    if keep_only is not None:
        kept = keep_only | set(by_url)
        stale = [row_id for url, row_id in existing.items() if url not in kept]
        for start in range(0, len(stale), 500):
            chunk = stale[start : start + 500]
            session.execute(delete(HttpValidator).where(HttpValidator.id.in_(chunk)))


class ConditionalRequests:
    """Downloader middleware: make requests for remembered pages conditional.

    The memory lives on the spider (`page_memory`, a mapping of URL to PageMemory, and `now`);
    spiders without one are left alone. Conditional headers copied onto a redirected request
    are removed: they describe another URL.
    """

    def __init__(self, full_fetch_after: timedelta) -> None:
        self.full_fetch_after = full_fetch_after
        self.crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequests:
        from scrapy.exceptions import NotConfigured

        if not crawler.settings.getbool("VAHTI_CONDITIONAL_REQUESTS", True):
            raise NotConfigured
        days = crawler.settings.getfloat("VAHTI_FULL_FETCH_DAYS", 7.0)
        middleware = cls(timedelta(days=days))
        middleware.crawler = crawler
        return middleware

    def process_request(self, request: Request) -> None:
        for name in CONDITIONAL_HEADERS:
            request.headers.pop(name, None)
        request.meta.pop("vahti_conditional", None)
        spider = self.crawler.spider if self.crawler else None
        memory: Mapping[str, PageMemory] = getattr(spider, "page_memory", None) or {}
        now: datetime | None = getattr(spider, "now", None)
        if not memory or now is None or request.meta.get("redirect_urls"):
            return
        headers = conditional_headers(memory.get(request.url), now, self.full_fetch_after)
        for name, value in headers.items():
            request.headers[name] = value
        if headers:
            request.meta["vahti_conditional"] = True
