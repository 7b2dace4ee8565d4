"""Validators for feeds: Last-Modified, ETags, conditional requests, and the data version.

A feed's body changes only when an event changes in the store (its `updated_at` moves: a shown
value changed, or it was added, went, came back or was merged away) or when an event ends and
leaves the window. :func:`feed_state` finds both in one query of indexed aggregates, without
reading the events. That state is the store's data version: rendered feeds are kept under it
(web.feeds.cache), so a request, conditional or not, is answered without building the feed
while the version stands, in whichever web process rendered it:

* ``Last-Modified`` is the newest of the newest change and the last end already passed;
* the ETag is a hash of the body, kept with the rendered body.

As in RFC 9110, ``If-None-Match`` wins over ``If-Modified-Since`` when both are sent. HTTP
dates have whole seconds, so a Last-Modified less than a second old is withheld: a second
change in the same second could otherwise hide behind it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select
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

    @property
    def version(self) -> str:
        """The data version as text, the same in every process (the key of rendered feeds)."""
        return "|".join(
            moment.isoformat() if moment is not None else "-"
            for moment in (self.last_change, self.last_expiry, self.next_expiry)
        )


def _state_query() -> Select[Any]:
    now = bindparam("now", type_=Event.__table__.c.end_at.type)
    events = Event.__table__.c
    no_end = events.end_at.is_(None)
    return select(
        select(func.max(events.updated_at)).scalar_subquery(),
        select(func.max(events.end_at)).where(events.end_at < now).scalar_subquery(),
        select(func.max(events.start_at)).where(no_end, events.start_at < now).scalar_subquery(),
        select(func.min(events.end_at)).where(events.end_at >= now).scalar_subquery(),
        select(func.min(events.start_at)).where(no_end, events.start_at >= now).scalar_subquery(),
    )


# Built once: every request asks it (a 304 costs little more than this query).
_STATE = _state_query()


def feed_state(session: Session, now: datetime) -> FeedState:
    """The store's feed state at `now` (gone events count too: that errs towards a 200).

    One round trip: five indexed aggregates as scalar subqueries of one SELECT."""
    row = session.connection().execute(_STATE, {"now": now}).one()
    last_change, last_end, last_start, next_end, next_start = row
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
