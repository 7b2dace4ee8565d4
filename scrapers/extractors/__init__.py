"""Extractors by source kind. `extract(kind, body, ctx)` is the one entry point."""

from __future__ import annotations

from scrapers.extractors.base import ExtractContext, ExtractError, Extraction, Extractor
from scrapers.extractors.jsonld import extract_jsonld

EXTRACTORS: dict[str, Extractor] = {
    "jsonld": extract_jsonld,
}


def supported_kinds() -> tuple[str, ...]:
    return tuple(EXTRACTORS)


def extract(kind: str, body: bytes, ctx: ExtractContext) -> Extraction:
    """Run the extractor for `kind`; raise ExtractError for an unknown kind or unreadable body."""
    try:
        extractor = EXTRACTORS[kind]
    except KeyError:
        raise ExtractError(
            f"no extractor for kind {kind!r}; available: {', '.join(EXTRACTORS)}"
        ) from None
    return extractor(body, ctx)


__all__ = [
    "EXTRACTORS",
    "ExtractContext",
    "ExtractError",
    "Extraction",
    "extract",
    "supported_kinds",
]
