"""Auto-detection (scrapers.detect): the Probe is fed pages as a spider would fetch them."""

from __future__ import annotations

import pytest

from scrapers.detect import Detection, detect, sniff, webcal_to_http, with_includes
from scrapers.route_probe import Probe
from scrapers.suggest import guess_selectors
from tests.support.extract import NOW, fixture

SITE = "https://org.example.fi"
HTML = "text/html; charset=utf-8"


def page(head: str = "", body: str = "") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="fi"><head><meta charset="utf-8">{head}</head>'
        f"<body>{body}</body></html>"
    ).encode()


def probe_with(
    url: str, answers: dict[str, tuple[int, str | None, bytes]]
) -> tuple[Detection, list[str]]:
    """Run a probe, answering each URL it asks for from `answers` (else 404)."""
    probe = Probe(url, NOW)
    asked: list[str] = []
    while (next_url := probe.next_url()) is not None:
        asked.append(next_url)
        status, content_type, body = answers.get(next_url, (404, "text/plain", b"not found"))
        probe.feed(next_url, status, content_type, body)
    return probe.result(), asked


CALENDAR_LINK = '<link rel="alternate" type="text/calendar" title="Kalenteri" href="/events.ics">'
FEED_LINK = '<link rel="alternate" type="application/rss+xml" title="Syöte" href="/feed/">'


def test_the_url_itself_is_a_calendar() -> None:
    found, asked = probe_with(
        f"{SITE}/events.ics",
        {f"{SITE}/events.ics": (200, "text/calendar", fixture("ics", "urapalvelut.ics"))},
    )
    assert (found.kind, found.url, asked) == ("ics", f"{SITE}/events.ics", [f"{SITE}/events.ics"])
    assert found.records == 10 and "iCalendar" in found.reason


def test_linked_calendar_is_fetched_and_chosen() -> None:
    found, asked = probe_with(
        f"{SITE}/",
        {
            f"{SITE}/": (200, HTML, page(CALENDAR_LINK)),
            f"{SITE}/events.ics": (200, "text/calendar", fixture("ics", "urapalvelut.ics")),
        },
    )
    assert (found.kind, found.url) == ("ics", f"{SITE}/events.ics")
    assert "links a calendar" in found.reason and asked == [f"{SITE}/", f"{SITE}/events.ics"]


def test_webcal_link_is_fetched_over_http() -> None:
    body = page(body='<a href="webcal://org.example.fi/cal/">Tilaa kalenteri</a>')
    found, asked = probe_with(
        f"{SITE}/",
        {
            f"{SITE}/": (200, HTML, body),
            f"{SITE}/cal/": (200, "text/calendar", fixture("ics", "outlook-fi.ics")),
        },
    )
    assert (found.kind, found.url) == ("ics", f"{SITE}/cal/")
    assert asked[1] == f"{SITE}/cal/"


def test_broken_calendar_link_falls_back_to_events_on_the_page() -> None:
    body = fixture("jsonld", "rekrytointimessut.html").replace(
        b"</head>", CALENDAR_LINK.encode() + b"</head>"
    )
    found, _ = probe_with(f"{SITE}/messut/", {f"{SITE}/messut/": (200, HTML, body)})
    assert (found.kind, found.url, found.records) == ("jsonld", f"{SITE}/messut/", 1)
    assert any("HTTP 404" in line for line in found.tried)


def test_events_on_the_page_need_no_other_fetch() -> None:
    url = f"{SITE}/evenemang/"
    found, asked = probe_with(url, {url: (200, HTML, fixture("jsonld", "kurser-microdata.html"))})
    assert (found.kind, found.records, asked) == ("jsonld", 2, [url])


def test_feed_with_dated_items_is_chosen() -> None:
    found, _ = probe_with(
        f"{SITE}/",
        {
            f"{SITE}/": (200, HTML, page(FEED_LINK)),
            f"{SITE}/feed/": (200, "application/rss+xml", fixture("rss", "bron-sv.xml")),
        },
    )
    assert (found.kind, found.url, found.records) == ("rss", f"{SITE}/feed/", 4)


def test_blog_feed_without_events_is_passed_over_for_event_pages() -> None:
    blog = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Blogi</title>
    <item><title>Kuulumisia</title><link>https://org.example.fi/blogi/1/</link></item></channel></rss>"""
    listing = page(FEED_LINK, '<a href="/tapahtumat/messut/">Messut</a>')
    found, asked = probe_with(
        f"{SITE}/tapahtumat/",
        {
            f"{SITE}/tapahtumat/": (200, HTML, listing),
            f"{SITE}/feed/": (200, "application/rss+xml", blog),
            f"{SITE}/tapahtumat/messut/": (200, HTML, fixture("jsonld", "rekrytointimessut.html")),
        },
    )
    assert (found.kind, found.url) == ("jsonld", f"{SITE}/tapahtumat/")
    assert "event pages" in found.reason and asked[-1] == f"{SITE}/tapahtumat/messut/"


