""" "Crawl now" from the admin pages: a background task per source, so the request returns.

Each crawl runs in its own child process through `scrapers.runner.crawl_one` (the same as
`vahti crawl` and the daemon), which writes a CrawlRun row before the child starts and closes
it however the child ends. When the crawl is done the dedupe job runs (in a thread), so the
source's events show at once. One crawl per source at a time; at most `max_parallel` at once.
Inside the daemon (`vahti run`) the daemon runs them instead (`delegate`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dedupe.job import run_dedupe
from scrapers.handoff import ChildSettings
from scrapers.runner import KILL_GRACE_SECONDS, crawl_one
from store.db import session_scope
from store.models import CrawlRun

log = logging.getLogger(__name__)


class CrawlJobs:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        time_limit: int,
        child_settings: ChildSettings,
        past_days: int,
        max_parallel: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.time_limit = time_limit
        self.child_settings = child_settings
        self.past_days = past_days
        self.max_parallel = max_parallel
        self.clock = clock
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self._gate: asyncio.Semaphore | None = None
        # Inside `vahti run`: hand "crawl now" to the daemon, so that its crawls and these
        # share one `crawl.max_parallel` (scheduler.daemon.Daemon.crawl_now).
        self.delegate: Callable[[int], None] | None = None

    def running(self, source_id: int) -> bool:
        return source_id in self.tasks

    def start(self, source_id: int) -> bool:
        """Start a crawl of the source (call from the event loop); False when one is running."""
        if source_id in self.tasks:
            return False
        if self.delegate is not None:
            self.delegate(source_id)
            return True
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.max_parallel)
        task = asyncio.get_running_loop().create_task(self._crawl(source_id, self._gate))
        self.tasks[source_id] = task
        task.add_done_callback(lambda _done: self.tasks.pop(source_id, None))
        return True

    async def _crawl(self, source_id: int, gate: asyncio.Semaphore) -> None:
        try:
            async with gate:
                await crawl_one(
                    self.sessions,
                    source_id,
                    time_limit=self.time_limit,
                    child_settings=self.child_settings,
                )
                await asyncio.to_thread(self._dedupe)
        except asyncio.CancelledError:
            raise
        except Exception:  # a background task has nobody to tell but the log
            log.exception("crawl of source %s started from the admin pages failed", source_id)

    def _dedupe(self) -> None:
        with session_scope(self.sessions) as session:
            run_dedupe(session, self.clock(), self.past_days)

    async def stop(self) -> None:
        """Cancel the running crawls (their children are killed and their runs closed)."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def running_run(self, session: Session, source_id: int) -> CrawlRun | None:
        """The source's run still in progress (started here or by the daemon), if any; a run
        left "running" longer than a crawl may last is not counted (its process is gone)."""
        # The runner stamps runs with the wall clock, not with the app's clock.
        oldest = datetime.now(UTC) - timedelta(seconds=self.time_limit + KILL_GRACE_SECONDS + 60)
        run: CrawlRun | None = session.scalar(
            select(CrawlRun)
            .where(
                CrawlRun.source_id == source_id,
                CrawlRun.status == "running",
                CrawlRun.started_at >= oldest,
            )
            .order_by(CrawlRun.started_at.desc())
            .limit(1)
        )
        return run
