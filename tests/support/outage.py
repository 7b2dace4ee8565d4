"""A database the test can take away and give back, for real.

PostgreSQL: a role and a database of the test's own (created here, dropped after; the shared
`test` database and its settings are never touched). `cut()` forbids the role to log in and
ends its connections (`pg_terminate_backend`), as a server restart or a network cut would;
`restore()` lets it log in again.

SQLite: `cut()` takes the write lock (BEGIN EXCLUSIVE) on another connection and holds it, so
every write fails with "database is locked" after the (short) busy timeout; `restore()` lets
it go.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, session_factory
from store.migrate import upgrade

# The busy timeout of every connection to an SQLite outage database (ms): a locked write
# fails after this long.
SQLITE_BUSY_MS = 200


class OutageDatabase:
    """A migrated database with `cut()` and `restore()`; `url` for children."""

    def __init__(self, backend: str, url: str, busy_timeout_ms: int) -> None:
        self.backend = backend
        self.url = url
        self.busy_timeout_ms = busy_timeout_ms
        self.engine: Engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.cut_at: float | None = None
        self.restored_at: float | None = None
        self.lock = threading.Lock()

    @property
    def is_cut(self) -> bool:
        return self.cut_at is not None and self.restored_at is None

    def cut(self) -> None:
        with self.lock:
            self._cut()
            self.cut_at = time.monotonic()

    def restore(self) -> None:
        with self.lock:
            if self.cut_at is not None and self.restored_at is None:
                self._restore()
                self.restored_at = time.monotonic()

    def restore_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.restore)
        timer.daemon = True
        timer.start()
        return timer

    def _cut(self) -> None:
        raise NotImplementedError

    def _restore(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.restore()
        self.engine.dispose()


class SqliteOutage(OutageDatabase):
    def __init__(self, path: Path) -> None:
        super().__init__("sqlite", f"sqlite:///{path}", SQLITE_BUSY_MS)
        self.path = path
        self._holder: sqlite3.Connection | None = None

    def _cut(self) -> None:
        holder = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        self._holder = holder

    def _restore(self) -> None:
        assert self._holder is not None
        self._holder.execute("ROLLBACK")
        self._holder.close()
        self._holder = None


class PostgresOutage(OutageDatabase):
    def __init__(self, admin: Engine, role: str, database: str, url: str) -> None:
        super().__init__("postgresql", url, 10_000)
        self.admin = admin
        self.role = role
        self.database = database

    def _cut(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'ALTER ROLE "{self.role}" NOLOGIN'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": self.role},
            )

    def _restore(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'ALTER ROLE "{self.role}" LOGIN'))


@contextmanager
def outage_database(backend: str, base_url: str | None, folder: Path) -> Iterator[OutageDatabase]:
    """A migrated database of the test's own on `backend`, dropped after."""
    if backend == "sqlite":
        sqlite = SqliteOutage(folder / "outage.db")
        upgrade(sqlite.engine)
        try:
            yield sqlite
        finally:
            sqlite.close()
        return
    assert base_url is not None
    name = f"vahti_outage_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{name}" LOGIN'))
        connection.execute(text(f'CREATE DATABASE "{name}" OWNER "{name}"'))
    url = make_url(base_url).set(username=name, password=None, database=name, query={})
    postgres = PostgresOutage(admin, name, name, url.render_as_string(hide_password=False))
    try:
        upgrade(postgres.engine)
        yield postgres
    finally:
        postgres.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()


def children_running(marker: str) -> list[int]:
    """This process's child processes whose command line contains `marker` (Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in pids:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if marker.encode() in command:
                found.append(int(pid))
    return found
