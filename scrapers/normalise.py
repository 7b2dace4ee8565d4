"""Normalisation: one pure function from a RawEvent (values as found) to an EventRecord.

Every extractor fills a RawEvent with what its format says, as written, and leaves the rest
to :func:`normalise`: times become aware UTC datetimes plus the zone name, titles lose
entities and status words, descriptions are sanitised, and language, place, attendance,
categories, audiences, application window and price are settled the same way for every
format. Expensive steps (free-text dates, language detection, sanitising) are cached by text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scrapers import calls
from scrapers.dates import parse_iso, parse_when
from store import vocab
from store.record import EventRecord
from text import lexicon
from text.language import (
    OTHER,
    detect_language,
    language_code,
    language_codes,
    languages_said,
)
from text.places import city_in
from text.sanitise import clean_data, clean_id, clean_text, clean_url, sanitise_html

if TYPE_CHECKING:  # the extractors import this module
    from scrapers.extractors.base import ExtractContext

# Column sizes of store.models.EventFields: longer values are cut, never refused.
_LIMITS = {
    "title": 500,
    "venue": 300,
    "address": 500,
    "city": 100,
    "organiser": 300,
    "price": 200,
    "url": 2000,
    "key": 500,
}
# A venue written only with these words is no place: "Verkossa (Teams)", "Online", "Zoom".
_ONLINE_VENUE_WORDS = frozenset(lexicon.ONLINE_PLACE_WORDS.split())
# A part of "Venue, Street 1, 00100 City" that is an address: a street with a number, or a
# postal code.
_STREET = re.compile(
    r"(?:katu|tie|kuja|polku|väylä|aukio|tori|ranta|rinne|kaari|puistikko|piha|gatan|vägen|"
    r"gränd|torget|stranden|planen|street|road|avenue|square|lane)\s+\d|\b\d{5}\b"
    r"|^(?:PL|PB|PO Box)\s*\d",
    re.IGNORECASE,
)
_SCHEMA_STATUS = {
    "eventcancelled": vocab.CANCELLED,
    "eventpostponed": vocab.POSTPONED,
    "eventrescheduled": vocab.RESCHEDULED,
    "eventscheduled": vocab.SCHEDULED,
    "eventmovedonline": vocab.SCHEDULED,
    "cancelled": vocab.CANCELLED,
    "tentative": vocab.SCHEDULED,
    "confirmed": vocab.SCHEDULED,
}

When = datetime | date | str | None


class NormaliseError(ValueError):
    """A record cannot be made (no title, no readable start); the message says which."""


@dataclass
class RawEvent:
    """An event as an extractor found it: values as written, before any cleaning.

    Times are aware datetimes, naive datetimes (wall time in ``timezone`` or the source's
    zone), dates (a whole day), ISO 8601 text, or free text in ``when_text``/``time_text``.
    """

    title: str | None = None
    titles: dict[str, str] = field(default_factory=dict)
    start: When = None
    end: When = None
    end_inclusive: bool = True  # a date-only end names the last day (iCalendar: exclusive)
    when_text: str | None = None
    time_text: str | None = None
    date_formats: tuple[str, ...] = ()
    timezone: str | None = None
    description: str | None = None  # HTML or plain text
    descriptions: dict[str, str] = field(default_factory=dict)
    text_language: Any = None  # the language the title and description are written in
    page_language: Any = None
    external_id: str | None = None
    url: str | None = None
    page_url: str | None = None
    venue: str | None = None
    # The venue's names as the source gives them: a language code (or "alt") → name (a Linked
    # Events place's name.fi/sv/en, schema.org Place alternateName); kept in the listing's
    # extra["venue_names"] for cross-language dedupe.
    venue_names: dict[str, str] = field(default_factory=dict)
    address: str | None = None
    city: str | None = None
    location_text: str | None = None
    online_url: str | None = None
    attendance: str | None = None
    online: bool | None = None
    languages: list[Any] = field(default_factory=list)  # declared event languages
    status: str | None = None
    status_text: str | None = None
    categories: list[str] = field(default_factory=list)
    fallback_categories: list[str] = field(default_factory=list)  # when nothing else says
    keywords: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    deadline: When = None
    application_url: str | None = None
    application_opens: When = None
    price: str | None = None
    is_free: bool | None = None
    organiser: str | None = None
    series_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _clip(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value[: _LIMITS[name]] or None


def clean_key(raw: str | None) -> str | None:
    """An external or series id that fits its column: a longer one keeps its start and a hash
    of the whole (so it stays one listing from crawl to crawl)."""
    value = clean_id(raw)
    if value is None or len(value) <= _LIMITS["key"]:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{value[: _LIMITS['key'] - 34]}#{digest}"


def _zone(name: str | None, fallback: str) -> str:
    if name:
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return fallback


def clean_title(raw: str) -> tuple[str, str | None]:
    """A title without markup or entities, and the status a status word in it named."""
    return lexicon.split_status(clean_text(raw))


def _aware(value: datetime | date, zone: str) -> tuple[datetime, bool]:
    """(UTC datetime, whole day?) for a datetime (naive = wall time in zone) or a date."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(zone))
        return value.astimezone(UTC), False
    return datetime.combine(value, time(0), ZoneInfo(zone)).astimezone(UTC), True


