"""Claiming deliveries so that two workers never send the same digest.

A worker claims a few planned deliveries at a time: status pending -> sending, with its id and
the time. PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED` and an UPDATE, so workers claim
different rows without waiting for each other. SQLite drops SKIP LOCKED silently; there one
conditional `UPDATE ... WHERE <claimable> ... RETURNING id` claims (SQLite runs one writer at a
time, so the condition is checked and the row changed in one step).

After a crash the crashed worker's rows stay "sending": these are the only uncertain ones (the
server may or may not have accepted them). They become claimable again when their worker is
known to be dead (same host, process gone) or when the claim is older than the claim timeout,
and are then sent again with the same Message-ID.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from digest.model import PENDING, SENDING
from store.models import Delivery


def make_worker_id() -> str:
    """host/pid/nonce: the host and pid let a later run on the same host spot a dead worker."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claimable(now: datetime, stale_before: datetime) -> Any:
    return or_(
        and_(
            Delivery.status == PENDING,
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        ),
        and_(Delivery.status == SENDING, Delivery.claimed_at < stale_before),
    )


def claim_deliveries(
    session: Session,
    worker_id: str,
    now: datetime,
    *,
    limit: int,
    stale_before: datetime,
    only: Collection[int] | None = None,
) -> list[int]:
    """Claim up to `limit` deliveries for `worker_id` (of the subscribers `only` when given);
    the caller commits at once."""
    condition = claimable(now, stale_before)
    if only is not None:
        condition = and_(condition, Delivery.subscriber_id.in_(list(only)))
    values = {"status": SENDING, "claimed_by": worker_id, "claimed_at": now, "updated_at": now}
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.scalars(
                select(Delivery.id)
                .where(condition)
                .order_by(Delivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if ids:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return ids
    inner = select(Delivery.id).where(condition).order_by(Delivery.id).limit(limit)
    claimed = session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(inner.scalar_subquery()), condition)
        .values(**values)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def release_dead_claims(
    session: Session,
    now: datetime,
    *,
    host: str | None = None,
    alive: Callable[[int], bool] = pid_alive,
) -> int:
    """Hand back deliveries claimed by workers on this host whose process is gone.

    They are the uncertain ones of a crash: pending again, same Message-ID. The caller commits.
    """
    host = host or socket.gethostname()
    rows = session.execute(
        select(Delivery.id, Delivery.claimed_by).where(
            Delivery.status == SENDING, Delivery.claimed_by.like(f"{host}/%")
        )
    ).all()
    dead: list[int] = []
    for delivery_id, claimed_by in rows:
        parts = str(claimed_by).split("/")
        if len(parts) >= 2 and parts[1].isdigit() and not alive(int(parts[1])):
            dead.append(delivery_id)
    if dead:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(dead), Delivery.status == SENDING)
            .values(status=PENDING, claimed_by=None, next_attempt_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(dead)


def held_by(session: Session, worker_id: str) -> set[int]:
    """The deliveries `worker_id` still holds ("sending" and claimed by it), locked on
    PostgreSQL until the caller commits: nobody takes them over meanwhile."""
    return set(
        session.scalars(
            select(Delivery.id)
            .where(Delivery.claimed_by == worker_id, Delivery.status == SENDING)
            .with_for_update()
        )
    )


def release_own_claims(session: Session, worker_id: str, now: datetime) -> int:
    """Hand back what `worker_id` still holds (after an error); the caller commits."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.claimed_by == worker_id, Delivery.status == SENDING)
        .values(status=PENDING, claimed_by=None, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def next_retry_at(session: Session) -> datetime | None:
    """When the earliest delivery waiting for a retry may be tried again."""
    return session.scalar(
        select(Delivery.next_attempt_at)
        .where(Delivery.status == PENDING, Delivery.next_attempt_at.is_not(None))
        .order_by(Delivery.next_attempt_at)
        .limit(1)
    )
