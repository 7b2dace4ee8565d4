"""Extractors by source kind. `extract(kind, body, ctx)` is the one entry point.

The public kinds are the source kinds of store.vocab; ``jsonld-detail`` is internal: the kind
that links followed from a listing page or a feed are read with.
"""

from __future__ import annotations

from importlib import import_module

from scrapers.extractors.base import (
    CSS_DETAIL_KIND,
    JSONLD_DETAIL_KIND,
    ExtractContext,
    ExtractError,
    Extraction,
    Extractor,
)

DETAIL_KIND = JSONLD_DETAIL_KIND
# kind -> "module:function". Modules are imported on first use, so that a crawl loads only the
# extractor (and its libraries: icalendar, feedparser, extruct...) its source needs.
_EXTRACTORS: dict[str, str] = {
    "jsonld": "scrapers.extractors.jsonld:extract_jsonld",
    "ics": "scrapers.extractors.ics:extract_ics",
    "rss": "scrapers.extractors.rss:extract_rss",
    "linkedevents": "scrapers.extractors.linkedevents:extract_linkedevents",
    "css": "scrapers.extractors.css:extract_css",
    DETAIL_KIND: "scrapers.extractors.jsonld:extract_jsonld_detail",
    CSS_DETAIL_KIND: "scrapers.extractors.css:extract_css_detail",
}
INTERNAL_KINDS = (DETAIL_KIND, CSS_DETAIL_KIND)
_LOADED: dict[str, Extractor] = {}


def supported_kinds() -> tuple[str, ...]:
    """The kinds a source can be given (internal follow-up kinds left out)."""
    return tuple(kind for kind in _EXTRACTORS if kind not in INTERNAL_KINDS)


def extractor_for(kind: str) -> Extractor:
    """The extractor of `kind`; ExtractError for an unknown kind."""
    found = _LOADED.get(kind)
    if found is None:
        try:
            module, name = _EXTRACTORS[kind].split(":")
        except KeyError:
            raise ExtractError(
                f"no extractor for kind {kind!r}; available: {', '.join(supported_kinds())}"
            ) from None
        found = _LOADED[kind] = getattr(import_module(module), name)
    return found


def extract(kind: str, body: bytes, ctx: ExtractContext) -> Extraction:
    """Run the extractor for `kind`; raise ExtractError for an unknown kind or unreadable body."""
    extractor = extractor_for(kind)
    if not body.strip():
        raise ExtractError("empty document (0 bytes of content)")
    if len(body) > ctx.max_bytes:
        raise ExtractError(
            f"document of {len(body) / 1_048_576:.1f} MB is over the size cap of "
            f"{ctx.max_bytes / 1_048_576:.1f} MB"
        )
    return extractor(body, ctx)


__all__ = [
    "ExtractContext",
    "ExtractError",
    "Extraction",
    "extract",
    "extractor_for",
    "supported_kinds",
]
