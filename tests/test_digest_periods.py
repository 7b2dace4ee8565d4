"""Periods (the subscriber's ISO week in their zone) and the simple "slot has come" rule."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.periods import period_of, slot_has_come, slot_in_week


def test_the_period_is_the_iso_week_in_the_subscribers_zone() -> None:
    sunday_night_utc = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # Monday 00:30 in Helsinki
    assert period_of(sunday_night_utc, "Europe/Helsinki") == "2026-W49"
    assert period_of(sunday_night_utc, "America/New_York") == "2026-W48"


def test_iso_week_years_differ_from_calendar_years() -> None:
    assert period_of(datetime(2027, 1, 1, 12, tzinfo=UTC), "Europe/Helsinki") == "2026-W53"


def test_the_slot_is_the_local_day_and_hour_of_this_week() -> None:
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)  # Wednesday
    assert slot_in_week(now, "Europe/Helsinki", "mon", 8) == datetime(2026, 11, 30, 6, tzinfo=UTC)
    assert slot_in_week(now, "Europe/Helsinki", "fri", 8) == datetime(2026, 12, 4, 6, tzinfo=UTC)


def test_a_digest_is_due_once_the_slot_of_the_week_has_come() -> None:
    monday_early = datetime(2026, 11, 30, 5, 59, tzinfo=UTC)  # 07:59 in Helsinki
    monday_at_eight = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    sunday = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    assert not slot_has_come(monday_early, "Europe/Helsinki", "mon", 8)
    assert slot_has_come(monday_at_eight, "Europe/Helsinki", "mon", 8)
    assert slot_has_come(sunday, "Europe/Helsinki", "mon", 8)
    assert not slot_has_come(sunday, "Europe/Helsinki", "sun", 23)


def test_summer_time_keeps_the_local_hour() -> None:
    summer_monday = datetime(2027, 6, 7, 12, tzinfo=UTC)
    assert slot_in_week(summer_monday, "Europe/Helsinki", "mon", 8) == datetime(
        2027, 6, 7, 5, tzinfo=UTC
    )
