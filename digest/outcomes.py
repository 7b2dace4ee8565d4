"""Recording what happened to each delivery, each in a transaction of its own.

A delivery is marked sent as soon as the server accepted it, in a transaction separate from
everything else, so nothing later (another message failing, the batch stopping, the process
dying) can undo it. The commit runs on the event loop at its next turn, with every outcome that
arrived in the same turn (a few messages, never a batch's worth). A worker thread was measured
slower: the GIL handed back and forth between the thread and the loop cost more than the commit
(91 against 128 digests/s in bench/digest.py). The only deliveries a crash leaves uncertain are
those in flight: sent, or accepted but not yet committed; both are re-sent with the same
Message-ID.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session, sessionmaker

from digest.model import EMPTY, FAILED, PENDING, SENDING, SENT, SKIPPED, DigestItem
from store import vocab
from store.models import Delivery, DeliveryItem, Subscriber

BOUNCE_AFTER = 3  # permanent failures in a row that mark a subscriber bounced


class ItemSent(NamedTuple):
    """What the delivery keeps of one item it carried (the next digests compare against it)."""

    event_id: int
    section: str
    start_at: datetime
    status: str
    deadline_at: datetime | None

    @classmethod
    def of(cls, item: DigestItem) -> ItemSent:
        event = item.event
        return cls(event.id, item.section, event.start_at, event.status, event.deadline_at)


@dataclass(frozen=True, slots=True)
class Outcome:
    """kind: sent, failed, retry, empty, skipped or released (back to pending, no try used)."""

    kind: str
    delivery_id: int
    subscriber_id: int
    items: tuple[ItemSent, ...] = ()
    error: str | None = None
    # A permanent refusal of this recipient or their message (counts towards "bounced"): set
    # only from SendError.permanent, which digest.smtp never sets for a connection's failure
    # (timeout, lost connection, a refused sender, 503), nor an unreachable server.
    permanent: bool = False
    tried: bool = True  # a try was used (attempts + 1)
    retry_at: datetime | None = None
    had_failures: bool = False  # the subscriber's last tries failed for good: reset on success


@dataclass
class Recorder:
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    _queue: list[Outcome] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def add(self, outcome: Outcome) -> None:
        self._queue.append(outcome)
        if self._task is None or self._task.done():
            if self._task is not None:
                self._task.result()  # a failed commit stops the run here
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            self._commit(batch)
            await asyncio.sleep(0)  # let replies that came meanwhile be read

    async def flush(self) -> None:
        """Wait until everything added so far is committed (raises a commit's error)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        if self._task is not None:
            self._task.result()
        if self._queue:
            await self._drain()

    def _commit(self, outcomes: list[Outcome]) -> None:
        now = self.clock()
        with self.sessions.begin() as session:
            record(session, outcomes, now)


def _tries(outcome: Outcome) -> int:
    return 1 if outcome.tried else 0


DELIVERIES = cast(Table, Delivery.__table__)
ITEMS = cast(Table, DeliveryItem.__table__)
SUBSCRIBERS = cast(Table, Subscriber.__table__)
_d, _s = DELIVERIES.c, SUBSCRIBERS.c

# Built once: this runs for every message, and building a statement costs more than the write.
MARK_SENT = (
    update(DELIVERIES)
    .where(_d.id.in_(bindparam("ids", expanding=True)), _d.status != SENT)
    .values(
        status=SENT,
        sent_at=bindparam("now"),
        attempts=_d.attempts + 1,
        last_error=None,
        next_attempt_at=None,
        claimed_by=None,
        updated_at=bindparam("now"),
    )
    .returning(_d.id)
)
MARK_ONE_SENT = (  # the usual case: one message per commit, its item count in the same go
    update(DELIVERIES)
    .where(_d.id == bindparam("one_id"), _d.status != SENT)
    .values(
        status=SENT,
        sent_at=bindparam("now"),
        attempts=_d.attempts + 1,
        item_count=bindparam("one_count"),
        last_error=None,
        next_attempt_at=None,
        claimed_by=None,
        updated_at=bindparam("now"),
    )
    .returning(_d.id)
)
SET_ITEM_COUNT = (
    update(DELIVERIES).where(_d.id == bindparam("b_id")).values(item_count=bindparam("b_count"))
)
ADD_ITEMS = insert(ITEMS)
RESET_FAILURES = (
    update(SUBSCRIBERS)
    .where(_s.id.in_(bindparam("ids", expanding=True)))
    .values(permanent_failures=0)
)
FINISH_UNSENT = (
    update(DELIVERIES)
    .where(_d.id == bindparam("b_id"), _d.status == SENDING)
    .values(
        status=bindparam("b_status"),
        last_error=bindparam("b_error"),
        attempts=_d.attempts + bindparam("b_tries"),
        next_attempt_at=bindparam("b_next"),
        claimed_by=None,
        updated_at=bindparam("b_now"),
    )
)
COUNT_FAILURE = (
    update(SUBSCRIBERS)
    .where(_s.id.in_(bindparam("ids", expanding=True)))
    .values(permanent_failures=_s.permanent_failures + 1)
)
MARK_BOUNCED = (
    update(SUBSCRIBERS)
    .where(
        _s.id.in_(bindparam("ids", expanding=True)),
        _s.permanent_failures >= BOUNCE_AFTER,
        _s.status == vocab.SUBSCRIBER_ACTIVE,
    )
    .values(status=vocab.SUBSCRIBER_BOUNCED, bounced_at=bindparam("now"))
)
UNSENT_STATUS = {"failed": FAILED, "retry": PENDING, "released": PENDING, EMPTY: EMPTY}
UNSENT_STATUS[SKIPPED] = SKIPPED


def record(session: Session, outcomes: list[Outcome], now: datetime) -> None:
    """Write outcomes (the caller's transaction)."""
    sent = [o for o in outcomes if o.kind == SENT]
    if sent:
        counts = {o.delivery_id: len(o.items) for o in sent}
        if len(counts) == 1:
            ((one, count),) = counts.items()
            values = {"one_id": one, "one_count": count, "now": now}
            done = set(session.scalars(MARK_ONE_SENT, values))
        else:
            done = set(session.scalars(MARK_SENT, {"ids": list(counts), "now": now}))
            if done:
                session.execute(SET_ITEM_COUNT, [{"b_id": i, "b_count": counts[i]} for i in done])
        items = [
            {
                "delivery_id": o.delivery_id,
                "event_id": item.event_id,
                "section": item.section,
                "start_at": item.start_at,
                "status": item.status,
                "deadline_at": item.deadline_at,
            }
            for o in sent
            if o.delivery_id in done
            for item in o.items
        ]
        if items:
            session.execute(ADD_ITEMS, items)
        recovered = [o.subscriber_id for o in sent if o.had_failures]
        if recovered:
            session.execute(RESET_FAILURES, {"ids": recovered})
    unsent = [
        {
            "b_id": o.delivery_id,
            "b_status": UNSENT_STATUS[o.kind],
            "b_error": o.error,
            "b_tries": _tries(o),
            "b_next": o.retry_at,
            "b_now": now,
        }
        for o in outcomes
        if o.kind in UNSENT_STATUS
    ]
    if unsent:
        session.execute(FINISH_UNSENT, unsent)
    bounced = [o.subscriber_id for o in outcomes if o.kind == "failed" and o.permanent]
    if bounced:
        session.execute(COUNT_FAILURE, {"ids": bounced})
        session.execute(MARK_BOUNCED, {"ids": bounced, "now": now})