def _moment(value: When, zone: str, what: str, ctx: ExtractContext) -> datetime | date | None:
    """A structured time value; text that is not ISO 8601 is read as a free-text date."""
    if value is None or isinstance(value, datetime | date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError as exc:
        if not str(exc).startswith("not an ISO"):
            raise NormaliseError(f"{what}: {exc}") from None
    today = ctx.now.astimezone(ZoneInfo(zone)).date()
    span = parse_when(text, today, tuple(ctx.languages))
    if span is None:
        raise NormaliseError(f"{what}: cannot read a date in {text[:80]!r}")
    return span.start.date() if span.all_day else span.start


def times_of(raw: RawEvent, ctx: ExtractContext) -> tuple[datetime, datetime | None, bool]:
    """(start in UTC, end in UTC or None, whole day?) of a raw event, as normalise() sets them."""
    return _times(raw, ctx, _zone(raw.timezone, ctx.timezone))


def _times(raw: RawEvent, ctx: ExtractContext, zone: str) -> tuple[datetime, datetime | None, bool]:
    start = _moment(raw.start, zone, "start", ctx)
    end = _moment(raw.end, zone, "end", ctx)
    end_inclusive = raw.end_inclusive
    if start is None and raw.when_text:
        today = ctx.now.astimezone(ZoneInfo(zone)).date()
        span = parse_when(
            raw.when_text, today, tuple(ctx.languages), raw.time_text, raw.date_formats
        )
        if span is None:
            raise NormaliseError(f"cannot read a date in {raw.when_text.strip()[:80]!r}")
        start = span.start.date() if span.all_day else span.start
        if end is None and span.end is not None:
            end = span.end.date() if span.all_day else span.end
            end_inclusive = True
    if start is None:
        raise NormaliseError("no start date")
    start_at, all_day = _aware(start, zone)
    end_at: datetime | None = None
    if end is not None:
        end_at, end_is_day = _aware(end, zone)
        if end_is_day and end_inclusive:
            end_at = _aware(end + timedelta(days=1), zone)[0]
    if all_day and (end_at is None or end_at <= start_at):
        end_at = _aware(start + timedelta(days=1), zone)[0]
    if end_at is not None and end_at < start_at:
        end_at = None  # an end before the start is a typo we cannot mend
    return start_at, end_at, all_day


def _status(raw: RawEvent, title_status: str | None) -> str:
    declared = raw.status
    if declared is None and raw.status_text:
        key = raw.status_text.strip().rsplit("/", 1)[-1].casefold()
        declared = _SCHEMA_STATUS.get(key) or lexicon.status_word(raw.status_text)
    if title_status and declared in (None, vocab.SCHEDULED):
        return title_status
    return declared if declared in vocab.STATUSES else vocab.SCHEDULED


def _place(raw: RawEvent) -> tuple[str | None, str | None, str | None, bool]:
    """(venue, address, city, said online) from the structured fields and location text."""
    venue, address = raw.venue, raw.address
    said_online = False
    if raw.location_text and not venue:
        parts = [p.strip() for p in clean_text(raw.location_text).split(",") if p.strip()]
        street = next((i for i, p in enumerate(parts) if _STREET.search(p)), len(parts))
        if street == 0:
            address = address or ", ".join(parts)
        else:
            venue = ", ".join(parts[:street])
            address = address or (", ".join(parts[street:]) or None)
    if venue and set(re.findall(r"\w+", venue.casefold())) <= _ONLINE_VENUE_WORDS:
        venue, said_online = None, True
    city = raw.city and (city_in(raw.city) or clean_text(raw.city).title())
    if not city:
        city = city_in(", ".join(p for p in (address, venue, raw.location_text) if p))
    return (
        _clip("venue", venue and clean_text(venue)),
        _clip("address", address and clean_text(address)),
        _clip("city", city),
        said_online,
    )


def _attendance(
    raw: RawEvent, venue: str | None, address: str | None, said_online: bool, title: str
) -> str:
    if raw.attendance in vocab.ATTENDANCE_MODES:
        return raw.attendance
    on_site = bool(venue or address)
    words = lexicon.attendance_in(" ".join(p for p in (raw.location_text, title) if p))
    if words == vocab.HYBRID:
        return vocab.HYBRID
    if raw.online or raw.online_url or said_online or words == vocab.ONLINE:
        return vocab.HYBRID if on_site and (raw.online_url or words) else vocab.ONLINE
    return vocab.ONSITE


def _text_language(raw: RawEvent, ctx: ExtractContext, sample: str) -> str:
    declared = language_code(raw.text_language) or language_code(raw.page_language)
    if declared:
        return declared
    if ctx.source_language in vocab.LANGUAGES:
        detected = detect_language(sample)
        return detected if detected != OTHER else ctx.source_language
    return detect_language(sample)


def _categories(raw: RawEvent, ctx: ExtractContext, title: str, description: str) -> list[str]:
    found = set(ctx.source_categories) | {c for c in raw.categories if c in vocab.CATEGORIES}
    headline = " ".join([title, *raw.keywords])
    found |= set(lexicon.categories_in(headline) or lexicon.categories_in(description[:3000]))
    found.discard("other")
    if not found:
        found = {c for c in raw.fallback_categories if c in vocab.CATEGORIES}
    return [c for c in vocab.CATEGORIES if c in found] or ["other"]


def _audiences(raw: RawEvent, title: str, description: str) -> list[str]:
    found = {a for a in raw.audiences if a in vocab.AUDIENCES}
    found |= set(lexicon.audiences_in(" ".join([title, *raw.keywords, description[:3000]])))
    return [a for a in vocab.AUDIENCES if a in found]


def normalise(raw: RawEvent, ctx: ExtractContext) -> EventRecord:
    """The EventRecord for one raw event; NormaliseError names what is missing or unreadable."""
    raw_title = raw.title or next((t for t in raw.titles.values() if t), None)
    title, title_status = clean_title(raw_title or "")
    if not title:
        raise NormaliseError("no title")
    zone = _zone(raw.timezone, ctx.timezone)
    start_at, end_at, all_day = _times(raw, ctx, zone)
    description_html, description_text = sanitise_html(raw.description or "")
    text_language = _text_language(raw, ctx, f"{title}. {description_text[:400]}")
    titles = {
        code: clean_title(text)[0]
        for lang, text in raw.titles.items()
        if text and (code := language_code(lang)) in vocab.LANGUAGES
    } or ({text_language: title} if text_language in vocab.LANGUAGES else {})
    descriptions = {
        code: sanitise_html(text)[1]
        for lang, text in raw.descriptions.items()
        if text and (code := language_code(lang)) in vocab.LANGUAGES
    } or (
        {text_language: description_text}
        if description_text and text_language in vocab.LANGUAGES
        else {}
    )
    declared = language_codes(raw.languages) or languages_said(
        f"{title} {description_text}", text_language
    )
    language = next((c for c in declared if c in vocab.LANGUAGES), None)
    language = language or (declared[0] if declared else None)
    language = language or ctx.source_language or text_language
    language = language if language in vocab.EVENT_LANGUAGES else OTHER
    venue, address, city, said_online = _place(raw)
    attendance = _attendance(raw, venue, address, said_online, title)
    if city is None and attendance != vocab.ONLINE:
        city = _clip("city", city_in(title))
    today = ctx.now.astimezone(ZoneInfo(zone)).date()
    deadline_at, opens_at, application_url = _call(raw, zone, today, ctx, description_text, title)
    application_url = (
        application_url or raw.application_url or calls.application_link(description_html)
    )
    price = _clip("price", raw.price and clean_text(raw.price))
    is_free = raw.is_free
    if is_free is None and price is not None:
        is_free = bool(re.fullmatch(r"0+(?:[.,]0+)?(?:\s*(?:€|eur|euro|euroa))?", price, re.I))
    if is_free is None and lexicon.says_free(f"{price or ''} {description_text[:3000]}"):
        is_free = True
    page_url = clean_url(raw.page_url) or ctx.url
    link = clean_url(raw.url)
    url = urljoin(page_url, link) if link else None
    return EventRecord(
        external_id=clean_key(raw.external_id),
        title=_clip("title", title) or title,
        titles=titles,
        description_html=description_html,
        description_text=description_text,
        descriptions=descriptions,
        start_at=start_at,
        end_at=end_at,
        timezone=zone,
        all_day=all_day,
        url=_clip("url", url),
        venue=venue,
        address=address,
        city=city,
        attendance=attendance,
        online_url=_clip("url", clean_url(raw.online_url)),
        language=language,
        languages=[c for c in declared if c in vocab.EVENT_LANGUAGES]
        or ([language] if language != OTHER else []),
        categories=_categories(raw, ctx, title, description_text),
        audiences=_audiences(raw, title, description_text),
        status=_status(raw, title_status),
        deadline_at=deadline_at,
        application_url=_clip("url", clean_url(application_url)),
        application_opens_at=opens_at,
        price=price,
        is_free=is_free,
        organiser=_clip("organiser", raw.organiser and clean_text(raw.organiser)),
        page_url=_clip("url", page_url),
        series_id=clean_key(raw.series_id),
        extra=_extra(raw, venue),
    )


def _extra(raw: RawEvent, venue: str | None) -> dict[str, Any]:
    """The extractor's extra values, and the venue's names in other languages when the source
    gives them (for cross-language dedupe)."""
    extra: dict[str, Any] = clean_data(raw.extra)
    names = {
        str(key): clipped
        for key, name in raw.venue_names.items()
        if isinstance(name, str) and (clipped := _clip("venue", clean_text(name)))
    }
    if venue and len(set(names.values()) | {venue}) > 1:
        extra["venue_names"] = names
    return extra


def _call(
    raw: RawEvent, zone: str, today: date, ctx: ExtractContext, text: str, title: str
) -> tuple[datetime | None, datetime | None, str | None]:
    """(deadline, opening, application URL) from the structured fields, else from the text."""
    deadline = _moment(raw.deadline, zone, "deadline", ctx)
    opens = _moment(raw.application_opens, zone, "application opening", ctx)
    if deadline is not None:
        deadline_at = _aware(deadline, zone)[0]
        if not isinstance(deadline, datetime):  # a deadline day ends at midnight
            deadline_at += timedelta(days=1) - timedelta(minutes=1)
        return deadline_at, _aware(opens, zone)[0] if opens else None, None
    found = calls.find_call(f"{title}. {text[:5000]}", today, tuple(ctx.languages))
    if found is None:
        return None, None, None
    return (
        _aware(found.deadline, zone)[0],
        _aware(found.opens, zone)[0] if found.opens else None,
        found.url,
    )
