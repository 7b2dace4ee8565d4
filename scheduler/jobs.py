"""APScheduler 3.x plumbing: the scheduler, its job store in our database, and the jobs.

The job store (`SQLAlchemyJobStore` on our engine, which it must never dispose; table
`apscheduler_jobs`) keeps each job's next run time across restarts, so a clean-up that fell due
while the daemon was down runs once when it starts. A job store must never be shared by two
running schedulers: only the holder of the lease (scheduler.lease) creates a scheduler, and it
shuts it down the moment the lease is lost.

Jobs are stored by reference ("scheduler.jobs:digest_tick"), so the job functions are the
module-level coroutines below. Each only hands the work to the daemon's active runtime (bound
with `bind`) and returns: the runtime owns the work's tasks, so that shutting the scheduler
down (which cancels running jobs) never cuts a crawl or a send short; the runtime drains them
itself.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
SOURCES_JOB = "sources"
DIGESTS_JOB = "digests"
CLEANUP_JOB = "cleanup"
CRAWL_PREFIX = "crawl:"

JOB_OPTIONS: dict[str, Any] = {
    # A job that fell due several times while the daemon was down (or the loop was busy) runs
    # once, not once per missed time: one clean-up, one digest tick, one crawl.
    "coalesce": True,
    # Never two runs of one job at once (the runtime also refuses to start a second digest run
    # or a second crawl of a source while one is going).
    "max_instances": 1,
    # Run however late: APScheduler's default grace of 1 s would silently skip a run that is
    # a second late (a clean-up missed during a restart, a crawl due while the loop was busy).
    # Lateness is harmless here: each job asks the database what is due.
    "misfire_grace_time": None,
}


class Runtime(Protocol):
    """What the jobs hand their work to (scheduler.runtime.ActiveRuntime)."""

    def request_crawl(self, source_id: int) -> None: ...
    def sync_sources(self) -> None: ...
    def digest_tick(self) -> None: ...
    def clean_up(self) -> None: ...


_runtime: Runtime | None = None


def bind(runtime: Runtime | None) -> None:
    """Stored jobs are module functions: they reach the daemon's runtime through here."""
    global _runtime
    _runtime = runtime


def _call(action: Callable[[Runtime], None], job: str) -> None:
    if _runtime is None:
        log.warning("job %s ran with no active runtime; ignored", job)
        return
    action(_runtime)


async def crawl_source(source_id: int) -> None:
    _call(lambda runtime: runtime.request_crawl(source_id), f"{CRAWL_PREFIX}{source_id}")


async def sync_sources() -> None:
    _call(lambda runtime: runtime.sync_sources(), SOURCES_JOB)


async def digest_tick() -> None:
    _call(lambda runtime: runtime.digest_tick(), DIGESTS_JOB)


async def clean_up() -> None:
    _call(lambda runtime: runtime.clean_up(), CLEANUP_JOB)


class SharedEngineJobStore(SQLAlchemyJobStore):
    """The job store on the application's engine. APScheduler's own disposes the engine when
    the scheduler shuts down (on every stop and every lost lease): that would throw away the
    pool under the threads still using it, and leave their connections to the garbage
    collector. The engine is the application's to dispose.

    A job that is gone when the scheduler updates or removes it after a run was removed by
    another scheduler on the same table: a daemon whose lease ran out while its event loop was
    held, for the moment before it notices, overlapping the one that took over. The job is
    gone, as wanted; APScheduler's JobLookupError there would escape its wake-up on the event
    loop and leave the scheduler with no timer, asleep until the next job is added."""

    def shutdown(self) -> None:
        pass

    def update_job(self, job: Job) -> None:
        try:
            super().update_job(job)
        except JobLookupError:
            log.debug("job %s: removed by another scheduler; not updated", job.id)

    def remove_job(self, job_id: str) -> None:
        try:
            super().remove_job(job_id)
        except JobLookupError:
            log.debug("job %s: removed by another scheduler already", job_id)


def make_scheduler(engine: Engine) -> AsyncIOScheduler:
    return AsyncIOScheduler(
        jobstores={"default": SharedEngineJobStore(engine=engine, tablename=JOBSTORE_TABLE)},
        executors={"default": AsyncIOExecutor()},
        job_defaults=JOB_OPTIONS,
        timezone="UTC",
    )


