"""The extractor contract: bytes of one fetched page plus its context in, records out.

Extractors are pure: no network, no database, no clock (``now`` comes in the context). Links
to follow (detail pages) and further pages (pagination) are returned for the spider to fetch.
Followed links are read with ``follow_kind`` when it is set (an RSS item or a listing page
that links to schema.org event pages), else with the source's own kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from store.record import EventRecord

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class ExtractError(Exception):
    """The document cannot be read at all (wrong format, truncated, refused); says why."""


@dataclass(frozen=True)
class ExtractContext:
    url: str
    now: datetime
    timezone: str = "Europe/Helsinki"
    languages: tuple[str, ...] = ("fi", "sv", "en")
    config: Mapping[str, Any] = field(default_factory=dict)
    source_language: str | None = None
    source_categories: tuple[str, ...] = ()
    content_type: str | None = None
    include_past: bool = False
    horizon_days: int = 365
    max_bytes: int = DEFAULT_MAX_BYTES

    @property
    def horizon(self) -> datetime:
        return self.now + timedelta(days=self.horizon_days)

    def keeps(self, start: datetime, end: datetime | None) -> bool:
        """True when an event with this span belongs to the crawl window."""
        if self.include_past:
            return True
        return (end or start) >= self.now and start <= self.horizon


@dataclass
class Extraction:
    records: list[EventRecord] = field(default_factory=list)
    follow: list[str] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0
    # The kind that followed links are read with (None: the source's kind).
    follow_kind: str | None = None
    # Events outside the crawl window (past or beyond the horizon): left out, not errors.
    outside_window: int = 0

    def extend(self, other: Extraction) -> None:
        self.records.extend(other.records)
        self.follow.extend(other.follow)
        self.next_pages.extend(other.next_pages)
        self.errors.extend(other.errors)
        self.skipped += other.skipped
        self.outside_window += other.outside_window
        self.follow_kind = self.follow_kind or other.follow_kind


Extractor = Callable[[bytes, ExtractContext], Extraction]


# Internal kinds: what links followed from a listing page or a feed are read with.
JSONLD_DETAIL_KIND = "jsonld-detail"
CSS_DETAIL_KIND = "css-detail"
