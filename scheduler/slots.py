"""When a subscriber's digest is due (pure: subscriber settings and `now` in, answers out).

A period is the subscriber's ISO week in the subscriber's time zone. Its send slot is the
subscriber's day and hour in that week, as local wall-clock time. Across daylight-saving changes:

* a slot hour that does not exist (spring forward, e.g. 03:00 on the last Sunday of March in
  Europe/Helsinki) is sent when the clocks have moved on (04:00 local, the same instant as the
  non-existent 03:00 read with the old offset): no digest is skipped;
* a slot hour that happens twice (fall back, the last Sunday of October) uses the first one;
  the Delivery row (unique per subscriber and period) makes sure nothing goes twice.

A digest is due at `now` when this period's slot has come, no delivery exists for the period,
and the subscriber was already confirmed at the slot (a new subscriber's first digest comes at
their first slot after confirming). A daemon that was down during the slot sends it when it
comes back, once, as long as the period has not ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SlotSettings:
    day: str  # mon..sun
    hour: int  # 0..23
    timezone: str


def period_of(now: datetime, timezone: str) -> str:
    """The ISO week containing `now` in `timezone`, e.g. "2026-W48"."""
    year, week, _ = now.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def period_bounds(period: str, timezone: str) -> tuple[datetime, datetime]:
    """The period's start and end (exclusive) as aware UTC datetimes."""
    year, week = period.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    zone = ZoneInfo(timezone)
    start = datetime.combine(monday, time(0), zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def slot_in_period(period: str, slot: SlotSettings) -> datetime:
    """The slot of `period` as an aware UTC datetime (see the module notes on DST)."""
    year, week = period.split("-W")
    day = date.fromisocalendar(int(year), int(week), WEEKDAYS.index(slot.day) + 1)
    local = datetime.combine(day, time(slot.hour), ZoneInfo(slot.timezone))  # fold=0
    return local.astimezone(UTC)


def due_slot(
    slot: SlotSettings,
    now: datetime,
    confirmed_at: datetime | None,
    delivered_periods: set[str] | frozenset[str] = frozenset(),
) -> str | None:
    """The period whose digest is due at `now`, or None."""
    period = period_of(now, slot.timezone)
    if period in delivered_periods:
        return None
    when = slot_in_period(period, slot)
    if when > now:
        return None
    if confirmed_at is not None and confirmed_at > when:
        return None
    return period


def next_slot(slot: SlotSettings, now: datetime) -> datetime:
    """The first slot strictly after `now` (for display and for sleeping until it)."""
    period = period_of(now, slot.timezone)
    when = slot_in_period(period, slot)
    if when > now:
        return when
    _, end = period_bounds(period, slot.timezone)
    return slot_in_period(period_of(end + timedelta(hours=1), slot.timezone), slot)
