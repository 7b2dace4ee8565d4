"""Making events, subscribers and digest settings for the digest tests (real rows, real code)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from digest.compose import DigestConfig
from digest.model import EventView, Preferences
from store import vocab
from store.models import Event, Subscriber

SECRET = b"test-secret"
BASE_URL = "https://vahti.example"
_ids = itertools.count(1000)


def event_view(now: datetime, **values: Any) -> EventView:
    """An EventView starting in two days unless told otherwise."""
    days = values.pop("days", 2)
    values.setdefault("id", next(_ids))
    values.setdefault("title", f"Event {values['id']}")
    values.setdefault("start_at", now + timedelta(days=days))
    values.setdefault("city", "Helsinki")
    values.setdefault("language", "fi")
    values.setdefault("categories", ("seminar",))
    return EventView(**values)


def prefs(**values: Any) -> Preferences:
    values.setdefault("email", "anna@example.fi")
    values.setdefault("language", "en")
    return Preferences(**values)


def add_event(session: Session, now: datetime, **values: Any) -> Event:
    days = values.pop("days", 2)
    values.setdefault("title", "Rekrytointimessut")
    values.setdefault("start_at", now + timedelta(days=days))
    values.setdefault("city", "Helsinki")
    values.setdefault("language", "fi")
    values.setdefault("categories", ["job-fair"])
    values.setdefault("url", f"https://organiser.example/{values['title'].replace(' ', '-')}")
    event = Event(**values)
    event.urls = values.get("urls") or [event.url]
    session.add(event)
    session.flush()
    return event


def add_subscriber(session: Session, email: str, **values: Any) -> Subscriber:
    values.setdefault("status", vocab.SUBSCRIBER_ACTIVE)
    values.setdefault("language", "fi")
    subscriber = Subscriber(email=email, **values)
    session.add(subscriber)
    session.flush()
    return subscriber


def config(**values: Any) -> DigestConfig:
    values.setdefault("base_url", BASE_URL)
    values.setdefault("secret", SECRET)
    values.setdefault("from_address", "Tapahtumavahti <digest@vahti.example>")
    values.setdefault("message_id_domain", "vahti.example")
    values.setdefault("retry_backoff_seconds", 0.02)
    values.setdefault("connections", 2)
    values.setdefault("batch_size", 7)
    return DigestConfig(**values)


def seed(sessions: sessionmaker[Session], now: datetime, subscribers: int) -> list[str]:
    """`subscribers` active subscribers (fi/sv/en in turn) and a few events that fit them all."""
    emails = [f"reader{i:03d}@example.fi" for i in range(subscribers)]
    with sessions.begin() as session:
        for index, email in enumerate(emails):
            add_subscriber(session, email, language=("fi", "sv", "en")[index % 3])
        for day in (1, 3, 5):
            add_event(session, now, title=f"Työnhakuklinikka {day}", days=day)
    return emails
