"""Digest periods: a period is the subscriber's ISO week in the subscriber's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def period_of(now: datetime, timezone: str) -> str:
    year, week, _ = now.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"
