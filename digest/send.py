"""Sending the planned digests: claim, compose, send, record; exactly once per period.

`send_pending` is what `vahti digest send` and the daemon call:

1. hand back deliveries of dead workers on this host (the uncertain ones of a crash);
2. claim a batch of deliveries (digest.claim), compose each (select, render, build the
   message with the Message-ID fixed at planning) and queue it;
3. `connections` consumers send from the queue; each accepted message is recorded as sent at
   once in its own transaction (digest.outcomes);
4. a transient failure (4xx, connection lost) goes back to pending with a growing delay, up to
   `max_attempts` tries; a permanent one (a 5xx refusal of the recipient or its message, but
   552 and 503) fails the delivery at once and counts towards the subscriber's bounce; a
   digest that cannot be composed fails alone;
5. when nothing is claimable and `wait_for_retries` is on, wait for the earliest retry.

If the server cannot be reached at all, the run stops, the messages not yet sent go back to
pending without using a try, and the summary says why (the next run picks them up).

Any other error stops the run too: the sends in flight finish (their outcome is known), and
what this worker holds is handed back at once. If the error is the database going away, the
outcomes not yet written are kept in memory and the hand-back is tried again every few
seconds (for at most the claim timeout): as soon as the database returns, the messages the
server accepted are recorded as sent (never sent again) and the rest are pending again, instead
of staying "sending" until the claim timeout. The summary then says the database was
unavailable. Only a process that dies meanwhile leaves uncertain deliveries: they are sent
again, with the same Message-ID, once the claim times out (or at once on the same host).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from digest.batches import ComposeProcesses, Composer, Job, shareable_url
from digest.claim import (
    claim_deliveries,
    held_by,
    next_retry_at,
    release_dead_claims,
    release_own_claims,
)
from digest.compose import DigestConfig
from digest.model import EMPTY, SENT, SKIPPED
from digest.outcomes import Outcome, Recorder, record
from digest.plan import Due, plan_deliveries
from digest.transports import Sender, SendError
from store.clock import utcnow
from store.outage import database_unavailable, describe

log = logging.getLogger(__name__)
# `wait_for_retries` waits for a retry due within this many seconds, not longer.
RETRY_WAIT_LIMIT = 600.0
# After an error, how long the tasks get to finish what they were doing (a send in flight).
STOP_WAIT = 30.0
# While the database is unavailable, the hand-back is tried again after this many seconds,
# doubling up to the second figure (so it succeeds within seconds of the database's return).
GIVE_BACK_RETRY = (0.25, 2.0)


@dataclass
class SendSummary:
    sent: int = 0
    empty: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    reclaimed: int = 0
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and self.stopped is None


Progress = Callable[[str, Job, SendSummary], None]


@dataclass
class _Recorder(Recorder):
    """A Recorder that keeps the outcomes it could not commit (the database went away): the
    hand-back writes them once the database returns."""

    lost: list[Outcome] = field(default_factory=list)

    def _commit(self, outcomes: list[Outcome]) -> None:
        try:
            super()._commit(outcomes)
        except BaseException:
            self.lost.extend(outcomes)
            raise

    def unrecorded(self) -> list[Outcome]:
        """Every outcome not committed (and forget them here: the caller writes them)."""
        found = [*self.lost, *self._queue]
        self.lost, self._queue = [], []
        return found


class _Run:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        sender: Sender,
        config: DigestConfig,
        now: datetime,
        worker_id: str,
        clock: Callable[[], datetime],
        progress: Progress | None,
        wait_for_retries: bool,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.sessions = sessions
        self.should_stop = should_stop
        self.wait_for_retries = wait_for_retries
        self.sender = sender
        self.config = config
        self.now = now
        self.worker_id = worker_id
        self.clock = clock
        self.progress = progress
        self.summary = SendSummary()
        self.recorder = _Recorder(sessions, clock)
        self.composer = Composer(sessions, config, now)
        self.processes: ComposeProcesses | None = None
        self.stop: str | None = None
        self.only: Collection[int] | None = None  # these subscribers' deliveries alone

    # -- the asynchronous part --

    def _claim(self) -> list[int]:
        clock = self.clock()
        stale = clock - timedelta(seconds=self.config.claim_timeout_seconds)
        with self.sessions.begin() as session:
            return claim_deliveries(
                session,
                self.worker_id,
                clock,
                limit=self.config.batch_size,
                stale_before=stale,
                only=self.only,
            )

    def _report(self, kind: str, job: Job) -> None:
        if self.progress is not None:
            self.progress(kind, job, self.summary)

    def _finish_unsent(self, job: Job) -> None:
        """Record a job that needs no sending (empty, skipped, failed to compose)."""
        kind = job.outcome or "failed"
        self.recorder.add(
            Outcome(kind, job.delivery_id, job.subscriber_id, error=job.error, tried=False)
        )
        if kind == EMPTY:
            self.summary.empty += 1
        elif kind == SKIPPED:
            self.summary.skipped += 1
        else:
            self.summary.failed += 1
            self.summary.errors.append(f"{job.email}: {job.error}")
        self._report(kind, job)

    def _asked_to_stop(self) -> bool:
        """A clean shutdown was asked for: claim nothing more (what is queued still goes)."""
        return self.should_stop is not None and self.should_stop()

    def _compose_processes(self, ids: list[int]) -> ComposeProcesses | None:
        """The compose processes, started when this run has more than one batch to send."""
        if self.processes is None and len(ids) >= self.config.batch_size > 0:
            url = shareable_url(self.sessions)
            if self.config.compose_processes > 0 and url is not None:
                count = self.config.compose_processes
                self.processes = ComposeProcesses(url, self.config, self.now, count)
                log.info("composing digests in %d process(es) beside the sender", count)
        return self.processes

    def _release_ids(self, ids: Iterable[int]) -> None:
        for delivery_id in ids:
            self.recorder.add(Outcome("released", delivery_id, 0, tried=False))

    async def produce(self, queue: asyncio.Queue[Job | None]) -> None:
        # Batches handed to the compose processes, oldest first: while this process sends
        # one, they compose the next ones.
        ahead: deque[tuple[list[int], asyncio.Future[list[Job]]]] = deque()
        try:
            await self._produce(queue, ahead)
        except BaseException:
            for _held, future in ahead:  # the caller hands back everything still claimed
                future.cancel()
            if self.processes is not None:
                self.processes.close(wait=False)
            raise
        for held, future in ahead:  # claimed but not queued (a stop): handed back
            future.cancel()
            self._release_ids(held)
        if self.processes is not None:
            self.processes.close(wait=not ahead)

    async def _produce(
        self,
        queue: asyncio.Queue[Job | None],
        ahead: deque[tuple[list[int], asyncio.Future[list[Job]]]],
    ) -> None:
        while self.stop is None and not self._asked_to_stop():
            # With compose processes, two batches wait for each: one being composed, one
            # next, so they never wait while a composed batch is being sent.
            wanted = self.processes.processes * 2 + 1 if self.processes else 1
            ids = self._claim() if len(ahead) < wanted else []
            processes = self._compose_processes(ids) if ids else None
            if processes is not None:
                ahead.append((ids, processes.submit(ids, self.clock())))
                continue
            if ahead:
                held, future = ahead.popleft()
                if not await self._queue_jobs(queue, held, await future):
                    return
                continue
            if not ids:
                await queue.join()
                await self.recorder.flush()
                if self.stop is not None or not await self._waited_for_retry():
                    return
                continue
            rows, history = self.composer.load(ids)
            jobs = (self.composer.job(row, history[row["id"]], self.clock()) for row in rows)
            if not await self._queue_jobs(queue, ids, jobs):
                return

    async def _queue_jobs(
        self, queue: asyncio.Queue[Job | None], ids: list[int], jobs: Iterable[Job]
    ) -> bool:
        """Queue each job for sending (or record why there is nothing to send); False when the
        run must stop, after handing back the deliveries of this batch not yet queued."""
        done: set[int] = set()
        for job in jobs:
            if self.stop is not None or self._asked_to_stop():
                self._release_ids(i for i in ids if i not in done)
                return False
            done.add(job.delivery_id)
            if job.message is None:
                self._finish_unsent(job)
            else:
                await queue.put(job)
            await asyncio.sleep(0)  # let the consumers read their replies
        return True

    async def _waited_for_retry(self) -> bool:
        """Sleep until the earliest retry is due; False when none waits (or we should not)."""
        if not self.wait_for_retries:
            return False
        with self.sessions() as session:
            at = next_retry_at(session)
        if at is None:
            return False
        wait = (at - self.clock()).total_seconds()
        if wait > RETRY_WAIT_LIMIT:
            return False  # a later run (or the daemon) will try it
        await asyncio.sleep(max(wait, 0.0) + 0.01)
        return True

    def _release(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            self.recorder.add(Outcome("released", job.delivery_id, job.subscriber_id, tried=False))

    async def consume(self, queue: asyncio.Queue[Job | None]) -> None:
        while (job := await queue.get()) is not None:
            try:
                if self.stop is not None:
                    self._release([job])
                    continue
                await self._send(job)
            finally:
                queue.task_done()
        queue.task_done()

    async def _send(self, job: Job) -> None:
        assert job.message is not None
        try:
            await self.sender.send(job.message)
        except SendError as exc:
            self._failed(job, exc)
            return
        except Exception as exc:  # a sender bug must not stop the batch: retried like a 4xx
            log.exception("unexpected error sending to %s", job.email)
            self._failed(job, SendError(f"unexpected error: {exc!r}"))
            return
        # Counted first: an add that raises (the database went away) still keeps the outcome
        # for the hand-back, which records it.
        self.summary.sent += 1
        self.recorder.add(
            Outcome(
                SENT,
                job.delivery_id,
                job.subscriber_id,
                items=job.items,
                had_failures=job.had_failures,
            )
        )
        self._report(SENT, job)

    def _failed(self, job: Job, exc: SendError) -> None:
        if exc.unavailable:
            self.stop = str(exc)
            self._release([job])
            return
        tries = job.attempts + 1
        if exc.permanent or tries >= self.config.max_attempts:
            self.summary.failed += 1
            self.summary.errors.append(f"{job.email}: {exc}")
            self.recorder.add(
                Outcome(
                    "failed",
                    job.delivery_id,
                    job.subscriber_id,
                    error=str(exc),
                    permanent=exc.permanent,
                )
            )
            self._report("failed", job)
            return
        retry_at = self.clock() + timedelta(seconds=self.config.retry_delay(tries))
        self.summary.retried += 1
        self.recorder.add(
            Outcome("retry", job.delivery_id, job.subscriber_id, error=str(exc), retry_at=retry_at)
        )
        self._report("retry", job)


async def send_pending(
    sessions: sessionmaker[Session],
    sender: Sender,
    config: DigestConfig,
    now: datetime,
    worker_id: str,
    *,
    wait_for_retries: bool = True,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utcnow,
    should_stop: Callable[[], bool] | None = None,
    only: Collection[int] | None = None,
) -> SendSummary:
    """Claim and send every claimable delivery (see the module docstring); with `only`, the
    deliveries of those subscribers alone (the demo's), and nobody else's claims are touched.

    `now` picks the events (the same for the whole run); `clock` stamps what happens.
    `wait_for_retries`: keep going until no delivery waits for a retry (the CLI); the daemon
    passes False and calls again later. `should_stop` (asked before each claim and each
    digest): once true, nothing more is claimed, what was claimed but not composed is handed
    back, and what is already composed is sent (a clean shutdown of the daemon or a worker).

    An error ends the run and is raised, after the hand-back; the database going away ends it
    too, but once the database is back and the hand-back done, the summary says so
    (`stopped`) instead.
    """
    run = _Run(
        sessions, sender, config, now, worker_id, clock, progress, wait_for_retries, should_stop
    )
    run.only = only
    if only is None:
        with sessions.begin() as session:
            run.summary.reclaimed = release_dead_claims(session, clock())
    queue: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=config.connections * 8)

    async def produce_then_stop() -> None:
        await run.produce(queue)
        for _ in range(config.connections):
            await queue.put(None)

    tasks = [asyncio.create_task(run.consume(queue)) for _ in range(config.connections)]
    tasks.append(asyncio.create_task(produce_then_stop()))
    try:
        await asyncio.gather(*tasks)  # the first error of any task ends the run
    except BaseException as error:
        # Stop taking jobs first: a task can outlive its cancellation (asyncio.wait_for in
        # 3.11 may swallow one), and it must not send what is about to be handed back.
        run.stop = run.stop or f"stopped by an error: {error!r}"
        # An error lets the sends in flight finish (what the server said is then known); a
        # cancellation (abort, Ctrl-C) stops them too.
        await _stop(tasks, queue, config.connections, sends_finish=isinstance(error, Exception))
        handed_back = await _give_back(run, sessions, worker_id)
        if handed_back and isinstance(error, Exception) and database_unavailable(error):
            run.summary.stopped = (
                f"the database was unavailable ({describe(error)}); "
                "the digests not sent are pending again"
            )
            return run.summary
        raise
    await run.recorder.flush()
    run.summary.stopped = run.stop
    return run.summary


async def _stop(
    tasks: list[asyncio.Task[None]],
    queue: asyncio.Queue[Job | None],
    connections: int,
    *,
    sends_finish: bool,
) -> None:
    """End the tasks of a run that met an error; the last task is the producer."""
    for task in tasks if not sends_finish else tasks[-1:]:
        task.cancel()
    while not queue.empty():  # what is queued is handed back, unsent
        queue.get_nowait()
        queue.task_done()
    for _ in range(connections):
        queue.put_nowait(None)  # ends each consumer after its send in flight, if any
    _done, pending = await asyncio.wait(tasks, timeout=STOP_WAIT)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=STOP_WAIT)
    for task in tasks:  # the errors are the run's one error, already being handled
        if task.done() and not task.cancelled():
            task.exception()


def _hand_back(session: Session, worker_id: str, outcomes: list[Outcome], now: datetime) -> int:
    """Write the outcomes not yet written and hand back what `worker_id` still holds; the
    caller commits. A message the server accepted is recorded as sent whoever holds it now;
    any other outcome only while this worker still holds the delivery (after the claim
    timeout another worker may be sending it)."""
    held = held_by(session, worker_id)
    record(session, [o for o in outcomes if o.kind == SENT or o.delivery_id in held], now)
    return release_own_claims(session, worker_id, now)


async def _give_back(run: _Run, sessions: sessionmaker[Session], worker_id: str) -> bool:
    """After an error: record what is known, and hand back what this worker still holds (so
    another run need not wait for the claim timeout). While the database is unavailable, try
    again every few seconds, for at most the claim timeout (then the claims are stale and any
    sender takes them over). True when done."""
    try:
        await run.recorder.flush()
    except Exception as exc:
        if not database_unavailable(exc):
            log.exception("cannot record the last outcomes")
    outcomes = run.recorder.unrecorded()
    give_up = time.monotonic() + run.config.claim_timeout_seconds
    delay, longest = GIVE_BACK_RETRY
    waited = False
    while True:
        try:
            with sessions.begin() as session:
                released = _hand_back(session, worker_id, outcomes, run.clock())
        except Exception as exc:
            if not database_unavailable(exc):
                log.exception("cannot hand back the claimed deliveries")
                return False
            if time.monotonic() + delay > give_up:
                log.error(
                    "the database is still unavailable (%s): the digests this worker claimed "
                    "are taken over after the claim timeout",
                    describe(exc),
                )
                return False
            if not waited:
                log.warning(
                    "the database is unavailable (%s): %d outcomes and this worker's claims "
                    "are written as soon as it returns",
                    describe(exc),
                    len(outcomes),
                )
                waited = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)
            continue
        if waited:
            log.warning(
                "the database is back: %d outcomes written, %d digests pending again",
                len(outcomes),
                released,
            )
        return True


async def send_due(
    sessions: sessionmaker[Session],
    sender: Sender,
    config: DigestConfig,
    now: datetime,
    worker_id: str,
    *,
    due: Due,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utcnow,
    only: Collection[int] | None = None,
) -> SendSummary:
    """Plan the deliveries that are due at `now`, then send every pending one (of the
    subscribers `only` when given)."""
    with sessions.begin() as session:
        plan_deliveries(
            session, now, message_id_domain=config.message_id_domain, due=due, only=only
        )
    return await send_pending(
        sessions, sender, config, now, worker_id, progress=progress, clock=clock, only=only
    )
