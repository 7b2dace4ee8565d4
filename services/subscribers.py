"""Subscribers: the one e-mail address check, and every way a subscriber is added or changed.

`check_address` is the only address check: the sign-up form, the CSV import
(services.subscriber_import), `vahti subscribers add/remove`, `vahti digest preview` and the
demo all go through it. `save_subscriber` adds or updates one subscriber as an operator says
(CLI, demo); `sign_up`, `confirm`, `apply_preferences` and `unsubscribe` are the life cycle
behind the public pages. Each function takes the caller's session (and `now`); the caller
commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.signup_limits import Refusal, SignupLimits, reserve
from store import vocab
from store.models import Subscriber

MAX_ADDRESS = 254  # RFC 5321's limit on a path, less its angle brackets
MAX_LOCAL_PART = 64  # octets before the @ (RFC 5321 4.5.3.1.1)
_BLANKS = " \t"  # around an address pasted from a spreadsheet or a mail; nothing else is cut


class BadAddress(ValueError):
    """Not an address we can send digests to; the message names the value and the reason."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{value!r} is not an e-mail address: {reason}")
        self.value = value
        self.reason = reason


def check_address(raw: str) -> str:
    """The address as stored, or BadAddress.

    The syntax check is email-validator's (never a DNS look-up: check_deliverability=False):
    internationalised local parts and domains are allowed; control characters (NUL, CR, LF,
    DEL, C1), spaces inside, bidirectional controls, quoted local parts, IP-address domains,
    display names and special-use domains (localhost, .local, .test, .invalid ...) are not.
    Blanks and tabs around the address are cut. The stored form keeps the local part as given
    (its case too; Unicode in NFC) and writes the domain in lower case in its ASCII (IDNA)
    form, so Pekka@Esimerkki.FI is stored as Pekka@esimerkki.fi and user@Bücher.de as
    user@xn--bcher-kva.de: one subscriber however the domain was typed, and a domain the
    mail code can put into a header. Checking a stored address again gives it back unchanged.
    """
    text = raw.strip(_BLANKS)
    if not text:
        raise BadAddress(raw, "it is empty")
    if len(text) > MAX_ADDRESS:
        raise BadAddress(text, f"it is longer than {MAX_ADDRESS} characters")
    try:
        found = validate_email(
            text,
            check_deliverability=False,  # no network: never resolve the domain
            allow_smtputf8=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            allow_empty_local=False,
        )
    except EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        raise BadAddress(text, reason[:1].lower() + reason[1:]) from None
    if len(found.local_part.encode()) > MAX_LOCAL_PART:
        raise BadAddress(text, f"the part before the @-sign is longer than {MAX_LOCAL_PART} bytes")
    address = f"{found.local_part}@{found.ascii_domain}"
    if len(address.encode()) > MAX_ADDRESS:
        raise BadAddress(text, f"it is longer than {MAX_ADDRESS} bytes")
    return address


def lookup_form(raw: str) -> str:
    """The form to look an address up by: check_address's answer, or the text as given
    (blanks cut) when the check refuses it, so that an address stored before the check was
    this strict can still be found, previewed and removed."""
    try:
        return check_address(raw)
    except BadAddress:
        return raw.strip(_BLANKS)


def find_subscriber(session: Session, raw: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.email == lookup_form(raw)))


@dataclass(frozen=True)
class Defaults:
    """What a new subscriber gets for what nobody said (from the digest settings)."""

    language: str = "fi"
    day: str = "mon"
    hour: int = 8
    timezone: str = "Europe/Helsinki"
    max_items: int = 15


@dataclass
class PreferenceValues:
    """What a subscriber chooses on the form (and the operator on the command line)."""

    language: str
    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    include_online: bool = True
    event_languages: list[str] = field(default_factory=list)
    send_day: str = "mon"
    send_hour: int = 8


def apply_preferences(subscriber: Subscriber, values: PreferenceValues) -> None:
    subscriber.language = values.language
    subscriber.categories = list(values.categories)
    subscriber.keywords = list(values.keywords)
    subscriber.cities = list(values.cities)
    subscriber.include_online = values.include_online
    subscriber.event_languages = list(values.event_languages)
    subscriber.send_day = values.send_day
    subscriber.send_hour = values.send_hour


@dataclass
class Saved:
    subscriber: Subscriber
    created: bool


def save_subscriber(
    session: Session,
    email: str,
    values: PreferenceValues,
    *,
    now: datetime,
    defaults: Defaults,
    timezone: str,
    audiences: Sequence[str] = (),
    max_items: int | None = None,
    confirmed: bool = False,
) -> Saved:
    """Add a subscriber or replace the preferences of the one already there (an operator's
    word: no confirmation mail). `confirmed` makes them active at once; `max_items` None keeps
    the subscriber's own limit (a new one gets the default). BadAddress for a bad address."""
    email = check_address(email)
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email == email))
    created = subscriber is None
    if subscriber is None:
        subscriber = Subscriber(email=email, created_at=now)
        session.add(subscriber)
    apply_preferences(subscriber, values)
    subscriber.timezone = timezone
    subscriber.audiences = list(audiences)
    subscriber.max_items = max_items or subscriber.max_items or defaults.max_items
    if confirmed and subscriber.status != vocab.SUBSCRIBER_ACTIVE:
        subscriber.status = vocab.SUBSCRIBER_ACTIVE
        subscriber.confirmed_at = now
    session.flush()
    return Saved(subscriber, created)


def remove_subscriber(session: Session, email: str) -> str | None:
    """Delete a subscriber and their delivery history; the address removed, or None when
    there was no such subscriber."""
    subscriber = find_subscriber(session, email)
    if subscriber is None:
        return None
    session.delete(subscriber)
    session.flush()
    return subscriber.email


class SignupMail(Enum):
    CONFIRM = "confirm"  # a new or not yet active address: please confirm
    ALREADY = "already"  # an active address: here is your preferences link


@dataclass
class Signup:
    # None: nothing was mailed, so nothing was recorded either (see `refused`).
    subscriber: Subscriber | None
    mail: SignupMail | None
    refused: Refusal | None = None
    # The sign-up limits' record of the mail: released when the mail cannot be sent.
    mail_record: int | None = None


def sign_up(
    session: Session,
    email: str,
    values: PreferenceValues,
    *,
    now: datetime,
    timezone: str,
    max_items: int,
    client: str,
    limits: SignupLimits,
) -> Signup:
    """Record a sign-up and say which mail to send; the page says the same whatever the
    address's state was, and whether or not the sign-up limits (services.signup_limits:
    per address case-insensitively, per client, in all) let a mail go. A refused sign-up
    changes nothing.

    An active subscriber's preferences are never changed from the public form (anyone can
    type anyone's address): they get a mail with their own preferences link instead.
    BadAddress for a bad address (the form has already said so next to its field).
    """
    email = check_address(email)
    record, refused = reserve(session, email, client, now, limits)
    if record is None:
        return Signup(None, None, refused)
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
    subscriber.confirm_sent_at = now
    session.flush()
    return Signup(
        subscriber, SignupMail.ALREADY if active else SignupMail.CONFIRM, mail_record=record.id
    )


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
