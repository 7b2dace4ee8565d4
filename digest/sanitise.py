"""Scraped links made safe for an e-mail, and the site a link names.

Titles, places and descriptions come from organiser sites. Before they reach a template they
become one line of plain text with the one cleaner for text from the web
(:func:`text.sanitise.clean_text`, given the digest's length limit); the HTML template escapes
them again. Links keep only http(s) URLs without spaces or control characters. Nothing
scraped can add a line to a header or a tag to a page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from text.sanitise import CONTROL


def safe_url(value: str | None) -> str | None:
    """An http(s) URL without spaces or control characters, else None."""
    if not value:
        return None
    value = value.strip()
    if len(value) > 2000 or CONTROL.search(value) or any(ch.isspace() for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def site_name(url: str) -> str:
    """The host of a URL without 'www.', for "also listed at" links."""
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")
