"""What a command needs: the settings, the database (migrated on first use), the secret key.

What cannot be had is raised as a vahti.unavailable.Unavailable (one line; vahti.cli.main
prints it and exits with its code): a database that cannot be reached or opened, a secret key
file that cannot be kept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from config.schema import DatabaseSettings
from scrapers.handoff import ChildSettings
from store.db import DatabaseError, make_engine, session_factory
from store.migrate import SchemaNewer, ensure_schema
from vahti.unavailable import (
    EXIT_DATABASE_UNAVAILABLE,
    Unavailable,
    database_unavailable,
    one_line,
    os_reason,
    shown_url,
)

SECRET_FILE = Path("var/secret_key")


def open_engine(database: DatabaseSettings) -> Engine:
    """An engine that has connected once (not migrated): `Unavailable` when it cannot,
    store.db.DatabaseError when database.url names no database we can drive."""
    try:
        engine = make_engine(
            database.url, busy_timeout_ms=database.busy_timeout_ms, echo=database.echo
        )
    except OSError as exc:  # the SQLite file's folder cannot be made
        folder = Path(make_url(database.url).database or ".").parent
        why = os_reason(exc)
        raise database_unavailable(
            database.url, f"cannot create its folder {folder}: {why}"
        ) from None
    except (sa_exc.ArgumentError, ImportError) as exc:  # no such dialect or driver
        raise DatabaseError(
            f"database.url {shown_url(database.url)!r} names no database this installation "
            f"can use: {one_line(str(exc))}"
        ) from None
    try:
        with engine.connect():
            pass
    except sa_exc.DBAPIError as exc:  # refused, no such role, not a database file...
        engine.dispose()
        raise database_unavailable(database.url, exc) from None
    return engine


@dataclass
class AppContext:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            engine = open_engine(self.settings.database)
            try:
                ensure_schema(engine)
            except SchemaNewer as exc:
                engine.dispose()
                raise Unavailable(str(exc), EXIT_DATABASE_UNAVAILABLE) from None
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    def child_settings(self) -> ChildSettings:
        """What crawl and probe children get of the settings (on stdin, see scrapers.handoff)."""
        return child_settings(self.settings)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    def secret_key(self) -> bytes:
        """web.secret_key from the environment, else a key generated once into var/."""
        configured = self.settings.web.secret_key.get_secret_value()
        if configured:
            return configured.encode()
        try:
            if not SECRET_FILE.exists():
                SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
                SECRET_FILE.write_text(secrets.token_urlsafe(32))
                SECRET_FILE.chmod(0o600)
            return SECRET_FILE.read_text().strip().encode()
        except (OSError, UnicodeDecodeError) as exc:
            why = os_reason(exc) if isinstance(exc, OSError) else "not UTF-8 text"
            raise Unavailable(
                f"cannot keep the generated secret key in {SECRET_FILE.resolve()}: {why}; "
                "set VAHTI_WEB__SECRET_KEY or run from a folder where var/ can be written"
            ) from None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def child_settings(settings: Settings) -> ChildSettings:
    """The sections a crawl child needs; a probe or dry run drops the database itself."""
    return ChildSettings(crawl=settings.crawl, database=settings.database)
