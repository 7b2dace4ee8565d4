"""The daemon and its lease, in-process: a daemon whose lease is taken stops scheduling at once,
waits as a standby, and takes the lease back when it is free again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from config import DatabaseSettings, MailSettings, SchedulerSettings, Settings
from digest.compose import DigestConfig
from scheduler import jobs
from scheduler.daemon import Daemon
from store.models import Delivery, SchedulerLease
from tests.conftest import Database
from tests.support.digest import BASE_URL, SECRET, add_event, add_subscriber
from vahti.daemon_work import AppWork, daemon_crawl_queue

CONFIG = DigestConfig(
    base_url=BASE_URL, secret=SECRET, from_address="v@vahti.example", message_id_domain="v.ex"
)


def daemon_settings(db: Database, tmp_path: Path, *, ticks: float) -> Settings:
    """A daemon on the test database with a short lease; digest ticks and source syncs every
    `ticks` seconds."""
    return Settings(
        database=DatabaseSettings(url=db.url),
        mail=MailSettings(outbox_dir=tmp_path / "outbox"),
        scheduler=SchedulerSettings(
            lease_ttl_seconds=2,
            lease_renew_seconds=0.2,
            digest_tick_seconds=ticks,
            source_sync_seconds=ticks,
            stop_timeout_seconds=5,
        ),
    )


async def until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds it took for `check` to hold."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def deliveries(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count(Delivery.id))) or 0


async def test_a_daemon_that_loses_its_lease_stops_at_once_and_takes_it_back_later(
    db: Database, tmp_path: Path
) -> None:
    settings = daemon_settings(db, tmp_path, ticks=0.2)
    work = AppWork(settings, db.sessions, CONFIG)
    daemon = Daemon(
        settings, db.engine, db.sessions, work, daemon_crawl_queue(settings, db.sessions)
    )
    running = asyncio.create_task(daemon.run())
    try:
        await until(lambda: daemon.role == "active", 10, "the daemon to take the lease")

        with db.sessions.begin() as session:  # another daemon takes the lease over
            session.execute(
                update(SchedulerLease).values(
                    holder="elsewhere/1/x", expires_at=datetime.now(UTC) + timedelta(seconds=4)
                )
            )
        took = await until(lambda: daemon.role == "standby", 5, "the daemon to give up")
        assert took < 1.0  # its next renewal (every 0.2 s) is refused: it stops at once
        assert jobs._runtime is None  # a job that still fires reaches nothing

        now = datetime.now(UTC)
        with db.sessions.begin() as session:
            add_event(session, now, title="Uraseminaari", days=2)
            add_subscriber(session, "anna@example.fi", send_day="mon", send_hour=0,
                           timezone="UTC", confirmed_at=now - timedelta(days=8))  # fmt: skip
        await asyncio.sleep(1.0)
        assert deliveries(db) == 0  # a standby plans and sends nothing

        await until(lambda: daemon.role == "active", 10, "the daemon to take the lease back")
        await until(lambda: deliveries(db) == 1, 10, "the digest once the daemon acts again")
        await until(lambda: len(list((tmp_path / "outbox").glob("*.eml"))) == 1, 10, "the mail")
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(running, 20) == 0
    with db.sessions() as session:
        lease = session.scalars(select(SchedulerLease)).one()
    assert lease.holder == daemon.holder and lease.expires_at < datetime.now(UTC)


async def test_crawl_now_from_the_web_app_is_run_by_the_active_daemon(
    db: Database, tmp_path: Path
) -> None:
    """`vahti run` hands the daemon's queue to the web app: "crawl now" on a daemon that does
    not hold the lease only makes the source due (the active one crawls it); on the active one
    it is queued at once, through the daemon's admission and counted in its figures."""
    from store.models import CrawlRun, Source

    settings = daemon_settings(db, tmp_path, ticks=60)
    now = datetime.now(UTC)
    with db.sessions.begin() as session:  # crawled an hour ago, next due tomorrow
        source = Source(
            name="Hiljainen",
            url="http://127.0.0.1:9/tapahtumat/",  # nothing listens: the crawl fails fast
            kind="jsonld",
            interval_hours=24,
            last_run_at=now - timedelta(hours=1),
            next_crawl_at=now + timedelta(hours=23),
        )
        session.add(source)
        session.flush()
        source_id = source.id
    crawls = daemon_crawl_queue(settings, db.sessions)
    daemon = Daemon(
        settings, db.engine, db.sessions, AppWork(settings, db.sessions, CONFIG), crawls
    )

    def runs() -> list[CrawlRun]:
        with db.sessions() as session:
            return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))

    # Not the active daemon yet: nothing is queued here, the source is due now.
    with db.sessions() as session:
        assert crawls.crawl_now(session, source_id)
    assert not crawls.running(source_id)
    with db.sessions() as session:
        due = session.get_one(Source, source_id).next_crawl_at
    assert due is not None and due.replace(tzinfo=UTC) <= datetime.now(UTC)

    running = asyncio.create_task(daemon.run())
    try:
        await until(lambda: daemon.role == "active", 10, "the daemon to take the lease")
        # Its first source sync finds the source due and crawls it.
        await until(lambda: [r.status for r in runs()] == ["failed"], 30, "the daemon's crawl")
        await until(lambda: not crawls.running(source_id), 30, "the crawl process to end")
        await asyncio.sleep(0.5)
        assert len(runs()) == 1  # failed: backed off, not due again

        with db.sessions() as session:  # "crawl now" on the active daemon: queued at once
            assert crawls.crawl_now(session, source_id)
        assert crawls.running(source_id)
        with db.sessions() as session:  # asked again while it runs: refused
            assert not crawls.crawl_now(session, source_id)
        await until(lambda: [r.status for r in runs()] == ["failed"] * 2, 30, "the second crawl")
        await until(lambda: not crawls.running(source_id), 5, "the queue to let go")
        assert daemon.stats.runs[("crawl", "error")] == 2
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(running, 20) == 0
    assert not crawls.accepting  # the daemon stopped: its queue takes nothing more
