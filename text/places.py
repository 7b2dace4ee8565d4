"""Cities of Finland in Finnish, Swedish and English: the one table of their names and forms.

Each city has its canonical Finnish name (the value stored in ``Event.city``), its Swedish
name, its English name where that differs from the Finnish one, the inflected Finnish forms a
text uses ("Helsingissä", "Tampereen") and well-known districts or nicknames that stand for
the city ("Otaniemi", "Tikkurila", "Stadi"). Extraction reads a city out of a free text with
:func:`city_in`; matching derives its folded keys from :func:`city_forms` (dedupe.words); a
reader gets the name in their language from :func:`city_name`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from text.sanitise import fold

LANGUAGES: Final = ("fi", "sv", "en")


@dataclass(frozen=True, slots=True)
class City:
    fi: str
    sv: str | None = None  # None: Swedish uses the Finnish name
    en: str | None = None  # None: English uses the Finnish name
    forms: tuple[str, ...] = ()  # inflected Finnish forms, other spellings, nicknames
    districts: tuple[str, ...] = ()  # parts of the city whose name stands for it
    # False when the Finnish name alone is also a common word ("salo": backwoods), so that
    # only its other forms name the city inside a text.
    name_is_a_city: bool = True

    def name(self, language: str) -> str:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of fi, sv, en, not {language!r}")
        return {"fi": self.fi, "sv": self.sv, "en": self.en}[language] or self.fi

    def all_forms(self) -> tuple[str, ...]:
        """Every name that stands for the city, lower case, each once."""
        names = (self.fi, self.name("sv"), self.name("en"), *self.forms, *self.districts)
        found = dict.fromkeys(name.casefold() for name in names)
        if not self.name_is_a_city:
            found.pop(self.fi.casefold(), None)
        return tuple(found)


CITIES: Final[tuple[City, ...]] = (
    City(
        "Helsinki",
        sv="Helsingfors",
        forms=("helsingissä", "helsingin", "helsinkiin", "stadi"),
    ),
    City(
        "Espoo",
        sv="Esbo",
        forms=("espoossa", "espoon"),
        districts=("otaniemi", "tapiola", "leppävaara"),
    ),
    City(
        "Vantaa",
        sv="Vanda",
        forms=("vantaalla", "vantaan"),
        districts=("tikkurila", "dickursby"),
    ),
    City("Kauniainen", sv="Grankulla", forms=("kauniaisissa",)),
    City("Turku", sv="Åbo", forms=("turussa", "turun")),
    City("Tampere", sv="Tammerfors", forms=("tampereella", "tampereen")),
    City("Oulu", sv="Uleåborg", forms=("oulussa", "oulun")),
    City("Jyväskylä", forms=("jyväskylässä", "jyväskylän")),
    City("Kuopio", forms=("kuopiossa", "kuopion")),
    City("Lahti", sv="Lahtis", forms=("lahdessa", "lahden")),
    City("Vaasa", sv="Vasa", forms=("vaasassa", "vaasan")),
    City("Pori", sv="Björneborg", forms=("porissa", "porin")),
    City("Joensuu", forms=("joensuussa", "joensuun")),
    City("Lappeenranta", sv="Villmanstrand", forms=("lappeenrannassa",)),
    City("Hämeenlinna", sv="Tavastehus", forms=("hämeenlinnassa",)),
    City("Kotka", forms=("kotkassa", "kotkan")),
    City("Porvoo", sv="Borgå", forms=("porvoossa", "porvoon")),
    City("Seinäjoki", forms=("seinäjoella", "seinäjoen")),
    City("Rovaniemi", forms=("rovaniemellä", "rovaniemen")),
    City("Mikkeli", sv="S:t Michel", forms=("mikkelissä", "mikkelin", "sankt michel")),
    City("Kokkola", sv="Karleby", forms=("kokkolassa",)),
    City("Pietarsaari", sv="Jakobstad", en="Jakobstad", forms=("pietarsaaressa",)),
    City("Kerava", sv="Kervo", forms=("keravalla",)),
    City("Järvenpää", sv="Träskända", forms=("järvenpäässä",)),
    City("Kirkkonummi", sv="Kyrkslätt", forms=("kirkkonummella",)),
    City("Sipoo", sv="Sibbo", forms=("sipoossa",)),
    City("Lohja", sv="Lojo", forms=("lohjalla",)),
    City("Hyvinkää", sv="Hyvinge", forms=("hyvinkäällä",)),
    City("Raasepori", sv="Raseborg", en="Raseborg", districts=("tammisaari", "ekenäs")),
    City("Rauma", sv="Raumo", forms=("raumalla",)),
    City("Salo", forms=("salossa",), name_is_a_city=False),
    City("Kajaani", sv="Kajana", forms=("kajaanissa",)),
    City("Maarianhamina", sv="Mariehamn", en="Mariehamn"),
)

_BY_NAME: Final = {city.fi: city for city in CITIES}


def city_forms() -> dict[str, str]:
    """Every name of every city (lower case, as written) → the city's canonical Finnish name."""
    forms: dict[str, str] = {}
    for city in CITIES:
        for form in city.all_forms():
            if forms.setdefault(form, city.fi) != city.fi:
                raise ValueError(f"{form!r} names both {forms[form]} and {city.fi}")
    return forms


def city_name(canonical: str, language: str) -> str:
    """The city's name for a reader of fi / sv / en ("Helsinki", "sv" → "Helsingfors"); a city
    outside the table keeps the name it has."""
    city = _BY_NAME.get(canonical)
    if city is None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of fi, sv, en, not {language!r}")
        return canonical
    return city.name(language)


def _folded_forms() -> dict[str, str]:
    folded: dict[str, str] = {}
    for form, city in city_forms().items():
        if folded.setdefault(fold(form), city) != city:
            raise ValueError(f"{fold(form)!r} names both {folded[fold(form)]} and {city}")
    return folded


# Matched on folded text, so a name written without its letters ä, ö, å counts too.
_CITY_BY_FOLDED: Final = _folded_forms()
_CITY_RE = re.compile(
    r"\b(?:" + "|".join(map(re.escape, sorted(_CITY_BY_FOLDED, key=len, reverse=True))) + r")\b"
)
_POSTAL_CITY = re.compile(r"\b\d{5}\s+([A-ZÅÄÖ][\w-]+(?: [A-ZÅÄÖ][\w-]+)?)")


@lru_cache(maxsize=4096)
def city_in(text: str) -> str | None:
    """The canonical Finnish name of a city named in the text ("00100 Helsingfors" → Helsinki,
    "Tampereella" → Tampere, "Jyvaskyla" → Jyväskylä), else the name after a postal code,
    else None."""
    match = _CITY_RE.search(fold(text))
    if match is not None:
        return _CITY_BY_FOLDED[match.group(0)]
    postal = _POSTAL_CITY.search(text)
    return postal.group(1) if postal else None
