"""Debian's khal imports the demo's iCalendar feed and lists every event at its local time
(skipped with a reason where khal is not installed; `make test` installs it where it can)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from tests.clients.conftest import DemoRun
from tests.clients.demo_web import demo_client

KHAL = shutil.which("khal")
pytestmark = pytest.mark.skipif(
    KHAL is None, reason="khal is not installed (`make clients` installs Debian's khal)"
)
HELSINKI = ZoneInfo("Europe/Helsinki")
CONFIG = """[calendars]
[[demo]]
path = {path}
type = calendar

[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = Europe/Helsinki
default_timezone = Europe/Helsinki

[default]
default_calendar = demo
"""


@pytest.fixture(scope="module")
def feed(demo_run: DemoRun) -> Iterator[bytes]:
    with demo_client(demo_run) as client:
        yield _get(client, "/feeds/events.ics?lang=fi")


def _get(client: TestClient, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content


def khal(config: Path, *args: str) -> str:
    assert KHAL is not None
    done = subprocess.run(
        [KHAL, "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"HOME": str(config.parent), "LANG": "C.UTF-8", "TZ": "Europe/Helsinki"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_khal_imports_every_event_at_its_local_time(feed: bytes, tmp_path: Path) -> None:
    calendar_dir = tmp_path / "calendar"
    calendar_dir.mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(CONFIG.format(path=calendar_dir))
    (tmp_path / "feed.ics").write_bytes(feed)
    khal(config, "import", "--batch", "-a", "demo", str(tmp_path / "feed.ics"))

    events = [
        component
        for component in Calendar.from_ical(feed).walk("VEVENT")
        if isinstance(component.decoded("DTSTART"), datetime)
    ]
    assert events, "the feed holds timed events"
    first = min(component.decoded("DTSTART") for component in events)
    listed = khal(
        config,
        "list",
        "--format",
        "{start} | {title}",
        first.astimezone(HELSINKI).strftime("%Y-%m-%d"),
        "400d",
    )
    lines = {line.strip() for line in listed.splitlines() if " | " in line}
    for component in events:
        start = component.decoded("DTSTART").astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M")
        title = str(component.get("SUMMARY"))
        assert f"{start} | {title}" in lines, (start, title, sorted(lines)[:5])
    # What khal listed is what the feed holds, each event once.
    assert len([line for line in lines if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d \| ", line)]) == len(
        {(c.decoded("DTSTART"), str(c.get("SUMMARY"))) for c in events}
    )
