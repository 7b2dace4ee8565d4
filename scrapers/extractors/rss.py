"""RSS and Atom feeds (feedparser), parsed safely.

The XML is first checked with defusedxml: a feed that declares entities ("billion laughs") or
refers to external ones is refused before anything expands them. An item becomes an event

1. from event data in the feed: the RSS event module (``ev:startdate`` ...) or xCal;
2. else from dates in its text ("Tid: torsdag 14 januari 2027 kl. 17–19"), skipping the
   application deadline ("Ansökningstiden går ut 31.1.2027"), which becomes the deadline;
3. else, for The Events Calendar style feeds whose ``pubDate`` is the event's start, from the
   ``pubDate`` when the source's config says ``"pubdate_is_start": true``;
4. else its link is followed and read for schema.org events (``"follow": "never"`` turns this
   off; ``"always"`` reads every item's page instead of the feed's text).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import ParseError
from zoneinfo import ZoneInfo

import defusedxml.ElementTree
import feedparser
from defusedxml import DefusedXmlException

from scrapers.calls import find_call
from scrapers.dates import event_span
from scrapers.extractors.base import ExtractContext, ExtractError, Extraction
from scrapers.extractors.decode import decode_text, looks_like_html
from scrapers.extractors.jsonld import DETAIL_KIND
from scrapers.normalise import RawEvent
from text.lexicon import labelled_place
from text.sanitise import sanitise_html


def check_xml(body: bytes, url: str) -> str | None:
    """Refuse entity declarations and external references; say if the XML is not well formed."""
    try:
        defusedxml.ElementTree.fromstring(
            body, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise ExtractError(
            "refused: the feed declares XML entities or external references "
            f"({type(exc).__name__}); entity expansion is never allowed"
        ) from None
    except (ParseError, LookupError) as exc:  # LookupError: an encoding Python does not know
        if b"<!entity" in body[:65536].lower():
            raise ExtractError("refused: the feed declares XML entities") from None
        return f"{url}: the feed is not well-formed XML ({exc}); read what could be read"
    return None


def extract_rss(body: bytes, ctx: ExtractContext) -> Extraction:
    text = decode_text(body, ctx.content_type)
    if looks_like_html(text):
        raise ExtractError("expected an RSS or Atom feed, got an HTML page")
    problem = check_xml(body, ctx.url)
    headers = {"content-location": ctx.url}
    if ctx.content_type:
        headers["content-type"] = ctx.content_type
    feed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    if not feed.entries and (problem or feed.get("bozo")) and not feed.feed.get("title"):
        raise ExtractError(problem or f"not an RSS or Atom feed ({feed.get('bozo_exception')})")
    result = Extraction(errors=[problem] if problem else [])
    follow_mode = str(ctx.config.get("follow") or "auto")
    feed_language = feed.feed.get("language")
    for entry in feed.entries:
        link = entry.get("link")
        if follow_mode == "always" and link:
            result.follow.append(link)
            continue
        raw = _raw(entry, feed_language, ctx)
        if raw is None:
            if link and follow_mode != "never":
                result.follow.append(link)
            continue
        result.add(raw, ctx, noun="item", name=raw.title or link)
    if result.follow:
        result.follow_kind = DETAIL_KIND
    result.next_pages = [
        link["href"] for link in feed.feed.get("links", []) if link.get("rel") == "next"
    ]
    return result


def _content(entry: Any) -> str:
    contents = entry.get("content") or []
    html = next((c.get("value") for c in contents if c.get("value")), None)
    return str(html or entry.get("summary") or "")


def _raw(entry: Any, feed_language: str | None, ctx: ExtractContext) -> RawEvent | None:
    """The item as a RawEvent, or None when it carries no date of an event."""
    html = _content(entry)
    raw = RawEvent(
        title=entry.get("title"),
        description=html,
        text_language=entry.get("language") or feed_language,
        external_id=entry.get("id") or entry.get("link"),
        url=entry.get("link"),
        page_url=ctx.url,
        keywords=[t.get("term") for t in entry.get("tags", []) if t.get("term")],
        organiser=entry.get("ev_organizer") or entry.get("xcal_organizer"),
        location_text=entry.get("ev_location") or entry.get("xcal_location"),
    )
    if entry.get("ev_type"):
        raw.keywords.append(entry["ev_type"])
    start = entry.get("ev_startdate") or entry.get("xcal_dtstart")
    if start:
        raw.start = start
        raw.end = entry.get("ev_enddate") or entry.get("xcal_dtend")
        return raw
    text = f"{raw.title or ''}\n{sanitise_html(html)[1]}"
    raw.location_text = raw.location_text or labelled_place(text)
    today = ctx.now.astimezone(ZoneInfo(ctx.timezone)).date()
    call = find_call(text, today, tuple(ctx.languages))
    skip = ((call.at, call.stop),) if call else ()
    span = event_span(text, today, tuple(ctx.languages), skip=skip)
    if span is not None:
        raw.start = span.start.date() if span.all_day else span.start
        raw.end = (span.end.date() if span.all_day else span.end) if span.end else None
        return raw
    published = entry.get("published_parsed")
    if ctx.config.get("pubdate_is_start") and published:
        raw.start = datetime.fromtimestamp(calendar.timegm(published), UTC)
        return raw
    return None
