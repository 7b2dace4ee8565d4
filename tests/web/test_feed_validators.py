"""Feeds answer 304 for If-None-Match and If-Modified-Since; iCalendar SEQUENCE follows
Event.sequence; a repeated conditional request does not read the events."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from typing import Any

from icalendar import Calendar
from sqlalchemy import event as sa_event

from store.models import Event, Subscriber
from store.tokens import make_token
from tests.web.conftest import SECRET, WebEnv


def http_date(moment: Any) -> str:
    return format_datetime(moment.replace(microsecond=0), usegmt=True)


def test_ics_carries_the_events_sequence_on_the_event_and_its_deadline(web: WebEnv) -> None:
    web.add_event(sequence=3, deadline_at=web.clock.now + timedelta(days=1))
    calendar = Calendar.from_ical(web.client.get("/feeds/events.ics").content)
    assert [int(v["SEQUENCE"]) for v in calendar.walk("VEVENT")] == [3, 3]
    single = Calendar.from_ical(web.client.get("/events/1.ics").content)
    assert int(single.walk("VEVENT")[0]["SEQUENCE"]) == 3


def test_last_modified_is_the_newest_change_and_if_modified_since_gets_304(web: WebEnv) -> None:
    changed = web.clock.now - timedelta(hours=1)
    web.add_event(updated_at=changed, created_at=changed)
    first = web.client.get("/feeds/events.atom")
    assert first.status_code == 200
    assert first.headers["last-modified"] == http_date(changed)
    again = web.client.get("/feeds/events.atom", headers={"If-Modified-Since": http_date(changed)})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["last-modified"] == http_date(changed)
    older = web.client.get(
        "/feeds/events.rss", headers={"If-Modified-Since": http_date(changed - timedelta(days=1))}
    )
    assert older.status_code == 200 and b"Rekrytointimessut" in older.content


def test_a_change_to_an_event_answers_200_with_a_newer_last_modified(web: WebEnv) -> None:
    changed = web.clock.now - timedelta(hours=1)
    event_id = web.add_event(updated_at=changed)
    since = web.client.get("/feeds/events.json").headers["last-modified"]
    later = web.clock.now - timedelta(minutes=5)
    with web.db.sessions.begin() as session:
        row = session.get_one(Event, event_id)
        row.title, row.updated_at = "Rekrytointimessut – uusi paikka", later
    response = web.client.get("/feeds/events.json", headers={"If-Modified-Since": since})
    assert response.status_code == 200 and "uusi paikka" in response.text
    assert response.headers["last-modified"] == http_date(later)


def test_an_event_that_ends_moves_last_modified_to_its_end(web: WebEnv) -> None:
    changed = web.clock.now - timedelta(hours=1)
    soon_over = web.clock.now + timedelta(hours=1)
    web.add_event(title="Aamukahvit", start_at=web.clock.now, end_at=soon_over, updated_at=changed)
    web.add_event(updated_at=changed)
    since = web.client.get("/feeds/events.atom").headers["last-modified"]
    web.clock.advance(hours=2)
    response = web.client.get("/feeds/events.atom", headers={"If-Modified-Since": since})
    assert response.status_code == 200 and b"Aamukahvit" not in response.content
    assert response.headers["last-modified"] == http_date(soon_over)


def test_last_modified_under_a_second_old_is_withheld(web: WebEnv) -> None:
    web.add_event(updated_at=web.clock.now - timedelta(milliseconds=300))
    response = web.client.get("/feeds/events.atom")
    assert response.status_code == 200
    assert "last-modified" not in response.headers and response.headers["etag"]


def test_if_none_match_wins_over_if_modified_since(web: WebEnv) -> None:
    changed = web.clock.now - timedelta(hours=1)
    web.add_event(updated_at=changed)
    response = web.client.get(
        "/feeds/events.atom",
        headers={"If-None-Match": '"not-this-one"', "If-Modified-Since": http_date(changed)},
    )
    assert response.status_code == 200


def test_a_repeated_conditional_request_does_not_read_the_events(web: WebEnv) -> None:
    web.add_event(updated_at=web.clock.now - timedelta(hours=1))
    etag = web.client.get("/feeds/events.atom?lang=en").headers["etag"]
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa_event.listen(web.db.engine, "before_cursor_execute", record)
    try:
        response = web.client.get("/feeds/events.atom?lang=en", headers={"If-None-Match": etag})
    finally:
        sa_event.remove(web.db.engine, "before_cursor_execute", record)
    assert response.status_code == 304 and response.headers["etag"] == etag
    assert statements, "the feed state is read from the database"
    assert not any("events.title" in statement for statement in statements)


def test_the_single_event_ics_answers_304(web: WebEnv) -> None:
    changed = web.clock.now - timedelta(hours=2)
    event_id = web.add_event(updated_at=changed)
    first = web.client.get(f"/events/{event_id}.ics")
    assert first.headers["last-modified"] == http_date(changed)
    by_etag = web.client.get(
        f"/events/{event_id}.ics", headers={"If-None-Match": first.headers["etag"]}
    )
    by_date = web.client.get(
        f"/events/{event_id}.ics", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert by_etag.status_code == 304 and by_date.status_code == 304


def test_personal_feed_changes_when_the_preferences_change(web: WebEnv) -> None:
    changed = web.clock.now - timedelta(days=2)
    web.add_event(updated_at=changed, categories=["job-fair"])
    subscriber = web.add_subscriber(
        status="active", language="en", categories=["webinar"], updated_at=changed
    )
    token = make_token(SECRET, subscriber.id, "feed", subscriber.token_version)
    first = web.client.get(f"/feeds/{token}/events.ics")
    assert first.headers["last-modified"] == http_date(changed)
    assert not Calendar.from_ical(first.content).walk("VEVENT")
    saved = web.clock.now - timedelta(minutes=1)
    with web.db.sessions.begin() as session:
        row = session.get_one(Subscriber, subscriber.id)
        row.categories, row.updated_at = ["job-fair"], saved
    response = web.client.get(
        f"/feeds/{token}/events.ics",
        headers={"If-Modified-Since": first.headers["last-modified"]},
    )
    assert response.status_code == 200
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 1
    assert response.headers["last-modified"] == http_date(saved)
