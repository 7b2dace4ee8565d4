"""Alembic migrations, run programmatically: on first use and by `vahti db upgrade`.

Alembic is imported only when a migration has to run: every command checks the schema on first
use, and when it is already at head (the usual case) a plain query says so without loading
Alembic (which costs about half a second of start-up).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
# The advisory lock that serialises migrations on PostgreSQL ("vahti" in ASCII).
LOCK_KEY = 0x7661687469
_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN = re.compile(r"^down_revision\s*=\s*[\"']([^\"']+)[\"']", re.M)


# Tables in our database that are not ours to migrate (APScheduler creates its job store).
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_object(
    _object: object, name: str | None, kind: str, reflected: bool, _to: object
) -> bool:
    """Alembic's filter: autogenerate never proposes to drop another library's tables."""
    return not (kind == "table" and reflected and name in FOREIGN_TABLES)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


@cache
def _read_revisions() -> tuple[set[str], set[str]]:
    """(every revision, every revision some other one revises) of the migration files."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found:
            revisions.add(found.group(1))
        down = _DOWN.search(source)
        if down:
            revised.add(down.group(1))
    return revisions, revised


def known_head() -> str | None:
    """The head revision read straight from the migration files (the one nobody revises)."""
    revisions, revised = _read_revisions()
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


class SchemaNewer(Exception):
    """The database was migrated by a newer installation than this one (a rolling upgrade:
    this process's code is older than the schema)."""

    def __init__(self, current: str, head: str | None) -> None:
        super().__init__(
            f"the database schema is at revision {current}, which this installation does not "
            f"know (its newest is {head}): it was upgraded by a newer version; upgrade this "
            "installation before starting it"
        )
        self.current = current


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """One migration at a time per database, across processes and machines: two daemons
    starting on an empty database must not both create the tables. PostgreSQL: a session
    advisory lock; SQLite: an exclusive lock on a file beside the database (in memory: none)."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                connection.commit()
        return
    database = engine.url.database if backend == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    import fcntl

    with open(f"{database}.migrate-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to `revision`; return (before, after)."""
    from alembic import command

    with migration_lock(engine):
        before = current_revision(engine)
        command.upgrade(alembic_config(engine), revision)
        return before, current_revision(engine)


def ensure_schema(engine: Engine) -> None:
    """Apply pending migrations (a single query when the schema is already at head)."""
    head = known_head()
    current = current_revision(engine)
    if head is None or current != head:
        if current is not None and current not in _read_revisions()[0]:
            raise SchemaNewer(current, head)
        upgrade(engine)
