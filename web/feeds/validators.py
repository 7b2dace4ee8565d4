"""Validators for feeds: Last-Modified, ETags, conditional requests, and a small ETag cache.

A feed's body changes only when an event changes in the store (its `updated_at` moves: a shown
value changed, or it was added, went, came back or was merged away) or when an event ends and
leaves the window. :func:`feed_state` finds both with a few indexed queries, without reading
the events, so a conditional request can be answered 304 without building the feed:

* ``Last-Modified`` is the newest of the newest change and the last end already passed;
* the ETag is a hash of the body, remembered per feed URL and state in :class:`EtagCache`
  for a short while (well inside the feeds' ``max-age``), so a repeated ``If-None-Match``
  costs no rendering either.

As in RFC 9110, ``If-None-Match`` wins over ``If-Modified-Since`` when both are sent. HTTP
dates have whole seconds, so a Last-Modified less than a second old is withheld: a second
change in the same second could otherwise hide behind it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request

from store.models import Event


@dataclass(frozen=True)
class FeedState:
    """What every feed's body depends on besides the request itself."""

    # The newest Event.updated_at (None: no events at all).
    last_change: datetime | None
    # The last moment an event ended and left the window, up to now (None: none yet).
    last_expiry: datetime | None
    # The next moment an event ends and leaves the window (None: none ahead).
    next_expiry: datetime | None

    @property
    def last_modified(self) -> datetime | None:
        present = [t for t in (self.last_change, self.last_expiry) if t is not None]
        return max(present) if present else None


def feed_state(session: Session, now: datetime) -> FeedState:
    """The store's feed state at `now` (gone events count too: that errs towards a 200)."""
    last_change = session.scalar(select(func.max(Event.updated_at)))
    last_end = session.scalar(select(func.max(Event.end_at)).where(Event.end_at < now))
    last_start = session.scalar(
        select(func.max(Event.start_at)).where(Event.end_at.is_(None), Event.start_at < now)
    )
    next_end = session.scalar(select(func.min(Event.end_at)).where(Event.end_at >= now))
    next_start = session.scalar(
        select(func.min(Event.start_at)).where(Event.end_at.is_(None), Event.start_at >= now)
    )
    return FeedState(
        last_change=last_change,
        last_expiry=_newest(last_end, last_start),
        next_expiry=_oldest(next_end, next_start),
    )


def _newest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _oldest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_http_date(text: str | None) -> datetime | None:
    """An HTTP date as an aware datetime; None when absent or unreadable (then it is ignored)."""
    if not text or len(text) > 100:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def shown_last_modified(last_modified: datetime | None, now: datetime) -> datetime | None:
    """The Last-Modified to send: none when it is under a second old (see the module doc)."""
    if last_modified is None or now - last_modified < timedelta(seconds=1):
        return None
    return last_modified


def etag_matches(request: Request, etag: str) -> bool:
    """True when If-None-Match names this ETag (weak or strong comparison, or *)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def is_not_modified(request: Request, etag: str | None, last_modified: datetime | None) -> bool:
    """Whether a GET may be answered 304 (RFC 9110 §13.2.2: If-None-Match first)."""
    if request.headers.get("if-none-match"):
        return etag is not None and etag_matches(request, etag)
    since = parse_http_date(request.headers.get("if-modified-since"))
    if since is None or last_modified is None:
        return False
    return int(last_modified.timestamp()) <= int(since.timestamp())


class EtagCache:
    """ETags of recently built feeds, by a key that holds the feed URL and the feed state.

    Entries live `ttl_seconds` (real time) at most and the oldest go first beyond
    `max_entries`; the lock makes it safe for the threads that serve sync routes.
    """

    def __init__(self, max_entries: int = 1024, ttl_seconds: float = 60.0) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            stored_at, etag = found
            if time.monotonic() - stored_at > self.ttl_seconds:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return etag

    def put(self, key: Hashable, etag: str) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic(), etag)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
