"""Looking at digests without sending them: one subscriber's (`vahti digest preview`) or all
that are due (`vahti digest send --dry-run`). Nothing is written to the database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.compose import Composed, DigestConfig, compose, to_message
from digest.load import history_with_events, load_pool, load_subscribers
from digest.message import new_message_id
from digest.model import SENT, SentItem
from digest.periods import period_of
from digest.plan import Due, missing_deliveries
from digest.pool import EventPool
from store.models import Delivery, DeliveryItem, Subscriber


def _pool_with_history(
    session: Session, config: DigestConfig, now: datetime, subscriber_ids: list[int]
) -> tuple[EventPool, dict[int, dict[int, SentItem]]]:
    pool = load_pool(session, now, config.window_days, config.deadline_days)
    return pool, history_with_events(session, pool, subscriber_ids, now)


@dataclass(frozen=True)
class Preview:
    composed: Composed
    # When this period's digest was sent already: then `composed` is that digest (what was
    # sent before it counts as sent, what it held does not), not an empty "nothing new".
    sent_at: datetime | None = None


def _before(
    session: Session, history: dict[int, SentItem], subscriber_id: int, delivery_id: int
) -> dict[int, SentItem]:
    """`history` as it was before delivery `delivery_id` was sent."""
    held = set(
        session.scalars(
            select(DeliveryItem.event_id).where(DeliveryItem.delivery_id == delivery_id)
        )
    )
    earlier = {event_id: item for event_id, item in history.items() if event_id not in held}
    if held:
        rows = session.execute(
            select(
                DeliveryItem.event_id,
                DeliveryItem.start_at,
                DeliveryItem.status,
                DeliveryItem.deadline_at,
            )
            .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
            .where(
                Delivery.subscriber_id == subscriber_id,
                Delivery.status == SENT,
                Delivery.id < delivery_id,
                DeliveryItem.event_id.in_(held),
            )
            .order_by(Delivery.id, DeliveryItem.id)
        )
        for event_id, start_at, status, deadline_at in rows:
            earlier[event_id] = SentItem(event_id, start_at, status, deadline_at)
    return earlier


def preview(session: Session, email: str, config: DigestConfig, now: datetime) -> Preview | None:
    """The digest `email` would get at `now`; or, when this period's digest was sent already,
    that digest (None: no such subscriber)."""
    subscriber_id = session.scalar(select(Subscriber.id).where(Subscriber.email == email))
    if subscriber_id is None:
        return None
    pool, history = _pool_with_history(session, config, now, [subscriber_id])
    (row,) = load_subscribers(session, [subscriber_id])
    sent = session.execute(
        select(Delivery.id, Delivery.sent_at).where(
            Delivery.subscriber_id == subscriber_id,
            Delivery.period == period_of(now, row["timezone"]),
            Delivery.status == SENT,
        )
    ).first()
    if sent is None:
        return Preview(compose(row, pool, history[subscriber_id], config, now))
    earlier = _before(session, history[subscriber_id], subscriber_id, sent.id)
    return Preview(compose(row, pool, earlier, config, now), sent.sent_at)


@dataclass(frozen=True)
class DryRunResult:
    email: str
    items: int
    size: int  # bytes of the whole message
    sent: bool  # False: empty (and digest.send_empty is off)
    error: str | None = None


def dry_run(
    session: Session, config: DigestConfig, now: datetime, due: Due, batch: int = 200
) -> Iterator[DryRunResult]:
    """Compose and build every digest `vahti digest send` would send now."""
    targets = [subscriber_id for subscriber_id, _ in missing_deliveries(session, now, due)]
    pool = load_pool(session, now, config.window_days, config.deadline_days)
    looked_up: set[int] = set()
    for start in range(0, len(targets), batch):
        chunk = targets[start : start + batch]
        history = history_with_events(session, pool, chunk, now, looked_up)
        for row in load_subscribers(session, chunk):
            try:
                composed = compose(row, pool, history[row["id"]], config, now)
                message = to_message(
                    composed,
                    email=row["email"],
                    message_id=new_message_id(config.message_id_domain),
                    date=now,
                    config=config,
                )
            except Exception as exc:  # report every subscriber, like a real send would
                yield DryRunResult(row["email"], 0, 0, False, f"cannot compose: {exc}")
                continue
            empty = composed.digest.empty and not config.send_empty
            yield DryRunResult(
                row["email"], len(composed.digest.items), len(message.as_bytes()), not empty
            )
