"""Auto-detection: how to read an organiser's URL, decided from a few fetched pages (pure).

:class:`Probe` is a small state machine: the caller fetches what ``next_url()`` names and
hands back the answer with ``feed()`` (or ``failed()``), until ``next_url()`` says None; then
``result()`` tells which kind to crawl, at which URL, and why. Routes are tried best first:

1. the URL itself is a calendar, a feed or a Linked Events API;
2. a calendar the page links (``<link rel="alternate" type="text/calendar">``, ``.ics`` or
   ``webcal:`` links, WordPress The Events Calendar's ``?ical=1``), fetched to check;
3. schema.org events (JSON-LD, microdata, RDFa) on the page itself;
4. a Linked Events API the page links to;
5. an RSS/Atom alternate whose items carry event data or dates;
6. schema.org events on the event pages the page links to (a few are fetched).

:func:`detect` is the single-page guess the spider uses for a source still of kind ``auto``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from scrapers.extractors import ExtractContext, ExtractError, extract
from scrapers.extractors.decode import decode_text
from scrapers.suggest import css_hint

MAX_FETCHES = 8
DETAIL_SAMPLES = 3
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


def _is_linkedevents(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    rows = data.get("data") if isinstance(data, dict) else None
    return (
        isinstance(rows, list)
        and isinstance(data.get("meta"), dict)
        and all(isinstance(r, dict) and ("start_time" in r or "deleted" in r) for r in rows[:5])
    )


def _links(tree: Any, page_url: str) -> tuple[list[Candidate], list[Candidate], list[Candidate]]:
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


def _tree(body: bytes, content_type: str | None) -> Any:
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
        if _is_linkedevents(body):
            return Detection("linkedevents", with_includes(url), "the URL is a Linked Events API")
        return Detection(None, url, "the URL returns JSON of an unknown shape")
    tree = _tree(body, content_type) if kind == "html" else None
    if tree is None:
        return Detection(
            None, url, f"the URL returns neither a page, a feed nor a calendar ({content_type})"
        )
    calendars, _apis, _feeds = _links(tree, url)
    if calendars:
        return Detection("ics", calendars[0].url, calendars[0].reason)
    return Detection(
        "jsonld",
        url,
        "an HTML page: its schema.org events, or those of the event pages it links, will be read",
    )


class Probe:
    """Decides how to read a URL from a handful of fetches; the caller does the fetching."""

    def __init__(
        self,
        url: str,
        now: datetime,
        *,
        config: dict[str, Any] | None = None,
        timezone: str = "Europe/Helsinki",
        languages: tuple[str, ...] = ("fi", "sv", "en"),
        max_fetches: int = MAX_FETCHES,
    ) -> None:
        self.url = url
        self.now = now
        self.config = dict(config or {})
        self.timezone = timezone
        self.languages = languages
        self.max_fetches = max_fetches
        self.fetches = 0
        self.tried: list[str] = []
        self.plan: list[Candidate] = []
        self.pending: Candidate | None = Candidate("page", url, "the URL given")
        self.found: Detection | None = None
        self.page_events = 0
        self.details: list[str] = []
        self.page_text: str | None = None

    # --- the caller's side ---------------------------------------------------------------
    def next_url(self) -> str | None:
        if self.found is not None:
            return None
        if self.pending is None:
            self._advance()
        if self.pending is None or self.fetches >= self.max_fetches:
            return None
        return self.pending.url

    def feed(self, url: str, status: int, content_type: str | None, body: bytes) -> None:
        candidate = self._take()
        if status >= 400:
            self._note(candidate, f"HTTP {status}")
            if candidate.kind == "page":
                self.found = Detection(
                    None,
                    self.url,
                    f"the URL answered HTTP {status}",
                    tried=self.tried,
                    reachable=status < 500,
                )
            return
        if candidate.kind == "page":
            self._first_page(url, content_type, body)
        elif candidate.kind == "detail":
            self._detail_page(candidate, url, content_type, body)
        else:
            self._check(candidate, url, content_type, body)

    def failed(self, url: str, message: str) -> None:
        candidate = self._take()
        self._note(candidate, f"failed: {message}")
        if candidate.kind == "page":
            self.found = Detection(
                None,
                self.url,
                f"the URL could not be fetched: {message}",
                tried=self.tried,
                reachable=False,
            )

    def result(self) -> Detection:
        if self.found is None:
            self._conclude()
        assert self.found is not None
        return self.found

    # --- internals -----------------------------------------------------------------------
    def _take(self) -> Candidate:
        assert self.pending is not None, "feed() without a pending fetch"
        self.fetches += 1
        candidate, self.pending = self.pending, None
        return candidate

    def _note(self, candidate: Candidate, outcome: str) -> None:
        self.tried.append(f"{candidate.kind} {candidate.url}: {outcome}")

    def _context(self, url: str, content_type: str | None) -> ExtractContext:
        return ExtractContext(
            url=url,
            now=self.now,
            timezone=self.timezone,
            languages=self.languages,
            config=self.config,
            content_type=content_type,
            include_past=True,
        )

    def _run(self, kind: str, url: str, content_type: str | None, body: bytes) -> tuple[int, str]:
        try:
            result = extract(kind, body, self._context(url, content_type))
        except ExtractError as exc:
            return -1, str(exc)
        return len(result.records), f"{len(result.records)} events"

    def _first_page(self, url: str, content_type: str | None, body: bytes) -> None:
        kind = sniff(body, content_type)
        if kind in ("ics", "rss") or (kind == "json" and _is_linkedevents(body)):
            kind = "linkedevents" if kind == "json" else kind
            count, outcome = self._run(kind, url, content_type, body)
            self.tried.append(f"{kind} {url}: {outcome}")
            what = {
                "ics": "an iCalendar feed",
                "rss": "an RSS/Atom feed",
                "linkedevents": "a Linked Events API",
            }[kind]
            crawl_url = with_includes(url) if kind == "linkedevents" else url
            if count < 0:
                self.found = Detection(
                    None, url, f"the URL is {what} but cannot be read: {outcome}", tried=self.tried
                )
            else:
                self.found = Detection(
                    kind, crawl_url, f"the URL is {what} ({outcome})", count, tried=self.tried
                )
            return
        if kind == "json":
            self.found = Detection(
                None,
                url,
                "the URL returns JSON of an unknown shape (not a Linked Events API)",
                tried=self.tried,
            )
            return
        tree = _tree(body, content_type) if kind == "html" else None
        if tree is None:
            self.found = Detection(
                None,
                url,
                "the URL returns neither a page, a feed nor a calendar "
                f"({content_type or 'no content type'})",
                tried=self.tried,
            )
            return
        self.page_text = decode_text(body, content_type)
        calendars, apis, feeds = _links(tree, url)
        try:
            page = extract("jsonld", body, self._context(url, content_type))
            self.page_events = len(page.records)
            self.details = page.follow[:DETAIL_SAMPLES]
        except ExtractError:
            self.page_events, self.details = 0, []
        self.tried.append(f"jsonld {url}: {self.page_events} schema.org events on the page")
        self.plan = [*calendars[:2], Candidate("page-events", url, ""), *apis[:1], *feeds[:2]]
        self.plan += [Candidate("detail", link, "") for link in self.details]

    def _advance(self) -> None:
        while self.plan and self.pending is None and self.found is None:
            step = self.plan.pop(0)
            if step.kind == "page-events":
                if self.page_events:
                    self.found = Detection(
                        "jsonld",
                        self.url,
                        f"{self.page_events} schema.org events (JSON-LD, microdata or RDFa) "
                        "on the page",
                        self.page_events,
                        tried=self.tried,
                    )
                continue
            self.pending = step

    def _check(self, candidate: Candidate, url: str, content_type: str | None, body: bytes) -> None:
        sniffed = sniff(body, content_type)
        expected = {"ics": "ics", "rss": "rss", "linkedevents": "json"}[candidate.kind]
        if sniffed != expected:
            self._note(candidate, f"not {candidate.kind} ({content_type or sniffed})")
            return
        count, outcome = self._run(candidate.kind, url, content_type, body)
        self._note(candidate, outcome)
        usable = count > 0 or (candidate.kind == "ics" and count == 0)
        if usable:
            self.found = Detection(
                candidate.kind,
                candidate.url,
                f"{candidate.reason} ({outcome})",
                max(count, 0),
                tried=self.tried,
            )

    def _detail_page(
        self, candidate: Candidate, url: str, content_type: str | None, body: bytes
    ) -> None:
        count, outcome = self._run("jsonld-detail", url, content_type, body)
        self._note(candidate, outcome)
        if count > 0:
            self.found = Detection(
                "jsonld",
                self.url,
                f"the page links event pages with schema.org events ({url}: {outcome}); "
                "they will be followed",
                count,
                config=self.config,
                tried=self.tried,
            )

    def _conclude(self) -> None:
        if self.page_text is None:
            self.found = Detection(
                None, self.url, "nothing could be read at the URL", tried=self.tried
            )
            return
        self.found = Detection(
            None,
            self.url,
            "no calendar, feed, Linked Events API or schema.org events were found on the page "
            f"or on {len(self.details)} of the pages it links",
            tried=self.tried,
            hint=css_hint(self.page_text, self.url, self.now.date()),
        )
