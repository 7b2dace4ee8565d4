"""Normalisation of a RawEvent into an EventRecord (scrapers.normalise), one rule per test."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scrapers.dates import parse_when
from scrapers.normalise import NormaliseError, RawEvent, normalise
from store.record import EventRecord
from tests.support.extract import NOW, context, utc
from text import language as language_module
from text.sanitise import MAX_DESCRIPTION

HELSINKI = ZoneInfo("Europe/Helsinki")


def make(**fields: Any) -> EventRecord:
    fields.setdefault("title", "Rekrytointimessut")
    fields.setdefault("start", "2027-01-14T10:00:00+02:00")
    ctx_fields = fields.pop("ctx", {})
    return normalise(RawEvent(**fields), context("https://example.fi/tapahtumat/", **ctx_fields))


# --- titles and status -------------------------------------------------------------------


def test_title_loses_tags_entities_and_extra_space() -> None:
    assert make(title="  <b>CV-klinikka</b> &amp;amp;\n  LinkedIn &quot;paja&quot; ").title == (
        'CV-klinikka & LinkedIn "paja"'
    )


@pytest.mark.parametrize(
    ("title", "status"),
    [
        ("PERUTTU: Rekrytointimessut", "cancelled"),
        ("PERUUTETTU – Rekrytointimessut", "cancelled"),
        ("Rekrytointimessut (INSTÄLLT)", "cancelled"),
        ("[CANCELLED] Rekrytointimessut", "cancelled"),
        ("SIIRRETTY: Rekrytointimessut", "postponed"),
        ("Rekrytointimessut – POSTPONED", "postponed"),
    ],
)
def test_status_words_become_status_not_title(title: str, status: str) -> None:
    record = make(title=title)
    assert (record.title, record.status) == ("Rekrytointimessut", status)


def test_a_title_that_merely_mentions_a_status_word_stays() -> None:
    record = make(title="Cancelled flights and your rights")
    assert (record.title, record.status) == ("Cancelled flights and your rights", "scheduled")


def test_cancelled_title_wins_over_a_scheduled_structured_status() -> None:
    assert make(title="PERUTTU: Messut", status_text="EventScheduled").status == "cancelled"


def test_structured_status_names() -> None:
    assert make(status_text="https://schema.org/EventRescheduled").status == "rescheduled"
    assert make(status_text="CANCELLED").status == "cancelled"


def test_no_title_is_an_error() -> None:
    with pytest.raises(NormaliseError, match="no title"):
        make(title="  ")


# --- times -------------------------------------------------------------------------------


def test_offset_keeps_the_instant() -> None:
    assert make(start="2027-01-14T10:00:00+02:00").start_at == utc(2027, 1, 14, 8)


def test_time_without_offset_is_in_the_source_zone() -> None:
    record = make(start="2027-07-14T10:00", ctx={"timezone": "Europe/Stockholm"})
    assert (record.start_at, record.timezone) == (utc(2027, 7, 14, 8), "Europe/Stockholm")


def test_zone_named_by_the_document_wins() -> None:
    record = make(start=datetime(2027, 1, 14, 10), timezone="Europe/London")
    assert (record.start_at, record.timezone) == (utc(2027, 1, 14, 10), "Europe/London")


def test_date_alone_is_a_whole_day_from_local_midnight() -> None:
    record = make(start=date(2027, 1, 14))
    assert record.all_day is True
    assert (record.start_at, record.end_at) == (utc(2027, 1, 13, 22), utc(2027, 1, 14, 22))


def test_inclusive_last_day_ends_at_the_next_midnight() -> None:
    record = make(start="2027-01-14", end="2027-01-15")
    assert record.end_at == utc(2027, 1, 15, 22)


def test_exclusive_end_date_is_taken_as_it_is() -> None:
    record = make(start=date(2027, 1, 14), end=date(2027, 1, 16), end_inclusive=False)
    assert record.end_at == utc(2027, 1, 15, 22)


def test_missing_end_stays_missing() -> None:
    assert make(start="2027-01-14T10:00").end_at is None


def test_end_before_start_is_dropped() -> None:
    assert make(start="2027-01-14T10:00", end="2027-01-14T09:00").end_at is None


def test_free_text_start() -> None:
    record = make(start=None, when_text="to 14.1.2027 klo 17.00–19.00")
    assert (record.start_at, record.end_at) == (utc(2027, 1, 14, 15), utc(2027, 1, 14, 17))


def test_non_iso_structured_date_is_read_as_text() -> None:
    assert make(start="14.1.2027 klo 9").start_at == utc(2027, 1, 14, 7)


def test_impossible_iso_date_names_the_value() -> None:
    with pytest.raises(NormaliseError, match="impossible date '2027-02-30T10:00'"):
        make(start="2027-02-30T10:00")


def test_unreadable_date_text_names_the_text() -> None:
    with pytest.raises(NormaliseError, match="cannot read a date in 'pian'"):
        make(start=None, when_text="pian")


def test_no_start_is_an_error() -> None:
    with pytest.raises(NormaliseError, match="no start date"):
        make(start=None)


def test_date_text_is_parsed_once_and_cached() -> None:
    text = "ke 17.2.2027 klo 12–13 (välimuisti)"
    make(start=None, when_text=text)
    before = parse_when.cache_info().hits
    make(start=None, when_text=text)
    assert parse_when.cache_info().hits == before + 1


# --- description --------------------------------------------------------------------------


def test_description_loses_scripts_handlers_styles_and_dangerous_links() -> None:
    record = make(
        description=(
            '<p style="color:red" onmouseover="x()">Tervetuloa!</p><script>alert(1)</script>'
            '<a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a>'
            '<iframe src="https://e.example"></iframe><style>p{}</style>'
            '<a href="https://ok.example/">c</a>'
        )
    )
    html = record.description_html
    for bad in ("script", "alert", "onmouseover", "style", "javascript:", "data:", "iframe"):
        assert bad not in html
    assert '<a href="https://ok.example/" rel="noopener noreferrer nofollow">c</a>' in html


def test_plain_text_description_becomes_paragraphs() -> None:
    record = make(description="Ensimmäinen kappale.\n\nToinen & viimeinen.")
    assert record.description_html == "<p>Ensimmäinen kappale.</p><p>Toinen &amp; viimeinen.</p>"
    assert record.description_text == "Ensimmäinen kappale.\n\nToinen & viimeinen."


def test_description_is_capped() -> None:
    record = make(description="<p>" + "sana " * 20_000 + "</p>")
    assert len(record.description_html) <= MAX_DESCRIPTION
    assert len(record.description_text) <= MAX_DESCRIPTION


# --- language ----------------------------------------------------------------------------


def test_declared_language_wins() -> None:
    record = make(title="Job fair", languages=["sv-FI", "English"])
    assert (record.language, record.languages) == ("sv", ["sv", "en"])


def test_language_said_in_the_text() -> None:
    record = make(title="Pitchkväll för nya företagare", description="Kvällen hålls på engelska.")
    assert record.language == "en"


def test_also_in_english_keeps_the_text_language_first() -> None:
    record = make(title="Siivousalan rekrytreffit", description="Perehdytys myös englanniksi.")
    assert record.languages == ["fi", "en"]


def test_in_finnish_companies_is_no_language() -> None:
    record = make(title="Employer panel: working in Finnish companies")
    assert record.language == "en"


def test_source_language_before_detection() -> None:
    assert make(title="Job fair", ctx={"source_language": "sv"}).language == "sv"


def test_detected_language_of_the_title() -> None:
    assert make(title="Rekrytointimessut Kaapelitehtaalla").language == "fi"


def test_other_scripts_are_other() -> None:
    record = make(title="Ярмарка вакансий для мигрантов")
    assert (record.language, record.titles) == ("other", {})


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("Rekrytointimessut Kaapelitehtaalla", "fi"),
        ("Jobbmässa för inflyttade", "sv"),
        ("Mentoring programme for newcomers", "en"),
        ("Työnhakijan CV-klinikka", "fi"),
        ("Kvällskurs i svenska", "sv"),
    ],
)
def test_short_titles_are_read_by_the_trigram_models_when_they_are_sure(
    title: str, language: str
) -> None:
    language_module.detect_language.cache_clear()
    language_module._detector.cache_clear()
    assert language_module.detect_language(title) == language
    # Only the trigram detector was built: the full models (0.7 s, ~100 MB) were not needed.
    assert language_module._detector.cache_info().currsize == 1


def test_a_short_title_the_trigrams_are_unsure_of_goes_to_the_full_models() -> None:
    language_module.detect_language.cache_clear()
    language_module._detector.cache_clear()
    sample = "Rekrytointimessut"  # one word: the trigrams hesitate between fi and sv
    values = language_module._detector(True).compute_language_confidence_values(sample)
    assert values[0].value < language_module.SURE
    assert language_module.detect_language(sample) == "fi"
    assert language_module._detector.cache_info().currsize == 2


# --- place and attendance ---------------------------------------------------------------


def test_location_text_splits_at_the_street() -> None:
    record = make(location_text="Oodi, Kuutio, Töölönlahdenkatu 4, 00100 Helsinki")
    assert (record.venue, record.address, record.city) == (
        "Oodi, Kuutio",
        "Töölönlahdenkatu 4, 00100 Helsinki",
        "Helsinki",
    )


def test_unknown_city_after_a_postal_code_is_kept() -> None:
    assert make(location_text="Kirjasto, Kirkkokatu 5, 87100 Kajaani").city == "Kajaani"
    assert make(location_text="Seurantalo, Kylätie 1, 99999 Pikkukylä").city == "Pikkukylä"


def test_city_from_an_inflected_name_in_the_title() -> None:
    assert make(title="Rekrytointimessut Tampereella").city == "Tampere"


def test_online_venue_is_no_place() -> None:
    record = make(location_text="Verkossa (Teams)")
    assert (record.attendance, record.venue) == ("online", None)


def test_venue_and_online_link_make_a_hybrid_event() -> None:
    record = make(venue="Oodi", online_url="https://zoom.example/j/1")
    assert record.attendance == "hybrid"


def test_hybrid_said_in_the_location() -> None:
    assert make(location_text="Oodi tai hybridi").attendance == "hybrid"


def test_declared_attendance_wins() -> None:
    assert make(venue="Oodi", attendance="online").attendance == "online"


# --- categories and audiences -------------------------------------------------------------


def test_categories_from_the_title_before_the_description() -> None:
    record = make(title="Rekrytointimessut", description="Messuilla myös CV-työpaja.")
    assert record.categories == ["job-fair"]


def test_categories_from_the_description_when_the_title_says_nothing() -> None:
    record = make(title="Excel för arbetslivet", description="Kursen passar dig som söker jobb.")
    assert record.categories == ["course"]


def test_source_categories_are_added() -> None:
    record = make(title="Rekrytointimessut", ctx={"source_categories": ("networking",)})
    assert record.categories == ["job-fair", "networking"]


def test_fallback_category_only_when_nothing_else_says() -> None:
    assert make(title="Kevään ohjelma", fallback_categories=["course"]).categories == ["course"]
    assert make(title="Mentorointi", fallback_categories=["course"]).categories == ["mentoring"]


def test_other_when_no_category_is_named() -> None:
    assert make(title="Kesäillan vesijumppa").categories == ["other"]


@pytest.mark.parametrize(
    ("text", "audience"),
    [
        ("Maahanmuuttajille suunnattu", "immigrants"),
        ("för nyinflyttade", "immigrants"),
        ("Uramentorointia naisille", "women"),
        ("for international students", "students"),
        ("Nuorten työnhakupaja", "youth"),
        ("työnhakijoille", "unemployed"),
        ("för arbetssökande", "unemployed"),
        ("Yrittäjäksi Suomeen", "entrepreneurs"),
        ("held in English", "international"),
    ],
)
def test_audiences_from_fi_sv_en_words(text: str, audience: str) -> None:
    assert audience in make(title="Tapahtuma", description=text).audiences


# --- calls, price, organiser --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("Hakuaika päättyy 31.1.2027.", utc(2027, 1, 31, 21, 59)),
        ("Haku on auki 15.2. asti.", utc(2027, 2, 15, 21, 59)),
        ("Ansökningstiden går ut 31.1.2027.", utc(2027, 1, 31, 21, 59)),
        ("Apply by 31 January 2027.", utc(2027, 1, 31, 21, 59)),
        ("Ilmoittaudu viimeistään 10.1.2027 klo 12.", utc(2027, 1, 10, 10, 0)),
    ],
)
def test_deadline_from_text(text: str, deadline: datetime) -> None:
    assert make(description=text).deadline_at == deadline


def test_application_period_gives_the_opening_too() -> None:
    record = make(description="Hakuaika 1.12.2026–31.1.2027.")
    assert (record.application_opens_at, record.deadline_at) == (
        utc(2026, 11, 30, 22),
        utc(2027, 1, 31, 21, 59),
    )


def test_structured_deadline_day_ends_at_midnight() -> None:
    assert make(deadline=date(2027, 1, 31)).deadline_at == utc(2027, 1, 31, 21, 59)


def test_application_link_by_its_words() -> None:
    record = make(description='<p><a href="https://hae.example/">Hae tästä</a></p>')
    assert record.application_url == "https://hae.example/"


def test_zero_price_is_free() -> None:
    assert make(price="0 €").is_free is True


def test_free_said_in_the_text() -> None:
    assert make(description="Tilaisuus on maksuton.").is_free is True


def test_unknown_price_stays_unknown() -> None:
    assert make(description="Tervetuloa!").is_free is None


def test_long_values_are_cut_to_their_columns() -> None:
    record = make(title="T" * 900, organiser="O" * 400, price="9" * 300)
    assert (len(record.title), len(record.organiser or ""), len(record.price or "")) == (
        500,
        300,
        200,
    )


def test_the_clock_comes_from_the_context() -> None:
    later = datetime(2027, 6, 1, tzinfo=HELSINKI)
    record = make(start=None, when_text="ti 14.1. klo 17", ctx={"now": later})
    assert record.start_at.year == 2028 and NOW.year == 2026
