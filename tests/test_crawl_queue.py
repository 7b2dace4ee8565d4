"""The one crawl queue (services.crawl_queue): one `crawl.max_parallel` for scheduled and
asked-for crawls, one crawl per source, one dedupe after a batch that changed listings, and a
stop that kills the crawls in flight. Real crawl processes against sites on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scheduler.metrics import DaemonStats
from services.crawl_queue import CrawlQueue
from store.models import CrawlRun, Event, Listing, Source
from tests.conftest import Database
from tests.support.children import child_settings
from tests.support.http import SiteServer
from tests.test_crawl_runs import PAGE

pytestmark = pytest.mark.slow


def add_sources(db: Database, server: SiteServer, delay: float, *names: str) -> list[int]:
    ids = []
    with db.sessions.begin() as session:
        for name in names:
            page = PAGE.replace("https://x.example.fi/1", f"https://x.example.fi/{name}")
            url = server.add(f"/{name}/", page, delay=delay)
            source = Source(name=name, url=url, kind="jsonld", interval_hours=1.0)
            session.add(source)
            session.flush()
            ids.append(source.id)
    return ids


def make_queue(db: Database, tmp_path: Path, max_parallel: int, **options: object) -> CrawlQueue:
    return CrawlQueue(
        db.sessions,
        max_parallel=max_parallel,
        time_limit=60,
        child_settings=child_settings(db.url),
        **options,  # type: ignore[arg-type]
    )


def runs_of(db: Database, source_id: int) -> list[CrawlRun]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(CrawlRun).where(CrawlRun.source_id == source_id).order_by(CrawlRun.id)
            )
        )


async def until(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def idle(queue: CrawlQueue) -> None:
    """Until nothing is in flight: no crawl, and no dedupe the last crawl started."""
    while tasks := queue.tasks():
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)


async def scheduled_and_asked_for(db: Database, queue: CrawlQueue, ids: list[int]) -> None:
    """One crawl as the daemon's scheduler submits it, one as the admin's "crawl now"."""
    scheduled, asked = ids
    assert queue.submit(scheduled)
    with db.sessions() as session:
        assert queue.crawl_now(session, asked)
    await idle(queue)


@pytest.mark.parametrize("max_parallel", [1, 2])
async def test_max_parallel_bounds_scheduled_and_asked_for_crawls_alike(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path, max_parallel: int
) -> None:
    ids = add_sources(sqlite_db, site_server, 2.0, "aamu", "ilta")
    queue = make_queue(sqlite_db, tmp_path, max_parallel)
    await scheduled_and_asked_for(sqlite_db, queue, ids)
    (first,), (second,) = (runs_of(sqlite_db, source_id) for source_id in ids)
    assert first.status == second.status == "ok", (first.first_error, second.first_error)
    assert first.finished_at is not None and second.finished_at is not None
    if max_parallel == 1:  # the asked-for crawl waits for the free slot
        assert second.started_at >= first.finished_at
    else:  # control: with two slots they overlap
        assert second.started_at < first.finished_at


async def test_a_source_is_crawled_once_at_a_time(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    source_id, other_id, elsewhere_id = add_sources(
        sqlite_db, site_server, 1.0, "yksi", "kaksi", "muualla"
    )
    queue = make_queue(sqlite_db, tmp_path, 2)
    assert queue.submit(source_id)
    assert queue.running(source_id)
    assert not queue.submit(source_id)  # queued or running: refused
    with sqlite_db.sessions() as session:
        assert not queue.crawl_now(session, source_id)
        assert queue.busy(session, source_id)
        # Control: another source is taken while the first one runs.
        assert not queue.busy(session, other_id)
        assert queue.crawl_now(session, other_id)
    # A run open in another process (the daemon, `vahti crawl`) counts as running too.
    with sqlite_db.sessions.begin() as session:
        session.add(CrawlRun(source_id=elsewhere_id, started_at=datetime.now(UTC)))
    with sqlite_db.sessions() as session:
        assert queue.busy(session, elsewhere_id)
        assert not queue.crawl_now(session, elsewhere_id)
    await idle(queue)
    assert not queue.running(source_id)
    assert [run.status for run in runs_of(sqlite_db, source_id)] == ["ok"]
    assert [run.status for run in runs_of(sqlite_db, other_id)] == ["ok"]
    assert queue.submit(source_id)  # done: it can be crawled again
    await idle(queue)
    assert len(runs_of(sqlite_db, source_id)) == 2


async def test_dedupe_runs_once_after_a_batch_that_changed_listings(
    db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    ids = add_sources(db, site_server, 0.0, "syys", "talvi")
    stats = DaemonStats()
    queue = make_queue(db, tmp_path, 2, dedupe_past_days=30)
    queue.open(tally=stats)

    results = await queue.run(ids)
    assert [r.source_id for r in results] == ids
    assert all(r.new == 1 for r in results)
    await idle(queue)
    assert stats.runs[("dedupe", "ok")] == 1  # one dedupe for the two crawls
    with db.sessions() as session:  # the same event on both sites: one event of two listings
        assert session.scalar(select(func.count()).select_from(Event)) == 1
        assert session.scalar(select(func.count()).where(Listing.event_id.is_not(None))) == 2

    again = await queue.run(ids)  # nothing changed on the sites
    assert not any(r.changed for r in again), [(r.status, r.updated) for r in again]
    await idle(queue)
    assert stats.runs[("dedupe", "ok")] == 1  # no dedupe after a batch without changes
    assert stats.runs[("crawl", "ok")] == 4


async def test_without_dedupe_days_the_queue_never_dedupes(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    """`vahti crawl` and the demo: the crawls change listings, nothing is grouped."""
    ids = add_sources(sqlite_db, site_server, 0.0, "kevat")
    stats = DaemonStats()
    queue = make_queue(sqlite_db, tmp_path, 1)
    queue.open(tally=stats)
    [result] = await queue.run(ids)
    await idle(queue)
    assert result.changed and stats.runs[("crawl", "ok")] == 1
    assert stats.runs[("dedupe", "ok")] == 0
    with sqlite_db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


async def test_stop_kills_the_crawls_in_flight_and_closes_their_runs_as_cancelled(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    slow, waiting = add_sources(sqlite_db, site_server, 60.0, "hidas", "jonossa")
    queue = make_queue(sqlite_db, tmp_path, 1)
    assert queue.submit(slow) and queue.submit(waiting)
    await until(lambda: site_server.hits("/hidas/"), 60, "the crawl to reach the slow page")
    assert queue.crawling() == 1
    asked = time.monotonic()
    await queue.stop()
    assert time.monotonic() - asked < 10
    [run] = runs_of(sqlite_db, slow)
    assert run.status == "cancelled" and run.finished_at is not None
    assert "shutdown" in (run.first_error or "")
    assert runs_of(sqlite_db, waiting) == []  # never started: no run at all
    assert queue.tasks() == [] and queue.crawling() == 0
    assert not queue.submit(waiting)  # stopped: takes nothing more
    with sqlite_db.sessions() as session:
        source = session.get_one(Source, slow)
    assert source.consecutive_failures == 0  # a shutdown says nothing of the source


async def test_a_web_processs_own_queue_leaves_crawl_now_to_the_active_daemon(
    db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    """`vahti serve`'s queue (`leave_to_daemon`): while a daemon holds the lease, "crawl now"
    is only stored (the source due now, a request the daemon claims); with no daemon active,
    the web process crawls it itself."""
    from datetime import timedelta

    from scheduler.crawls import claim_crawl_requests
    from scheduler.lease import Lease
    from store.models import CrawlRequest

    left, taken = add_sources(db, site_server, 0.0, "jatetty", "otettu")
    queue = make_queue(db, tmp_path, 2, leave_to_daemon=True)
    lease = Lease(db.sessions, "daemon-elsewhere", ttl=timedelta(seconds=30))
    assert lease.try_acquire(datetime.now(UTC))
    with db.sessions() as session:
        assert queue.crawl_now(session, left)
    assert not queue.running(left)
    with db.sessions() as session:
        assert session.scalars(select(CrawlRequest.source_id)).all() == [left]
        due = session.get_one(Source, left).next_crawl_at
    assert due is not None and due <= datetime.now(UTC)
    # The daemon claims it, once.
    with db.sessions.begin() as session:
        assert claim_crawl_requests(session) == [left]
    with db.sessions.begin() as session:
        assert claim_crawl_requests(session) == []

    # Control: the daemon gone (its lease released), the web process crawls it itself.
    lease.release(datetime.now(UTC))
    with db.sessions() as session:
        assert queue.crawl_now(session, taken)
    assert queue.running(taken)
    await idle(queue)
    assert [run.status for run in runs_of(db, taken)] == ["ok"]
    assert runs_of(db, left) == []
    with db.sessions() as session:
        assert session.scalars(select(CrawlRequest)).all() == []
