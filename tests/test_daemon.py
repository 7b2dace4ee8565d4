"""`vahti run` and `vahti worker` as real processes: against fixture sites on 127.0.0.1, the
aiosmtpd server, and SQLite or PostgreSQL."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digest.plan import every_subscriber, plan_deliveries
from store.models import CrawlRun, Delivery, Event, Listing, SchedulerLease, Source
from tests.conftest import Database
from tests.support.daemon import FAST, VahtiProcess, free_port, started, wait_for
from tests.support.digest import add_event, add_subscriber
from tests.support.http import SiteServer
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.slow

TITLE = "Rekrytointimessut Messukeskuksessa"


def event_page(start: datetime) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": "https://messut.example/2026/rekry",
        "name": TITLE,
        "startDate": start.replace(microsecond=0).isoformat(),
        "location": {"@type": "Place", "name": "Messukeskus", "address": "Helsinki"},
    }
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head></html>'
    )


@pytest.fixture
def processes() -> Iterator[list[VahtiProcess]]:
    running: list[VahtiProcess] = []
    yield running
    for process in running:
        process.close()


@pytest.fixture
def env(vahti_env: dict[str, str], db: Database, smtp_server: SmtpServer) -> dict[str, str]:
    return {
        **vahti_env,
        **FAST,
        "VAHTI_DATABASE__URL": db.url,
        "VAHTI_MAIL__BACKEND": "smtp",
        "VAHTI_MAIL__HOST": smtp_server.host,
        "VAHTI_MAIL__PORT": str(smtp_server.port),
        "VAHTI_MAIL__CONNECTIONS": "2",
    }


def run_daemon(
    processes: list[VahtiProcess], name: str, tmp_path: Path, env: dict[str, str]
) -> tuple[VahtiProcess, int]:
    port = free_port()
    daemon = started(processes, name, ["run", "--port", str(port)], cwd=tmp_path, env=env)
    return daemon, port


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def add_due_subscribers(db: Database, emails: list[str]) -> None:
    """Subscribers since last week whose slot (Monday 00:00 UTC) has come this week."""
    with db.sessions.begin() as session:
        for email in emails:
            add_subscriber(
                session,
                email,
                language="en",
                timezone="UTC",
                send_day="mon",
                send_hour=0,
                confirmed_at=datetime.now(UTC) - timedelta(days=8),
            )


def digests_to(smtp_server: SmtpServer) -> dict[str, int]:
    return {email: len(got) for email, got in smtp_server.by_recipient().items()}


def finished_runs(db: Database, source_id: int) -> list[CrawlRun]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(CrawlRun)
                .where(CrawlRun.source_id == source_id, CrawlRun.status != "running")
                .order_by(CrawlRun.id)
            )
        )


def test_the_daemon_crawls_dedupes_and_sends_on_time_then_stops_cleanly(
    db: Database,
    env: dict[str, str],
    site_server: SiteServer,
    smtp_server: SmtpServer,
    processes: list[VahtiProcess],
    tmp_path: Path,
) -> None:
    url = site_server.add("/tapahtumat/", event_page(datetime.now(UTC) + timedelta(days=3)))
    with db.sessions.begin() as session:
        source = Source(name="Messut", url=url, kind="jsonld", interval_hours=2 / 3600)
        session.add(source)
        session.flush()
        source_id = source.id
    daemon, port = run_daemon(processes, "daemon", tmp_path, env)

    # A crawl, and another one on the source's (two-second) interval.
    runs = wait_for(lambda: len(finished_runs(db, source_id)) >= 2 and finished_runs(db, source_id),
                    60, "two crawls of the source")  # fmt: skip
    assert {run.status for run in runs} <= {"ok", "not_modified"}, runs[0].first_error
    assert runs[1].started_at >= runs[0].finished_at

    # Dedupe after the crawl: the listing belongs to an event.
    def event_made() -> bool:
        with db.sessions() as session:
            listing = session.scalars(select(Listing)).first()
            return listing is not None and listing.event_id is not None

    wait_for(event_made, 30, "an event made of the crawled listing")
    with db.sessions() as session:
        assert session.scalars(select(Event.title)).all() == [TITLE]

    # A subscriber whose slot has come gets the digest with the crawled event, once.
    add_due_subscribers(db, ["anna@example.fi"])
    wait_for(lambda: "anna@example.fi" in smtp_server.by_recipient(), 30, "the digest")
    (digest,) = smtp_server.by_recipient()["anna@example.fi"]
    assert TITLE in digest.get_body(preferencelist=("plain",)).get_content()

    status, body = get(port, "/healthz")
    assert status == 200 and json.loads(body)["scheduler"] is True
    status, body = get(port, "/metrics")
    metrics = body.decode()
    assert 'vahti_scheduler_role{role="active"} 1.0' in metrics
    assert 'vahti_deliveries{status="sent"} 1.0' in metrics
    assert "vahti_source_last_success_timestamp_seconds" in metrics

    assert daemon.stop(signal.SIGTERM) == 0
    log = daemon.log()
    assert f"crawl: source={source_id} (Messut) status=ok records=1 new=1" in log
    assert "dedupe: listings=1 events=1 created=1" in log
    assert "digests: due=1 planned=1 sent=1" in log
    assert "lease: released" in log
    assert digests_to(smtp_server) == {"anna@example.fi": 1}
    with db.sessions() as session:
        assert not session.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all()
        lease = session.scalars(select(SchedulerLease)).one()
        assert lease.expires_at < datetime.now(UTC)  # released: a standby need not wait


def test_sigterm_during_a_crawl_stops_it_within_the_bound_and_closes_its_run(
    sqlite_db: Database,
    vahti_env: dict[str, str],
    site_server: SiteServer,
    processes: list[VahtiProcess],
    tmp_path: Path,
) -> None:
    url = site_server.add("/hidas/", event_page(datetime.now(UTC) + timedelta(days=3)), delay=60)
    with sqlite_db.sessions.begin() as session:
        session.add(Source(name="Hidas", url=url, kind="jsonld"))
    env = {
        **vahti_env,
        **FAST,
        "VAHTI_DATABASE__URL": sqlite_db.url,
        "VAHTI_CRAWL__DOWNLOAD_TIMEOUT": "120",
        "VAHTI_SCHEDULER__STOP_TIMEOUT_SECONDS": "1",
    }
    daemon, _ = run_daemon(processes, "daemon", tmp_path, env)
    wait_for(lambda: site_server.hits("/hidas/"), 60, "the crawl to reach the slow page")
    asked = time.monotonic()
    assert daemon.stop(signal.SIGTERM) == 0
    assert time.monotonic() - asked < 15
    assert "time is up; stopping 1 crawls" in daemon.log()
    with sqlite_db.sessions() as session:
        run = session.scalars(select(CrawlRun)).one()
        source = session.scalars(select(Source)).one()
    # Stopped by the shutdown, not by the source: no failure counted, no backoff.
    assert run.status == "cancelled" and run.finished_at is not None
    assert "shutdown" in (run.first_error or "")
    assert source.consecutive_failures == 0 and source.health == "new"


def test_two_daemons_send_each_digest_once_and_the_standby_takes_over(
    db: Database,
    env: dict[str, str],
    smtp_server: SmtpServer,
    processes: list[VahtiProcess],
    tmp_path: Path,
) -> None:
    with db.sessions.begin() as session:
        add_event(session, datetime.now(UTC), title="Mentorointiohjelman haku", days=2)
    first = [f"reader{i}@example.fi" for i in range(8)]
    add_due_subscribers(db, first)
    one, _ = run_daemon(processes, "one", tmp_path, env)
    two, _ = run_daemon(processes, "two", tmp_path, env)

    def roles() -> tuple[VahtiProcess, VahtiProcess] | None:
        logs = {daemon: daemon.log() for daemon in (one, two)}
        acting = [d for d, log in logs.items() if "lease: acquired" in log]
        waiting = [d for d, log in logs.items() if "standby:" in log]
        return (acting[0], waiting[0]) if len(acting) == 1 and len(waiting) == 1 else None

    active, standby = wait_for(roles, 60, "one active daemon and one standby")
    wait_for(lambda: set(digests_to(smtp_server)) == set(first), 30, "every first digest")
    time.sleep(1.5)  # three more digest ticks, on both daemons
    assert digests_to(smtp_server) == dict.fromkeys(first, 1)

    assert active.stop(signal.SIGKILL) == -signal.SIGKILL
    killed = time.monotonic()
    later = [f"later{i}@example.fi" for i in range(3)]
    add_due_subscribers(db, later)
    standby.wait_for_log("lease: acquired", timeout=30)
    assert time.monotonic() - killed < 2 + 0.4 + 3  # the lease's TTL, one try, some slack
    wait_for(lambda: set(later) <= set(digests_to(smtp_server)), 30, "the later digests")
    time.sleep(1.5)
    assert digests_to(smtp_server) == dict.fromkeys(first + later, 1)
    assert standby.stop(signal.SIGTERM) == 0
    with db.sessions() as session:
        statuses = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        assert dict(statuses.all()) == {"sent": len(first + later)}


def test_workers_share_the_planned_digests_and_never_send_one_twice(
    db: Database,
    env: dict[str, str],
    smtp_server: SmtpServer,
    processes: list[VahtiProcess],
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    emails = [f"reader{i:03d}@example.fi" for i in range(240)]
    with db.sessions.begin() as session:
        add_event(session, now, title="Työnhakuklinikka", days=2)
        for email in emails:
            add_subscriber(session, email, language="fi")
        plan_deliveries(session, now, message_id_domain="vahti.example", due=every_subscriber)
    workers = [started(processes, f"worker{i}", ["worker"], cwd=tmp_path, env=env)
               for i in range(3)]  # fmt: skip
    wait_for(lambda: len(smtp_server.messages) >= len(emails), 60, "every digest")
    time.sleep(1)  # more polls by every worker
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    assert [worker.wait() for worker in workers] == [0, 0, 0]
    assert digests_to(smtp_server) == dict.fromkeys(emails, 1)
    assert all("stopped" in worker.log() for worker in workers)


def test_crawls_run_a_few_at_a_time_then_one_dedupe_and_new_sources_are_picked_up(
    sqlite_db: Database,
    vahti_env: dict[str, str],
    site_server: SiteServer,
    processes: list[VahtiProcess],
    tmp_path: Path,
) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    ids: list[int] = []
    with sqlite_db.sessions.begin() as session:
        for name in ("yksi", "kaksi", "kolme"):
            url = site_server.add(f"/{name}/", event_page(start).replace("/rekry", f"/{name}"))
            source = Source(name=name, url=url, kind="jsonld")  # daily: crawled once here
            session.add(source)
            session.flush()
            ids.append(source.id)
    env = {
        **vahti_env,
        **FAST,
        "VAHTI_DATABASE__URL": sqlite_db.url,
        "VAHTI_CRAWL__MAX_PARALLEL": "2",
    }
    daemon, _ = run_daemon(processes, "daemon", tmp_path, env)
    daemon.wait_for_log("dedupe:", timeout=60)
    runs = [run for source_id in ids for run in finished_runs(sqlite_db, source_id)]
    assert len(runs) == 3 and {run.status for run in runs} == {"ok"}
    moments = sorted(
        [(run.started_at, 1) for run in runs] + [(run.finished_at, -1) for run in runs]
    )
    at_once = [sum(step for _, step in moments[: i + 1]) for i in range(len(moments))]
    assert max(at_once) == 2  # two in parallel, never three
    log = daemon.log()
    assert log.count("dedupe:") == 1 and log.index("dedupe:") > max(
        log.index(f"crawl: source={source_id} ") for source_id in ids
    )  # one dedupe, after the whole batch

    url = site_server.add("/nelja/", event_page(start).replace("/rekry", "/nelja"))
    with sqlite_db.sessions.begin() as session:  # added while the daemon runs
        session.add(Source(name="neljä", url=url, kind="jsonld"))
    daemon.wait_for_log("(neljä) status=ok", timeout=30)
    daemon.wait_for_log("dedupe: listings=4", timeout=30)
    assert daemon.stop(signal.SIGTERM) == 0
    assert all(len(finished_runs(sqlite_db, source_id)) == 1 for source_id in ids)
