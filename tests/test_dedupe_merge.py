"""Canonical values of an event merged from its listings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from dedupe.merge import canonical_values
from dedupe.model import DedupeListing
from store.record import EventRecord

START = datetime(2027, 1, 14, 17, 0, tzinfo=timezone(timedelta(hours=2)))


def member(id_: int, priority: int, gone: bool = False, **fields: Any) -> DedupeListing:
    record = EventRecord(title=fields.pop("title", f"Listing {id_}"), start_at=START, **fields)
    return DedupeListing(
        id=id_,
        source_id=id_,
        priority=priority,
        title=record.title,
        start_at=record.start_at,
        all_day=record.all_day,
        timezone=record.timezone,
        url=record.url,
        page_url=record.page_url,
        gone=gone,
        values=record.event_values(),
    )


def test_the_organisers_site_wins_over_an_aggregator() -> None:
    merged = canonical_values(
        [
            member(1, 0, title="REKRY: IT-alan messut", venue="Oodi, Töölönlahdenkatu 4"),
            member(2, 10, title="IT-alan rekrytointimessut", venue="Keskustakirjasto Oodi"),
        ]
    )
    assert merged["title"] == "IT-alan rekrytointimessut"
    assert merged["venue"] == "Keskustakirjasto Oodi"


def test_a_value_missing_at_the_organiser_comes_from_the_next_source() -> None:
    merged = canonical_values(
        [member(1, 10, price=None), member(2, 0, price="10 €"), member(3, 5, price="Free")]
    )
    assert merged["price"] == "Free"


def test_among_equal_priorities_the_most_complete_value_wins() -> None:
    merged = canonical_values(
        [
            member(1, 5, description_text="Tervetuloa!"),
            member(2, 5, description_text="Tervetuloa! Ohjelmassa puhujia kolmelta alalta."),
        ]
    )
    assert merged["description_text"].startswith("Tervetuloa! Ohjelmassa")


def test_categories_and_audiences_are_united_in_vocabulary_order() -> None:
    merged = canonical_values(
        [
            member(1, 10, categories=["workshop"], audiences=["youth"]),
            member(2, 0, categories=["job-fair", "workshop"], audiences=["immigrants"]),
        ]
    )
    assert merged["categories"] == ["job-fair", "workshop"]
    assert merged["audiences"] == ["immigrants", "youth"]


def test_every_source_url_is_kept_the_canonical_first() -> None:
    merged = canonical_values(
        [
            member(1, 0, url="https://aggregator.example/e/1"),
            member(2, 10, url="https://organiser.example/e"),
            member(3, 5, url=None, page_url="https://city.example/events"),
        ]
    )
    assert merged["url"] == "https://organiser.example/e"
    assert merged["urls"] == [
        "https://organiser.example/e",
        "https://city.example/events",
        "https://aggregator.example/e/1",
    ]


def test_a_clock_time_beats_a_date_only_listing_and_a_utc_slip() -> None:
    day = datetime(2027, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    slipped = datetime(2027, 1, 14, 17, 0, tzinfo=UTC)
    organiser = member(1, 10, all_day=True)
    organiser.values = {**organiser.values, "start_at": day, "all_day": True}
    aggregator = member(2, 0, timezone="UTC")
    aggregator.values = {**aggregator.values, "start_at": slipped}
    city = member(3, 5)
    merged = canonical_values([organiser, aggregator, city])
    assert merged["start_at"] == START and merged["all_day"] is False


def test_titles_per_language_are_united() -> None:
    merged = canonical_values(
        [
            member(1, 10, title="Palkkaneuvottelun ABC", language="fi"),
            member(2, 5, title="Palkka", titles={"fi": "Palkka", "sv": "Löneförhandlingens ABC"}),
            member(3, 0, title="Salary negotiation basics", language="en"),
        ]
    )
    assert merged["titles"] == {
        "en": "Salary negotiation basics",
        "fi": "Palkkaneuvottelun ABC",
        "sv": "Löneförhandlingens ABC",
    }


def test_a_cancellation_is_news_among_equal_priorities() -> None:
    merged = canonical_values([member(1, 0, status="scheduled"), member(2, 0, status="cancelled")])
    assert merged["status"] == "cancelled"


def test_the_organisers_status_wins_over_an_aggregators() -> None:
    merged = canonical_values([member(1, 10, status="scheduled"), member(2, 0, status="cancelled")])
    assert merged["status"] == "scheduled"


def test_a_listing_still_listed_wins_over_a_gone_one() -> None:
    merged = canonical_values(
        [
            member(1, 10, gone=True, title="Vanha otsikko", url="https://organiser.example/e"),
            member(2, 0, title="Uusi otsikko", url="https://aggregator.example/e"),
        ]
    )
    assert merged["title"] == "Uusi otsikko"
    assert merged["urls"] == ["https://aggregator.example/e"]
