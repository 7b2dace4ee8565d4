"""What the lease holder does: the scheduler, and the crawls, digests and clean-up it starts,
each tracked so that a shutdown (or a lost lease) can stop taking work at once and drain what is
in flight within a bound.

Crawls (and the dedupe after them) go through the shell's one crawl queue (see
scheduler.interface.CrawlQueue), which the web app's "crawl now" shares: the runtime opens it
with its admission check for its term and closes it at the end.

The event loop only waits: crawls are child processes, and every database query, dedupe,
clean-up and digest run (rendering included) goes to a thread, so the web app served from the
same loop stays responsive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from scheduler import jobs
from scheduler.cleanup import Retention, clean_up
from scheduler.crawls import (
    SAME_TIME,
    claim_crawl_requests,
    close_abandoned_runs,
    close_unplaced_runs,
    enabled_sources,
    plan_crawl_jobs,
    sources_being_crawled,
)
from scheduler.interface import CrawlQueue, StopFlags, Work
from scheduler.metrics import DaemonStats
from store.clock import utcnow
from store.models import Source

log = logging.getLogger("vahti.daemon")
# A run left "running" this long after the longest a crawl can take was abandoned.
ABANDON_MARGIN_SECONDS = 120.0
# With the Scrapyd backend, a run that no node took this long (plus crawl.scrapyd_lost_seconds)
# after it started was abandoned by the process that started it.
UNPLACED_SECONDS = 60.0


class ActiveRuntime:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        sessions: sessionmaker[Session],
        work: Work,
        crawls: CrawlQueue,
        stats: DaemonStats,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = settings.scheduler
        self.engine = engine
        self.sessions = sessions
        self.work = work
        self.crawls = crawls
        self.stats = stats
        self.clock = clock
        self.retention = Retention(
            crawl_runs_days=self.config.keep_crawl_runs_days,
            past_events_days=self.config.keep_past_events_days,
            unconfirmed_days=self.config.unconfirmed_days,
        )
        self.abandon_after = crawls.crawl_deadline_seconds + ABANDON_MARGIN_SECONDS
        self.unplaced_after = (
            UNPLACED_SECONDS + settings.crawl.scrapyd_lost_seconds
            if settings.crawl.backend == "scrapyd"
            else None
        )
        self.flags = StopFlags()
        self.scheduler: AsyncIOScheduler | None = None
        self.active = False
        self.chores: dict[str, asyncio.Task[None]] = {}
        self._requests: asyncio.Task[None] | None = None

    # -- the term --

    async def start(self) -> None:
        self.scheduler = jobs.make_scheduler(self.engine)
        self.scheduler.start(paused=True)
        jobs.register_jobs(
            self.scheduler,
            self.clock(),
            sync_seconds=self.config.source_sync_seconds,
            digest_seconds=self.config.digest_tick_seconds,
            cleanup_hours=self.config.cleanup_hours,
        )
        jobs.bind(self)
        self.active = True
        self.crawls.open(self._may_crawl, self.stats)
        self._requests = asyncio.create_task(self._follow_requests(), name="crawl requests")
        self.scheduler.resume()

    async def stop(self, timeout: float, hurry: asyncio.Event) -> None:
        """Take no new work at once; give what is in flight `timeout` seconds (or until
        `hurry` is set); then kill the crawls still running (their runs are closed) and tell the
        digest run to hand back what it has not sent."""
        self.active = False
        jobs.bind(None)
        if self._requests is not None:
            self._requests.cancel()  # a claim it loses stays due: the next sync schedules it
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.flags.finish.set()
        self.crawls.close()  # those still waiting for a free slot are dropped: nothing started
        in_flight = [*self.crawls.tasks(), *self.chores.values()]
        if not in_flight:
            return
        log.info(
            "stopping: waiting up to %g s for %d crawls and %s",
            timeout,
            self.crawls.crawling(),
            ", ".join(self.chores) or "no other job",
        )
        everything = asyncio.ensure_future(asyncio.wait(in_flight))
        hurried = asyncio.ensure_future(hurry.wait())
        await asyncio.wait({everything, hurried}, timeout=timeout, return_when="FIRST_COMPLETED")
        hurried.cancel()
        left = [task for task in in_flight if not task.done()]
        if left:
            log.warning(
                "stopping: time is up; stopping %d crawls, handing back unsent digests",
                self.crawls.crawling(),
            )
            self.flags.abort.set()
            self.crawls.cancel()
        await everything  # crawls close their runs; threads finish their transaction

    # -- what the jobs ask for (on the loop; each returns at once) --

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name=name)
        self.chores[name] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self.chores.get(name) is done:  # not a newer run of the same chore
                del self.chores[name]

        task.add_done_callback(forget)

    def _busy(self, name: str) -> bool:
        task = self.chores.get(name)
        return task is not None and not task.done()

    def request_crawl(self, source_id: int) -> None:
        if self.active:
            self.crawls.submit(source_id)  # refused when queued or running already

    def sync_sources(self) -> None:
        if self.active and not self._busy("sources"):
            self._spawn("sources", self._sync())

    def digest_tick(self) -> None:
        if not self.active:
            return
        if self._busy("digests"):
            log.debug("digests: the last run is still going; tick skipped")
            return
        self._spawn("digests", self._digests())

    def clean_up(self) -> None:
        if self.active and not self._busy("cleanup"):
            self._spawn("cleanup", self._clean_up())

    # -- crawls --

    def _may_crawl(self, source_id: int) -> bool:
        """The queue's admission check (in a thread, once a slot is free): this daemon is still
        active, and the source still enabled, due, and not being crawled by anyone else."""
        if not self.active:
            return False
        now = self.clock()
        with self.sessions() as session:
            row = session.execute(
                select(Source.enabled, Source.next_crawl_at).where(Source.id == source_id)
            ).first()
            if row is None or not row.enabled:
                return False
            if row.next_crawl_at is not None and row.next_crawl_at > now + SAME_TIME:
                return False
            return source_id not in sources_being_crawled(session, now, self.abandon_after)

    def _claim_requests(self) -> list[int]:
        with self.sessions.begin() as session:
            return claim_crawl_requests(session)

    async def _follow_requests(self) -> None:
        """Claim the "crawl now" requests of every web process, every
        `crawl_request_seconds`, and queue them (the admission check still applies)."""
        while self.active:
            try:
                claimed = await asyncio.to_thread(self._claim_requests)
            except Exception as exc:
                log.warning("crawl requests: cannot read them (%s)", exc)
                claimed = []
            for source_id in claimed:
                if self.active:
                    log.info("crawl: source=%d asked for; queued", source_id)
                    self.crawls.submit(source_id)
            await asyncio.sleep(self.config.crawl_request_seconds)

    def _sync_now(self, crawling: frozenset[int]) -> tuple[int, int, int]:
        """Close abandoned runs, then set and remove crawl jobs (in a thread)."""
        assert self.scheduler is not None
        now = self.clock()
        with self.sessions.begin() as session:
            abandoned = close_abandoned_runs(session, now, self.abandon_after)
            if self.unplaced_after is not None:
                abandoned += close_unplaced_runs(session, now, self.unplaced_after, crawling)
        with self.sessions() as session:
            sources = enabled_sources(session)
            busy = sources_being_crawled(session, now, self.abandon_after) | crawling
        plan = plan_crawl_jobs(
            sources,
            jobs.scheduled_crawls(self.scheduler),
            busy,
            now,
            self.config.crawl_jitter_seconds,
        )
        if plan.schedule or plan.remove:
            with jobs.batch(self.scheduler):
                for source_id, when in plan.schedule.items():
                    if self.active:
                        jobs.set_crawl(self.scheduler, source_id, when)
                for source_id in plan.remove:
                    if self.active:
                        jobs.remove_crawl(self.scheduler, source_id)
        return len(plan.schedule), len(plan.remove), abandoned

    async def _sync(self) -> None:
        try:
            scheduled, removed, abandoned = await asyncio.to_thread(
                self._sync_now, self.crawls.in_flight()
            )
        except Exception:
            log.exception("sources: could not read the sources")
            self.stats.record("sources", False)
            return
        self.stats.record("sources", True)
        if scheduled or removed or abandoned:
            log.info(
                "sources: crawls scheduled=%d removed=%d abandoned runs closed=%d",
                scheduled,
                removed,
                abandoned,
            )

    # -- digests and clean-up --

    async def _digests(self) -> None:
        now = self.clock()
        try:
            report = await asyncio.to_thread(self.work.digests, now, self.flags)
        except Exception:
            log.exception("digests: the run failed")
            self.stats.record("digests", False)
            return
        self.stats.record("digests", not report.failed and not report.stopped)
        for problem in report.problems:
            log.warning("digests: %s", problem)
        busy = report.planned or report.sent or report.failed or report.retried or report.empty
        log.log(
            logging.INFO if busy or report.stopped else logging.DEBUG,
            "digests: due=%d planned=%d sent=%d empty=%d skipped=%d failed=%d retried=%d "
            "resumed=%d%s",
            report.due,
            report.planned,
            report.sent,
            report.empty,
            report.skipped,
            report.failed,
            report.retried,
            report.reclaimed,
            f"; stopped: {report.stopped}" if report.stopped else "",
        )

    async def _clean_up(self) -> None:
        try:
            counts = await asyncio.to_thread(clean_up, self.sessions, self.clock(), self.retention)
        except Exception:
            log.exception("clean-up: failed")
            self.stats.record("cleanup", False)
            return
        self.stats.record("cleanup", True)
        log.info(
            "clean-up: crawl runs=%d listings=%d events=%d unconfirmed subscribers=%d deleted",
            counts.crawl_runs,
            counts.listings,
            counts.events,
            counts.subscribers,
        )
