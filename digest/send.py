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
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from digest.batches import ComposeProcesses, Composer, Job, shareable_url
from digest.claim import (
    claim_deliveries,
    next_retry_at,
    release_dead_claims,
    release_own_claims,
)
from digest.compose import DigestConfig
from digest.model import EMPTY, SENT, SKIPPED
from digest.outcomes import Outcome, Recorder
from digest.plan import Due, plan_deliveries
from digest.transports import Sender, SendError
from store.clock import utcnow

log = logging.getLogger(__name__)
# `wait_for_retries` waits for a retry due within this many seconds, not longer.
RETRY_WAIT_LIMIT = 600.0
# After an error, how long the tasks get to finish what they were doing (a send in flight).
STOP_WAIT = 30.0


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
        self.recorder = Recorder(sessions, clock)
        self.composer = Composer(sessions, config, now)
        self.processes: ComposeProcesses | None = None
        self.stop: str | None = None

    # -- the asynchronous part --

    def _claim(self) -> list[int]:
        clock = self.clock()
        stale = clock - timedelta(seconds=self.config.claim_timeout_seconds)
        with self.sessions.begin() as session:
            return claim_deliveries(
                session, self.worker_id, clock, limit=self.config.batch_size, stale_before=stale
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
        self.recorder.add(
            Outcome(
                SENT,
                job.delivery_id,
                job.subscriber_id,
                items=job.items,
                had_failures=job.had_failures,
            )
        )
        self.summary.sent += 1
        self._report(SENT, job)

    def _failed(self, job: Job, exc: SendError) -> None:
        if exc.unavailable:
            self.stop = str(exc)
            self._release([job])
            return
        tries = job.attempts + 1
        if exc.permanent or tries >= self.config.max_attempts:
            self.recorder.add(
                Outcome(
                    "failed",
                    job.delivery_id,
                    job.subscriber_id,
                    error=str(exc),
                    permanent=exc.permanent,
                )
            )
            self.summary.failed += 1
            self.summary.errors.append(f"{job.email}: {exc}")
            self._report("failed", job)
            return
        retry_at = self.clock() + timedelta(seconds=self.config.retry_delay(tries))
        self.recorder.add(
            Outcome("retry", job.delivery_id, job.subscriber_id, error=str(exc), retry_at=retry_at)
        )
        self.summary.retried += 1
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
) -> SendSummary:
    """Claim and send every claimable delivery (see the module docstring).

    `now` picks the events (the same for the whole run); `clock` stamps what happens.
    `wait_for_retries`: keep going until no delivery waits for a retry (the CLI); the daemon
    passes False and calls again later. `should_stop` (asked before each claim and each
    digest): once true, nothing more is claimed, what was claimed but not composed is handed
    back, and what is already composed is sent (a clean shutdown of the daemon or a worker).
    """
    run = _Run(
        sessions, sender, config, now, worker_id, clock, progress, wait_for_retries, should_stop
    )
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
        for task in tasks:
            task.cancel()
        while not queue.empty():  # what is queued is handed back below, unsent
            queue.get_nowait()
            queue.task_done()
        for _ in range(config.connections):
            queue.put_nowait(None)  # ends a consumer that survived its cancellation
        await asyncio.wait(tasks, timeout=STOP_WAIT)
        await _give_back(run, sessions, worker_id)
        raise
    await run.recorder.flush()
    run.summary.stopped = run.stop
    return run.summary


async def _give_back(run: _Run, sessions: sessionmaker[Session], worker_id: str) -> None:
    """After an error: record what is known, and hand back what this worker still holds (so
    another run need not wait for the claim timeout). Best effort: the database may be the
    error."""
    try:
        await run.recorder.flush()
    except Exception:
        log.exception("cannot record the last outcomes")
    try:
        with sessions.begin() as session:
            release_own_claims(session, worker_id, run.clock())
    except Exception:
        log.exception("cannot hand back the claimed deliveries")


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
) -> SendSummary:
    """Plan the deliveries that are due at `now`, then send every pending one."""
    with sessions.begin() as session:
        plan_deliveries(session, now, message_id_domain=config.message_id_domain, due=due)
    return await send_pending(
        sessions, sender, config, now, worker_id, progress=progress, clock=clock
    )
