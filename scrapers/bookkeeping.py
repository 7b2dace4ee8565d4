"""Closing a crawl: the CrawlRun row, listings gone from the source, the source's health.

Run statuses: ``ok``; ``not_modified`` (every page answered 304: nothing to read);
``suspect`` (too many listings vanished at once: none marked gone); ``failed`` (the source's
page could not be read); ``timeout`` (the crawl hit its time limit); ``cancelled`` (stopped
by a shutdown, by the database going away or by a lost Scrapyd node: says nothing of the
source, whose health, failure count and next crawl stay as they were). Health: ``ok``;
``degraded`` (errors, a suspect crawl, or far fewer records than usual); ``failing`` (the
last crawl failed; the wait before the next one doubles per failure in a row, up to a day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrapers.conditional import PageMemory, save_memory
from store import vocab
from store.listings import UpsertCounts, mark_gone, touch_listings
from store.models import CrawlRun, Source
from text.sanitise import one_line

MAX_BACKOFF_HOURS = 24.0
# Runs compared when deciding whether records fell (the median of their record counts).
HISTORY_RUNS = 5
# A vanishing that made this many crawls in a row suspect (each still listing events) is real.
SUSPECT_CONFIRMATIONS = 3
MAX_MESSAGES = 20
# Run statuses and health states are store.vocab's (RUN_*, HEALTH_*); their words, web.i18n's.
# The exit code (EX_TEMPFAIL) of a crawl process that could not store its crawl because the
# database was unavailable; its last line on stderr says why. The parent closes the run as
# cancelled.
DATABASE_UNAVAILABLE_EXIT = 75


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
    not_modified: int = 0

    @property
    def failed(self) -> bool:
        return self.start_failed is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Health:
    health: str
    reason: str | None = None


def run_status(outcome: CrawlOutcome) -> str:
    """The run's status before listings are compared (pure); "suspect" is decided later."""
    if outcome.failed:
        return "failed"
    if outcome.finish_reason != "finished":
        return "timeout" if "timeout" in outcome.finish_reason else "failed"
    if outcome.pages and outcome.not_modified == outcome.pages and not outcome.errors:
        return "not_modified"
    return "ok"


def health_after(
    *,
    status: str,
    errors: int,
    records: int,
    previous_records: list[int],
    consecutive_failures: int,
    first_error: str | None = None,
) -> Health:
    """Health of a source after a run, with the reason in a sentence (pure).

    failing: the run failed; degraded: the run was suspect, had errors, or its records fell
    below half the median of the previous runs (at most five); ok otherwise.
    """
    if status in vocab.RUN_FAILED_STATUSES:
        times = "once" if consecutive_failures <= 1 else f"{consecutive_failures} times in a row"
        return Health(vocab.HEALTH_FAILING, f"failed {times}: {first_error or status}")
    if status == "suspect":
        return Health(vocab.HEALTH_DEGRADED, first_error)
    if errors > 0:
        plural = "error" if errors == 1 else "errors"
        return Health(vocab.HEALTH_DEGRADED, f"{errors} {plural} in the last crawl: {first_error}")
    recent = previous_records[:HISTORY_RUNS]
    if recent and records < median(recent) / 2:
        return Health(
            vocab.HEALTH_DEGRADED,
            f"{records} records, against a median of {median(recent):g} "
            f"over the {len(recent)} crawls before",
        )
    return Health(vocab.HEALTH_OK)


def backoff_hours(interval_hours: float, consecutive_failures: int) -> float:
    """The wait before the next crawl: the interval, doubled per consecutive failure, at most a
    day (never shorter than the interval itself)."""
    if consecutive_failures <= 0:
        return interval_hours
    return max(interval_hours, min(interval_hours * 2**consecutive_failures, MAX_BACKOFF_HOURS))


def _previous_runs(session: Session, run: CrawlRun, limit: int) -> list[CrawlRun]:
    return list(
        session.scalars(
            select(CrawlRun)
            .where(
                CrawlRun.source_id == run.source_id,
                CrawlRun.id != run.id,
                CrawlRun.status != vocab.RUN_CANCELLED,
            )
            .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
            .limit(limit)
        )
    )


def _confirmed_loss(previous: list[CrawlRun]) -> bool:
    earlier = previous[: SUSPECT_CONFIRMATIONS - 1]
    return len(earlier) == SUSPECT_CONFIRMATIONS - 1 and all(
        r.status == "suspect" and r.records > 0 for r in earlier
    )


