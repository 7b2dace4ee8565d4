"""Auto-detection from a few fetches: the Probe state machine (pure: the caller fetches).

The caller fetches what ``next_url()`` names and hands back the answer with ``feed()`` (or
``failed()``), until ``next_url()`` says None; then ``result()`` tells which kind to crawl, at
which URL, and why. Routes are tried best first:

1. the URL itself is a calendar, a feed or a Linked Events API;
2. a calendar the page links (``<link rel="alternate" type="text/calendar">``, ``.ics`` or
   ``webcal:`` links, WordPress The Events Calendar's ``?ical=1``), fetched to check;
3. schema.org events (JSON-LD, microdata, RDFa) on the page itself;
4. a Linked Events API the page links to;
5. an RSS/Atom alternate whose items carry event data or dates;
6. schema.org events on the event pages the page links (a few are fetched).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapers.detect import (
    Candidate,
    Detection,
    is_linkedevents,
    linked_routes,
    parse_page,
    sniff,
    with_includes,
)
from scrapers.extractors import ExtractContext, ExtractError, extract
from scrapers.extractors.decode import decode_text
from scrapers.suggest import css_hint

MAX_FETCHES = 8
DETAIL_SAMPLES = 3


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
        if kind in ("ics", "rss") or (kind == "json" and is_linkedevents(body)):
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
        tree = parse_page(body, content_type) if kind == "html" else None
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
        calendars, apis, feeds = linked_routes(tree, url)
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
            # the time limit ended the probe before the URL answered
            self.found = Detection(
                None,
                self.url,
                "the URL did not answer in time",
                tried=self.tried,
                reachable=False,
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
