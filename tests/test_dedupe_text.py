"""Clean-up for matching: titles, glossary concepts, parts, cities, URLs."""

from __future__ import annotations

import pytest

from dedupe.places import city_key, place_bag, room_numbers
from dedupe.words import (
    bag,
    clean_title,
    concepts_of,
    normalise_url,
    part_number,
    urls_in,
)
from text.language import title_language


@pytest.mark.parametrize(
    ("title", "core"),
    [
        ("Webinaari: Työnhaku Suomessa", "tyonhaku suomessa"),
        ("Seminar: Salary negotiation basics", "salary negotiation basics"),
        ("Rekrytointitapahtuma – Sote-alan työpaikat", "sote alan tyopaikat"),
        ("PERUTTU: CV-klinikka (täynnä)", "cv klinikka"),
        ("CV-klinikka [CANCELLED]", "cv klinikka"),
        ("Workshop | LinkedIn-profiili kuntoon", "linkedin profiili kuntoon"),
        ("Job search in Finland – webinar", "job search in finland"),
    ],
)
def test_label_prefixes_suffixes_and_status_words_are_dropped(title: str, core: str) -> None:
    assert clean_title(title)[1] == core


def test_a_prefix_that_names_the_event_is_kept() -> None:
    full, core = clean_title("Mentorointiohjelma kansainvälisille osaajille: haku auki")
    assert core == full == "mentorointiohjelma kansainvalisille osaajille haku auki"


def test_case_punctuation_and_diacritics_do_not_matter() -> None:
    assert clean_title("TYÖNHAKU SUOMESSA!!") == clean_title("työnhaku, suomessa")


@pytest.mark.parametrize(
    ("word", "concepts"),
    [
        ("rekrytointimessut", ("recruit", "fair")),
        ("rekryteringsmassa", ("recruit", "fair")),
        ("mentorointiohjelma", ("mentor", "program")),
        ("palkkatuki", ("salary", "subsidy")),
        ("kuraattori", ()),  # "ura" (career) only counts as a whole word or a start
        ("verkostoitumisilta", ("network", "evening")),  # a compound's head word at its end
        ("nyborjarkurs", ("beginner", "course")),
        ("kielikahvila", ("language", "cafe")),
        ("vapaaehtoistoiminnan", ("volunteer",)),
        ("volontarmassan", ("volunteer", "fair")),
        ("perustajat", ("entrepreneur",)),  # founders, not "perus" (basics)
    ],
)
def test_glossary_reads_compounds(word: str, concepts: tuple[str, ...]) -> None:
    assert concepts_of(word) == concepts


def test_titles_in_three_languages_share_a_bag() -> None:
    fi = bag("Rekrytointimessut: IT-ala")
    sv = bag("Rekryteringsmässa för IT-branschen")
    en = bag("IT recruitment fair")
    assert {"recruit", "fair", "ict"} <= fi & sv & en


@pytest.mark.parametrize(
    ("fi", "sv", "en", "shared"),
    [
        ("Kielikahvila", "Språkcafé", "Language café", {"language", "cafe"}),
        ("Verkostoitumisilta", "Nätverkskväll", "Networking evening", {"network", "evening"}),
        ("Infotilaisuus", "Infokväll", "Info evening", {"info"}),
        ("Ruotsin kurssi", "Kurs i svenska", "Swedish course", {"swedish", "course"}),
        ("Vapaaehtoismessut", "Volontärmässa", "Volunteer fair", {"volunteer", "fair"}),
        ("Yrittäjäilta", "Företagarkväll", "Founders' evening", {"entrepreneur", "evening"}),
        ("Paneeli", "Panelsamtal", "Panel", {"panel"}),
    ],
)
def test_common_event_words_are_one_concept_in_three_languages(
    fi: str, sv: str, en: str, shared: set[str]
) -> None:
    assert shared <= bag(fi) & bag(sv) & bag(en)


@pytest.mark.parametrize(
    ("title", "part"),
    [
        ("Työnhakuvalmennus, osa 2", 2),
        ("Job search coaching, Part II", 2),
        ("Jobbsökarträning del 3", 3),
        ("2. kerta: CV-klinikka", 2),
        ("Suomen kielen kurssi (1/3)", 1),
        ("Rekrytointimessut 2027", None),
    ],
)
def test_part_numbers(title: str, part: int | None) -> None:
    assert part_number(title) == part


@pytest.mark.parametrize(
    ("city", "key"),
    [("Helsingfors", "helsinki"), ("Åbo", "turku"), ("Esbo", "espoo"), ("Kemi", "kemi")],
)
def test_city_names_in_finnish_and_swedish_meet(city: str, key: str) -> None:
    assert city_key(city) == key


def test_city_is_read_from_the_address_when_missing() -> None:
    assert city_key(None, "Otakaari 1, 02150 Espoo") == "espoo"


def test_urls_lose_scheme_www_tracking_and_trailing_slash() -> None:
    assert normalise_url("https://www.Example.fi/tapahtumat/cv/?utm_source=x#top") == (
        "example.fi/tapahtumat/cv"
    )
    assert normalise_url("http://example.fi/e?id=5&utm_medium=y") == "example.fi/e?id=5"
    assert normalise_url("mailto:info@example.fi") is None


def test_urls_are_found_in_descriptions() -> None:
    text = "Ilmoittaudu: https://tyollisyyspalvelut.hel.fi/tapahtumat/cv-klinikka. Tervetuloa!"
    assert urls_in(text) == ["https://tyollisyyspalvelut.hel.fi/tapahtumat/cv-klinikka"]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Keskustakirjasto Oodi", "Centrumbiblioteket Ode"),
        ("Oodissa", "Oodi Central Library"),
        ("Kaapelitehdas", "Cable Factory"),
        ("Kaisa-talo", "Kajsahuset"),
        ("Helsingin kaupungintalo", "Stadshuset"),
        ("Tampere-talo", "Tammerforshuset"),
    ],
)
def test_translated_venue_names_share_a_key(one: str, other: str) -> None:
    assert {w for w in place_bag(one) & place_bag(other) if w.startswith("=")}


def test_a_building_word_alone_names_no_venue() -> None:
    assert place_bag("Main Building, Hall 1") == frozenset()


@pytest.mark.parametrize(
    ("venue", "rooms"),
    [
        ("Päärakennus, huone 204", {"204"}),
        ("Main Building, Hall 1", {"1"}),
        ("Huvudbyggnaden, rum 12", {"12"}),
        ("Oodi, Kuutio", set()),
        ("Kaikukatu 4 B", set()),  # a street number is no room
    ],
)
def test_room_numbers(venue: str, rooms: set[str]) -> None:
    assert room_numbers(venue) == rooms


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("Kielikahvila: puhutaan suomea", "fi"),
        ("Språkcafé på Ode – öva finska", "sv"),
        ("Networking evening for international graduates", "en"),
        ("CV-klinikka", "fi"),
        ("Maria 01", None),  # too little to tell
    ],
)
def test_the_language_of_a_title(title: str, language: str | None) -> None:
    assert title_language(title) == language
