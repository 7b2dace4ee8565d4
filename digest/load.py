"""Reading what digests need from the store (the edge between the database and pure code)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from digest.links import load_event_links
from digest.model import SENT, SUBSCRIBER_COLUMNS, EventView, SentItem
from digest.pool import EventPool
from store.models import Delivery, DeliveryItem, Event, Subscriber

# Snapshots of events that started this long before `now` cannot matter any more (an event is
# only new or an update while it is ahead); leaving them out keeps history reads small.
HISTORY_DAYS = 45
CHUNK = 500


def _chunks(values: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def load_pool(session: Session, now: datetime, window_days: int, deadline_days: int) -> EventPool:
    """Every event that can be new in a digest at `now`, indexed."""
    window_end = now + timedelta(days=window_days)
    deadline_end = now + timedelta(days=deadline_days)
    rows = list(
        session.scalars(
            select(Event)
            .where(
                Event.gone_at.is_(None),
                Event.start_at >= now,
                or_(
                    Event.start_at <= window_end,
                    and_(Event.deadline_at > now, Event.deadline_at <= deadline_end),
                ),
            )
            .order_by(Event.start_at, Event.id)
        )
    )
    links = load_event_links(session, [row.id for row in rows])
    return EventPool(
        (EventView.from_row(row, links.get(row.id)) for row in rows),
        now,
        window_days=window_days,
        deadline_days=deadline_days,
    )


def load_events(session: Session, ids: Collection[int]) -> list[EventView]:
    """Events by id (not gone), for updates about events outside the pool."""
    found: list[EventView] = []
    for chunk in _chunks(ids):
        rows = list(
            session.scalars(select(Event).where(Event.id.in_(chunk), Event.gone_at.is_(None)))
        )
        links = load_event_links(session, [row.id for row in rows])
        found.extend(EventView.from_row(row, links.get(row.id)) for row in rows)
    return found


def load_history(
    session: Session, subscriber_ids: Collection[int], now: datetime
) -> dict[int, dict[int, SentItem]]:
    """Per subscriber: event id -> what the latest sent digest said about it."""
    history: dict[int, dict[int, SentItem]] = {sid: {} for sid in subscriber_ids}
    since = now - timedelta(days=HISTORY_DAYS)
    for chunk in _chunks(subscriber_ids):
        rows = session.execute(
            select(
                Delivery.subscriber_id,
                DeliveryItem.event_id,
                DeliveryItem.start_at,
                DeliveryItem.status,
                DeliveryItem.deadline_at,
            )
            .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
            .where(
                Delivery.subscriber_id.in_(chunk),
                Delivery.status == SENT,
                DeliveryItem.start_at >= since,
            )
            .order_by(Delivery.id, DeliveryItem.id)
        )
        for subscriber_id, event_id, start_at, status, deadline_at in rows:
            history[subscriber_id][event_id] = SentItem(event_id, start_at, status, deadline_at)
    _follow_merges(session, history)
    return history


def history_with_events(
    session: Session,
    pool: EventPool,
    subscriber_ids: Collection[int],
    now: datetime,
    looked_up: set[int] | None = None,
) -> dict[int, dict[int, SentItem]]:
    """What was sent to these subscribers before (`load_history`), with the events it names
    that the pool lacks added to the pool (for updates about them). `looked_up`, kept across
    calls, makes each such event read once per run."""
    history = load_history(session, subscriber_ids, now)
    unknown = {e for sent in history.values() for e in sent} - pool.events.keys()
    if looked_up is not None:
        unknown -= looked_up
        looked_up |= unknown
    if unknown:
        pool.add_known(load_events(session, unknown))
    return history


MERGE_DEPTH = 8  # merged into an event that was itself merged: follow at most this far


def _follow_merges(session: Session, history: dict[int, dict[int, SentItem]]) -> None:
    """An event sent before and since merged into another (dedupe joined them) was sent as
    that other one: the subscriber is not told about it again as new."""
    where = {event_id: event_id for sent in history.values() for event_id in sent}
    frontier = set(where)
    for _ in range(MERGE_DEPTH):
        found: dict[int, int] = {}
        for chunk in _chunks(frontier):
            rows = session.execute(
                select(Event.id, Event.merged_into_id).where(
                    Event.id.in_(chunk), Event.merged_into_id.is_not(None)
                )
            )
            found.update((event_id, into) for event_id, into in rows if into is not None)
        if not found:
            break
        for original, now in where.items():
            if now in found:
                where[original] = found[now]
        frontier = set(found.values())
    target = {original: now for original, now in where.items() if original != now}
    if not target:
        return
    for sent in history.values():
        for event_id, item in list(sent.items()):
            survivor = target.get(event_id)
            if survivor is not None and survivor not in sent:
                sent[survivor] = SentItem(survivor, item.start_at, item.status, item.deadline_at)


DELIVERY_COLUMNS = ("id", "subscriber_id", "message_id", "attempts", "period")
EXTRA_SUBSCRIBER_COLUMNS = ("id", "status", "token_version", "permanent_failures")


def load_deliveries(session: Session, delivery_ids: Collection[int]) -> list[dict[str, Any]]:
    """Claimed deliveries with what is needed to compose them (plain dicts, no ORM objects)."""
    columns = [
        *(getattr(Delivery, name).label(f"delivery_{name}") for name in DELIVERY_COLUMNS),
        *(getattr(Subscriber, name) for name in (*SUBSCRIBER_COLUMNS, *EXTRA_SUBSCRIBER_COLUMNS)),
    ]
    result: list[dict[str, Any]] = []
    for chunk in _chunks(delivery_ids):
        rows = session.execute(
            select(*columns)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Delivery.id.in_(chunk))
            .order_by(Delivery.id)
        )
        result.extend(dict(row._mapping) for row in rows)
    return result


def load_subscribers(session: Session, subscriber_ids: Collection[int]) -> list[dict[str, Any]]:
    """Subscribers as plain dicts (the columns `digest.compose.compose` reads)."""
    columns = [
        getattr(Subscriber, name) for name in (*SUBSCRIBER_COLUMNS, *EXTRA_SUBSCRIBER_COLUMNS)
    ]
    result: list[dict[str, Any]] = []
    for chunk in _chunks(subscriber_ids):
        rows = session.execute(select(*columns).where(Subscriber.id.in_(chunk)))
        result.extend(dict(row._mapping) for row in rows)
    return result
