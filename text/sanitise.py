"""Text from the web made plain or safe, and text made comparable.

Every scraped field that should be one line of plain text (a title, a venue, a price; a
digest's title or excerpt) goes through :func:`clean_text`. Scraped HTML reaches pages,
feeds and e-mails only through :func:`sanitise_html`: no scripts, handlers, styles, iframes,
``javascript:`` or ``data:`` URLs, and a length cap. Matching compares words through
:func:`fold` (lower case, no diacritics).
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import nh3

MAX_DESCRIPTION = 20_000
_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a", "h3", "h4"}
_HTML_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>")
# Comments and the content of scripts and styles are no text (an unclosed one runs to the end,
# as nh3 reads it).
_HIDDEN = re.compile(
    r"<!--.*?(?:-->|$)|<(?P<tag>script|style)\b[^>]*>.*?(?:</(?P=tag)\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)
# Characters that may not reach a line of text, a header or a page: C0/C1 controls, line and
# paragraph separators, zero-width space, byte-order mark.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u200b\ufeff]")


@lru_cache(maxsize=4096)
def clean_text(raw: str | None, limit: int | None = None) -> str:
    """One line of plain text: tags out (a script's or style's content too), entities decoded
    (twice-escaped ones too), control characters out, white space collapsed; at most `limit`
    characters when one is given (cut at a word, with an ellipsis). "" for None."""
    if not raw:
        return ""
    text = _HTML_TAG.sub(" ", _HIDDEN.sub(" ", raw)) if "<" in raw else raw
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
    text = " ".join(CONTROL.sub(" ", text).split())
    return text if limit is None else truncate(text, limit)


def truncate(value: str, limit: int) -> str:
    """At most `limit` characters, cut at a word, with an ellipsis."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


_FOLD = str.maketrans(
    {
        "ä": "a", "ö": "o", "å": "a", "é": "e", "è": "e", "ü": "u", "á": "a", "à": "a",
        "ó": "o", "í": "i", "š": "s", "ž": "z", "õ": "o", "ø": "o", "æ": "ae", "ç": "c",
        "–": "-", "—": "-", "’": "'",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Lower case without diacritics ("Työnhaku" → "tyonhaku", "Åbo" → "abo")."""
    folded = text.casefold().translate(_FOLD)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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
