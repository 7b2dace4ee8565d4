"""How many mails the public sign-up form may send: per address, per client, in all.

Each mail the form sends is a row (store.models.SentSignupMail) in the database every web
process shares. Before a mail goes out, `reserve` counts, under one lock, the mails in the
last interval to the same address compared without regard to case (Maija@x.fi and
MAIJA@x.fi reach one mailbox on practically every server), the mails one client caused in the
last hour, and all sign-up mails in the last hour, and records the new one when all three
allow it. `release` forgets a reservation whose mail could not be sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from store.locks import serialise
from store.models import SentSignupMail

LOCK = "vahti sign-up mails"
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class SignupLimits:
    """One mail per address per `resend_after`; `per_client` and `per_hour` mails an hour."""

    resend_after: timedelta = timedelta(minutes=60)
    per_client: int = 10
    per_hour: int = 300


class Refusal(Enum):
    ADDRESS = "address"  # this address got a mail less than resend_after ago
    CLIENT = "client"  # this client caused per_client mails in the last hour
    CAP = "cap"  # per_hour mails went out in the last hour


def address_key(address: str) -> str:
    """The address as the limit counts it (lower case, local part included)."""
    return address.lower()


def reserve(
    session: Session, address: str, client: str, now: datetime, limits: SignupLimits
) -> tuple[SentSignupMail | None, Refusal | None]:
    """Record a mail about to go to `address` for `client`: (the record, None), or (None, why
    not). Call it before anything else in the transaction; the caller commits."""
    serialise(session, LOCK)
    record = SentSignupMail(address_key=address_key(address), client=client, sent_at=now)
    session.add(record)
    session.flush()  # SQLite: the first write takes the write lock before we count
    session.execute(
        delete(SentSignupMail).where(SentSignupMail.sent_at <= now - max(limits.resend_after, HOUR))
    )
    others = SentSignupMail.id != record.id
    refusal: Refusal | None = None
    if _count(
        session,
        others,
        SentSignupMail.address_key == record.address_key,
        SentSignupMail.sent_at > now - limits.resend_after,
    ):
        refusal = Refusal.ADDRESS
    elif (
        _count(
            session, others, SentSignupMail.client == client, SentSignupMail.sent_at > now - HOUR
        )
        >= limits.per_client
    ):
        refusal = Refusal.CLIENT
    elif _count(session, others, SentSignupMail.sent_at > now - HOUR) >= limits.per_hour:
        refusal = Refusal.CAP
    if refusal is not None:
        session.delete(record)
        session.flush()
        return None, refusal
    return record, None


def release(session: Session, record_id: int) -> None:
    """Forget a reserved mail that could not be sent (the person may try again at once)."""
    session.execute(delete(SentSignupMail).where(SentSignupMail.id == record_id))


def _count(session: Session, *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(SentSignupMail).where(*conditions)) or 0
