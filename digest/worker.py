"""Sending planned digests until told to stop: `vahti worker`, and each digest run of the
daemon (which runs it in a thread of its own, with its own event loop).

Stopping comes in two steps, asked from anywhere (a signal handler, another thread):
`finish()` turns true: claim nothing more and send what is in hand; `abort()` turns true: stop
now, hand back what is claimed but not sent (it stays pending, with its Message-ID, for the
next run). The database going away mid-run ends the run as soon as it returns and the worker's
claims are handed back (digest.send); the next run starts after `poll_seconds`. Several
workers on one PostgreSQL database never send a digest twice: each claims with
`FOR UPDATE SKIP LOCKED` (digest.claim).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from config import MailSettings
from digest.compose import DigestConfig
from digest.send import SendSummary, send_pending
from digest.transports import make_sender
from store.clock import utcnow
from store.outage import database_unavailable, describe

log = logging.getLogger("vahti.worker")
# How often a run checks whether it must stop now, in seconds.
ABORT_POLL = 0.1
ABORTED = "stopped by the shutdown; the digests not sent are pending again"

Flag = Callable[[], bool]


def did_something(summary: SendSummary) -> bool:
    return bool(
        summary.sent
        + summary.empty
        + summary.skipped
        + summary.failed
        + summary.retried
        + summary.reclaimed
    )


async def send_until_stopped(
    sessions: sessionmaker[Session],
    mail: MailSettings,
    config: DigestConfig,
    now: datetime,
    worker_id: str,
    *,
    finish: Flag,
    abort: Flag,
) -> SendSummary:
    """Send every claimable delivery once over a fresh sender (see the module docstring)."""
    sender = make_sender(mail)
    task = asyncio.create_task(
        send_pending(
            sessions, sender, config, now, worker_id, wait_for_retries=False, should_stop=finish
        )
    )
    try:
        while not task.done():
            if abort():
                task.cancel()
                break
            await asyncio.wait({task}, timeout=ABORT_POLL)
        try:
            return await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            return SendSummary(stopped=ABORTED)
    finally:
        if not task.done():  # we were cancelled ourselves: the run hands back what it holds
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await sender.close()


def log_summary(summary: SendSummary) -> None:
    level = logging.INFO if did_something(summary) or summary.stopped else logging.DEBUG
    log.log(
        level,
        "digests: sent=%d empty=%d skipped=%d failed=%d retried=%d resumed=%d%s",
        summary.sent,
        summary.empty,
        summary.skipped,
        summary.failed,
        summary.retried,
        summary.reclaimed,
        f"; stopped: {summary.stopped}" if summary.stopped else "",
    )
    for error in summary.errors[:20]:
        log.warning("digests: %s", error)


async def run_worker(
    sessions: sessionmaker[Session],
    mail: MailSettings,
    config: DigestConfig,
    worker_id: str,
    *,
    poll_seconds: float,
    finish: Flag,
    abort: Flag,
) -> None:
    """Claim and send planned digests until `finish()`; when a round found nothing to do (or
    the mail server could not be reached), wait `poll_seconds` before the next."""
    log.info("worker %s: sending planned digests", worker_id)
    while not finish():
        try:
            summary = await send_until_stopped(
                sessions, mail, config, utcnow(), worker_id, finish=finish, abort=abort
            )
        except Exception as exc:  # the database went away, say: try again after a pause
            if database_unavailable(exc):
                log.error("worker %s: the database is unavailable: %s", worker_id, describe(exc))
            else:
                log.exception("worker %s: the send run failed", worker_id)
            summary = SendSummary(stopped="failed")
        log_summary(summary)
        if did_something(summary) and not summary.stopped:
            continue
        deadline = time.monotonic() + poll_seconds
        while not finish() and time.monotonic() < deadline:
            await asyncio.sleep(min(ABORT_POLL * 2, poll_seconds))
    log.info("worker %s: stopped", worker_id)
