"""Worked example of a site spider: events that exist only in a Next.js page's data.

Many career portals are Next.js apps: the HTML has no JSON-LD and no event markup, only a
``<script id="__NEXT_DATA__">`` with the page's props. This spider reads the events from
there (``props.pageProps.events``) and follows ``props.pageProps.pagination.nextPage``. Each
event is written down as a `RawEvent` (values as the site gives them) and `normalise` does the
rest, as for every extractor: times, title status words, sanitised text, languages, places,
categories, deadlines. Selected with ``vahti sources add URL --kind spider:example_nextjs``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from scrapy.http import Response

from scrapers.extractors import ExtractContext, ExtractError, Extraction
from scrapers.normalise import NormaliseError, RawEvent, normalise
from scrapers.spiders.source_spider import SourceSpider
from store import vocab


class ExampleNextjsSpider(SourceSpider):
    name = "example_nextjs"

    def extract_page(
        self, response: Response, context: ExtractContext, kind: str | None = None
    ) -> Extraction:
        raw = response.css("script#__NEXT_DATA__::text").get()
        if raw is None:
            raise ExtractError("the page has no __NEXT_DATA__ script")
        try:
            props = json.loads(raw)["props"]["pageProps"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ExtractError(f"cannot read __NEXT_DATA__: {exc!r}") from exc
        result = Extraction()
        for item in props.get("events") or []:
            try:
                record = normalise(self._raw(item, context), context)
            except (NormaliseError, KeyError, TypeError, AttributeError) as exc:
                result.errors.append(f"{context.url}: skipped event {item.get('id')!r}: {exc}")
                result.skipped += 1
                continue
            if context.keeps(record.start_at, record.end_at):
                result.records.append(record)
            else:
                result.outside_window += 1
        next_page = (props.get("pagination") or {}).get("nextPage")
        if next_page:
            result.next_pages.append(urljoin(context.url, next_page))
        return result

    def _raw(self, item: dict[str, Any], context: ExtractContext) -> RawEvent:
        venue = item.get("venue") or {}
        return RawEvent(
            titles=item["title"],
            start=item.get("startsAt"),
            end=item.get("endsAt"),
            description=item.get("summary"),
            external_id=f"example_nextjs:{item['id']}",
            url=f"/tapahtumat/{item['slug']}",
            page_url=context.url,
            venue=venue.get("name"),
            city=venue.get("city"),
            online=bool(item.get("online")),
            status=vocab.CANCELLED if item.get("cancelled") else None,
            deadline=item.get("registrationDeadline"),
        )
