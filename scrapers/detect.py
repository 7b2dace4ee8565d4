"""Auto-detection: what kind of source a fetched page is, and which routes it links (pure).

:func:`sniff` tells a calendar, a feed, JSON and HTML apart; :func:`linked_routes` lists the
calendars, Linked Events APIs and feeds an HTML page links; :func:`detect` is the single-page
guess the spider uses for a source still of kind ``auto``. :mod:`scrapers.route_probe` builds on
these to check the routes with a few more fetches.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from scrapers.extractors.decode import decode_text
from scrapers.extractors.jsonload import load_json

_CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")


@dataclass(frozen=True)
class Candidate:
    kind: str
    url: str
    reason: str


@dataclass
class Detection:
    kind: str | None
    url: str
    reason: str
    records: int = 0
    config: dict[str, Any] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)
    hint: str | None = None
    # False when the URL itself could not be fetched (network error, time-out, HTTP 5xx):
    # then nothing is known about it yet.
    reachable: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def webcal_to_http(url: str, page_url: str) -> str:
    """webcal:// is HTTP(S) underneath: https, or http when the page itself is plain http."""
    if not url.lower().startswith("webcal://"):
        return url
    scheme = "http" if page_url.startswith("http://") else "https"
    return scheme + url[len("webcal") :]


def with_includes(url: str) -> str:
    """A Linked Events event list URL that asks for places and keywords to be embedded."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if not parts.path.rstrip("/").endswith("/event") or "include" in query:
        return url
    query["include"] = "location,keywords"
    return urlunsplit(parts._replace(query=urlencode(query, safe=",:")))


def sniff(body: bytes, content_type: str | None) -> str:
    """ics, rss, json, html or unknown, from the content type and the first bytes."""
    ctype = (content_type or "").split(";")[0].strip().casefold()
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if ctype in _CALENDAR_TYPES or head.startswith(b"begin:vcalendar"):
        return "ics"
    if ctype in _FEED_TYPES or (
        head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf"))
        and any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf"))
    ):
        return "rss"
    if ctype.endswith("json") or head.startswith((b"{", b"[")):
        return "json"
    if (
        b"<html" in head
        or b"<!doctype html" in head
        or ctype in ("text/html", "application/xhtml+xml")
    ):
        return "html"
    return "unknown"


def is_linkedevents(body: bytes) -> bool:
    try:
        data = load_json(decode_text(body))
    except ValueError:
        return False
    rows = data.get("data") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not isinstance(data.get("meta"), dict):
        return False
    # Events among the first rows (a row that is no object is skipped by the extractor).
    objects = [r for r in rows[:5] if isinstance(r, dict)]
    if rows[:5] and not objects:
        return False
    return all("start_time" in r or "deleted" in r for r in objects)


def linked_routes(
    tree: Any, page_url: str
) -> tuple[list[Candidate], list[Candidate], list[Candidate]]:
    """(calendar, Linked Events, feed) candidates linked from an HTML page, best first."""
    calendars: list[Candidate] = []
    apis: list[Candidate] = []
    feeds: list[Candidate] = []
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").casefold()
        ctype = (link.get("type") or "").casefold()
        href = webcal_to_http(urljoin(page_url, link.get("href").strip()), page_url)
        if "alternate" in rel and ctype in _CALENDAR_TYPES:
            calendars.append(
                Candidate("ics", href, f"the page links a calendar ({ctype}) in its head")
            )
        elif "alternate" in rel and ctype in _FEED_TYPES and "comments" not in href:
            feeds.append(Candidate("rss", href, f"the page links a feed ({ctype}) in its head"))
    for href in tree.xpath("//a/@href"):
        raw = str(href).strip()
        absolute = webcal_to_http(urljoin(page_url, raw), page_url)
        path = urlsplit(absolute).path.casefold()
        if raw.casefold().startswith("webcal:"):
            calendars.append(Candidate("ics", absolute, "the page links a webcal: subscription"))
        elif path.endswith((".ics", "/ical", "/ical/")) or re.search(r"[?&]ical=1\b", raw):
            calendars.append(Candidate("ics", absolute, "the page links an iCalendar file"))
        elif re.search(r"/v1/event/?$", path):
            apis.append(
                Candidate(
                    "linkedevents", with_includes(absolute), "the page links a Linked Events API"
                )
            )
    if not calendars and tree.xpath("//*[contains(@class, 'tribe-events')]"):
        ical = page_url + ("&" if "?" in page_url else "?") + "ical=1"
        calendars.append(Candidate("ics", ical, "a WordPress The Events Calendar page: ?ical=1"))
    return _unique(calendars), _unique(apis), _unique(feeds)


def _unique(candidates: list[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    return [c for c in candidates if not (c.url in seen or seen.add(c.url))]  # type: ignore[func-returns-value]


def parse_page(body: bytes, content_type: str | None) -> Any:
    text = decode_text(body, content_type)
    try:
        return lxml.html.fromstring(
            text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8")
        )
    except (etree.ParserError, ValueError):
        return None


def detect(body: bytes, url: str, content_type: str | None = None) -> Detection:
    """The best guess from one page alone (no further fetches): kind, URL to crawl, why."""
    kind = sniff(body, content_type)
    if kind == "ics":
        return Detection("ics", url, "the URL is an iCalendar feed")
    if kind == "rss":
        return Detection("rss", url, "the URL is an RSS/Atom feed")
    if kind == "json":
        if is_linkedevents(body):
            return Detection("linkedevents", with_includes(url), "the URL is a Linked Events API")
        return Detection(None, url, "the URL returns JSON of an unknown shape")
    tree = parse_page(body, content_type) if kind == "html" else None
    if tree is None:
        return Detection(
            None, url, f"the URL returns neither a page, a feed nor a calendar ({content_type})"
        )
    calendars, _apis, _feeds = linked_routes(tree, url)
    if calendars:
        return Detection("ics", calendars[0].url, calendars[0].reason)
    return Detection(
        "jsonld",
        url,
        "an HTML page: its schema.org events, or those of the event pages it links, will be read",
    )
