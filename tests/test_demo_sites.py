"""The offline demo organiser sites, read over HTTP the way an aggregator would.

Each format is parsed here on its own (json, icalendar, feedparser, parsel), without the
application's extractors, and checked against the demo's ground truth. Every test takes
``today`` from a fixture: one winter day, and one whose 60-day window crosses the change to
summer time.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import pytest
from parsel import Selector

from demo.catalogue import AUDIENCES, CATEGORIES, STATUSES, build_catalogue
from demo.ground_truth import HARD_NEGATIVES, ground_truth, load_static
from demo.server import DemoServer, serve_sites
from demo.sites import DEMO_SITES, DemoSite
from demo.specs import DATA, SpecError, load_specs

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAYS = (date(2026, 12, 1), date(2027, 3, 10))

ListingId = tuple[str, str]
When = datetime | date


@dataclass(frozen=True)
class Found:
    """One listing as read from its site."""

    site: str
    key: str
    title: str
    start: When
    languages: frozenset[str]


# --- reading dates written for people -------------------------------------------------------

FI_MONTHS = (
    "tammi",
    "helmi",
    "maalis",
    "huhti",
    "touko",
    "kesä",
    "heinä",
    "elo",
    "syys",
    "loka",
    "marras",
    "joulu",
)
SV_MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
CLOCK = r"(?:\s+(?:klo|kl\.)\s+(\d{1,2})(?:[.:](\d{2}))?)?"
HUMAN_DATES = (
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + CLOCK), None),
    (re.compile(r"(\d{1,2})\.\s+(" + "|".join(FI_MONTHS) + r")kuuta\s+(\d{4})" + CLOCK), FI_MONTHS),
    (re.compile(r"(\d{1,2})\s+(" + "|".join(SV_MONTHS) + r")\s+(\d{4})" + CLOCK), SV_MONTHS),
    (
        re.compile(
            r"(\d{1,2})\s+(" + "|".join(EN_MONTHS) + r")\s+(\d{4})(?:,\s+(\d{1,2}):(\d{2}))?"
        ),
        EN_MONTHS,
    ),
)
EN_SHORT = re.compile(
    r"(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4}),\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?[^ap]*(am|pm)?"
)


def human_date(text: str) -> When:
    """Read "to 14.1.2027 klo 17.00–19.00", "14. tammikuuta 2027 klo 9", "torsdag 14 januari
    2027 kl. 17–19", "Thursday 14 January 2027, 17:00–19:00" or "Wed 3 Feb 2027, 5–7 pm"."""
    for pattern, months in HUMAN_DATES:
        match = pattern.search(text)
        if match:
            day, month, year, hour, minute = match.groups()
            month_number = months.index(month) + 1 if months else int(month)
            day_only = date(int(year), month_number, int(day))
            if hour is None:
                return day_only
            return datetime.combine(day_only, time(int(hour), int(minute or 0)), HELSINKI)
    match = EN_SHORT.search(text)
    assert match, f"no date in {text!r}"
    day, month, year, hour, minute, first_half, last_half = match.groups()
    clock = int(hour) % 12 + (12 if (first_half or last_half) == "pm" else 0)
    day_only = date(int(year), [m[:3] for m in EN_MONTHS].index(month) + 1, int(day))
    return datetime.combine(day_only, time(clock, int(minute or 0)), HELSINKI)


def machine_date(value: str) -> When:
    """ISO 8601 as the sites write it; a time without an offset is Helsinki time."""
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=HELSINKI)


def instant(value: When) -> When:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def local_day(value: When) -> date:
    return value.astimezone(HELSINKI).date() if isinstance(value, datetime) else value


# --- fetching and reading each format --------------------------------------------------------


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
    return body


def read_jsonld(site: DemoSite, base_url: str) -> Iterator[Found]:
    start = site.start_url(base_url)
    assert site.detail_links
    for link in Selector(text=fetch(start).decode()).css(site.detail_links).getall():
        url = urljoin(start, link)
        page = Selector(text=fetch(url).decode())
        language = page.xpath("/html/@lang").get()
        for script in page.css('script[type="application/ld+json"]::text').getall():
            data = json.loads(script)
            for node in data.get("@graph", [data]):
                if node["@type"].endswith("Event"):
                    yield Found(
                        site.slug,
                        urlsplit(url).path,
                        node["name"],
                        machine_date(node["startDate"]),
                        frozenset({language}),
                    )


