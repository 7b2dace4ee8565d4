"""schema.org events in JSON-LD, microdata and RDFa (scrapers.extractors.jsonld)."""

from __future__ import annotations

import pytest

from scrapers.extractors import Extraction, extract
from store.record import EventRecord
from tests.support.extract import by_id, context, run, utc

FAIR_URL = "https://tyollisyys.example.fi/tapahtumat/rekrytointimessut-kaapelitehtaalla/"
GRAPH_URL = "https://integration.example.fi/evenemang/mentorskap-2027/"
SERIES_URL = "https://careers.example.fi/webinars/job-search-in-finland/"


@pytest.fixture(scope="module")
def fair() -> EventRecord:
    result = run("jsonld", ("jsonld", "rekrytointimessut.html"), FAIR_URL)
    assert len(result.records) == 1 and not result.errors
    return result.records[0]


@pytest.fixture(scope="module")
def mentoring() -> EventRecord:
    result = run("jsonld", ("jsonld", "mentorskap-graph.html"), GRAPH_URL)
    assert len(result.records) == 1
    return result.records[0]


@pytest.fixture(scope="module")
def series() -> dict[str | None, EventRecord]:
    result = run("jsonld", ("jsonld", "webinar-series.html"), SERIES_URL)
    return by_id(result.records)


@pytest.fixture(scope="module")
def courses() -> list[EventRecord]:
    url = "https://medborgar.example.fi/evenemang/"
    return run("jsonld", ("jsonld", "kurser-microdata.html"), url).records


def test_title(fair: EventRecord) -> None:
    assert fair.title == "Rekrytointimessut Kaapelitehtaalla"
    assert fair.titles == {"fi": "Rekrytointimessut Kaapelitehtaalla"}


def test_start_with_offset_is_stored_in_utc(fair: EventRecord) -> None:
    assert fair.start_at == utc(2027, 1, 14, 8, 0)


def test_end(fair: EventRecord) -> None:
    assert fair.end_at == utc(2027, 1, 14, 14, 0)


def test_zone_name_is_kept(fair: EventRecord) -> None:
    assert fair.timezone == "Europe/Helsinki" and fair.all_day is False


def test_external_id_is_the_event_id(fair: EventRecord) -> None:
    assert fair.external_id == FAIR_URL + "#event"


def test_url(fair: EventRecord) -> None:
    assert fair.url == FAIR_URL


def test_venue_address_and_city(fair: EventRecord) -> None:
    assert fair.venue == "Kaapelitehdas, Merikaapelihalli"
    assert fair.address == "Tallberginkatu 1, 00180 Helsinki"
    assert fair.city == "Helsinki"


def test_attendance_mode(fair: EventRecord) -> None:
    assert fair.attendance == "onsite" and fair.online_url is None


def test_event_language(fair: EventRecord) -> None:
    assert fair.language == "fi" and fair.languages == ["fi"]


def test_category(fair: EventRecord) -> None:
    assert fair.categories == ["job-fair"]


def test_audiences(fair: EventRecord) -> None:
    assert set(fair.audiences) == {"immigrants", "unemployed", "international"}


def test_status(fair: EventRecord) -> None:
    assert fair.status == "scheduled"


def test_price_zero_is_free(fair: EventRecord) -> None:
    assert fair.price == "0" and fair.is_free is True


def test_organiser(fair: EventRecord) -> None:
    assert fair.organiser == "Helsingin kaupungin työllisyyspalvelut"


def test_description_is_sanitised(fair: EventRecord) -> None:
    assert "<script" not in fair.description_html and "track()" not in fair.description_html
    assert "onclick" not in fair.description_html and "<iframe" not in fair.description_html
    assert fair.description_html.startswith("<p>Pääkaupunkiseudun suurimmat")
    assert fair.description_text.endswith("Ota CV mukaan!")


def test_graph_references_are_resolved(mentoring: EventRecord) -> None:
    assert mentoring.venue == "Föreningshuset Bron"
    assert mentoring.organiser == "Integrationsföreningen Bron rf"


def test_swedish_city_name_becomes_the_canonical_one(mentoring: EventRecord) -> None:
    assert mentoring.city == "Helsinki" and mentoring.address == "Annegatan 12, 00120 Helsingfors"


def test_status_word_in_title_becomes_status(mentoring: EventRecord) -> None:
    assert mentoring.title == "Mentorskapsprogrammet för nyinflyttade våren 2027"
    assert mentoring.status == "cancelled"


def test_time_without_offset_is_read_in_the_source_zone(mentoring: EventRecord) -> None:
    assert mentoring.start_at == utc(2027, 2, 18, 15, 0)


def test_offer_valid_through_before_the_start_is_the_deadline(mentoring: EventRecord) -> None:
    assert mentoring.deadline_at == utc(2027, 1, 31, 21, 59)
    assert mentoring.application_opens_at == utc(2026, 11, 30, 22, 0)


def test_offer_url_is_where_to_apply(mentoring: EventRecord) -> None:
    assert mentoring.application_url == "https://integration.example.fi/ansok/mentorskap/"


def test_language_said_in_the_text(mentoring: EventRecord) -> None:
    assert mentoring.language == "sv" and mentoring.titles.keys() == {"sv"}


def test_mentoring_category(mentoring: EventRecord) -> None:
    assert "mentoring" in mentoring.categories


def test_series_gives_its_parts_not_itself(series: dict[str | None, EventRecord]) -> None:
    assert sorted(series) == [SERIES_URL + f"#part-{n}" for n in (1, 2, 3)]


def test_parts_inherit_from_the_series(series: dict[str | None, EventRecord]) -> None:
    first = series[SERIES_URL + "#part-1"]
    assert first.organiser == "University of Uusimaa Career Services"
    assert first.language == "en" and first.is_free is True
    assert first.series_id == SERIES_URL


