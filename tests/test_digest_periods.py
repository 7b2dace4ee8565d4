"""Digest periods and send slots as a pure function of subscriber settings and `now`, across
the daylight-saving changes, in other zones, and through a restart in the middle of a slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digest.periods import (
    Slot,
    due_period,
    is_due,
    next_slot,
    period_bounds,
    period_of,
    slot_in_period,
)

HELSINKI = Slot("mon", 8, "Europe/Helsinki")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_period_is_the_iso_week_in_the_subscribers_zone() -> None:
    # Sunday 23:30 UTC is already Monday in Helsinki: a new week there, not in London or New York.
    now = utc(2026, 11, 29, 23, 30)
    assert period_of(now, "Europe/Helsinki") == "2026-W49"
    assert period_of(now, "Europe/London") == "2026-W48"
    assert period_of(now, "America/New_York") == "2026-W48"


def test_iso_week_years_differ_from_calendar_years() -> None:
    assert period_of(utc(2027, 1, 1, 12), "Europe/Helsinki") == "2026-W53"


def test_the_slot_is_the_local_day_and_hour() -> None:
    assert slot_in_period("2026-W49", HELSINKI) == utc(2026, 11, 30, 6)  # 08:00 EET = 06:00 UTC
    assert slot_in_period("2026-W49", Slot("fri", 8, "Europe/Helsinki")) == utc(2026, 12, 4, 6)
    assert slot_in_period("2027-W26", HELSINKI) == utc(2027, 6, 28, 5)  # 08:00 EEST


def test_due_only_after_the_slot_and_once_per_period() -> None:
    before = utc(2026, 11, 30, 5, 59)
    at = utc(2026, 11, 30, 6, 0)
    assert due_period(HELSINKI, before, confirmed_at=None) is None
    assert due_period(HELSINKI, at, confirmed_at=None) == "2026-W49"
    assert due_period(HELSINKI, at, None, delivered_periods={"2026-W49"}) is None


def test_a_slot_late_in_the_week_is_not_due_before_it() -> None:
    sunday_evening = utc(2026, 12, 6, 20)  # 22:00 in Helsinki
    assert is_due(HELSINKI, sunday_evening, None)
    assert not is_due(Slot("sun", 23, "Europe/Helsinki"), sunday_evening, None)


def test_daemon_down_during_the_slot_sends_late_but_within_the_period() -> None:
    wednesday = utc(2026, 12, 2, 14)
    assert due_period(HELSINKI, wednesday, confirmed_at=None) == "2026-W49"
    # Once the period is over, the missed week is not sent any more: the new week is not due yet.
    next_monday_early = utc(2026, 12, 7, 5)
    assert due_period(HELSINKI, next_monday_early, confirmed_at=None) is None


def test_new_subscriber_waits_for_their_first_slot() -> None:
    confirmed = utc(2026, 12, 1, 9)  # Tuesday, after Monday's slot
    assert not is_due(HELSINKI, utc(2026, 12, 1, 10), confirmed_at=confirmed)
    assert due_period(HELSINKI, utc(2026, 12, 7, 6), confirmed_at=confirmed) == "2026-W50"
    confirmed_before = utc(2026, 11, 30, 5)  # Monday, before the slot: this week already
    assert is_due(HELSINKI, utc(2026, 11, 30, 6), confirmed_at=confirmed_before)


def every_minute(start: datetime, hours: int) -> list[datetime]:
    return [start + timedelta(minutes=m) for m in range(hours * 60)]


@pytest.mark.parametrize(
    ("slot", "around", "expected_utc"),
    [
        # Spring forward, last Sunday of March 2027 (28 March): 03:00 local does not exist.
        (Slot("sun", 3, "Europe/Helsinki"), utc(2027, 3, 27, 20), utc(2027, 3, 28, 1)),
        (Slot("sun", 2, "Europe/Helsinki"), utc(2027, 3, 27, 20), utc(2027, 3, 28, 0)),
        (Slot("sun", 4, "Europe/Helsinki"), utc(2027, 3, 27, 20), utc(2027, 3, 28, 1)),
        # Fall back, last Sunday of October 2027 (31 October): 03:00 local happens twice.
        (Slot("sun", 3, "Europe/Helsinki"), utc(2027, 10, 30, 20), utc(2027, 10, 31, 0)),
        (Slot("sun", 8, "Europe/Helsinki"), utc(2027, 10, 30, 20), utc(2027, 10, 31, 6)),
        # Another zone with other DST dates: New York, 14 March 2027.
        (Slot("sun", 2, "America/New_York"), utc(2027, 3, 14, 0), utc(2027, 3, 14, 7)),
    ],
)
def test_dst_days_send_exactly_once_never_skip(
    slot: Slot, around: datetime, expected_utc: datetime
) -> None:
    """A tick every minute through the DST day finds the slot due exactly at one minute, and
    with the delivery recorded then, never again that period."""
    delivered: set[str] = set()
    sent_at: list[datetime] = []
    for tick in every_minute(around, 36):
        period = due_period(slot, tick, confirmed_at=None, delivered_periods=delivered)
        if period is not None:
            delivered.add(period)
            sent_at.append(tick)
    assert sent_at == [expected_utc]


def test_a_restart_in_the_middle_of_a_slot_hour_sends_once() -> None:
    delivered: set[str] = set()
    first = due_period(HELSINKI, utc(2026, 11, 30, 6, 0), None, delivered)
    assert first == "2026-W49"
    delivered.add(first)
    # The daemon restarts at 06:20 UTC (08:20 local): the delivery row is there, nothing is due.
    assert due_period(HELSINKI, utc(2026, 11, 30, 6, 20), None, delivered) is None


def test_period_bounds_and_next_slot() -> None:
    start, end = period_bounds("2026-W49", "Europe/Helsinki")
    assert start == utc(2026, 11, 29, 22)
    assert end == utc(2026, 12, 6, 22)
    assert next_slot(HELSINKI, utc(2026, 11, 30, 5)) == utc(2026, 11, 30, 6)
    assert next_slot(HELSINKI, utc(2026, 11, 30, 6)) == utc(2026, 12, 7, 6)


def test_an_unknown_day_or_zone_is_an_error() -> None:
    with pytest.raises(ValueError, match="tuesday"):
        slot_in_period("2026-W49", Slot("tuesday", 8, "Europe/Helsinki"))
    with pytest.raises(KeyError):  # ZoneInfoNotFoundError
        period_of(utc(2026, 11, 30, 6), "Europe/Hellsinki")
