"""Digest periods and send slots (pure).

A period is the subscriber's ISO week in the subscriber's time zone ("2026-W48"): one Delivery
row per subscriber and period. A subscriber's send slot is a weekday and an hour in their zone
(default Monday 08:00 Europe/Helsinki).

`slot_has_come` is the simple rule `vahti digest send` uses: the digest of the current period is
due once the subscriber's local day and hour of this week have come (a subscriber who joins on a
Thursday with a Monday slot gets this week's digest at the next send). Whether a digest already
exists for the period is the database's question (the unique Delivery row), not this one's.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from store import vocab


def period_of(now: datetime, timezone: str) -> str:
    year, week, _ = now.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def slot_in_week(now: datetime, timezone: str, day: str, hour: int) -> datetime:
    """The send slot (aware, UTC) in the ISO week that contains `now` in `timezone`."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    slot_day = monday + timedelta(days=vocab.WEEKDAYS.index(day))
    return datetime.combine(slot_day, time(hour), zone).astimezone(UTC)


def slot_has_come(now: datetime, timezone: str, day: str, hour: int) -> bool:
    """True once the subscriber's send slot of the current period has come at `now`."""
    return now >= slot_in_week(now, timezone, day, hour)
