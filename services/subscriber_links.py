"""Which subscriber a signed link names (store.tokens), and what is wrong when it names none.

The subscriber pages (confirm, preferences, unsubscribe) read their token here; the purpose in
the token keeps a confirm link from standing in for another.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.orm import Session

from store import vocab
from store.models import Subscriber
from store.tokens import BadToken, read_token

PURPOSES = ("confirm", "preferences", "unsubscribe", "feed")


class LinkProblem(Enum):
    INVALID = "invalid"  # forged, malformed, another purpose, or the subscriber is gone
    STALE = "stale"  # the token version was bumped: every older link stopped working
    EXPIRED = "expired"  # a confirmation link older than its lifetime


class LinkError(Exception):
    def __init__(self, problem: LinkProblem, language: str | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        # The subscriber's language when the token named a real subscriber (for the page).
        self.language = language


def subscriber_for_token(
    session: Session,
    secret: bytes,
    token: str,
    purpose: str,
    *,
    now: datetime,
    confirm_valid: timedelta,
) -> Subscriber:
    """The subscriber a token names for `purpose`, or LinkError saying what is wrong."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    try:
        subscriber_id, version = read_token(secret, token, purpose)
    except BadToken as exc:
        raise LinkError(LinkProblem.INVALID) from exc
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise LinkError(LinkProblem.INVALID)
    if subscriber.token_version != version:
        raise LinkError(LinkProblem.STALE, subscriber.language)
    if (
        purpose == "confirm"
        and subscriber.status != vocab.SUBSCRIBER_ACTIVE
        and subscriber.confirm_sent_at is not None
        and now - subscriber.confirm_sent_at > confirm_valid
    ):
        raise LinkError(LinkProblem.EXPIRED, subscriber.language)
    return subscriber
