"""What the daemon runs that lives outside scheduler/: a crawl and a digest run.

scheduler/ uses only store/ (and the settings); the application (vahti/) hands the daemon a
`Work` that crawls with scrapers/ and plans and sends with digest/. Dedupe and clean-up are
scheduler/'s own and need no handing in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class CrawlReport:
    source_id: int
    name: str
    status: str
    records: int = 0
    new: int = 0
    updated: int = 0
    gone: int = 0
    errors: int = 0
    seconds: float = 0.0
    first_error: str | None = None

    @property
    def changed(self) -> bool:
        """Whether the store's listings changed (and so dedupe has something to do)."""
        return bool(self.new or self.updated or self.gone)


@dataclass(frozen=True)
class DigestReport:
    due: int = 0
    planned: int = 0
    sent: int = 0
    empty: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    reclaimed: int = 0
    stopped: str | None = None
    problems: tuple[str, ...] = ()


@dataclass
class StopFlags:
    """How a digest run (in a thread of its own) is told to stop, from the daemon's loop.

    `finish`: claim nothing more, send what is in hand. `abort`: stop now and hand back what
    is not sent (the shutdown's time is up).
    """

    finish: threading.Event = field(default_factory=threading.Event)
    abort: threading.Event = field(default_factory=threading.Event)


class Work(Protocol):
    # The longest a crawl can run: its time limit plus the grace before its process is killed.
    # A crawl run still "running" after this long was left behind by a process that died.
    crawl_deadline_seconds: float

    async def crawl(self, source_id: int) -> CrawlReport:
        """Crawl one source in a child process; cancelling it kills the child and closes the
        run."""

    def digests(self, now: datetime, stop: StopFlags) -> DigestReport:
        """Plan the digests due at `now` and send the pending ones. Blocking: the daemon calls
        it in a thread, so rendering and the database never hold the daemon's event loop."""
