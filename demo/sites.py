"""The six demo organiser sites: their metadata and the files they serve.

``DEMO_SITES`` tells the aggregator how to read each site (``kind``, start path, CSS
selectors); :func:`build_sites` renders every site's files from the catalogue. Each site
lives under ``/<slug>/`` on one server; absolute links use the given ``base_url``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from demo import (
    catalogue,
    site_css,
    site_ics,
    site_jsonld,
    site_linkedevents,
    site_microdata,
    site_rss,
)
from demo.catalogue import DemoListing, build_catalogue, listings_for
from demo.render import Resource, esc, label, page

ORGANISER = "organiser"
AGGREGATOR = "aggregator"

TYOMESSUT_SELECTORS: Mapping[str, Any] = {
    "item": "article.event",
    "title": "h2 a::text",
    "date": ".date::text",
    "time": ".time::text",
    "location": ".location::text",
    "link": "h2 a::attr(href)",
    "description": ".summary::text",
    "next_page": "a.next::attr(href)",
    "date_languages": ["fi", "en"],
}


@dataclass(frozen=True)
class DemoSite:
    """How the aggregator should read one demo site.

    ``kind`` is the source kind (``jsonld``, ``rss``, ``ics``, ``css``, ``linkedevents``);
    ``format`` says precisely what the site publishes (the microdata site is read by the
    ``jsonld`` extractor). ``detail_links`` is a parsel selector for the event pages linked
    from the start page, when the events are not on the start page itself. ``priority``:
    higher wins when merged fields disagree (organisers over aggregators that re-list).
    """

    slug: str
    name: str
    organiser: str
    languages: tuple[str, ...]
    kind: str
    format: str
    start_path: str
    home_path: str
    role: str
    priority: int
    detail_links: str | None = None
    css: Mapping[str, Any] | None = None
    notes: str = ""

    def start_url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.start_path


DEMO_SITES: tuple[DemoSite, ...] = (
    DemoSite(
        catalogue.TYOLLISYYS,
        "Työllisyyspalvelut Helsinki – tapahtumat",
        "Helsingin kaupungin työllisyyspalvelut",
        ("fi", "en"),
        "jsonld",
        "json-ld",
        "/tyollisyys/tapahtumat/",
        "/tyollisyys/",
        AGGREGATOR,
        1,
        detail_links="ul.event-list a.event-link::attr(href)",
        notes="City employment service; also re-lists partners' events. One schema.org Event "
        "per detail page (Event, EducationEvent, BusinessEvent; one page uses @graph).",
    ),
    DemoSite(
        catalogue.BRON,
        "Integrationsföreningen Bron rf",
        "Integrationsföreningen Bron rf",
        ("sv", "fi", "en"),
        "rss",
        "rss2 (WordPress, ev: module on some items)",
        "/bron/feed/",
        "/bron/",
        ORGANISER,
        2,
        notes="Items without ev: elements carry dates only in the text (Tid:/Aika:/When:, "
        "'Programmet startar ...', 'Ansökningstiden går ut 31.1.2027'). guid is the key.",
    ),
    DemoSite(
        catalogue.URAPALVELUT,
        "University of Uusimaa Career Services",
        "Uudenmaan yliopiston urapalvelut",
        ("en", "fi"),
        "ics",
        "icalendar",
        "/urapalvelut/events.ics",
        "/urapalvelut/",
        ORGANISER,
        2,
        notes="Weekly CV clinic: RRULE with EXDATE and a RECURRENCE-ID override; occurrence "
        "keys are '<UID>#<n>'. One UTC, one floating time; X-WR-TIMEZONE.",
    ),
    DemoSite(
        catalogue.TYOMESSUT,
        "Työmessut Suomi",
        "Työmessut Suomi Oy",
        ("fi", "en"),
        "css",
        "html",
        "/tyomessut/tapahtumat/",
        "/tyomessut/",
        ORGANISER,
        2,
        css=TYOMESSUT_SELECTORS,
        notes="Plain HTML list on two pages (a.next); date and time only as text in fi/en "
        "styles; links are relative to the site, as a CMS writes them.",
    ),
    DemoSite(
        catalogue.LINKEDEVENTS,
        "Pääkaupunkiseudun tapahtumarajapinta (Linked Events demo)",
        "Pääkaupunkiseudun kaupungit",
        ("fi", "sv", "en"),
        "linkedevents",
        "linkedevents-json",
        "/linkedevents/v1/event/?include=location,keywords&sort=start_time&page_size=10",
        "/linkedevents/",
        AGGREGATOR,
        1,
        notes="Page size 10, follow meta.next; only ?page=N selects anything (other filters "
        "are ignored). Skip the recurring super event and deleted rows.",
    ),
    DemoSite(
        catalogue.MEDBORGAR,
        "Svenska medborgarinstitutet i Helsingfors",
        "Svenska medborgarinstitutet i Helsingfors",
        ("sv",),
        "jsonld",
        "microdata",
        "/medborgarinstitut/evenemang/",
        "/medborgarinstitut/",
        ORGANISER,
        2,
        notes="schema.org Event/EducationEvent as microdata on the listing page; startDate "
        "without offset means Europe/Helsinki. Key: the itemprop=url path.",
    ),
)

Renderer = Callable[[DemoSite, list[DemoListing], date, str], dict[str, Resource]]
RENDERERS: dict[str, Renderer] = {
    catalogue.TYOLLISYYS: site_jsonld.render,
    catalogue.BRON: site_rss.render,
    catalogue.URAPALVELUT: site_ics.render,
    catalogue.TYOMESSUT: site_css.render,
    catalogue.LINKEDEVENTS: site_linkedevents.render,
    catalogue.MEDBORGAR: site_microdata.render,
}


@dataclass(frozen=True)
class Site:
    """A rendered demo site: its metadata and its files (path -> resource)."""

    meta: DemoSite
    files: dict[str, Resource]


def _form_pages(listings: list[DemoListing], site: DemoSite, base_url: str) -> dict[str, Resource]:
    files: dict[str, Resource] = {}
    for listing in listings:
        path = listing.application_path
        if path and path.startswith(f"/{site.slug}/") and path not in files:
            lang = site.languages[0]
            body = (
                f"<h1>{label(lang, 'form')}</h1><p>{esc(listing.title)}</p>"
                f'<form method="post"><p>{label(lang, "form_text")}</p></form>'
            )
            files[path] = page(
                lang=lang,
                title=label(lang, "form"),
                site_name=site.name,
                home=base_url + site.home_path,
                body=body,
            )
    return files


def build_sites(today: date, base_url: str) -> dict[str, Site]:
    """Every demo site's files, generated from the catalogue for ``today``."""
    listings = build_catalogue(today)
    base_url = base_url.rstrip("/")
    sites: dict[str, Site] = {}
    for meta in DEMO_SITES:
        files = RENDERERS[meta.slug](meta, listings_for(listings, meta.slug), today, base_url)
        files.update(_form_pages(listings, meta, base_url))
        sites[meta.slug] = Site(meta, files)
    return sites


ROBOTS = Resource("text/plain; charset=utf-8", b"User-agent: *\nAllow: /\n")


def build_files(today: date, base_url: str) -> dict[str, Resource]:
    """All files of all sites in one mapping, plus ``/robots.txt`` and an index page."""
    files: dict[str, Resource] = {"/robots.txt": ROBOTS}
    sites = build_sites(today, base_url)
    links = "\n".join(
        f'<li><a href="{esc(s.meta.start_url(base_url))}">{esc(s.meta.name)}</a>'
        f" ({s.meta.format})</li>"
        for s in sites.values()
    )
    files["/"] = page(
        lang="en",
        title="Demo organiser sites",
        site_name="Tapahtumavahti demo",
        home="/",
        body=f"<h1>Demo organiser sites</h1>\n<ul>\n{links}\n</ul>",
    )
    for site in sites.values():
        files.update(site.files)
    return files
