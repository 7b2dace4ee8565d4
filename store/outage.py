"""Telling a database outage from a bad statement or bad data.

An outage (the connection lost or refused, the server shutting down, SQLite locked by another
writer past the busy timeout, a disk that cannot be written) says nothing of what was being
done: a digest sender waits for the database to return and hands back what it holds, and a
crawl it interrupted is cancelled, not failed (see docs/security.md).
"""

from __future__ import annotations

from sqlalchemy import exc as sa

# SQLite reports locks and I/O trouble as OperationalError, like a missing table or a syntax
# error: only these messages are an outage.
SQLITE_OUTAGES = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
    "attempt to write a readonly database",
)


def _chain(error: BaseException) -> list[BaseException]:
    """The error and its causes, at most a few deep."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(found) < 6 and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, sa.DisconnectionError | sa.TimeoutError):
        return True
    if not isinstance(error, sa.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa.OperationalError | sa.InterfaceError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        message = str(error.orig).lower()
        return any(text in message for text in SQLITE_OUTAGES)
    return True  # PostgreSQL: connection, shutdown, lock and resource errors are all passing


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` (or what caused it) is the database being unavailable."""
    return any(_is_outage(link) for link in _chain(error))


def describe(error: BaseException) -> str:
    """The database's own words for `error`, on one line (no SQL, no traceback)."""
    for link in _chain(error):
        if isinstance(link, sa.DBAPIError) and link.orig is not None:
            error = link.orig
            break
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines)[:300] if lines else type(error).__name__
