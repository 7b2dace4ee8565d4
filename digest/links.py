"""Every link a digest carries, in one place, in the shapes the web app serves.

* preferences    GET  {base}/s/{token}                      token purpose "preferences"
* unsubscribe    GET  {base}/u/{token} (confirm page); POST the same URL is the RFC 8058
                 one-click unsubscribe (no cookies: the URL alone names the subscriber)
                                                            token purpose "unsubscribe"
* personal feeds {base}/feeds/{token}/events.{ics,atom,rss,json}   token purpose "feed"
* add to calendar {base}/events/{event_id}.ics
* the event       {base}/events/{event_id}       (our own page: the link when no organiser page)

And the rule for an event's links to other sites (:func:`event_links`, used by digests, web
pages, feeds and .ics alike): a link a person can click leads to a page, never to a document
for programs. A listing's own link (``Listing.url``: info_url, an item's link) is its page,
unless it lies under a Linked Events source's API; the document a listing was read from
(``Listing.page_url``) is its page only when the source reads web pages (jsonld, css), never
for an API or a feed (linkedevents, ics, rss), nor when its path names a data file (.json ...).
"Also listed at" names the sources (``Source.name``), linked to their listing's page when there
is one.

Tokens are signed with the web secret key and carry the subscriber's token version, so bumping
the version (web: "invalidate my links") kills every link sent before.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Listing, Source
from store.tokens import make_token

FEED_FORMATS = ("ics", "atom", "rss", "json")


@dataclass(frozen=True, slots=True)
class SubscriberLinks:
    preferences: str
    unsubscribe: str
    feeds: dict[str, str]


def subscriber_links(
    base_url: str, secret: bytes, subscriber_id: int, token_version: int
) -> SubscriberLinks:
    base = base_url.rstrip("/")

    def token(purpose: str) -> str:
        return make_token(secret, subscriber_id, purpose, token_version)

    feed = token("feed")
    return SubscriberLinks(
        preferences=f"{base}/s/{token('preferences')}",
        unsubscribe=f"{base}/u/{token('unsubscribe')}",
        feeds={fmt: f"{base}/feeds/{feed}/events.{fmt}" for fmt in FEED_FORMATS},
    )


def event_calendar_url(base_url: str, event_id: int) -> str:
    """The event as an .ics file, for the "add to calendar" link."""
    return f"{base_url.rstrip('/')}/events/{event_id}.ics"


def event_page_url(base_url: str, event_id: int) -> str:
    """Our own page of the event: the link when no organiser's page is known."""
    return f"{base_url.rstrip('/')}/events/{event_id}"


# Sources whose fetched documents are for programs (an API's JSON, a feed, a calendar file).
DATA_KINDS = frozenset({"linkedevents", "ics", "rss"})
DATA_SUFFIXES = (".json", ".jsonld", ".ics", ".ical", ".rss", ".atom", ".xml")


@dataclass(frozen=True, slots=True)
class ListingLink:
    """What one listing says about where the event is: read from the store by
    :func:`load_event_links`."""

    listing_id: int
    source_name: str
    kind: str  # the source's crawl kind
    crawl_url: str
    url: str | None
    page_url: str | None
    live: bool = True
    priority: int = 0


@dataclass(frozen=True, slots=True)
class EventLinks:
    # The organiser's page (the best-ranked listing's page); None: link our own event page.
    page: str | None
    # Every other source that lists the event: (Source.name, its page or None).
    listed_at: tuple[tuple[str, str | None], ...]

    @property
    def pages(self) -> tuple[str, ...]:
        """Every page that lists the event, the organiser's first."""
        found = [self.page] if self.page else []
        found += [url for _name, url in self.listed_at if url and url not in found]
        return tuple(found)


def _api_root(crawl_url: str) -> tuple[str, str]:
    """A Linked Events source's API: its origin and path up to /v1/ (else its folder)."""
    parts = urlsplit(crawl_url)
    path = parts.path
    index = path.find("/v1/")
    root = path[: index + 4] if index >= 0 else path[: path.rfind("/") + 1]
    return f"{parts.scheme}://{parts.netloc}".lower(), root


def is_api_document(url: str, *, kind: str, crawl_url: str) -> bool:
    """Whether `url` leads to a document for programs rather than a page for a person."""
    parts = urlsplit(url)
    if parts.path.lower().endswith(DATA_SUFFIXES):
        return True
    if kind != "linkedevents":
        return False
    origin, root = _api_root(crawl_url)
    return f"{parts.scheme}://{parts.netloc}".lower() == origin and parts.path.startswith(root)


def listing_page(link: ListingLink) -> str | None:
    """The page a person can open for this listing, or None."""
    if link.url and not is_api_document(link.url, kind=link.kind, crawl_url=link.crawl_url):
        return link.url
    if (
        link.page_url
        and link.kind not in DATA_KINDS
        and not is_api_document(link.page_url, kind=link.kind, crawl_url=link.crawl_url)
    ):
        return link.page_url
    return None


def event_links(links: Sequence[ListingLink]) -> EventLinks:
    """The event's page and the other sources listing it, best-ranked first (as dedupe ranks
    listings: live ones, then higher source priority, then older)."""
    live = [link for link in links if link.live] or list(links)
    ranked = sorted(live, key=lambda link: (-link.priority, link.listing_id))
    pages = [listing_page(link) for link in ranked]
    page = next((p for p in pages if p), None)
    listed: list[tuple[str, str | None]] = []
    taken = False
    for link, url in zip(ranked, pages, strict=True):
        if page is not None and url == page and not taken:
            taken = True  # the main link: not "also" listed
            continue
        entry = (link.source_name, url)
        if entry not in listed and not (url is None and (link.source_name, None) in listed):
            listed.append(entry)
    return EventLinks(page=page, listed_at=tuple(listed))


def load_event_links(session: Session, event_ids: Collection[int]) -> dict[int, EventLinks]:
    """Each event's links, from its listings and their sources (events without listings are
    left out: callers keep what the event row holds)."""
    found: dict[int, list[ListingLink]] = {}
    ordered = sorted(set(event_ids))
    for start in range(0, len(ordered), 500):
        rows = session.execute(
            select(
                Listing.event_id,
                Listing.id,
                Listing.url,
                Listing.page_url,
                Listing.gone_at,
                Source.name,
                Source.kind,
                Source.detected_kind,
                Source.url.label("source_url"),
                Source.feed_url,
                Source.priority,
            )
            .join(Source, Source.id == Listing.source_id)
            .where(Listing.event_id.in_(ordered[start : start + 500]))
        )
        for row in rows:
            kind = (row.detected_kind or "auto") if row.kind == "auto" else row.kind
            found.setdefault(row.event_id, []).append(
                ListingLink(
                    listing_id=row.id,
                    source_name=row.name,
                    kind=kind,
                    crawl_url=row.feed_url or row.source_url,
                    url=row.url,
                    page_url=row.page_url,
                    live=row.gone_at is None,
                    priority=row.priority or 0,
                )
            )
    return {event_id: event_links(links) for event_id, links in found.items()}
