"""Public pages: the event list and its filters, one event, languages, escaping."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.web.conftest import WebEnv
from web.i18n import accepted_languages, negotiate

pytestmark = pytest.mark.postgres


def when(html: str) -> str:
    found = re.search(r'<p class="when"><time datetime="[^"]+">(.*?)</time></p>', html)
    assert found is not None, "no time on the page"
    return found.group(1).replace("\u202f", " ")


def titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/events/\d+">(.*?)</a></h2>', html)


def test_list_shows_upcoming_events_soonest_first_and_hides_past_and_gone(web: WebEnv) -> None:
    web.add_event(title="Later", start_at=web.clock.now + timedelta(days=5), end_at=None)
    web.add_event(title="Sooner", start_at=web.clock.now + timedelta(days=1), end_at=None)
    web.add_event(title="Past", start_at=web.clock.now - timedelta(days=2), end_at=None)
    web.add_event(title="Gone", gone_at=web.clock.now - timedelta(hours=1))
    page = web.client.get("/?lang=en")
    assert page.status_code == 200
    assert titles(page.text) == ["Sooner", "Later"]


def test_an_event_in_progress_is_still_listed(web: WebEnv) -> None:
    web.add_event(
        title="Running now",
        start_at=web.clock.now - timedelta(hours=1),
        end_at=web.clock.now + timedelta(hours=1),
    )
    assert titles(web.client.get("/").text) == ["Running now"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=webinar", ["Webinar online"]),
        ("city=Turku", ["Turku fair"]),
        ("city=turku&online=true", ["Webinar online", "Turku fair"]),
        ("online=true", ["Webinar online"]),
        ("online=false", ["Helsinki fair", "Turku fair"]),
        ("language=en", ["Webinar online"]),
        ("q=TURKU fair", ["Turku fair"]),
        ("category=job-fair,webinar&city=Helsinki", ["Helsinki fair"]),
    ],
)
def test_filters(web: WebEnv, query: str, expected: list[str]) -> None:
    web.add_event(title="Helsinki fair", start_at=web.clock.now + timedelta(days=1))
    web.add_event(
        title="Webinar online",
        start_at=web.clock.now + timedelta(days=2),
        city=None,
        attendance="online",
        categories=["webinar"],
        language="en",
    )
    web.add_event(title="Turku fair", city="Turku", start_at=web.clock.now + timedelta(days=3))
    assert titles(web.client.get(f"/?{query}").text) == expected


def test_unknown_filter_value_is_a_translated_400_naming_the_value(web: WebEnv) -> None:
    page = web.client.get("/?category=party&lang=en")
    assert page.status_code == 400
    assert "A filter has a value we do not know." in page.text
    assert "party" in page.text and "job-fair" in page.text
    finnish = web.client.get("/?category=party&lang=fi")
    assert "Suodattimessa on arvo, jota emme tunne." in finnish.text


def test_paging(web: WebEnv) -> None:
    for day in range(30):
        web.add_event(title=f"E{day:02d}", start_at=web.clock.now + timedelta(days=day + 1))
    first = web.client.get("/?lang=en")
    assert len(titles(first.text)) == 25 and "Page 1 of 2" in first.text
    second = web.client.get("/?page=2&lang=en")
    assert titles(second.text) == [f"E{day:02d}" for day in range(25, 30)]


def test_event_page_shows_the_viewers_language_title_time_place_and_every_source(
    web: WebEnv,
) -> None:
    event_id = web.add_event(
        title="Rekrytointimessut",
        titles={"fi": "Rekrytointimessut", "en": "Recruitment fair", "sv": "Rekryteringsmässa"},
        start_at=web.clock.now + timedelta(days=3),  # 2026-12-01 10:00 UTC = 12:00 Helsinki
        end_at=web.clock.now + timedelta(days=3, hours=3),
        deadline_at=web.clock.now + timedelta(days=2),
        url="https://organiser.example.fi/e/1",
        urls=["https://organiser.example.fi/e/1", "https://city.example.fi/events/77"],
    )
    page = web.client.get(f"/events/{event_id}?lang=en")
    assert page.status_code == 200
    assert "<h1>Recruitment fair</h1>" in page.text
    assert when(page.text) == "Tuesday, December 1, 2026 12:00 PM–3:00 PM"
    assert when(web.client.get(f"/events/{event_id}?lang=fi").text) == (
        "tiistai 1. joulukuuta 2026 12.00–15.00"
    )
    assert "Helsinki" in page.text
    assert 'href="https://city.example.fi/events/77"' in page.text
    assert "Apply by" in page.text
    assert f'href="/events/{event_id}.ics"' in page.text
    swedish = web.client.get(f"/events/{event_id}?lang=sv")
    assert "<h1>Rekryteringsmässa</h1>" in swedish.text and "Finns också på" in swedish.text


def test_event_times_follow_the_viewers_zone_when_asked(web: WebEnv) -> None:
    event_id = web.add_event(start_at=web.clock.now + timedelta(days=3), end_at=None)
    helsinki = web.client.get(f"/events/{event_id}?lang=en").text
    new_york = web.client.get(f"/events/{event_id}?lang=en&tz=America/New_York").text
    assert when(helsinki) == "Tuesday, December 1, 2026 12:00 PM"
    assert when(new_york) == "Tuesday, December 1, 2026 5:00 AM"


def test_all_day_events_keep_their_own_days_in_any_zone(web: WebEnv) -> None:
    midnight_helsinki = web.clock.now.replace(hour=22) + timedelta(days=2)  # 1 Dec 00:00 EET
    event_id = web.add_event(start_at=midnight_helsinki, end_at=None, all_day=True)
    page = web.client.get(f"/events/{event_id}?lang=en&tz=America/New_York").text
    assert when(page) == "Tuesday, December 1, 2026"


def test_unknown_event_is_a_translated_404(web: WebEnv) -> None:
    page = web.client.get("/events/999", headers={"Accept-Language": "sv"})
    assert page.status_code == 404
    assert "Evenemanget finns inte." in page.text
    assert 'lang="sv"' in page.text


def test_event_page_carries_schema_org_json_ld(web: WebEnv) -> None:
    event_id = web.add_event(title="Mentoring call", status="cancelled")
    page = web.client.get(f"/events/{event_id}")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["@type"] == "Event" and data["name"] == "Mentoring call"
    assert data["eventStatus"] == "https://schema.org/EventCancelled"


def test_scraped_script_in_a_title_is_never_raw(web: WebEnv) -> None:
    evil = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    event_id = web.add_event(
        title=evil,
        description_html='<p>ok</p><script>alert(2)</script><a href="javascript:alert(3)">x</a>',
        urls=["javascript:alert(4)", "https://fine.example.fi/"],
        url="javascript:alert(5)",
    )
    for path in ("/", f"/events/{event_id}"):
        html = web.client.get(path).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "javascript:" not in html.split("application/ld+json")[-1]
        assert "&lt;script&gt;alert(" in html
    detail = web.client.get(f"/events/{event_id}").text
    assert "<p>ok</p>" in detail
    # The JSON-LD block cannot be closed early by a scraped "</script>".
    block = detail.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block


def test_security_headers_on_every_page(web: WebEnv) -> None:
    page = web.client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert page.headers["x-content-type-options"] == "nosniff"


def test_pages_link_their_feeds_for_discovery(web: WebEnv) -> None:
    page = web.client.get("/?category=webinar&lang=en").text
    assert (
        'rel="alternate" type="application/atom+xml" title="Events (Atom)" '
        'href="http://testserver/feeds/events.atom?category=webinar&amp;lang=en"' in page
    )
    assert 'href="webcal://testserver/feeds/events.ics?category=webinar&amp;lang=en"' in page


def test_stylesheet_is_served_from_our_own_origin(web: WebEnv) -> None:
    page = web.client.get("/")
    assert '<link rel="stylesheet" href="/static/style.css">' in page.text
    assert "http" not in re.sub(r'href="[^"]*"', "", page.text.split("<body>")[0]).replace(
        'content="width', ""
    )
    css = web.client.get("/static/style.css")
    assert css.status_code == 200 and "@import" not in css.text and "url(" not in css.text


# --- language negotiation (pure) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv-FI,sv;q=0.9,en;q=0.8", ["sv", "en"]),
        ("de-DE,en;q=0.5,fi;q=0.7", ["fi", "en"]),
        ("en;q=0, fi", ["fi"]),
        ("", []),
        ("nb,en;q=0.9", ["en", "sv"]),
        ("garbage;q=x,fi", ["fi"]),
    ],
)
def test_accepted_languages(header: str, expected: list[str]) -> None:
    assert accepted_languages(header) == expected


def test_negotiation_order_query_then_subscriber_then_cookie_then_browser() -> None:
    assert negotiate("en", "sv", "fi", "fi", preferred="sv") == "en"
    assert negotiate(None, "sv", "en", "fi", preferred="fi") == "fi"
    assert negotiate(None, "sv", "en", "fi") == "sv"
    assert negotiate("xx", None, "en-GB", "fi") == "en"
    assert negotiate(None, "xx", None, "fi") == "fi"


def test_lang_switch_is_remembered_in_a_cookie(web: WebEnv) -> None:
    first = web.client.get("/?lang=sv")
    assert first.cookies.get("lang") == "sv"
    assert 'lang="sv"' in web.client.get("/").text
