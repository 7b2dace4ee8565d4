"""`Extraction.add`: the one step every extractor takes per event (normalise, skip, window)."""

from __future__ import annotations

from datetime import timedelta

from scrapers.extractors import ExtractContext, Extraction
from scrapers.normalise import RawEvent
from store.record import EventRecord
from tests.support.extract import NOW, context

URL = "https://example.fi/events"


def test_an_event_in_the_window_is_kept_and_returned() -> None:
    result = Extraction()
    record = result.add(RawEvent(title="Työpaja", start=NOW + timedelta(days=3)), context(URL))
    assert record is not None and record.title == "Työpaja"
    assert result.records == [record]
    assert (result.skipped, result.outside_window, result.errors) == (0, 0, [])


def test_an_event_outside_the_window_is_counted_not_kept() -> None:
    result = Extraction()
    past = RawEvent(title="Mennyt", start=NOW - timedelta(days=30))
    later = RawEvent(title="Kaukana", start=NOW + timedelta(days=800))
    assert result.add(past, context(URL)) is not None
    assert result.add(later, context(URL)) is not None
    assert (result.records, result.outside_window, result.skipped) == ([], 2, 0)
    # A dry run keeps the past.
    kept = Extraction()
    kept.add(past, context(URL, include_past=True))
    assert [r.title for r in kept.records] == ["Mennyt"]


def test_an_event_that_cannot_be_normalised_is_skipped_with_why() -> None:
    result = Extraction()
    assert result.add(RawEvent(title="Ei aikaa"), context(URL)) is None
    assert result.add(RawEvent(start=NOW + timedelta(days=1)), context(URL)) is None
    assert result.skipped == 2 and result.records == []
    assert result.errors[0].startswith(f"{URL}: skipped event 'Ei aikaa': ")
    assert result.errors[1] == f"{URL}: skipped event '(untitled)': no title"


def test_the_caller_names_the_skipped_row_and_the_errors_that_mean_a_bad_row() -> None:
    def broken(raw: RawEvent, ctx: ExtractContext) -> EventRecord:
        raise TypeError("start is a list")

    result = Extraction()
    raw = RawEvent(title="x", start=NOW + timedelta(days=1))
    result.add(raw, context(URL), noun="item", name=105, make=broken, catch=(TypeError,))
    assert result.errors == [f"{URL}: skipped item 105: start is a list"]
    assert result.skipped == 1
