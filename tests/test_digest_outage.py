"""The database going away mid-send, for real (PostgreSQL: connections ended and logins refused;
SQLite: the write lock held elsewhere), with aiosmtpd on 127.0.0.1 receiving.

When the database returns, the sender records what the server accepted and hands back the rest
at once, instead of leaving it "sending" until the claim timeout; every subscriber gets one
digest, and a message is never sent twice (one in flight at the cut only with its Message-ID).
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from config import MailSettings
from digest.claim import claim_deliveries, make_worker_id
from digest.model import PENDING, SENDING, SENT
from digest.outcomes import Outcome
from digest.plan import every_subscriber, plan_deliveries
from digest.send import SendSummary, _hand_back, send_pending
from digest.smtp import SmtpSender
from digest.worker import run_worker
from store.clock import utcnow
from store.models import Delivery, Subscriber
from tests.conftest import Database
from tests.support.digest import config, seed
from tests.support.outage import OutageDatabase
from tests.support.smtp import SmtpServer

OUTAGE_SECONDS = 3.0
# Far longer than the test may take: the old code left the claims "sending" this long.
CLAIM_TIMEOUT = 600.0
# "At once": the hand-back follows the database's return within this many seconds.
HANDED_BACK_WITHIN = 4.0


def plan(database: OutageDatabase, now: datetime, subscribers: int) -> dict[str, str]:
    """`subscribers` planned digests: their Message-IDs by address."""
    seed(database.sessions, now, subscribers)
    with database.sessions.begin() as session:
        plan_deliveries(session, now, message_id_domain="vahti.example", due=every_subscriber)
    return planned_ids(database)


def planned_ids(database: OutageDatabase) -> dict[str, str]:
    with database.sessions() as session:
        rows = session.execute(select(Subscriber.email, Delivery.message_id).join(Subscriber))
        return {email: message_id for email, message_id in rows}


def statuses(database: OutageDatabase) -> dict[str, str]:
    with database.sessions() as session:
        rows = session.execute(select(Subscriber.email, Delivery.status).join(Subscriber))
        return {email: status for email, status in rows}


def assert_each_got_one(smtp_server: SmtpServer, planned: dict[str, str]) -> None:
    """Every subscriber got their digest, with its planned Message-ID, once."""
    received = smtp_server.by_recipient()
    assert sorted(received) == sorted(planned)
    twice = {email: len(got) for email, got in received.items() if len(got) > 1}
    assert not twice, f"sent twice: {twice}"
    for email, (message,) in received.items():
        assert message["Message-ID"] == planned[email]


def smtp(server: SmtpServer, **values: Any) -> SmtpSender:
    return SmtpSender(host=server.host, port=server.port, timeout=5, connections=2, **values)


async def test_the_sender_hands_back_its_claims_as_soon_as_the_database_returns(
    outage: OutageDatabase, smtp_server: SmtpServer, now: datetime
) -> None:
    planned = plan(outage, now, 30)
    cfg = config(batch_size=10, claim_timeout_seconds=CLAIM_TIMEOUT)

    def cut_after_five(_kind: str, _job: Any, summary: SendSummary) -> None:
        if summary.sent == 5 and outage.cut_at is None:
            outage.cut()  # the fifth was accepted; its outcome is not written yet
            outage.restore_after(OUTAGE_SECONDS)

    sender = smtp(smtp_server)
    try:
        summary = await send_pending(
            outage.sessions, sender, cfg, now, make_worker_id(), progress=cut_after_five
        )
    finally:
        await sender.close()
        outage.restore()
    ended = time.monotonic()
    assert outage.cut_at is not None and outage.restored_at is not None
    assert ended - outage.restored_at < HANDED_BACK_WITHIN, "not handed back at once"
    assert summary.stopped is not None and "the database was unavailable" in summary.stopped
    after = statuses(outage)
    assert SENDING not in after.values()
    # Every message the server accepted is recorded as sent, the fifth (accepted as the
    # database went) and any in flight then included; the rest wait, untried.
    accepted = set(smtp_server.by_recipient())
    assert {email for email, status in after.items() if status == SENT} == accepted
    assert summary.sent == len(accepted) >= 5
    assert {status for email, status in after.items() if email not in accepted} == {PENDING}
    sender = smtp(smtp_server)
    try:
        again = await send_pending(outage.sessions, sender, cfg, now, make_worker_id())
    finally:
        await sender.close()
    assert again.sent == 30 - len(accepted) and again.ok
    assert_each_got_one(smtp_server, planned)


async def test_a_worker_goes_on_sending_once_the_database_is_back(
    outage: OutageDatabase, smtp_server: SmtpServer
) -> None:
    """The issue's case: a live worker, the database gone for a while mid-send."""
    planned = plan(outage, utcnow(), 30)  # the worker picks events by the clock
    cfg = config(batch_size=10, claim_timeout_seconds=CLAIM_TIMEOUT)
    mail = MailSettings(
        backend="smtp",
        host=smtp_server.host,
        port=smtp_server.port,
        connections=2,
        rate_limit=40.0,  # 30 digests take most of a second: the cut comes mid-send
        timeout_seconds=5,
    )
    deadline = time.monotonic() + 30

    def cut_after_five() -> None:
        while len(smtp_server.messages) < 5 and time.monotonic() < deadline:
            time.sleep(0.001)
        outage.cut()
        outage.restore_after(OUTAGE_SECONDS)

    watcher = threading.Thread(target=cut_after_five, daemon=True)
    watcher.start()

    def all_delivered() -> bool:
        return len(smtp_server.by_recipient()) == len(planned) or time.monotonic() > deadline

    try:
        await run_worker(
            outage.sessions,
            mail,
            cfg,
            make_worker_id(),
            poll_seconds=0.3,
            finish=all_delivered,
            abort=lambda: False,
        )
    finally:
        watcher.join(5)
        outage.restore()
    finished = time.monotonic()
    assert outage.cut_at is not None and outage.restored_at is not None
    assert len(smtp_server.messages) < 30 or outage.cut_at < finished  # cut mid-send
    assert finished - outage.restored_at < 2 * HANDED_BACK_WITHIN, "waited for the claims"
    assert_each_got_one(smtp_server, planned)
    assert set(statuses(outage).values()) == {SENT}


