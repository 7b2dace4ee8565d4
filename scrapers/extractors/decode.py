"""Bytes to text for the extractors: the declared encoding, with a fallback for the usual lie.

Organiser sites often send Windows-1252 files labelled UTF-8. Such a body is not valid UTF-8,
so it is read as cp1252 instead of being filled with replacement characters.
"""

from __future__ import annotations

import codecs
import re

_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def declared_encoding(body: bytes, content_type: str | None) -> str | None:
    """The charset named by the HTTP header, else by the document itself (meta or XML)."""
    if content_type:
        match = _CHARSET.search(content_type.encode("latin-1", "replace"))
        if match:
            return match.group(1).decode("ascii").lower()
    head = body[:2048]
    match = _XML_ENCODING.match(head) or _CHARSET.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def _known(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def decode_text(body: bytes, content_type: str | None = None) -> str:
    """Decode a document: BOM, else the declared charset, else UTF-8; cp1252 when that fails."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    encoding = _known(declared_encoding(body, content_type)) or "utf-8"
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        pass
    if encoding in ("utf-8", "ascii", "iso8859-1", "latin-1"):
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError:
            return body.decode("latin-1")
    return body.decode(encoding, errors="replace")


# What may stand before a document's first element: white space, a BOM, an XML declaration
# and comments.
_PROLOGUE = re.compile(r"(?:\s+|\ufeff|<\?xml[^>]*>|<!--.*?-->)*", re.DOTALL)
# Documents that are surely no HTML page, whatever their properties or items carry inside.
_OTHER_STARTS = ("begin:vcalendar", "<rss", "<feed", "<rdf", "{", "[")


def document_start(text: str, size: int = 1024) -> str:
    """The beginning of a document in lower case, after its BOM, white space, XML declaration
    and comments: where sniffing looks (never at what a property or an item carries)."""
    head = text[: size * 4]
    return head[_PROLOGUE.match(head).end() :][:size].lower()  # type: ignore[union-attr]


def looks_like_html(text: str) -> bool:
    """An HTML page, judged by where the document starts: a calendar, a feed or JSON that
    carries a whole HTML document inside (an X-ALT-DESC, a CDATA description) is no page."""
    head = document_start(text)
    if head.startswith(("<!doctype html", "<html")):
        return True
    if head.startswith(_OTHER_STARTS):
        return False
    return "<body" in head or "<head" in head
