"""Feeds: valid Atom/RSS (feedparser), iCalendar (icalendar), JSON Feed 1.1; filters, ETags."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import feedparser
import pytest
from icalendar import Calendar

from store.tokens import make_token
from tests.web.conftest import SECRET, WebEnv

pytestmark = pytest.mark.postgres

EVIL = "Fair <script>alert(1)</script> & \x0bmore"


def seed(web: WebEnv) -> dict[str, int]:
    return {
        "fair": web.add_event(
            title=EVIL,
            titles={"en": "Recruitment fair", "fi": EVIL},
            description_html="<p>Meet <b>employers</b></p><script>alert(2)</script>",
            description_text="Meet employers",
            deadline_at=web.clock.now + timedelta(days=2),
            venue="Messukeskus",
            address="Messuaukio 1, Helsinki",
        ),
        "webinar": web.add_event(
            title="CV webinar",
            city=None,
            attendance="online",
            categories=["webinar"],
            language="en",
            start_at=web.clock.now + timedelta(days=4),
            end_at=None,
        ),
        "cancelled": web.add_event(
            title="Cancelled seminar",
            categories=["seminar"],
            status="cancelled",
            start_at=web.clock.now + timedelta(days=5),
        ),
        "allday": web.add_event(
            title="Mentoring call opens",
            categories=["mentoring"],
            all_day=True,
            start_at=datetime(2026, 12, 6, 22, 0, tzinfo=UTC),  # 7 Dec, Helsinki
            end_at=datetime(2026, 12, 8, 22, 0, tzinfo=UTC),  # through 8 Dec
        ),
    }


def bare(title: str) -> str:
    """An Atom/RSS entry title without the day it ends with ("Title · ti 1.12.")."""
    return title.rsplit(" · ", 1)[0]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_atom_and_rss_parse_cleanly_with_every_event(web: WebEnv, fmt: str) -> None:
    ids = seed(web)
    response = web.client.get(f"/feeds/events.{fmt}?lang=fi")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(f"application/{fmt}+xml")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert len(parsed.entries) == 4
    links = [entry.link for entry in parsed.entries]
    assert links[0] == f"http://testserver/events/{ids['fair']}"
    first = parsed.entries[0]
    # The title arrives as text, never as markup; the control character is dropped.
    assert first.title.startswith("Fair <script>alert(1)</script> & more · ")
    assert "<script>" not in response.text
    body = first.content[0].value if fmt == "atom" else first.description
    assert "<b>employers</b>" in body and "alert(2)" not in body


def test_feed_titles_follow_the_language(web: WebEnv) -> None:
    seed(web)
    parsed = feedparser.parse(web.client.get("/feeds/events.atom?lang=en").content)
    assert parsed.feed.title == "Tapahtumavahti: events"
    assert parsed.entries[0].title.startswith("Recruitment fair · ")
    swedish = feedparser.parse(web.client.get("/feeds/events.rss?lang=sv").content)
    assert swedish.feed.title == "Tapahtumavahti: evenemang"


def test_json_feed_has_the_1_1_keys(web: WebEnv) -> None:
    ids = seed(web)
    response = web.client.get("/feeds/events.json?lang=en")
    assert response.headers["content-type"].startswith("application/feed+json")
    feed = json.loads(response.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["home_page_url"].startswith("http://testserver/")
    assert feed["feed_url"].startswith("http://testserver/feeds/events.json")
    assert len(feed["items"]) == 4
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item
        datetime.fromisoformat(item["date_published"])
        assert all(key.startswith("_") or key in JSON_FEED_ITEM_KEYS for key in item)
    first = feed["items"][0]
    assert first["_event"]["id"] == ids["fair"]
    assert first["external_url"] == "https://organiser.example.fi/events/1"
    assert "alert(2)" not in first["content_html"]


JSON_FEED_ITEM_KEYS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "tags", "language",
    "attachments",
}  # fmt: skip


def test_ical_feed_has_timezones_stable_uids_statuses_and_all_day_dates(web: WebEnv) -> None:
    ids = seed(web)
    response = web.client.get("/feeds/events.ics?lang=en")
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    fair = events[f"event-{ids['fair']}@testserver"]
    assert fair.decoded("DTSTART") == web.clock.now + timedelta(days=3)
    assert fair["DTSTART"].params["TZID"] == "Europe/Helsinki"
    assert str(fair["LOCATION"]) == "Messukeskus, Messuaukio 1, Helsinki"
    assert str(fair["URL"]) == "https://organiser.example.fi/events/1"
    assert str(fair["STATUS"]) == "CONFIRMED"
    cancelled = events[f"event-{ids['cancelled']}@testserver"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    allday = events[f"event-{ids['allday']}@testserver"]
    assert allday.decoded("DTSTART") == date(2026, 12, 7)
    assert allday.decoded("DTEND") == date(2026, 12, 9)
    deadline = events[f"event-{ids['fair']}-deadline@testserver"]
    assert deadline.decoded("DTSTART") == date(2026, 11, 30)
    assert str(deadline["SUMMARY"]) == "Application deadline: Recruitment fair"


def test_uid_stays_the_same_when_the_event_changes(web: WebEnv) -> None:
    event_id = web.add_event(title="Before")
    first = Calendar.from_ical(web.client.get(f"/events/{event_id}.ics").content)
    with web.db.sessions.begin() as session:
        from store.models import Event

        event = session.get_one(Event, event_id)
        event.title = "After"
        event.start_at = event.start_at + timedelta(hours=2)
    second = Calendar.from_ical(web.client.get(f"/events/{event_id}.ics").content)
    (before,) = first.walk("VEVENT")
    (after,) = [e for e in second.walk("VEVENT") if "deadline" not in str(e["UID"])]
    assert before["UID"] == after["UID"] and str(after["SUMMARY"]) == "After"


def test_single_event_ics_is_a_download_with_one_event(web: WebEnv) -> None:
    event_id = web.add_event()
    response = web.client.get(f"/events/{event_id}.ics")
    assert response.status_code == 200
    assert f'filename="event-{event_id}.ics"' in response.headers["content-disposition"]
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 1
    assert web.client.get("/events/9999.ics").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=webinar", ["CV webinar"]),
        ("online=true", ["CV webinar"]),
        ("language=en", ["CV webinar"]),
        ("city=Helsinki&category=seminar", ["Cancelled seminar"]),
    ],
)
def test_feed_filters_match_the_pages(web: WebEnv, query: str, expected: list[str]) -> None:
    seed(web)
    parsed = feedparser.parse(web.client.get(f"/feeds/events.atom?{query}&lang=en").content)
    assert [bare(entry.title) for entry in parsed.entries] == expected


def test_bad_filter_and_unknown_format(web: WebEnv) -> None:
    assert web.client.get("/feeds/events.atom?online=maybe").status_code == 400
    assert web.client.get("/feeds/events.pdf").status_code == 404


def test_etag_gives_304_until_something_changes(web: WebEnv) -> None:
    seed(web)
    first = web.client.get("/feeds/events.atom?lang=en")
    etag = first.headers["etag"]
    again = web.client.get("/feeds/events.atom?lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    web.add_event(title="New one")
    changed = web.client.get("/feeds/events.atom?lang=en", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_personal_feed_follows_the_subscribers_preferences(web: WebEnv) -> None:
    seed(web)
    subscriber = web.add_subscriber(
        status="active", language="en", categories=["webinar", "seminar"], cities=[]
    )
    token = make_token(SECRET, subscriber.id, "feed", subscriber.token_version)
    response = web.client.get(f"/feeds/{token}/events.atom")
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0
    assert parsed.feed.title == "Tapahtumavahti: my events"
    assert [bare(entry.title) for entry in parsed.entries] == ["CV webinar", "Cancelled seminar"]
    assert response.headers["cache-control"].startswith("private")
    ics = web.client.get(f"/feeds/{token}/events.ics")
    assert len(Calendar.from_ical(ics.content).walk("VEVENT")) == 2


def test_personal_feed_refuses_other_tokens_stale_tokens_and_inactive_subscribers(
    web: WebEnv,
) -> None:
    subscriber = web.add_subscriber(status="active")
    unsubscribe = make_token(SECRET, subscriber.id, "unsubscribe", 1)
    assert web.client.get(f"/feeds/{unsubscribe}/events.atom").status_code == 404
    forged = make_token(b"another secret", subscriber.id, "feed", 1)
    assert web.client.get(f"/feeds/{forged}/events.atom").status_code == 404
    stale = make_token(SECRET, subscriber.id, "feed", 1)
    with web.db.sessions.begin() as session:
        from store.models import Subscriber

        session.get_one(Subscriber, subscriber.id).token_version = 2
    assert web.client.get(f"/feeds/{stale}/events.atom").status_code == 404
    fresh = make_token(SECRET, subscriber.id, "feed", 2)
    assert web.client.get(f"/feeds/{fresh}/events.atom").status_code == 200
    with web.db.sessions.begin() as session:
        session.get_one(Subscriber, subscriber.id).status = "unsubscribed"
    assert web.client.get(f"/feeds/{fresh}/events.atom").status_code == 404