def test_virtual_location_makes_an_online_event(series: dict[str | None, EventRecord]) -> None:
    first = series[SERIES_URL + "#part-1"]
    assert first.attendance == "online"
    assert first.online_url == "https://uusimaa.zoom.example/j/123456"
    assert first.venue is None and first.city is None


def test_postponed_part(series: dict[str | None, EventRecord]) -> None:
    assert series[SERIES_URL + "#part-2"].status == "postponed"


def test_date_only_part_is_a_whole_day(series: dict[str | None, EventRecord]) -> None:
    part = series[SERIES_URL + "#part-3"]
    assert part.all_day is True
    assert (part.start_at, part.end_at) == (utc(2027, 2, 2, 22), utc(2027, 2, 3, 22))


def test_moved_online_is_scheduled_and_online(series: dict[str | None, EventRecord]) -> None:
    part = series[SERIES_URL + "#part-3"]
    assert (part.status, part.attendance) == ("scheduled", "online")


def test_webinar_category_from_text(series: dict[str | None, EventRecord]) -> None:
    assert "webinar" in series[SERIES_URL + "#part-1"].categories


def test_microdata_events_are_read(courses: list[EventRecord]) -> None:
    assert [c.title for c in courses] == [
        "Finska för inflyttare – nybörjarkurs, del 1",
        "Jobbsökarcafé på svenska",
    ]


def test_microdata_url_is_the_key(courses: list[EventRecord]) -> None:
    assert courses[0].external_id == (
        "https://medborgar.example.fi/evenemang/finska-for-inflyttare-del-1/"
    )


def test_microdata_price_with_currency(courses: list[EventRecord]) -> None:
    assert (courses[0].price, courses[0].is_free) == ("45 EUR", False)


def test_microdata_languages_in_order(courses: list[EventRecord]) -> None:
    assert courses[0].languages == ["fi", "sv"] and courses[0].language == "fi"


def test_microdata_course_category(courses: list[EventRecord]) -> None:
    assert courses[0].categories == ["course"]


def test_microdata_deadline(courses: list[EventRecord]) -> None:
    assert courses[0].deadline_at == utc(2027, 1, 10, 21, 59)


def test_microdata_status(courses: list[EventRecord]) -> None:
    assert courses[1].status == "postponed"


def test_rdfa_event() -> None:
    url = "https://careers.example.fi/events/"
    (record,) = run("jsonld", ("jsonld", "rdfa-workshop.html"), url).records
    assert record.title == "LinkedIn workshop for job seekers"
    assert record.start_at == utc(2027, 2, 2, 12, 0)
    assert (record.venue, record.city) == ("Oodi, Kuutio", "Helsinki")
    assert record.url == "https://careers.example.fi/events/linkedin-workshop/"
    assert record.categories == ["workshop"]


def test_listing_page_returns_its_event_pages_to_follow() -> None:
    url = "https://tyollisyys.example.fi/tapahtumat/"
    result = run("jsonld", ("jsonld", "listing-fi.html"), url)
    assert result.records == []
    assert result.follow == [
        "https://tyollisyys.example.fi/tapahtumat/rekrytointimessut-kaapelitehtaalla/",
        "https://tyollisyys.example.fi/tapahtumat/job-search-webinars/",
    ]
    assert result.follow_kind == "jsonld-detail"


def test_follow_selector_from_the_config_wins() -> None:
    url = "https://tyollisyys.example.fi/tapahtumat/"
    config = {"follow": "ul.event-list li:first-child a::attr(href)"}
    result = run("jsonld", ("jsonld", "listing-fi.html"), url, config=config)
    assert result.follow == [
        "https://tyollisyys.example.fi/tapahtumat/rekrytointimessut-kaapelitehtaalla/"
    ]


def test_an_event_page_read_as_a_detail_follows_nothing() -> None:
    result: Extraction = run(
        "jsonld-detail", ("jsonld", "listing-fi.html"), "https://tyollisyys.example.fi/tapahtumat/"
    )
    assert (result.records, result.follow) == ([], [])


def test_past_events_are_left_out_unless_asked(now: object) -> None:
    later = utc(2027, 3, 1)
    left = run("jsonld", ("jsonld", "rekrytointimessut.html"), FAIR_URL, now=later)
    kept = run(
        "jsonld", ("jsonld", "rekrytointimessut.html"), FAIR_URL, now=later, include_past=True
    )
    assert (len(left.records), left.outside_window, len(kept.records)) == (0, 1, 1)


def test_a_place_keeps_its_names_in_other_languages() -> None:
    """schema.org Place alternateName (tagged or not) is kept for cross-language dedupe."""
    page = b"""<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@type": "Event", "name": "Ansioluettelo kuntoon",
     "startDate": "2027-02-10T13:00:00+02:00",
     "location": {"@type": "Place", "name": "Helsingin kaupunginkirjasto",
       "alternateName": [{"@language": "sv", "@value": "Helsingfors stadsbibliotek"},
                         "Helsinki City Library"],
       "address": {"@type": "PostalAddress", "addressLocality": "Helsinki"}}}
    </script></head><body></body></html>"""
    found = extract("jsonld", page, context("https://tyoelama.example/tapahtuma/1"))
    (record,) = found.records
    assert record.venue == "Helsingin kaupunginkirjasto"
    assert record.extra["venue_names"] == {
        "sv": "Helsingfors stadsbibliotek",
        "alt1": "Helsinki City Library",
    }


def test_a_place_with_one_name_adds_no_names(fair: EventRecord) -> None:
    assert fair.venue and "venue_names" not in fair.extra  # beside a positive control above
