"""A lease row so that only one scheduler acts on one database.

Acquiring and renewing are single conditional UPDATEs (or one INSERT), atomic on SQLite and
PostgreSQL alike: a holder keeps the lease by renewing it well before it expires; a standby takes
it over only once it has expired (the holder died or hung). Two daemons never both hold it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, Update, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.models import SchedulerLease

EPOCH_GRACE = timedelta(seconds=1)
SCHEDULER = "scheduler"


def _changed(session: Session, statement: Update) -> int:
    """Rows an UPDATE changed."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class Lease:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        holder: str,
        *,
        name: str = SCHEDULER,
        ttl: timedelta = timedelta(seconds=60),
    ) -> None:
        self.sessions = sessions
        self.holder = holder
        self.name = name
        self.ttl = ttl

    def try_acquire(self, now: datetime) -> bool:
        """Take the lease if it is free, expired, or already ours; True when we hold it."""
        with self.sessions.begin() as session:
            taken = _changed(
                session,
                update(SchedulerLease)
                .where(
                    SchedulerLease.name == self.name,
                    (SchedulerLease.holder == self.holder) | (SchedulerLease.expires_at < now),
                )
                .values(
                    holder=self.holder, acquired_at=now, renewed_at=now, expires_at=now + self.ttl
                ),
            )
            if taken:
                return True
            if session.get(SchedulerLease, self.name) is not None:
                return False
        try:
            with self.sessions.begin() as session:
                session.add(
                    SchedulerLease(
                        name=self.name,
                        holder=self.holder,
                        acquired_at=now,
                        renewed_at=now,
                        expires_at=now + self.ttl,
                    )
                )
        except IntegrityError:
            return False  # another process inserted it first
        return True

    def renew(self, now: datetime) -> bool:
        """Extend our lease; False when it is no longer ours (we must stop acting)."""
        with self.sessions.begin() as session:
            renewed = _changed(
                session,
                update(SchedulerLease)
                .where(
                    SchedulerLease.name == self.name,
                    SchedulerLease.holder == self.holder,
                    SchedulerLease.expires_at >= now,
                )
                .values(renewed_at=now, expires_at=now + self.ttl),
            )
            return renewed == 1

    def release(self, now: datetime) -> None:
        """Give the lease up at once (a clean shutdown), so a standby need not wait."""
        with self.sessions.begin() as session:
            _changed(
                session,
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                .values(expires_at=now - EPOCH_GRACE),
            )

    def holder_now(self, now: datetime) -> str | None:
        with self.sessions() as session:
            lease = session.get(SchedulerLease, self.name)
            if lease is None or lease.expires_at < now:
                return None
            return lease.holder


def held(session: Session, now: datetime, name: str = SCHEDULER) -> bool:
    """Whether some daemon holds the lease now (one is active)."""
    lease = session.get(SchedulerLease, name)
    return lease is not None and lease.expires_at >= now
