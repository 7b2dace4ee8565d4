"""Choosing the events for one subscriber's digest (pure: data and `now` in, digest out)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from digest.model import Digest, DigestItem, EventView, Preferences
from store import vocab


def matches(event: EventView, prefs: Preferences) -> list[str] | None:
    """The reasons an event fits the preferences (category, place, language), or None."""
    reasons: list[str] = []
    if prefs.categories:
        shared = [c for c in event.categories if c in prefs.categories]
        if not shared:
            return None
        reasons.append(shared[0])
    if prefs.cities:
        wanted = {c.casefold() for c in prefs.cities}
        if event.city and event.city.casefold() in wanted:
            reasons.append(event.city)
        elif prefs.include_online and event.attendance in (vocab.ONLINE, vocab.HYBRID):
            reasons.append("online")
        else:
            return None
    if prefs.event_languages:
        if event.language not in prefs.event_languages:
            return None
        reasons.append(f"lang:{event.language}")
    return reasons


def select_digest(
    prefs: Preferences,
    events: Sequence[EventView],
    already_sent: Collection[int],
    now: datetime,
    window_days: int = 14,
) -> Digest:
    until = now + timedelta(days=window_days)
    chosen: list[DigestItem] = []
    for event in sorted(events, key=lambda e: (e.start_at, e.id)):
        if event.id in already_sent or not now <= event.start_at <= until:
            continue
        if event.status == vocab.CANCELLED:
            continue
        reasons = matches(event, prefs)
        if reasons is None:
            continue
        chosen.append(DigestItem(event=event, section="upcoming", reasons=tuple(reasons)))
        if len(chosen) >= prefs.max_items:
            break
    return Digest(preferences=prefs, items=tuple(chosen))
