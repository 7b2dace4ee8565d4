"""What the daemon runs that lives outside scheduler/: the crawl queue and a digest run.

scheduler/ uses only store/ (and the settings); the shell (vahti/) hands the daemon the one
`CrawlQueue` (services.crawl_queue: crawls with scrapers/, dedupe after them with dedupe/),
which the web app's "crawl now" shares, and a `Work` that plans and sends with digest/.
Clean-up is scheduler/'s own and needs no handing in.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


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


class Tally(Protocol):
    """Where the crawl queue counts for the daemon's /metrics (scheduler.metrics.DaemonStats)."""

    crawls_running: int

    def record(self, job: str, ok: bool) -> None: ...


class CrawlQueue(Protocol):
    """The one crawl queue as the daemon drives it (services.crawl_queue.CrawlQueue): at most
    `crawl.max_parallel` crawls at once, scheduled and asked-for alike, and dedupe after them.

    Closed, it takes nothing (a standby daemon crawls nothing); the active daemon opens it
    with its admission check (run in a thread once a slot is free: may the source be crawled
    now?) and closes it when its term ends.
    """

    # The longest a crawl can run: its time limit plus the grace before its process is killed.
    # A crawl run still "running" after this long was left behind by a process that died.
    crawl_deadline_seconds: float

    def open(self, admit: Callable[[int], bool] | None = None, tally: Tally | None = None) -> None:
        """Take crawls (again)."""

    def close(self) -> None:
        """Take no new crawls, drop those still waiting for a slot, start no new dedupe."""

    def submit(self, source_id: int) -> bool:
        """Queue a crawl of the source; False when it is queued or running already, or the
        queue is closed."""

    def in_flight(self) -> frozenset[int]:
        """The sources queued or being crawled."""

    def crawling(self) -> int:
        """How many crawl processes run now."""

    def tasks(self) -> Sequence[asyncio.Future[Any]]:
        """What is in flight: the crawls and a dedupe run."""

    def cancel(self) -> None:
        """Stop the crawls in flight: their processes are killed, their runs closed as
        cancelled (a dedupe run in its thread finishes its transaction)."""


class Work(Protocol):
    def digests(self, now: datetime, stop: StopFlags) -> DigestReport:
        """Plan the digests due at `now` and send the pending ones. Blocking: the daemon calls
        it in a thread, so rendering and the database never hold the daemon's event loop."""
