"""Terminal safety: the real `vahti` commands print text from sites, sources and subscribers with
control characters made visible and Rich markup left as written.

A database holds an event, a listing, a source, a crawl run and a subscriber whose texts carry
ESC sequences (clear screen, set the window title), BEL, NUL, C1 controls, a bidi override and
Rich markup, inserted past the cleaner as an older version or another tool could have left
them. Each command's stdout must hold no C0/C1 control but newline, no bidi control, and the
text in visible form (the positive control).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import CrawlRun, Event, Listing, Source, Subscriber
from tests.conftest import ROOT
from tests.support.http import SiteServer

EVIL = "Evil\x1b[2J\x1b]0;pwned\x07 [bold]markup[/bold] :smile: \u202egnp.exe\x9b\x00end"
# How EVIL shows: every control, the override and the C1 CSI as escapes; markup as written.
SHOWN = "Evil\\x1b[2J\\x1b]0;pwned\\x07 [bold]markup[/bold] :smile: \\u202egnp.exe\\x9b\\x00end"


def unsafe(output: str) -> list[str]:
    """Characters a terminal could act on (C0 but newline, DEL, C1) or that reorder text."""
    return [
        f"U+{ord(ch):04X}"
        for ch in output
        if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e"
    ]


@pytest.fixture
def hostile_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'vahti.db'}"
    engine = make_engine(url)
    upgrade(engine)
    start = datetime.now(UTC) + timedelta(days=7)
    with session_factory(engine).begin() as session:
        source = Source(
            name=f"Lähde {EVIL}",
            url="https://x.example.fi/",
            kind="jsonld",
            health="degraded",
            health_reason=f"1 error in the last crawl: {EVIL}",
        )
        session.add(source)
        session.flush()
        session.add(
            CrawlRun(
                source_id=source.id,
                status="ok",
                errors=2,
                first_error=f"https://x.example.fi/: {EVIL}",
                error_messages=[f"https://x.example.fi/: {EVIL}", f"toinen {EVIL}"],
                finished_at=start - timedelta(days=7),
            )
        )
        event = Event(
            title=f"Tapahtuma {EVIL}",
            start_at=start,
            venue=f"Paikka {EVIL}",
            city=f"Kaupunki {EVIL}",
            url=f"https://x.example.fi/{EVIL}",
            urls=[f"https://x.example.fi/{EVIL}"],
            description_text=f"Kuvaus {EVIL}",
            categories=["workshop"],
        )
        session.add(event)
        session.flush()
        session.add(
            Listing(
                source_id=source.id,
                external_id="1",
                content_hash="x",
                title=f"Tapahtuma {EVIL}",
                start_at=start,
                url=f"https://x.example.fi/{EVIL}",
                event_id=event.id,
                match_info={"rule": "strict", "with": EVIL, "score": 1},
            )
        )
        session.add(Subscriber(email=f"anna{EVIL}@example.fi", status="active"))
    engine.dispose()
    return url


def vahti(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`vahti ARGS` as a process; stdout as bytes (nothing decoded away)."""
    return subprocess.run(
        [sys.executable, "-m", "vahti", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(vahti_env: dict[str, str]) -> dict[str, str]:
    """A pipe, wide enough that nothing wraps; no colour forced by whoever runs the suite."""
    plain = {
        k: v for k, v in vahti_env.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TERM")
    }
    return {**plain, "COLUMNS": "1000", "PYTHONPATH": str(ROOT)}


COMMANDS = [
    ("events", "list"),
    ("events", "show", "1"),
    ("sources", "list"),
    ("sources", "show", "1"),
    ("subscribers", "list"),
    ("events", "list", "--json"),
    ("sources", "list", "--json"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_commands_show_hostile_text_visibly(
    args: tuple[str, ...], hostile_db: str, env: dict[str, str], tmp_path: Path
) -> None:
    done = vahti(env, tmp_path, *args)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert unsafe(out) == []
    if "--json" in args:
        text = json.dumps(json.loads(out))  # the JSON still holds the text as it is stored
        assert "\\u001b[2J" in text and "\\u202e" in text
    else:
        assert SHOWN in out  # positive control: the text is there, made visible


def test_a_terminal_gets_styles_but_no_escape_sequence_from_a_site(
    hostile_db: str, env: dict[str, str], tmp_path: Path
) -> None:
    done = vahti({**env, "FORCE_COLOR": "1"}, tmp_path, "sources", "show", "1")
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert "\x1b[1m" in out  # positive control: Rich's own bold reaches the terminal
    assert "\x1b[2J" not in out and "\x1b]0;" not in out and "\x07" not in out
    assert SHOWN in out


def test_sources_test_prints_a_hostile_page_visibly(
    site_server: SiteServer, env: dict[str, str], tmp_path: Path
) -> None:
    start = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    event = {"@type": "Event", "@id": "https://x.example.fi/1", "startDate": start}
    events = [
        {**event, "name": "Hyvä [bold]tapahtuma[/bold] \u202eesrever"},
        {**event, "@id": "https://x.example.fi/2", "name": f"Huono {EVIL}", "startDate": "x"},
    ]
    script = json.dumps(events)
    url = site_server.add("/t/", f'<script type="application/ld+json">{script}</script>')
    done = vahti(env, tmp_path, "sources", "test", url, "--kind", "jsonld")
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert unsafe(out) == []
    assert "Hyvä [bold]tapahtuma[/bold] esrever" in out  # cleaned, markup as written
    assert "skipped event 'Huono Evil" in out  # the site's error message, visible


def test_crawl_progress_shows_a_hostile_source_name_visibly(
    site_server: SiteServer, hostile_db: str, env: dict[str, str], tmp_path: Path
) -> None:
    site_server.add("/", "<html></html>")
    engine = make_engine(hostile_db)
    with session_factory(engine).begin() as session:
        source = session.get_one(Source, 1)
        source.url = site_server.url("/")
    engine.dispose()
    done = vahti(env, tmp_path, "crawl")
    out = done.stdout.decode()
    assert f"crawled Lähde {SHOWN}" in out, out
    assert unsafe(out) == []


def test_daemon_log_lines_show_hostile_text_visibly(tmp_path: Path) -> None:
    program = (
        "import logging\n"
        "from vahti.cli.run import setup_logging\n"
        "setup_logging('info')\n"
        f"logging.getLogger('vahti.crawls').info('crawl: source=1 (%s)', {EVIL!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert f"crawl: source=1 ({SHOWN})" in err
    assert unsafe(err) == []
