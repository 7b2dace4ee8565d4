"""One scheduler per database: the lease on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler.lease import Lease
from tests.conftest import Database


def test_only_one_holder_until_expiry(db: Database, now: datetime) -> None:
    first = Lease(db.sessions, "host-a:1", ttl=timedelta(seconds=60))
    second = Lease(db.sessions, "host-b:2", ttl=timedelta(seconds=60))
    assert first.try_acquire(now)
    assert not second.try_acquire(now)
    assert not second.try_acquire(now + timedelta(seconds=59))
    assert first.holder_now(now) == "host-a:1"
    # The holder renews: the standby keeps waiting.
    assert first.renew(now + timedelta(seconds=30))
    assert not second.try_acquire(now + timedelta(seconds=80))
    # The holder dies (stops renewing): after expiry the standby takes over.
    assert second.try_acquire(now + timedelta(seconds=95))
    assert second.holder_now(now + timedelta(seconds=95)) == "host-b:2"
    # The old holder wakes up and must notice it lost the lease.
    assert not first.renew(now + timedelta(seconds=96))


def test_release_lets_a_standby_in_at_once(db: Database, now: datetime) -> None:
    first = Lease(db.sessions, "a")
    second = Lease(db.sessions, "b")
    assert first.try_acquire(now)
    first.release(now + timedelta(seconds=1))
    assert second.try_acquire(now + timedelta(seconds=2))
    assert first.holder_now(now + timedelta(seconds=2)) == "b"


def test_acquiring_again_is_idempotent_for_the_holder(db: Database, now: datetime) -> None:
    lease = Lease(db.sessions, "a")
    assert lease.try_acquire(now)
    assert lease.try_acquire(now + timedelta(seconds=10))
