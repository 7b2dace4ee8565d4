"""Closing a crawl: statuses, health with its reason, backoff, gone and suspect listings."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from scrapers.bookkeeping import (
    CrawlOutcome,
    backoff_hours,
    close_broken_run,
    finish_run,
    health_after,
    next_crawl_after_change,
    run_status,
)
from scrapers.conditional import PageMemory, load_memory
from store import vocab
from store.listings import UpsertCounts, touch_listings, upsert_listings, vanishing_is_suspect
from store.models import CrawlRun, Listing, Source
from store.record import EventRecord
from tests.conftest import Database

# --- pure rules ------------------------------------------------------------------------------


def health(status: str = "ok", errors: int = 0, records: int = 10, previous=(), failures=0):  # type: ignore[no-untyped-def]
    return health_after(
        status=status,
        errors=errors,
        records=records,
        previous_records=list(previous),
        consecutive_failures=failures,
        first_error="boom",
    )


def test_a_clean_run_is_ok() -> None:
    assert health(previous=[10, 12, 9]).health == vocab.HEALTH_OK
    assert health(status="not_modified", previous=[10]).health == vocab.HEALTH_OK


def test_a_failed_or_timed_out_run_is_failing_and_says_how_often() -> None:
    once = health(status="failed", failures=1)
    assert once.health == vocab.HEALTH_FAILING and once.reason == "failed once: boom"
    assert health(status="timeout", failures=3).reason == "failed 3 times in a row: boom"


def test_errors_or_a_suspect_run_degrade() -> None:
    assert health(errors=2).health == vocab.HEALTH_DEGRADED
    assert health(errors=2).reason == "2 errors in the last crawl: boom"
    assert health(status="suspect").health == vocab.HEALTH_DEGRADED


def test_records_below_half_the_median_of_five_runs_degrade() -> None:
    fell = health(records=9, previous=[20, 20, 19, 40, 30, 1])
    assert fell.health == vocab.HEALTH_DEGRADED
    assert fell.reason == "9 records, against a median of 20 over the 5 crawls before"
    assert health(records=10, previous=[20, 20, 19, 40, 30]).health == vocab.HEALTH_OK


@pytest.mark.parametrize(
    ("interval", "failures", "wait"),
    [
        (24.0, 0, 24.0),
        (1.0, 1, 2.0),
        (1.0, 3, 8.0),
        (1.0, 10, 24.0),
        (6.0, 2, 24.0),
        (48.0, 3, 48.0),
    ],
)
def test_a_failing_source_waits_longer_up_to_a_day(
    interval: float, failures: int, wait: float
) -> None:
    assert backoff_hours(interval, failures) == wait


def test_run_status_from_the_outcome() -> None:
    assert run_status(CrawlOutcome(pages=3)) == "ok"
    assert run_status(CrawlOutcome(pages=3, not_modified=3)) == "not_modified"
    assert run_status(CrawlOutcome(pages=3, not_modified=2)) == "ok"
    assert run_status(CrawlOutcome(start_failed="HTTP 500")) == "failed"
    assert run_status(CrawlOutcome(finish_reason="closespider_timeout")) == "timeout"
    assert run_status(CrawlOutcome(finish_reason="shutdown")) == "failed"


@pytest.mark.parametrize(
    ("upcoming", "missing", "seen", "confirmed", "suspect"),
    [
        (10, 3, 7, False, False),  # 30 %: real removals
        (10, 4, 6, False, True),  # 40 %: looks broken
        (10, 10, 0, False, True),  # lists nothing at all
        (10, 10, 0, True, True),  # ... never confirmed
        (3, 2, 1, False, False),  # a small source losing two of three
        (10, 4, 8, True, False),  # the third crawl in a row reporting the loss
        (0, 0, 0, False, False),
    ],
)
def test_when_vanishing_listings_make_a_crawl_suspect(
    upcoming: int, missing: int, seen: int, confirmed: bool, suspect: bool
) -> None:
    assert vanishing_is_suspect(upcoming, missing, seen, confirmed=confirmed) is suspect


# --- closing runs in the database --------------------------------------------------------------


def setup(db: Database, now: datetime, count: int = 10) -> tuple[int, list[EventRecord]]:
    with db.sessions.begin() as session:
        source = Source(name="s", url="https://example.fi/", interval_hours=2.0)
        session.add(source)
        session.flush()
        records = [
            EventRecord(title=f"E{i}", start_at=now + timedelta(days=i), external_id=f"k{i}")
            for i in range(1, count + 1)
        ]
        upsert_listings(session, source.id, records, now)
        return source.id, records


def close(
    db: Database,
    source_id: int,
    now: datetime,
    seen: set[str],
    outcome: CrawlOutcome | None = None,
    **kwargs: object,
) -> CrawlRun:
    with db.sessions.begin() as session:
        run = CrawlRun(source_id=source_id, started_at=now)
        session.add(run)
        session.flush()
        finish_run(
            session,
            run_id=run.id,
            outcome=outcome or CrawlOutcome(pages=1),
            counts=UpsertCounts(),
            seen=seen,
            now=now,
            finished_at=now + timedelta(seconds=2),
            **kwargs,  # type: ignore[arg-type]
        )
    with db.sessions() as session:
        return session.get_one(CrawlRun, run.id)


def gone_keys(db: Database, source_id: int) -> set[str]:
    with db.sessions() as session:
        return set(
            session.scalars(
                select(Listing.external_id).where(
                    Listing.source_id == source_id, Listing.gone_at.is_not(None)
                )
            )
        )


def source_row(db: Database, source_id: int) -> Source:
    with db.sessions() as session:
        return session.get_one(Source, source_id)


def test_listings_of_a_not_modified_page_are_not_gone(db: Database, now: datetime) -> None:
    source_id, records = setup(db, now)
    memory = PageMemory(url="https://example.fi/", record_keys=[r.key() for r in records])
    run = close(db, source_id, now, set(), CrawlOutcome(pages=1, not_modified=1), carried=[memory])
    assert (run.status, run.records, run.unchanged, run.gone) == ("not_modified", 10, 10, 0)
    assert gone_keys(db, source_id) == set()
    assert source_row(db, source_id).health == vocab.HEALTH_OK


def test_a_carried_page_brings_back_a_gone_listing(db: Database, now: datetime) -> None:
    source_id, _ = setup(db, now, count=3)
    with db.sessions.begin() as session:
        session.execute(
            Listing.__table__.update()
            .where(Listing.external_id == "k1")
            .values(gone_at=now - timedelta(days=1))
        )
    with db.sessions.begin() as session:
        counts = touch_listings(session, source_id, ["k1", "k2", "unknown"], now)
    assert (counts.restored, counts.unchanged) == (1, 2)
    assert gone_keys(db, source_id) == set()


def test_an_incomplete_crawl_marks_nothing_gone(db: Database, now: datetime) -> None:
    source_id, records = setup(db, now)
    seen = {r.key() for r in records[:5]}
    run = close(db, source_id, now, seen, CrawlOutcome(pages=3, errors=1, incomplete=True))
    assert run.status == "ok" and run.gone == 0
    assert gone_keys(db, source_id) == set()
    assert source_row(db, source_id).health == vocab.HEALTH_DEGRADED


def test_a_suspect_loss_is_accepted_on_the_third_crawl_in_a_row(
    db: Database, now: datetime
) -> None:
    source_id, records = setup(db, now)
    seen = {r.key() for r in records[:6]}
    statuses = []
    for hour in range(3):
        run = close(db, source_id, now + timedelta(hours=hour), seen)
        statuses.append((run.status, run.gone))
    assert statuses == [("suspect", 0), ("suspect", 0), ("ok", 4)]
    assert gone_keys(db, source_id) == {"k7", "k8", "k9", "k10"}
    assert run.first_error == "4 listings gone, as the last crawls had reported"


def test_a_source_that_lists_nothing_stays_suspect(db: Database, now: datetime) -> None:
    source_id, _ = setup(db, now)
    for hour in range(4):
        run = close(db, source_id, now + timedelta(hours=hour), set())
    assert run.status == "suspect" and gone_keys(db, source_id) == set()
    assert run.first_error is not None and "lists nothing" in run.first_error
    source = source_row(db, source_id)
    assert source.health == vocab.HEALTH_DEGRADED
    assert source.health_reason == run.first_error


def test_a_failed_run_keeps_the_last_record_count_and_backs_off(
    db: Database, now: datetime
) -> None:
    source_id, records = setup(db, now)
    close(db, source_id, now, {r.key() for r in records})
    for hour in (1, 2):
        run = close(
            db, source_id, now + timedelta(hours=hour), set(), CrawlOutcome(start_failed="HTTP 500")
        )
    source = source_row(db, source_id)
    assert run.status == "failed" and run.first_error == "HTTP 500"
    assert (source.health, source.consecutive_failures, source.last_records) == (
        vocab.HEALTH_FAILING,
        2,
        10,
    )
    assert source.next_crawl_at == run.finished_at + timedelta(hours=8)
    assert gone_keys(db, source_id) == set()
    recovered = close(db, source_id, now + timedelta(hours=9), {r.key() for r in records})
    source = source_row(db, source_id)
    assert recovered.status == "ok"
    assert (source.health, source.consecutive_failures, source.health_reason) == ("ok", 0, None)
    assert source.next_crawl_at == recovered.finished_at + timedelta(hours=2)


def test_pages_are_remembered_after_a_run(db: Database, now: datetime) -> None:
    source_id, records = setup(db, now, count=2)
    read = PageMemory(
        url="https://example.fi/", etag='"1"', record_keys=["k1", "k2"], fetched_at=now
    )
    close(db, source_id, now, {r.key() for r in records}, pages=[read])
    with db.sessions() as session:
        assert load_memory(session, source_id) == {read.url: read}


def test_a_killed_crawl_leaves_a_failed_run_and_a_failing_source(
    db: Database, now: datetime
) -> None:
    source_id, _ = setup(db, now)
    with db.sessions.begin() as session:
        run = CrawlRun(source_id=source_id, started_at=now)
        session.add(run)
        session.flush()
        assert close_broken_run(session, run.id, "timeout", "killed after 630 s", now)
        assert not close_broken_run(session, run.id, "failed", "again", now)
    with db.sessions() as session:
        row = session.get_one(CrawlRun, run.id)
        assert (row.status, row.first_error, row.errors) == ("timeout", "killed after 630 s", 1)
    source = source_row(db, source_id)
    assert source.health == vocab.HEALTH_FAILING
    assert source.health_reason == "failed once: killed after 630 s"


def test_a_crawl_stopped_by_a_shutdown_says_nothing_of_the_source(
    db: Database, now: datetime
) -> None:
    source_id, records = setup(db, now)
    seen = {r.key() for r in records[:6]}
    close(db, source_id, now, seen)  # suspect: 4 of 10 vanished
    before = source_row(db, source_id)
    with db.sessions.begin() as session:
        run = CrawlRun(source_id=source_id, started_at=now + timedelta(minutes=30))
        session.add(run)
        session.flush()
        stopped_at = now + timedelta(minutes=31)
        assert close_broken_run(
            session, run.id, vocab.RUN_CANCELLED, "crawl stopped by a shutdown", stopped_at
        )
    with db.sessions() as session:
        row = session.get_one(CrawlRun, run.id)
        assert (row.status, row.errors, row.finished_at) == (vocab.RUN_CANCELLED, 0, stopped_at)
    after = source_row(db, source_id)
    assert (after.health, after.consecutive_failures, after.next_crawl_at) == (
        before.health,
        0,
        before.next_crawl_at,
    )
    # The suspect chain goes on past the stopped run: the third suspect crawl is accepted.
    close(db, source_id, now + timedelta(hours=1), seen)
    third = close(db, source_id, now + timedelta(hours=2), seen)
    assert (third.status, third.gone) == ("ok", 4)


def test_an_unchanged_source_keeps_its_degraded_health(db: Database, now: datetime) -> None:
    source_id, records = setup(db, now, count=2)
    keys = {r.key() for r in records}
    first = close(db, source_id, now, keys, CrawlOutcome(pages=1, errors=1, error_messages=["x"]))
    memory = PageMemory(url="https://example.fi/", record_keys=sorted(keys))
    close(db, source_id, now, set(), CrawlOutcome(pages=1, not_modified=1), carried=[memory])
    source = source_row(db, source_id)
    assert first.status == "ok"
    assert (source.health, source.health_reason) == (
        vocab.HEALTH_DEGRADED,
        "1 error in the last crawl: x",
    )


def test_the_health_chart_leaves_out_a_run_stopped_by_a_shutdown(now: datetime) -> None:
    from web.charts import health_days

    runs = [
        (1, now, "ok", 0),
        (1, now, vocab.RUN_CANCELLED, 0),  # the same source, same day: still "ok", not worse
        (2, now, vocab.RUN_CANCELLED, 0),  # only stopped: the source is not counted that day
        (3, now, "failed", 1),
    ]
    days = health_days(runs, now, "Europe/Helsinki", days=1)
    assert {state: counts[0] for state, counts in days.counts.items()} == {
        vocab.HEALTH_OK: 1,
        vocab.HEALTH_DEGRADED: 0,
        vocab.HEALTH_FAILING: 1,
    }


def test_a_new_interval_moves_the_next_crawl_unless_one_was_asked_for() -> None:
    from datetime import UTC

    last = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    source = Source(interval_hours=6.0, last_run_at=last, next_crawl_at=last + timedelta(hours=24))
    source.consecutive_failures = 0
    assert next_crawl_after_change(source, 24.0) == last + timedelta(hours=6)
    source.consecutive_failures = 2  # backing off: 6 h doubled twice
    assert next_crawl_after_change(source, 24.0) == last + timedelta(hours=24)
    asked = Source(interval_hours=6.0, last_run_at=last, next_crawl_at=last + timedelta(hours=1))
    asked.consecutive_failures = 0
    assert next_crawl_after_change(asked, 24.0) == last + timedelta(hours=1)  # "crawl now" stays
    never = Source(interval_hours=6.0, last_run_at=None, next_crawl_at=last)
    assert next_crawl_after_change(never, 24.0) == last
