"""Auto-detection for `vahti sources add` and `vahti sources test`: run the probe, say why.

The probe runs in a child process (``python -m scrapers.probe_child``) like every crawl,
under the same Scrapy settings (services.source_trials.probe, as the admin's preview); this
module starts it and prints what it found.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Console

from vahti.cli.common import fail, state

PROBE_TIMEOUT = 120


def run_probe(url: str, config: dict[str, Any], timezone: str | None) -> dict[str, Any]:
    """The probe's detection (see scrapers.detect.Detection); exits 1 when the probe broke."""
    from services.source_trials import ChildFailed, probe

    try:
        return asyncio.run(
            probe(
                url,
                config,
                timezone,
                child_settings=state.app.child_settings(),
                time_limit=None,
                timeout=PROBE_TIMEOUT,
            )
        )
    except ChildFailed as exc:
        fail(f"auto-detection failed: {exc}", 1)


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