def finish_run(
    session: Session,
    *,
    run_id: int,
    outcome: CrawlOutcome,
    counts: UpsertCounts,
    seen: set[str],
    now: datetime,
    finished_at: datetime,
    pages: Iterable[PageMemory] = (),
    carried: Iterable[PageMemory] = (),
) -> CrawlRun:
    """Close the run: touch carried listings, mark vanished ones gone (unless the crawl was
    incomplete or suspect), remember the pages, and set the source's health and next crawl.

    A run closed already is left as it is: its crawl was given up (a Scrapyd node taken for
    lost, whose job ran on; a run closed by its parent) and another may be under way."""
    run = session.get_one(CrawlRun, run_id)
    if run.status != vocab.RUN_RUNNING:
        return run
    source = session.get_one(Source, run.source_id)
    carried = list(carried)
    carried_keys = {key for page in carried for key in page.record_keys}
    if carried_keys:
        counts.add(touch_listings(session, source.id, carried_keys - seen, now))
    seen = seen | carried_keys
    # Messages quote sites (titles, server answers): one clean line each, as every text.
    messages = [one_line(message) for message in outcome.error_messages]
    status = run_status(outcome)
    if status == "timeout":
        messages.insert(0, "stopped at the time limit (crawl.time_limit_seconds); none marked gone")
    elif status == "failed" and not outcome.failed:
        messages.insert(0, f"the crawl ended early ({outcome.finish_reason}); none marked gone")
    previous = _previous_runs(session, run, max(HISTORY_RUNS, SUSPECT_CONFIRMATIONS))
    gone = 0
    complete = status in ("ok", "not_modified") and not outcome.incomplete
    if complete:
        confirmed = _confirmed_loss(previous)
        result = mark_gone(session, source.id, seen, now, confirmed=confirmed)
        gone = result.gone
        if result.suspect:
            status = "suspect"
            what = "the source lists nothing" if not seen else "too many at once"
            messages.insert(
                0,
                f"{result.missing} of {result.upcoming} upcoming listings vanished ({what}); "
                "none was marked gone",
            )
        elif confirmed and gone:
            messages.insert(0, f"{gone} listings gone, as the last crawls had reported")
    if status not in vocab.RUN_FAILED_STATUSES:
        fresh = list(pages)
        keep = {page.url for page in fresh} | {page.url for page in carried}
        save_memory(session, source.id, fresh, keep_only=keep if complete else None)
    first_error = one_line(outcome.start_failed) or (messages[0] if messages else None)
    records = len(seen)
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
    run.first_error = first_error
    run.error_messages = messages[:MAX_MESSAGES]
    failed = status in vocab.RUN_FAILED_STATUSES
    source.consecutive_failures = source.consecutive_failures + 1 if failed else 0
    health = health_after(
        status=status,
        errors=outcome.errors,
        records=records,
        previous_records=[r.records for r in previous if r.status in ("ok", "not_modified")],
        consecutive_failures=source.consecutive_failures,
        first_error=first_error,
    )
    if status == "not_modified" and source.health == vocab.HEALTH_DEGRADED:
        # Nothing changed, so neither did what degraded the source.
        health = Health(source.health, source.health_reason)
    _set_health(source, health, finished_at)
    if outcome.detected_kind and source.kind == "auto":
        source.detected_kind = outcome.detected_kind
        source.detected_reason = one_line(outcome.detected_reason) or None
    if not failed:
        source.last_records = records
    return run


def change_interval(source: Source, hours: float) -> bool:
    """Set the source's hours between crawls and move its next crawl to match (the CLI and the
    admin pages); False when the interval was already that."""
    if hours == source.interval_hours:
        return False
    old = source.interval_hours
    source.interval_hours = hours
    source.next_crawl_at = next_crawl_after_change(source, old)
    return True


def next_crawl_after_change(source: Source, old_interval: float) -> datetime | None:
    """The next crawl once the interval changed: the last crawl plus the new interval (with its
    backoff); a crawl someone asked for (sooner than the old interval allowed) stays."""
    if source.last_run_at is None or source.next_crawl_at is None:
        return source.next_crawl_at
    old_wait = timedelta(hours=backoff_hours(old_interval, source.consecutive_failures))
    if source.next_crawl_at - source.last_run_at < old_wait * 0.99:
        return source.next_crawl_at
    wait = backoff_hours(source.interval_hours, source.consecutive_failures)
    return source.last_run_at + timedelta(hours=wait)


def close_broken_run(
    session: Session, run_id: int, status: str, message: str, now: datetime
) -> bool:
    """The crawl process died or was killed before closing its run: record that and back off.
    Returns False when the run was already closed."""
    run = session.get_one(CrawlRun, run_id)
    if run.status != "running":
        return False
    source = session.get_one(Source, run.source_id)
    message = one_line(message)
    run.status = status
    run.finished_at = now
    run.duration_s = (now - run.started_at).total_seconds()
    run.first_error = message
    run.error_messages = [message]
    if status == vocab.RUN_CANCELLED:
        return True  # the source's health, failure count and next crawl stay as they were
    run.errors = max(run.errors, 1)
    source.consecutive_failures += 1
    health = health_after(
        status=status,
        errors=run.errors,
        records=0,
        previous_records=[],
        consecutive_failures=source.consecutive_failures,
        first_error=message,
    )
    _set_health(source, health, now)
    return True


def _set_health(source: Source, health: Health, finished_at: datetime) -> None:
    source.health = health.health
    source.health_reason = health.reason[:1000] if health.reason else None
    source.last_run_at = finished_at
    wait = backoff_hours(source.interval_hours, source.consecutive_failures)
    source.next_crawl_at = finished_at + timedelta(hours=wait)
