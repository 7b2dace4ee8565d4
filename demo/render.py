"""Pieces the site renderers share: resources, page shells, labels, schema.org values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from html import escape
from typing import Any, NamedTuple

from demo.catalogue import DemoListing
from demo.textdates import numeric_date, when

HTML = "text/html; charset=utf-8"
SCHEMA = "https://schema.org/"

LABELS: dict[str, dict[str, str]] = {
    "fi": {
        "when": "Aika",
        "where": "Paikka",
        "organiser": "Järjestäjä",
        "price": "Hinta",
        "free": "Maksuton",
        "deadline": "Haku päättyy",
        "apply": "Ilmoittaudu ja hae",
        "online": "Verkossa",
        "cancelled": "Peruttu",
        "postponed": "Siirretty",
        "rescheduled": "Uusi ajankohta",
        "back": "Takaisin tapahtumiin",
        "form": "Hakulomake",
        "form_text": "Tämä on demon hakulomake: lähetys ei tallennu mihinkään.",
    },
    "sv": {
        "when": "Tid",
        "where": "Plats",
        "organiser": "Arrangör",
        "price": "Pris",
        "free": "Avgiftsfritt",
        "deadline": "Sista ansökningsdag",
        "apply": "Anmäl dig",
        "online": "Webbinarium",
        "cancelled": "Inställt",
        "postponed": "Uppskjutet",
        "rescheduled": "Ny tidpunkt",
        "back": "Tillbaka till evenemangen",
        "form": "Ansökningsformulär",
        "form_text": "Detta är demons formulär: inget sparas.",
    },
    "en": {
        "when": "When",
        "where": "Where",
        "organiser": "Organiser",
        "price": "Price",
        "free": "Free of charge",
        "deadline": "Apply by",
        "apply": "Apply",
        "online": "Online",
        "cancelled": "Cancelled",
        "postponed": "Postponed",
        "rescheduled": "Rescheduled",
        "back": "Back to events",
        "form": "Application form",
        "form_text": "This is the demo's form: nothing is stored.",
    },
}

STATUS_SCHEMA = {
    "scheduled": "EventScheduled",
    "cancelled": "EventCancelled",
    "postponed": "EventPostponed",
    "rescheduled": "EventRescheduled",
}


class Resource(NamedTuple):
    """One file a demo site serves."""

    content_type: str
    body: bytes


def esc(text: str) -> str:
    return escape(text, quote=True)


def label(lang: str, key: str) -> str:
    return LABELS.get(lang, LABELS["en"])[key]


def iso(moment: datetime | date, *, utc: bool = False, naive: bool = False) -> str:
    """ISO 8601: ``2027-01-14T17:00:00+02:00``, ``…T15:00:00Z``, naive local, or a date."""
    if not isinstance(moment, datetime):
        return moment.isoformat()
    if utc:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if naive:
        return moment.strftime("%Y-%m-%dT%H:%M")
    return moment.isoformat()


def absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def price_amount(listing: DemoListing) -> str:
    """The price as schema.org wants it: ``"0"`` or the euro amount."""
    if listing.price is None:
        return "0"
    return "".join(ch for ch in listing.price if ch.isdigit() or ch == ",").replace(",", ".")


def attendance_mode(listing: DemoListing) -> str:
    mode = "Online" if listing.online and listing.place is None else "Offline"
    if listing.online and listing.place is not None:
        mode = "Mixed"
    return f"{SCHEMA}{mode}EventAttendanceMode"


def location_text(listing: DemoListing) -> str:
    """Where, as this site writes it: ``Venue, street, city`` or "online"."""
    if listing.place is None:
        return listing.venue or label(listing.language, "online")
    lang = listing.language
    parts = [listing.venue or listing.place.name(lang)]
    street = listing.place.street(lang)
    if street not in parts[0]:
        parts.append(f"{street}, {listing.place.postal_code} {listing.place.city(lang)}")
    return ", ".join(parts)


def json_script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def page(
    *, lang: str, title: str, site_name: str, home: str, body: str, head: str = ""
) -> Resource:
    """A complete, plain HTML page for one demo site."""
    text = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} – {esc(site_name)}</title>
{head}
</head>
<body>
<header class="site-header"><a class="site-name" href="{esc(home)}">{esc(site_name)}</a></header>
<main>
{body}
</main>
<footer class="site-footer"><p>{esc(site_name)} · demo</p></footer>
</body>
</html>
"""
    return Resource(HTML, text.encode("utf-8"))


def facts(listing: DemoListing, base_url: str) -> str:
    """The human-readable facts block of an event page (time, place, price, deadline)."""
    lang = listing.language
    rows = [
        (label(lang, "when"), esc(when(listing.start, listing.end, lang))),
        (label(lang, "where"), esc(location_text(listing))),
        (label(lang, "organiser"), esc(listing.organiser)),
        (label(lang, "price"), esc(listing.price or label(lang, "free"))),
    ]
    if listing.deadline is not None:
        rows.append((label(lang, "deadline"), esc(numeric_date(listing.deadline))))
    link = listing.application_url(base_url)
    if link:
        rows.append(("", f'<a class="apply" href="{esc(link)}">{label(lang, "apply")}</a>'))
    items = "\n".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    return f'<dl class="event-facts">\n{items}\n</dl>'


def status_badge(listing: DemoListing) -> str:
    if listing.status == "scheduled":
        return ""
    return (
        f'<p class="status status-{listing.status}">{label(listing.language, listing.status)}</p>'
    )


def event_page(
    listing: DemoListing, *, site_name: str, home: str, base_url: str, head: str = ""
) -> Resource:
    """A plain event page: title, status, facts and description."""
    body = f"""<article class="event-detail">
<h1>{esc(listing.title)}</h1>
{status_badge(listing)}
{facts(listing, base_url)}
<div class="description"><p>{esc(listing.description)}</p></div>
<p><a href="{esc(home)}">{label(listing.language, "back")}</a></p>
</article>"""
    return page(
        lang=listing.language,
        title=listing.title,
        site_name=site_name,
        home=home,
        body=body,
        head=head,
    )


CATEGORY_NAMES: dict[str, tuple[str, str, str]] = {
    "seminar": ("Seminaarit ja luennot", "Seminarier och föreläsningar", "Seminars and talks"),
    "job-fair": ("Rekrytointitapahtumat", "Rekryteringsevenemang", "Job fairs"),
    "course": ("Kurssit", "Kurser", "Courses"),
    "workshop": ("Työpajat", "Verkstäder", "Workshops"),
    "networking": ("Verkostoituminen", "Nätverkande", "Networking"),
    "mentoring": ("Mentorointi", "Mentorskap", "Mentoring"),
    "webinar": ("Webinaarit", "Webbinarier", "Webinars"),
    "info-session": ("Infotilaisuudet", "Infotillfällen", "Info sessions"),
    "volunteering": ("Vapaaehtoistyö", "Frivilligarbete", "Volunteering"),
    "other": ("Muut", "Övrigt", "Other"),
}


def category_name(category: str, lang: str) -> str:
    fi, sv, en = CATEGORY_NAMES[category]
    return {"fi": fi, "sv": sv}.get(lang, en)


def front_page(
    *,
    lang: str,
    site_name: str,
    home: str,
    link: str,
    link_text: str,
    more: str = "",
    head: str = "",
) -> Resource:
    """A site's front page: its name, the link to its events, and any further HTML."""
    body = f'<h1>{esc(site_name)}</h1>\n<p><a href="{esc(link)}">{esc(link_text)}</a></p>\n{more}'
    return page(lang=lang, title=site_name, site_name=site_name, home=home, body=body, head=head)
