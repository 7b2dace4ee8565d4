"""iCalendar feeds (scrapers.extractors.ics)."""

from __future__ import annotations

import pytest

from scrapers.extractors import ExtractError, Extraction, extract
from store.record import EventRecord
from tests.support.extract import by_id, context, fixture, run, utc

URL = "https://careers.example.fi/events.ics"
CLINIC = "cv-clinic@urapalvelut.example"


@pytest.fixture(scope="module")
def calendar() -> Extraction:
    return run("ics", ("ics", "urapalvelut.ics"), URL)


@pytest.fixture(scope="module")
def events(calendar: Extraction) -> dict[str | None, EventRecord]:
    return by_id(calendar.records)


def test_recurrence_is_expanded_without_the_excluded_date(
    events: dict[str | None, EventRecord],
) -> None:
    weeks = sorted(k for k in events if k and k.startswith(CLINIC))
    assert weeks == [
        f"{CLINIC}#20270112T120000Z",
        f"{CLINIC}#20270119T120000Z",
        f"{CLINIC}#20270202T120000Z",
        f"{CLINIC}#20270209T120000Z",
        f"{CLINIC}#20270216T120000Z",
    ]


def test_tzid_with_vtimezone(events: dict[str | None, EventRecord]) -> None:
    first = events[f"{CLINIC}#20270112T120000Z"]
    assert (first.start_at, first.end_at) == (utc(2027, 1, 12, 12), utc(2027, 1, 12, 14))
    assert first.timezone == "Europe/Helsinki"


def test_moved_occurrence_keeps_its_key_and_gets_its_new_time(
    events: dict[str | None, EventRecord],
) -> None:
    moved = events[f"{CLINIC}#20270202T120000Z"]
    assert moved.title == "CV clinic (moved to Wednesday)"
    assert moved.start_at == utc(2027, 2, 3, 8)


def test_occurrences_belong_to_their_series(events: dict[str | None, EventRecord]) -> None:
    assert events[f"{CLINIC}#20270119T120000Z"].series_id == CLINIC


def test_title_language_from_the_language_parameter(events: dict[str | None, EventRecord]) -> None:
    assert events[f"{CLINIC}#20270119T120000Z"].titles == {"en": "CV clinic"}


def test_folded_description_is_unfolded(events: dict[str | None, EventRecord]) -> None:
    text = events[f"{CLINIC}#20270119T120000Z"].description_text
    assert text == (
        "Bring your CV and get feedback from a career counsellor. For students and alumni, "
        "also in Finnish."
    )


def test_location_splits_into_venue_and_address(events: dict[str | None, EventRecord]) -> None:
    clinic = events[f"{CLINIC}#20270119T120000Z"]
    assert clinic.venue == "Career Services, Main Building, room 204"
    assert clinic.address == "Yliopistonkatu 3, 00100 Helsinki"
    assert clinic.city == "Helsinki"


def test_url(events: dict[str | None, EventRecord]) -> None:
    assert (
        events[f"{CLINIC}#20270119T120000Z"].url == "https://careers.example.fi/events/cv-clinic/"
    )


def test_organiser_from_the_common_name(events: dict[str | None, EventRecord]) -> None:
    assert events[f"{CLINIC}#20270119T120000Z"].organiser == "University of Uusimaa Career Services"


def test_categories_property_feeds_the_lexicon(events: dict[str | None, EventRecord]) -> None:
    day = events["career-day-2027@urapalvelut.example"]
    assert day.categories == ["job-fair", "networking"]


def test_all_day_event_with_exclusive_end(events: dict[str | None, EventRecord]) -> None:
    day = events["career-day-2027@urapalvelut.example"]
    assert day.all_day is True
    assert (day.start_at, day.end_at) == (utc(2027, 2, 8, 22), utc(2027, 2, 10, 22))


def test_free_of_charge_in_the_text(events: dict[str | None, EventRecord]) -> None:
    assert events["career-day-2027@urapalvelut.example"].is_free is True


def test_utc_times(events: dict[str | None, EventRecord]) -> None:
    call = events["mentoring-call@urapalvelut.example"]
    assert call.start_at == utc(2027, 3, 1, 15) and call.timezone == "Europe/Helsinki"


def test_link_as_location_is_an_online_event(events: dict[str | None, EventRecord]) -> None:
    call = events["mentoring-call@urapalvelut.example"]
    assert call.attendance == "online"
    assert call.online_url == "https://uusimaa.teams.example/meet/kickoff"


def test_deadline_and_application_url_from_the_description(
    events: dict[str | None, EventRecord],
) -> None:
    call = events["mentoring-call@urapalvelut.example"]
    assert call.deadline_at == utc(2027, 1, 31, 21, 59)
    assert call.application_url == "https://careers.example.fi/apply/mentoring/"


def test_floating_time_is_read_in_the_calendar_zone(events: dict[str | None, EventRecord]) -> None:
    assert events["employer-panel@urapalvelut.example"].start_at == utc(2027, 2, 16, 11)


def test_cancelled_status(events: dict[str | None, EventRecord]) -> None:
    assert events["employer-panel@urapalvelut.example"].status == "cancelled"


def test_duration_gives_the_end(events: dict[str | None, EventRecord]) -> None:
    seminar = events["thesis-seminar@urapalvelut.example"]
    assert seminar.end_at == utc(2027, 2, 25, 15, 30)
    assert seminar.categories == ["seminar"]


