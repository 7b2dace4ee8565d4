"""`vahti run`: the scheduler of one database, with the web app in the same process.

Life of a daemon:

1. The web app starts (if given), so /healthz and /metrics answer from the first second.
2. Standby: try to take the lease (scheduler.lease) every `lease_renew_seconds`.
3. Active: holding the lease, run the scheduler (scheduler.runtime) and renew the lease every
   `lease_renew_seconds`. A renewal refused (someone else holds it) or not confirmed before
   the lease would run out means the lease is lost: stop scheduling at once, drain, and go
   back to standby.
4. SIGTERM or SIGINT: stop taking new work, let crawls and sends in flight finish for up to
   `stop_timeout_seconds` (a second signal cuts that short), stop what is left (crawl
   processes are killed and their runs closed; unsent digests are handed back), release the
   lease so a standby takes over at once, stop the web app, exit 0.

Crawls, scheduled and asked-for (the web app's "crawl now"), go through the one crawl queue the
shell hands in (scheduler.interface.CrawlQueue): closed while this daemon is not the active
one, opened by the active term, so `crawl.max_parallel` bounds them all.

The lease is what keeps a second daemon idle; what makes a digest exactly-once is its Delivery
row and the claim on it (digest/), so even two daemons acting at once for a moment (one that
hung past its lease and woke up) never send a digest twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from scheduler.interface import CrawlQueue, Work
from scheduler.lease import Lease
from scheduler.metrics import DaemonStats
from scheduler.runtime import ActiveRuntime
from store.clock import utcnow

log = logging.getLogger("vahti.daemon")
WEB_START_SECONDS = 30.0
WEB_STOP_SECONDS = 10.0


class WebServer(Protocol):
    started: bool

    async def serve(self) -> None: ...

    def stop(self) -> None: ...


def make_holder() -> str:
    """host/pid/nonce: who holds the lease, readable in the table and the logs."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class Daemon:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        sessions: sessionmaker[Session],
        work: Work,
        crawls: CrawlQueue,
        *,
        holder: str | None = None,
        web: WebServer | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.config = settings.scheduler
        self.engine = engine
        self.sessions = sessions
        self.work = work
        self.crawls = crawls
        crawls.close()  # until this daemon holds the lease: a standby crawls nothing
        self.web = web
        self.clock = clock
        self.holder = holder or make_holder()
        self.lease = Lease(
            sessions, self.holder, ttl=timedelta(seconds=self.config.lease_ttl_seconds)
        )
        self.stats = DaemonStats()
        self.stopping = asyncio.Event()
        self.hurry = asyncio.Event()
        self.exit_code = 0
        self._beat = time.monotonic()
        self._told_standby = False
        self._runtime: ActiveRuntime | None = None

    # -- health --

    def alive(self) -> bool:
        """For /healthz: the lease loop turns (as the active daemon or a standby) and the
        daemon is not stopping."""
        stale = 3 * self.config.lease_renew_seconds + 10
        if self.stopping.is_set() or time.monotonic() - self._beat > stale:
            return False
        runtime = self._runtime
        return runtime is None or runtime.scheduler is None or runtime.scheduler.running

    @property
    def role(self) -> str:
        return self.stats.role

    # -- the main loop --

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT (or `request_stop`); the process's exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
        web_task: asyncio.Task[None] | None = None
        try:
            if self.web is not None:
                web_task = asyncio.create_task(self._serve_web(self.web), name="web")
                if not await self._web_started(self.web, web_task):
                    return 1
            while not self.stopping.is_set():
                self._beat = time.monotonic()
                if await self._acquire():
                    await self._lead()
                else:
                    await self._pause(self.config.lease_renew_seconds)
            return self.exit_code
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            if self.web is not None and web_task is not None:
                self.web.stop()
                await asyncio.wait({web_task}, timeout=WEB_STOP_SECONDS)
            log.info("stopped")

    def request_stop(self) -> None:
        """What SIGTERM does (for embedding and tests)."""
        if self.stopping.is_set():
            self.hurry.set()
        self.stopping.set()

    def _on_signal(self, sig: int) -> None:
        name = signal.Signals(sig).name
        if self.stopping.is_set():
            log.warning("%s again: not waiting for the work in flight any longer", name)
        else:
            log.info(
                "%s: stopping; work in flight gets up to %g s",
                name,
                self.config.stop_timeout_seconds,
            )
        self.request_stop()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)

    # -- the web app --

    async def _serve_web(self, web: WebServer) -> None:
        try:
            await web.serve()
        except SystemExit as exc:  # uvicorn exits when it cannot listen
            raise RuntimeError(f"the web app stopped (exit code {exc.code})") from None
        finally:
            if not self.stopping.is_set():
                log.error("the web app stopped by itself; stopping the daemon")
                self.exit_code = 1
                self.stopping.set()

    async def _web_started(self, web: WebServer, task: asyncio.Task[None]) -> bool:
        deadline = time.monotonic() + WEB_START_SECONDS
        while not web.started:
            if task.done() or time.monotonic() > deadline:
                error = task.exception() if task.done() and not task.cancelled() else None
                log.error("the web app could not start%s", f": {error}" if error else "")
                self.exit_code = 1
                return False
            await asyncio.sleep(0.05)
        return True

    # -- the lease --

    async def _acquire(self) -> bool:
        try:
            got = await asyncio.to_thread(self.lease.try_acquire, self.clock())
        except Exception as exc:
            log.warning("lease: cannot reach the database: %s", exc)
            return False
        if got:
            log.info("lease: acquired as %s; this daemon schedules now", self.holder)
            self._told_standby = False
            return True
        self.stats.role = "standby"
        if not self._told_standby:
            self._told_standby = True
            try:
                other = await asyncio.to_thread(self.lease.holder_now, self.clock())
            except Exception:
                other = None
            log.info(
                "standby: %s holds the lease; trying again every %g s",
                other or "another daemon",
                self.config.lease_renew_seconds,
            )
        return False

    async def _keep_lease(self, lost: asyncio.Event) -> None:
        """Renew every `lease_renew_seconds`; set `lost` when a renewal is refused or cannot be
        confirmed before the lease runs out (by this process's own clock)."""
        ttl = self.config.lease_ttl_seconds
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(self.config.lease_renew_seconds)
            self._beat = time.monotonic()
            left = ttl - (time.monotonic() - renewed)
            try:
                if left <= 0:
                    raise TimeoutError
                ok = await asyncio.wait_for(
                    asyncio.to_thread(self.lease.renew, self.clock()), timeout=left
                )
            except TimeoutError:
                log.error("lease: not renewed within its %g s; it may be someone else's now", ttl)
                lost.set()
                return
            except Exception as exc:
                log.warning("lease: cannot renew (%s); %.0f s left", exc, left)
                continue
            if not ok:
                log.error("lease: another daemon holds it now")
                lost.set()
                return
            renewed = time.monotonic()

    async def _lead(self) -> None:
        self.stats.role = "active"
        runtime = ActiveRuntime(
            self.settings,
            self.engine,
            self.sessions,
            self.work,
            self.crawls,
            self.stats,
            self.clock,
        )
        self._runtime = runtime
        lost = asyncio.Event()
        keeper = asyncio.create_task(self._keep_lease(lost), name="lease")
        try:
            await runtime.start()
            waits = [
                asyncio.ensure_future(self.stopping.wait()),
                asyncio.ensure_future(lost.wait()),
            ]
            await asyncio.wait(waits, return_when="FIRST_COMPLETED")
            for waiting in waits:
                waiting.cancel()
        except Exception:
            log.exception("the scheduler failed; stopping the daemon")
            self.exit_code = 1
            self.stopping.set()
        finally:
            if lost.is_set():
                log.error("lease lost: scheduling stopped; back to standby")
            self.stats.role = "stopping" if self.stopping.is_set() else "standby"
            await runtime.stop(self.config.stop_timeout_seconds, self.hurry)
            self._runtime = None
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            if not lost.is_set():
                await self._release()

    async def _release(self) -> None:
        try:
            await asyncio.to_thread(self.lease.release, self.clock())
        except Exception as exc:
            log.warning("lease: could not release it (%s); it runs out by itself", exc)
            return
        log.info("lease: released")
