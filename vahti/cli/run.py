"""`vahti run` (the daemon) and `vahti worker` (more digest senders beside it)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from typing import Annotated

import typer

from vahti.cli.common import state, visible

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LogLevel = Annotated[
    str, typer.Option("--log-level", help="debug, info, warning or error.", case_sensitive=False)
]


class VisibleFormatter(logging.Formatter):
    """Log lines quote sites (source names, their errors): control and bidi characters are
    shown as escapes (vahti.cli.common.visible), as everywhere the CLI prints."""

    def format(self, record: logging.LogRecord) -> str:
        return visible(super().format(record))


def setup_logging(level: str) -> None:
    name = level.upper()
    if name not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        typer.echo(f"error: --log-level {level!r}: use debug, info, warning or error", err=True)
        raise typer.Exit(2)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(VisibleFormatter(LOG_FORMAT))
    logging.basicConfig(level=name, handlers=[handler], force=True)
    # APScheduler logs every job run at INFO (every minute); our own lines say what happened.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(name)))


def run(
    host: Annotated[
        str | None, typer.Option(help="Address the web app listens on (default: web.host).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port the web app listens on (default: web.port).", min=0, max=65535),
    ] = None,
    log_level: LogLevel = "info",
) -> None:
    """Run the daemon: crawls, dedupe, digests and clean-up on time, with the web app.

    One daemon acts per database; a second one waits as a standby and takes over when the
    first dies. SIGTERM/SIGINT: finish what is in flight (scheduler.stop_timeout_seconds),
    exit 0. See docs/operations.md.
    """
    from digest.compose import DigestConfig
    from scheduler.daemon import Daemon
    from scheduler.metrics import DaemonCollector
    from vahti.cli.serve import build_app
    from vahti.daemon_work import AppWork, daemon_crawl_queue
    from vahti.web_server import make_web_server

    setup_logging(log_level)
    context = state.app
    settings = context.settings
    engine = context.engine  # migrates the schema on first use
    work = AppWork(
        settings,
        context.sessions,
        DigestConfig.from_settings(
            settings.web, settings.mail, settings.digest, context.secret_key()
        ),
    )
    # One queue for the daemon's crawls and the admin's "crawl now": one crawl.max_parallel.
    crawls = daemon_crawl_queue(settings, context.sessions)
    daemon = Daemon(settings, engine, context.sessions, work, crawls)
    app = build_app(context, scheduler_status=daemon.alive, crawl_queue=crawls)
    app.state.metrics_registry.register(DaemonCollector(daemon.stats))
    daemon.web = make_web_server(
        app, host or settings.web.host, settings.web.port if port is None else port
    )
    code = asyncio.run(daemon.run())
    raise typer.Exit(code)


def worker(log_level: LogLevel = "info") -> None:
    """Send planned digests in a loop: more senders beside `vahti run` (PostgreSQL).

    The daemon plans the digests when they fall due; workers claim and send them, never one
    twice. SIGTERM/SIGINT: claim nothing more, send what is in hand
    (scheduler.stop_timeout_seconds at most), exit 0.
    """
    from digest.claim import make_worker_id
    from digest.compose import DigestConfig
    from digest.worker import run_worker

    setup_logging(log_level)
    context = state.app
    settings = context.settings
    sessions = context.sessions
    config = DigestConfig.from_settings(
        settings.web, settings.mail, settings.digest, context.secret_key()
    )
    finish = threading.Event()
    abort = threading.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def on_signal(sig: int) -> None:
            if finish.is_set():
                abort.set()
                return
            logging.getLogger("vahti.worker").info(
                "%s: finishing the digests in hand", signal.Signals(sig).name
            )
            finish.set()
            loop.call_later(settings.scheduler.stop_timeout_seconds, abort.set)

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal, sig)
        await run_worker(
            sessions,
            settings.mail,
            config,
            make_worker_id(),
            poll_seconds=settings.scheduler.worker_poll_seconds,
            finish=finish.is_set,
            abort=abort.is_set,
        )

    asyncio.run(main())
