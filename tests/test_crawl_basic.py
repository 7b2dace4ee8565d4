"""The thin path end to end: a JSON-LD site crawled in a child process into listings and events,
then a digest into the file outbox."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from tests.fixtures.skeleton.make_pages import pages
from tests.support.http import SiteServer


def serve(site_server: SiteServer) -> str:
    for path, html in pages(date.today()).items():  # noqa: DTZ011 - the site is "live" today
        site_server.add(path, html)
    site_server.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    return site_server.url("/tapahtumat/")


def listing_rows(tmp_path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "vahti.db") as connection:
        return connection.execute(
            "SELECT id, source_id, external_id, title, start_at, content_hash, first_seen_at "
            "FROM listings ORDER BY id"
        ).fetchall()


def test_crawling_the_same_source_twice_leaves_the_same_rows(
    run_vahti,
    site_server: SiteServer,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    url = serve(site_server)
    added = run_vahti("sources", "add", url, "--name", "Työllisyyspalvelut", "--kind", "jsonld")
    assert added.returncode == 0, added.stderr
    first = run_vahti("crawl")
    assert first.returncode == 0, first.stdout + first.stderr
    rows = listing_rows(tmp_path)
    assert sorted(r[3] for r in rows) == [
        "CV-klinikka maahanmuuttajille",
        "Mentoring programme info session",
        "Rekrytointimessut Helsinki",
    ]
    second = run_vahti("crawl")
    assert second.returncode == 0, second.stdout + second.stderr
    assert listing_rows(tmp_path) == rows
    source = json.loads(run_vahti("sources", "list", "--json").stdout)[0]
    assert source["health"] == "ok"
    assert source["records"] == 3


def test_crawl_dedupe_and_digest_into_the_outbox(
    run_vahti,
    site_server: SiteServer,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    url = serve(site_server)
    run_vahti("sources", "add", url, "--kind", "jsonld")
    assert run_vahti("crawl").returncode == 0
    assert run_vahti("dedupe").returncode == 0
    events = json.loads(run_vahti("events", "list", "--json").stdout)
    assert len(events) == 3
    fair = next(e for e in events if e["title"] == "Rekrytointimessut Helsinki")
    assert fair["city"] == "Helsinki"
    assert fair["start"].endswith("17:00:00+02:00")
    assert "job-fair" in fair["categories"]
    assert fair["sources"] == [site_server.url("/tapahtumat/rekrytointimessut/")]
    assert "<script>" not in json.dumps(events)
    run_vahti("subscribers", "add", "anna@example.fi", "--category", "job-fair", "--confirmed")
    sent = run_vahti("digest", "send", "--now")
    assert sent.returncode == 0, sent.stderr
    outbox = list((tmp_path / "outbox").glob("*.eml"))
    assert len(outbox) == 1
    message = outbox[0].read_text()
    assert "Rekrytointimessut Helsinki" in message
    assert "CV-klinikka" not in message  # not a job fair
    again = run_vahti("digest", "send", "--now")
    assert again.returncode == 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
