"""The store on SQLite and PostgreSQL: migrations, times, uniqueness, upserts, gone listings."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from store import vocab
from store.db import make_engine
from store.listings import mark_gone, upsert_listings
from store.migrate import current_revision, head_revision, known_head, upgrade
from store.models import Base, Delivery, Listing, Source, Subscriber
from store.record import EventRecord
from tests.conftest import Database


def test_migrations_create_every_table_and_match_the_models(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(db.engine) == head_revision(db.engine)
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    before, after = upgrade(engine)
    assert before is None and after == head_revision(engine)
    assert upgrade(engine) == (after, after)
    engine.dispose()


def test_sqlite_uses_wal(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_times_come_back_as_aware_utc(db: Database) -> None:
    helsinki = timezone(timedelta(hours=2))
    with db.sessions.begin() as session:
        source = Source(name="s", url="https://example.fi/")
        session.add(source)
        session.flush()
        session.add(
            Listing(
                source_id=source.id,
                external_id="a",
                content_hash="x",
                title="T",
                start_at=datetime(2027, 1, 14, 17, tzinfo=helsinki),
            )
        )
    with db.sessions() as session:
        listing = session.scalars(select(Listing)).one()
        assert listing.start_at == datetime(2027, 1, 14, 15, tzinfo=UTC)
        assert listing.start_at.tzinfo is not None


def test_naive_datetimes_are_refused(db: Database) -> None:
    with db.sessions() as session:
        session.add(Source(name="s", url="u", next_crawl_at=datetime(2027, 1, 1)))
        with pytest.raises(Exception, match="naive datetime"):
            session.flush()


def test_one_delivery_per_subscriber_and_period(db: Database) -> None:
    with db.sessions.begin() as session:
        subscriber = Subscriber(email="a@example.fi")
        session.add(subscriber)
        session.flush()
        session.add(Delivery(subscriber_id=subscriber.id, period="2026-W48"))
    with db.sessions() as session:
        session.add(Delivery(subscriber_id=subscriber.id, period="2026-W48"))
        with pytest.raises(IntegrityError):
            session.flush()


def record(title: str, start: datetime, key: str | None = None, **extra: object) -> EventRecord:
    return EventRecord(title=title, start_at=start, external_id=key, **extra)  # type: ignore[arg-type]


def test_upsert_twice_leaves_the_same_rows(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        source = Source(name="s", url="https://example.fi/")
        session.add(source)
    records = [record(f"Event {i}", now + timedelta(days=i), key=f"k{i}") for i in range(1, 6)]
    records.append(record("No id", now + timedelta(days=9)))
    with db.sessions.begin() as session:
        first = upsert_listings(session, source.id, records, now)
    with db.sessions.begin() as session:
        second = upsert_listings(session, source.id, records, now + timedelta(hours=1))
    assert (first.new, first.updated) == (6, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 6)
    with db.sessions() as session:
        assert session.scalar(select(func.count(Listing.id))) == 6
        keyless = session.scalars(select(Listing).where(Listing.title == "No id")).one()
        assert keyless.external_id.startswith("h:")


def test_new_start_marks_rescheduled_and_status_change_keeps_time(
    db: Database, now: datetime
) -> None:
    with db.sessions.begin() as session:
        source = Source(name="s", url="u")
        session.add(source)
    start = now + timedelta(days=3)
    with db.sessions.begin() as session:
        upsert_listings(session, source.id, [record("Fair", start, key="f")], now)
    later = now + timedelta(hours=5)
    with db.sessions.begin() as session:
        counts = upsert_listings(
            session, source.id, [record("Fair", start + timedelta(days=1), key="f")], later
        )
    assert counts.updated == 1
    with db.sessions() as session:
        listing = session.scalars(select(Listing)).one()
        assert listing.status == vocab.RESCHEDULED
        assert listing.previous_start_at == start
        assert listing.status_changed_at == later
    with db.sessions.begin() as session:
        upsert_listings(
            session,
            source.id,
            [record("Fair", start + timedelta(days=1), key="f", status=vocab.CANCELLED)],
            later,
        )
    with db.sessions() as session:
        assert session.scalars(select(Listing)).one().status == vocab.CANCELLED


def test_vanished_listings_are_marked_gone_and_restored(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        source = Source(name="s", url="u")
        session.add(source)
    records = [record(f"E{i}", now + timedelta(days=i), key=f"k{i}") for i in range(1, 11)]
    with db.sessions.begin() as session:
        upsert_listings(session, source.id, records, now)
    with db.sessions.begin() as session:
        result = mark_gone(session, source.id, {r.key() for r in records[:8]}, now)
    assert (result.gone, result.suspect) == (2, False)
    with db.sessions.begin() as session:
        counts = upsert_listings(session, source.id, records, now)
        assert counts.restored == 2
    with db.sessions() as session:
        assert session.scalar(select(func.count()).where(Listing.gone_at.is_not(None))) == 0


def test_more_than_30_percent_vanishing_marks_nothing(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        source = Source(name="s", url="u")
        session.add(source)
    records = [record(f"E{i}", now + timedelta(days=i), key=f"k{i}") for i in range(1, 11)]
    with db.sessions.begin() as session:
        upsert_listings(session, source.id, records, now)
    with db.sessions.begin() as session:
        result = mark_gone(session, source.id, set(), now)
    assert result.suspect and result.gone == 0
    with db.sessions() as session:
        assert session.scalar(select(func.count()).where(Listing.gone_at.is_not(None))) == 0


def test_the_fast_head_check_agrees_with_alembic(db: Database) -> None:
    from store.migrate import known_head

    assert known_head() == head_revision(db.engine)


def test_autogenerate_leaves_the_scheduler_job_store_alone(db: Database) -> None:
    from sqlalchemy import Column, Float, LargeBinary, MetaData, String, Table

    from store.migrate import include_object

    jobs = MetaData()
    Table(
        "apscheduler_jobs",
        jobs,
        Column("id", String(191), primary_key=True),
        Column("next_run_time", Float),
        Column("job_state", LargeBinary),
    )
    jobs.create_all(db.engine)
    with db.engine.connect() as connection:
        plain = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        filtered = compare_metadata(
            MigrationContext.configure(connection, opts={"include_object": include_object}),
            Base.metadata,
        )
    assert any(op[0] == "remove_table" for op in plain)
    assert filtered == []


def test_daemons_starting_together_on_an_empty_database_migrate_it_once(
    db_url: str, vahti_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**vahti_env, "VAHTI_DATABASE__URL": db_url}
    command = [sys.executable, "-m", "vahti", "db", "upgrade"]
    started = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=PIPE, stderr=PIPE, text=True)
        for _ in range(4)
    ]
    results = [(*process.communicate(timeout=120), process.returncode) for process in started]
    assert [code for _, _, code in results] == [0, 0, 0, 0], results
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


def test_a_process_older_than_the_schema_refuses_to_start_in_one_line(
    db_url: str, run_vahti: Any
) -> None:
    """A rolling upgrade: one role already migrated the database; a role still on the old code
    that (re)starts says so in one line (exit 3) instead of a traceback, and changes nothing."""
    engine = make_engine(db_url)
    upgrade(engine)
    env = {"VAHTI_DATABASE__URL": db_url}
    try:
        assert run_vahti("sources", "list", env=env).returncode == 0  # control: at head
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0099_newer'"))
        result = run_vahti("sources", "list", env=env)
        assert result.returncode == 3, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"error: the database schema is at revision 0099_newer, which this installation "
            f"does not know (its newest is {known_head()}): it was upgraded by a newer version; "
            "upgrade this installation before starting it"
        ]
        assert current_revision(engine) == "0099_newer"
    finally:
        engine.dispose()
