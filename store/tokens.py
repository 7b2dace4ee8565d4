"""Signed subscriber tokens for links in e-mails (no passwords, no cookies needed).

A token names the subscriber, a purpose and the subscriber's token version; bumping the
version invalidates every link sent before. A confirmation token also carries the time it
was issued and a mark of the subscriber's last confirmation then (services.subscriber_links:
it works for a set time, and only until the subscriber is confirmed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


class BadToken(Exception):
    """The token is malformed, forged, or for another purpose."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenData:
    subscriber_id: int
    version: int
    # Seconds since the epoch when the link was made, and the confirmation mark (see
    # make_token); None for links that carry neither.
    issued_at: int | None = None
    confirmed_mark: int | None = None


def make_token(
    secret: bytes,
    subscriber_id: int,
    purpose: str,
    version: int = 1,
    *,
    issued_at: int | None = None,
    confirmed_mark: int = 0,
) -> str:
    """A signed token; with `issued_at` it also carries `confirmed_mark` (the subscriber's
    last confirmation when the link was made, as a number; 0: never)."""
    fields = [str(subscriber_id), str(version), purpose]
    if issued_at is not None:
        fields += [str(issued_at), str(confirmed_mark)]
    payload = ".".join(fields).encode()
    signature = hmac.new(secret, payload, hashlib.sha256).digest()[:18]
    return f"{_b64(payload)}.{_b64(signature)}"


def read_token_data(secret: bytes, token: str, purpose: str) -> TokenData:
    """What a valid token for `purpose` says, else BadToken."""
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
        fields = payload.decode().split(".")
        if len(fields) not in (3, 5):
            raise BadToken("malformed token")
        token_purpose = fields[2]
        if token_purpose != purpose:
            raise BadToken(f"token is for {token_purpose!r}, not {purpose!r}")
        data = TokenData(int(fields[0]), int(fields[1]))
        if len(fields) == 5:
            data = TokenData(data.subscriber_id, data.version, int(fields[3]), int(fields[4]))
        return data
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadToken("malformed token") from exc


def read_token(secret: bytes, token: str, purpose: str) -> tuple[int, int]:
    """Return (subscriber id, token version) of a valid token, else raise BadToken."""
    data = read_token_data(secret, token, purpose)
    return data.subscriber_id, data.version
