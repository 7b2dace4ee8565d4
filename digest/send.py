"""Sending digests: one Delivery row per (subscriber, period) makes each digest exactly-once.

The row is inserted (unique in the database) before anything is rendered; its Message-ID is
fixed before the first try; it is marked sent in its own transaction as soon as the sender
accepted the message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digest.message import build_message
from digest.model import Digest, EventView, Preferences
from digest.periods import period_of
from digest.render import render_digest
from digest.select import select_digest
from digest.senders import Sender, SendError
from store import vocab
from store.db import session_scope
from store.models import Delivery, DeliveryItem, Event, Subscriber
from store.tokens import make_token


@dataclass(frozen=True)
class DigestConfig:
    base_url: str
    secret: bytes
    from_address: str
    message_id_domain: str
    window_days: int = 14
    send_empty: bool = False


@dataclass
class SendSummary:
    sent: int = 0
    empty: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def links_for(config: DigestConfig, subscriber: Subscriber) -> dict[str, str]:
    def token(purpose: str) -> str:
        return make_token(config.secret, subscriber.id, purpose, subscriber.token_version)

    return {
        "preferences": f"{config.base_url}/s/{token('preferences')}",
        "unsubscribe": f"{config.base_url}/u/{token('unsubscribe')}",
    }


def sent_event_ids(session: Session, subscriber_id: int) -> set[int]:
    rows = session.scalars(
        select(DeliveryItem.event_id)
        .join(Delivery)
        .where(Delivery.subscriber_id == subscriber_id, Delivery.status == "sent")
    )
    return set(rows)


def upcoming_events(session: Session, now: datetime) -> list[EventView]:
    rows = session.scalars(
        select(Event).where(Event.start_at >= now, Event.gone_at.is_(None)).order_by(Event.start_at)
    )
    return [EventView.from_row(row) for row in rows]


def compose(
    session: Session, subscriber: Subscriber, config: DigestConfig, now: datetime
) -> Digest:
    return select_digest(
        Preferences.from_row(subscriber),
        upcoming_events(session, now),
        sent_event_ids(session, subscriber.id),
        now,
        window_days=config.window_days,
    )


def _claim(
    sessions: sessionmaker[Session], subscriber: Subscriber, period: str, config: DigestConfig
) -> int | None:
    """Insert the period's Delivery row; None when another run already has it."""
    with sessions() as session:
        delivery = Delivery(
            subscriber_id=subscriber.id,
            period=period,
            status="sending",
            message_id=f"<{uuid.uuid4().hex}@{config.message_id_domain}>",
        )
        session.add(delivery)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
        return delivery.id


async def send_due(
    sessions: sessionmaker[Session],
    sender: Sender,
    config: DigestConfig,
    now: datetime,
    *,
    is_due: Callable[[Subscriber], bool] = lambda _s: True,
) -> SendSummary:
    summary = SendSummary()
    with sessions() as session:
        subscribers = list(
            session.scalars(select(Subscriber).where(Subscriber.status == vocab.SUBSCRIBER_ACTIVE))
        )
    for subscriber in subscribers:
        if not is_due(subscriber):
            continue
        period = period_of(now, subscriber.timezone)
        delivery_id = _claim(sessions, subscriber, period, config)
        if delivery_id is None:
            summary.skipped += 1
            continue
        with session_scope(sessions) as session:
            digest = compose(session, subscriber, config, now)
            delivery = session.get_one(Delivery, delivery_id)
            if digest.empty and not config.send_empty:
                delivery.status = "empty"
                summary.empty += 1
                continue
            links = links_for(config, subscriber)
            rendered = render_digest(digest, links=links)
            message = build_message(
                rendered,
                sender=config.from_address,
                recipient=subscriber.email,
                message_id=delivery.message_id or "",
                date=now,
                list_id=f"Tapahtumavahti digest <digest.{config.message_id_domain}>",
                unsubscribe_url=links["unsubscribe"],
            )
            delivery.attempts += 1
            try:
                await sender.send(message)
            except SendError as exc:
                delivery.status = "failed"
                delivery.last_error = str(exc)
                summary.failed += 1
                summary.errors.append(f"{subscriber.email}: {exc}")
                continue
            delivery.status = "sent"
            delivery.sent_at = now
            delivery.item_count = len(digest.items)
            for item in digest.items:
                session.add(
                    DeliveryItem(
                        delivery_id=delivery.id,
                        event_id=item.event.id,
                        section=item.section,
                        start_at=item.event.start_at,
                        status=item.event.status,
                        deadline_at=item.event.deadline_at,
                    )
                )
            summary.sent += 1
    return summary
