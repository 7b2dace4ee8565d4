"""Crashes the fuzz test (tests/test_fuzz.py) found in the extractors and auto-detection, each
pinned by a small case: a clear error or a skipped part, and the good events beside it kept."""

from __future__ import annotations

import json
import time

import pytest

from scrapers.detect import detect, is_linkedevents
from scrapers.extractors import ExtractError, extract
from scrapers.extractors.jsonload import MAX_DEPTH, load_json
from tests.support.extract import context

GOOD = {
    "@context": "https://schema.org",
    "@type": "Event",
    "@id": "https://t.example.fi/e/1",
    "name": "Rekrytointimessut",
    "startDate": "2027-01-14T10:00:00+02:00",
}
DEEP = '{"@type": "Event", "name": ' + '{"a": [' * 10_000 + "1" + "]}" * 10_000 + "}"


def page(*blocks: str, body: str = "") -> bytes:
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return f"<html><head>{scripts}</head><body>{body}</body></html>".encode()


def linkedevents(*rows: object) -> bytes:
    return json.dumps({"meta": {"next": None}, "data": list(rows)}).encode()


def row(ident: str) -> dict[str, object]:
    return {"id": ident, "name": {"fi": "Työnhakuklinikka"}, "start_time": "2027-01-18T08:00:00Z"}


# --- JSON nested 10,000 levels deep: RecursionError before ---------------------------------------


def test_a_json_ld_block_nested_ten_thousand_levels_is_skipped_and_the_others_read() -> None:
    result = extract("jsonld", page(DEEP, json.dumps(GOOD)), context("https://t.example.fi/"))
    assert [r.title for r in result.records] == ["Rekrytointimessut"]


@pytest.mark.parametrize("kind", ["jsonld", "linkedevents"])
def test_a_json_document_nested_ten_thousand_levels_keeps_its_events(kind: str) -> None:
    if kind == "jsonld":
        body = json.dumps([GOOD]).replace("]", ", " + DEEP + "]", 1).encode()
    else:
        deep_row = DEEP.replace('"name": ', '"id": "x", "start_time": ', 1)
        body = linkedevents(row("helsinki:1")).replace(b"]}", b", " + deep_row.encode() + b"]}")
    result = extract(kind, body, context("https://t.example.fi/api/"))
    assert len(result.records) == 1


def test_detection_of_json_nested_ten_thousand_levels() -> None:
    assert detect(DEEP.encode(), "https://t.example.fi/").kind is None
    deep_row = DEEP.replace('"name": ', '"id": "x", "start_time": ', 1)
    body = linkedevents(row("helsinki:1")).replace(b"]}", b", " + deep_row.encode() + b"]}")
    assert detect(body, "https://t.example.fi/v1/event/").kind == "linkedevents"


def test_load_json_cuts_what_is_nested_too_deep() -> None:
    data = load_json("[" * (MAX_DEPTH + 5) + "1" + "]" * (MAX_DEPTH + 5))
    depth = 0
    while isinstance(data, list):
        data, depth = data[0], depth + 1
    assert (depth, data) == (MAX_DEPTH, None)
    assert load_json('{"a": [1, "[{"], "b": {"c": null}}') == {"a": [1, "[{"], "b": {"c": None}}
    with pytest.raises(ValueError, match="nested more than"):
        load_json("[" * 10_000)


# --- lone surrogates escaped in JSON: the store could not encode them ----------------------------


def test_lone_surrogates_in_json_become_replacement_characters() -> None:
    node = json.dumps(GOOD).replace("Rekrytointimessut", "Rekry\\ud800tointi \\udc00messut")
    (record,) = extract("jsonld", page(node), context("https://t.example.fi/")).records
    assert record.title == "Rekry\ufffdtointi \ufffdmessut"
    record.title.encode("utf-8")
    body = linkedevents(row("helsinki:1")).replace(b"klinikka", b"klinikka \\udfff")
    (record,) = extract("linkedevents", body, context("https://api.example.fi/")).records
    assert record.title == "Työnhakuklinikka \ufffd"
    assert load_json('["\\ud83d\\ude00"]') == ["😀"]  # a whole pair is one character


