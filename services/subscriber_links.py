"""Which subscriber a signed link names (store.tokens), and what is wrong when it names none.

The subscriber pages (confirm, preferences, unsubscribe) read their token here; the purpose in
the token keeps a confirm link from standing in for another. A confirmation link works once:
after the subscriber was confirmed (by it or any other) it says USED, and it says EXPIRED
once its lifetime since it was issued has passed; neither leads anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlalchemy.orm import Session

from store import vocab
from store.models import Subscriber
from store.tokens import BadToken, TokenData, read_token_data

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PURPOSES = ("confirm", "preferences", "unsubscribe", "feed")


class LinkProblem(Enum):
    INVALID = "invalid"  # forged, malformed, another purpose, or the subscriber is gone
    STALE = "stale"  # the token version was bumped: every older link stopped working
    EXPIRED = "expired"  # a confirmation link older than its lifetime
    USED = "used"  # a confirmation link after the subscriber was confirmed


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
        data = read_token_data(secret, token, purpose)
    except BadToken as exc:
        raise LinkError(LinkProblem.INVALID) from exc
    subscriber = session.get(Subscriber, data.subscriber_id)
    if subscriber is None:
        raise LinkError(LinkProblem.INVALID)
    if subscriber.token_version != data.version:
        raise LinkError(LinkProblem.STALE, subscriber.language)
    if purpose == "confirm":
        _check_confirm_link(subscriber, data, now, confirm_valid)
    return subscriber


def confirmed_mark(subscriber: Subscriber) -> int:
    """The subscriber's last confirmation as a number for confirmation links (microseconds
    since the epoch; 0: never confirmed): a link whose mark differs has been overtaken."""
    if subscriber.confirmed_at is None:
        return 0
    return (subscriber.confirmed_at - _EPOCH) // timedelta(microseconds=1)


def _check_confirm_link(
    subscriber: Subscriber, data: TokenData, now: datetime, valid: timedelta
) -> None:
    """USED or EXPIRED, or nothing. A link made before links carried their time and mark
    counts from the last confirmation mail."""
    if data.issued_at is not None:
        issued: datetime | None = datetime.fromtimestamp(data.issued_at, UTC)
        used = data.confirmed_mark != confirmed_mark(subscriber)
    else:
        issued = subscriber.confirm_sent_at
        used = subscriber.confirmed_at is not None and (
            issued is None or subscriber.confirmed_at >= issued
        )
    if used or subscriber.status == vocab.SUBSCRIBER_ACTIVE:
        raise LinkError(LinkProblem.USED, subscriber.language)
    if issued is not None and now - issued > valid:
        raise LinkError(LinkProblem.EXPIRED, subscriber.language)
