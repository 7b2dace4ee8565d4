"""Admin: duplicate groups with merge and split, the dashboard's charts, deliveries."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from dedupe.job import run_dedupe
from store.listings import upsert_listings
from store.models import CrawlRun, DedupeDecision, Delivery, Event, Listing, Source
from store.record import EventRecord
from tests.web.conftest import WebEnv
from tests.web.test_admin import log_in

pytestmark = pytest.mark.postgres
START = datetime(2026, 12, 3, 17, 0, tzinfo=timezone(timedelta(hours=2)))


def record(key: str, title: str, **fields: Any) -> EventRecord:
    values: dict[str, Any] = {"start_at": START, "city": "Helsinki", "language": "fi"}
    values.update(fields)
    return EventRecord(external_id=key, title=title, **values)


def listings_in_events(web: WebEnv, *records: tuple[str, EventRecord]) -> dict[str, int]:
    """Store the listings (source name, record), run the dedupe job; listing key → event id."""
    with web.db.sessions.begin() as session:
        names = {name for name, _ in records}
        ids = {}
        for name in sorted(names):
            source = Source(name=name, url=f"https://{name}.example.fi/")
            session.add(source)
            session.flush()
            ids[name] = source.id
        for name, rec in records:
            upsert_listings(session, ids[name], [rec], web.clock.now)
        run_dedupe(session, web.clock.now)
    with web.db.sessions() as session:
        return {
            row.external_id: row.event_id or 0
            for row in session.scalars(select(Listing).order_by(Listing.id))
        }


def test_merge_joins_two_events_and_the_decision_survives_the_next_run(web: WebEnv) -> None:
    token = log_in(web)
    events = listings_in_events(
        web,
        ("kaupunki", record("a", "Rekrytointimessut", url="https://a.example.fi/1")),
        ("yliopisto", record("b", "Urapäivä kansainvälisille", url="https://b.example.fi/2")),
    )
    keep, other = events["a"], events["b"]
    assert keep != other
    response = web.client.post(
        f"/admin/events/{keep}/merge",
        data={"csrf": token, "other_id": str(other)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with web.db.sessions.begin() as session:
        run_dedupe(session, web.clock.now + timedelta(hours=1))
    with web.db.sessions() as session:
        assert {row.event_id for row in session.scalars(select(Listing))} == {keep}
        merged = session.get_one(Event, other)
        assert merged.merged_into_id == keep and merged.gone_at is not None
        assert session.scalars(select(DedupeDecision.kind)).all() == ["same"]
    page = web.client.get("/admin/events?joined=1&lang=en")
    assert "Admin decision: same event" in page.text and f"merge {keep} {other}" in page.text


def test_split_takes_a_listing_out_for_good(web: WebEnv) -> None:
    token = log_in(web)
    events = listings_in_events(
        web,
        ("kaupunki", record("a", "CV-klinikka", url="https://x.example.fi/cv")),
        ("yhdistys", record("b", "CV-klinikka", url="https://x.example.fi/cv")),
    )
    assert events["a"] == events["b"]
    page = web.client.get("/admin/events?joined=1&lang=en")
    assert "<dt>rule</dt><dd>url</dd>" in page.text and "<dt>score</dt>" in page.text
    with web.db.sessions() as session:
        listing_b = session.scalars(select(Listing.id).where(Listing.external_id == "b")).one()
    response = web.client.post(
        f"/admin/events/{events['a']}/split",
        data={"csrf": token, "listing_id": str(listing_b)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with web.db.sessions.begin() as session:
        run_dedupe(session, web.clock.now + timedelta(hours=1))
    with web.db.sessions() as session:
        ids = {row.external_id: row.event_id for row in session.scalars(select(Listing))}
    assert ids["a"] == events["a"] and ids["b"] not in (None, events["a"])


def test_a_merge_that_cannot_be_done_says_why_and_changes_nothing(web: WebEnv) -> None:
    token = log_in(web)
    events = listings_in_events(web, ("kaupunki", record("a", "Rekrytointimessut")))
    response = web.client.post(
        f"/admin/events/{events['a']}/merge?lang=en",
        data={"csrf": token, "other_id": "999"},
    )
    assert response.status_code == 400
    assert (
        "These events cannot be merged." in response.text
        and "no event with id 999" in response.text
    )
    not_a_number = web.client.post(
        f"/admin/events/{events['a']}/merge?lang=en", data={"csrf": token, "other_id": "x1"}
    )
    assert not_a_number.status_code == 400 and "A field must be a number." in not_a_number.text
    forged = web.client.post(
        f"/admin/events/{events['a']}/merge", data={"csrf": "forged", "other_id": "1"}
    )
    assert forged.status_code == 403
    with web.db.sessions() as session:
        assert session.scalars(select(DedupeDecision)).all() == []


def test_dashboard_charts_are_svg_with_titles_numbers_and_tables(web: WebEnv) -> None:
    log_in(web)
    now = web.clock.now
    web.add_event(title="A", start_at=now + timedelta(days=1), categories=["job-fair"])
    web.add_event(
        title="B", start_at=now + timedelta(days=1, hours=3), categories=["job-fair", "course"]
    )
    web.add_event(title="C", start_at=now + timedelta(days=2), categories=["course"])
    source = web.add_source()
    other = web.add_source(name="Toinen")
    with web.db.sessions.begin() as session:
        session.add_all(
            [
                CrawlRun(source_id=source, started_at=now - timedelta(days=1), status="ok"),
                CrawlRun(
                    source_id=source, started_at=now - timedelta(days=1, hours=2), status="failed"
                ),
                CrawlRun(
                    source_id=other, started_at=now - timedelta(days=1), status="ok", errors=2
                ),
                CrawlRun(source_id=other, started_at=now - timedelta(days=40), status="failed"),
            ]
        )
    page = web.client.get("/admin/?lang=en").text
    assert "<script" not in page
    assert page.count('role="img"') == 2
    assert '<title id="weeks-svg-title">Upcoming events per week by category</title>' in page
    # Now is Saturday 28 Nov: two job fairs on Sunday (this week, from Monday 23 Nov), a
    # course on Monday (next week). An event counts under its first category.
    assert "<title>Job fair, week 48 (Nov 23–): 2</title>" in page
    assert "<title>Course, week 49 (Nov 30–): 1</title>" in page
    # Yesterday: one source failing (its worst run), one degraded (errors); none ok.
    assert (
        "<title>Nov 27: Failing 1</title>" in page and "<title>Nov 27: Degraded 1</title>" in page
    )
    assert "<title>Nov 27: OK" not in page
    assert 'fill="url(#pattern-degraded)"' in page
    table = re.search(r"<th scope=\"row\">Nov 27</th>(.*?)</tr>", page)
    assert table is not None and re.findall(r"<td>(\d+)</td>", table.group(1)) == ["0", "1", "1"]


def test_dashboard_without_data_says_so(web: WebEnv) -> None:
    log_in(web)
    page = web.client.get("/admin/?lang=en").text
    assert "No upcoming events in the next 12 weeks." in page
    assert "No crawls in the last 30 days." in page


def test_deliveries_by_period_with_unknown_statuses_shown_as_they_are(web: WebEnv) -> None:
    log_in(web)
    a = web.add_subscriber("a@example.fi", status="active")
    b = web.add_subscriber("b@example.fi", status="active")
    c = web.add_subscriber("c@example.fi", status="active")
    with web.db.sessions.begin() as session:
        session.add_all(
            [
                Delivery(subscriber_id=a.id, period="2026-W47", status="sent"),
                Delivery(subscriber_id=a.id, period="2026-W48", status="sent"),
                Delivery(
                    subscriber_id=b.id,
                    period="2026-W48",
                    status="failed",
                    attempts=5,
                    last_error="550 5.1.1 mailbox unavailable",
                ),
                Delivery(
                    subscriber_id=c.id,
                    period="2026-W48",
                    status="deferred",
                    attempts=1,
                    last_error="421 try later",
                ),
            ]
        )
    page = web.client.get("/admin/subscribers?lang=en").text
    counts = dict(re.findall(r"<dt>([\w ]+)</dt><dd>(\d+)</dd>", page))
    assert counts["Sent"] == "1" and counts["Failed"] == "1" and counts["deferred"] == "1"
    assert "550 5.1.1 mailbox unavailable" in page and "421 try later" in page
    assert "a@example.fi" not in page  # sent ones are only counted
    older = web.client.get("/admin/subscribers?period=2026-W47&lang=en").text
    assert "2026-W47" in older and "550 5.1.1" not in older
    bogus = web.client.get("/admin/subscribers?period=" + "x" * 500)
    assert bogus.status_code == 200 and "2026-W48" in bogus.text
