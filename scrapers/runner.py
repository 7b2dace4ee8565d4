"""Run a crawl as a child process with a hard time limit (`crawl_one`).

The one crawl queue (services.crawl_queue) calls it for `vahti crawl`, the demo, the admin's
"crawl now" and the daemon, a few at a time. The CrawlRun row is created here
before the child starts, so a child that crashes or is killed still leaves a failed run
behind (and its source backs off like any failing source). While a child runs, its progress
lines are passed on to `on_event("progress", result)`.

A crawl the database interrupted (the child could not store it: DATABASE_UNAVAILABLE_EXIT) is
closed as cancelled, with the database's reason: the source's health, failure count and next
crawl stay as they were. While the database is unavailable here too, closing the run is tried
again every few seconds, for at most DATABASE_WAIT_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from scrapers.bookkeeping import (
    DATABASE_UNAVAILABLE_EXIT,
    close_broken_run,
)
from scrapers.handoff import ChildSettings
from store import vocab
from store.db import session_scope
from store.models import CrawlRun, Source
from store.outage import database_unavailable, describe

log = logging.getLogger(__name__)
# Extra seconds a child gets after its own Scrapy time limit before it is killed.
KILL_GRACE_SECONDS = 30
STDERR_TAIL = 2000
# How long the parent keeps trying to close a run while the database is unavailable, and the
# pause between tries (doubling from the first figure up to the second).
DATABASE_WAIT_SECONDS = 300.0
DATABASE_RETRY = (0.25, 2.0)


@dataclass
class CrawlResult:
    source_id: int
    name: str
    run_id: int
    status: str = "running"
    pages: int = 0
    records: int = 0
    new: int = 0
    updated: int = 0
    gone: int = 0
    errors: int = 0
    first_error: str | None = None
    duration_s: float = 0.0
    # Seconds from the spider's opening to its last report (the crawl without process start).
    crawl_seconds: float | None = None
    # The Scrapyd node (URL) and job of a crawl run there (scrapers.remote).
    node: str | None = None
    job: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in vocab.RUN_FAILED_STATUSES

    @property
    def changed(self) -> bool:
        """Whether the store's listings changed (and so dedupe has something to do)."""
        return bool(self.new or self.updated or self.gone)


# on_event(kind, result) with kind "started", "progress" or "finished".
ProgressCallback = Callable[[str, CrawlResult], None]


def child_command(source_id: int, run_id: int, time_limit: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scrapers.crawl_child",
        "--source-id",
        str(source_id),
        "--run-id",
        str(run_id),
        "--time-limit",
        str(time_limit),
    ]


def _options(timezone: str | None, time_limit: int | None) -> list[str]:
    found = ["--timezone", timezone] if timezone else []
    return found + (["--time-limit", str(time_limit)] if time_limit is not None else [])


def probe_command(
    url: str, config: dict[str, Any], *, timezone: str | None = None, time_limit: int | None = None
) -> list[str]:
    """Auto-detection of `url` in a child (`scrapers.probe_child`; the CLI and the admin)."""
    command = [sys.executable, "-m", "scrapers.probe_child", "--url", url]
    return [*command, "--config", json.dumps(config), *_options(timezone, time_limit)]


def dry_run_command(
    url: str,
    kind: str,
    config: dict[str, Any],
    *,
    timezone: str | None = None,
    time_limit: int | None = None,
) -> list[str]:
    """A crawl of `url` that stores nothing, in a child (`vahti sources test`, admin previews)."""
    command = [sys.executable, "-m", "scrapers.crawl_child", "--dry-run", "--url", url]
    command += ["--kind", kind, "--config", json.dumps(config)]
    return command + _options(timezone, time_limit)


# What a child keeps of the parent's environment: what Python, Scrapy and the system libraries
# need (paths, locale, time zone, certificates, proxies). Nothing else, no VAHTI_* above all:
# its settings come on stdin (scrapers.handoff).
CHILD_ENV_NAMES = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TMPDIR",
        "TEMP",
        "TMP",
        "TZ",
        "SYSTEMROOT",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
    }
)
CHILD_ENV_PREFIXES = ("LC_", "PYTHON")


