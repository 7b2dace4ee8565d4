"""The subscriber's life cycle behind the pages: sign up, confirm, change, unsubscribe.

Each function takes the caller's session and `now`; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import vocab
from store.models import Subscriber
from store.tokens import BadToken, read_token
from web.forms import PreferenceValues

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


class SignupMail(Enum):
    CONFIRM = "confirm"  # a new or not yet active address: please confirm
    ALREADY = "already"  # an active address: here is your preferences link


@dataclass
class Signup:
    subscriber: Subscriber
    mail: SignupMail | None  # None: a mail went out less than the resend interval ago


def apply_preferences(subscriber: Subscriber, values: PreferenceValues) -> None:
    subscriber.language = values.language
    subscriber.categories = list(values.categories)
    subscriber.keywords = list(values.keywords)
    subscriber.cities = list(values.cities)
    subscriber.include_online = values.include_online
    subscriber.event_languages = list(values.event_languages)
    subscriber.send_day = values.send_day
    subscriber.send_hour = values.send_hour


def sign_up(
    session: Session,
    email: str,
    values: PreferenceValues,
    *,
    now: datetime,
    timezone: str,
    max_items: int,
    resend_after: timedelta,
) -> Signup:
    """Record a sign-up; the page says the same whatever the address's state was.

    An active subscriber's preferences are never changed from the public form (anyone can
    type anyone's address): they get a mail with their own preferences link instead.
    """
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email == email))
    if subscriber is None:
        subscriber = Subscriber(
            email=email,
            status=vocab.SUBSCRIBER_PENDING,
            timezone=timezone,
            max_items=max_items,
            created_at=now,
        )
        session.add(subscriber)
    active = subscriber.status == vocab.SUBSCRIBER_ACTIVE
    if not active:
        apply_preferences(subscriber, values)
        subscriber.status = vocab.SUBSCRIBER_PENDING
    recent = subscriber.confirm_sent_at is not None and now - subscriber.confirm_sent_at < (
        resend_after
    )
    if recent:
        session.flush()
        return Signup(subscriber, None)
    subscriber.confirm_sent_at = now
    session.flush()
    return Signup(subscriber, SignupMail.ALREADY if active else SignupMail.CONFIRM)


def confirm(subscriber: Subscriber, now: datetime) -> bool:
    """Make the subscriber active; False when they already were."""
    if subscriber.status == vocab.SUBSCRIBER_ACTIVE:
        return False
    subscriber.status = vocab.SUBSCRIBER_ACTIVE
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    subscriber.bounced_at = None
    subscriber.permanent_failures = 0
    return True


def unsubscribe(subscriber: Subscriber, now: datetime) -> bool:
    """Stop the digests at once; False when the subscriber was already unsubscribed."""
    if subscriber.status == vocab.SUBSCRIBER_UNSUBSCRIBED:
        return False
    subscriber.status = vocab.SUBSCRIBER_UNSUBSCRIBED
    subscriber.unsubscribed_at = now
    return True
