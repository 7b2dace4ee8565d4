"""The one city table (text.places): extraction and matching read every name from it."""

from __future__ import annotations

import pytest

from dedupe.places import city_key
from dedupe.words import CITY_NAMES, bag
from text.places import CITIES, city_forms, city_in, city_name
from text.sanitise import fold

# Every name the two former tables knew (text.lexicon.CITIES for extraction and
# dedupe.words.CITY_NAMES for matching, the latter folded), with the city it stands for.
FORMER_NAMES = {
    "Helsinki": "helsinki helsingissä helsingin helsinkiin helsingfors helsingissa stadi",
    "Espoo": "espoo espoossa espoon esbo otaniemi tapiola leppavaara",
    "Vantaa": "vantaa vantaalla vantaan vanda tikkurila dickursby",
    "Kauniainen": "kauniainen kauniaisissa grankulla",
    "Turku": "turku turussa turun åbo abo",
    "Tampere": "tampere tampereella tampereen tammerfors",
    "Oulu": "oulu oulussa oulun uleåborg uleaborg",
    "Jyväskylä": "jyväskylä jyväskylässä jyväskylän jyvaskyla jyvaskylan jyvaskylassa",
    "Kuopio": "kuopio kuopiossa kuopion",
    "Lahti": "lahti lahdessa lahden lahtis",
    "Vaasa": "vaasa vaasassa vaasan vasa",
    "Pori": "pori porissa porin björneborg bjorneborg",
    "Joensuu": "joensuu joensuussa joensuun",
    "Lappeenranta": "lappeenranta lappeenrannassa villmanstrand",
    "Hämeenlinna": "hämeenlinna hämeenlinnassa tavastehus hameenlinna",
    "Kotka": "kotka kotkassa kotkan",
    "Porvoo": "porvoo porvoossa borgå borga porvoon",
    "Seinäjoki": "seinäjoki seinäjoella seinajoki seinajoen",
    "Rovaniemi": "rovaniemi rovaniemellä rovaniemen",
    "Mikkeli": "mikkeli mikkelissä s:t_michel sankt_michel mikkelin",
    "Kokkola": "kokkola kokkolassa karleby",
    "Pietarsaari": "pietarsaari pietarsaaressa jakobstad",
    "Kerava": "kerava keravalla kervo",
    "Järvenpää": "järvenpää järvenpäässä träskända",
    "Kirkkonummi": "kirkkonummi kirkkonummella kyrkslätt",
    "Sipoo": "sipoo sipoossa sibbo",
    "Lohja": "lohja lohjalla lojo",
    "Hyvinkää": "hyvinkää hyvinkäällä",
    "Raasepori": "raasepori raseborg tammisaari ekenäs ekenas",
    "Rauma": "rauma raumalla raumo",
    "Salo": "salossa",
    "Kajaani": "kajaani kajaanissa kajana",
    "Maarianhamina": "maarianhamina mariehamn",
}
FORMER = [
    (name.replace("_", " "), city) for city, names in FORMER_NAMES.items() for name in names.split()
]


@pytest.mark.parametrize(("name", "city"), FORMER)
def test_every_name_either_former_table_knew_is_read_by_extraction_and_matching(
    name: str, city: str
) -> None:
    key = fold(city)
    assert city_in(name) == city
    assert city_in(f"Kirjasto, Katu 1, 00100 {name.title()}") == city
    assert city_key(name) == key
    assert city_key(name.upper()) == key
    assert city_key(None, f"Katu 1, 00100 {name.title()}") == key  # read from an address


def test_a_city_outside_the_table_keeps_its_name() -> None:
    assert city_key("Kemi") == "kemi"  # positive control: the table is not asked for everything
    assert city_in("Kemi") is None
    assert city_in("Kirjasto, Katu 1, 94100 Kemi") == "Kemi"


def test_a_common_word_that_is_also_a_city_counts_only_inflected_in_a_text() -> None:
    assert city_in("Salon kaupunki") is None and city_in("Salo") is None
    assert city_in("Messut Salossa") == "Salo"


def test_a_name_written_without_its_diacritics_is_read_too() -> None:
    assert city_in("Jyvaskyla") == "Jyväskylä"
    assert city_in("Hameenlinnassa") == "Hämeenlinna"


def test_a_city_name_in_a_title_is_one_word_of_its_bag() -> None:
    assert bag("Rekrytointimessut Helsingissä") & bag("Rekryteringsmässa i Helsingfors") >= {
        "@helsinki"
    }


def test_each_name_stands_for_one_city_and_matching_keys_are_folded_finnish_names() -> None:
    forms = city_forms()
    assert set(CITY_NAMES.values()) == {fold(city.fi) for city in CITIES}
    for city in (city for city in CITIES if city.name_is_a_city):
        assert city.name("sv").casefold() in forms  # the Swedish name is always read
        assert city.name("en").casefold() in forms


@pytest.mark.parametrize(
    ("city", "fi", "sv", "en"),
    [
        ("Helsinki", "Helsinki", "Helsingfors", "Helsinki"),
        ("Turku", "Turku", "Åbo", "Turku"),
        ("Mikkeli", "Mikkeli", "S:t Michel", "Mikkeli"),
        ("Maarianhamina", "Maarianhamina", "Mariehamn", "Mariehamn"),
        ("Jyväskylä", "Jyväskylä", "Jyväskylä", "Jyväskylä"),
        ("Kemi", "Kemi", "Kemi", "Kemi"),  # outside the table: as it is
    ],
)
def test_city_name_per_language(city: str, fi: str, sv: str, en: str) -> None:
    assert (city_name(city, "fi"), city_name(city, "sv"), city_name(city, "en")) == (fi, sv, en)


def test_every_city_has_its_swedish_name_written_out() -> None:
    same = {"Jyväskylä", "Kuopio", "Joensuu", "Kotka", "Seinäjoki", "Rovaniemi", "Salo"}
    assert {city.fi for city in CITIES if city.sv is None} == same


def test_an_unknown_language_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'de'"):
        city_name("Helsinki", "de")
    with pytest.raises(ValueError, match="'de'"):
        city_name("Kemi", "de")
