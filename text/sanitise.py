"""Text from the web made safe: markup out of plain fields, descriptions sanitised with nh3.

Scraped HTML reaches pages, feeds and e-mails only through :func:`sanitise_html`: no
scripts, handlers, styles, iframes, ``javascript:`` or ``data:`` URLs, and a length cap.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3

MAX_DESCRIPTION = 20_000
_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a", "h3", "h4"}
_HTML_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>")


@lru_cache(maxsize=4096)
def clean_text(raw: str) -> str:
    """Tags out, entities decoded (twice-escaped ones too), white space collapsed."""
    text = _HTML_TAG.sub(" ", raw) if "<" in raw else raw
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
    return " ".join(text.split())


@lru_cache(maxsize=2048)
def sanitise_html(raw: str) -> tuple[str, str]:
    """Safe HTML (no scripts, handlers, styles, iframes, javascript:/data: URLs) and plain text.

    Plain text (no tags) is escaped and its blank-line paragraphs become ``<p>``.
    """
    if not _HTML_TAG.search(raw):
        unescaped = html.unescape(raw) if "&" in raw else raw
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", unescaped.strip()) if p.strip()]
        raw = "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    cleaned = nh3.clean(
        raw[: MAX_DESCRIPTION * 2],
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    text = re.sub(r"<(?:/p|/h\d|/ul|/ol)\s*>", "\n\n", cleaned)
    text = nh3.clean(re.sub(r"<(?:br|/li)\s*/?>", "\n", text), tags=set())
    text = html.unescape(text)
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(cleaned) > MAX_DESCRIPTION:
        # cut with room for the end tags that cleaning closes again
        cleaned = nh3.clean(
            cleaned[: MAX_DESCRIPTION - 200], tags=_TAGS, attributes={"a": {"href"}}
        )
    return cleaned, text[:MAX_DESCRIPTION]
