"""Rendered feeds are kept per data version and shared by web processes (web/feeds/cache.py):
the spliced Atom/RSS bytes are feedgen's own, a second app on the same database serves the
first one's feed without reading the events, a change written anywhere shows in every app's
next response, and after a change only the changed event is loaded again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from store.models import Event, RenderedFeed
from tests.web.conftest import WebEnv
from web.feeds import syndication
from web.feeds.items import FeedInfo, make_item


@contextmanager
def statements_of(web: WebEnv) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    sa_event.listen(web.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(web.db.engine, "before_cursor_execute", record)


def reads_events(seen: list[tuple[str, Any]]) -> bool:
    return any("events.title" in statement for statement, _ in seen)


def seed(web: WebEnv, count: int = 6) -> list[int]:
    changed = web.clock.now - timedelta(hours=2)
    return [
        web.add_event(
            title=f"Tapahtuma {n} <&> ]]>",
            titles={"en": f"Event {n}"},
            description_html=f"<p>Rivi {n}\ntoinen rivi</p><ul><li>a</li></ul>" * (n % 3),
            start_at=web.clock.now + timedelta(days=n + 1),
            end_at=web.clock.now + timedelta(days=n + 1, hours=2),
            city=None if n % 4 == 0 else "Espoo",
            attendance="online" if n % 4 == 0 else "onsite",
            categories=["seminar", "course"][: 1 + n % 2],
            deadline_at=web.clock.now + timedelta(days=n) if n % 2 else None,
            updated_at=changed - timedelta(minutes=n),
            created_at=changed - timedelta(days=1),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_spliced_feed_is_feedgens_whole_feed_byte_for_byte(web: WebEnv, fmt: str) -> None:
    seed(web)
    with web.db.sessions() as session:
        rows = session.scalars(select(Event).order_by(Event.start_at)).all()
        items = [
            make_item(
                row,
                language="fi",
                base_url="http://testserver",
                viewer_zone="Europe/Helsinki",
                gettext=lambda text: text,
            )
            for row in rows
        ]
    info = FeedInfo("Otsikko", "Ala & otsikko", "http://h/", "http://h/f", "fi", "http://h", "h")
    whole = syndication.whole_feed(fmt, info, items)
    spliced = syndication.atom(info, items) if fmt == "atom" else syndication.rss(info, items)
    assert spliced == whole
    assert spliced.count(b"<entry>" if fmt == "atom" else b"<item>") == len(items) == 6
    empty = syndication.atom(info, []) if fmt == "atom" else syndication.rss(info, [])
    assert empty == syndication.whole_feed(fmt, info, [])


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_a_feed_after_a_change_equals_one_rendered_from_nothing(apps: Any, fmt: str) -> None:
    first, fresh = apps(), apps()
    ids = seed(first)
    url = f"/feeds/events.{fmt}?lang=sv"
    first.client.get(url)  # every entry now kept in the first app
    with first.db.sessions.begin() as session:
        row = session.get_one(Event, ids[2])
        row.titles = {**row.titles, "sv": "Nytt namn"}
        row.updated_at = first.clock.now - timedelta(minutes=1)
    after = first.client.get(url)
    with fresh.db.sessions.begin() as session:
        session.query(RenderedFeed).delete()
    from_nothing = fresh.client.get(url)
    assert b"Nytt namn" in after.content
    assert after.content == from_nothing.content
    assert after.headers["etag"] == from_nothing.headers["etag"]


def test_web_processes_share_a_rendered_feed_and_see_a_change_made_elsewhere(apps: Any) -> None:
    one, two = apps(), apps()
    ids = seed(one)
    url = "/feeds/events.atom?lang=fi"
    rendered = one.client.get(url)
    assert rendered.status_code == 200 and b"Tapahtuma 3" in rendered.content
    with statements_of(two) as seen:
        shared = two.client.get(url)
    # The second app serves the first one's rendering: the same bytes, the events unread.
    assert shared.content == rendered.content and shared.headers["etag"] == rendered.headers["etag"]
    assert seen and not reads_events(seen)
    # Control: a feed nobody rendered yet does read the events.
    with statements_of(two) as seen:
        assert two.client.get("/feeds/events.rss?lang=fi").status_code == 200
    assert reads_events(seen)

    # A change written by another process (as the dedupe job writes it) ...
    with one.db.sessions.begin() as session:
        row = session.get_one(Event, ids[3])
        row.title, row.updated_at = "Uusi nimi", one.clock.now - timedelta(minutes=1)
        row.sequence += 1
    # ... shows in both apps' next responses, conditional or not.
    for app in (two, one):
        again = app.client.get(url, headers={"If-None-Match": rendered.headers["etag"]})
        assert again.status_code == 200 and b"Uusi nimi" in again.content
        assert b"Tapahtuma 3" not in again.content
    with one.db.sessions() as session:
        versions = session.scalar(select(func.count(func.distinct(RenderedFeed.data_version))))
    assert versions == 1  # rows of the older data version are gone


def test_after_a_change_only_the_changed_event_is_loaded_again(web: WebEnv) -> None:
    ids = seed(web)
    url = "/feeds/events.atom?lang=en"
    web.client.get(url)
    with web.db.sessions.begin() as session:
        row = session.get_one(Event, ids[1])
        row.titles, row.updated_at = {"en": "Renamed"}, web.clock.now - timedelta(minutes=1)
    with statements_of(web) as seen:
        response = web.client.get(url)
    assert b"Renamed" in response.content
    loads = [params for statement, params in seen if "events.title" in statement]
    assert len(loads) == 1, loads
    values = list(loads[0].values() if isinstance(loads[0], dict) else loads[0])
    assert values == [ids[1]]
