"""The documented JSON shapes of events, sources and subscribers (CLI --json, web API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from store import vocab
from store.models import Event, Source, Subscriber


def _iso(value: datetime | None, zone: str | None = None) -> str | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).isoformat() if zone else value.isoformat()


def event_json(event: Event) -> dict[str, Any]:
    location = ", ".join(p for p in (event.venue, event.address) if p) or None
    return {
        "id": event.id,
        "title": event.title,
        "titles": dict(event.titles or {}),
        "start": _iso(event.start_at, event.timezone),
        "end": _iso(event.end_at, event.timezone),
        "timezone": event.timezone,
        "all_day": event.all_day,
        "location": location,
        "venue": event.venue,
        "city": event.city,
        "online": event.attendance in (vocab.ONLINE, vocab.HYBRID),
        "attendance": event.attendance,
        "online_url": event.online_url,
        "url": event.url,
        "sources": list(event.urls or []),
        "categories": list(event.categories or []),
        "audiences": list(event.audiences or []),
        "language": event.language,
        "status": event.status,
        "deadline": _iso(event.deadline_at, event.timezone),
        "application_url": event.application_url,
        "organiser": event.organiser,
        "price": event.price,
        "is_free": event.is_free,
        "description": event.description_text,
    }


def source_json(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "url": source.url,
        "kind": source.kind,
        "detected_kind": source.detected_kind,
        "feed_url": source.feed_url,
        "enabled": source.enabled,
        "health": source.health,
        "last_run": _iso(source.last_run_at),
        "records": source.last_records,
        "next_crawl": _iso(source.next_crawl_at),
        "interval_hours": source.interval_hours,
        "language": source.language,
        "categories": list(source.categories or []),
        "priority": source.priority,
    }


def subscriber_json(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "language": subscriber.language,
        "categories": list(subscriber.categories or []),
        "keywords": list(subscriber.keywords or []),
        "cities": list(subscriber.cities or []),
        "online": subscriber.include_online,
        "event_languages": list(subscriber.event_languages or []),
        "audiences": list(subscriber.audiences or []),
        "max_items": subscriber.max_items,
        "day": subscriber.send_day,
        "hour": subscriber.send_hour,
        "timezone": subscriber.timezone,
    }
