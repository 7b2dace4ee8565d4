"""Which events a page or a feed shows: the public filters, and a subscriber's preferences.

Filtering is pure (:func:`matches_filter` takes an event and a filter); the queries at the
bottom take the caller's session and `now`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Select, String, func, select, type_coerce
from sqlalchemy.orm import Session

from digest.match import match_event
from digest.model import EventView, Preferences
from store import vocab
from store.models import Event, Subscriber

MAX_VALUES = 10
MAX_TEXT = 100
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class FilterError(ValueError):
    """A query parameter has a value we do not know; the message names it and what is allowed."""


@dataclass(frozen=True)
class EventFilter:
    """What a reader asked for. Empty fields mean "any".

    ``online``: with cities, True adds online and hybrid events to those in the cities; without
    cities, True keeps only online and hybrid events and False only on-site ones.
    """

    categories: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    online: bool | None = None
    text: str = ""

    def query_items(self) -> list[tuple[str, str]]:
        """The filter as query parameters (for feed links and paging)."""
        items = [("category", c) for c in self.categories]
        items += [("city", c) for c in self.cities]
        items += [("language", c) for c in self.languages]
        if self.online is not None:
            items.append(("online", "true" if self.online else "false"))
        if self.text:
            items.append(("q", self.text))
        return items


class QueryParams(Protocol):
    def getlist(self, key: str) -> list[str]: ...


def _values(params: QueryParams, name: str) -> list[str]:
    values: list[str] = []
    for raw in params.getlist(name):
        values += [part.strip() for part in raw.split(",") if part.strip()]
    if len(values) > MAX_VALUES:
        raise FilterError(f"{name}: at most {MAX_VALUES} values")
    for value in values:
        if len(value) > MAX_TEXT:
            raise FilterError(f"{name}: a value is longer than {MAX_TEXT} characters")
    return values


def _closed(values: list[str], allowed: Sequence[str], name: str) -> tuple[str, ...]:
    for value in values:
        if value not in allowed:
            raise FilterError(f"{name}={value!r} is not known; allowed: {', '.join(allowed)}")
    return tuple(dict.fromkeys(values))


def parse_filter(params: QueryParams) -> EventFilter:
    """Read category, city, language, online and q from query parameters."""
    online_values = _values(params, "online")
    online: bool | None = None
    if online_values:
        word = online_values[-1].lower()
        if word in _TRUE:
            online = True
        elif word in _FALSE:
            online = False
        elif word not in ("", "any"):
            raise FilterError(f"online={word!r} is not known; allowed: true, false, any")
    text_values = params.getlist("q")
    text = " ".join(text_values[-1].split()) if text_values else ""
    if len(text) > MAX_TEXT:
        raise FilterError(f"q: longer than {MAX_TEXT} characters")
    return EventFilter(
        categories=_closed(_values(params, "category"), vocab.CATEGORIES, "category"),
        cities=tuple(dict.fromkeys(_values(params, "city"))),
        languages=_closed(_values(params, "language"), vocab.EVENT_LANGUAGES, "language"),
        online=online,
        text=text,
    )


class EventLike(Protocol):
    title: str
    titles: dict[str, str]
    description_text: str
    city: str | None
    attendance: str
    language: str
    categories: list[str]


def _online(event: EventLike) -> bool:
    return event.attendance in (vocab.ONLINE, vocab.HYBRID)


def matches_filter(event: EventLike, wanted: EventFilter) -> bool:
    """Whether `event` passes `wanted`; reads only the fields the filter names."""
    if wanted.categories and not set(event.categories or ()) & set(wanted.categories):
        return False
    if wanted.languages and event.language not in wanted.languages:
        return False
    if wanted.cities:
        cities = {c.casefold() for c in wanted.cities}
        in_city = bool(event.city) and (event.city or "").casefold() in cities
        if not in_city and not (wanted.online and _online(event)):
            return False
    elif wanted.online is not None and _online(event) != wanted.online:
        return False
    if wanted.text:
        haystack = " ".join(
            [event.title, *(event.titles or {}).values(), event.description_text or ""]
        ).casefold()
        if not all(word in haystack for word in wanted.text.casefold().split()):
            return False
    return True


def matches_preferences(event: Event, subscriber: Subscriber) -> bool:
    """The digest's own rule (digest.match.match_event), so the personal feed agrees with mail."""
    return match_event(EventView.from_row(event), Preferences.from_row(subscriber)) is not None


def _upcoming(now: datetime, *columns: Any) -> Select[Any]:
    ends = func.coalesce(Event.end_at, Event.start_at)
    return (
        select(*columns)
        .where(Event.gone_at.is_(None), ends >= now)
        .order_by(Event.start_at, Event.id)
    )


def upcoming(session: Session, now: datetime) -> list[Event]:
    """Events not yet over and still listed somewhere, soonest first (cancelled ones too)."""
    return list(session.scalars(_upcoming(now, Event)))


def filtered(session: Session, wanted: EventFilter, now: datetime) -> list[Event]:
    return [event for event in upcoming(session, now) if matches_filter(event, wanted)]


def filtered_versions(
    session: Session, wanted: EventFilter, now: datetime
) -> list[tuple[int, object]]:
    """(id, updated_at) of the events :func:`filtered` returns, in its order, reading only the
    columns this filter needs (none besides the two for the unfiltered feed): a feed whose
    entries are kept per event version loads whole rows only for the events that changed."""
    table = Event.__table__.c
    # updated_at as the store gives it (a version, compared, never shown): no datetime each.
    columns: list[Any] = [table.id, type_coerce(table.updated_at, String).label("updated_at")]
    if wanted.categories:
        columns.append(table.categories)
    if wanted.languages:
        columns.append(table.language)
    if wanted.cities or wanted.online is not None:
        columns += [table.city, table.attendance]
    if wanted.text:
        columns += [table.title, table.titles, table.description_text]
    ends = func.coalesce(table.end_at, table.start_at)
    rows = session.connection().execute(
        select(*columns)
        .where(table.gone_at.is_(None), ends >= now)
        .order_by(table.start_at, table.id)
    )
    return [
        (row.id, row.updated_at) for row in rows if matches_filter(cast(EventLike, row), wanted)
    ]


def events_by_id(session: Session, ids: Sequence[int]) -> dict[int, Event]:
    if not ids:
        return {}
    return {event.id: event for event in session.scalars(select(Event).where(Event.id.in_(ids)))}


def for_subscriber(session: Session, subscriber: Subscriber, now: datetime) -> list[Event]:
    return [event for event in upcoming(session, now) if matches_preferences(event, subscriber)]


def cities(session: Session, now: datetime) -> list[str]:
    """Cities of upcoming events, for the filter form."""
    ends = func.coalesce(Event.end_at, Event.start_at)
    rows = session.scalars(
        select(Event.city)
        .where(Event.gone_at.is_(None), ends >= now, Event.city.is_not(None))
        .distinct()
    )
    return sorted({row for row in rows if row}, key=str.casefold)


def params_of(mapping: Mapping[str, Sequence[str]]) -> QueryParams:
    """A plain dict of lists as query parameters (for tests and the CLI)."""

    class _Params:
        def getlist(self, key: str) -> list[str]:
            return list(mapping.get(key, ()))

    return _Params()
