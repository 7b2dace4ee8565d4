"""Free-text dates and times as fi, sv and en organiser sites write them (scrapers.dates)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scrapers.dates import event_span, find_mentions, parse_iso, parse_when, read_clock

TODAY = date(2026, 11, 28)


def when(text: str, **kwargs: object) -> tuple[datetime, datetime | None, bool]:
    span = parse_when(text, TODAY, **kwargs)  # type: ignore[arg-type]
    assert span is not None, f"no date read from {text!r}"
    return span.start, span.end, span.all_day


def test_finnish_numeric_date_with_weekday_and_time_range() -> None:
    assert when("to 14.1.2027 klo 17.00–19.00") == (
        datetime(2027, 1, 14, 17, 0),
        datetime(2027, 1, 14, 19, 0),
        False,
    )


def test_finnish_month_name_with_bare_hour_after_klo() -> None:
    assert when("14. tammikuuta 2027 klo 9") == (datetime(2027, 1, 14, 9, 0), None, False)


def test_swedish_weekday_month_name_and_kl() -> None:
    assert when("torsdag 14 januari 2027 kl. 17") == (datetime(2027, 1, 14, 17), None, False)


def test_english_short_date_with_pm_range() -> None:
    assert when("Wed 3 Feb 2027, 5–7 pm") == (
        datetime(2027, 2, 3, 17),
        datetime(2027, 2, 3, 19),
        False,
    )


def test_english_am_to_pm_range() -> None:
    assert when("Wed 3 Feb 2027, 10 am–4 pm")[:2] == (
        datetime(2027, 2, 3, 10),
        datetime(2027, 2, 3, 16),
    )


def test_english_month_first_with_at_and_minutes() -> None:
    assert when("January 14, 2027 at 5:30 pm")[0] == datetime(2027, 1, 14, 17, 30)


def test_date_without_year_is_the_coming_one_not_2017() -> None:
    assert when("ti 14.1. klo 17")[0] == datetime(2027, 1, 14, 17)


def test_month_name_without_year_is_the_coming_one() -> None:
    assert when("15 februari")[0].date() == date(2027, 2, 15)


def test_date_without_year_a_little_in_the_past_stays_this_year() -> None:
    assert when("20.11. klo 10")[0] == datetime(2026, 11, 20, 10)


def test_day_range_in_one_month_is_whole_days() -> None:
    assert when("14.–15.1.2027") == (datetime(2027, 1, 14), datetime(2027, 1, 15), True)


def test_range_across_months_takes_the_year_from_its_end() -> None:
    start, end, _ = when("14.12.–15.1.2027")
    assert (start.date(), end and end.date()) == (date(2026, 12, 14), date(2027, 1, 15))


def test_two_dates_with_times_make_a_multi_day_span() -> None:
    assert when("14.1.2027 klo 10 – 15.1.2027 klo 16")[:2] == (
        datetime(2027, 1, 14, 10),
        datetime(2027, 1, 15, 16),
    )


def test_time_range_past_midnight_ends_the_next_day() -> None:
    assert when("la 16.1.2027 klo 22–02")[1] == datetime(2027, 1, 17, 2)


def test_separate_time_text_is_read_with_bare_hours() -> None:
    assert when("14. tammikuuta 2027", time_text="9–15")[:2] == (
        datetime(2027, 1, 14, 9),
        datetime(2027, 1, 14, 15),
    )


def test_strptime_hint_is_tried_first() -> None:
    assert when("2027/01/14 17h", formats=("%Y/%m/%d %Hh",))[0] == datetime(2027, 1, 14, 17)


def test_iso_date_time_in_text() -> None:
    assert when("2027-01-14 17:00")[0] == datetime(2027, 1, 14, 17)


def test_relative_words_go_to_dateparser() -> None:
    assert when("huomenna klo 17")[0] == datetime(2026, 11, 29, 17)


@pytest.mark.parametrize("text", ["31.2.2027", "30. helmikuuta 2027", "12.50 €", "klo 17.30"])
def test_impossible_or_missing_dates_give_nothing(text: str) -> None:
    assert parse_when(text, TODAY) is None


def test_times_are_not_read_as_dates() -> None:
    assert find_mentions("klo 17.00–19.00, sali 10.12", TODAY) == []


def test_clock_needs_a_time_word_minutes_or_am_pm() -> None:
    assert read_clock(" 5 people") is None
    assert read_clock(" klo 5") is not None


def test_event_span_prefers_the_labelled_date_over_a_deadline() -> None:
    text = (
        "Mentorprogram för nyinflyttade. Ansökningstiden går ut 31.1.2027. "
        "Programmet startar torsdag 18 februari 2027 kl. 17–19."
    )
    span = event_span(text, TODAY)
    assert span is not None and span.start == datetime(2027, 2, 18, 17)


def test_event_span_skips_the_given_ranges() -> None:
    text = "Haku päättyy 10.1.2027. Kurssi 20.1.2027 klo 9."
    span = event_span(text, TODAY, skip=((0, 23),))
    assert span is not None and span.start == datetime(2027, 1, 20, 9)


def test_parse_iso_keeps_offsets_and_dates() -> None:
    assert parse_iso("2027-01-14") == date(2027, 1, 14)
    assert parse_iso("2027-01-14T17:00:00+02:00").utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
    assert parse_iso("20270114T150000Z").tzinfo is not None  # type: ignore[union-attr]


def test_parse_iso_names_an_impossible_date() -> None:
    with pytest.raises(ValueError, match="impossible date '2027-02-30'"):
        parse_iso("2027-02-30")


# Issue 15: times written before the date, ranges across midnight and months, and the
# forms of docs/sources.md's date table.
@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("klo 18 to 3.2.2027", datetime(2027, 2, 3, 18), None),
        ("klo 12 ke 14.4.", datetime(2027, 4, 14, 12), None),
        ("kl. 17 torsdag 14 januari", datetime(2027, 1, 14, 17), None),
        ("at 5 pm on 3 February", datetime(2027, 2, 3, 17), None),
        ("at 10:00 on Saturday, 6 February 2027", datetime(2027, 2, 6, 10), None),
        ("klo 17–19 torstaina 14.1.2027", datetime(2027, 1, 14, 17), datetime(2027, 1, 14, 19)),
        ("5–7 pm, Wed 3 Feb 2027", datetime(2027, 2, 3, 17), datetime(2027, 2, 3, 19)),
        ("16–18 to 4.3.2027", datetime(2027, 3, 4, 16), datetime(2027, 3, 4, 18)),
        ("den 3 februari 2027 klockan 18", datetime(2027, 2, 3, 18), None),
        ("noon–1 pm, 12 January 2027", datetime(2027, 1, 12, 12), datetime(2027, 1, 12, 13)),
        ("2027-01-14 17:00–19:00", datetime(2027, 1, 14, 17), datetime(2027, 1, 14, 19)),
        ("pe 29.1. klo 9 – su 31.1. klo 15", datetime(2027, 1, 29, 9), datetime(2027, 1, 31, 15)),
        ("Fri 5 Feb 2027, 10 pm – 2 am", datetime(2027, 2, 5, 22), datetime(2027, 2, 6, 2)),
        ("31.12.2026 klo 22–02", datetime(2026, 12, 31, 22), datetime(2027, 1, 1, 2)),
    ],
)
def test_times_before_dates_and_ranges(text: str, start: datetime, end: datetime | None) -> None:
    assert when(text) == (start, end, False)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("30.1.–2.2.2027", date(2027, 1, 30), date(2027, 2, 2)),
        ("30 January – 2 February", date(2027, 1, 30), date(2027, 2, 2)),
        ("30. tammikuuta – 2. helmikuuta 2027", date(2027, 1, 30), date(2027, 2, 2)),
        ("30.12.–2.1.2027", date(2026, 12, 30), date(2027, 1, 2)),
        ("ma 31.1. – ti 1.2.2027", date(2027, 1, 31), date(2027, 2, 1)),
        ("fre 29.1.–sön 31.1.2027", date(2027, 1, 29), date(2027, 1, 31)),
        ("huhtikuun 15. päivänä 2027", date(2027, 4, 15), None),
    ],
)
def test_whole_day_ranges_across_months(text: str, first: date, last: date | None) -> None:
    start, end, all_day = when(text)
    assert all_day and start.date() == first
    assert (end.date() if end else None) == last


def test_a_lone_number_before_a_date_is_no_time() -> None:
    """The positive control of the times written first: a bare hour needs klo/at, am/pm, or a
    range before a weekday; a count or a room number is no time."""
    assert when("3 seats left, 14.1.2027") == (datetime(2027, 1, 14), None, True)
    assert when("Sali 12 to 14.1.2027") == (datetime(2027, 1, 14), None, True)
    assert when("klo 12 to 14.1.2027")[0] == datetime(2027, 1, 14, 12)
