"""The demo's calendars as calendar programs read them (python-icalendar and
recurring-ical-events), and every link a person can click in feeds, pages, .ics and digests:
none leads to the Linked Events API's JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import feedparser
import pytest
import recurring_ical_events
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from store.db import make_engine, session_factory
from store.models import Source
from tests.clients.conftest import DemoRun
from tests.clients.demo_web import demo_client, digest_texts, personal_feed_paths

URL = re.compile(r"https?://[^\s\"'<>)\]]+")


@pytest.fixture(scope="module")
def client(demo_run: DemoRun) -> Iterator[TestClient]:
    with demo_client(demo_run) as made:
        yield made


@pytest.fixture(scope="module")
def sources(demo_run: DemoRun) -> dict[str, str]:
    """Each demo source's name by kind, and the Linked Events API's address."""
    engine = make_engine(demo_run.database_url)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(select(Source.kind, Source.name, Source.url)).all()
    finally:
        engine.dispose()
    found = {row.kind: row.name for row in rows}
    api = next(row.url for row in rows if row.kind == "linkedevents")
    parts = urlsplit(api)
    found["api"] = f"{parts.scheme}://{parts.netloc}{parts.path.split('/v1/')[0]}/v1/"
    return found


def api_links(text: str, api: str) -> list[str]:
    return [url for url in URL.findall(text) if url.startswith(api)]


def calendar(client: TestClient, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_the_ics_feed_names_sources_and_links_pages(
    client: TestClient, sources: dict[str, str]
) -> None:
    cal = calendar(client, "/feeds/events.ics?lang=en")
    now = datetime.now(UTC)
    occurrences = recurring_ical_events.of(cal).between(
        now - timedelta(days=1), now + timedelta(days=400)
    )
    assert len(occurrences) >= 20
    events = [e for e in cal.walk("VEVENT") if not str(e["UID"]).endswith("-deadline@testserver")]
    # A Linked Events listing without info_url: the event links to a page, not to the API.
    from_api = [e for e in events if sources["linkedevents"] in str(e.get("DESCRIPTION", ""))]
    assert from_api, "the Linked Events source is named in some DESCRIPTION"
    for event in events:
        description = str(event.get("DESCRIPTION", ""))
        assert not api_links(description, sources["api"]), description
        assert not str(event["URL"]).startswith(sources["api"]), event["URL"]
        assert "127.0.0.1, 127.0.0.1" not in description
        host_only = re.search(r"(?m)^[^\n]*: (127\.0\.0\.1(, )?)+$", description)
        assert host_only is None, description
    # Positive control: the organiser's page where one is known, named sources beside it.
    others = [name for kind, name in sources.items() if kind not in ("api", "linkedevents")]
    assert any(name in str(e.get("DESCRIPTION", "")) for e in events for name in others)
    assert any("/bron/aktuellt/" in str(e["URL"]) for e in events)
    assert any(str(e["URL"]).startswith("http://testserver/events/") for e in from_api)


def test_one_event_ics_says_the_same(client: TestClient, sources: dict[str, str]) -> None:
    feed = json.loads(client.get("/feeds/events.json?lang=fi").content)
    listed = [
        i
        for i in feed["items"]
        if any(s["name"] == sources["linkedevents"] for s in i["_event"]["listed_at"])
    ]
    assert listed
    for item in listed:
        cal = calendar(client, f"/events/{item['_event']['id']}.ics")
        (event,) = [e for e in cal.walk("VEVENT") if "deadline" not in str(e["UID"])]
        assert sources["linkedevents"] in str(event["DESCRIPTION"])
        assert not api_links(event.to_ical().decode(), sources["api"])


def test_no_link_anywhere_leads_to_the_api(
    client: TestClient, demo_run: DemoRun, sources: dict[str, str]
) -> None:
    api = sources["api"]
    documents: dict[str, str] = {}
    for fmt in ("atom", "rss", "json", "ics"):
        for lang in ("fi", "sv", "en"):
            documents[f"{fmt} {lang}"] = client.get(f"/feeds/events.{fmt}?lang={lang}").text
    for path in personal_feed_paths(demo_run):
        documents[path] = client.get(path).text
    feed = json.loads(documents["json fi"])
    for item in feed["items"]:
        page = client.get(f"/events/{item['_event']['id']}")
        documents[f"page {item['_event']['id']}"] = page.text
    for number, text in enumerate(digest_texts(demo_run)):
        documents[f"digest part {number}"] = text
    for name, text in documents.items():
        assert not api_links(text, api), (name, api_links(text, api)[:3])
    # Positive control: the API is there (the demo crawled it) and its events are shown,
    # named by their source in every kind of document.
    assert any(
        sources["linkedevents"] in text
        for name, text in documents.items()
        if name.startswith("page")
    )
    assert any(
        sources["linkedevents"] in text
        for name, text in documents.items()
        if name.startswith("digest")
    )
    assert sources["linkedevents"] in documents["atom fi"]
    assert sources["linkedevents"] in documents["ics en"]


def test_also_listed_shows_source_names_not_hosts(
    client: TestClient, demo_run: DemoRun, sources: dict[str, str]
) -> None:
    texts = digest_texts(demo_run)
    also = [
        line
        for text in texts
        for line in text.splitlines()
        if re.search(r"Myös täällä:|Finns också på:|Also listed at:", line)
    ]
    assert also, "the digests have 'also listed at' lines"
    for line in also:
        assert not re.search(
            r"(?:Myös täällä:|Finns också på:|Also listed at:)\s*127\.0\.0\.1", line
        ), line
    names = set(sources.values())
    assert any(any(name in line for name in names) for line in also)
    entries = feedparser.parse(client.get("/feeds/events.atom?lang=fi").content).entries
    others = [name for kind, name in sources.items() if kind not in ("api", "linkedevents")]
    assert any(name in entry.content[0].value for entry in entries for name in others)
