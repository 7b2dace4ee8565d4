"""Places for matching: cities, venues and organisers in any language, and rooms.

A venue, address or organiser name becomes a small bag of the words that tell it from
another (generic words such as "library", "services" or "building" dropped); a city, or a
well-known venue whose name changes with the language ("Oodi" / "Ode", "Kaapelitehdas" /
"Cable Factory"), becomes one key. The venue table holds a few of the region's best-known
venues, as the city table holds cities: a venue not in it needs a shared word, or a close
spelling. Pure and cached per distinct text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from typing import Final

from dedupe.words import CITY_NAMES, tokens, word_keys
from text.glossary import words

# Well-known venues whose name changes with the language (folded stems; a stem of four
# letters or more also matches the start of a word, so Finnish case forms and Swedish
# compounds count: "Oodissa", "Kaapelitehtaalla", "Sellobiblioteket"), mapped to one key.
PLACE_NAMES: Final[dict[str, str]] = {
    name: key
    for key, names in {
        "oodi": ("oodi", "ode"),
        "kaapelitehdas": ("kaapeliteh", "kabelfabrik", "cable factory"),
        "messukeskus": ("messukesk", "masscentr"),
        "kaupungintalo": ("kaupungintal", "stadshus", "city hall"),
        "musiikkitalo": ("musiikkital", "musikhus", "music centre"),
        "tiedekulma": ("tiedekulm", "tankehorn", "think corner"),
        "kaisatalo": ("kaisa", "kajsa"),
        "itakeskus": ("itakesk", "itis", "ostra centrum", "ostra centrums"),
        "sello": ("sello",),
        "tamperetalo": ("tampere talo", "tamperetalo", "tammerforshus", "tampere hall"),
        "ylioppilastalo": ("ylioppilastal", "studenthus", "student house"),
    }.items()
    for name in names
}
_PLACE_STEMS = re.compile(
    "|".join(
        re.escape(name)
        for name in sorted(PLACE_NAMES, key=len, reverse=True)
        if " " not in name and len(name) >= 4
    )
)

# Words of a venue or organiser name that say nothing about which one it is.
GENERIC_PLACE_WORDS: Final = words(
    """
    kulttuurikeskus kulttuuritalo keskus talo sali auditorio aula tila tilat huone kerros
    rakennus paarakennus kampus campus hall halli room building floor vaning sal salen huset
    center centre centrum central the of och ja and kaupunki kaupungin stad stads city
    oy ab ry rf ltd inc oyj palvelut tjanster services service yhdistys forening association
    katu tie kuja tori gatan vagen street road kirjasto bibliotek library yliopisto university
    universitet korkeakoulu hogskola ammattikorkeakoulu polytechnic main huvudbyggnad
    huvudbyggnaden house
    """
)
# Words after which a number names a room of a building ("huone 204", "Hall 1", "sal 3").
ROOM_WORDS: Final = words(
    """
    huone sali luokka auditorio room hall auditorium classroom rum sal salen klassrum
    """
)


# How many words a city's name may have, longest first ("sankt michel", "s t michel").
_CITY_NAME_SIZES: Final = tuple(range(max(len(name.split()) for name in CITY_NAMES), 0, -1))


@lru_cache(maxsize=100_000)
def city_key(city: str | None, *more: str | None) -> str | None:
    """One key per city whatever its language ("Åbo" and "Turku"), read from the first text
    that names a known city."""
    for text in (city, *more):
        if not text:
            continue
        words = tokens(text)
        for size in _CITY_NAME_SIZES:
            for index in range(len(words) - size + 1):
                key = CITY_NAMES.get(" ".join(words[index : index + size]))
                if key is not None:
                    return key
        if text is city and words:
            return " ".join(words)
    return None


def place_bag(*texts: str | None) -> frozenset[str]:
    """The distinctive words of a venue, address or organiser name (cities and generic words
    such as "library" or "services" dropped, glossary words kept as concepts)."""
    result: frozenset[str] = frozenset()
    for text in texts:
        if text:
            result |= _place_words(text)
    return result


@lru_cache(maxsize=100_000)
def _place_words(text: str) -> frozenset[str]:
    result: set[str] = set()
    words = tokens(text)
    skip = False
    for index, token in enumerate(words):
        if skip:
            skip = False
            continue
        if index + 1 < len(words):
            pair = PLACE_NAMES.get(f"{token} {words[index + 1]}")
            if pair is not None:
                result.add("=" + pair)
                skip = True
                continue
        named = place_name(token)
        if named is not None:
            result.add("=" + named)
        elif token in GENERIC_PLACE_WORDS or token in CITY_NAMES or len(token) < 2:
            continue
        else:
            result.update(word_keys(token))
    return frozenset(result)


@lru_cache(maxsize=100_000)
def place_name(token: str) -> str | None:
    """The key of a well-known venue a word names in any language ("Ode" → "oodi")."""
    found = PLACE_NAMES.get(token)
    if found is not None:
        return found
    match = _PLACE_STEMS.match(token)
    return None if match is None else PLACE_NAMES[match.group()]


@lru_cache(maxsize=100_000)
def room_numbers(*texts: str | None) -> frozenset[str]:
    """Room numbers a venue or address names ("päärakennus, huone 204", "Main Building, Hall 1"):
    two rooms of one building at one hour hold two events."""
    found: set[str] = set()
    for text in texts:
        words = tokens(text) if text else []
        for word, following in pairwise(words):
            if word in ROOM_WORDS and following[0].isdigit():
                found.add(following)
    return frozenset(found)