def test_broken_vevent_is_skipped_and_counted(calendar: Extraction) -> None:
    assert calendar.skipped == 1
    assert any("line" in e and "2027021" in e for e in calendar.errors)


def test_past_events_are_dropped_early(calendar: Extraction) -> None:
    assert "old-fair-2024@urapalvelut.example" not in by_id(calendar.records)
    assert calendar.outside_window == 1


def test_dry_run_keeps_past_events() -> None:
    result = run("ics", ("ics", "urapalvelut.ics"), URL, include_past=True)
    assert "old-fair-2024@urapalvelut.example" in by_id(result.records)


def test_recurrences_stop_at_the_horizon() -> None:
    result = run("ics", ("ics", "urapalvelut.ics"), URL, horizon_days=60)
    clinics = [r for r in result.records if (r.external_id or "").startswith(CLINIC)]
    assert len(clinics) == 2


def test_windows_zone_name_from_outlook() -> None:
    (record,) = run(
        "ics", ("ics", "outlook-fi.ics"), "https://kotoutuminen.example.fi/cal.ics"
    ).records
    assert record.start_at == utc(2027, 1, 22, 11)
    assert (record.city, record.language) == ("Tampere", "fi")
    assert record.deadline_at == utc(2027, 1, 15, 21, 59)
    assert record.audiences == ["immigrants", "unemployed"]


def test_truncated_calendar_keeps_the_complete_events() -> None:
    body = fixture("ics", "urapalvelut.ics")
    cut = body[: body.index(b"SUMMARY:Career fair 2024")]
    result = extract("ics", cut, context(URL))
    assert len(result.records) == 8  # five clinics, the career day, the call, the panel
    assert result.skipped == 1
    assert any("cut off" in e for e in result.errors)


def test_occurrences_share_their_series_fields_but_not_their_lists(
    events: dict[str | None, EventRecord],
) -> None:
    first = events[f"{CLINIC}#20270112T120000Z"]
    second = events[f"{CLINIC}#20270119T120000Z"]
    assert (first.description_text, first.categories) == (
        second.description_text,
        second.categories,
    )
    assert first.categories is not second.categories and first.titles is not second.titles


@pytest.mark.parametrize("name", ["urapalvelut.ics", "outlook-fi.ics"])
@pytest.mark.parametrize("include_past", [False, True])
def test_fast_occurrences_give_the_same_records_as_the_public_api(
    monkeypatch: pytest.MonkeyPatch, name: str, include_past: bool
) -> None:
    from scrapers.extractors import ics

    fast = run("ics", ("ics", name), URL, include_past=include_past)
    monkeypatch.setattr(ics, "FAST_OCCURRENCES", False)
    public = run("ics", ("ics", name), URL, include_past=include_past)
    assert [r.to_json() for r in fast.records] == [r.to_json() for r in public.records]
    assert fast.records
    if name == "urapalvelut.ics":
        assert any(r.series_id for r in fast.records)


def test_html_inside_a_property_is_no_html_page() -> None:
    """Only the document's start counts: a whole HTML document in X-ALT-DESC (within the
    first kilobyte) leaves the file a calendar; its text is the sanitised description."""
    body = fixture("ics", "koulu-cms.ics")
    assert b"<body>" in body[:1024]
    result = extract("ics", body, context(URL, include_past=True))
    info, cafe, _fair = sorted(result.records, key=lambda r: r.start_at)
    assert info.description_text == (
        "Tervetuloa infotilaisuuteen, jossa kerrotaan kevään kursseista.\n\nPaikka: auditorio"
    )
    assert cafe.description_text == "Keskustellaan suomeksi ja ruotsiksi."


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>BEGIN:VCALENDAR</body></html>",
        b"\xef\xbb\xbf\r\n<html lang=fi><head></head><body>BEGIN:VCALENDAR",
        b'<?xml version="1.0"?>\n<!-- cms -->\n<html><body>BEGIN:VCALENDAR',
        b"<meta charset=utf-8><title>x</title><body>BEGIN:VCALENDAR",
    ],
)
def test_an_html_page_is_refused_whatever_it_carries(body: bytes) -> None:
    with pytest.raises(ExtractError, match="expected an iCalendar file, got an HTML page"):
        extract("ics", body, context(URL, content_type="text/calendar"))


def _series(uid: str, rule: str, title: str) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20270105T100000Z\r\nDTEND:20270105T110000Z\r\n"
        f"{rule}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\n"
    )


@pytest.mark.parametrize("fast", [True, False])
def test_a_series_that_cannot_be_expanded_is_skipped_alone(
    monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    # All series of a calendar are expanded by one query (FAST_OCCURRENCES); one that the
    # library cannot expand must not take the others with it, on either path.
    from scrapers.extractors import ics

    monkeypatch.setattr(ics, "FAST_OCCURRENCES", fast)
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        + _series("before@x", "RRULE:FREQ=WEEKLY;COUNT=3", "CV-klinikka")
        + _series("broken@x", "RRULE:FREQ=WEEKLY;BYSETPOS=400;BYDAY=MO", "Rekrytointimessut")
        + _series("after@x", "RRULE:FREQ=WEEKLY;COUNT=2", "Työpaja")
        + "END:VCALENDAR\r\n"
    ).encode()
    result = extract("ics", body, context(URL))
    series = sorted(r.external_id or "" for r in result.records)
    assert [key.split("#")[0] for key in series] == ["after@x"] * 2 + ["before@x"] * 3
    assert result.skipped == 1
    assert any("'broken@x' cannot be expanded" in error for error in result.errors)
