"""Site-specific spiders: the `spider:NAME` registry and the worked example on its saved page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from scrapers.extractors import ExtractContext, ExtractError
from scrapers.spec import SourceSpec
from scrapers.spiders import SourceSpider, UnknownSpider, spider_class
from scrapers.spiders.sites.example_nextjs import ExampleNextjsSpider
from store import vocab

PAGES = Path(__file__).parent / "fixtures" / "sites" / "example_nextjs"
URL = "https://osaajakeskus.example.fi/tapahtumat"


def test_a_spider_kind_selects_its_site_spider() -> None:
    assert spider_class("spider:example_nextjs") is ExampleNextjsSpider
    assert spider_class("jsonld") is SourceSpider
    assert spider_class("auto") is SourceSpider


def test_an_unknown_site_spider_names_the_known_ones() -> None:
    with pytest.raises(UnknownSpider, match=r"no site spider named 'nope'; known: example_nextjs"):
        spider_class("spider:nope")


def read(name: str, now: datetime, url: str = URL):  # type: ignore[no-untyped-def]
    spider = ExampleNextjsSpider(spec=SourceSpec(url=url, kind="spider:example_nextjs"), now=now)
    response = HtmlResponse(url=url, body=(PAGES / name).read_bytes(), encoding="utf-8")
    return spider.extract_page(response, ExtractContext(url=url, now=now))


def test_events_come_from_the_next_data_of_the_saved_page(now: datetime) -> None:
    result = read("tapahtumat.html", now)
    fair = result.records[0]
    assert fair.external_id == "example_nextjs:101"
    assert fair.title == "Rekrytointimessut: IT-alan työpaikat"
    assert fair.titles["en"] == "Recruitment fair: IT jobs"
    assert fair.start_at == datetime(2027, 1, 14, 8, 0, tzinfo=UTC)
    assert fair.end_at == datetime(2027, 1, 14, 14, 0, tzinfo=UTC)
    assert (fair.venue, fair.city, fair.attendance) == ("Kaapelitehdas", "Helsinki", vocab.ONSITE)
    assert fair.deadline_at == datetime(2027, 1, 10, 21, 59, tzinfo=UTC)
    assert fair.url == "https://osaajakeskus.example.fi/tapahtumat/rekrytointimessut-it"
    assert "job-fair" in fair.categories
    assert "<script>" not in fair.description_html and "40 työnantajaa" in fair.description_text


def test_online_and_cancelled_events_are_told_apart(now: datetime) -> None:
    records = {r.external_id: r for r in read("tapahtumat.html", now).records}
    assert records["example_nextjs:102"].attendance == vocab.ONLINE
    cancelled = records["example_nextjs:103"]
    assert (cancelled.status, cancelled.title) == (vocab.CANCELLED, "CV-työpaja")


def test_past_events_are_left_out_and_broken_ones_reported(now: datetime) -> None:
    result = read("tapahtumat.html", now)
    assert [r.external_id for r in result.records] == [
        "example_nextjs:101",
        "example_nextjs:102",
        "example_nextjs:103",
    ]
    assert result.skipped == 1
    assert result.outside_window == 1
    assert result.errors == [f"{URL}: skipped event 105: no start date"]


def test_the_next_page_is_followed_until_there_is_none(now: datetime) -> None:
    assert read("tapahtumat.html", now).next_pages == [f"{URL}?page=2"]
    second = read("tapahtumat-2.html", now, url=f"{URL}?page=2")
    assert second.next_pages == []
    assert [r.title for r in second.records] == ["Networking breakfast for internationals"]
    assert second.records[0].language == "en"


def test_a_page_without_next_data_cannot_be_read(now: datetime) -> None:
    spider = ExampleNextjsSpider(spec=SourceSpec(url=URL, kind="spider:example_nextjs"), now=now)
    response = HtmlResponse(url=URL, body=b"<html><body>Huolto</body></html>", encoding="utf-8")
    with pytest.raises(ExtractError, match="no __NEXT_DATA__"):
        spider.extract_page(response, ExtractContext(url=URL, now=now))
