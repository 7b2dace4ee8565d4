"""Crawls as an admin runs them: time limits, the `vahti crawl` command, sources list and show."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scrapers.runner import due_source_ids
from services.crawl_queue import CrawlQueue
from store import vocab
from store.models import CrawlRun, Source
from tests.conftest import Database
from tests.support.children import child_settings
from tests.support.http import SiteServer

START = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
PAGE = (
    '<html><head><script type="application/ld+json">'
    '{"@type": "Event", "@id": "https://x.example.fi/1", "name": "Työnhakuklinikka",'
    f' "startDate": "{START}"}}</script></head></html>'
)


def add_source(db: Database, url: str) -> int:
    with db.sessions.begin() as session:
        source = Source(name="hidas", url=url, kind="jsonld", interval_hours=1.0)
        session.add(source)
        session.flush()
        return source.id


def only_run(db: Database, source_id: int) -> tuple[CrawlRun, Source]:
    with db.sessions() as session:
        run = session.query(CrawlRun).filter_by(source_id=source_id).one()
        return run, session.get_one(Source, source_id)


def test_a_crawl_that_hits_its_time_limit_stops_and_says_so(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    source_id = add_source(sqlite_db, site_server.add("/hidas/", PAGE, delay=6))
    queue = CrawlQueue(
        sqlite_db.sessions,
        max_parallel=1,
        time_limit=3,
        child_settings=child_settings(sqlite_db.url),
    )
    [result] = asyncio.run(queue.run([source_id]))
    run, source = only_run(sqlite_db, source_id)
    assert result.status == run.status == "timeout" and result.failed
    assert run.first_error == (
        "stopped at the time limit (crawl.time_limit_seconds); none marked gone"
    )
    assert source.health == vocab.HEALTH_FAILING


def test_a_crawl_process_that_overruns_is_killed(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    source_id = add_source(sqlite_db, site_server.add("/hidas/", PAGE, delay=8))
    queue = CrawlQueue(
        sqlite_db.sessions,
        max_parallel=1,
        time_limit=1,
        kill_grace=0.5,
        child_settings=child_settings(sqlite_db.url),
    )
    [result] = asyncio.run(queue.run([source_id]))
    run, source = only_run(sqlite_db, source_id)
    assert (run.status, run.first_error) == ("timeout", "killed after 1.5 s")
    assert result.duration_s < 5
    assert (source.health, source.consecutive_failures) == (vocab.HEALTH_FAILING, 1)


def test_due_sources_are_the_enabled_ones_whose_time_has_come(db: Database, now: datetime) -> None:
    with db.sessions.begin() as session:
        rows = [
            Source(name="never crawled", url="u1"),
            Source(name="due", url="u2", next_crawl_at=now - timedelta(minutes=1)),
            Source(name="later", url="u3", next_crawl_at=now + timedelta(hours=1)),
            Source(name="off", url="u4", enabled=False),
        ]
        session.add_all(rows)
    with db.sessions() as session:
        assert due_source_ids(session, now) == [rows[0].id, rows[1].id]


def test_vahti_crawl_shows_a_summary_and_exits_1_when_a_source_failed(
    run_vahti, site_server: SiteServer
) -> None:  # type: ignore[no-untyped-def]
    good = site_server.add("/hyva/", PAGE)
    bad = site_server.add("/rikki/", "oops", status=500)
    assert run_vahti("sources", "add", good, "--kind", "jsonld", "--name", "Hyvä").returncode == 0
    assert run_vahti("sources", "add", bad, "--kind", "jsonld", "--name", "Rikki").returncode == 0
    crawl = run_vahti("crawl")
    assert crawl.returncode == 1, crawl.stderr
    assert "crawl summary" in crawl.stdout
    assert "2 sources: 1 crawled, 1 failed" in crawl.stdout
    assert "Rikki: " in crawl.stdout and "HTTP 500" in crawl.stdout

    listed = json.loads(run_vahti("sources", "list", "--json").stdout)
    assert [(s["name"], s["health"], s["last_status"]) for s in listed] == [
        ("Hyvä", "ok", "ok"),
        ("Rikki", "failing", "failed"),
    ]
    assert listed[1]["health_reason"].startswith("failed once: ")
    table = run_vahti("sources", "list", env={"COLUMNS": "200"}).stdout
    assert "Failing" in table and "backing off: 24 h" in table

    shown = run_vahti("sources", "show", "2", env={"COLUMNS": "200"})
    assert shown.returncode == 0
    assert "last runs" in shown.stdout and "500×1" in shown.stdout
    assert re.search(r"run \d+ \(failed\): http://127\.0\.0\.1:\d+/rikki/: HTTP 500", shown.stdout)


def test_vahti_crawl_of_healthy_sources_exits_0(run_vahti, site_server: SiteServer) -> None:  # type: ignore[no-untyped-def]
    run_vahti("sources", "add", site_server.add("/hyva/", PAGE), "--kind", "jsonld")
    crawl = run_vahti("crawl", "--source", "1")
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    assert "1 source: 1 crawled, 0 failed; 1 new" in crawl.stdout
    shown = run_vahti("sources", "show", "1").stdout
    assert "no errors in the last runs" in shown
