"""An event's links lead to pages, never to an API document, and name their sources
(digest.links: one rule for the event page, feeds, .ics and digests)."""

from __future__ import annotations

import json

import feedparser
from icalendar import Calendar

from digest.links import ListingLink, event_links, is_api_document, listing_page
from tests.web.conftest import WebEnv

API = "https://api.hel.fi/linkedevents/v1/event/?include=location"
API_ITEM = "https://api.hel.fi/linkedevents/v1/event/helsinki:agf3/"


def link(**values: object) -> ListingLink:
    base: dict[str, object] = {
        "listing_id": 1,
        "source_name": "Helsingin tapahtumat",
        "kind": "linkedevents",
        "crawl_url": API,
        "url": None,
        "page_url": API,
    }
    return ListingLink(**{**base, **values})  # type: ignore[arg-type]


def test_an_api_document_is_no_page() -> None:
    assert is_api_document(API_ITEM, kind="linkedevents", crawl_url=API)
    assert is_api_document(
        "https://x.example/events.json", kind="jsonld", crawl_url="https://x.example/"
    )
    # Positive controls: the organiser's page on another host, and a web page source.
    assert not is_api_document(
        "https://tapahtumat.hel.fi/fi/events/helsinki:agf3", kind="linkedevents", crawl_url=API
    )
    assert not is_api_document(
        "https://x.example/events/1", kind="jsonld", crawl_url="https://x.example/"
    )
    assert listing_page(link()) is None
    assert listing_page(link(url=API_ITEM)) is None
    assert (
        listing_page(link(url="https://kirjasto.example/ohjelma/1"))
        == "https://kirjasto.example/ohjelma/1"
    )
    # A feed or a calendar file is not a page either; a web page source's page is.
    assert listing_page(link(kind="ics", page_url="https://x.example/cal")) is None
    assert (
        listing_page(link(kind="css", page_url="https://x.example/tapahtumat/"))
        == "https://x.example/tapahtumat/"
    )


def test_the_best_ranked_page_leads_and_the_others_are_named() -> None:
    links = event_links(
        [
            link(listing_id=1, priority=5),
            link(
                listing_id=2,
                source_name="Bron",
                kind="rss",
                url="https://bron.example/post-1",
                priority=2,
            ),
            link(
                listing_id=3,
                source_name="Työmessut",
                kind="css",
                url=None,
                page_url="https://messut.example/",
                priority=1,
            ),
        ]
    )
    assert links.page == "https://bron.example/post-1"
    assert links.listed_at == (
        ("Helsingin tapahtumat", None),
        ("Työmessut", "https://messut.example/"),
    )
    only_api = event_links([link()])
    assert only_api.page is None and only_api.listed_at == (("Helsingin tapahtumat", None),)


def seed(web: WebEnv) -> int:
    event_id = web.add_event(url=API, urls=[API, "https://bron.example/post-1"])
    api = web.add_source(name="Helsingin tapahtumat", url=API, kind="linkedevents", priority=5)
    bron = web.add_source(
        name="Integrationsföreningen Bron", url="https://bron.example/feed/", kind="rss"
    )
    web.add_listing(api, event_id, url=None, page_url=API)
    web.add_listing(
        bron, event_id, url="https://bron.example/post-1", page_url="https://bron.example/feed/"
    )
    return event_id


def test_event_page_feeds_and_ics_link_pages_and_name_sources(web: WebEnv) -> None:
    event_id = seed(web)
    page = web.client.get(f"/events/{event_id}?lang=en").text
    assert "api.hel.fi" not in page
    assert 'href="https://bron.example/post-1"' in page  # the organiser's page
    assert "Helsingin tapahtumat" in page  # named, not linked
    atom = web.client.get("/feeds/events.atom?lang=en").content
    entry = feedparser.parse(atom).entries[0]
    assert "api.hel.fi" not in atom.decode() and "Helsingin tapahtumat" in entry.content[0].value
    calendar = Calendar.from_ical(web.client.get(f"/events/{event_id}.ics").content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["URL"]) == "https://bron.example/post-1"
    assert "Helsingin tapahtumat" in str(vevent["DESCRIPTION"])
    assert "api.hel.fi" not in calendar.to_ical().decode()
    feed = json.loads(web.client.get("/feeds/events.json").content)
    assert feed["items"][0]["external_url"] == "https://bron.example/post-1"


def test_without_an_organiser_page_the_link_is_our_event_page(web: WebEnv) -> None:
    event_id = web.add_event(url=API, urls=[API])
    api = web.add_source(name="Helsingin tapahtumat", url=API, kind="linkedevents")
    web.add_listing(api, event_id, url=None, page_url=API)
    calendar = Calendar.from_ical(web.client.get(f"/events/{event_id}.ics").content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["URL"]) == f"http://testserver/events/{event_id}"
    page = web.client.get(f"/events/{event_id}?lang=en").text
    assert "api.hel.fi" not in page and "Event page at the organiser" not in page
    assert "Helsingin tapahtumat" in page
