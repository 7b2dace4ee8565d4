"""Auto-detection for `vahti sources add` and `vahti sources test`: run the probe, say why.

The probe runs in a child process (``python -m scrapers.probe_child``) like every crawl,
under the same Scrapy settings (services.source_trials.probe, as the admin's preview); this
module starts it and prints what it found.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Console
from rich.text import Text

from vahti.cli.common import fail, plain, state, visible

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
    url, reason = visible(found["url"]), visible(found["reason"])
    if found["kind"]:
        line = Text.assemble("detected ", (visible(found["kind"]), "bold"), f" at {url}: {reason}")
    else:
        line = Text.assemble((f"no way to read {url} found", "red"), f": {reason}")
    console.print(line, soft_wrap=True)
    for tried in found.get("tried") or []:
        console.print(plain(f"  tried {tried}"), soft_wrap=True)
    if found.get("hint"):
        console.print(plain(found["hint"]), soft_wrap=True)
