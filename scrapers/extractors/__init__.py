"""Extractors by source kind. `extract(kind, body, ctx)` is the one entry point.

The public kinds are the source kinds of store.vocab; ``jsonld-detail`` is internal: the kind
that links followed from a listing page or a feed are read with.
"""

from __future__ import annotations

from scrapers.extractors.base import ExtractContext, ExtractError, Extraction, Extractor
from scrapers.extractors.css import DETAIL_KIND as CSS_DETAIL_KIND
from scrapers.extractors.css import extract_css, extract_css_detail
from scrapers.extractors.ics import extract_ics
from scrapers.extractors.jsonld import DETAIL_KIND, extract_jsonld, extract_jsonld_detail
from scrapers.extractors.linkedevents import extract_linkedevents
from scrapers.extractors.rss import extract_rss

EXTRACTORS: dict[str, Extractor] = {
    "jsonld": extract_jsonld,
    "ics": extract_ics,
    "rss": extract_rss,
    "linkedevents": extract_linkedevents,
    "css": extract_css,
    DETAIL_KIND: extract_jsonld_detail,
    CSS_DETAIL_KIND: extract_css_detail,
}
INTERNAL_KINDS = (DETAIL_KIND, CSS_DETAIL_KIND)


def supported_kinds() -> tuple[str, ...]:
    """The kinds a source can be given (internal follow-up kinds left out)."""
    return tuple(kind for kind in EXTRACTORS if kind not in INTERNAL_KINDS)


def extract(kind: str, body: bytes, ctx: ExtractContext) -> Extraction:
    """Run the extractor for `kind`; raise ExtractError for an unknown kind or unreadable body."""
    try:
        extractor = EXTRACTORS[kind]
    except KeyError:
        raise ExtractError(
            f"no extractor for kind {kind!r}; available: {', '.join(supported_kinds())}"
        ) from None
    if not body.strip():
        raise ExtractError("empty document (0 bytes of content)")
    if len(body) > ctx.max_bytes:
        raise ExtractError(
            f"document of {len(body) / 1_048_576:.1f} MB is over the size cap of "
            f"{ctx.max_bytes / 1_048_576:.1f} MB"
        )
    return extractor(body, ctx)


__all__ = [
    "EXTRACTORS",
    "ExtractContext",
    "ExtractError",
    "Extraction",
    "extract",
    "supported_kinds",
]
