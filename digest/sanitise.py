"""Scraped text made safe for an e-mail: no markup, no control characters, bounded length.

Titles, places and descriptions come from organiser sites. Before they reach a template they
become plain text (tags dropped with nh3, entities decoded, whitespace collapsed); the HTML
template escapes them again. Nothing scraped can add a line to a header or a tag to a page.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u200b\ufeff]")
_SPACE = re.compile(r"\s+")
_MARKUP = re.compile(r"[<&]")


def clean_text(value: str | None, limit: int = 300) -> str:
    """One line of plain text, at most `limit` characters (cut at a word, with an ellipsis)."""
    if not value:
        return ""
    if _MARKUP.search(value):
        value = html.unescape(nh3.clean(value, tags=set()))
    return truncate(_SPACE.sub(" ", _CONTROL.sub(" ", value)).strip(), limit)


def truncate(value: str, limit: int) -> str:
    """At most `limit` characters, cut at a word, with an ellipsis."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def safe_url(value: str | None) -> str | None:
    """An http(s) URL without spaces or control characters, else None."""
    if not value:
        return None
    value = value.strip()
    if len(value) > 2000 or _CONTROL.search(value) or any(ch.isspace() for ch in value):
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