JobFunction = Callable[..., Coroutine[Any, Any, None]]


def ensure_job(
    scheduler: AsyncIOScheduler,
    job_id: str,
    func: JobFunction,
    trigger: BaseTrigger,
    *,
    first_run: datetime,
    latest_run: datetime | None = None,
    kwargs: dict[str, Any] | None = None,
    name: str | None = None,
) -> Job:
    """Add or replace a job (explicit id, `replace_existing`).

    `first_run`: when a new job first runs. With `latest_run`, a job already in the store
    keeps its stored next run time when that is no later (a clean-up due while the daemon was
    down runs once at start; a restart does not postpone it); without, the job runs at
    `first_run` whatever was stored.
    """
    next_run = first_run
    if latest_run is not None:
        stored = scheduler.get_job(job_id)
        if stored is not None and stored.next_run_time is not None:
            next_run = min(stored.next_run_time, latest_run)
    return scheduler.add_job(
        func,
        trigger,
        id=job_id,
        name=name or job_id,
        kwargs=kwargs or {},
        replace_existing=True,
        next_run_time=next_run,
        **JOB_OPTIONS,
    )


def register_jobs(
    scheduler: AsyncIOScheduler,
    now: datetime,
    *,
    sync_seconds: float,
    digest_seconds: float,
    cleanup_hours: float,
) -> None:
    """The daemon's fixed jobs. Sources and digests run at start (a digest missed while the
    daemon was down goes out now, if its period has not ended); clean-up keeps its stored time."""
    ensure_job(
        scheduler, SOURCES_JOB, sync_sources, IntervalTrigger(seconds=sync_seconds), first_run=now
    )
    ensure_job(
        scheduler, DIGESTS_JOB, digest_tick, IntervalTrigger(seconds=digest_seconds), first_run=now
    )
    ensure_job(
        scheduler,
        CLEANUP_JOB,
        clean_up,
        IntervalTrigger(hours=cleanup_hours),
        first_run=now,
        latest_run=now + timedelta(hours=cleanup_hours),
    )


@contextlib.contextmanager
def batch(scheduler: AsyncIOScheduler) -> Iterator[None]:
    """Set or remove many jobs (from a thread) with one wake-up of the scheduler. Each job added
    to a running scheduler wakes it on the event loop, and each wake-up reads every due job
    from the store there: a sync that sets the crawl jobs of a thousand sources one by one
    would hold the loop (and the web app, and the lease renewal) for a thousand such reads.
    Paused, a wake-up reads nothing; the one at the end reads once."""
    paused = scheduler.state == STATE_RUNNING
    if paused:
        scheduler.pause()
    try:
        yield
    finally:
        if paused and scheduler.state == STATE_PAUSED:  # not shut down meanwhile
            scheduler.resume()


def crawl_job_id(source_id: int) -> str:
    return f"{CRAWL_PREFIX}{source_id}"


def scheduled_crawls(scheduler: AsyncIOScheduler) -> dict[int, datetime]:
    """Source id → next run time of each crawl job in the store."""
    found: dict[int, datetime] = {}
    for job in scheduler.get_jobs():
        if job.id.startswith(CRAWL_PREFIX) and job.next_run_time is not None:
            found[int(job.id.removeprefix(CRAWL_PREFIX))] = job.next_run_time
    return found


def set_crawl(scheduler: AsyncIOScheduler, source_id: int, when: datetime) -> None:
    """One crawl of the source at `when` (a date job: after it runs, the daemon sets the next
    one from the source's new `next_crawl_at`)."""
    ensure_job(
        scheduler,
        crawl_job_id(source_id),
        crawl_source,
        DateTrigger(run_date=when),
        first_run=when,
        kwargs={"source_id": source_id},
        name=f"crawl source {source_id}",
    )


def remove_crawl(scheduler: AsyncIOScheduler, source_id: int) -> None:
    with contextlib.suppress(JobLookupError):  # it had just run (a date job removes itself)
        scheduler.remove_job(crawl_job_id(source_id))
