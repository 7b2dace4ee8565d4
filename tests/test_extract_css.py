"""HTML listings read with configured selectors (scrapers.extractors.css)."""

from __future__ import annotations

from typing import Any

import pytest

from scrapers.extractors import ExtractError, Extraction
from store.record import EventRecord
from tests.support.extract import by_id, run, utc

URL = "https://tyomessut.example.fi/tapahtumat/"
CONFIG: dict[str, Any] = {
    "item": "article.event",
    "title": "h2 a::text",
    "date": ".date::text",
    "time": ".time::text",
    "location": ".location::text",
    "link": "h2 a::attr(href)",
    "description": ".summary",
    "next_page": "a.next::attr(href)",
    "date_languages": ["fi", "en"],
}


@pytest.fixture(scope="module")
def page() -> Extraction:
    return run("css", ("css", "tyomessut-1.html"), URL, config=CONFIG)


@pytest.fixture(scope="module")
def items(page: Extraction) -> dict[str | None, EventRecord]:
    return by_id(page.records)


def key(slug: str) -> str:
    return f"{URL}{slug}/"


def test_items_are_keyed_by_their_link(items: dict[str | None, EventRecord]) -> None:
    assert sorted(items) == [
        key("it-job-fair"),
        key("kesatyomessut"),
        key("rekrytointimessut-helsinki"),
    ]


def test_title(items: dict[str | None, EventRecord]) -> None:
    assert items[key("rekrytointimessut-helsinki")].title == "Rekrytointimessut Helsinki"


def test_finnish_numeric_date_and_time_range(items: dict[str | None, EventRecord]) -> None:
    fair = items[key("rekrytointimessut-helsinki")]
    assert (fair.start_at, fair.end_at) == (utc(2027, 1, 14, 8), utc(2027, 1, 14, 14))


def test_date_and_time_in_separate_fields(items: dict[str | None, EventRecord]) -> None:
    summer = items[key("kesatyomessut")]
    assert (summer.start_at, summer.end_at) == (utc(2027, 2, 3, 7), utc(2027, 2, 3, 13))


def test_english_date_with_noon_to_pm(items: dict[str | None, EventRecord]) -> None:
    fair = items[key("it-job-fair")]
    assert (fair.start_at, fair.end_at) == (utc(2027, 2, 15, 10), utc(2027, 2, 15, 14))


def test_location_text(items: dict[str | None, EventRecord]) -> None:
    fair = items[key("rekrytointimessut-helsinki")]
    assert (fair.venue, fair.address, fair.city) == (
        "Kaapelitehdas",
        "Tallberginkatu 1, 00180 Helsinki",
        "Helsinki",
    )


def test_description_from_an_element(items: dict[str | None, EventRecord]) -> None:
    assert items[key("it-job-fair")].description_text.startswith("Meet 30 software")


def test_standalone_status_word_in_the_item(items: dict[str | None, EventRecord]) -> None:
    assert items[key("kesatyomessut")].status == "cancelled"
    assert items[key("rekrytointimessut-helsinki")].status == "scheduled"


def test_item_language_attribute(items: dict[str | None, EventRecord]) -> None:
    assert items[key("it-job-fair")].titles.keys() == {"en"}


def test_free_entry_from_the_text(items: dict[str | None, EventRecord]) -> None:
    assert items[key("rekrytointimessut-helsinki")].is_free is True


def test_impossible_date_is_skipped_with_a_reason(page: Extraction) -> None:
    assert page.skipped == 1
    assert any("Rakennusalan rekrytointipäivä" in e and "31.2.2027" in e for e in page.errors)


def test_next_page(page: Extraction) -> None:
    assert page.next_pages == ["https://tyomessut.example.fi/tapahtumat/sivu/2/"]


def test_online_item_on_the_second_page() -> None:
    result = run("css", ("css", "tyomessut-2.html"), URL + "sivu/2/", config=CONFIG)
    (fair,) = result.records
    assert fair.attendance == "online" and fair.venue is None
    assert fair.start_at == utc(2027, 3, 3, 15)


def test_xpath_selectors_and_strptime_hints() -> None:
    config = {
        "item": "//tr[@class='kurs']",
        "title": "./td[1]/a/text()",
        "date": "./td[2]/text()",
        "location": "./td[3]/text()",
        "link": "./td[1]/a/@href",
        "date_formats": ["%Y-%m-%d %H:%M"],
    }
    url = "https://arbetis.example.fi/kurser/"
    result = run("css", ("css", "kurser-sv.html"), url, config=config)
    assert [(r.title, r.start_at) for r in result.records] == [
        ("Excel för arbetslivet", utc(2027, 1, 25, 15)),
        ("Bokföring för småföretagare", utc(2027, 2, 8, 15, 30)),
    ]
    assert result.records[0].city == "Helsinki"


def test_follow_reads_each_item_page() -> None:
    config = {"item": "tr.kurs", "title": "a::text", "link": "a::attr(href)", "follow": True}
    result = run(
        "css", ("css", "kurser-sv.html"), "https://arbetis.example.fi/kurser/", config=config
    )
    assert result.records == []
    assert result.follow == [
        "https://arbetis.example.fi/kurser/excel/",
        "https://arbetis.example.fi/kurser/bokforing/",
    ]
    assert result.follow_kind == "css-detail"


def test_item_page_read_with_detail_selectors() -> None:
    config = {
        "item": "tr.kurs",
        "title": "a::text",
        "follow": True,
        "detail": {
            "title": "h1::text",
            "date": ".when::text",
            "location": ".where",
            "description": ".text",
        },
    }
    url = "https://arbetis.example.fi/kurser/excel/"
    (course,) = run("css-detail", ("css", "detail-page.html"), url, config=config).records
    assert (course.title, course.start_at, course.end_at) == (
        "Excel för arbetslivet",
        utc(2027, 1, 25, 15),
        utc(2027, 1, 25, 17),
    )
    assert course.categories == ["course"] and course.url == url


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"title": "h2::text", "date": ".d::text"}, "needs 'item'"),
        ({"item": "article", "title": "h2::text"}, "needs 'date'"),
        (
            {"item": "article", "title": "h2::text", "date": ".d", "titel": "x"},
            "unknown key 'titel'",
        ),
        ({"item": "article[", "title": "h2::text", "date": ".d"}, "'item'"),
        ({"item": "article", "title": "//h2[", "date": ".d"}, "'title'"),
    ],
)
def test_bad_config_is_refused_with_the_key_named(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        run("css", ("css", "tyomessut-1.html"), URL, config=config)
