"""Admin login, sessions and CSRF tokens.

The browser holds a signed, HttpOnly, SameSite=Lax cookie with a random session id and the
CSRF token; the server holds the session (store.models.AdminSessionRecord, shared by every web
process): logout deletes it, and it ends when it has been idle for web.admin_session_hours or
when the configured admin password is no longer the one it was opened with. A copy of the
cookie is worth nothing once the session has ended.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.requests import Request

from store.db import session_scope
from store.models import AdminSessionRecord
from web.resources import resources

CSRF_FIELD = "csrf"
SESSION_FIELD = "sid"
# last_seen_at is written at most this often (not on every page).
TOUCH_EVERY = timedelta(minutes=1)


def password_matches(configured: str, given: str) -> bool:
    """`configured` is the password itself or its argon2 hash ("$argon2id$...")."""
    if not configured or not given:
        return False
    if configured.startswith("$argon2"):
        try:
            return PasswordHasher().verify(configured, given)
        except (VerificationError, InvalidHashError):
            return False
    # Compare digests so the time taken says nothing about the length either.
    return hmac.compare_digest(
        hashlib.sha256(configured.encode()).digest(), hashlib.sha256(given.encode()).digest()
    )


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); also handed to the templates."""
    session: dict[str, Any] = request.session
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    request.scope["vahti.csrf"] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    expected = request.session.get(CSRF_FIELD)
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and bool(expected)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


def password_fingerprint(secret_key: bytes, configured: str) -> str:
    """A keyed hash of the configured password (or of its argon2 hash): it changes when the
    password does, and says nothing about the password without the secret key."""
    return hmac.new(
        secret_key, b"admin password\0" + configured.encode(), hashlib.sha256
    ).hexdigest()


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(db: Session, now: datetime, fingerprint: str, idle: timedelta) -> str:
    """A new session (its id, for the cookie); sessions idle too long are deleted."""
    db.execute(delete(AdminSessionRecord).where(AdminSessionRecord.last_seen_at < now - idle))
    session_id = secrets.token_urlsafe(32)
    db.add(
        AdminSessionRecord(
            id_hash=_id_hash(session_id),
            created_at=now,
            last_seen_at=now,
            password_fingerprint=fingerprint,
        )
    )
    db.flush()
    return session_id


def session_alive(
    db: Session, session_id: str, now: datetime, fingerprint: str, idle: timedelta
) -> bool:
    """Whether the session is open, made with the current password, and not idle too long
    (an ended one is deleted); its last-seen time moves on."""
    record = db.get(AdminSessionRecord, _id_hash(session_id))
    if record is None:
        return False
    if not hmac.compare_digest(record.password_fingerprint, fingerprint) or (
        now - record.last_seen_at >= idle
    ):
        db.delete(record)
        db.flush()
        return False
    if now - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = now
        db.flush()
    return True


def close_session(db: Session, session_id: str) -> None:
    db.execute(delete(AdminSessionRecord).where(AdminSessionRecord.id_hash == _id_hash(session_id)))


def _session_id(request: Request) -> str | None:
    value = request.session.get(SESSION_FIELD)
    return value if isinstance(value, str) and value else None


def _settings(request: Request) -> tuple[str, timedelta]:
    config = resources(request).config
    return (
        password_fingerprint(config.secret_key, config.admin_password),
        timedelta(hours=config.admin_session_hours),
    )


def logged_in(request: Request) -> bool:
    """Whether the request's cookie names a live session (blocking: run it in a thread)."""
    session_id = _session_id(request)
    if session_id is None:
        return False
    found = resources(request)
    fingerprint, idle = _settings(request)
    with session_scope(found.sessions) as db:
        alive = session_alive(db, session_id, found.clock(), fingerprint, idle)
    if not alive:
        request.session.clear()
    return alive


def log_in(request: Request) -> None:
    """A new session for the request's browser (blocking: run it in a thread)."""
    found = resources(request)
    fingerprint, idle = _settings(request)
    old = _session_id(request)
    with session_scope(found.sessions) as db:
        if old is not None:
            close_session(db, old)
        session_id = open_session(db, found.clock(), fingerprint, idle)
    request.session.clear()
    request.session[SESSION_FIELD] = session_id
    csrf_token(request)


def log_out(request: Request) -> None:
    """End the session on the server, not only in this browser (blocking: run it in a thread)."""
    session_id = _session_id(request)
    if session_id is not None:
        with session_scope(resources(request).sessions) as db:
            close_session(db, session_id)
    request.session.clear()
