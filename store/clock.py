"""The one clock: the time now, in UTC, aware.

Pure code takes `now` as an argument; the edges (a command, a request, a job) read it here.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
