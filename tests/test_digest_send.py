"""Sending digests for real: aiosmtpd on 127.0.0.1, SQLite and PostgreSQL, exactly once."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from digest.claim import make_worker_id
from digest.model import EMPTY, FAILED, PENDING, SENDING, SENT, SKIPPED
from digest.plan import every_subscriber, plan_deliveries
from digest.send import SendSummary, send_due, send_pending
from digest.smtp import SmtpSender
from store import vocab
from store.models import Delivery, DeliveryItem, Event, Subscriber
from tests.conftest import Database
from tests.support.digest import add_event, add_subscriber, config, seed
from tests.support.smtp import SmtpServer


def smtp(server: SmtpServer, **values: Any) -> SmtpSender:
    values.setdefault("connections", 2)
    return SmtpSender(host=server.host, port=server.port, timeout=5, **values)


async def send(
    db: Database, server: SmtpServer, now: datetime, sender: SmtpSender | None = None, **cfg: Any
) -> SendSummary:
    sender = sender or smtp(server)
    try:
        return await send_due(
            db.sessions, sender, config(**cfg), now, make_worker_id(), due=every_subscriber
        )
    finally:
        await sender.close()


def deliveries(db: Database) -> dict[str, Delivery]:
    with db.sessions() as session:
        rows = session.execute(select(Subscriber.email, Delivery).join(Delivery.subscriber))
        return {email: delivery for email, delivery in rows}


async def test_each_subscriber_gets_one_well_formed_digest(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 6)
    summary = await send(db, smtp_server, now)
    assert summary.sent == 6 and summary.ok
    received = smtp_server.by_recipient()
    assert sorted(received) == sorted(emails)
    recorded = deliveries(db)
    for email, (message,) in received.items():
        assert message["Message-ID"] == recorded[email].message_id
        assert message["List-Unsubscribe"].startswith("<https://vahti.example/u/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert recorded[email].status == SENT and recorded[email].item_count == 3
    languages = Counter(str(m["Content-Language"]) for (m,) in received.values())
    assert languages == {"fi": 2, "sv": 2, "en": 2}
    with db.sessions() as session:
        assert session.query(DeliveryItem).count() == 18


async def test_the_right_events_for_each_subscribers_choices_and_language(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    with db.sessions.begin() as session:
        add_subscriber(session, "helsinki@example.fi", language="sv", cities=["Helsinki"])
        add_subscriber(
            session, "python@example.fi", language="en", keywords=["python"], include_online=False
        )
        add_event(session, now, title="Jobbmässa", titles={"sv": "Jobbmässa i Helsingfors"})
        add_event(session, now, title="Python-työpaja", city="Tampere", categories=["workshop"])
        add_event(session, now, title="Python webinar", city=None, attendance=vocab.ONLINE)
    await send(db, smtp_server, now)
    text = {
        email: next(m.iter_parts()).get_content()
        for email, (m,) in smtp_server.by_recipient().items()
    }
    assert "Jobbmässa i Helsingfors" in text["helsinki@example.fi"]
    assert "Python webinar" in text["helsinki@example.fi"]
    assert "Python-työpaja" not in text["helsinki@example.fi"]
    assert "Evenemang för dig de närmaste 14 dagarna" in text["helsinki@example.fi"]
    assert "Python-työpaja" in text["python@example.fi"]
    assert "Python webinar" not in text["python@example.fi"]
    assert "Jobbmässa" not in text["python@example.fi"]


async def test_a_second_send_in_the_same_period_sends_nothing(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    seed(db.sessions, now, 4)
    await send(db, smtp_server, now)
    again = await send(db, smtp_server, now + timedelta(hours=5))
    assert again.sent == 0 and len(smtp_server.messages) == 4
    # Next week: a new period, but nothing new to tell (the same events): no mail.
    next_week = await send(db, smtp_server, now + timedelta(days=7))
    assert next_week.sent == 0 and next_week.empty == 4 and len(smtp_server.messages) == 4


async def test_451_on_some_recipients_delivers_everyone_once(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 6)
    for email in emails[:2]:
        smtp_server.refuse(email, "451 4.3.0 Try again later", times=2)
    summary = await send(db, smtp_server, now)
    assert summary.sent == 6 and summary.retried == 4 and summary.failed == 0
    assert Counter(smtp_server.message_ids()).most_common(1)[0][1] == 1
    assert sorted(smtp_server.by_recipient()) == sorted(emails)
    assert deliveries(db)[emails[0]].attempts == 3


async def test_transient_failures_give_up_after_max_attempts(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 2)
    smtp_server.refuse(emails[0], "452 4.2.2 Over quota for now")
    summary = await send(db, smtp_server, now, max_attempts=3)
    assert summary.failed == 1 and summary.sent == 1
    assert smtp_server.rcpt_counts[emails[0]] == 3
    failed = deliveries(db)[emails[0]]
    assert failed.status == FAILED and "452" in (failed.last_error or "")
    with db.sessions() as session:
        subscriber = session.scalars(select(Subscriber).where(Subscriber.email == emails[0])).one()
        assert subscriber.permanent_failures == 0  # not a bounce


async def test_550_fails_at_once_and_three_in_a_row_mark_a_bounce(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 3)
    smtp_server.refuse(emails[1], "550 5.1.1 No such user")
    for week in range(3):
        summary = await send(db, smtp_server, now + timedelta(days=7 * week), send_empty=True)
        assert summary.failed == (1 if week < 3 else 0) and summary.retried == 0
    assert smtp_server.rcpt_counts[emails[1]] == 3  # once a week, never retried
    with db.sessions() as session:
        bounced = session.scalars(select(Subscriber).where(Subscriber.email == emails[1])).one()
        assert bounced.status == vocab.SUBSCRIBER_BOUNCED and bounced.bounced_at is not None
    fourth = await send(db, smtp_server, now + timedelta(days=21), send_empty=True)
    assert fourth.failed == 0 and fourth.sent == 2
    assert smtp_server.rcpt_counts[emails[1]] == 3


async def test_a_552_mailbox_full_is_transient(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 1)
    smtp_server.refuse(emails[0], "552 5.2.2 Mailbox full", times=1)
    summary = await send(db, smtp_server, now)
    assert summary.sent == 1 and summary.retried == 1


async def test_a_dropped_connection_mid_batch_loses_and_doubles_nothing(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 12)
    smtp_server.drop_after(4)
    summary = await send(db, smtp_server, now)
    assert smtp_server.dropped == 1
    assert summary.sent == 12 and summary.ok
    ids = smtp_server.message_ids()
    assert len(ids) == 12 and len(set(ids)) == 12
    assert sorted(smtp_server.by_recipient()) == sorted(emails)


async def test_one_digest_that_cannot_be_rendered_does_not_stop_the_others(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 5)
    with db.sessions.begin() as session:
        session.execute(
            update(Subscriber).where(Subscriber.email == emails[2]).values(language="de")
        )
    summary = await send(db, smtp_server, now)
    assert summary.sent == 4 and summary.failed == 1
    assert emails[2] not in smtp_server.by_recipient()
    broken = deliveries(db)[emails[2]]
    assert broken.status == FAILED and "cannot compose" in (broken.last_error or "")


async def test_an_empty_digest_is_not_sent_unless_asked(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    with db.sessions.begin() as session:
        add_subscriber(session, "quiet@example.fi", cities=["Inari"], include_online=False)
        add_subscriber(session, "loud@example.fi", cities=["Inari"], include_online=False)
        add_event(session, now, city="Helsinki")
    summary = await send(db, smtp_server, now)
    assert summary.empty == 2 and summary.sent == 0 and not smtp_server.messages
    assert {d.status for d in deliveries(db).values()} == {EMPTY}
    with db.sessions.begin() as session:
        session.execute(update(Delivery).values(status=PENDING))
    summary = await send(db, smtp_server, now, send_empty=True)
    assert summary.sent == 2


async def test_someone_who_unsubscribed_after_planning_gets_nothing(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 2)
    cfg = config()
    with db.sessions.begin() as session:
        plan_deliveries(session, now, message_id_domain=cfg.message_id_domain, due=every_subscriber)
        session.execute(
            update(Subscriber)
            .where(Subscriber.email == emails[0])
            .values(status=vocab.SUBSCRIBER_UNSUBSCRIBED)
        )
    sender = smtp(smtp_server)
    summary = await send_pending(db.sessions, sender, cfg, now, make_worker_id())
    await sender.close()
    assert summary.skipped == 1 and summary.sent == 1
    assert deliveries(db)[emails[0]].status == SKIPPED


async def test_an_unreachable_server_stops_the_run_and_loses_nothing(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 5)
    closed = SmtpSender(host="127.0.0.1", port=1, timeout=2, connections=2)
    summary = await send(db, smtp_server, now, sender=closed)
    assert summary.stopped and "cannot use the SMTP server" in summary.stopped
    assert {(d.status, d.attempts) for d in deliveries(db).values()} == {(PENDING, 0)}
    again = await send(db, smtp_server, now)
    assert again.sent == 5 and sorted(smtp_server.by_recipient()) == sorted(emails)


async def test_a_dead_workers_digests_are_resent_with_their_message_ids(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    seed(db.sessions, now, 4)
    cfg = config()
    host = make_worker_id().split("/")[0]
    with db.sessions.begin() as session:
        plan_deliveries(session, now, message_id_domain=cfg.message_id_domain, due=every_subscriber)
        # A crashed process on this host had claimed two (pid 2**22+1 exists on no Linux).
        first_two = list(session.scalars(select(Delivery.id).order_by(Delivery.id).limit(2)))
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(first_two))
            .values(status=SENDING, claimed_by=f"{host}/{2**22 + 1}/dead", claimed_at=now)
        )
        planned = dict(session.execute(select(Delivery.id, Delivery.message_id)).all())
    sender = smtp(smtp_server)
    summary = await send_pending(db.sessions, sender, cfg, now, make_worker_id())
    await sender.close()
    assert summary.reclaimed == 2 and summary.sent == 4
    assert sorted(smtp_server.message_ids()) == sorted(planned.values())


async def test_a_claim_older_than_the_timeout_is_taken_over(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    seed(db.sessions, now, 3)
    cfg = config(claim_timeout_seconds=60)
    with db.sessions.begin() as session:
        plan_deliveries(session, now, message_id_domain=cfg.message_id_domain, due=every_subscriber)
        session.execute(
            update(Delivery).values(
                status=SENDING,
                claimed_by="other-host/123/x",
                claimed_at=datetime.now(now.tzinfo) - timedelta(seconds=61),
            )
        )
        session.execute(
            update(Delivery)
            .where(Delivery.id == select(Delivery.id).limit(1).scalar_subquery())
            .values(claimed_at=datetime.now(now.tzinfo))
        )
    sender = smtp(smtp_server)
    summary = await send_pending(db.sessions, sender, cfg, now, make_worker_id())
    await sender.close()
    assert summary.sent == 2  # the fresh claim belongs to a live worker elsewhere
    assert Counter(d.status for d in deliveries(db).values()) == {SENT: 2, SENDING: 1}


def test_two_workers_never_send_the_same_digest(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 40)
    cfg = config(batch_size=3)
    with db.sessions.begin() as session:
        plan_deliveries(session, now, message_id_domain=cfg.message_id_domain, due=every_subscriber)
    summaries: list[SendSummary] = []

    def worker() -> None:
        async def go() -> SendSummary:
            sender = smtp(smtp_server)
            try:
                return await send_pending(db.sessions, sender, cfg, now, make_worker_id())
            finally:
                await sender.close()

        summaries.append(asyncio.run(go()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(s.sent for s in summaries) == 40
    assert all(s.sent > 0 for s in summaries), "both workers should have claimed some"
    ids = smtp_server.message_ids()
    assert len(ids) == 40 and len(set(ids)) == 40
    assert sorted(smtp_server.by_recipient()) == sorted(emails)


async def test_the_rate_limit_spaces_messages(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    seed(db.sessions, now, 6)
    started = asyncio.get_running_loop().time()
    await send(db, smtp_server, now, sender=smtp(smtp_server, rate_limit=20, connections=3))
    assert asyncio.get_running_loop().time() - started >= 5 / 20
    assert len(smtp_server.messages) == 6


async def test_a_delivered_digest_resets_the_count_of_permanent_failures(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    (email,) = seed(db.sessions, now, 1)
    smtp_server.refuse(email, "550 5.2.1 Mailbox disabled", times=2)
    for week in range(4):
        await send(db, smtp_server, now + timedelta(days=7 * week), send_empty=True)
        if week == 1:
            with db.sessions() as session:
                assert session.scalars(select(Subscriber)).one().permanent_failures == 2
    with db.sessions() as session:
        subscriber = session.scalars(select(Subscriber)).one()
        assert subscriber.permanent_failures == 0
        assert subscriber.status == vocab.SUBSCRIBER_ACTIVE
    assert len(smtp_server.by_recipient()[email]) == 2


async def test_a_subscriber_with_an_unreadable_time_zone_does_not_stop_planning(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 3)
    with db.sessions.begin() as session:
        session.execute(
            update(Subscriber).where(Subscriber.email == emails[0]).values(timezone="Mars/Olympus")
        )
        plan = plan_deliveries(
            session, now, message_id_domain="vahti.example", due=every_subscriber
        )
    assert plan.created == 2
    assert len(plan.problems) == 1 and plan.problems[0].startswith(emails[0])


def test_planning_twice_creates_each_delivery_once(db: Database, now: datetime) -> None:
    seed(db.sessions, now, 3)
    with db.sessions.begin() as session:
        first = plan_deliveries(
            session, now, message_id_domain="vahti.example", due=every_subscriber
        )
    with db.sessions.begin() as session:
        second = plan_deliveries(
            session, now + timedelta(hours=1), message_id_domain="vahti.example",
            due=every_subscriber,
        )  # fmt: skip
    assert (first.created, second.created, second.existing) == (3, 0, 3)
    with db.sessions() as session:
        rows = session.scalars(select(Delivery)).all()
    assert len(rows) == 3 and len({r.message_id for r in rows}) == 3
    assert {r.period for r in rows} == {"2026-W48"}


async def test_an_error_mid_run_hands_back_what_was_claimed(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 10)
    cfg = config(batch_size=100)

    def broken_display(kind: str, _job: Any, summary: SendSummary) -> None:
        if summary.sent == 3:
            raise RuntimeError("the terminal went away")

    with db.sessions.begin() as session:
        plan_deliveries(session, now, message_id_domain=cfg.message_id_domain, due=every_subscriber)
    sender = smtp(smtp_server)
    try:
        await send_pending(db.sessions, sender, cfg, now, make_worker_id(), progress=broken_display)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the error should end the run")
    finally:
        await sender.close()
    statuses = Counter(d.status for d in deliveries(db).values())
    assert SENDING not in statuses and statuses[SENT] >= 3
    again = await send(db, smtp_server, now)
    assert again.reclaimed == 0
    ids = smtp_server.message_ids()
    assert sorted(smtp_server.by_recipient()) == sorted(emails)
    assert len(ids) - len(set(ids)) <= 2  # at most what was in flight on the two connections


def test_planning_follows_each_subscribers_slot_and_confirmation(
    db: Database, now: datetime
) -> None:
    """`now` is Saturday 28 November 2026, 12:00 in Helsinki (week 48)."""
    long_ago = now - timedelta(days=30)
    with db.sessions.begin() as session:
        add_subscriber(session, "monday@example.fi", send_day="mon", confirmed_at=long_ago)
        add_subscriber(session, "imported@example.fi", send_day="mon", confirmed_at=None)
        add_subscriber(session, "sunday@example.fi", send_day="sun", confirmed_at=long_ago)
        add_subscriber(
            session, "friday@example.fi", send_day="mon", confirmed_at=now - timedelta(days=1)
        )
        plan = plan_deliveries(session, now, message_id_domain="vahti.example")
    assert (plan.due, plan.created) == (2, 2)
    with db.sessions() as session:
        planned = session.execute(
            select(Subscriber.email, Delivery.period).join(Delivery.subscriber)
        ).all()
    assert sorted(planned) == [
        ("imported@example.fi", "2026-W48"),
        ("monday@example.fi", "2026-W48"),
    ]


@pytest.mark.parametrize("processes", [0, 1], ids=["composing here", "compose process"])
async def test_asked_to_stop_it_claims_nothing_more_and_hands_back_the_rest(
    db: Database, smtp_server: SmtpServer, now: datetime, processes: int
) -> None:
    emails = seed(db.sessions, now, 30)
    # With a compose process, batches claimed ahead for it are handed back too.
    cfg = config(batch_size=10 if processes == 0 else 5, compose_processes=processes)
    with db.sessions.begin() as session:
        plan_deliveries(session, now, message_id_domain=cfg.message_id_domain, due=every_subscriber)
    sender = smtp(smtp_server)
    stop_after = 3
    summary = await send_pending(
        db.sessions,
        sender,
        cfg,
        now,
        make_worker_id(),
        should_stop=lambda: len(smtp_server.messages) >= stop_after,
    )
    await sender.close()
    rows = deliveries(db)
    sent = {email for email, row in rows.items() if row.status == SENT}
    assert stop_after <= summary.sent == len(sent) < 30  # what was in hand went, no more
    assert {row.status for row in rows.values()} == {SENT, PENDING}  # nothing left "sending"
    assert all(row.attempts == 0 for row in rows.values() if row.status == PENDING)
    again = await send(db, smtp_server, now)
    assert again.sent == 30 - len(sent)
    assert {email: len(got) for email, got in smtp_server.by_recipient().items()} == dict.fromkeys(
        emails, 1
    )


async def test_an_event_merged_into_another_after_it_was_sent_is_not_new_again(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    with db.sessions.begin() as session:
        add_subscriber(session, "anna@example.fi", language="fi")
        first = add_event(session, now, title="Rekrytointimessut Kaapelitehtaalla", days=9)
        first_id = first.id
    assert (await send(db, smtp_server, now)).sent == 1
    # Dedupe then joins it with the same fair listed elsewhere, kept under two chained ids.
    with db.sessions.begin() as session:
        middle = add_event(session, now, title="Rekrytointimessut", days=9)
        survivor = add_event(session, now, title="Rekrytointimessut – Kaapelitehdas", days=9)
        session.flush()
        for event, into in ((session.get_one(Event, first_id), middle), (middle, survivor)):
            event.merged_into_id, event.gone_at = into.id, now
    next_week = await send(db, smtp_server, now + timedelta(days=7))
    assert (next_week.sent, next_week.empty) == (0, 1)  # nothing new for Anna
    assert len(smtp_server.messages) == 1
