"""Linked Events API pages (scrapers.extractors.linkedevents)."""

from __future__ import annotations

import pytest

from scrapers.extractors import Extraction
from store.record import EventRecord
from tests.support.extract import by_id, run, utc

API = "https://api.example.fi/linkedevents/v1/event/"
JSON = "application/json"


@pytest.fixture(scope="module")
def page1() -> Extraction:
    return run("linkedevents", ("linkedevents", "helsinki-page1.json"), API, content_type=JSON)


@pytest.fixture(scope="module")
def page2() -> Extraction:
    url = API + "?page=2"
    return run("linkedevents", ("linkedevents", "helsinki-page2.json"), url, content_type=JSON)


@pytest.fixture(scope="module")
def events(page1: Extraction, page2: Extraction) -> dict[str | None, EventRecord]:
    return by_id(page1.records + page2.records)


def test_next_page_comes_from_meta_next(page1: Extraction, page2: Extraction) -> None:
    assert page1.next_pages == [
        API + "?include=location%2Ckeywords&page=2&page_size=3&sort=start_time"
    ]
    assert page2.next_pages == []


def test_recurring_super_event_and_deleted_rows_are_no_listings(
    events: dict[str | None, EventRecord],
) -> None:
    assert sorted(events) == [
        "helsinki:agq7kahvila1",
        "helsinki:agq7mentor",
        "helsinki:agq7paiva",
        "helsinki:agq7rekry",
        "helsinki:agq7webinar",
    ]


def test_every_language_of_the_name_is_kept(events: dict[str | None, EventRecord]) -> None:
    fair = events["helsinki:agq7rekry"]
    assert fair.titles == {
        "fi": "Rekrytointitapahtuma: sote-ala",
        "sv": "Rekryteringsevenemang: social- och hälsovård",
        "en": "Recruitment event: health and social care",
    }
    assert fair.title == "Rekrytointitapahtuma: sote-ala"


def test_descriptions_by_language(events: dict[str | None, EventRecord]) -> None:
    fair = events["helsinki:agq7rekry"]
    assert fair.descriptions["sv"] == "Träffa arbetsgivare inom vården."
    assert fair.description_html.startswith("<p>Tapaa sote-alan työnantajia.")


def test_source_language_picks_the_main_title() -> None:
    result = run(
        "linkedevents",
        ("linkedevents", "helsinki-page1.json"),
        API,
        content_type=JSON,
        source_language="sv",
    )
    assert result.records[0].title == "Rekryteringsevenemang: social- och hälsovård"


def test_utc_times(events: dict[str | None, EventRecord]) -> None:
    fair = events["helsinki:agq7rekry"]
    assert (fair.start_at, fair.end_at) == (utc(2027, 1, 18, 8), utc(2027, 1, 18, 12))


def test_included_location(events: dict[str | None, EventRecord]) -> None:
    fair = events["helsinki:agq7rekry"]
    assert fair.venue == "Keskustakirjasto Oodi"
    assert fair.extra["venue_names"] == {  # the place's name in each language, for dedupe
        "fi": "Keskustakirjasto Oodi",
        "sv": "Centrumbiblioteket Ode",
        "en": "Central Library Oodi",
    }
    assert (fair.address, fair.city) == ("Töölönlahdenkatu 4", "Helsinki")


def test_keywords_and_audience_ids(events: dict[str | None, EventRecord]) -> None:
    fair = events["helsinki:agq7rekry"]
    assert fair.categories == ["job-fair"]
    assert set(fair.audiences) == {"immigrants", "unemployed"}


def test_in_language(events: dict[str | None, EventRecord]) -> None:
    fair = events["helsinki:agq7rekry"]
    assert (fair.language, fair.languages) == ("fi", ["fi", "en"])


def test_info_url_in_the_main_language(events: dict[str | None, EventRecord]) -> None:
    assert (
        events["helsinki:agq7rekry"].url == "https://tyollisyys.example.fi/tapahtumat/sote-rekry/"
    )


def test_provider_is_the_organiser(events: dict[str | None, EventRecord]) -> None:
    assert events["helsinki:agq7rekry"].organiser == "Helsingin kaupungin työllisyyspalvelut"


def test_offer_is_free(events: dict[str | None, EventRecord]) -> None:
    assert events["helsinki:agq7rekry"].is_free is True


def test_enrolment_is_the_application_window(events: dict[str | None, EventRecord]) -> None:
    call = events["helsinki:agq7mentor"]
    assert call.deadline_at == utc(2027, 1, 31, 21, 59)
    assert call.application_opens_at == utc(2026, 12, 1, 8)
    assert call.application_url == "https://mentorointi.example.fi/hae/"


def test_course_type_does_not_override_the_named_category(
    events: dict[str | None, EventRecord],
) -> None:
    call = events["helsinki:agq7mentor"]
    assert call.categories == ["mentoring"]
    assert set(call.audiences) == {"immigrants", "women"}


def test_sub_event_keeps_its_series(events: dict[str | None, EventRecord]) -> None:
    cafe = events["helsinki:agq7kahvila1"]
    assert cafe.series_id == API + "helsinki:agq7kahvila/"
    assert cafe.status == "cancelled"


def test_virtual_event(events: dict[str | None, EventRecord]) -> None:
    webinar = events["helsinki:agq7webinar"]
    assert webinar.attendance == "online" and webinar.venue is None
    assert webinar.online_url == "https://teams.example/meet/tyonhaku"
    assert webinar.categories == ["webinar"]


def test_day_without_a_start_time_is_a_whole_day(events: dict[str | None, EventRecord]) -> None:
    day = events["helsinki:agq7paiva"]
    assert day.all_day is True
    assert (day.start_at, day.end_at) == (utc(2027, 2, 5, 22), utc(2027, 2, 6, 22))


def test_place_link_without_include_is_kept_as_an_id(events: dict[str | None, EventRecord]) -> None:
    day = events["helsinki:agq7paiva"]
    assert day.venue is None and day.extra == {
        "location_id": API.replace("event/", "place/tprek:8254/")
    }


def test_price_text_in_html(events: dict[str | None, EventRecord]) -> None:
    day = events["helsinki:agq7paiva"]
    assert (day.price, day.is_free) == ("5 €, työttömille maksuton", False)


def test_event_url_template_when_info_url_is_missing() -> None:
    config = {"event_url": "https://tapahtumat.hel.fi/{lang}/events/{id}"}
    result = run(
        "linkedevents",
        ("linkedevents", "helsinki-page1.json"),
        API,
        content_type=JSON,
        config=config,
    )
    assert by_id(result.records)["helsinki:agq7mentor"].url == (
        "https://tapahtumat.hel.fi/fi/events/helsinki:agq7mentor"
    )


def test_real_turku_page_with_a_rescheduled_sub_event() -> None:
    url = "https://linkedevents-api.turku.fi/v1/event/"
    result = run(
        "linkedevents",
        ("linkedevents", "turku-2022.json"),
        url,
        content_type=JSON,
        include_past=True,
    )
    (event,) = result.records
    assert (event.external_id, event.status) == ("turku:991417", "rescheduled")
    assert event.price == "Sisäänpääsymaksu + ohjausmaksu 2,50 €" and event.is_free is False
    assert event.city == "Turku" and event.organiser == "Turun kaupungin liikuntapalvelut"
    assert result.next_pages == [
        "https://linkedevents-api.turku.fi/v1/event/?last_modified_since=2022-05-15&page=2"
    ]
