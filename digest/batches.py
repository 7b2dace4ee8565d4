"""Composing claimed deliveries into jobs, in the sending process or in processes of their own.

Composing (reading the subscribers and what they were sent, selecting, rendering, building the
message) costs more CPU than sending. A run with more than one batch to send hands whole
batches to `compose_processes` worker processes (spawned, so nothing of the caller's threads,
event loop or connections is inherited) and only sends and records in its own: the two work
side by side on two cores. The workers only read the database (their own engine, from the
same URL); every write (claims, outcomes) stays in the sending process, so exactly-once does
not depend on them. A worker that fails or dies fails the run like any other error: the
deliveries it held are still claimed by the sending process, which hands them back.

A small run (one batch or less, a minute's tick of the daemon) composes in the sending
process, one digest at a time between sends: starting a process would cost more than it saves.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import Message
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from digest.compose import DigestConfig, compose, to_message
from digest.load import history_with_events, load_deliveries, load_pool
from digest.message import PreparedMessage
from digest.model import EMPTY, SKIPPED
from digest.outcomes import ItemSent
from digest.pool import EventPool
from digest.select import Selections
from store import vocab

log = logging.getLogger(__name__)
# How often a compose process checks that the sending process still lives, in seconds.
PARENT_CHECK_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Job:
    delivery_id: int
    subscriber_id: int
    email: str
    attempts: int
    had_failures: bool = False
    message: Message | None = None
    items: tuple[ItemSent, ...] = ()
    outcome: str | None = None  # set when there is nothing to send: empty, skipped, failed
    error: str | None = None


class Composer:
    """Turns claimed delivery ids into jobs; keeps the run's event pool (loaded once)."""

    def __init__(self, sessions: sessionmaker[Session], config: DigestConfig, now: datetime):
        self.sessions = sessions
        self.config = config
        self.now = now
        self.pool: EventPool | None = None
        # Digests selected once per group of subscribers with the same preferences and history.
        self.selections: Selections | None = None
        self.looked_up: set[int] = set()

    def _pool(self, session: Session) -> EventPool:
        if self.pool is None:
            self.pool = load_pool(
                session, self.now, self.config.window_days, self.config.deadline_days
            )
            self.selections = Selections(self.pool, self.now)
        return self.pool

    def load(self, delivery_ids: list[int]) -> tuple[list[dict[str, Any]], dict[int, Any]]:
        """The claimed deliveries' subscribers and what was sent to them before."""
        with self.sessions() as session:
            pool = self._pool(session)
            rows = load_deliveries(session, delivery_ids)
            ids = {row["id"] for row in rows}
            history = history_with_events(session, pool, ids, self.now, self.looked_up)
        return rows, history

    def job(self, row: dict[str, Any], sent: Any, date: datetime) -> Job:
        """One subscriber's job: a message to send, or the outcome when there is none."""
        job = Job(
            delivery_id=row["delivery_id"],
            subscriber_id=row["id"],
            email=row["email"],
            attempts=row["delivery_attempts"],
            had_failures=bool(row["permanent_failures"]),
        )
        if row["status"] != vocab.SUBSCRIBER_ACTIVE:
            return replace(job, outcome=SKIPPED)
        try:
            assert self.pool is not None
            composed = compose(row, self.pool, sent, self.config, self.now, self.selections)
            if composed.digest.empty and not self.config.send_empty:
                return replace(job, outcome=EMPTY)
            message = to_message(
                composed,
                email=row["email"],
                message_id=row["delivery_message_id"],
                date=date,
                config=self.config,
            )
        except Exception as exc:  # one subscriber's bad data must not stop the others
            log.exception("cannot compose the digest of %s", row["email"])
            return replace(job, outcome="failed", error=f"cannot compose the digest: {exc}")
        items = tuple(ItemSent.of(item) for item in composed.digest.items)
        return replace(job, message=message, items=items)

    def jobs(self, delivery_ids: list[int], date: datetime) -> list[Job]:
        rows, history = self.load(delivery_ids)
        return [self.job(row, history[row["id"]], date) for row in rows]


# -- the worker processes ---------------------------------------------------------------------

_worker: Composer | None = None


def _exit_with(parent: int) -> None:
    """End this process once the sending process is gone (killed, crashed): nothing else
    would, as a worker waiting for its next batch never notices on its own."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _start_worker(url: str, config: DigestConfig, now: datetime, parent: int) -> None:
    from store.db import make_engine, session_factory

    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the sending
    # process decides how its run ends (finish what is in hand, hand back the rest) and then
    # stops this one; if it dies instead, the watch below ends this one too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    global _worker
    _worker = Composer(session_factory(make_engine(url)), config, now)


def _compose_batch(delivery_ids: list[int], date: datetime) -> list[Job]:
    """A batch's jobs, their messages flattened here (bytes travel cheaper than objects)."""
    assert _worker is not None, "the compose process was not started"
    return [
        job if job.message is None else replace(job, message=PreparedMessage(job.message))
        for job in _worker.jobs(delivery_ids, date)
    ]


def shareable_url(sessions: sessionmaker[Session]) -> str | None:
    """The URL another process can open the same database with; None when it cannot (a
    database in memory)."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        return None
    url = bind.url
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or "mode=memory" in str(url)
    ):
        return None
    return url.render_as_string(hide_password=False)


class ComposeProcesses:
    """A pool of compose processes for one run; `close()` when the run ends."""

    def __init__(self, url: str, config: DigestConfig, now: datetime, processes: int) -> None:
        self.processes = processes
        self.executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(url, config, now, os.getpid()),
        )

    def submit(self, delivery_ids: list[int], date: datetime) -> asyncio.Future[list[Job]]:
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self.executor, _compose_batch, delivery_ids, date)

    def close(self, *, wait: bool = True) -> None:
        """Stop the processes (`wait`: until they have exited; they are idle at a run's end)."""
        self.executor.shutdown(wait=wait, cancel_futures=True)
