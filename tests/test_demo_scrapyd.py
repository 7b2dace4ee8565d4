"""`vahti demo --no-serve` with `crawl.backend = "scrapyd"` on two real Scrapyd nodes, after
`vahti nodes deploy`: every demo source is crawled through Scrapyd, both nodes get jobs, and
the events, digests and feeds are the same as with the local backend (issue 16, "Done when").

Both demos serve their sites on the same port (so the sources' URLs are equal) and write to
databases of their own; the nodes' jobs read the second one (tests.support.scrapyd)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from store.db import make_engine, session_factory
from store.models import CrawlRun, Event, Source
from tests.support.scrapyd import (
    ScrapydNode,
    free_port,
    start_nodes,
    stop_nodes,
    use_database,
    vahti_env_for,
)
from web.app import create_app
from web.config import WebConfig

pytestmark = pytest.mark.slow

FEEDS = ("/feeds/events.atom", "/feeds/events.rss", "/feeds/events.json", "/feeds/events.ics")
# What differs between two runs of the same demo by nature: when it ran.
VOLATILE = [
    re.compile(rb"^Date: .*$", re.M),
    re.compile(rb"<(updated|published|pubDate|lastBuildDate)>[^<]*</\1>"),
    re.compile(rb'"date_(published|modified)": "[^"]*"'),
    re.compile(rb"^(DTSTAMP|CREATED|LAST-MODIFIED):.*$", re.M),
]


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[list[ScrapydNode]]:
    started = start_nodes(2, tmp_path / "nodes")
    try:
        yield started
    finally:
        stop_nodes(started)


# Where an event's id shows: its page (and .ics), the iCalendar UID, the JSON feed's _event.
EVENT_ID = re.compile(rb'(/events/|UID:event-|"id": )(\d+)')


def event_names(url: str) -> dict[bytes, bytes]:
    """Each event's id, and what it is called in a comparison: its URL and start. The ids
    follow the order the crawls stored their listings in, which parallel crawls do not fix
    (two local demos differ in them too)."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        rows = session.execute(select(Event.id, Event.url, Event.start_at)).all()
    engine.dispose()
    names = {str(i).encode(): f"{u}@{s:%Y-%m-%dT%H:%M}".encode() for i, u, s in rows}
    assert len(set(names.values())) == len(names)
    return names


def _steady(data: bytes, names: dict[bytes, bytes]) -> bytes:
    data = data.replace(b"\r\n ", b"")  # iCalendar's folded lines, unfolded
    for pattern in VOLATILE:
        data = pattern.sub(b"", data)
    return EVENT_ID.sub(lambda found: found.group(1) + names[found.group(2)], data)


def digests(outbox: Path, names: dict[bytes, bytes]) -> dict[str, tuple[str, bytes]]:
    """Each recipient's digest: subject and body parts (the headers of a moment left out)."""
    found: dict[str, tuple[str, bytes]] = {}
    for path in outbox.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        parts = b"\n".join(
            part.get_payload(decode=True) or b""
            for part in message.walk()
            if not part.is_multipart()
        )
        found[str(message["To"])] = (str(message["Subject"]), _steady(parts, names))
    return found


def feeds(url: str, now: datetime, names: dict[bytes, bytes]) -> dict[str, list[bytes]]:
    """Each feed's lines, sorted: feeds order events of the same start by id, and the ids
    follow the crawls' order (see event_names)."""
    engine = make_engine(url)
    try:
        config = WebConfig(base_url="http://testserver", secret_key=b"test-secret")
        app = create_app(config, session_factory(engine), clock=lambda: now)
        with TestClient(app) as client:
            return {
                path: sorted(_steady(client.get(path).content, names).splitlines())
                for path in FEEDS
            }
    finally:
        engine.dispose()


def events(run_vahti: Any, url: str) -> list[dict[str, Any]]:
    listed = run_vahti("events", "list", "--json", env={"VAHTI_DATABASE__URL": url})
    assert listed.returncode == 0, listed.stderr
    return sorted(
        ({k: v for k, v in event.items() if k != "id"} for event in json.loads(listed.stdout)),
        key=lambda event: json.dumps(event, sort_keys=True),
    )


def test_the_demo_through_scrapyd_equals_the_local_demo(  # type: ignore[no-untyped-def]
    run_vahti, tmp_path: Path, nodes: list[ScrapydNode]
) -> None:
    on_nodes = vahti_env_for(nodes)
    deployed = run_vahti("nodes", "deploy", env=on_nodes, timeout=180)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    sites = {"VAHTI_DEMO__SITES_PORT": str(free_port())}
    local_db = f"sqlite:///{tmp_path / 'local.db'}"
    nodes_db = f"sqlite:///{tmp_path / 'nodes.db'}"
    use_database(nodes, nodes_db)
    runs = {}
    for name, url, env in (("local", local_db, sites), ("nodes", nodes_db, sites | on_nodes)):
        args = ["demo", "--no-serve", "--database", url, "--outbox", str(tmp_path / name)]
        runs[name] = run_vahti(*args, env=env, timeout=300)
        assert runs[name].returncode == 0, runs[name].stdout + runs[name].stderr

    engine = make_engine(nodes_db)
    with session_factory(engine)() as session:
        crawled = list(session.execute(select(CrawlRun.source_id, CrawlRun.node, CrawlRun.status)))
        sources = set(session.scalars(select(Source.id)))
    engine.dispose()
    assert {source_id for source_id, _node, _status in crawled} == sources  # every demo source
    assert {node for _id, node, _status in crawled} == {node.url for node in nodes}
    assert {status for _id, _node, status in crawled} == {"ok"}
    local_engine = make_engine(local_db)
    with session_factory(local_engine)() as session:
        assert set(session.scalars(select(CrawlRun.node))) == {None}  # the control: local
    local_engine.dispose()

    assert events(run_vahti, nodes_db) == events(run_vahti, local_db)
    local_names, node_names = event_names(local_db), event_names(nodes_db)
    local_digests = digests(tmp_path / "local", local_names)
    node_digests = digests(tmp_path / "nodes", node_names)
    assert len(local_digests) == 3
    assert node_digests == local_digests
    now = datetime.now(UTC)
    local_feeds, node_feeds = feeds(local_db, now, local_names), feeds(nodes_db, now, node_names)
    assert all(len(lines) > 100 for lines in local_feeds.values()), local_feeds
    assert node_feeds == local_feeds
