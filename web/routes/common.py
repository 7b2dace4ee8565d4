"""Small helpers the routers share."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request

from store.models import Event
from web.config import WebConfig
from web.events import EventFilter
from web.formatting import http_url, zone_or_default

FEED_FORMATS = ("atom", "rss", "ics", "json")


def viewer_zone(request: Request, config: WebConfig) -> str:
    """`?tz=Area/City` when it is a real zone, else the site's zone."""
    return zone_or_default(request.query_params.get("tz"), config.timezone)


def feed_links(base_url: str, wanted: EventFilter, language: str) -> dict[str, str]:
    """Public feed URLs for the same filter (and a webcal:// one for calendar apps)."""
    query = urlencode([*wanted.query_items(), ("lang", language)])
    links = {fmt: f"{base_url}/feeds/events.{fmt}?{query}" for fmt in FEED_FORMATS}
    links["webcal"] = "webcal://" + links["ics"].split("://", 1)[1]
    return links


def personal_feed_links(base_url: str, token: str) -> dict[str, str]:
    links = {fmt: f"{base_url}/feeds/{token}/events.{fmt}" for fmt in FEED_FORMATS}
    links["webcal"] = "webcal://" + links["ics"].split("://", 1)[1]
    return links


def json_ld(
    event: Event, page_url: str, language: str, same_as: Sequence[str] | None = None
) -> Markup:
    """Our own schema.org Event, safe inside a <script type="application/ld+json">."""
    status = {
        "cancelled": "EventCancelled",
        "postponed": "EventPostponed",
        "rescheduled": "EventRescheduled",
    }.get(event.status, "EventScheduled")
    mode = {
        "online": "OnlineEventAttendanceMode",
        "hybrid": "MixedEventAttendanceMode",
    }.get(event.attendance, "OfflineEventAttendanceMode")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": page_url,
        "url": page_url,
        "name": (event.titles or {}).get(language) or event.title,
        "startDate": event.start_at.isoformat(),
        "eventStatus": f"https://schema.org/{status}",
        "eventAttendanceMode": f"https://schema.org/{mode}",
        # Pages only (the event page passes digest.links' pages: never an API document).
        "sameAs": [
            url for url in (event.urls if same_as is None else same_as) or [] if http_url(url)
        ],
    }
    if event.end_at:
        data["endDate"] = event.end_at.isoformat()
    if event.venue or event.city or event.address:
        data["location"] = {
            "@type": "Place",
            "name": event.venue or event.city,
            "address": event.address or event.city,
        }
    if event.language in ("fi", "sv", "en"):
        data["inLanguage"] = event.language
    if event.organiser:
        data["organizer"] = {"@type": "Organization", "name": event.organiser}
    text = json.dumps(data, ensure_ascii=False)
    # "</script>" or "<!--" in a scraped title must not end or confuse the script element.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - JSON with <, > and & escaped
