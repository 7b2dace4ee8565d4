"""Rendering a digest: languages, sections, links, sanitised text, size, the text part."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from digest.links import subscriber_links
from digest.model import DigestItem, SentItem
from digest.pool import EventPool
from digest.render import HTML_LIMIT, render_digest
from digest.select import select_digest
from store import vocab
from store.tokens import read_token
from tests.support.digest import BASE_URL, SECRET, event_view, prefs


def links():  # type: ignore[no-untyped-def]
    return subscriber_links(BASE_URL, SECRET, 42, 3)


def render(now: datetime, events, sent=None, **preferences):  # type: ignore[no-untyped-def]
    digest = select_digest(prefs(**preferences), EventPool(events, now), sent or {}, now)
    return render_digest(digest, links=links(), base_url=BASE_URL)[0]


def fair(now: datetime, **values):  # type: ignore[no-untyped-def]
    values.setdefault("id", 7)
    return event_view(
        now,
        title="Job fair",
        titles={"fi": "Rekrytointimessut", "sv": "Rekryteringsmässa"},
        categories=("job-fair",),
        language="en",
        venue="Messukeskus",
        start_at=datetime(2026, 12, 1, 15, 0, tzinfo=now.tzinfo),  # Tue 17:00 in Helsinki
        end_at=datetime(2026, 12, 1, 17, 0, tzinfo=now.tzinfo),
        url="https://organiser.example/fair",
        urls=("https://organiser.example/fair", "https://www.tyomarkkinatori.fi/e/1"),
        **values,
    )


@pytest.mark.parametrize(
    ("language", "title", "day", "clock", "reason", "subject"),
    [
        ("fi", "Rekrytointimessut", "tiistai 1. joulukuuta", "17.00–19.00",
         "rekrytointitapahtuma · Helsinki · englanniksi", "1 uusi tapahtuma sinulle"),
        ("sv", "Rekryteringsmässa", "tisdag 1 december", "17:00–19:00",
         "jobbmässa · Helsingfors · på engelska", "1 nytt evenemang för dig"),
        ("en", "Job fair", "Tuesday 1 December", "5:00\u202fPM–7:00\u202fPM",
         "job fair · Helsinki · in English", "1 new event for you"),
    ],
)  # fmt: skip
def test_the_digest_reads_in_the_subscribers_language(
    now: datetime, language: str, title: str, day: str, clock: str, reason: str, subject: str
) -> None:
    rendered = render(now, [fair(now)], language=language)
    assert rendered.subject.startswith(subject) and rendered.subject.endswith(title)
    for part in (rendered.text, rendered.html):
        assert title in part
        assert reason in part
    assert day in rendered.text and day.upper() not in rendered.text
    assert clock in rendered.text


def test_times_are_shown_in_the_subscribers_time_zone(now: datetime) -> None:
    rendered = render(now, [fair(now)], language="en", timezone="America/New_York")
    assert "10:00\u202fAM–12:00\u202fPM" in rendered.text


def test_links_take_the_shapes_the_web_app_serves(now: datetime) -> None:
    rendered = render(now, [fair(now)])
    for path in ("/s/", "/u/", "/feeds/", "/events/7.ics"):
        assert f"{BASE_URL}{path}" in rendered.html and f"{BASE_URL}{path}" in rendered.text
    tokens = dict(re.findall(rf"{BASE_URL}/(s|u)/([A-Za-z0-9_.-]+)", rendered.text))
    assert read_token(SECRET, tokens["s"], "preferences") == (42, 3)
    assert read_token(SECRET, tokens["u"], "unsubscribe") == (42, 3)
    feed = re.search(rf"{BASE_URL}/feeds/([A-Za-z0-9_.-]+)/events.ics", rendered.text)
    assert feed and read_token(SECRET, feed.group(1), "feed") == (42, 3)
    for extension in ("ics", "atom", "rss", "json"):
        assert f"/events.{extension}" in rendered.html
    assert 'href="https://www.tyomarkkinatori.fi/e/1"' in rendered.html
    assert ">tyomarkkinatori.fi</a>" in rendered.html


def test_sections_badges_and_deadlines(now: datetime) -> None:
    call = event_view(
        now,
        days=30,
        title="Mentoring programme",
        categories=("mentoring",),
        deadline_at=datetime(2026, 12, 11, 14, 0, tzinfo=now.tzinfo),
        application_url="https://organiser.example/apply",
    )
    webinar = event_view(now, title="CV webinar", city=None, attendance=vocab.ONLINE)
    cancelled = event_view(now, title="Old meetup", status=vocab.CANCELLED)
    sent = {cancelled.id: SentItem(cancelled.id, cancelled.start_at, vocab.SCHEDULED)}
    rendered = render(now, [call, webinar, cancelled], sent, language="en")
    html = rendered.html
    order = [html.index(s) for s in ("Updates to events", "Apply before it closes", "Coming up")]
    assert order == sorted(order)
    assert "Apply by Fri 11 Dec 4:00\u202fPM" in html
    assert 'href="https://organiser.example/apply"' in html
    assert "Cancelled" in html and "Old meetup" in html
    assert "badge-online" in html and "CV webinar" in html
    assert "Apply before it closes" in rendered.text and "Cancelled" in rendered.text


def test_scraped_text_is_sanitised(now: datetime) -> None:
    nasty = event_view(
        now,
        title='<script>alert("x")</script>Open\r\nBcc: victim@example.fi <b>day</b>',
        description_text="<img src=x onerror=alert(1)>Come & see",
        venue="<a href='javascript:alert(1)'>Hall</a>",
        url="javascript:alert(1)",
    )
    rendered = render(now, [nasty])
    assert "<script" not in rendered.html and "onerror" not in rendered.html
    assert "javascript:" not in rendered.html
    assert "Open Bcc: victim@example.fi day" in rendered.text
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert "Come &amp; see" in rendered.html


def test_css_is_inlined_and_nothing_remote_is_loaded(now: datetime) -> None:
    html = render(now, [fair(now)]).html
    assert re.search(r'<div class="card card-upcoming" style="[^"]*border', html)
    assert "<link" not in html
    assert "@media (max-width: 480px)" in html


def test_a_full_digest_stays_under_gmails_clipping_limit(now: datetime) -> None:
    long_text = "Tervetuloa kuulemaan työelämän mahdollisuuksista! " * 40
    events = [
        event_view(
            now,
            days=1 + i / 3,
            title=f"Kansainvälisten osaajien rekrytointitapahtuma numero {i} " * 3,
            description_text=long_text,
            venue="Helsingin kaupungin työllisyyspalvelut, Kaikukatu 3",
            urls=tuple(f"https://site{j}.example/{i}" for j in range(5)),
            deadline_at=now + timedelta(days=20),
            application_url="https://organiser.example/apply",
        )
        for i in range(60)
    ]
    sent = {
        e.id: SentItem(e.id, e.start_at - timedelta(hours=2), vocab.SCHEDULED) for e in events[30:]
    }
    digest = select_digest(prefs(max_items=30), EventPool(events, now), sent, now)
    assert len(digest.items) == 60
    rendered, shown = render_digest(digest, links=links(), base_url=BASE_URL)
    assert len(rendered.html.encode()) < HTML_LIMIT
    assert shown.items == digest.items[: len(shown.items)]
    more = len(digest.items) - len(shown.items)
    assert more > 0
    assert f"{more} more events matched your choices." in rendered.text
    assert "numero 0 " in rendered.html


def test_a_usual_digest_keeps_its_excerpts(now: datetime) -> None:
    long_text = "Tervetuloa kuulemaan työelämän mahdollisuuksista! " * 40
    events = [event_view(now, days=1 + i / 3, description_text=long_text) for i in range(15)]
    digest = select_digest(prefs(), EventPool(events, now), {}, now)
    rendered, shown = render_digest(digest, links=links(), base_url=BASE_URL)
    assert shown == digest
    assert rendered.html.count('class="excerpt"') == 15
    assert len(rendered.html.encode()) < 60_000


def test_the_text_part_reads_on_its_own(now: datetime) -> None:
    text = render(now, [fair(now)], language="en").text
    assert "<" not in text.replace("<https", "")
    lines = text.splitlines()
    assert max(len(line) for line in lines) < 200
    assert "Job fair" in text and "Tuesday 1 December" in text
    assert "Add to calendar: https://vahti.example/events/7.ics" in text
    assert "Unsubscribe: https://vahti.example/u/" in text


def test_an_empty_digest_says_so(now: datetime) -> None:
    rendered = render(now, [], language="fi")
    assert rendered.subject == "Ei uusia tapahtumia sinulle tällä viikolla"
    assert "valintojasi ei vastannut mikään" in rendered.text


def test_only_updates_have_their_own_subject(now: datetime) -> None:
    event = event_view(now, status=vocab.CANCELLED)
    sent = {event.id: SentItem(event.id, event.start_at, vocab.SCHEDULED)}
    digest = select_digest(prefs(language="sv"), EventPool([event], now), sent, now)
    assert isinstance(digest.items[0], DigestItem)
    rendered, _ = render_digest(digest, links=links(), base_url=BASE_URL)
    assert rendered.subject == "Ändringar i evenemang från ditt sammandrag"


def test_readers_of_the_same_event_each_get_their_own_reason(now: datetime) -> None:
    event = fair(now)
    by_category = render(now, [event], categories=("job-fair",))
    by_keyword = render(now, [event], keywords=("fair",), cities=("Helsinki",))
    assert "Why: job fair · Helsinki · in English" in by_category.html
    assert "Why: job fair · mentions “fair” · Helsinki · in English" in by_keyword.text
    assert "mentions" not in by_category.html


def test_an_item_without_a_reason_shows_no_empty_line(now: datetime) -> None:
    bare = event_view(now, categories=(), city=None, language="other", attendance=vocab.ONSITE)
    rendered = render(now, [bare])
    assert "@@" not in rendered.html and "@@" not in rendered.text
    assert "Why:" not in rendered.text and 'class="reason"' not in rendered.html
