"""`vahti demo --no-serve` end to end, offline, as on a fresh machine."""

from __future__ import annotations

import json
import time
from pathlib import Path


def test_demo_crawls_dedupes_and_writes_digests(run_vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = run_vahti("demo", "--no-serve", env={"VAHTI_DEMO__SITES_PORT": "0"}, timeout=240)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo summary" in result.stdout
    outbox = list((tmp_path / "outbox").glob("*.eml"))
    assert outbox, result.stdout
    sources = json.loads(run_vahti("sources", "list", "--json").stdout)
    assert len(sources) == 6
    crawled = [s for s in sources if s["health"] == "ok"]
    assert crawled, sources
    assert all(s["records"] > 0 for s in crawled)
    events = json.loads(run_vahti("events", "list", "--json").stdout)
    assert len(events) >= 20
    assert {e["language"] for e in events} >= {"fi", "sv"}
    subscribers = json.loads(run_vahti("subscribers", "list", "--json").stdout)
    assert sorted(s["language"] for s in subscribers) == ["en", "fi", "sv"]
    # A second run updates the same sources and does not send this week's digests again.
    again = run_vahti("demo", "--no-serve", env={"VAHTI_DEMO__SITES_PORT": "0"}, timeout=240)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(json.loads(run_vahti("sources", "list", "--json").stdout)) == 6
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == len(outbox)
    assert elapsed < 120
