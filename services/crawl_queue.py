"""The one crawl queue: `vahti crawl`, the demo, the admin's "crawl now" and the daemon's
scheduled crawls all go through a `CrawlQueue`.

- At most `max_parallel` (`crawl.max_parallel`) crawls at once, whoever asked for them. Inside
  `vahti run` the web app is handed the daemon's queue, so asked-for and scheduled crawls
  share the one limit; `vahti serve` builds its own.
- "Crawl now" is a request in the database (`crawl_now`): any web process may take it, the
  active daemon runs it (its runtime claims the requests every `scheduler.crawl_request_seconds`);
  a web process runs it itself only when no daemon is active.
- One crawl per source at a time: `submit` refuses a source already queued or running.
- Each crawl runs in a child process through `scrapers.runner.crawl_one`, which writes the
  CrawlRun row before the child starts and closes it however the child ends; a crawl that is
  cancelled (a shutdown) has its child killed and its run closed as `cancelled`. With
  `crawl.backend = "scrapyd"` it runs as a job on the least busy Scrapyd node instead
  (`scrapers.remote.crawl_remote`: the same run row first, the same closing rules, and a
  crawl whose node was lost starts again on another).
- One dedupe trigger (when the queue is given `dedupe_past_days`): after crawls that changed
  listings, dedupe runs once, in a thread, when nothing more is queued or running, or at once
  when the last dedupe was more than `DEDUPE_AT_LEAST_EVERY_SECONDS` ago (a queue that never
  empties still dedupes). `vahti crawl` and the demo build theirs without: the command does
  not dedupe, the demo dedupes as a step of its own. The queue keeps the dedupe memory
  (dedupe/memory.py): its first dedupe is a full run, later ones group again only what changed
  since, and every `DEDUPE_FULL_EVERY_SECONDS` (and after a failed run) a full run starts afresh.
- The owner may hand in an admission check (run in a thread once a slot is free; the daemon's:
  still enabled, due, and not being crawled by another process) and a tally for /metrics, and
  may close the queue (a standby daemon crawls nothing) and open it again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dedupe.job import DedupeCounts, run_dedupe
from dedupe.memory import Memory
from scheduler.crawls import claim_crawl_requests, request_crawl, sources_being_crawled
from scheduler.interface import Tally
from scheduler.lease import held as lease_held
from scrapers.handoff import ChildSettings
from scrapers.remote import NodePool, crawl_remote
from scrapers.runner import KILL_GRACE_SECONDS, CrawlResult, ProgressCallback, crawl_one
from store.clock import utcnow

log = logging.getLogger("vahti.crawls")
# Dedupe waits for the queue to empty, but not longer than this since the last one.
DEDUPE_AT_LEAST_EVERY_SECONDS = 900.0
# A full dedupe run at least this often; the runs between are incremental.
DEDUPE_FULL_EVERY_SECONDS = 24 * 3600.0
# A run left "running" this long after the longest a crawl can take is not counted as running
# (its process is gone; the daemon closes it as abandoned).
STALE_RUN_MARGIN_SECONDS = 60.0

Admit = Callable[[int], bool]


class CrawlQueue:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_parallel: int,
        time_limit: int,
        child_settings: ChildSettings,
        dedupe_past_days: int | None = None,
        on_event: ProgressCallback | None = None,
        kill_grace: float = KILL_GRACE_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        leave_to_daemon: bool = False,
    ) -> None:
        """`child_settings`: what each crawl process is handed (it reads no settings of its own).
        `dedupe_past_days`: run dedupe after crawls (with `dedupe.past_days`); None: never.
        `leave_to_daemon`: a web process's own queue; "crawl now" runs here only while no
        daemon is active (one holding the lease claims the request instead).
        `on_event(kind, result)`: each crawl's "started", "progress" and "finished"."""
        self.sessions = sessions
        self.max_parallel = max_parallel
        self.time_limit = time_limit
        self.child_settings = child_settings
        self.dedupe_past_days = dedupe_past_days
        self.on_event = on_event
        self.kill_grace = kill_grace
        self.clock = clock
        self.leave_to_daemon = leave_to_daemon
        self.crawl_deadline_seconds = float(time_limit + kill_grace)
        self._open = True
        self._admit: Admit | None = None
        self._tally: Tally | None = None
        self._slots: asyncio.Semaphore | None = None  # made on the loop that first uses it
        # Crawls asked for (waiting for a slot or running), and those running.
        self._tasks: dict[int, asyncio.Task[CrawlResult | None]] = {}
        self._crawling: set[int] = set()
        self._dedupe_wanted = False
        self._last_dedupe = time.monotonic()
        self._dedupe_memory = Memory()
        self._last_full_dedupe = 0.0
        self._deduping: asyncio.Task[None] | None = None
        # crawl.backend "scrapyd": each crawl a job on the least busy node (scrapers.remote).
        self._nodes = (
            NodePool(child_settings.crawl) if child_settings.crawl.backend == "scrapyd" else None
        )

    # -- what is going on --

    @property
    def accepting(self) -> bool:
        return self._open

    def running(self, source_id: int) -> bool:
        """Whether a crawl of the source is queued or running in this queue."""
        return source_id in self._tasks

    def in_flight(self) -> frozenset[int]:
        return frozenset(self._tasks)

    def crawling(self) -> int:
        return len(self._crawling)

    def tasks(self) -> list[asyncio.Future[Any]]:
        found: list[asyncio.Future[Any]] = list(self._tasks.values())
        if self._deduping is not None and not self._deduping.done():
            found.append(self._deduping)
        return found

    def busy(self, session: Session, source_id: int) -> bool:
        """Whether the source is being crawled: in this queue, or by any process (a run still
        open that may really be running: the daemon's, `vahti crawl`'s)."""
        if self.running(source_id):
            return True
        # The runner stamps runs with the wall clock, not with the owner's clock.
        deadline = self.crawl_deadline_seconds + STALE_RUN_MARGIN_SECONDS
        return source_id in sources_being_crawled(session, utcnow(), deadline)

    # -- taking crawls --

    def open(self, admit: Admit | None = None, tally: Tally | None = None) -> None:
        self._admit = admit
        self._tally = tally
        self._open = True

    def close(self) -> None:
        self._open = False
        for source_id, task in list(self._tasks.items()):
            if source_id not in self._crawling:
                task.cancel()  # still waiting for a slot (or admission): nothing started

    def submit(self, source_id: int) -> bool:
        """Queue a crawl of the source (call on the event loop); False when the source is
        queued or running already, or the queue is closed."""
        if not self._open or source_id in self._tasks:
            return False
        task = asyncio.get_running_loop().create_task(
            self._crawl(source_id), name=f"crawl:{source_id}"
        )
        self._tasks[source_id] = task
        task.add_done_callback(lambda done: self._done(source_id, done))
        return True

    def crawl_now(self, session: Session, source_id: int) -> bool:
        """The admin's "crawl now", on any web process: False when the source is being crawled
        already; else the request is stored (the source falls due now, and a request row waits
        for the active daemon, scheduler.crawls.request_crawl). An open queue takes the request
        itself at once: the active daemon's, or a web process's own (`leave_to_daemon`) when no
        daemon is active. A standby's closed queue, or a web process's while a daemon is
        active, leaves it to the active daemon, which claims it within
        `scheduler.crawl_request_seconds`."""
        if self.busy(session, source_id):
            return False
        now = self.clock()
        request_crawl(session, source_id, now)
        session.commit()
        if not self._open or (self.leave_to_daemon and lease_held(session, utcnow())):
            return True
        claimed = claim_crawl_requests(session, [source_id])
        session.commit()
        for claimed_id in claimed:
            self.submit(claimed_id)
        return True

    async def run(self, source_ids: Iterable[int]) -> list[CrawlResult]:
        """Crawl the sources (each once) and wait for them; the results in the order given.
        A source already in flight is waited for; one the queue does not crawl (closed, or
        not admitted) has no result. Cancelling this cancels the crawls."""
        waiting: list[asyncio.Task[CrawlResult | None]] = []
        for source_id in dict.fromkeys(source_ids):
            self.submit(source_id)
            task = self._tasks.get(source_id)
            if task is not None:
                waiting.append(task)
        results = await asyncio.gather(*waiting)
        return [result for result in results if result is not None]

    def cancel(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()

    async def stop(self) -> None:
        """Take nothing more and cancel the crawls in flight (their processes are killed and
        their runs closed as cancelled); returns when they and a running dedupe have ended."""
        self.close()
        self.cancel()
        await asyncio.gather(*self.tasks(), return_exceptions=True)

    # -- one crawl --

    async def _crawl(self, source_id: int) -> CrawlResult | None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_parallel)
        try:
            async with self._slots:
                admit = self._admit
                if not self._open or (
                    admit is not None and not await asyncio.to_thread(admit, source_id)
                ):
                    return None
                self._crawling.add(source_id)
                self._count_running()
                try:
                    result = await self._crawl_once(source_id)
                finally:
                    self._crawling.discard(source_id)
                    self._count_running()
        except asyncio.CancelledError:
            if source_id in self._crawling:
                log.warning("crawl: source=%d stopped by the shutdown", source_id)
            raise
        except Exception:
            log.exception("crawl: source=%d: the crawl could not be run", source_id)
            self._record("crawl", False)
            raise
        _log_result(result)
        self._record("crawl", not result.failed)
        self._dedupe_wanted = self._dedupe_wanted or result.changed
        return result

    async def _crawl_once(self, source_id: int) -> CrawlResult:
        """One crawl on the configured backend: a child process, or a Scrapyd job."""
        if self._nodes is not None:
            return await crawl_remote(
                self.sessions,
                source_id,
                self._nodes,
                time_limit=self.time_limit,
                child_settings=self.child_settings,
                on_event=self.on_event,
                kill_grace=self.kill_grace,
            )
        return await crawl_one(
            self.sessions,
            source_id,
            time_limit=self.time_limit,
            child_settings=self.child_settings,
            on_event=self.on_event,
            kill_grace=self.kill_grace,
        )

    def _done(self, source_id: int, task: asyncio.Task[CrawlResult | None]) -> None:
        if self._tasks.get(source_id) is task:
            del self._tasks[source_id]
        if not task.cancelled():
            task.exception()  # logged in _crawl; `run` hands it on to its caller
        self._maybe_dedupe()

    def _count_running(self) -> None:
        if self._tally is not None:
            self._tally.crawls_running = len(self._crawling)

    def _record(self, job: str, ok: bool) -> None:
        if self._tally is not None:
            self._tally.record(job, ok)

    # -- dedupe --

    def _maybe_dedupe(self) -> None:
        if self.dedupe_past_days is None or not self._open or not self._dedupe_wanted:
            return
        if self._deduping is not None and not self._deduping.done():
            return
        overdue = time.monotonic() - self._last_dedupe > DEDUPE_AT_LEAST_EVERY_SECONDS
        if self._tasks and not overdue:
            return  # after the batch
        self._deduping = asyncio.get_running_loop().create_task(self._dedupe(), name="dedupe")

    def _dedupe_now(self, past_days: int) -> DedupeCounts:
        """Incremental after the first run; a full run when the memory is empty or old."""
        memory = self._dedupe_memory
        if time.monotonic() - self._last_full_dedupe > DEDUPE_FULL_EVERY_SECONDS:
            memory.clear()
        try:
            with self.sessions.begin() as session:
                counts = run_dedupe(session, self.clock(), past_days, memory)
        except BaseException:
            memory.clear()  # it may hold what the rolled-back transaction wrote
            raise
        if counts.full:
            self._last_full_dedupe = time.monotonic()
        return counts

    async def _dedupe(self) -> None:
        assert self.dedupe_past_days is not None
        while self._dedupe_wanted and self._open:
            self._dedupe_wanted = False
            self._last_dedupe = time.monotonic()
            try:
                counts = await asyncio.to_thread(self._dedupe_now, self.dedupe_past_days)
            except Exception:
                log.exception("dedupe: failed")
                self._record("dedupe", False)
                return
            self._record("dedupe", True)
            log.info(
                "dedupe: listings=%d events=%d created=%d updated=%d gone=%d joined=%d "
                "in %.1f s (%s)",
                counts.listings,
                counts.events,
                counts.events_created,
                counts.events_updated,
                counts.events_gone,
                counts.duplicates_joined,
                counts.seconds,
                "full" if counts.full else f"incremental, {counts.regrouped} regrouped",
            )
            if self._tasks:
                return  # the next batch ends with a dedupe of its own


def _log_result(result: CrawlResult) -> None:
    log.info(
        "crawl: source=%d (%s) status=%s records=%d new=%d updated=%d gone=%d "
        "errors=%d in %.1f s%s",
        result.source_id,
        result.name,
        result.status,
        result.records,
        result.new,
        result.updated,
        result.gone,
        result.errors,
        result.duration_s,
        f": {result.first_error}" if result.first_error else "",
    )