def read_microdata(site: DemoSite, base_url: str) -> Iterator[Found]:
    page = Selector(text=fetch(site.start_url(base_url)).decode())
    for item in page.xpath('//*[@itemscope][contains(@itemtype, "Event")]'):
        depth = len(item.xpath("ancestor::*[@itemscope]"))

        def prop(name: str, item: Selector = item, depth: int = depth) -> Selector:
            own = f".//*[@itemprop='{name}'][count(ancestor::*[@itemscope]) = {depth + 1}]"
            return item.xpath(own)[0]

        start = prop("startDate")
        url = prop("url").attrib["href"]
        yield Found(
            site.slug,
            urlsplit(url).path,
            prop("name").xpath("string()").get().strip(),
            machine_date(start.attrib.get("datetime") or start.attrib["content"]),
            frozenset({item.attrib["lang"]}),
        )


def rss_start(entry: feedparser.FeedParserDict) -> When:
    if "ev_startdate" in entry:
        return machine_date(entry.ev_startdate)
    labels = ("Tid:", "Aika:", "When:", "Programmet startar", "Ohjelma alkaa", "The programme")
    for paragraph in Selector(text=entry.content[0].value).xpath("//p"):
        text = paragraph.xpath("string()").get()
        if text.startswith(labels):
            return human_date(text)
    raise AssertionError(f"no start in {entry.id}")


def read_rss(site: DemoSite, base_url: str) -> Iterator[Found]:
    feed = feedparser.parse(fetch(site.start_url(base_url)))
    assert not feed.bozo, feed.get("bozo_exception")
    for entry in feed.entries:
        yield Found(site.slug, entry.id, entry.title, rss_start(entry), frozenset({entry.language}))


def read_ics(site: DemoSite, base_url: str) -> Iterator[Found]:
    calendar = icalendar.Calendar.from_ical(fetch(site.start_url(base_url)))
    zone = ZoneInfo(str(calendar["X-WR-TIMEZONE"]))

    def start_of(event: icalendar.Event, name: str = "DTSTART") -> When:
        value = event.decoded(name)
        if isinstance(value, datetime) and value.tzinfo is None:  # floating: the calendar's zone
            return value.replace(tzinfo=zone)
        return value

    events = calendar.walk("VEVENT")
    moved = {
        (str(e["UID"]), start_of(e, "RECURRENCE-ID")): e for e in events if "RECURRENCE-ID" in e
    }
    for event in events:
        uid, language = str(event["UID"]), event["SUMMARY"].params["LANGUAGE"]
        if "RECURRENCE-ID" in event:
            continue
        if "RRULE" not in event:
            yield Found(
                site.slug, uid, str(event["SUMMARY"]), start_of(event), frozenset({language})
            )
            continue
        rule = event["RRULE"]
        assert rule["FREQ"] == ["WEEKLY"]
        first = start_of(event)
        assert isinstance(first, datetime)
        exdates = event.get("EXDATE", [])
        skipped = {
            d.dt for ex in (exdates if isinstance(exdates, list) else [exdates]) for d in ex.dts
        }
        for n in range(1, rule["COUNT"][0] + 1):
            original = datetime.combine(first.date() + timedelta(weeks=n - 1), first.timetz())
            if original in skipped:
                continue
            override = moved.get((uid, original))
            occurrence = override or event
            yield Found(
                site.slug,
                f"{uid}#{n}",
                str(occurrence["SUMMARY"]),
                start_of(override) if override else original,
                frozenset({language}),
            )


