"""The APScheduler job store in our database: explicit ids, chosen options, and a missed run
that happens once (not never, not once per missed time) after a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from scheduler import jobs
from tests.conftest import Database

RUNS: list[datetime] = []


async def record_run() -> None:
    """A job stored by reference (tests.test_scheduler_jobs:record_run)."""
    RUNS.append(datetime.now(UTC))


@contextmanager
def term(db: Database) -> Iterator[AsyncIOScheduler]:
    """One daemon's scheduler on the database's job store, started paused (nothing runs)."""
    scheduler = jobs.make_scheduler(db.engine)
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


def register(scheduler: AsyncIOScheduler, now: datetime, cleanup_hours: float = 24) -> None:
    jobs.register_jobs(
        scheduler, now, sync_seconds=60, digest_seconds=60, cleanup_hours=cleanup_hours
    )


async def test_jobs_are_stored_with_explicit_ids_and_the_chosen_options(
    db: Database, now: datetime
) -> None:
    with term(db) as scheduler:
        register(scheduler, now)
        jobs.set_crawl(scheduler, 7, now + timedelta(hours=3))
    await asyncio.sleep(0)  # the shutdown runs on the loop
    with term(db) as scheduler:  # read back from the database by a new scheduler
        stored = {job.id: job for job in scheduler.get_jobs()}
        assert set(stored) == {"sources", "digests", "cleanup", "crawl:7"}
        for job in stored.values():
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
        assert stored["crawl:7"].kwargs == {"source_id": 7}
        assert jobs.scheduled_crawls(scheduler) == {7: now + timedelta(hours=3)}
        jobs.remove_crawl(scheduler, 7)
        jobs.remove_crawl(scheduler, 7)  # already gone: no error
        assert jobs.scheduled_crawls(scheduler) == {}


async def test_a_restart_keeps_the_clean_up_time_and_runs_a_missed_one_at_start(
    db: Database, now: datetime
) -> None:
    with term(db) as scheduler:
        register(scheduler, now)
        assert scheduler.get_job("cleanup").next_run_time == now  # the first ever: at once
        scheduler.modify_job("cleanup", next_run_time=now + timedelta(hours=24))  # it ran
    await asyncio.sleep(0)
    an_hour_later = now + timedelta(hours=1)
    with term(db) as scheduler:  # a restart does not postpone it
        register(scheduler, an_hour_later)
        assert scheduler.get_job("cleanup").next_run_time == now + timedelta(hours=24)
        assert scheduler.get_job("digests").next_run_time == an_hour_later  # at once
    await asyncio.sleep(0)
    after_downtime = now + timedelta(hours=30)
    with term(db) as scheduler:  # down when it fell due: it runs at start
        register(scheduler, after_downtime)
        assert scheduler.get_job("cleanup").next_run_time == now + timedelta(hours=24)
    await asyncio.sleep(0)
    with term(db) as scheduler:  # a shorter interval applies at once
        register(scheduler, an_hour_later, cleanup_hours=0.5)
        cleanup = scheduler.get_job("cleanup")
        assert cleanup.next_run_time == an_hour_later + timedelta(hours=0.5)


async def test_a_job_missed_several_times_runs_once_however_late(db: Database) -> None:
    RUNS.clear()
    started = datetime.now(UTC)
    with term(db) as scheduler:
        jobs.ensure_job(
            scheduler,
            "every-minute",
            record_run,
            IntervalTrigger(seconds=60),
            first_run=started - timedelta(seconds=150),  # three runs missed, the last 30 s ago
        )
        scheduler.resume()
        await asyncio.sleep(0.5)
    assert len(RUNS) == 1


async def test_stopping_the_scheduler_leaves_our_engine_and_its_connections_alone(
    db: Database, now: datetime
) -> None:
    pool = db.engine.pool
    with db.engine.connect() as busy:  # another thread's work, in flight during the stop
        with term(db) as scheduler:
            register(scheduler, now)
        await asyncio.sleep(0)  # the shutdown runs on the loop
        assert db.engine.pool is pool
        assert busy.execute(text("SELECT 1")).scalar() == 1