def child_environment(parent: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a child starts with, taken from `parent` (default: os.environ)."""
    source = os.environ if parent is None else parent
    env = {
        name: value
        for name, value in source.items()
        if name in CHILD_ENV_NAMES or name.startswith(CHILD_ENV_PREFIXES)
    }
    # The children must import this checkout even when it is not installed.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def due_source_ids(session: Session, now: datetime) -> list[int]:
    """Enabled sources whose next crawl is due: never crawled ones first, then the most
    overdue."""
    return list(
        session.scalars(
            select(Source.id)
            .where(Source.enabled, or_(Source.next_crawl_at.is_(None), Source.next_crawl_at <= now))
            .order_by(Source.next_crawl_at.is_not(None), Source.next_crawl_at, Source.id)
        )
    )


def _start_run(sessions: sessionmaker[Session], source_id: int) -> CrawlResult:
    with session_scope(sessions) as session:
        source = session.get_one(Source, source_id)
        run = CrawlRun(source_id=source_id, started_at=datetime.now(UTC))
        session.add(run)
        session.flush()
        return CrawlResult(source_id=source_id, name=source.name, run_id=run.id)


def _close_broken_run(
    sessions: sessionmaker[Session], result: CrawlResult, status: str, message: str
) -> None:
    with session_scope(sessions) as session:
        close_broken_run(session, result.run_id, status, message[-STDERR_TAIL:], datetime.now(UTC))


async def _close_when_possible(
    sessions: sessionmaker[Session], result: CrawlResult, status: str, message: str
) -> None:
    """Close the run (if the child did not) and read it back; while the database is
    unavailable, try again every few seconds (at most DATABASE_WAIT_SECONDS)."""
    give_up = time.monotonic() + DATABASE_WAIT_SECONDS
    delay, longest = DATABASE_RETRY
    waited = False
    while True:
        try:
            _close_broken_run(sessions, result, status, message)
            _read_run(sessions, result)
        except Exception as exc:
            if not database_unavailable(exc) or time.monotonic() + delay > give_up:
                raise
            if not waited:
                log.warning(
                    "crawl: source=%d: the database is unavailable (%s): run %d is closed "
                    "when it returns",
                    result.source_id,
                    describe(exc),
                    result.run_id,
                )
                waited = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)
            continue
        return


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _read_run(sessions: sessionmaker[Session], result: CrawlResult) -> None:
    with session_scope(sessions) as session:
        run = session.get_one(CrawlRun, result.run_id)
        result.status = run.status
        result.pages = run.pages
        result.records = run.records
        result.new = run.new
        result.updated = run.updated
        result.gone = run.gone
        result.errors = run.errors
        result.first_error = run.first_error


async def _follow_progress(
    stream: asyncio.StreamReader, result: CrawlResult, on_event: ProgressCallback | None
) -> None:
    while True:
        try:
            line = await stream.readline()
        except ValueError:  # a line longer than the stream's limit: skip it
            continue
        if not line:
            return
        try:
            progress = json.loads(line).get("progress")
        except (ValueError, AttributeError):
            continue
        if isinstance(progress, dict):
            result.pages = int(progress.get("pages", result.pages))
            result.records = int(progress.get("records", result.records))
            if "seconds" in progress:
                result.crawl_seconds = float(progress["seconds"])
            if on_event:
                on_event("progress", result)


async def _tail(stream: asyncio.StreamReader) -> bytes:
    """The end of a stream, read to its end (a chatty child must never block on a full pipe)."""
    kept = b""
    while chunk := await stream.read(65536):
        kept = (kept + chunk)[-STDERR_TAIL * 4 :]
    return kept


async def _hand_over(stdin: asyncio.StreamWriter, child_settings: ChildSettings) -> None:
    """The settings on the child's stdin, then end of file (a child that died early is
    reported by its exit code and stderr, not here)."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(child_settings.to_json().encode())
        await stdin.drain()
    stdin.close()


async def _run_child(
    result: CrawlResult,
    time_limit: int,
    kill_after: float,
    child_settings: ChildSettings,
    on_event: ProgressCallback | None,
) -> tuple[int | None, str]:
    """Run the child to its end or kill it; (exit code or None when killed, stderr tail)."""
    process = await asyncio.create_subprocess_exec(
        *child_command(result.source_id, result.run_id, time_limit),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_environment(),
        # Its own session: a Ctrl-C meant for the daemon or `vahti crawl` does not reach the
        # child; the parent stops it (time limit, shutdown bound) and closes its run.
        start_new_session=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None and process.stderr is not None
    readers = asyncio.gather(
        _follow_progress(process.stdout, result, on_event), _tail(process.stderr)
    )
    try:
        await _hand_over(process.stdin, child_settings)
        _, stderr = await asyncio.wait_for(asyncio.shield(readers), timeout=kill_after)
        await process.wait()
    except BaseException:  # timed out, cancelled, or the runner itself failed: no orphans
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        with contextlib.suppress(Exception):
            await readers
        raise
    return process.returncode, stderr.decode("utf-8", "replace").strip()


async def crawl_one(
    sessions: sessionmaker[Session],
    source_id: int,
    *,
    time_limit: int,
    child_settings: ChildSettings,
    on_event: ProgressCallback | None = None,
    kill_grace: float = KILL_GRACE_SECONDS,
) -> CrawlResult:
    """Crawl one source in a child process; the result is read from its closed CrawlRun.

    The child gets `child_settings` (with the database) on its stdin and nothing of this
    process's settings or environment. It stops itself at `time_limit` seconds; one still
    running `kill_grace` seconds later is killed."""
    result = _start_run(sessions, source_id)
    if on_event:
        on_event("started", result)
    started = time.monotonic()
    try:
        code, stderr = await _run_child(
            result, time_limit, time_limit + kill_grace, child_settings, on_event
        )
    except TimeoutError:
        status, message = "timeout", f"killed after {time_limit + kill_grace:g} s"
    except asyncio.CancelledError:
        _close_broken_run(sessions, result, vocab.RUN_CANCELLED, "crawl stopped by a shutdown")
        raise
    except OSError as exc:
        status, message = "failed", f"cannot start the crawl process: {exc}"
    except Exception as exc:  # one source's trouble must not stop the others
        status, message = "failed", f"the crawl runner failed: {exc!r}"
    else:
        if code == DATABASE_UNAVAILABLE_EXIT:  # not the site's fault: cancelled
            status = vocab.RUN_CANCELLED
            message = _last_line(stderr).removeprefix("error: ") or "the database was unavailable"
        else:
            # The child closes its own run; one still "running" means the child died first.
            status, message = "failed", stderr or f"exit code {code}"
    await _close_when_possible(sessions, result, status, message)
    result.duration_s = time.monotonic() - started
    if on_event:
        on_event("finished", result)
    return result