def read_css(site: DemoSite, base_url: str) -> Iterator[Found]:
    config = site.css
    assert config is not None
    url: str | None = site.start_url(base_url)
    while url:
        page = Selector(text=fetch(url).decode())
        for item in page.css(config["item"]):
            when = " ".join(item.css(config[name]).get() or "" for name in ("date", "time"))
            link = urljoin(url, item.css(config["link"]).get())
            yield Found(
                site.slug,
                urlsplit(link).path,
                item.css(config["title"]).get().strip(),
                human_date(when),
                frozenset({item.attrib["lang"]}),
            )
        next_page = page.css(config["next_page"]).get()
        url = urljoin(url, next_page) if next_page else None


def api_pages(site: DemoSite, base_url: str) -> Iterator[dict]:
    url: str | None = site.start_url(base_url)
    while url:
        assert url.startswith(base_url)
        page = json.loads(fetch(url))
        yield page
        url = page["meta"]["next"]


def read_linkedevents(site: DemoSite, base_url: str) -> Iterator[Found]:
    for page in api_pages(site, base_url):
        for event in page["data"]:
            if event["deleted"] or event["super_event_type"] == "recurring":
                continue
            names = event["name"]
            yield Found(
                site.slug,
                event["id"],
                next(iter(names.values())),
                machine_date(event["start_time"]),
                frozenset(names),
            )


READERS = {
    "json-ld": read_jsonld,
    "microdata": read_microdata,
    "icalendar": read_ics,
    "html": read_css,
    "linkedevents-json": read_linkedevents,
}


def read_site(site: DemoSite, base_url: str) -> list[Found]:
    reader = READERS.get(site.format, read_rss if site.format.startswith("rss") else None)
    assert reader is not None, site.format
    return list(reader(site, base_url))


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=TODAYS, ids=str)
def server(request: pytest.FixtureRequest) -> Iterator[DemoServer]:
    with serve_sites(today=request.param) as running:
        yield running


@pytest.fixture(scope="module")
def today(server: DemoServer) -> date:
    return server.today


@pytest.fixture(scope="module")
def found(server: DemoServer) -> dict[ListingId, Found]:
    listings: dict[ListingId, Found] = {}
    for site in DEMO_SITES:
        for item in read_site(site, server.base_url):
            assert (item.site, item.key) not in listings, f"listed twice: {item}"
            listings[item.site, item.key] = item
    return listings


@pytest.fixture(scope="module")
def groups(today: date) -> list[list[ListingId]]:
    return ground_truth(today)


def group_of(groups: list[list[ListingId]]) -> dict[ListingId, int]:
    return {member: number for number, group in enumerate(groups) for member in group}


# --- the sites as a whole -------------------------------------------------------------------


def test_six_sites_in_five_kinds_and_six_formats() -> None:
    assert len({site.slug for site in DEMO_SITES}) >= 6
    assert len({site.kind for site in DEMO_SITES}) >= 5
    assert len({site.format for site in DEMO_SITES}) == len(DEMO_SITES)
    assert {site.role for site in DEMO_SITES} == {"organiser", "aggregator"}


def test_at_least_85_listings_all_upcoming(found: dict[ListingId, Found], today: date) -> None:
    days_ahead = [(local_day(item.start) - today).days for item in found.values()]
    assert len(found) >= 85
    assert min(days_ahead) >= 1
    assert max(days_ahead) <= 60


def test_listings_in_finnish_swedish_and_english(found: dict[ListingId, Found]) -> None:
    for language in ("fi", "sv", "en"):
        assert sum(language in item.languages for item in found.values()) >= 10, language


def test_every_site_is_read_with_its_own_listings(found: dict[ListingId, Found]) -> None:
    for site in DEMO_SITES:
        assert sum(item.site == site.slug for item in found.values()) >= 10, site.slug


# --- ground truth ---------------------------------------------------------------------------


def test_ground_truth_names_each_listing_found_exactly_once(
    found: dict[ListingId, Found], groups: list[list[ListingId]]
) -> None:
    members = [member for group in groups for member in group]
    assert len(members) == len(set(members))
    assert set(members) == set(found)


def test_titles_read_from_the_sites_are_the_catalogue_titles(
    found: dict[ListingId, Found], today: date
) -> None:
    for listing in build_catalogue(today):
        assert found[listing.site, listing.external_key].title == listing.title


