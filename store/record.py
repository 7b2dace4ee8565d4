"""EventRecord: one event as extracted and normalised from one source.

Extractors produce these (see scrapers/extractors), the crawl pipeline upserts them into
listings, and `vahti sources test --json` prints them. Values use the closed vocabularies of
store.vocab; times are aware UTC datetimes plus the original zone name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from store import vocab

# Fields that describe the event itself (shared with store.models.EventFields).
EVENT_FIELDS: tuple[str, ...] = (
    "title",
    "titles",
    "description_html",
    "description_text",
    "descriptions",
    "start_at",
    "end_at",
    "timezone",
    "all_day",
    "url",
    "venue",
    "address",
    "city",
    "attendance",
    "online_url",
    "language",
    "languages",
    "categories",
    "audiences",
    "status",
    "deadline_at",
    "application_url",
    "application_opens_at",
    "price",
    "is_free",
    "organiser",
)


@dataclass(slots=True)
class EventRecord:
    title: str
    start_at: datetime
    external_id: str | None = None
    titles: dict[str, str] = field(default_factory=dict)
    description_html: str = ""
    description_text: str = ""
    descriptions: dict[str, str] = field(default_factory=dict)
    end_at: datetime | None = None
    timezone: str = "Europe/Helsinki"
    all_day: bool = False
    url: str | None = None
    venue: str | None = None
    address: str | None = None
    city: str | None = None
    attendance: str = vocab.ONSITE
    online_url: str | None = None
    language: str = "other"
    languages: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    status: str = vocab.SCHEDULED
    deadline_at: datetime | None = None
    application_url: str | None = None
    application_opens_at: datetime | None = None
    price: str | None = None
    is_free: bool | None = None
    organiser: str | None = None
    page_url: str | None = None
    series_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("start_at", "end_at", "deadline_at", "application_opens_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"EventRecord.{name} must be timezone-aware, got {value!r}")

    def event_values(self) -> dict[str, Any]:
        """The event fields as a dict, ready for a Listing row."""
        return {name: getattr(self, name) for name in EVENT_FIELDS}

    def key(self) -> str:
        """The external id, else a stable hash of the cleaned title and the start."""
        if self.external_id:
            return self.external_id
        title = " ".join(self.title.casefold().split())
        basis = f"{title}|{self.start_at.astimezone(UTC).isoformat()}"
        return "h:" + hashlib.sha256(basis.encode()).hexdigest()[:32]

    def content_hash(self) -> str:
        """Changes when anything a reader could see changes (not when only the page moves)."""
        payload = json.dumps(
            {**self.event_values(), "series_id": self.series_id, "extra": self.extra},
            sort_keys=True,
            default=_json_default,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (ISO 8601 times with offset)."""
        data = dataclasses.asdict(self)
        return {
            key: _json_default(value) if isinstance(value, datetime) else value
            for key, value in data.items()
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")
