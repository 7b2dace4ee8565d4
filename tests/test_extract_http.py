"""Every format end to end: fixtures served over HTTP, `vahti sources test/add` as a real process.

These run the real Scrapy crawl in a child process (about two seconds each).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

from tests.support.extract import fixture
from tests.support.http import SiteServer

Run = Callable[..., subprocess.CompletedProcess[str]]
HTML = "text/html; charset=utf-8"
CSS = {
    "item": "article.event",
    "title": "h2 a::text",
    "date": ".date::text",
    "time": ".time::text",
    "location": ".location::text",
    "link": "h2 a::attr(href)",
    "next_page": "a.next::attr(href)",
    "date_languages": ["fi", "en"],
}


def records(completed: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert completed.returncode == 0, completed.stderr
    data: list[dict[str, Any]] = json.loads(completed.stdout)
    return data


def test_listing_page_with_json_ld_event_pages(site_server: SiteServer, run_vahti: Run) -> None:
    site_server.add("/tapahtumat/", fixture("jsonld", "listing-fi.html"), content_type=HTML)
    site_server.add(
        "/tapahtumat/rekrytointimessut-kaapelitehtaalla/",
        fixture("jsonld", "rekrytointimessut.html"),
        content_type=HTML,
    )
    site_server.add(
        "/tapahtumat/job-search-webinars/",
        fixture("jsonld", "webinar-series.html"),
        content_type=HTML,
    )
    completed = run_vahti("sources", "test", site_server.url("/tapahtumat/"), "--json")
    found = records(completed)
    assert [r["title"] for r in found] == [
        "Rekrytointimessut Kaapelitehtaalla",
        "The Finnish job market",
        "A CV that works in Finland",
        "Interview day",
    ]
    assert "detected jsonld" in completed.stderr and "they will be followed" in completed.stderr
    assert site_server.hits("/yhteystiedot/") == 0


def test_calendar_linked_from_a_page(site_server: SiteServer, run_vahti: Run) -> None:
    head = '<link rel="alternate" type="text/calendar" href="/urapalvelut/events.ics">'
    site_server.add(
        "/urapalvelut/", f"<html><head>{head}</head><body></body></html>", content_type=HTML
    )
    site_server.add(
        "/urapalvelut/events.ics", fixture("ics", "urapalvelut.ics"), content_type="text/calendar"
    )
    completed = run_vahti("sources", "test", site_server.url("/urapalvelut/"), "--json")
    found = records(completed)
    assert len(found) == 10  # the old 2024 fair too: a dry run keeps past events
    moved = next(r for r in found if r["title"] == "CV clinic (moved to Wednesday)")
    assert moved["external_id"] == "cv-clinic@urapalvelut.example#20270202T120000Z"
    assert moved["start_at"] == "2027-02-03T08:00:00+00:00"
    assert "detected ics" in completed.stderr


def test_feed_whose_undated_item_links_a_json_ld_page(
    site_server: SiteServer, run_vahti: Run
) -> None:
    feed = fixture("rss", "bron-sv.xml").replace(
        b"https://bron.example.fi", site_server.base_url.encode()
    )
    site_server.add("/feed/", feed, content_type="application/rss+xml; charset=UTF-8")
    site_server.add(
        "/aktuellt/arsmote/", fixture("jsonld", "mentorskap-graph.html"), content_type=HTML
    )
    found = records(
        run_vahti("sources", "test", site_server.url("/feed/"), "--kind", "rss", "--json")
    )
    titles = {r["title"] for r in found}
    assert "Nätverkskväll för nyinflyttade" in titles
    assert "Mentorskapsprogrammet för nyinflyttade våren 2027" in titles  # read from the page


def test_linked_events_pages_through_meta_next(site_server: SiteServer, run_vahti: Run) -> None:
    api = site_server.base_url + "/linkedevents/v1"
    first = fixture("linkedevents", "helsinki-page1.json").replace(
        b"https://api.example.fi/linkedevents/v1", api.encode()
    )
    second = fixture("linkedevents", "helsinki-page2.json").replace(
        b"https://api.example.fi/linkedevents/v1", api.encode()
    )
    site_server.add("/linkedevents/v1/event/", first, content_type="application/json")
    # auto-detection asks the API to embed places and keywords
    site_server.add(
        "/linkedevents/v1/event/?include=location,keywords", first, content_type="application/json"
    )
    site_server.add(
        "/linkedevents/v1/event/?include=location%2Ckeywords&page=2&page_size=3&sort=start_time",
        second,
        content_type="application/json",
    )
    completed = run_vahti("sources", "test", site_server.url("/linkedevents/v1/event/"), "--json")
    found = records(completed)
    assert sorted(r["external_id"] for r in found) == [
        "helsinki:agq7kahvila1",
        "helsinki:agq7mentor",
        "helsinki:agq7paiva",
        "helsinki:agq7rekry",
        "helsinki:agq7webinar",
    ]
    assert site_server.hits("/linkedevents/v1/event/?include=location,keywords") == 1


def test_css_listing_over_two_pages(site_server: SiteServer, run_vahti: Run) -> None:
    site_server.add("/tapahtumat/", fixture("css", "tyomessut-1.html"), content_type=HTML)
    site_server.add("/tapahtumat/sivu/2/", fixture("css", "tyomessut-2.html"), content_type=HTML)
    completed = run_vahti(
        "sources",
        "test",
        site_server.url("/tapahtumat/"),
        "--kind",
        "css",
        "--config",
        json.dumps(CSS),
        "--json",
    )
    found = records(completed)
    assert [r["title"] for r in found] == [
        "Rekrytointimessut Helsinki",
        "Kesätyömessut 2027",
        "IT Job Fair for International Talent",
        "Virtual Job Fair: English-speaking jobs in Finland",
    ]


def test_nothing_fits_says_so_and_shows_selectors(site_server: SiteServer, run_vahti: Run) -> None:
    site_server.add("/tapahtumat/", fixture("css", "tyomessut-1.html"), content_type=HTML)
    completed = run_vahti("sources", "test", site_server.url("/tapahtumat/"), "--json")
    assert completed.returncode == 1 and completed.stdout == ""
    said = " ".join(completed.stderr.split())
    assert "no way to read" in said
    assert '--kind css --config \'{"item": "article.event"' in said


def test_api_returning_html_is_a_clear_error(site_server: SiteServer, run_vahti: Run) -> None:
    path = "/v1/event/?include=location,keywords"
    site_server.add(path, fixture("linkedevents", "html-instead.html"), content_type=HTML)
    completed = run_vahti("sources", "test", site_server.url(path), "--kind", "linkedevents")
    assert completed.returncode == 1
    said = " ".join(completed.stdout.split())  # the table wraps long lines
    assert "expected JSON from a Linked Events API, got an HTML page" in said


def test_response_over_the_size_cap_is_refused(site_server: SiteServer, run_vahti: Run) -> None:
    site_server.add(
        "/big.ics", fixture("ics", "urapalvelut.ics") * 40, content_type="text/calendar"
    )
    completed = run_vahti(
        "sources",
        "test",
        site_server.url("/big.ics"),
        "--kind",
        "ics",
        env={"VAHTI_CRAWL__MAX_RESPONSE_MB": "0.1"},
    )
    assert completed.returncode == 1
    said = " ".join(completed.stdout.split())
    assert "0 records" in said and "larger than download max size" in said


def test_add_stores_what_auto_detection_found(site_server: SiteServer, run_vahti: Run) -> None:
    head = '<link rel="alternate" type="application/rss+xml" href="/feed/">'
    site_server.add("/bron/", f"<html><head>{head}</head><body></body></html>", content_type=HTML)
    site_server.add("/feed/", fixture("rss", "bron-sv.xml"), content_type="application/rss+xml")
    added = run_vahti("sources", "add", site_server.url("/bron/"), "--name", "Bron")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "1"
    assert "detected rss at " + site_server.url("/feed/") in added.stderr
    (source,) = json.loads(run_vahti("sources", "list", "--json").stdout)
    assert (source["kind"], source["detected_kind"], source["feed_url"]) == (
        "auto",
        "rss",
        site_server.url("/feed/"),
    )


def test_add_refuses_a_page_with_nothing_to_read(site_server: SiteServer, run_vahti: Run) -> None:
    site_server.add("/tapahtumat/", fixture("css", "tyomessut-1.html"), content_type=HTML)
    added = run_vahti("sources", "add", site_server.url("/tapahtumat/"))
    assert added.returncode == 2 and "nothing was added" in added.stderr
    assert json.loads(run_vahti("sources", "list", "--json").stdout) == []


def test_calendar_with_whole_html_documents_in_x_alt_desc(
    site_server: SiteServer, run_vahti: Run
) -> None:
    """A school CMS export: BEGIN:VCALENDAR at its start, served as text/calendar, an HTML
    document inside X-ALT-DESC. Sniffing looks at the start and the type, never inside."""
    body = fixture("ics", "koulu-cms.ics")
    site_server.add("/kalenteri.ics", body, content_type="text/calendar; charset=utf-8")
    site_server.add("/kalenteri", body, content_type="application/octet-stream")
    for path in ("/kalenteri.ics", "/kalenteri"):  # by its type, and by its start alone
        completed = run_vahti("sources", "test", site_server.url(path), "--json")
        found = records(completed)
        assert [r["title"] for r in found] == [
            "Infotilaisuus aikuisopiskelijoille",
            "Kielikahvila",
            "Rekrytointipäivä",
        ]
        assert "detected ics" in completed.stderr
    text = found[0]["description_text"]
    assert text.startswith("Tervetuloa infotilaisuuteen, jossa") and "Paikka: auditorio" in text
    assert "track()" not in text and "color" not in text and "Infotilaisuus\n" not in text


def test_html_page_served_as_a_calendar_is_refused(site_server: SiteServer, run_vahti: Run) -> None:
    """The positive control: an HTML page (no BEGIN:VCALENDAR at its start) is no calendar,
    whatever its content type says."""
    page = "<!DOCTYPE html><html><head><title>Kalenteri</title></head><body>BEGIN:VCALENDAR"
    site_server.add("/kalenteri.ics", page + "</body></html>", content_type="text/calendar")
    completed = run_vahti("sources", "test", site_server.url("/kalenteri.ics"), "--kind", "ics")
    assert completed.returncode == 1
    said = " ".join(completed.stdout.split())
    assert "expected an iCalendar file, got an HTML page" in said