def test_one_event_starts_at_one_instant_on_different_sites(
    found: dict[ListingId, Found], groups: list[list[ListingId]]
) -> None:
    for group in groups:
        assert len({site for site, _ in group}) == len(group), group
        starts = {instant(found[member].start) for member in group}
        assert len(starts) == 1, (group, starts)


def test_many_events_are_listed_on_several_sites_and_in_several_languages(
    found: dict[ListingId, Found], groups: list[list[ListingId]]
) -> None:
    multi_site = [group for group in groups if len(group) > 1]
    cross_language = [
        group
        for group in multi_site
        if any(not (found[a].languages & found[b].languages) for a in group for b in group)
    ]
    assert len(multi_site) >= 18
    assert len(cross_language) >= 5


def test_hard_negatives_stay_apart_though_they_look_alike(
    found: dict[ListingId, Found], groups: list[list[ListingId]]
) -> None:
    number = group_of(groups)
    assert {kind for kind, *_ in HARD_NEGATIVES} == {
        "series",
        "same-venue-and-time",
        "course-parts",
        "similar-title",
    }
    for kind, a, b, why in HARD_NEGATIVES:
        assert number[a] != number[b], why
        first, second = found[a].start, found[b].start
        if kind == "same-venue-and-time":
            assert instant(first) == instant(second), why
        else:
            assert local_day(first) != local_day(second), why
        if kind == "course-parts":
            assert isinstance(first, datetime) and isinstance(second, datetime)
            one, other = first.astimezone(HELSINKI), second.astimezone(HELSINKI)
            assert (one.weekday(), one.time()) == (other.weekday(), other.time()), why


def test_the_shipped_ground_truth_file_holds_for_any_today(
    groups: list[list[ListingId]],
) -> None:
    static = load_static()
    shipped = sorted(
        sorted((site, key) for site, key in group["listings"]) for group in static["groups"]
    )
    assert shipped == groups
    assert [[n["a"], n["b"]] for n in static["hard_negatives"]] == [
        [list(a), list(b)] for _, a, b, _ in HARD_NEGATIVES
    ]


def test_another_today_moves_the_dates_and_keeps_the_keys(today: date) -> None:
    later = today + timedelta(days=17)
    before = {(x.site, x.external_key): x for x in build_catalogue(today)}
    after = {(x.site, x.external_key): x for x in build_catalogue(later)}
    assert before.keys() == after.keys()
    for key, listing in before.items():
        shift = (local_day(after[key].start) - local_day(listing.start)).days
        assert 17 - 6 <= shift <= 17 + 6, key
    assert ground_truth(later) == ground_truth(today)


def test_catalogue_speaks_the_applications_vocabularies(today: date) -> None:
    for listing in build_catalogue(today):
        assert set(listing.categories) <= set(CATEGORIES), listing.external_key
        assert set(listing.audiences) <= set(AUDIENCES), listing.external_key
        assert listing.status in STATUSES
        if listing.deadline is not None:
            assert 5 <= (listing.deadline.date() - today).days <= 25
            assert listing.deadline.date() < local_day(listing.start)


# --- what each format carries ---------------------------------------------------------------


def body(server: DemoServer, path: str) -> str:
    return fetch(server.url(path)).decode()


def test_jsonld_pages_vary_as_real_ones_do(server: DemoServer) -> None:
    site = next(s for s in DEMO_SITES if s.format == "json-ld")
    start = site.start_url(server.base_url)
    links = Selector(text=fetch(start).decode()).css(site.detail_links or "").getall()
    scripts = [
        json.loads(script)
        for link in links
        for script in Selector(text=fetch(urljoin(start, link)).decode())
        .css('script[type="application/ld+json"]::text')
        .getall()
    ]
    events = [
        node
        for data in scripts
        for node in data.get("@graph", [data])
        if node["@type"].endswith("Event")
    ]
    assert {"Event", "EducationEvent", "BusinessEvent"} <= {e["@type"] for e in events}
    assert any("@graph" in data for data in scripts)
    assert any(e["location"]["@type"] == "VirtualLocation" for e in events)
    assert any(
        e["location"]["address"]["@type"] == "PostalAddress"
        for e in events
        if e["location"]["@type"] == "Place"
    )
    assert any(e["eventStatus"].endswith("EventCancelled") for e in events)
    assert any(e["startDate"].endswith("Z") for e in events)
    assert any(re.search(r"[+-]0[23]:00$", e["startDate"]) for e in events)
    assert any(len(e["startDate"]) == 10 for e in events)
    assert any(e["offers"]["price"] == "0" for e in events)
    assert any(isinstance(e["inLanguage"], list) for e in events)


