"""Digest periods and send slots: when a subscriber's digest is due (pure: settings and `now`
in, answers out). The one implementation: `vahti digest send` and the daemon's digest tick
both plan with `is_due`.

A period is the subscriber's ISO week in the subscriber's time zone ("2026-W48"): one Delivery
row per subscriber and period. Its send slot is the subscriber's day and hour in that week, as
local wall-clock time (default Monday 08:00 Europe/Helsinki). Across daylight-saving changes:

* a slot hour that does not exist (spring forward, e.g. 03:00 on the last Sunday of March in
  Europe/Helsinki) comes when the clocks have moved on (04:00 local, the same instant as the
  non-existent 03:00 read with the old offset): no digest is skipped;
* a slot hour that happens twice (fall back, the last Sunday of October) is the first one; the
  Delivery row (unique per subscriber and period) makes sure nothing goes twice.

A digest is due at `now` when this period's slot has come, no delivery exists for the period
(the database's unique row answers that; `delivered_periods` stands for it in pure tests), and
the subscriber was already confirmed at the slot: a new subscriber's first digest comes at their
first slot after confirming, not at once. A daemon that was down during the slot sends it when
it comes back, once, as long as the period has not ended.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from store import vocab


@dataclass(frozen=True)
class Slot:
    """A subscriber's send slot: weekday (mon..sun), hour (0-23), IANA time zone."""

    day: str
    hour: int
    timezone: str


def period_of(now: datetime, timezone: str) -> str:
    """The ISO week containing `now` in `timezone`, e.g. "2026-W48"."""
    year, week, _ = now.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def _monday(period: str) -> date:
    year, _, week = period.partition("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def period_bounds(period: str, timezone: str) -> tuple[datetime, datetime]:
    """The period's start and end (exclusive) as aware UTC datetimes."""
    monday = _monday(period)
    zone = ZoneInfo(timezone)
    start = datetime.combine(monday, time(0), zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def slot_in_period(period: str, slot: Slot) -> datetime:
    """The slot of `period` as an aware UTC datetime (see the module notes on DST)."""
    if slot.day not in vocab.WEEKDAYS:
        raise ValueError(f"send day {slot.day!r} is not one of {', '.join(vocab.WEEKDAYS)}")
    day = _monday(period) + timedelta(days=vocab.WEEKDAYS.index(slot.day))
    local = datetime.combine(day, time(slot.hour), ZoneInfo(slot.timezone))  # fold=0
    return local.astimezone(UTC)


def due_period(
    slot: Slot,
    now: datetime,
    confirmed_at: datetime | None,
    delivered_periods: Set[str] = frozenset(),
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


def is_due(slot: Slot, now: datetime, confirmed_at: datetime | None) -> bool:
    """The planning rule: this period's slot has come and the subscriber was confirmed by then
    (whether a delivery exists already is the database's question)."""
    return due_period(slot, now, confirmed_at) is not None


def next_slot(slot: Slot, now: datetime) -> datetime:
    """The first slot strictly after `now` (for display and for sleeping until it)."""
    period = period_of(now, slot.timezone)
    when = slot_in_period(period, slot)
    if when > now:
        return when
    _, end = period_bounds(period, slot.timezone)
    return slot_in_period(period_of(end + timedelta(hours=1), slot.timezone), slot)