async def test_a_shutdown_is_not_held_up_by_a_database_that_stays_away(
    outage: OutageDatabase, smtp_server: SmtpServer, now: datetime
) -> None:
    """The hand-back waits for the database, but an abort (a cancellation) ends the wait."""
    plan(outage, now, 20)
    cfg = config(batch_size=10, claim_timeout_seconds=CLAIM_TIMEOUT)

    def cut_after_three(_kind: str, _job: Any, summary: SendSummary) -> None:
        if summary.sent == 3 and outage.cut_at is None:
            outage.cut()  # and not given back

    sender = smtp(smtp_server)
    run = asyncio.create_task(
        send_pending(outage.sessions, sender, cfg, now, make_worker_id(), progress=cut_after_three)
    )
    try:
        deadline = time.monotonic() + 30
        while outage.cut_at is None or time.monotonic() < outage.cut_at + 1.5:
            assert time.monotonic() < deadline and not run.done()
            await asyncio.sleep(0.05)
        assert not run.done()  # still waiting to hand back
        run.cancel()
        cancelled_at = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await run
        assert time.monotonic() - cancelled_at < 2.0
    finally:
        outage.restore()
        await sender.close()


def test_the_hand_back_writes_only_what_this_worker_still_holds(
    db: Database, now: datetime
) -> None:
    """After the claim timeout another worker may hold a delivery: an accepted message is still
    recorded as sent, but no other outcome takes the delivery from it."""
    seed(db.sessions, now, 4)
    ours, theirs = make_worker_id(), make_worker_id()
    with db.sessions.begin() as session:
        plan_deliveries(session, now, message_id_domain="vahti.example", due=every_subscriber)
        ids = claim_deliveries(session, ours, now, limit=10, stale_before=now)
        rows = {d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(ids)))}
        first, second, third, fourth = sorted(ids)
        for taken in (second, fourth):  # taken over after the claim timeout
            rows[taken].claimed_by = theirs
    outcomes = [
        Outcome(SENT, first, rows[first].subscriber_id),
        Outcome("retry", second, rows[second].subscriber_id, error="451", retry_at=now),
        Outcome("released", third, rows[third].subscriber_id, tried=False),
        Outcome(SENT, fourth, rows[fourth].subscriber_id),
    ]
    with db.sessions.begin() as session:
        assert _hand_back(session, ours, outcomes, now) == 0  # none left after the outcomes
    with db.sessions() as session:
        after = {
            d.id: (d.status, d.claimed_by, d.attempts)
            for d in session.scalars(select(Delivery).where(Delivery.id.in_(ids)))
        }
    assert after == {
        first: (SENT, None, 1),
        second: (SENDING, theirs, 0),
        third: (PENDING, None, 0),
        fourth: (SENT, None, 1),
    }
