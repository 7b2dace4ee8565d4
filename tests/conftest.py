"""Shared test infrastructure: real databases, a real HTTP server, a real SMTP server.

* ``db``: a migrated database; SQLite always, PostgreSQL too when VAHTI_TEST_POSTGRES_URL is
  set (each test gets its own schema there, so parallel runs do not collide).
* ``site_server``: serves saved pages from a folder or a dict on 127.0.0.1, with routes that
  can answer with any status, delay, redirect or body.
* ``smtp_server``: an aiosmtpd server on 127.0.0.1 that records messages and can be told to
  answer 4xx/5xx for chosen recipients.
* ``vahti_env`` / ``run_vahti``: the `vahti` command in a temporary folder with test settings.
* ``now``: a fixed aware datetime to pass into pure functions instead of freezing time.

The suite is sealed from whoever runs it: ``_sealed`` removes every VAHTI_* variable from the
environment (VAHTI_TEST_POSTGRES_URL is read first) and points the settings loader's default
file at the repository's own settings.toml, so no exported variable, VAHTI_SETTINGS or
./settings.toml changes a test. Subprocesses get explicit environments (``vahti_env``;
crawl children get ``scrapers.runner.child_environment`` and their settings on stdin).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

import config.loader
from store.db import make_engine, session_factory
from store.migrate import upgrade
from tests.support.http import SiteServer
from tests.support.outage import OutageDatabase, outage_database
from tests.support.smtp import SmtpServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
POSTGRES_ENV = "VAHTI_TEST_POSTGRES_URL"
# Read once, before the sealing fixtures clear the environment.
POSTGRES_URL = os.environ.get(POSTGRES_ENV) or None
# The settings file a test that loads settings without naming one reads: the defaults.
REPOSITORY_SETTINGS = ROOT / "settings.toml"


class Database:
    def __init__(self, url: str, engine: Engine, backend: str) -> None:
        self.url = url
        self.engine = engine
        self.backend = backend
        self.sessions: sessionmaker[Session] = session_factory(engine)


def _postgres_url() -> str | None:
    return POSTGRES_URL


def seal(patch: pytest.MonkeyPatch) -> None:
    """No VAHTI_* variable (VAHTI_SETTINGS included) and no settings file of the person
    running the suite: the loader's default file is the repository's own."""
    for name in list(os.environ):
        if name.startswith(config.loader.ENV_PREFIX):
            patch.delenv(name)
    patch.setattr(config.loader, "DEFAULT_FILE", REPOSITORY_SETTINGS)


@pytest.fixture(scope="session", autouse=True)
def _sealed_session() -> Iterator[None]:
    """Sealed for the whole run, so module and session fixtures are too."""
    with pytest.MonkeyPatch.context() as patch:
        seal(patch)
        yield


@pytest.fixture(autouse=True)
def _sealed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sealed again for each test (whatever an earlier one left in os.environ)."""
    seal(monkeypatch)


def _backends() -> list[object]:
    return [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                _postgres_url() is None,
                reason=f"PostgreSQL tests need {POSTGRES_ENV} (set by .ci/run)",
            ),
        ),
    ]


@contextmanager
def fresh_database_url(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a fresh, empty database (not migrated): an SQLite file in `folder`, or a
    PostgreSQL schema of its own, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'test.db'}"
        return
    base = _postgres_url()
    assert base is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def migrated_database(backend: str, folder: Path) -> Iterator[Database]:
    """A fresh database (fresh_database_url) with the schema at head, for fixtures of any scope."""
    with fresh_database_url(backend, folder) as url:
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield Database(url, engine, engine.dialect.name)
        finally:
            engine.dispose()


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on a fresh, empty database (not migrated)."""
    with fresh_database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database on every backend available."""
    engine = make_engine(db_url)
    upgrade(engine)
    backend = engine.dialect.name
    try:
        yield Database(db_url, engine, backend)
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database only (for tests that need no second backend)."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield Database(url, engine, "sqlite")
    finally:
        engine.dispose()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def site_server() -> Iterator[SiteServer]:
    server = SiteServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def vahti_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running `vahti` in tmp_path: SQLite there, file outbox, polite off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAHTI_")}
    env.update(
        {
            "VAHTI_DATABASE__URL": f"sqlite:///{tmp_path / 'vahti.db'}",
            "VAHTI_MAIL__OUTBOX_DIR": str(tmp_path / "outbox"),
            "VAHTI_CRAWL__ALLOW_PRIVATE_NETWORKS": "true",
            "VAHTI_CRAWL__DOWNLOAD_DELAY": "0",
            "VAHTI_CRAWL__AUTOTHROTTLE": "false",
            "VAHTI_CRAWL__RETRIES": "0",
            "VAHTI_CRAWL__DOWNLOAD_TIMEOUT": "10",
            "VAHTI_WEB__SECRET_KEY": "test-secret",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@pytest.fixture
def run_vahti(tmp_path: Path, vahti_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """Run `vahti ARGS...` as a real process in tmp_path; returns the CompletedProcess."""

    def run(
        *args: str, timeout: float = 120, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "vahti", *args],
            cwd=tmp_path,
            env={**vahti_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                POSTGRES_URL is None,
                reason=f"PostgreSQL tests need {POSTGRES_ENV} (set by .ci/run)",
            ),
        ),
    ]
)
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OutageDatabase]:
    """A database of the test's own that the test can take away and give back
    (tests/support/outage.py), on SQLite and on PostgreSQL."""
    with outage_database(request.param, POSTGRES_URL, tmp_path) as database:
        yield database
