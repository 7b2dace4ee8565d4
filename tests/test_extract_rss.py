"""RSS and Atom feeds (scrapers.extractors.rss)."""

from __future__ import annotations

import pytest

from scrapers.extractors import Extraction
from store.record import EventRecord
from tests.support.extract import by_id, run, utc

URL = "https://bron.example.fi/feed/"


@pytest.fixture(scope="module")
def feed() -> Extraction:
    return run("rss", ("rss", "bron-sv.xml"), URL)


@pytest.fixture(scope="module")
def items(feed: Extraction) -> dict[str | None, EventRecord]:
    return by_id(feed.records)


def test_guid_is_the_key(items: dict[str | None, EventRecord]) -> None:
    assert sorted(items) == ["bron:post:405", "bron:post:406", "bron:post:411", "bron:post:412"]


def test_event_module_start_and_end(items: dict[str | None, EventRecord]) -> None:
    fair = items["bron:post:412"]
    assert (fair.start_at, fair.end_at) == (utc(2027, 2, 10, 8), utc(2027, 2, 10, 13))


def test_event_module_location_and_organiser(items: dict[str | None, EventRecord]) -> None:
    fair = items["bron:post:412"]
    assert (fair.venue, fair.city) == ("Kaapelitehdas", "Helsinki")
    assert fair.organiser == "Työmessut Suomi Oy"


def test_event_module_type_feeds_the_category(items: dict[str | None, EventRecord]) -> None:
    assert items["bron:post:412"].categories == ["job-fair"]


def test_item_language_over_the_feed_language(items: dict[str | None, EventRecord]) -> None:
    assert items["bron:post:412"].titles == {"en": "Job fair: meet employers hiring in English"}
    assert items["bron:post:406"].titles.keys() == {"sv"}


def test_swedish_date_in_the_text_after_a_label(items: dict[str | None, EventRecord]) -> None:
    evening = items["bron:post:406"]
    assert (evening.start_at, evening.end_at) == (utc(2027, 1, 14, 15), utc(2027, 1, 14, 17))


def test_place_from_a_labelled_line(items: dict[str | None, EventRecord]) -> None:
    evening = items["bron:post:406"]
    assert (evening.venue, evening.city) == ("Föreningshuset Bron", "Helsinki")


def test_free_from_the_text(items: dict[str | None, EventRecord]) -> None:
    assert items["bron:post:406"].is_free is True


def test_finnish_date_and_online_place(items: dict[str | None, EventRecord]) -> None:
    talk = items["bron:post:411"]
    assert talk.start_at == utc(2027, 2, 2, 15, 30)
    assert talk.attendance == "online" and talk.venue is None


def test_programme_start_is_not_the_deadline(items: dict[str | None, EventRecord]) -> None:
    call = items["bron:post:405"]
    assert call.all_day is True and call.start_at == utc(2027, 2, 17, 22)


def test_deadline_and_application_link_from_the_text(items: dict[str | None, EventRecord]) -> None:
    call = items["bron:post:405"]
    assert call.deadline_at == utc(2027, 1, 31, 21, 59)
    assert call.application_url == "https://bron.example.fi/ansok/mentorskap/"


def test_link_is_the_url(items: dict[str | None, EventRecord]) -> None:
    assert items["bron:post:405"].url == "https://bron.example.fi/aktuellt/mentorskap-2027/"


def test_item_without_dates_is_followed_for_schema_org(feed: Extraction) -> None:
    assert feed.follow == ["https://bron.example.fi/aktuellt/arsmote/"]
    assert feed.follow_kind == "jsonld-detail"


def test_follow_never_leaves_undated_items() -> None:
    result = run("rss", ("rss", "bron-sv.xml"), URL, config={"follow": "never"})
    assert result.follow == [] and len(result.records) == 4


def test_follow_always_reads_every_item_page() -> None:
    result = run("rss", ("rss", "bron-sv.xml"), URL, config={"follow": "always"})
    assert result.records == [] and len(result.follow) == 5


def test_atom_with_xcal() -> None:
    result = run("rss", ("rss", "atom-xcal-en.xml"), "https://meetups.example.fi/atom.xml")
    (meetup,) = result.records
    assert meetup.start_at == utc(2027, 1, 11, 16)
    assert (meetup.venue, meetup.language) == ("Maria 01", "en")
    assert meetup.categories == ["networking"]
    assert result.next_pages == ["https://meetups.example.fi/atom.xml?page=2"]


def test_pubdate_as_start_for_the_events_calendar_feeds() -> None:
    url = "https://osakunta.example.fi/tapahtumat/feed/"
    plain = run("rss", ("rss", "tec-fi.xml"), url)
    told = run("rss", ("rss", "tec-fi.xml"), url, config={"pubdate_is_start": True})
    assert plain.records == []
    assert [r.start_at for r in told.records] == [utc(2027, 1, 26, 16)]
