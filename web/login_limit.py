"""Admin login attempts counted per client in a sliding window, in the database.

Every web process of one database shares the count (store.models.LoginAttempt). An attempt is
recorded before the password is checked, so parallel guesses are counted too: the attempt
that would exceed the limit is refused (and not recorded); a successful login forgets the
client's attempts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from store.db import session_scope
from store.locks import serialise
from store.models import LoginAttempt

LOCK = "vahti login attempts"


class LoginLimiter:
    def __init__(self, sessions: sessionmaker[Session], attempts: int, window: timedelta) -> None:
        self.sessions = sessions
        self.attempts = attempts
        self.window = window

    def attempt(self, client: str, now: datetime) -> bool:
        """Record an attempt by `client`; False (nothing recorded) when the client has used
        up its attempts in the window. Call `succeeded` when the password was right."""
        with session_scope(self.sessions) as session:
            serialise(session, LOCK)
            row = LoginAttempt(client=client, attempted_at=now)
            session.add(row)
            session.flush()  # SQLite: the first write takes the write lock before we count
            cutoff = now - self.window
            session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= cutoff))
            count = session.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.client == client, LoginAttempt.attempted_at > cutoff)
            )
            if (count or 0) > self.attempts:
                session.delete(row)
                return False
            return True

    def succeeded(self, client: str) -> None:
        with session_scope(self.sessions) as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.client == client))
