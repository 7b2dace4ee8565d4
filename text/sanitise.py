"""Text from the web made plain or safe, and text made comparable.

Every character of scraped text passes :func:`strip_controls`, the one rule for what may not
reach a record, a page, a feed, an e-mail or a terminal: C0 and C1 control characters (tab and
line breaks only as white space), terminal escape sequences as a whole, bidi overrides,
isolates and marks, and every other invisible format character (Unicode category Cf: zero
width space and joiners, word joiner, BOM, soft hyphen, ...), and lone surrogates. Per kind of
field it is applied by:

* :func:`clean_text`: one line of plain text (a title, a venue, a price; a digest's title or
  excerpt): tags out, entities decoded, white space collapsed;
* :func:`sanitise_html`: a description (a fragment or a whole HTML document, whose title is no
  text), as safe HTML and plain text that keep their lines
  (no scripts, handlers, styles, iframes, ``javascript:`` or ``data:`` URLs, and a length cap);
* :func:`clean_url` and :func:`clean_id`: links and identifiers (no white space at the ends);
* :func:`clean_data`: every string of JSON-like data (an extractor's extras);
* :func:`one_line`: a message that is no HTML (an error a site caused).

Matching compares words through :func:`fold` (lower case, no diacritics).
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from typing import Any

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
# Invisible format characters (Unicode category Cf, a few unassigned neighbours included):
# soft hyphen, Arabic and Syriac marks, zero width space/non-joiner/joiner, LRM/RLM/ALM, bidi
# embeddings, overrides and isolates, word joiner and invisible operators, BOM, interlinear
# annotations, Egyptian hieroglyph format controls, shorthand format controls, musical
# symbol formatting, tag characters. tests/test_sanitise.py checks it holds every Cf.
FORMAT_CHARS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
# Dropped: C0 controls but tab, line breaks and the unit separator; DEL; C1 controls but NEL;
# format characters; surrogates (a JSON "\\ud800" alone cannot be stored or encoded).
_DROP = re.compile(f"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f{FORMAT_CHARS}\ud800-\udfff]")
# Terminal escape sequences go whole: CSI ("ESC [ 31 m") and a terminated OSC ("ESC ] 8;;url
# BEL"); any other ESC (or C1 control) goes alone.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)")
# Line breaks (as str.splitlines reads them) and the white space controls.
_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SPACES = re.compile("\r\n|[\t\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
# Any character strip_controls drops or turns into white space (e.g. refused in a link).
CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{FORMAT_CHARS}\ud800-\udfff]")


def strip_controls(text: str, *, multiline: bool = False) -> str:
    """`text` without control characters, terminal escape sequences, bidi controls, other
    invisible format characters and lone surrogates.

    One line (the default): a tab or line break becomes a space. ``multiline``: line breaks
    (CR LF, CR, VT, FF, NEL, U+2028/2029, ...) become "\\n" and tabs stay. White space is
    otherwise left as it is."""
    if text.isprintable():  # no control, format, separator or surrogate character at all
        return text
    text = _DROP.sub("", _ESCAPES.sub("", text))
    if multiline:
        return _BREAKS.sub("\n", text).replace("\x1f", " ")
    return _SPACES.sub(" ", text)


def one_line(text: str | None) -> str:
    """One line without control or format characters, white space collapsed (no HTML is
    read: for messages that may quote a site)."""
    return " ".join(strip_controls(text).split()) if text else ""


def clean_url(raw: str | None) -> str | None:
    """A link as browsers read it: tabs and line breaks inside removed, control and format
    characters dropped, white space at the ends stripped; None when nothing is left."""
    if not raw:
        return None
    return strip_controls(re.sub(r"[\t\n\r]", "", raw)).strip() or None


def clean_id(raw: str | None) -> str | None:
    """An identifier (external id, series id) without control or format characters (a line
    break becomes a space); None when nothing is left."""
    if not raw:
        return None
    value = strip_controls(raw)
    return value if value.strip() else None


def clean_data(value: Any) -> Any:
    """JSON-like data (dicts, lists, strings, numbers) with every string, keys included,
    through :func:`strip_controls` (lines kept)."""
    if isinstance(value, str):
        return strip_controls(value, multiline=True)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_data(v) for v in value]
    return value


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
    text = one_line(text)
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

    Plain text (no tags) is escaped and its blank-line paragraphs become ``<p>``. Both keep
    their line breaks; everything else :func:`strip_controls` drops is gone, from the input
    and from what entities decode to.
    """
    raw = strip_controls(raw, multiline=True)
    if not _HTML_TAG.search(raw):
        unescaped = html.unescape(raw) if "&" in raw else raw
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", unescaped.strip()) if p.strip()]
        raw = "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    cleaned = nh3.clean(
        raw[: MAX_DESCRIPTION * 2],
        tags=_TAGS,
        clean_content_tags={"script", "style", "title", "template"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    text = re.sub(r"<(?:/p|/h\d|/ul|/ol)\s*>", "\n\n", cleaned)
    text = nh3.clean(re.sub(r"<(?:br|/li)\s*/?>", "\n", text), tags=set())
    text = strip_controls(html.unescape(text), multiline=True)
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    cleaned = strip_controls(cleaned, multiline=True)
    if len(cleaned) > MAX_DESCRIPTION:
        # cut with room for the end tags that cleaning closes again
        cleaned = nh3.clean(
            cleaned[: MAX_DESCRIPTION - 200], tags=_TAGS, attributes={"a": {"href"}}
        )
    return cleaned, text[:MAX_DESCRIPTION]
