"""Dates, times and event words as a reader sees them (pure: values and a language in)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, format_skeleton, format_time

from store import vocab


def zone_or_default(name: str | None, default: str) -> str:
    """`name` when it is a known IANA zone, else `default`."""
    if name:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return default
        return name
    return default


def local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def day(value: datetime, zone: str, language: str, form: str = "full") -> str:
    return format_date(local(value, zone), format=form, locale=language)


def day_month(value: date, language: str) -> str:
    """A calendar day without the year, short: "28.11.", "28 nov.", "28 Nov"."""
    return format_skeleton("MMMd", value, locale=language)


def short_day(value: datetime, zone: str, language: str) -> str:
    """A day with its weekday, without the year: "to 10.12.", "tors 10 dec.", "Thu, Dec 10"."""
    return format_skeleton("MMMEd", local(value, zone), locale=language)


def iso_moment(text: str, zone: str, language: str) -> str:
    """An ISO 8601 time from a record (a trial crawl's JSON) as a short local date and time."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return text
    if value.tzinfo is None:
        return format_datetime(value, format="short", locale=language)
    return moment(value, zone, language)


def clock(value: datetime, zone: str, language: str) -> str:
    return format_time(local(value, zone), format="short", locale=language)


def moment(value: datetime, zone: str, language: str) -> str:
    """'7.12.2026 6.40 EET': a date, hours and minutes (no seconds) and the zone's name."""
    at = local(value, zone)
    text = f"{format_date(at, format='medium', locale=language)} {clock(at, zone, language)}"
    return f"{text} {at.tzname()}" if at.tzname() else text


def when(
    start: datetime,
    end: datetime | None,
    all_day: bool,
    event_zone: str,
    viewer_zone: str,
    language: str,
) -> str:
    """ "Thursday, 14 January 2027 17:00–19:00" in the viewer's zone and language.

    All-day events keep the calendar days of their own zone: a day does not move when the
    viewer is elsewhere.
    """
    if all_day:
        first = day(start, event_zone, language)
        if end is None:
            return first
        last_day = local(end, event_zone)
        if last_day.hour == 0 and last_day.minute == 0 and last_day > local(start, event_zone):
            # An exclusive end at midnight: the event's last day is the day before.
            last_day = last_day - timedelta(days=1)
        if last_day.date() <= local(start, event_zone).date():
            return first
        return f"{first} – {format_date(last_day, format='full', locale=language)}"
    first = f"{day(start, viewer_zone, language)} {clock(start, viewer_zone, language)}"
    if end is None or end <= start:
        return first
    if local(end, viewer_zone).date() == local(start, viewer_zone).date():
        return f"{first}–{clock(end, viewer_zone, language)}"
    return f"{first} – {day(end, viewer_zone, language)} {clock(end, viewer_zone, language)}"


def is_online(attendance: str) -> bool:
    return attendance in (vocab.ONLINE, vocab.HYBRID)


def http_url(url: str | None) -> str | None:
    """A scraped link only when it is http(s): never javascript:, data: or the like."""
    if not url:
        return None
    cleaned = url.strip()
    if cleaned.lower().startswith(("http://", "https://")) and not any(
        ch in cleaned for ch in "\r\n\t<>\"' "
    ):
        return cleaned
    return None
