"""Worked example of a site spider: events that exist only in a Next.js page's data.

Many career portals are Next.js apps: the HTML has no JSON-LD and no event markup, only a
``<script id="__NEXT_DATA__">`` with the page's props. This spider reads the events from
there (``props.pageProps.events``) and follows ``props.pageProps.pagination.nextPage``.
Selected with ``vahti sources add URL --kind spider:example_nextjs``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from scrapy.http import Response

from scrapers.extractors import ExtractContext, ExtractError, Extraction
from scrapers.normalise import clean_title, guess_categories, parse_iso, sanitise_html
from scrapers.spiders.source_spider import SourceSpider
from store import vocab
from store.record import EventRecord


class ExampleNextjsSpider(SourceSpider):
    name = "example_nextjs"

    def extract_page(self, response: Response, context: ExtractContext) -> Extraction:
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
                record = self._record(item, context)
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                result.errors.append(f"{context.url}: skipped event {item.get('id')!r}: {exc!r}")
                result.skipped += 1
                continue
            if context.keeps(record.start_at, record.end_at):
                result.records.append(record)
        next_page = (props.get("pagination") or {}).get("nextPage")
        if next_page:
            result.next_pages.append(urljoin(context.url, next_page))
        return result

    def _record(self, item: dict[str, Any], context: ExtractContext) -> EventRecord:
        titles = {k: v for k, v in item["title"].items() if k in vocab.LANGUAGES and v}
        language = "fi" if "fi" in titles else next(iter(titles))
        title, title_status = clean_title(titles[language])
        start, all_day, zone = parse_iso(item["startsAt"], context.timezone)
        end = parse_iso(item["endsAt"], context.timezone)[0] if item.get("endsAt") else None
        deadline = item.get("registrationDeadline")
        description_html, description_text = sanitise_html(item.get("summary") or "")
        venue = item.get("venue") or {}
        return EventRecord(
            external_id=f"example_nextjs:{item['id']}",
            title=title,
            titles=titles,
            description_html=description_html,
            description_text=description_text,
            start_at=start,
            end_at=end,
            timezone=zone,
            all_day=all_day,
            url=urljoin(context.url, f"/tapahtumat/{item['slug']}"),
            venue=venue.get("name"),
            city=venue.get("city"),
            attendance=vocab.ONLINE if item.get("online") else vocab.ONSITE,
            language=language,
            languages=sorted(titles),
            categories=guess_categories(title, description_text),
            status=vocab.CANCELLED if item.get("cancelled") else title_status or vocab.SCHEDULED,
            deadline_at=parse_iso(deadline, context.timezone)[0] if deadline else None,
            page_url=context.url,
        )
