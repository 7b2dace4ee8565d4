"""When the daemon crawls each source: pure planning, and the runs it must not crawl over."""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler.crawls import (
    ABANDONED,
    SourceTiming,
    close_abandoned_runs,
    crawl_time,
    jitter,
    plan_crawl_jobs,
    sources_being_crawled,
)
from store.models import CrawlRun, Source
from tests.conftest import Database

JITTER = 120.0


def timing(
    source_id: int,
    now: datetime,
    *,
    next_in: timedelta | None = None,
    last_ago: timedelta | None = None,
    interval_hours: float = 24.0,
) -> SourceTiming:
    return SourceTiming(
        id=source_id,
        name=f"source {source_id}",
        next_crawl_at=None if next_in is None else now + next_in,
        last_run_at=None if last_ago is None else now - last_ago,
        interval_hours=interval_hours,
    )


def test_a_new_source_is_crawled_at_once(now: datetime) -> None:
    assert crawl_time(timing(1, now), now, JITTER) == now
    added = timing(1, now, next_in=timedelta(0))
    assert crawl_time(added, now, JITTER) == now


def test_a_regular_crawl_comes_after_its_interval_with_a_bounded_stable_jitter(
    now: datetime,
) -> None:
    # Crawled 24 h ago (finished), next crawl due now: on its regular schedule.
    regular = timing(1, now, next_in=timedelta(0), last_ago=timedelta(hours=24))
    when = crawl_time(regular, now, JITTER)
    assert now <= when < now + timedelta(seconds=JITTER)
    assert crawl_time(regular, now, JITTER) == when  # planning again gives the same time
    others = {crawl_time(timing(i, now, next_in=timedelta(0), last_ago=timedelta(hours=24)),
                         now, JITTER) for i in range(2, 12)}  # fmt: skip
    assert len(others) > 5  # sources due together drift apart


def test_jitter_is_at_most_a_tenth_of_the_interval(now: datetime) -> None:
    hourly = timing(1, now, next_in=timedelta(0), last_ago=timedelta(minutes=6), interval_hours=0.1)
    assert crawl_time(hourly, now, 3600) < now + timedelta(minutes=0.6)
    assert jitter(1, now, 0) == timedelta(0)


def test_a_backing_off_source_waits_for_its_next_crawl_at(now: datetime) -> None:
    # Failed twice: bookkeeping set the next crawl four intervals after the last one.
    failing = timing(1, now, next_in=timedelta(hours=3), last_ago=timedelta(hours=1),
                     interval_hours=1.0)  # fmt: skip
    when = crawl_time(failing, now, JITTER)
    assert now + timedelta(hours=3) <= when < now + timedelta(hours=3, seconds=JITTER)


def test_crawl_now_is_not_delayed(now: datetime) -> None:
    asked = timing(1, now, next_in=timedelta(0), last_ago=timedelta(hours=2))
    assert crawl_time(asked, now, JITTER) == now


def test_jobs_follow_the_sources(now: datetime) -> None:
    sources = [
        timing(1, now),  # new: no job yet
        timing(2, now, next_in=timedelta(hours=5), last_ago=timedelta(hours=19)),
        timing(3, now, next_in=timedelta(hours=1), last_ago=timedelta(hours=23)),
        timing(4, now),  # being crawled now
    ]
    job_of_2 = crawl_time(sources[1], now, JITTER)
    scheduled = {
        2: job_of_2,  # as it should be: left alone
        3: now + timedelta(hours=7),  # its next crawl moved: set again
        9: now + timedelta(hours=2),  # source removed or disabled
    }
    plan = plan_crawl_jobs(sources, scheduled, {4}, now, JITTER)
    assert set(plan.schedule) == {1, 3}
    assert plan.schedule[1] == now
    assert plan.schedule[3] == crawl_time(sources[2], now, JITTER)
    assert plan.remove == {9}


def test_a_job_a_moment_off_is_left_alone(now: datetime) -> None:
    source = timing(1, now, next_in=timedelta(hours=1))
    plan = plan_crawl_jobs([source], {1: now + timedelta(hours=1, microseconds=400)}, set(), now, 0)
    assert not plan.schedule and not plan.remove


def add_source_with_run(db: Database, started: datetime, status: str = "running") -> int:
    with db.sessions.begin() as session:
        source = Source(name="messut", url="https://messut.example/")
        session.add(source)
        session.flush()
        session.add(CrawlRun(source_id=source.id, started_at=started, status=status))
        return source.id


def test_a_running_crawl_blocks_a_second_one_until_it_is_abandoned(
    db: Database, now: datetime
) -> None:
    deadline = 630.0  # time limit + kill grace
    fresh = add_source_with_run(db, now - timedelta(minutes=5))
    stale = add_source_with_run(db, now - timedelta(hours=2))
    add_source_with_run(db, now - timedelta(hours=3), status="ok")
    with db.sessions() as session:
        assert sources_being_crawled(session, now, deadline) == {fresh}
    with db.sessions.begin() as session:
        assert close_abandoned_runs(session, now, deadline) == 1
    with db.sessions() as session:
        runs = {run.source_id: run for run in session.query(CrawlRun)}
    assert runs[stale].status == "failed" and runs[stale].first_error == ABANDONED
    assert runs[stale].finished_at == now
    assert runs[fresh].status == "running"


def test_a_run_no_scrapyd_node_took_is_closed_soon_and_its_source_stays_due(
    db: Database, now: datetime
) -> None:
    """A leader killed between creating a run and scheduling its job leaves a run with no job:
    with the Scrapyd backend it is closed as cancelled a minute later, not after the time
    limit; a run on a node, a young one and one this daemon is placing now stay open."""
    from scheduler.crawls import NEVER_PLACED, close_unplaced_runs

    orphan = add_source_with_run(db, now - timedelta(minutes=2))
    on_node = add_source_with_run(db, now - timedelta(minutes=2))
    young = add_source_with_run(db, now - timedelta(seconds=10))
    placing = add_source_with_run(db, now - timedelta(minutes=2))
    with db.sessions.begin() as session:
        for run in session.query(CrawlRun).filter(CrawlRun.source_id == on_node):
            run.node, run.job = "http://127.0.0.1:6800", f"run-{run.id}"
    with db.sessions.begin() as session:
        assert close_unplaced_runs(session, now, 63.0, skip={placing}) == 1
    with db.sessions() as session:
        runs = {run.source_id: run for run in session.query(CrawlRun)}
        orphan_source = session.get_one(Source, orphan)
    assert (runs[orphan].status, runs[orphan].first_error) == ("cancelled", NEVER_PLACED)
    assert runs[orphan].finished_at == now
    assert {runs[s].status for s in (on_node, young, placing)} == {"running"}
    assert orphan_source.next_crawl_at is None and orphan_source.consecutive_failures == 0
    with db.sessions() as session:  # no longer blocks a crawl of its source
        assert orphan not in sources_being_crawled(session, now, 630.0)
