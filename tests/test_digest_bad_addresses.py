"""Digests to addresses stored before addresses were checked (inserted directly), on SQLite and
PostgreSQL, over one reused connection to aiosmtpd: the bad ones alone fail and, three weeks
in a row, are marked bounced; everyone after them gets their digest and is charged nothing."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from digest.claim import make_worker_id
from digest.model import FAILED
from digest.plan import every_subscriber
from digest.send import send_due
from digest.smtp import SmtpSender
from store import vocab
from store.models import Delivery, Subscriber
from tests.conftest import Database
from tests.support.digest import add_event, add_subscriber, config
from tests.support.smtp import SmtpServer

GOOD = ["anna@example.fi", "bertta@example.fi", "cecilia@example.fi", "doris@example.fi"]


def subscribers(db: Database, now: datetime, bad: list[str]) -> list[str]:
    """Good and bad subscribers in turn (so each bad one is followed by a good one)."""
    order = [GOOD[0]]
    for index, address in enumerate(bad):
        order += [address, GOOD[index + 1]]
    with db.sessions.begin() as session:
        for address in order:
            add_subscriber(session, address)
        add_event(session, now, title="Työnhakuklinikka")
    return order


async def weeks(db: Database, server: SmtpServer, now: datetime, count: int) -> None:
    for week in range(count):
        sender = SmtpSender(host=server.host, port=server.port, timeout=5, connections=1)
        try:
            await send_due(
                db.sessions,
                sender,
                config(connections=1, send_empty=True),
                now + timedelta(days=7 * week),
                make_worker_id(),
                due=every_subscriber,
            )
        finally:
            await sender.close()


def state(db: Database) -> dict[str, tuple[str, int]]:
    with db.sessions() as session:
        rows = session.execute(
            select(Subscriber.email, Subscriber.status, Subscriber.permanent_failures)
        )
        return {address: (status, failures) for address, status, failures in rows}


@pytest.mark.parametrize("smtputf8", [False, True], ids=["no SMTPUTF8", "SMTPUTF8"])
async def test_bad_stored_addresses_bounce_alone(
    db: Database, now: datetime, smtputf8: bool
) -> None:
    bad = ["dora\x01@example.fi", "eeva\u202e@example.fi", "åsa@exempel.se"]
    subscribers(db, now, bad)
    server = SmtpServer(smtputf8=smtputf8)
    server.refuse(GOOD[3], "550 5.1.1 No such user")  # a refusal the server makes
    server.start()
    try:
        await weeks(db, server, now, 3)
    finally:
        server.stop()
    got = {address: len(mails) for address, mails in server.by_recipient().items()}
    innocent = GOOD[:3]
    assert got == dict.fromkeys(innocent, 3) | ({"åsa@exempel.se": 3} if smtputf8 else {})
    found = state(db)
    for address in innocent:
        assert found[address] == (vocab.SUBSCRIBER_ACTIVE, 0), address
    bounced = ["dora\x01@example.fi", "eeva\u202e@example.fi", GOOD[3]]
    if not smtputf8:
        bounced.append("åsa@exempel.se")
    else:
        assert found["åsa@exempel.se"] == (vocab.SUBSCRIBER_ACTIVE, 0)
    for address in bounced:
        assert found[address] == (vocab.SUBSCRIBER_BOUNCED, 3), address
    with db.sessions() as session:
        errors = dict(
            session.execute(
                select(Subscriber.email, Delivery.last_error)
                .join(Delivery.subscriber)
                .where(Delivery.status == FAILED)
            ).all()
        )
    assert "control or invisible character (U+0001)" in errors["dora\x01@example.fi"]
    if not smtputf8:
        assert "does not offer SMTPUTF8" in errors["åsa@exempel.se"]


async def test_an_internationalised_address_gets_a_correct_digest(
    db: Database, now: datetime
) -> None:
    subscribers(db, now, ["åsa@exempel.se"])
    server = SmtpServer(smtputf8=True)
    server.start()
    try:
        await weeks(db, server, now, 1)
    finally:
        server.stop()
    (received,) = [m for m in server.messages if m.rcpt_tos == ["åsa@exempel.se"]]
    head = received.data.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
    assert b"\nTo: \xc3\xa5sa@exempel.se\n" in head  # raw UTF-8, never =?utf-8?...?=
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert isinstance(message, EmailMessage) and not message.defects
    assert str(message["To"]) == "åsa@exempel.se"
    assert "Työnhakuklinikka" in next(message.iter_parts()).get_content()
