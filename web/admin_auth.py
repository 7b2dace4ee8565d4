"""Admin login and CSRF tokens (the session lives in a signed, HttpOnly, SameSite=Lax cookie)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request

CSRF_FIELD = "csrf"


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


def logged_in(request: Request) -> bool:
    return request.session.get("admin") is True


def log_in(request: Request) -> None:
    request.session.clear()
    request.session["admin"] = True
    csrf_token(request)


def log_out(request: Request) -> None:
    request.session.clear()