def test_rss_items_carry_ev_dates_or_only_text(server: DemoServer) -> None:
    site = next(s for s in DEMO_SITES if s.kind == "rss")
    feed = feedparser.parse(fetch(site.start_url(server.base_url)))
    with_ev = [entry for entry in feed.entries if "ev_startdate" in entry]
    assert 0 < len(with_ev) < len(feed.entries)
    text = " ".join(entry.content[0].value for entry in feed.entries)
    assert re.search(r"Ansökningstiden går ut \d{1,2}\.\d{1,2}\.\d{4}", text)
    assert re.search(r"Hakuaika päättyy \d{1,2}\.\d{1,2}\.\d{4}", text)
    assert re.search(r"[a-zåäö]+dag \d{1,2} [a-z]+ \d{4} kl\. \d{1,2}", text)


def test_ics_has_zones_series_overrides_and_statuses(server: DemoServer) -> None:
    site = next(s for s in DEMO_SITES if s.kind == "ics")
    text = body(server, site.start_path).replace("\r\n ", "")
    for needle in (
        "BEGIN:VTIMEZONE",
        "X-WR-TIMEZONE:Europe/Helsinki",
        "RRULE:FREQ=WEEKLY",
        "EXDATE;TZID=Europe/Helsinki:",
        "RECURRENCE-ID;TZID=Europe/Helsinki:",
        "STATUS:CANCELLED",
        "DTSTART;VALUE=DATE:",
        "URL:" + server.base_url,
        "LOCATION:",
    ):
        assert needle in text, needle
    assert re.search(r"^DTSTART:\d{8}T\d{6}Z\r$", text, re.MULTILINE)
    assert re.search(r"^DTSTART:\d{8}T\d{6}\r$", text, re.MULTILINE)
    home = Selector(text=body(server, site.home_path))
    alternate = home.css('link[rel="alternate"][type="text/calendar"]::attr(href)').get()
    assert alternate == site.start_url(server.base_url)


def test_css_site_has_two_pages_and_three_date_styles(server: DemoServer) -> None:
    site = next(s for s in DEMO_SITES if s.kind == "css")
    first = Selector(text=body(server, site.start_path))
    assert site.css is not None
    next_page = first.css(site.css["next_page"]).get()
    assert next_page
    second = Selector(text=fetch(urljoin(site.start_url(server.base_url), next_page)).decode())
    dates = first.css(".date::text").getall() + second.css(".date::text").getall()
    assert second.css(site.css["item"])
    assert any(re.fullmatch(r"\w\w \d{1,2}\.\d{1,2}\.\d{4} klo [\d.–]+", d) for d in dates)
    assert any(re.fullmatch(r"\d{1,2}\. \w+kuuta \d{4}", d) for d in dates)
    assert any(
        re.fullmatch(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}, .+ [ap]m", d) for d in dates
    )
    assert not first.css('script[type="application/ld+json"], [itemscope]')


def test_linkedevents_api_pages_like_the_real_one(server: DemoServer) -> None:
    site = next(s for s in DEMO_SITES if s.kind == "linkedevents")
    pages = list(api_pages(site, server.base_url))
    events = [event for page in pages for event in page["data"]]
    assert len(pages) >= 3
    assert pages[0]["meta"]["count"] == len(events)
    keywords = {k["id"] for e in events for k in e.get("keywords", []) + e.get("audience", [])}
    assert {"yso:p6357", "yso:p9607", "yso:p4892", "yso:p6165"} <= keywords
    umbrella = next(e for e in events if e["super_event_type"] == "recurring")
    assert len(umbrella["sub_events"]) >= 4
    assert any(e["deleted"] for e in events)
    assert any(e.get("enrolment_end_time") and e.get("enrolment_url") for e in events)
    assert any(e.get("is_virtualevent") for e in events)
    assert any(e.get("offers") and e["offers"][0]["is_free"] is False for e in events)
    assert any(set(e["name"]) == {"fi", "sv", "en"} for e in events)
    assert all(e.get("start_time", "").endswith("Z") or len(e["start_time"]) == 10 for e in events)


