"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1), with the event's facts in `_event`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

from web.feeds.items import FeedInfo, FeedItem

VERSION = "https://jsonfeed.org/version/1.1"


def _item(item: FeedItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": item.page_url,
        "url": item.page_url,
        "title": item.title,
        "summary": item.summary,
        "content_html": item.description_html or f"<p>{escape(item.summary)}</p>",
        "content_text": item.description_text or item.summary,
        "date_published": item.created_at.isoformat(),
        "date_modified": item.updated_at.isoformat(),
        "tags": list(item.category_labels),
        "language": item.language if item.language != "other" else None,
        # Extensions start with an underscore (JSON Feed 1.1, "Extensions").
        "_event": {
            "about": "Tapahtumavahti event fields",
            "id": item.id,
            "start": item.start_at.isoformat(),
            "end": item.end_at.isoformat() if item.end_at else None,
            "timezone": item.timezone,
            "all_day": item.all_day,
            "status": item.status,
            "categories": list(item.categories),
            "venue": item.venue,
            "city": item.city,
            "online": item.online,
            "deadline": item.deadline_at.isoformat() if item.deadline_at else None,
            "ics": item.ics_url,
            "sources": list(item.urls),
            "listed_at": [{"name": name, "url": url} for name, url in item.listed_at],
        },
    }
    if item.source_url:
        data["external_url"] = item.source_url
    return {key: value for key, value in data.items() if value is not None}


def json_feed(info: FeedInfo, items: Sequence[FeedItem]) -> bytes:
    feed = {
        "version": VERSION,
        "title": info.title,
        "description": info.subtitle,
        "home_page_url": info.home_url,
        "feed_url": info.feed_url,
        "language": info.language,
        "items": [_item(item) for item in items],
    }
    return json.dumps(feed, ensure_ascii=False, indent=1).encode()
