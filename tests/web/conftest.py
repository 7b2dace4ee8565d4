"""Fixtures for the web app: the real app on a real database, a file outbox, a fixed clock."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from digest.transports import FileSender
from store.db import make_engine
from store.migrate import upgrade
from store.models import Event, Listing, Source, Subscriber
from tests.conftest import Database
from tests.support.serve import vahti_serve
from web.app import create_app
from web.config import WebConfig

SECRET = b"test-secret"
BASE_URL = "http://testserver"
ADMIN_PASSWORD = "correct horse battery staple"


class Clock:
    """A clock the test moves by hand (the app reads it through `clock=`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class WebEnv:
    db: Database
    app: FastAPI
    client: TestClient
    clock: Clock
    outbox: Path
    config: WebConfig
    scheduler: dict[str, bool] = field(default_factory=lambda: {"alive": True})

    def mails(self) -> list[EmailMessage]:
        messages = []
        for path in sorted(self.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            messages.append(parsed)
        return messages

    def add_event(self, **values: Any) -> int:
        defaults: dict[str, Any] = {
            "title": "Rekrytointimessut",
            "start_at": self.clock.now + timedelta(days=3),
            "end_at": self.clock.now + timedelta(days=3, hours=3),
            "city": "Helsinki",
            "categories": ["job-fair"],
            "language": "fi",
            "url": "https://organiser.example.fi/events/1",
            "urls": ["https://organiser.example.fi/events/1"],
        }
        with self.db.sessions.begin() as session:
            event = Event(**{**defaults, **values})
            session.add(event)
            session.flush()
            return event.id

    def add_subscriber(self, email: str = "maija@example.fi", **values: Any) -> Subscriber:
        with self.db.sessions.begin() as session:
            subscriber = Subscriber(email=email, **values)
            session.add(subscriber)
        return subscriber

    def add_source(self, **values: Any) -> int:
        with self.db.sessions.begin() as session:
            source = Source(
                **{"name": "Työllisyyspalvelut", "url": "https://tyo.example.fi/", **values}
            )
            session.add(source)
            session.flush()
            return source.id

    def add_listing(self, source_id: int, event_id: int, **values: Any) -> None:
        with self.db.sessions.begin() as session:
            session.add(
                Listing(
                    **{
                        "source_id": source_id,
                        "event_id": event_id,
                        "external_id": f"x{source_id}-{event_id}",
                        "content_hash": "h",
                        "title": "listing",
                        "start_at": self.clock.now + timedelta(days=3),
                        **values,
                    }
                )
            )


def make_config(**changes: Any) -> WebConfig:
    config = WebConfig(base_url=BASE_URL, secret_key=SECRET, admin_password=ADMIN_PASSWORD)
    return replace(config, **changes)


@pytest.fixture
def web(db: Database, tmp_path: Path, now: datetime) -> Iterator[WebEnv]:
    """The app on every database backend, with an outbox folder and a hand-moved clock."""
    yield from _web(db, tmp_path, now, make_config())


def _web(db: Database, tmp_path: Path, now: datetime, config: WebConfig) -> Iterator[WebEnv]:
    clock = Clock(now)
    outbox = tmp_path / "outbox"
    scheduler = {"alive": True}
    app = create_app(
        config,
        db.sessions,
        scheduler_status=lambda: scheduler["alive"],
        sender=FileSender(outbox),
        clock=clock,
    )
    with TestClient(app, base_url=BASE_URL) as client:
        yield WebEnv(db, app, client, clock, outbox, config, scheduler)


@pytest.fixture
def web_factory(sqlite_db: Database, tmp_path: Path, now: datetime):  # type: ignore[no-untyped-def]
    """Build the app with another configuration (SQLite only)."""
    made: list[Iterator[WebEnv]] = []

    def build(**changes: Any) -> WebEnv:
        generator = _web(sqlite_db, tmp_path, now, make_config(**changes))
        made.append(generator)
        return next(generator)

    yield build
    for generator in made:
        generator.close()


@dataclass
class Served:
    """`vahti serve` running as a real process on 127.0.0.1."""

    base_url: str
    database_url: str
    outbox: Path
    process: subprocess.Popen[str]

    def mails(self) -> list[EmailMessage]:
        messages = []
        for path in sorted(self.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            messages.append(parsed)
        return messages


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path, vahti_env: dict[str, str]) -> Iterator[Served]:
    """Start `python -m vahti serve` in tmp_path (SQLite there, file outbox, admin password)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **vahti_env,
        "VAHTI_WEB__BASE_URL": base_url,
        "VAHTI_WEB__ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    database_url = env["VAHTI_DATABASE__URL"]
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    with vahti_serve(port, cwd=tmp_path, env=env, log_path=tmp_path / "serve.log") as process:
        yield Served(base_url, database_url, Path(env["VAHTI_MAIL__OUTBOX_DIR"]), process)


@pytest.fixture
def apps(db: Database, tmp_path: Path, now: datetime) -> Iterator[Any]:
    """Build web apps (each a create_app of its own, as separate web processes are) on one
    database: `apps(**config_changes)` returns a WebEnv; all are closed after the test."""
    made: list[Iterator[WebEnv]] = []

    def build(**changes: Any) -> WebEnv:
        generator = _web(db, tmp_path / f"app{len(made)}", now, make_config(**changes))
        made.append(generator)
        return next(generator)

    yield build
    for generator in made:
        generator.close()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)
