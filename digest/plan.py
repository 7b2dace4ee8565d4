"""Planning: one Delivery row per (subscriber, period), created when the subscriber is due.

The row is what makes a digest exactly-once: it is unique in the database, so planning twice
(two workers, a rerun, a crash and a restart) creates nothing new; its Message-ID is chosen here,
before any try, and kept for every retry and for a resend after a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from digest.message import new_message_id
from digest.model import PENDING
from digest.periods import Slot, is_due, period_of
from store import vocab
from store.models import Delivery, Subscriber

# (send slot, now, confirmed at) -> is this subscriber's digest due? (digest.periods.is_due)
Due = Callable[[Slot, datetime, datetime | None], bool]
PAGE = 1000


def every_subscriber(_slot: Slot, _now: datetime, _confirmed_at: datetime | None) -> bool:
    """`vahti digest send --now`: every active subscriber's digest for the current period."""
    return True


@dataclass
class Plan:
    due: int = 0
    created: int = 0
    # Subscribers whose time zone or send slot cannot be read: left out, named here.
    problems: list[str] = field(default_factory=list)

    @property
    def existing(self) -> int:
        """Due subscribers whose period already had a delivery (sent, or being sent)."""
        return self.due - self.created


def _insert(session: Session) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id for the session's database (Core, so
    that SQLAlchemy sends many rows per statement without building a statement per page)."""
    table = Delivery.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing().returning(table.c.id)


def due_subscribers(
    session: Session,
    now: datetime,
    due: Due = is_due,
    problems: list[str] | None = None,
    only: Collection[int] | None = None,
) -> list[tuple[int, str]]:
    """(subscriber id, period) of active subscribers whose digest is due at `now` (of the
    subscribers `only` when given: the demo's own).

    A subscriber whose time zone or slot cannot be read is left out (and named in `problems`):
    one bad row must not stop everyone's digest.
    """
    found: list[tuple[int, str]] = []
    last = 0
    while True:
        page = session.execute(
            select(
                Subscriber.id,
                Subscriber.email,
                Subscriber.timezone,
                Subscriber.send_day,
                Subscriber.send_hour,
                Subscriber.confirmed_at,
            )
            .where(
                Subscriber.status == vocab.SUBSCRIBER_ACTIVE,
                Subscriber.id > last,
                *([] if only is None else [Subscriber.id.in_(list(only))]),
            )
            .order_by(Subscriber.id)
            .limit(PAGE)
        ).all()
        if not page:
            return found
        last = page[-1].id
        for row in page:
            try:
                slot = Slot(row.send_day, row.send_hour, row.timezone)
                if due(slot, now, row.confirmed_at):
                    found.append((row.id, period_of(now, row.timezone)))
            except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
                if problems is not None:
                    problems.append(f"{row.email}: cannot tell when the digest is due: {exc!r}")


def plan_deliveries(
    session: Session,
    now: datetime,
    *,
    message_id_domain: str,
    due: Due = is_due,
    only: Collection[int] | None = None,
) -> Plan:
    """Create the current period's Delivery rows for the active subscribers that are due.

    A row that exists already (whatever its status) is left alone. The caller commits.
    """
    plan = Plan()
    targets = due_subscribers(session, now, due, plan.problems, only)
    plan.due = len(targets)
    for start in range(0, len(targets), PAGE):
        rows = [
            {
                "subscriber_id": subscriber_id,
                "period": period,
                "status": PENDING,
                "message_id": new_message_id(message_id_domain),
                "attempts": 0,
                "item_count": 0,
                "created_at": now,
                "updated_at": now,
            }
            for subscriber_id, period in targets[start : start + PAGE]
        ]
        plan.created += len(session.execute(_insert(session), rows).all())
    return plan


def missing_deliveries(session: Session, now: datetime, due: Due = is_due) -> list[tuple[int, str]]:
    """What `plan_deliveries` would create, without creating it (for --dry-run)."""
    targets = due_subscribers(session, now, due)
    existing: set[tuple[int, str]] = set()
    periods = {period for _, period in targets}
    if periods:
        existing = {
            (row.subscriber_id, row.period)
            for row in session.execute(
                select(Delivery.subscriber_id, Delivery.period).where(Delivery.period.in_(periods))
            )
        }
    return [target for target in targets if target not in existing]


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count(Delivery.id)).where(Delivery.status == PENDING)) or 0
