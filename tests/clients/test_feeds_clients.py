"""The demo's feeds as feed readers read them: feedparser (and newsboat where installed)."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from store.db import make_engine, session_factory
from store.models import Event
from tests.clients.conftest import DemoRun
from tests.clients.demo_web import demo_client, personal_feed_paths

LANGUAGES = ("fi", "sv", "en")


@pytest.fixture(scope="module")
def client(demo_run: DemoRun) -> Iterator[TestClient]:
    with demo_client(demo_run) as made:
        yield made


def change_times(run: DemoRun) -> dict[int, datetime]:
    engine = make_engine(run.database_url)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(select(Event.id, Event.updated_at)).all()
    finally:
        engine.dispose()
    return {row.id: row.updated_at.replace(tzinfo=row.updated_at.tzinfo or UTC) for row in rows}


def atom_feeds(client: TestClient, demo_run: DemoRun) -> dict[str, bytes]:
    feeds = {
        f"public {lang}": client.get(f"/feeds/events.atom?lang={lang}").content
        for lang in LANGUAGES
    }
    paths = personal_feed_paths(demo_run)
    assert paths, "the digests link to personal feeds"
    feeds.update({f"personal {path}": client.get(path).content for path in paths})
    return feeds


def test_atom_content_is_html_for_feedparser(client: TestClient, demo_run: DemoRun) -> None:
    for name, body in atom_feeds(client, demo_run).items():
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        assert parsed.entries, name
        for entry in parsed.entries:
            assert entry.content[0].type == "text/html", (name, entry.title)
            assert "<p>" in entry.content[0].value  # the markup is markup, read as HTML
        # The feed XML itself says so.
        assert b'<content type="html">' in body, name


def test_each_entry_says_its_day_and_is_dated_by_its_change(
    client: TestClient, demo_run: DemoRun
) -> None:
    changed = change_times(demo_run)
    for name, body in atom_feeds(client, demo_run).items():
        entries = feedparser.parse(body).entries
        titles = Counter(entry.title for entry in entries)
        assert titles.most_common(1)[0][1] == 1, (name, titles.most_common(3))
        for entry in entries:
            event_id = int(entry.link.rstrip("/").rsplit("/", 1)[1])
            updated = datetime(*entry.updated_parsed[:6], tzinfo=UTC)
            assert updated == changed[event_id].replace(microsecond=0), (name, entry.title)
            # The first line of the summary tells when, as the event page does.
            assert re.search(r"\d{1,2}[.:]\d{2}|\d{4}", entry.summary), entry.summary


def test_a_series_is_told_apart_in_the_feed_language(client: TestClient) -> None:
    """Same event title on several days: each title carries its own day, in fi, sv and en."""
    weekdays = {
        "fi": ("ma", "ti", "ke", "to", "pe", "la", "su"),
        "sv": ("mån", "tis", "ons", "tors", "fre", "lör", "sön"),
        "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    }
    for lang in LANGUAGES:
        entries = feedparser.parse(client.get(f"/feeds/events.atom?lang={lang}").content).entries
        bare = Counter(entry.title.rsplit(" · ", 1)[0] for entry in entries)
        series = [title for title, count in bare.items() if count > 1]
        assert series, f"the demo has a series ({lang})"
        for entry in entries:
            day = entry.title.rsplit(" · ", 1)[1]
            assert day.split()[0].rstrip(",.") in weekdays[lang], (lang, entry.title)


# ---- newsboat, where Debian's package is installed ----------------------------------------


def rendered(html: str) -> str:
    """What an HTML renderer shows of `html`: its text, entities read (markup gone)."""
    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(html)
    parser.close()
    return "".join(parts)


def test_newsboat_shows_the_entry_text_not_its_markup(client: TestClient, tmp_path: Path) -> None:
    """newsboat keeps each article as the HTML it renders: text content arrives escaped
    (`&lt;p&gt;`, shown as `<p>`), HTML content as markup (shown as paragraphs)."""
    newsboat = shutil.which("newsboat")
    if newsboat is None:
        pytest.skip("newsboat is not installed (`make clients` installs Debian's package)")
    feed = tmp_path / "events.atom"
    feed.write_bytes(client.get("/feeds/events.atom?lang=fi").content)
    urls = tmp_path / "urls"
    urls.write_text(f"file://{feed}\n")
    config = tmp_path / "config"
    config.write_text("")
    home = tmp_path / "home"
    home.mkdir()
    cache = tmp_path / "cache.db"
    done = subprocess.run(
        [newsboat, "-u", urls, "-C", config, "-c", cache, "-x", "reload", "print-unread"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    count = re.match(r"(\d+) unread articles", done.stdout.strip())
    assert count and int(count[1]) > 0, done.stdout
    with sqlite3.connect(cache) as connection:
        rows = connection.execute("SELECT title, content FROM rss_item").fetchall()
    assert len(rows) == int(count[1])
    for title, content in rows:
        shown = rendered(content)
        assert "<p>" not in shown and "<a " not in shown, (title, shown[:200])
        assert re.search(r"\d{4}", shown.split("\n")[0]), shown[:200]  # the date line first
    assert len({title for title, _ in rows}) == len(rows)  # a series is told apart
