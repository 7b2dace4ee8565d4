"""The extractor contract: bytes of one fetched page plus its context in, records out.

Extractors are pure: no network, no database, no clock (``now`` comes in the context). Links
to follow (detail pages) and further pages (pagination) are returned for the spider to fetch.
Followed links are read with ``follow_kind`` when it is set (an RSS item or a listing page
that links to schema.org event pages), else with the source's own kind.

Every extractor hands each event it reads to :meth:`Extraction.add`, which normalises it,
skips it (counted, with why) when it cannot be read, and keeps it when it is in the window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scrapers.normalise import NormaliseError, RawEvent, normalise
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


# `Extraction.add`'s default name of a skipped event: its raw title.
_TITLE: Any = object()


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

    def add(
        self,
        raw: RawEvent,
        ctx: ExtractContext,
        *,
        noun: str = "event",
        name: object = _TITLE,
        make: Callable[[RawEvent, ExtractContext], EventRecord] = normalise,
        catch: tuple[type[Exception], ...] = (),
    ) -> EventRecord | None:
        """Normalise one event and keep it when it is in the crawl window.

        An event that cannot be normalised is skipped: counted, and named in ``errors`` as
        ``"<url>: skipped <noun> <name>: <why>"`` (``name``: the raw title, or the caller's
        own; ``catch``: errors besides NormaliseError that mean a bad row). ``make`` turns
        the RawEvent into a record (``normalise``; the ICS reader copies a series' record).
        Returns the record, kept or outside the window; None when it was skipped.
        """
        bad: tuple[type[Exception], ...] = (NormaliseError, *catch)
        try:
            record = make(raw, ctx)
        except bad as exc:
            shown = (raw.title or "(untitled)") if name is _TITLE else name
            self.skip(f"{ctx.url}: skipped {noun} {shown!r}: {exc}")
            return None
        if ctx.keeps(record.start_at, record.end_at):
            self.records.append(record)
        else:
            self.outside_window += 1
        return record

    def skip(self, why: str) -> None:
        """Count one event or row that is left out as unreadable, and say why."""
        self.skipped += 1
        self.errors.append(why)

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
