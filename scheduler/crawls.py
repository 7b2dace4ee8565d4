"""When each source is crawled next: pure planning, and the few queries it needs.

A source's next crawl is `Source.next_crawl_at`: the crawl's bookkeeping sets it to the end of
the last crawl plus the source's interval, doubled per failure in a row (the backoff); adding a
source, "crawl now" and enabling set it to now. The daemon keeps one APScheduler job per
enabled source, `crawl:<id>`, firing at that time. Regular crawls get a jitter (a fixed
fraction of `scheduler.crawl_jitter_seconds`, at most a tenth of the interval, drawn from the
source id and the due time, so re-planning gives the same answer) so that sources added
together drift apart; a crawl someone asked for is not delayed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import CrawlRequest, CrawlRun, Source

# A job whose time differs from the wanted one by less than this is left alone (the job store
# keeps times as floats).
SAME_TIME = timedelta(seconds=1)
ABANDONED = "abandoned: the process running this crawl stopped before closing it"
NEVER_PLACED = (
    "abandoned: the process that started this crawl stopped before handing it to a Scrapyd node"
)


@dataclass(frozen=True)
class SourceTiming:
    id: int
    name: str
    next_crawl_at: datetime | None
    last_run_at: datetime | None
    interval_hours: float


@dataclass
class CrawlJobPlan:
    """What to change in the scheduler: jobs to (re)schedule (source id → run time) and to
    remove."""

    schedule: dict[int, datetime] = field(default_factory=dict)
    remove: set[int] = field(default_factory=set)


def jitter(source_id: int, due: datetime, limit_seconds: float) -> timedelta:
    """A delay in [0, limit) that depends only on the source and the due time."""
    if limit_seconds <= 0:
        return timedelta(0)
    digest = hashlib.sha256(f"{source_id}@{due.isoformat()}".encode()).digest()
    fraction = int.from_bytes(digest[:4], "big") / 2**32
    return timedelta(seconds=fraction * limit_seconds)


def crawl_time(source: SourceTiming, now: datetime, jitter_seconds: float) -> datetime:
    """When the source's next crawl should start (pure).

    Never crawled, or asked for (the next crawl is sooner than the interval after the last):
    at `next_crawl_at` (now when unset). On its regular schedule: `next_crawl_at` plus jitter.
    """
    due = source.next_crawl_at or now
    if source.last_run_at is None or source.next_crawl_at is None:
        return due
    interval = timedelta(hours=source.interval_hours)
    if source.next_crawl_at - source.last_run_at < interval * 0.99:
        return due  # asked for: "crawl now", enabled again
    limit = min(jitter_seconds, interval.total_seconds() / 10)
    return due + jitter(source.id, due, limit)


def plan_crawl_jobs(
    sources: Iterable[SourceTiming],
    scheduled: Mapping[int, datetime],
    busy: set[int],
    now: datetime,
    jitter_seconds: float,
) -> CrawlJobPlan:
    """Compare the enabled sources with the crawl jobs in the scheduler (pure).

    `scheduled`: source id → the job's next run time. `busy`: sources being crawled now (their
    job is set again once the crawl has moved `next_crawl_at` on). Disabled and removed
    sources are simply absent from `sources`.
    """
    plan = CrawlJobPlan()
    wanted: set[int] = set()
    for source in sources:
        wanted.add(source.id)
        if source.id in busy:
            continue
        when = crawl_time(source, now, jitter_seconds)
        current = scheduled.get(source.id)
        if current is None or abs(current - when) >= SAME_TIME:
            plan.schedule[source.id] = when
    plan.remove = set(scheduled) - wanted
    return plan


def enabled_sources(session: Session) -> list[SourceTiming]:
    rows = session.execute(
        select(
            Source.id, Source.name, Source.next_crawl_at, Source.last_run_at, Source.interval_hours
        ).where(Source.enabled)
    )
    return [SourceTiming(*row) for row in rows]


def source_enabled(session: Session, source_id: int) -> bool:
    return bool(session.scalar(select(Source.enabled).where(Source.id == source_id)))


def sources_being_crawled(session: Session, now: datetime, deadline_seconds: float) -> set[int]:
    """Sources with a crawl run still open that may really be running (here, by `vahti crawl`,
    or by a daemon that just lost its lease): never start a second crawl of them."""
    since = now - timedelta(seconds=deadline_seconds)
    return set(
        session.scalars(
            select(CrawlRun.source_id).where(
                CrawlRun.status == "running", CrawlRun.started_at >= since
            )
        )
    )


def close_abandoned_runs(session: Session, now: datetime, deadline_seconds: float) -> int:
    """Close crawl runs left "running" longer than any crawl can run (their process died with
    its daemon, e.g. a kill -9): they failed. The caller commits."""
    before = now - timedelta(seconds=deadline_seconds)
    result = session.execute(
        update(CrawlRun)
        .where(CrawlRun.status == "running", CrawlRun.started_at < before)
        .values(status="failed", finished_at=now, first_error=ABANDONED, error_messages=[ABANDONED])
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def request_crawl(session: Session, source_id: int, now: datetime) -> None:
    """Make the source due now and leave a request for the active daemon. The caller commits."""
    session.execute(update(Source).where(Source.id == source_id).values(next_crawl_at=now))
    table = CrawlRequest.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(source_id=source_id, requested_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.source_id], set_={"requested_at": now}
        )
    )


def claim_crawl_requests(session: Session, source_ids: Iterable[int] | None = None) -> list[int]:
    """Take the waiting requests (all, or those of `source_ids`): their sources, each taken by
    one caller only. A read first, so that an idle poll writes nothing. The caller commits."""
    query = select(CrawlRequest.source_id)
    if source_ids is not None:
        query = query.where(CrawlRequest.source_id.in_(list(source_ids)))
    waiting = list(session.scalars(query))
    if not waiting:
        return []
    taken = session.scalars(
        delete(CrawlRequest)
        .where(CrawlRequest.source_id.in_(waiting))
        .returning(CrawlRequest.source_id)
        .execution_options(synchronize_session=False)
    )
    return sorted(taken)


def close_unplaced_runs(
    session: Session, now: datetime, seconds: float, skip: Iterable[int] = ()
) -> int:
    """With crawl.backend "scrapyd": close as cancelled the runs still "running" that no node
    took (no job recorded) `seconds` after they started. Every process that starts a crawl
    records its node and job within a few seconds, or closes the run; one that did neither
    died in between (a leader killed then), and no node will ever close the run: waiting for
    the time limit would keep the source from being crawled that long. Cancelled is not the
    source's fault: it stays due, and is crawled again. `skip`: sources this process is
    crawling now. The caller commits."""
    before = now - timedelta(seconds=seconds)
    result = session.execute(
        update(CrawlRun)
        .where(
            CrawlRun.status == "running",
            CrawlRun.job.is_(None),
            CrawlRun.started_at < before,
            CrawlRun.source_id.not_in(list(skip)),
        )
        .values(
            status="cancelled",
            finished_at=now,
            first_error=NEVER_PLACED,
            error_messages=[NEVER_PLACED],
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
