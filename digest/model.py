"""Plain data the pure digest logic works on (built from store rows at the edge).

`EventView` cleans scraped text as it is made (text.sanitise.clean_text with the digest's
length limits; links through digest.sanitise), so nothing that reaches selection or a
template carries markup or control characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from digest.links import EventLinks
from digest.sanitise import safe_url, site_name
from store import vocab
from store.models import Event, Subscriber
from text.sanitise import clean_text, truncate

# Delivery.status values (one Delivery row per subscriber and period).
PENDING = "pending"  # planned, waiting to be claimed (or to be retried at next_attempt_at)
SENDING = "sending"  # claimed by a worker; after a crash these are the uncertain ones
SENT = "sent"  # the server accepted the message
FAILED = "failed"  # refused for good, out of tries, or the digest could not be rendered
EMPTY = "empty"  # nothing matched and digest.send_empty is off: nothing sent, nothing due
SKIPPED = "skipped"  # the subscriber stopped being active before the digest went out

# DigestItem.section values.
UPCOMING = "upcoming"
DEADLINE = "deadline"
UPDATE = "update"
SECTIONS = (UPDATE, DEADLINE, UPCOMING)

TITLE_LIMIT = 200
TEXT_LIMIT = 4000


@dataclass(frozen=True, slots=True, eq=False)
class EventView:
    """One event as digests see it. Equal only to itself (hashable by identity), so views can
    key caches: the same event in one run is one object."""

    id: int
    title: str
    start_at: datetime
    timezone: str = "Europe/Helsinki"
    titles: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)
    description_text: str = ""
    end_at: datetime | None = None
    all_day: bool = False
    url: str | None = None
    urls: tuple[str, ...] = ()
    venue: str | None = None
    city: str | None = None
    attendance: str = vocab.ONSITE
    language: str = "other"
    languages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    status: str = vocab.SCHEDULED
    deadline_at: datetime | None = None
    application_url: str | None = None
    organiser: str | None = None
    # Other sources listing the event: (source name, its page or None); see digest.links.
    listed_at: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        fix = object.__setattr__
        fix(self, "title", clean_text(self.title, TITLE_LIMIT))
        fix(self, "titles", {k: clean_text(v, TITLE_LIMIT) for k, v in self.titles.items() if v})
        fix(
            self,
            "descriptions",
            {k: clean_text(v, TEXT_LIMIT) for k, v in self.descriptions.items() if v},
        )
        fix(self, "description_text", clean_text(self.description_text, TEXT_LIMIT))
        fix(self, "venue", clean_text(self.venue, 120) or None)
        fix(self, "city", clean_text(self.city, 60) or None)
        fix(self, "organiser", clean_text(self.organiser, 120) or None)
        fix(self, "url", safe_url(self.url))
        fix(self, "application_url", safe_url(self.application_url))
        fix(self, "urls", tuple(u for u in map(safe_url, self.urls) if u))
        listed = self.listed_at or tuple((site_name(u), u) for u in self.urls if u != self.url)
        fix(self, "listed_at", tuple((clean_text(n, 120), safe_url(u)) for n, u in listed))

    @classmethod
    def from_row(cls, event: Event, links: EventLinks | None = None) -> EventView:
        """The event as digests see it; `links` (digest.links) replace the row's raw URLs."""
        url, urls = event.url, tuple(event.urls or ())
        listed: tuple[tuple[str, str | None], ...] = ()  # from urls (see __post_init__)
        if links is not None:
            url, urls, listed = links.page, links.pages, links.listed_at
        return cls(
            id=event.id,
            title=event.title,
            start_at=event.start_at,
            timezone=event.timezone,
            titles=dict(event.titles or {}),
            descriptions=dict(event.descriptions or {}),
            description_text=event.description_text,
            end_at=event.end_at,
            all_day=event.all_day,
            url=url,
            urls=urls,
            venue=event.venue,
            city=event.city,
            attendance=event.attendance,
            language=event.language,
            languages=tuple(event.languages or ()),
            categories=tuple(event.categories or ()),
            audiences=tuple(event.audiences or ()),
            status=event.status,
            deadline_at=event.deadline_at,
            application_url=event.application_url,
            organiser=event.organiser,
            listed_at=listed,
        )

    def title_in(self, language: str) -> str:
        return self.titles.get(language) or self.title

    def description_in(self, language: str) -> str:
        return self.descriptions.get(language) or self.description_text

    def excerpt(self, language: str, limit: int = 220) -> str:
        return truncate(self.description_in(language), limit)  # cleaned when made

    @property
    def event_languages(self) -> tuple[str, ...]:
        """The languages the event is held in (its main language when none are listed)."""
        return self.languages or (self.language,)

    @property
    def online(self) -> bool:
        return self.attendance in (vocab.ONLINE, vocab.HYBRID)

    @property
    def also_listed(self) -> tuple[str, ...]:
        """Other pages that list the event (deduplication merges listings from many sites)."""
        return tuple(u for u in self.urls if u != self.url)


@dataclass(frozen=True, slots=True)
class Preferences:
    email: str
    language: str = "fi"
    timezone: str = "Europe/Helsinki"
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    include_online: bool = True
    event_languages: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    max_items: int = 15
    send_day: str = "mon"
    send_hour: int = 8

    @classmethod
    def from_row(cls, subscriber: Subscriber) -> Preferences:
        return cls.from_values(
            {column: getattr(subscriber, column) for column in SUBSCRIBER_COLUMNS}
        )

    @classmethod
    def from_values(cls, row: Mapping[str, Any]) -> Preferences:
        """From a mapping with the Subscriber's column names (a row fetched without the ORM)."""
        return cls(
            email=row["email"],
            language=row["language"],
            timezone=row["timezone"],
            categories=tuple(row["categories"] or ()),
            keywords=tuple(k for k in (row["keywords"] or ()) if k and k.strip()),
            cities=tuple(row["cities"] or ()),
            include_online=bool(row["include_online"]),
            event_languages=tuple(row["event_languages"] or ()),
            audiences=tuple(row["audiences"] or ()),
            max_items=int(row["max_items"] or 15),
            send_day=row["send_day"],
            send_hour=int(row["send_hour"]),
        )


SUBSCRIBER_COLUMNS = (
    "email",
    "language",
    "timezone",
    "categories",
    "keywords",
    "cities",
    "include_online",
    "event_languages",
    "audiences",
    "max_items",
    "send_day",
    "send_hour",
)


@dataclass(frozen=True, slots=True)
class SentItem:
    """What an earlier digest said about an event (a DeliveryItem): compared to spot changes."""

    event_id: int
    start_at: datetime
    status: str
    deadline_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason an event is in a digest: kind is category, keyword, city, online,
    language or audience; value is the vocabulary word, the city or the keyword."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class DigestItem:
    event: EventView
    section: str
    score: int = 0
    reasons: tuple[Reason, ...] = ()
    # For the "update" section: cancelled, postponed, rescheduled, deadline (what changed).
    changes: tuple[str, ...] = ()
    previous: SentItem | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    preferences: Preferences
    items: tuple[DigestItem, ...]

    def section(self, name: str) -> list[DigestItem]:
        return [item for item in self.items if item.section == name]

    @property
    def empty(self) -> bool:
        return not self.items

    @property
    def new_count(self) -> int:
        return sum(1 for item in self.items if item.section != UPDATE)
