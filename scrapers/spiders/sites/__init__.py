"""Site-specific spiders, by the NAME of their ``spider:NAME`` kind.

Add a spider here when no generic kind (jsonld, ics, rss, linkedevents, css) can read a site:
one small `SourceSpider` subclass overriding `extract_page`, a saved page under
tests/fixtures/sites/, and a test. docs/sources.md ("Writing a site-specific spider") walks
through `example_nextjs`.
"""

from __future__ import annotations

from scrapers.spiders.sites.example_nextjs import ExampleNextjsSpider
from scrapers.spiders.source_spider import SourceSpider

SITE_SPIDERS: dict[str, type[SourceSpider]] = {
    ExampleNextjsSpider.name: ExampleNextjsSpider,
}
