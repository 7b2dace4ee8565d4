"""Spiders. `SourceSpider` reads every generic kind through the extractors; a site that none
of them can read gets a small subclass in `sites/`, selected with the kind ``spider:NAME``."""

from __future__ import annotations

from scrapers.spiders.source_spider import SourceSpider
from store.vocab import SPIDER_KIND_PREFIX


class UnknownSpider(LookupError):
    """A ``spider:NAME`` kind whose NAME no site spider has."""


def site_spiders() -> dict[str, type[SourceSpider]]:
    """Site-specific spiders by name (imported on demand: only a crawl needs them)."""
    from scrapers.spiders.sites import SITE_SPIDERS

    return dict(SITE_SPIDERS)


def spider_class(kind: str) -> type[SourceSpider]:
    """The spider for a source kind: a site spider for ``spider:NAME``, else the generic one."""
    if not kind.startswith(SPIDER_KIND_PREFIX):
        return SourceSpider
    name = kind.removeprefix(SPIDER_KIND_PREFIX)
    known = site_spiders()
    if name not in known:
        raise UnknownSpider(
            f"no site spider named {name!r}; known: {', '.join(sorted(known)) or 'none'}"
        )
    return known[name]


__all__ = ["SourceSpider", "UnknownSpider", "site_spiders", "spider_class"]
