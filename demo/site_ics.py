"""The university career centre: an iCalendar feed, linked from its page.

Times are TZID=Europe/Helsinki with a VTIMEZONE, except one UTC (``tz:utc``) and one
floating (``tz:floating``, to be read in X-WR-TIMEZONE) time; whole-day events use
VALUE=DATE. The weekly CV clinic is one VEVENT with RRULE and EXDATE plus an override
VEVENT with RECURRENCE-ID; its occurrences are keyed ``<UID>#<n>`` (see ``Occurrence``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from demo.catalogue import DemoListing
from demo.render import (
    Resource,
    absolute,
    category_name,
    esc,
    event_page,
    front_page,
    location_text,
)
from demo.textdates import en_long, numeric_date

if TYPE_CHECKING:
    from demo.sites import DemoSite

TZID = "Europe/Helsinki"
VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Helsinki
X-LIC-LOCATION:Europe/Helsinki
BEGIN:DAYLIGHT
TZOFFSETFROM:+0200
TZOFFSETTO:+0300
TZNAME:EEST
DTSTART:19700329T030000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0300
TZOFFSETTO:+0200
TZNAME:EET
DTSTART:19701025T040000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE""".splitlines()
ICS_STATUS = {
    "scheduled": "CONFIRMED",
    "cancelled": "CANCELLED",
    "postponed": "TENTATIVE",
    "rescheduled": "CONFIRMED",
}
ORGANISER_EMAIL = "mailto:events@uusimaa.example"


def fold(line: str) -> list[str]:
    """RFC 5545 line folding at 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def stamp(moment: datetime | date, hints: tuple[str, ...] = ()) -> str:
    """``;TZID=Europe/Helsinki:20270114T170000``, ``:…T150000Z``, floating or VALUE=DATE."""
    if not isinstance(moment, datetime):
        return f";VALUE=DATE:{moment:%Y%m%d}"
    if "tz:utc" in hints:
        return f":{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    if "tz:floating" in hints:
        return f":{moment:%Y%m%dT%H%M%S}"
    return f";TZID={TZID}:{moment:%Y%m%dT%H%M%S}"


def page_path(uid: str) -> str:
    return f"/urapalvelut/tapahtumat/{uid.split('@')[0]}/"


def _description(listing: DemoListing, base_url: str) -> str:
    lines = [listing.description]
    if listing.deadline is not None:
        verb = "Hae viimeistään" if listing.language == "fi" else "Apply by"
        lines.append(
            f"{verb} {numeric_date(listing.deadline)}: "
            f"{listing.application_url(base_url) or absolute(base_url, '/urapalvelut/')}"
        )
    return "\n".join(lines)


def vevent(
    listing: DemoListing, uid: str, today: date, base_url: str, extra: tuple[str, ...] = ()
) -> list[str]:
    end = listing.end
    if end is not None and not isinstance(end, datetime):
        end = end + timedelta(days=1)  # DTEND of a whole-day event is exclusive
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{today - timedelta(days=1):%Y%m%d}T060000Z",
        f"DTSTART{stamp(listing.start, listing.hints)}",
    ]
    if end is not None:
        lines.append(f"DTEND{stamp(end, listing.hints)}")
    lines += list(extra)
    lines += [
        f"SUMMARY;LANGUAGE={listing.language}:{text(listing.title)}",
        f"DESCRIPTION:{text(_description(listing, base_url))}",
        f"LOCATION:{text(location_text(listing))}",
        f"URL:{absolute(base_url, page_path(uid))}",
        f"CATEGORIES:{','.join(text(category_name(c, 'en')) for c in listing.categories)}",
        f'ORGANIZER;CN="{listing.organiser}":{ORGANISER_EMAIL}',
        f"STATUS:{ICS_STATUS[listing.status]}",
        "END:VEVENT",
    ]
    return lines


def series_vevents(listings: list[DemoListing], today: date, base_url: str) -> list[str]:
    """One RRULE VEVENT for the series plus an override for each moved occurrence."""
    occurrence = listings[0].occurrence
    assert occurrence is not None
    regular = next(x for x in listings if _unmoved(x))
    assert isinstance(regular.start, datetime) and isinstance(regular.end, datetime)
    first = occurrence.first_start
    master = replace(regular, start=first, end=first + (regular.end - regular.start))
    exdates = [f"EXDATE{stamp(occurrence.original_start(index))}" for index in occurrence.skipped]
    lines = vevent(
        master,
        occurrence.series_id,
        today,
        base_url,
        (f"RRULE:FREQ=WEEKLY;COUNT={occurrence.count}", *exdates),
    )
    for listing in listings:
        if not _unmoved(listing):
            assert listing.occurrence is not None
            recurrence = f"RECURRENCE-ID{stamp(listing.occurrence.recurrence_id)}"
            lines += vevent(
                listing, occurrence.series_id, today, base_url, (recurrence, "SEQUENCE:1")
            )
    return lines


def _unmoved(listing: DemoListing) -> bool:
    return listing.occurrence is None or listing.start == listing.occurrence.recurrence_id


def calendar(site: DemoSite, listings: list[DemoListing], today: date, base_url: str) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Uudenmaan yliopisto//Career Services events//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{text(site.name)}",
        f"X-WR-TIMEZONE:{TZID}",
        "X-WR-CALDESC:Career events\\, workshops and fairs for students and alumni",
        "REFRESH-INTERVAL;VALUE=DURATION:PT12H",
        "X-PUBLISHED-TTL:PT12H",
        *VTIMEZONE,
    ]
    series: dict[str, list[DemoListing]] = defaultdict(list)
    for listing in listings:
        if listing.occurrence is not None:
            series[listing.occurrence.series_id].append(listing)
        else:
            lines += vevent(listing, listing.external_key, today, base_url)
    for members in series.values():
        lines += series_vevents(members, today, base_url)
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in fold(line)).encode("utf-8")


def render(
    site: DemoSite, listings: list[DemoListing], today: date, base_url: str
) -> dict[str, Resource]:
    home = base_url + site.home_path
    ics_url = base_url + site.start_path
    files = {
        site.start_path: Resource(
            "text/calendar; charset=utf-8", calendar(site, listings, today, base_url)
        )
    }
    items = []
    for listing in listings:
        uid = listing.occurrence.series_id if listing.occurrence else listing.external_key
        link = absolute(base_url, page_path(uid))
        if page_path(uid) not in files:
            files[page_path(uid)] = event_page(
                listing, site_name=site.name, home=home, base_url=base_url
            )
        items.append(
            f'<li><a href="{esc(link)}">{esc(listing.title)}</a> – '
            f"{esc(en_long(listing.start, listing.end))}</li>"
        )
    head = (
        f'<link rel="alternate" type="text/calendar" title="{esc(site.name)}" '
        f'href="{esc(ics_url)}">'
    )
    more = (
        "<p>Events for students and alumni.</p>\n"
        '<ul class="events">\n' + "\n".join(items) + "\n</ul>"
    )
    files[site.home_path] = front_page(
        lang="en",
        site_name=site.name,
        home=home,
        link=ics_url,
        link_text="Subscribe to the calendar (iCal)",
        more=more,
        head=head,
    )
    return files