def test_microdata_events_say_their_type_place_and_offer(server: DemoServer) -> None:
    site = next(s for s in DEMO_SITES if s.format == "microdata")
    page = Selector(text=body(server, site.start_path))
    assert page.xpath("/html/@lang").get() == "sv"
    assert page.css('[itemtype="https://schema.org/EducationEvent"]')
    assert page.css(
        '[itemtype="https://schema.org/Event"] [itemprop="location"] '
        '[itemprop="address"] [itemprop="streetAddress"]'
    )
    assert page.css('[itemprop="offers"] [itemprop="price"]')


def test_absolute_links_use_the_base_url(server: DemoServer) -> None:
    foreign = {
        "https://schema.org",
        "http://schema.org",
        "http://purl.org",
        "http://www.w3.org",
        "https://wordpress.org",
        "https://meet.example.org",
    }
    for path, resource in server.files.items():
        for url in re.findall(r"https?://[^\s\"'<>\\]+", resource.body.decode()):
            host = "/".join(url.split("/")[:3])
            assert url.startswith(server.base_url) or host in foreign, (path, url)


# --- the HTTP server ------------------------------------------------------------------------


def request(server: DemoServer, path: str, method: str = "GET", **headers: str):
    req = urllib.request.Request(server.url(path), method=method, headers=headers)
    try:
        return urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as error:
        return error


def test_etag_and_last_modified_answer_conditional_requests(server: DemoServer) -> None:
    path = "/bron/feed/"
    with request(server, path) as first:
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert first.status == 200 and first.read()
    with request(server, path, **{"If-None-Match": etag}) as again:
        assert again.status == 304
        assert again.read() == b""
    with request(server, path, **{"If-Modified-Since": modified}) as since:
        assert since.status == 304
    with request(server, path, **{"If-None-Match": '"something-else"'}) as changed:
        assert changed.status == 200


def test_head_sends_headers_without_a_body(server: DemoServer) -> None:
    with request(server, "/urapalvelut/events.ics", method="HEAD") as head:
        assert head.status == 200
        assert head.headers["Content-Type"].startswith("text/calendar")
        assert int(head.headers["Content-Length"]) > 1000
        assert head.read() == b""


def test_unknown_paths_are_404(server: DemoServer) -> None:
    for path in (
        "/no-such-site/",
        "/tyollisyys/tapahtumat/no-such-event/",
        "/linkedevents/v1/event/?page=99",
    ):
        with request(server, path) as response:
            assert response.status == 404, path


def test_query_strings_select_api_pages(server: DemoServer) -> None:
    with request(server, "/linkedevents/v1/event/?include=location,keywords&page=2") as second:
        assert second.headers["Content-Type"] == "application/json"
        page_two = json.loads(second.read())
    page_one = json.loads(fetch(server.url("/linkedevents/v1/event/?page=1")))
    assert page_one["meta"]["next"].startswith(server.base_url)
    assert {e["id"] for e in page_one["data"]}.isdisjoint(e["id"] for e in page_two["data"])
    assert fetch(server.url("/robots.txt")).startswith(b"User-agent: *")


# --- the demo's own data --------------------------------------------------------------------


def test_a_mistake_in_the_demo_data_is_named_with_its_file_and_event(tmp_path: Path) -> None:
    for source in DATA.glob("*.toml"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    work = tmp_path / "work.toml"
    work.write_text(
        work.read_text(encoding="utf-8").replace(
            'key = "rekrytointimessut-espoo"', 'key = "rekrytointimessut-espoo"\nroom = "A1"', 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"work\.toml: event 'rekrytointimessut-espoo'.*room"):
        load_specs(tmp_path)
    work.write_text("[[event]\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"work\.toml"):
        load_specs(tmp_path)
