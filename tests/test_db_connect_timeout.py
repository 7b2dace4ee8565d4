"""A PostgreSQL host that never answers does not hold a command for the TCP timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from store import db


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _connect_seconds(engine: sqlalchemy.Engine, limit: float) -> float | None:
    """Seconds until connecting failed, or None when it still hung after `limit`."""
    done: list[float] = []
    started = time.monotonic()

    def attempt() -> None:
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        except OperationalError:
            done.append(time.monotonic() - started)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(limit)
    return done[0] if done else None


def test_connecting_to_a_silent_postgresql_gives_up(
    silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PG_CONNECT_TIMEOUT_SECONDS", 1)
    url = f"postgresql+psycopg://nobody@127.0.0.1:{silent_port}/x"
    seconds = _connect_seconds(db.make_engine(url), limit=8)
    assert seconds is not None and seconds < 5


def test_without_the_timeout_the_same_connection_hangs(silent_port: int) -> None:
    """Positive control: a plain engine on the same silent port is still waiting."""
    url = f"postgresql+psycopg://nobody@127.0.0.1:{silent_port}/x"
    assert _connect_seconds(sqlalchemy.create_engine(url), limit=3) is None


def test_a_timeout_in_the_url_wins(silent_port: int) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{silent_port}/x?connect_timeout=1"
    engine = db.make_engine(url)
    seconds = _connect_seconds(engine, limit=8)
    assert seconds is not None and seconds < 5
