"""What a source would give, found in child processes (Scrapy never runs in the caller's
process): `vahti sources add/test` and the admin's previews both run these.

* :func:`probe`: auto-detection, `python -m scrapers.probe_child --url U`: the kind chosen
  and why, the routes tried, a selector hint.
* :func:`dry_run`: a checked :class:`services.sources.Trial` run as
  `python -m scrapers.crawl_child --dry-run`: the records a crawl would store, with the
  crawl's errors; nothing is stored.

Both wait for their child without blocking the event loop and kill it when it overruns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from scrapers.handoff import ChildSettings
from scrapers.runner import child_environment, probe_command
from services.sources import Trial

PROBE_TIME_LIMIT = 60
PREVIEW_TIME_LIMIT = 30
KILL_GRACE = 30
SAMPLE = 10


class ChildFailed(RuntimeError):
    """The child process broke or printed nothing usable; the message says how."""


@dataclass
class DryRun:
    records: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    errors: int = 0
    error_messages: list[str] = field(default_factory=list)
    start_failed: str | None = None

    @property
    def sample(self) -> list[dict[str, Any]]:
        return self.records[:SAMPLE]


async def _run(command: list[str], child_settings: ChildSettings, timeout: float | None) -> str:
    """The child's last stdout line; ChildFailed when it fails or prints nothing, TimeoutError
    when it runs longer than `timeout` seconds (None: no limit). The child gets the crawl
    settings on stdin (no database: it stores nothing)."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_environment(),
    )
    handed = child_settings.without_database().to_json().encode()
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(handed), timeout=timeout)
    except BaseException:  # timed out or cancelled (the client went away): no orphans
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    if process.returncode != 0 or not lines:
        tail = stderr.decode("utf-8", "replace").strip().splitlines()
        raise ChildFailed(tail[-1][-500:] if tail else f"exit code {process.returncode}")
    return lines[-1]


def _waited(time_limit: int | None, timeout: float | None) -> float | None:
    """How long to wait for a child: `timeout`, else its time limit and a grace."""
    if timeout is not None:
        return timeout
    return None if time_limit is None else time_limit + KILL_GRACE


async def probe(
    url: str,
    config: dict[str, Any],
    timezone: str | None,
    *,
    child_settings: ChildSettings,
    time_limit: int | None = PROBE_TIME_LIMIT,
    timeout: float | None = None,
) -> dict[str, Any]:
    """The probe's detection as JSON (see scrapers.detect.Detection)."""
    command = probe_command(url, config, timezone=timezone, time_limit=time_limit)
    waited = _waited(time_limit, timeout)
    try:
        line = await _run(command, child_settings, waited)
    except TimeoutError as exc:
        raise ChildFailed(f"auto-detection of {url} took longer than {waited:g} s") from exc
    try:
        found: dict[str, Any] = json.loads(line)
    except ValueError as exc:
        raise ChildFailed(f"auto-detection printed no JSON: {line[:200]}") from exc
    return found


async def dry_run(
    trial: Trial,
    timezone: str | None,
    *,
    child_settings: ChildSettings,
    time_limit: int | None = PREVIEW_TIME_LIMIT,
    timeout: float | None = None,
) -> DryRun:
    """The records a crawl of the trial's URL would store (past ones too), and its errors."""
    command = trial.command(timezone=timezone, time_limit=time_limit)
    waited = _waited(time_limit, timeout)
    try:
        line = await _run(command, child_settings, waited)
    except TimeoutError as exc:
        raise ChildFailed(f"the trial crawl took longer than {waited:g} s") from exc
    try:
        result = json.loads(line)
        outcome = result["outcome"]
        return DryRun(
            records=list(result["records"]),
            pages=int(outcome.get("pages", 0)),
            errors=int(outcome.get("errors", 0)),
            error_messages=[str(m) for m in outcome.get("error_messages") or []][:20],
            start_failed=outcome.get("start_failed"),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ChildFailed(f"the trial crawl printed no records: {line[:200]}") from exc