# --- microdata nested thousands of levels deep: minutes in extruct -------------------------------


def test_microdata_nested_thousands_of_levels_is_not_read_and_json_ld_is() -> None:
    nested = '<div itemscope itemtype="https://schema.org/Event" itemprop="subEvent">' * 3000
    body = page(json.dumps(GOOD), body=nested)
    started = time.monotonic()
    first = extract("jsonld", body, context("https://t.example.fi/"))
    second = extract("jsonld", body, context("https://t.example.fi/"))
    assert time.monotonic() - started < 10
    for result in (first, second):
        assert [r.title for r in result.records] == ["Rekrytointimessut"]
        assert any("microdata items nested" in e for e in result.errors), result.errors


def test_microdata_nested_a_few_levels_is_still_read() -> None:
    body = page(
        body='<div itemscope itemtype="https://schema.org/EventSeries">'
        '<div itemprop="subEvent" itemscope itemtype="https://schema.org/Event">'
        '<span itemprop="name">CV-klinikka</span>'
        '<meta itemprop="startDate" content="2027-01-20T10:00:00+02:00"></div></div>'
    )
    result = extract("jsonld", body, context("https://t.example.fi/"))
    assert [r.title for r in result.records] == ["CV-klinikka"]


# --- iCalendar: a VT, FF, NEL or U+2028 inside a value is no line break --------------------------


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_calendar_value_keeps_what_follows_a_character_python_splits_lines_at(
    char: str,
) -> None:
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\n"
        "DTSTART:20270120T080000Z\r\n"
        f"SUMMARY:CV-klinikka {char}maahanmuuttajille\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    (record,) = extract("ics", body, context("https://k.example.fi/cal.ics")).records
    assert record.title.endswith("maahanmuuttajille")


# --- a feed that declares an encoding Python does not know: LookupError before -------------------


def test_a_feed_in_an_unknown_encoding_is_read_as_far_as_it_can_be() -> None:
    body = (
        b'<?xml version="1.0" encoding="x-bogus"?>'
        b"<rss version='2.0' xmlns:ev='http://purl.org/rss/1.0/modules/event/'><channel>"
        b"<title>t</title><item><title>CV-klinikka</title><link>https://b.example.fi/1</link>"
        b"<ev:startdate>2027-01-20T10:00:00+02:00</ev:startdate></item></channel></rss>"
    )
    result = extract("rss", body, context("https://b.example.fi/feed/"))
    assert [r.title for r in result.records] == ["CV-klinikka"]


def test_entities_in_a_feed_of_an_unknown_encoding_are_refused() -> None:
    body = (
        b'<?xml version="1.0" encoding="x-bogus"?><!DOCTYPE rss [<!ENTITY a "aaaa">]>'
        b"<rss version='2.0'><channel><title>&a;</title></channel></rss>"
    )
    with pytest.raises(ExtractError, match="refused"):
        extract("rss", body, context("https://b.example.fi/feed/"))


# --- Linked Events: an impossible whole-day date crashed the page --------------------------------


def test_an_impossible_whole_day_date_skips_its_row_only() -> None:
    bad = {**row("helsinki:bad"), "start_time": "2027-02-30T00:00:00Z", "has_start_time": False}
    result = extract(
        "linkedevents", linkedevents(bad, row("helsinki:1")), context("https://api.example.fi/")
    )
    assert [r.external_id for r in result.records] == ["helsinki:1"]
    assert result.skipped == 1 and "helsinki:bad" in result.errors[0]


# --- detection: one row that is no object hid a Linked Events API --------------------------------


def test_a_linked_events_page_with_a_stray_row_is_still_detected() -> None:
    assert is_linkedevents(linkedevents("junk", row("helsinki:1")))
    assert is_linkedevents(linkedevents())
    assert not is_linkedevents(linkedevents("junk", 5))
    assert not is_linkedevents(linkedevents({"title": "no event"}))
