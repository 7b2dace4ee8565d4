"""The city employment service: a listing page linking to pages with JSON-LD events."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from demo.catalogue import DemoListing
from demo.render import (
    SCHEMA,
    STATUS_SCHEMA,
    Resource,
    absolute,
    attendance_mode,
    esc,
    event_page,
    front_page,
    iso,
    json_script,
    page,
    price_amount,
)
from demo.textdates import fi_numeric

if TYPE_CHECKING:
    from demo.sites import DemoSite

TITLES = {"fi": "Tapahtumat", "en": "Events"}
INTRO = (
    "Työllisyyspalvelujen ja yhteistyökumppaneiden tapahtumia työnhakijoille: rekrytointeja, "
    "valmennuksia ja infotilaisuuksia. Some events are held in English."
)


def _location(listing: DemoListing) -> dict[str, Any]:
    place = listing.place
    if place is None:
        return {"@type": "VirtualLocation", "url": listing.online_url}
    lang = "fi" if listing.language == "fi" else "en"
    return {
        "@type": "Place",
        "name": listing.venue,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": place.street(lang),
            "postalCode": place.postal_code,
            "addressLocality": place.city(lang),
            "addressCountry": "FI",
        },
    }


def event_jsonld(listing: DemoListing, url: str, base_url: str) -> dict[str, Any]:
    """A schema.org Event (or subtype) for one listing."""
    event_type = next((h[5:] for h in listing.hints if h.startswith("type:")), "Event")
    utc = "tz:utc" in listing.hints
    languages = list(listing.event_languages)
    offer: dict[str, Any] = {
        "@type": "Offer",
        "price": price_amount(listing),
        "priceCurrency": "EUR",
        "url": listing.application_url(base_url) or url,
    }
    if listing.status != "cancelled":
        offer["availability"] = f"{SCHEMA}InStock"
    if listing.deadline is not None:
        offer["validThrough"] = iso(listing.deadline)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": event_type,
        "name": listing.title,
        "description": listing.description,
        "url": url,
        "startDate": iso(listing.start, utc=utc),
        "eventStatus": SCHEMA + STATUS_SCHEMA[listing.status],
        "eventAttendanceMode": attendance_mode(listing),
        "location": _location(listing),
        "organizer": {"@type": "Organization", "name": listing.organiser},
        "offers": offer,
        "inLanguage": languages[0] if len(languages) == 1 else languages,
    }
    if listing.end is not None:
        data["endDate"] = iso(listing.end, utc=utc)
    return data


def _graph(event: dict[str, Any], url: str, base_url: str, title: str) -> dict[str, Any]:
    """The same event inside an ``@graph`` with the page and the publisher, Yoast style."""
    publisher = {
        "@type": "Organization",
        "@id": f"{base_url}/tyollisyys/#organization",
        "name": "Helsingin kaupungin työllisyyspalvelut",
    }
    web_page = {
        "@type": "WebPage",
        "@id": url,
        "url": url,
        "name": title,
        "publisher": {"@id": publisher["@id"]},
    }
    event = {key: value for key, value in event.items() if key != "@context"}
    event["@id"] = f"{url}#event"
    event["mainEntityOfPage"] = {"@id": url}
    return {"@context": "https://schema.org", "@graph": [web_page, publisher, event]}


def render(
    site: DemoSite, listings: list[DemoListing], today: date, base_url: str
) -> dict[str, Resource]:
    home = base_url + site.home_path
    events_url = base_url + site.start_path
    files: dict[str, Resource] = {}
    items = []
    for listing in listings:
        url = absolute(base_url, listing.external_key)
        data = event_jsonld(listing, url, base_url)
        if "graph" in listing.hints:
            data = _graph(data, url, base_url, listing.title)
        files[listing.external_key] = event_page(
            listing,
            site_name=site.name,
            home=events_url,
            base_url=base_url,
            head=json_script(data),
        )
        items.append(
            f'<li lang="{listing.language}"><a class="event-link" href="{esc(url)}">'
            f'{esc(listing.title)}</a> <span class="date">{esc(fi_numeric(listing.start))}'
            "</span></li>"
        )
    body = (
        f"<h1>{TITLES['fi']}</h1>\n<p>{esc(INTRO)}</p>\n"
        f'<ul class="event-list">\n' + "\n".join(items) + "\n</ul>"
    )
    files[site.start_path] = page(
        lang="fi", title=TITLES["fi"], site_name=site.name, home=home, body=body
    )
    files[site.home_path] = front_page(
        lang="fi", site_name=site.name, home=home, link=events_url, link_text=TITLES["fi"]
    )
    return files
