"""One writer at a time for a count-then-write that several processes share (the web limits).

PostgreSQL: a transaction-scoped advisory lock named by a string, taken before the first read,
held until commit or rollback. SQLite: nothing to take here; the caller writes first (its
first write takes the database's single write lock, held until the transaction ends), then
counts.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_key(name: str) -> int:
    """A signed 64-bit key for `name` (PostgreSQL's advisory lock keys are bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def serialise(session: Session, name: str) -> None:
    """Wait for, and hold until the transaction ends, the lock called `name` (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
