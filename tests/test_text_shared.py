"""Status words, online words and the text cleaner: one table or function each in text/,
read by extraction (scrapers), matching (dedupe) and the digest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dedupe.words import ONLINE_WORDS, clean_title
from digest.model import EventView
from scrapers.normalise import _ONLINE_VENUE_WORDS
from text.lexicon import ONLINE_PLACE_WORDS, STATUS_TOKENS, STATUS_WORDS, split_status
from text.sanitise import clean_text, fold


@pytest.mark.parametrize("word", ["PERUTTU", "Inställt", "Postponed", "siirtyy", "uppskjutet"])
def test_a_status_word_extraction_reads_is_dropped_by_matching(word: str) -> None:
    assert split_status(f"{word}: CV-klinikka")[1] is not None
    assert clean_title(f"{word}: CV-klinikka")[1] == "cv klinikka"


def test_a_status_phrase_keeps_its_words_for_matching() -> None:
    assert split_status("Messut (uusi aika)") == ("Messut", "rescheduled")
    assert "aika" not in STATUS_TOKENS and "uusi" in {
        w for w in STATUS_WORDS["rescheduled"].split()
    }
    assert clean_title("Uusi aika työnhakuun")[0] == "uusi aika tyonhakuun"


def test_a_listing_note_is_dropped_by_matching_but_is_no_status() -> None:
    assert clean_title("CV-klinikka (täynnä)")[0] == "cv klinikka"
    assert split_status("CV-klinikka (täynnä)") == ("CV-klinikka (täynnä)", None)


def test_online_words_are_one_list_for_venues_and_title_labels() -> None:
    assert {fold(w) for w in ONLINE_PLACE_WORDS.split()} == ONLINE_WORDS
    assert set(ONLINE_PLACE_WORDS.split()) == _ONLINE_VENUE_WORDS
    assert clean_title("Etänä: CV-klinikka")[1] == "cv klinikka"
    assert clean_title("Oodi: CV-klinikka")[1] == "oodi cv klinikka"  # a place is no label


def test_the_one_cleaner_makes_one_line_of_plain_text() -> None:
    raw = '<script>alert("x")</script><b>Open</b>\r\nday &amp;amp; night<!-- c -->\x00\u200b!'
    assert clean_text(raw) == "Open day & night !"
    assert clean_text(None) == "" and clean_text("") == ""


def test_the_digest_gives_the_cleaner_its_length_limit() -> None:
    long = "Tervetuloa kuulemaan työelämän mahdollisuuksista " * 10
    assert clean_text(long, 30) == "Tervetuloa kuulemaan…"
    assert len(clean_text(long)) > 400  # positive control: no limit, no cut
    view = EventView(id=1, title=long, start_at=datetime(2027, 1, 1, tzinfo=UTC), venue="<i></i>")
    assert view.title.endswith("…") and len(view.title) <= 200
    assert view.venue is None
