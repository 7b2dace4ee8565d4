"""Closing a crawl: the CrawlRun row, listings gone from the source, the source's health."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import vocab
from store.listings import UpsertCounts, mark_gone
from store.models import CrawlRun, Source

MAX_BACKOFF_HOURS = 24.0


@dataclass
class CrawlOutcome:
    pages: int = 0
    http_statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    skipped: int = 0
    error_messages: list[str] = field(default_factory=list)
    start_failed: str | None = None
    incomplete: bool = False
    finish_reason: str = "finished"
    detected_kind: str | None = None
    detected_reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.start_failed is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def health_after(
    failed: bool, errors: int, records: int, previous_records: list[int], consecutive_failures: int
) -> str:
    """Health of a source after a run (pure).

    failing: the run failed (after consecutive failures the source backs off);
    degraded: parse errors, or records fell below half the median of the previous five runs;
    ok otherwise.
    """
    if failed:
        return vocab.HEALTH_FAILING
    recent = previous_records[:5]
    if errors > 0 or (recent and records < median(recent) / 2):
        return vocab.HEALTH_DEGRADED
    return vocab.HEALTH_OK


def backoff_hours(interval_hours: float, consecutive_failures: int) -> float:
    """The wait before the next crawl: the interval, doubled per consecutive failure, at most a day
    (never shorter than the interval itself)."""
    if consecutive_failures <= 0:
        return interval_hours
    return max(interval_hours, min(interval_hours * 2**consecutive_failures, MAX_BACKOFF_HOURS))


def finish_run(
    session: Session,
    *,
    run_id: int,
    outcome: CrawlOutcome,
    counts: UpsertCounts,
    records: int,
    seen: set[str],
    now: datetime,
    finished_at: datetime,
) -> CrawlRun:
    run = session.get_one(CrawlRun, run_id)
    source = session.get_one(Source, run.source_id)
    gone = 0
    status = "ok"
    if outcome.failed:
        status = "failed"
    elif outcome.finish_reason != "finished":
        status = "timeout" if "timeout" in outcome.finish_reason else "failed"
    elif not outcome.incomplete:
        result = mark_gone(session, source.id, seen, now)
        gone = result.gone
        if result.suspect:
            status = "suspect"
            outcome.error_messages.insert(
                0,
                f"{result.missing} of {result.upcoming} upcoming listings vanished at once; "
                "none was marked gone",
            )
    previous = [
        r.records
        for r in session.scalars(
            select(CrawlRun)
            .where(
                CrawlRun.source_id == source.id,
                CrawlRun.id != run.id,
                CrawlRun.status.in_(("ok", "suspect")),
            )
            .order_by(CrawlRun.started_at.desc())
            .limit(5)
        )
    ]
    run.finished_at = finished_at
    run.status = status
    run.http_statuses = outcome.http_statuses
    run.pages = outcome.pages
    run.records = records
    run.new = counts.new
    run.updated = counts.updated
    run.unchanged = counts.unchanged
    run.restored = counts.restored
    run.gone = gone
    run.errors = outcome.errors
    run.skipped = outcome.skipped
    run.duration_s = (finished_at - run.started_at).total_seconds()
    run.first_error = outcome.start_failed or (
        outcome.error_messages[0] if outcome.error_messages else None
    )
    failed = status in ("failed", "timeout")
    source.consecutive_failures = source.consecutive_failures + 1 if failed else 0
    source.health = health_after(
        failed, outcome.errors, records, previous, source.consecutive_failures
    )
    if status == "suspect":
        source.health = vocab.HEALTH_DEGRADED
    source.last_run_at = finished_at
    if outcome.detected_kind and source.kind == "auto":
        source.detected_kind = outcome.detected_kind
        source.detected_reason = outcome.detected_reason
    if not failed:
        source.last_records = records
    wait = backoff_hours(source.interval_hours, source.consecutive_failures)
    source.next_crawl_at = finished_at + timedelta(hours=wait)
    return run