def test_linked_events_api_gets_its_includes() -> None:
    url = "https://api.example.fi/linkedevents/v1/event/?keyword=yso:p6357"
    body = fixture("linkedevents", "helsinki-page1.json")
    found, _ = probe_with(url, {url: (200, "application/json", body)})
    assert found.kind == "linkedevents"
    assert found.url == (
        "https://api.example.fi/linkedevents/v1/event/?keyword=yso:p6357&include=location,keywords"
    )


def test_json_of_another_shape_is_not_guessed() -> None:
    url = f"{SITE}/api/events"
    found, _ = probe_with(url, {url: (200, "application/json", b'{"results": []}')})
    assert found.kind is None and "unknown shape" in found.reason


def test_nothing_fits_shows_how_to_configure_selectors() -> None:
    url = "https://tyomessut.example.fi/tapahtumat/"
    found, asked = probe_with(url, {url: (200, HTML, fixture("css", "tyomessut-1.html"))})
    assert found.kind is None and found.reason.startswith("no calendar, feed")
    assert found.hint is not None
    assert '"item": "article.event"' in found.hint and "--kind css" in found.hint
    assert len(asked) == 4  # the page and three of its event pages


def test_http_error_on_the_url_is_reported() -> None:
    found, _ = probe_with(f"{SITE}/missing/", {})
    assert (found.kind, found.reason, found.reachable) == (None, "the URL answered HTTP 404", True)


def test_fetch_failure_leaves_the_url_unknown() -> None:
    probe = Probe(f"{SITE}/", NOW)
    assert probe.next_url() == f"{SITE}/"
    probe.failed(f"{SITE}/", "Connection refused")
    assert probe.next_url() is None
    assert (probe.result().kind, probe.result().reachable) == (None, False)


def test_fetches_are_bounded() -> None:
    links = "".join(
        f'<link rel="alternate" type="text/calendar" href="/c{i}.ics">' for i in range(10)
    )
    probe = Probe(f"{SITE}/", NOW, max_fetches=3)
    fetched = 0
    while (url := probe.next_url()) is not None:
        fetched += 1
        probe.feed(url, 200 if url == f"{SITE}/" else 500, HTML, page(links))
    assert fetched == 3


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"BEGIN:VCALENDAR\r\n", None, "ics"),
        (b"\xef\xbb\xbfBEGIN:VCALENDAR", "text/plain", "ics"),
        (b'<?xml version="1.0"?><rss version="2.0">', None, "rss"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom">', None, "rss"),
        (b'{"meta": {}}', None, "json"),
        (b"<!DOCTYPE html><html>", None, "html"),
        (b"BEGIN:VCALENDAR\r\nX-ALT-DESC;FMTTYPE=text/html:<!DOCTYPE html><html>", None, "ics"),
        (b"\r\n BEGIN:VCALENDAR\r\nX-ALT-DESC:<html><body>", "text/html", "ics"),
        (b"<!DOCTYPE html><html><body>BEGIN:VCALENDAR", "text/calendar", "ics"),
        (b"PK\x03\x04", "application/zip", "unknown"),
    ],
)
def test_sniff(body: bytes, content_type: str | None, kind: str) -> None:
    assert sniff(body, content_type) == kind


def test_single_page_guess_for_the_spider() -> None:
    assert detect(page(CALENDAR_LINK), f"{SITE}/", HTML).url == f"{SITE}/events.ics"
    assert detect(page(), f"{SITE}/", HTML).kind == "jsonld"
    assert detect(b"BEGIN:VCALENDAR", f"{SITE}/c.ics").kind == "ics"


def test_webcal_and_includes() -> None:
    assert (
        webcal_to_http("webcal://a.example/c.ics", "https://a.example/")
        == "https://a.example/c.ics"
    )
    assert (
        webcal_to_http("webcal://a.example/c.ics", "http://a.example/") == "http://a.example/c.ics"
    )
    assert (
        with_includes("https://x/v1/event/?include=keywords")
        == "https://x/v1/event/?include=keywords"
    )
    assert with_includes("https://x/v1/place/") == "https://x/v1/place/"


def test_selectors_guessed_from_a_list_of_dated_items() -> None:
    html = fixture("css", "tyomessut-1.html").decode()
    assert guess_selectors(html, NOW.date()) == {
        "item": "article.event",
        "title": "h2 a::text",
        "link": "h2 a::attr(href)",
        "date": ".date::text",
    }


def test_no_selectors_guessed_without_repeated_dated_items() -> None:
    assert guess_selectors(page(body="<p class='x'>Tervetuloa</p>").decode(), NOW.date()) is None


def test_a_probe_stopped_before_the_url_answered_leaves_it_unknown() -> None:
    probe = Probe(f"{SITE}/slow/", NOW)
    assert probe.next_url() == f"{SITE}/slow/"
    found = probe.result()  # the time limit ended the crawl: no feed() came
    assert (found.kind, found.reachable, found.reason) == (
        None,
        False,
        "the URL did not answer in time",
    )
