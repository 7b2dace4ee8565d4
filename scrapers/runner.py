"""Run crawls as child processes, a few at a time, each with a hard time limit.

Used by `vahti crawl` and by the daemon. The CrawlRun row is created here before the child
starts, so a child that crashes or is killed still leaves a failed run behind.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from scrapers.bookkeeping import backoff_hours
from store import vocab
from store.db import session_scope
from store.models import CrawlRun, Source

# Extra seconds a child gets after its own Scrapy time limit before it is killed.
KILL_GRACE_SECONDS = 30
STDERR_TAIL = 2000


@dataclass
class CrawlResult:
    source_id: int
    name: str
    run_id: int
    status: str = "running"
    records: int = 0
    new: int = 0
    updated: int = 0
    gone: int = 0
    errors: int = 0
    first_error: str | None = None
    duration_s: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "timeout")


ProgressCallback = Callable[[str, CrawlResult], None]


def child_command(source_id: int, run_id: int, time_limit: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scrapers.crawl_process",
        "--source-id",
        str(source_id),
        "--run-id",
        str(run_id),
        "--time-limit",
        str(time_limit),
    ]


def child_environment(settings_path: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if settings_path is not None:
        env["VAHTI_SETTINGS"] = str(settings_path.resolve())
    # The children must import this checkout even when it is not installed.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


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
    """The child died or was killed before closing its run: record that and back off."""
    now = datetime.now(UTC)
    with session_scope(sessions) as session:
        run = session.get_one(CrawlRun, result.run_id)
        if run.status != "running":
            return
        run.status = status
        run.finished_at = now
        run.duration_s = (now - run.started_at).total_seconds()
        run.first_error = message[-STDERR_TAIL:]
        run.errors = max(run.errors, 1)
        source = session.get_one(Source, result.source_id)
        source.consecutive_failures += 1
        source.health = vocab.HEALTH_FAILING
        source.last_run_at = now
        wait = backoff_hours(source.interval_hours, source.consecutive_failures)
        source.next_crawl_at = now + timedelta(hours=wait)


def _read_run(sessions: sessionmaker[Session], result: CrawlResult) -> None:
    with session_scope(sessions) as session:
        run = session.get_one(CrawlRun, result.run_id)
        result.status = run.status
        result.records = run.records
        result.new = run.new
        result.updated = run.updated
        result.gone = run.gone
        result.errors = run.errors
        result.first_error = run.first_error


async def crawl_one(
    sessions: sessionmaker[Session],
    source_id: int,
    *,
    time_limit: int,
    settings_path: Path | None = None,
    on_event: ProgressCallback | None = None,
) -> CrawlResult:
    result = _start_run(sessions, source_id)
    if on_event:
        on_event("started", result)
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *child_command(source_id, result.run_id, time_limit),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_environment(settings_path),
    )
    try:
        _stdout, stderr = await asyncio.wait_for(
            process.communicate(), timeout=time_limit + KILL_GRACE_SECONDS
        )
    except TimeoutError:
        process.kill()
        await process.wait()
        _close_broken_run(
            sessions, result, "timeout", f"killed after {time_limit + KILL_GRACE_SECONDS} s"
        )
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        _close_broken_run(sessions, result, "failed", "crawl cancelled (shutting down)")
        raise
    else:
        # The child closes its own run; one still "running" means the child died first.
        tail = stderr.decode("utf-8", "replace").strip() or f"exit code {process.returncode}"
        _close_broken_run(sessions, result, "failed", tail)
    _read_run(sessions, result)
    result.duration_s = time.monotonic() - started
    if on_event:
        on_event("finished", result)
    return result


async def crawl_many(
    sessions: sessionmaker[Session],
    source_ids: Sequence[int],
    *,
    max_parallel: int,
    time_limit: int,
    settings_path: Path | None = None,
    on_event: ProgressCallback | None = None,
) -> list[CrawlResult]:
    """Crawl the sources, at most `max_parallel` at once; results in the order given."""
    gate = asyncio.Semaphore(max_parallel)

    async def guarded(source_id: int) -> CrawlResult:
        async with gate:
            return await crawl_one(
                sessions,
                source_id,
                time_limit=time_limit,
                settings_path=settings_path,
                on_event=on_event,
            )

    return list(await asyncio.gather(*(guarded(s) for s in source_ids)))
