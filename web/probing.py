"""What a source would give, found in child processes (Scrapy never runs in the web process).

* :func:`probe`: auto-detection, `python -m scrapers.probe_child --url U` (what the CLI's
  `vahti sources add` runs): the kind chosen and why, the routes tried, a selector hint.
* :func:`dry_run`: `python -m scrapers.crawl_child --dry-run`: the records a crawl would
  store, with the crawl's errors; nothing is stored.

Both wait for their child without blocking the event loop and kill it after `timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from scrapers.handoff import ChildSettings
from scrapers.runner import child_environment, dry_run_command, probe_command

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


async def _run(command: list[str], child_settings: ChildSettings, timeout: float) -> str:
    """The child's last stdout line; ChildFailed when it fails, prints nothing or overruns.
    The child gets the crawl settings on stdin (no database: it stores nothing)."""
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


async def probe(
    url: str,
    config: dict[str, Any],
    timezone: str,
    *,
    child_settings: ChildSettings,
    time_limit: int = PROBE_TIME_LIMIT,
) -> dict[str, Any]:
    """The probe's detection as JSON (see scrapers.detect.Detection)."""
    command = probe_command(url, config, timezone=timezone, time_limit=time_limit)
    try:
        line = await _run(command, child_settings, time_limit + KILL_GRACE)
    except TimeoutError as exc:
        raise ChildFailed(f"auto-detection took longer than {time_limit + KILL_GRACE} s") from exc
    try:
        found: dict[str, Any] = json.loads(line)
    except ValueError as exc:
        raise ChildFailed(f"auto-detection printed no JSON: {line[:200]}") from exc
    return found


async def dry_run(
    url: str,
    kind: str,
    config: dict[str, Any],
    timezone: str,
    *,
    child_settings: ChildSettings,
    time_limit: int = PREVIEW_TIME_LIMIT,
) -> DryRun:
    """The records a crawl of `url` as `kind` would store (past ones too), and its errors."""
    command = dry_run_command(url, kind, config, timezone=timezone, time_limit=time_limit)
    try:
        line = await _run(command, child_settings, time_limit + KILL_GRACE)
    except TimeoutError as exc:
        raise ChildFailed(f"the trial crawl took longer than {time_limit + KILL_GRACE} s") from exc
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
