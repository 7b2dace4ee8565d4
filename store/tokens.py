"""Signed subscriber tokens for links in e-mails (no passwords, no cookies needed).

A token names the subscriber, a purpose and the subscriber's token version; bumping the
version invalidates every link sent before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


class BadToken(Exception):
    """The token is malformed, forged, or for another purpose."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(secret: bytes, subscriber_id: int, purpose: str, version: int = 1) -> str:
    payload = f"{subscriber_id}.{version}.{purpose}".encode()
    signature = hmac.new(secret, payload, hashlib.sha256).digest()[:18]
    return f"{_b64(payload)}.{_b64(signature)}"


def read_token(secret: bytes, token: str, purpose: str) -> tuple[int, int]:
    """Return (subscriber id, token version) of a valid token, else raise BadToken."""
    try:
        payload_part, signature_part = token.split(".", 1)
        payload = _unb64(payload_part)
        signature = _unb64(signature_part)
    except (ValueError, TypeError) as exc:
        raise BadToken("malformed token") from exc
    expected = hmac.new(secret, payload, hashlib.sha256).digest()[:18]
    if not hmac.compare_digest(signature, expected):
        raise BadToken("bad signature")
    try:
        subscriber, version, token_purpose = payload.decode().split(".", 2)
        if token_purpose != purpose:
            raise BadToken(f"token is for {token_purpose!r}, not {purpose!r}")
        return int(subscriber), int(version)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadToken("malformed token") from exc
