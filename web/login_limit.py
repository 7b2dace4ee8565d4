"""Failed admin logins counted per client address in a sliding window (in memory)."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta


class LoginLimiter:
    def __init__(self, attempts: int, window: timedelta) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, client: str, now: datetime) -> deque[datetime]:
        failures = self._failures[client]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked(self, client: str, now: datetime) -> bool:
        with self._lock:
            return len(self._trim(client, now)) >= self.attempts

    def failed(self, client: str, now: datetime) -> None:
        with self._lock:
            self._trim(client, now).append(now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
