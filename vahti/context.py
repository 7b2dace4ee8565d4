"""What a command needs: the settings, the database (migrated on first use), the secret key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from scrapers.handoff import ChildSettings
from store.db import make_engine, session_factory
from store.migrate import ensure_schema

SECRET_FILE = Path("var/secret_key")


@dataclass
class AppContext:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(
                self.settings.database.url,
                busy_timeout_ms=self.settings.database.busy_timeout_ms,
                echo=self.settings.database.echo,
            )
            ensure_schema(self._engine)
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
        if not SECRET_FILE.exists():
            SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
            SECRET_FILE.write_text(secrets.token_urlsafe(32))
            SECRET_FILE.chmod(0o600)
        return SECRET_FILE.read_text().strip().encode()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def child_settings(settings: Settings) -> ChildSettings:
    """The sections a crawl child needs; a probe or dry run drops the database itself."""
    return ChildSettings(crawl=settings.crawl, database=settings.database)
