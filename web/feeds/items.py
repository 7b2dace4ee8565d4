"""Plain values a feed is built from, made from Event rows in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from digest.links import EventLinks
from digest.sanitise import site_name
from store.models import Event
from web import formatting
from web.i18n import CATEGORY_LABELS
from web.rendering import sanitise_html

# Characters XML 1.0 cannot carry at all (a scraped title with one would break the feed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def xml_safe(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


@dataclass(frozen=True)
class FeedInfo:
    """The feed as a whole."""

    title: str
    subtitle: str
    home_url: str
    feed_url: str
    language: str
    base_url: str
    host: str


@dataclass(frozen=True)
class FeedItem:
    id: int
    title: str
    # The title with the event's day in the feed's language ("Kielikahvila · to 10.12."), for
    # Atom and RSS readers that list entries by title alone.
    dated_title: str
    page_url: str
    ics_url: str
    # The organiser's page (never an API document: see digest.links); None when unknown.
    source_url: str | None
    # Every page listing the event, the organiser's first.
    urls: tuple[str, ...]
    # Other sources listing the event: (source name, its page or None).
    listed_at: tuple[tuple[str, str | None], ...]
    # "Event page at the organiser" and "Also listed at:" lines, as HTML and as text.
    links_html: str
    links_text: str
    summary: str
    description_html: str
    description_text: str
    start_at: datetime
    end_at: datetime | None
    all_day: bool
    timezone: str
    created_at: datetime
    updated_at: datetime
    # Raised on every change a reader could see (iCalendar SEQUENCE).
    sequence: int
    status: str
    categories: tuple[str, ...]
    category_labels: tuple[str, ...]
    venue: str | None
    address: str | None
    city: str | None
    online: bool
    online_url: str | None
    language: str
    deadline_at: datetime | None
    application_url: str | None
    organiser: str | None

    @property
    def location(self) -> str:
        parts = [p for p in (self.venue, self.address, self.city) if p]
        # An address usually ends with the city already.
        if self.city and self.address and self.city.casefold() in self.address.casefold():
            parts = [p for p in (self.venue, self.address) if p]
        if not parts and self.online:
            return self.online_url or ""
        return ", ".join(dict.fromkeys(parts))


def row_links(event: Event) -> EventLinks:
    """The links an event row holds, for an event without listings (made by hand or older)."""
    urls = [u for u in (formatting.http_url(x) for x in event.urls or ()) if u]
    page = formatting.http_url(event.url)
    return EventLinks(page, tuple((site_name(u), u) for u in urls if u != page))


def _links(
    links: EventLinks, gettext: Callable[[str], str]
) -> tuple[str, str, tuple[tuple[str, str | None], ...]]:
    listed = tuple(
        (xml_safe(name), formatting.http_url(url)) for name, url in links.listed_at if name
    )
    html: list[str] = []
    text: list[str] = []
    page = formatting.http_url(links.page)
    if page:
        label = gettext("Event page at the organiser")
        html.append(f'<p><a href="{escape(page)}">{escape(label)}</a></p>')
        text.append(f"{label}: {page}")
    if listed:
        label = gettext("Also listed at:")
        html.append(
            f"<p>{escape(label)} "
            + ", ".join(
                f'<a href="{escape(url)}">{escape(name)}</a>' if url else escape(name)
                for name, url in listed
            )
            + "</p>"
        )
        text.append(
            f"{label} " + ", ".join(f"{name} ({url})" if url else name for name, url in listed)
        )
    return "".join(html), "\n".join(text), listed


def make_item(
    event: Event,
    *,
    language: str,
    base_url: str,
    viewer_zone: str,
    gettext: Callable[[str], str],
    links: EventLinks | None = None,
) -> FeedItem:
    """`links`: the event's links from its listings (digest.links.load_event_links)."""
    links = links or row_links(event)
    links_html, links_text, listed = _links(links, gettext)
    title = xml_safe((event.titles or {}).get(language) or event.title)
    description_text = xml_safe(
        (event.descriptions or {}).get(language) or event.description_text or ""
    )
    when = formatting.when(
        event.start_at, event.end_at, event.all_day, event.timezone, viewer_zone, language
    )
    online = formatting.is_online(event.attendance)
    where = event.city or (gettext("Online") if online else "")
    summary = " · ".join(part for part in (when, where) if part)
    day_zone = event.timezone if event.all_day else viewer_zone
    return FeedItem(
        id=event.id,
        title=title,
        dated_title=f"{title} · {formatting.short_day(event.start_at, day_zone, language)}",
        page_url=f"{base_url}/events/{event.id}",
        ics_url=f"{base_url}/events/{event.id}.ics",
        source_url=formatting.http_url(links.page),
        urls=tuple(u for u in (formatting.http_url(x) for x in links.pages) if u),
        listed_at=listed,
        links_html=xml_safe(links_html),
        links_text=xml_safe(links_text),
        summary=xml_safe(summary),
        description_html=xml_safe(str(sanitise_html(event.description_html or ""))),
        description_text=description_text,
        start_at=event.start_at,
        end_at=event.end_at,
        all_day=event.all_day,
        timezone=event.timezone,
        created_at=event.created_at or EPOCH,
        updated_at=event.updated_at or event.created_at or EPOCH,
        sequence=event.sequence or 0,
        status=event.status,
        categories=tuple(event.categories or ()),
        category_labels=tuple(gettext(CATEGORY_LABELS.get(c, c)) for c in (event.categories or ())),
        venue=xml_safe(event.venue) or None,
        address=xml_safe(event.address) or None,
        city=xml_safe(event.city) or None,
        online=online,
        online_url=formatting.http_url(event.online_url),
        language=event.language,
        deadline_at=event.deadline_at,
        application_url=formatting.http_url(event.application_url),
        organiser=xml_safe(event.organiser) or None,
    )


def last_updated(items: Sequence[FeedItem]) -> datetime:
    """The newest change among the items: a feed's own `updated` (stable, so ETags hold)."""
    return max((item.updated_at for item in items), default=EPOCH)
