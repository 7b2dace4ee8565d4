"""Plain data the pure digest logic works on (built from store rows at the edge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from store.models import Event, Subscriber


@dataclass(frozen=True)
class EventView:
    id: int
    title: str
    start_at: datetime
    timezone: str
    titles: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    description_text: str = ""
    end_at: datetime | None = None
    all_day: bool = False
    url: str | None = None
    urls: tuple[str, ...] = ()
    venue: str | None = None
    city: str | None = None
    attendance: str = "onsite"
    language: str = "other"
    languages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    status: str = "scheduled"
    deadline_at: datetime | None = None
    application_url: str | None = None

    @classmethod
    def from_row(cls, event: Event) -> EventView:
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
            url=event.url,
            urls=tuple(event.urls or ()),
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
        )

    def title_in(self, language: str) -> str:
        return self.titles.get(language) or self.title


@dataclass(frozen=True)
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

    @classmethod
    def from_row(cls, subscriber: Subscriber) -> Preferences:
        return cls(
            email=subscriber.email,
            language=subscriber.language,
            timezone=subscriber.timezone,
            categories=tuple(subscriber.categories or ()),
            keywords=tuple(subscriber.keywords or ()),
            cities=tuple(subscriber.cities or ()),
            include_online=subscriber.include_online,
            event_languages=tuple(subscriber.event_languages or ()),
            audiences=tuple(subscriber.audiences or ()),
            max_items=subscriber.max_items,
        )


@dataclass(frozen=True)
class DigestItem:
    event: EventView
    section: str  # upcoming, deadline, update
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Digest:
    preferences: Preferences
    items: tuple[DigestItem, ...]

    def section(self, name: str) -> list[DigestItem]:
        return [item for item in self.items if item.section == name]

    @property
    def empty(self) -> bool:
        return not self.items
