"""Auto-detection for `vahti sources add` and `vahti sources test`: run the probe, say why.

The probe runs in a child process (``python -m scrapers.probe_child``) like every crawl,
under the same Scrapy settings; this module starts it and prints what it found.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from rich.console import Console

from vahti.cli.common import fail, state

PROBE_TIMEOUT = 120


def run_probe(url: str, config: dict[str, Any], timezone: str | None) -> dict[str, Any]:
    """The probe's detection (see scrapers.detect.Detection); exits 1 when the probe broke."""
    from scrapers.runner import child_environment, probe_command

    command = probe_command(url, config, timezone=timezone)
    try:
        completed = subprocess.run(
            command,
            input=state.app.child_settings().without_database().to_json(),
            capture_output=True,
            text=True,
            env=child_environment(),
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        fail(f"auto-detection of {url} took longer than {PROBE_TIMEOUT} s", code=1)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        tail = completed.stderr.strip().splitlines()
        fail(f"auto-detection failed: {tail[-1] if tail else 'the probe printed nothing'}", 1)
    found: dict[str, Any] = json.loads(lines[-1])
    return found


def show_detection(found: dict[str, Any], console: Console) -> None:
    """What was chosen and why (or why nothing), with the routes that were tried."""
    if found["kind"]:
        console.print(
            f"detected [bold]{found['kind']}[/bold] at {found['url']}: {found['reason']}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"[red]no way to read {found['url']} found[/red]: {found['reason']}",
            highlight=False,
            soft_wrap=True,
        )
    for line in found.get("tried") or []:
        console.print(f"  tried {line}", highlight=False, soft_wrap=True)
    if found.get("hint"):
        console.print(found["hint"], highlight=False, soft_wrap=True)
