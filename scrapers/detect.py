"""Auto-detection: which kind of source a fetched page is, and which URL to crawl (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Detection:
    kind: str | None
    url: str
    reason: str


def detect(body: bytes, url: str, content_type: str | None = None) -> Detection:
    """Guess the kind from the content type and the first bytes of the body."""
    ctype = (content_type or "").split(";")[0].strip().casefold()
    head = body[:2048].lstrip().lower()
    if ctype in ("text/calendar", "application/ics") or head.startswith(b"begin:vcalendar"):
        return Detection("ics", url, "the URL is an iCalendar feed")
    if head.startswith((b"<?xml", b"<rss", b"<feed")) and (
        b"<rss" in head or b"<feed" in head or b"<rdf" in head
    ):
        return Detection("rss", url, "the URL is an RSS/Atom feed")
    if ctype.endswith("json") or head.startswith((b"{", b"[")):
        try:
            data = json.loads(body)
        except ValueError:
            return Detection(None, url, "the URL returns JSON that cannot be read")
        if isinstance(data, dict) and "data" in data and "meta" in data:
            return Detection("linkedevents", url, "the URL is a Linked Events style API")
        return Detection(None, url, "the URL returns JSON of an unknown shape")
    if b"application/ld+json" in body or b"schema.org/event" in body.lower():
        return Detection("jsonld", url, "the page carries schema.org events")
    return Detection("jsonld", url, "an HTML page: event pages linked from it will be read")
