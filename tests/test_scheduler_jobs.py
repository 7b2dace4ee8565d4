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


def store_reads(engine: object, counter: list[str]) -> object:
    """Count the statements that read the job store's due jobs (a wake-up of the scheduler)."""
    from sqlalchemy import event

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "apscheduler_jobs" in statement:
            counter.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    return seen


async def test_many_crawl_jobs_set_in_a_batch_wake_the_scheduler_once(
    db: Database, now: datetime
) -> None:
    """Setting the crawl jobs of many sources from a thread (the daemon's source sync): one by
    one, each wakes the running scheduler on the loop, which reads the store each time; in a
    batch, the store is read about once."""
    from sqlalchemy import event

    scheduler = jobs.make_scheduler(db.engine)
    scheduler.start()
    later = datetime.now(UTC) + timedelta(days=1)
    reads: list[str] = []
    listener = store_reads(db.engine, reads)
    try:

        def one_by_one(first: int) -> None:
            for source_id in range(first, first + 60):
                jobs.set_crawl(scheduler, source_id, later)

        def batched(first: int) -> None:
            with jobs.batch(scheduler):
                one_by_one(first)

        await asyncio.to_thread(one_by_one, 1)  # control: a wake-up per job
        await asyncio.sleep(0.2)
        unbatched = len(reads)
        reads.clear()
        await asyncio.to_thread(batched, 100)
        await asyncio.sleep(0.2)
        assert unbatched >= 30
        assert len(reads) <= 3
        assert scheduler.state == 1  # running again (not left paused)
        assert len(jobs.scheduled_crawls(scheduler)) == 120
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
        scheduler.shutdown(wait=False)


async def test_a_job_removed_by_another_scheduler_leaves_this_one_awake(
    db: Database, now: datetime
) -> None:
    """Two schedulers on one store for a moment (a daemon whose lease ran out, before it
    notices): a job the other removed is not found after its run here; that must not stop
    this scheduler's wake-ups."""
    first = jobs.make_scheduler(db.engine)
    first.start(paused=True)
    second = jobs.make_scheduler(db.engine)
    second.start(paused=True)
    try:
        store = first._lookup_jobstore("default")
        jobs.set_crawl(first, 1, now)
        job = first.get_job("crawl:1")
        assert job is not None
        second.remove_job("crawl:1")
        store.remove_job("crawl:1")  # gone already: no JobLookupError
        store.update_job(job)
        # Positive control: the store still works for jobs that exist.
        jobs.set_crawl(first, 2, now + timedelta(hours=1))
        assert jobs.scheduled_crawls(second) == {2: now + timedelta(hours=1)}
    finally:
        first.shutdown(wait=False)
        second.shutdown(wait=False)
