"""iCalendar (RFC 5545) with the icalendar library: VTIMEZONE, stable UIDs, all-day DATEs.

Times are written in the event's own zone with its VTIMEZONE, so calendar apps show them
right in any zone. An application deadline becomes an all-day item of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent

from store import vocab
from text.places import city_forms
from web.feeds.items import FeedInfo, FeedItem

PRODID = "-//Tapahtumavahti//Events//EN"
_STATUS = {
    vocab.CANCELLED: "CANCELLED",
    vocab.POSTPONED: "TENTATIVE",
    vocab.SCHEDULED: "CONFIRMED",
    vocab.RESCHEDULED: "CONFIRMED",
}


def uid(item: FeedItem, host: str, suffix: str = "") -> str:
    """Stable per event id: the same event keeps its UID whatever else changes."""
    return f"event-{item.id}{suffix}@{host}"


def _zone(item: FeedItem) -> ZoneInfo:
    return ZoneInfo(item.timezone)


def _day_span(item: FeedItem) -> tuple[date, date]:
    """An all-day event's first day and exclusive end day, in its own zone."""
    first = item.start_at.astimezone(_zone(item)).date()
    if item.end_at is None:
        return first, first + timedelta(days=1)
    end_local = item.end_at.astimezone(_zone(item))
    last = end_local.date()
    if end_local.time() != datetime.min.time():
        last += timedelta(days=1)
    return first, max(last, first + timedelta(days=1))


def _description(item: FeedItem) -> str:
    parts = [item.description_text.strip(), item.page_url, item.links_text]
    return "\n\n".join(part for part in parts if part)


def location_line(item: FeedItem) -> str:
    """Venue, address and city once each: "Ode, Tölöviksgatan 4, 00100 Helsingfors", not
    "Ode, Tölöviksgatan 4, Tölöviksgatan 4, 00100 Helsingfors, Helsinki" (a street the venue
    names already is left out, and the city when the address names it in any language)."""
    if not (item.venue or item.address or item.city):
        return item.location
    venue = item.venue or ""
    parts = [venue] if venue else []
    parts += [
        p.strip()
        for p in (item.address or "").split(",")
        if p.strip() and p.strip().casefold() not in venue.casefold()
    ]
    if item.city:
        forms = {f for f, c in city_forms().items() if c == item.city} | {item.city.casefold()}
        written = " ".join(parts).casefold()
        if not any(re.search(rf"\b{re.escape(form)}\b", written) for form in forms):
            parts.append(item.city)
    return ", ".join(dict.fromkeys(parts))


def event_component(item: FeedItem, host: str) -> VEvent:
    component = VEvent()
    component.add("uid", uid(item, host))
    component.add("dtstamp", item.updated_at)
    component.add("created", item.created_at)
    component.add("last-modified", item.updated_at)
    # Calendar apps replace their copy when SEQUENCE rises (RFC 5545 §3.8.7.4).
    component.add("sequence", item.sequence)
    component.add("summary", item.title)
    if item.all_day:
        first, end = _day_span(item)
        component.add("dtstart", first)
        component.add("dtend", end)
    else:
        component.add("dtstart", item.start_at.astimezone(_zone(item)))
        if item.end_at is not None and item.end_at > item.start_at:
            component.add("dtend", item.end_at.astimezone(_zone(item)))
    component.add("status", _STATUS.get(item.status, "CONFIRMED"))
    component.add("url", item.source_url or item.page_url)
    location = location_line(item)
    if location:
        component.add("location", location)
    component.add("description", _description(item))
    if item.category_labels:
        component.add("categories", list(item.category_labels))
    return component


def deadline_component(item: FeedItem, host: str, gettext: Callable[[str], str]) -> VEvent:
    assert item.deadline_at is not None
    component = VEvent()
    component.add("uid", uid(item, host, "-deadline"))
    component.add("dtstamp", item.updated_at)
    component.add("sequence", item.sequence)
    component.add("summary", gettext("Application deadline: %(title)s") % {"title": item.title})
    day = item.deadline_at.astimezone(_zone(item)).date()
    component.add("dtstart", day)
    component.add("dtend", day + timedelta(days=1))
    component.add("transp", "TRANSPARENT")
    component.add("url", item.application_url or item.source_url or item.page_url)
    component.add("description", item.page_url)
    return component


def calendar(
    info: FeedInfo,
    items: Sequence[FeedItem],
    gettext: Callable[[str], str],
    *,
    deadlines: bool = True,
) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", info.title)
    cal.add("x-wr-caldesc", info.subtitle)
    for item in items:
        cal.add_component(event_component(item, info.host))
        if deadlines and item.deadline_at is not None:
            cal.add_component(deadline_component(item, info.host, gettext))
    cal.add_missing_timezones()
    result: bytes = cal.to_ical()
    return result
