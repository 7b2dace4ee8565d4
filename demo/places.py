"""Venues of the demo events, with their Finnish, Swedish and English names.

The venues themselves are listed in ``demo/data/places.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """A venue. ``id`` is the Linked Events style place id the demo API uses."""

    id: str
    name_fi: str
    name_sv: str
    name_en: str
    street_fi: str
    street_sv: str
    postal_code: str
    city_fi: str = "Helsinki"
    city_sv: str = "Helsingfors"

    def name(self, lang: str) -> str:
        return {"fi": self.name_fi, "sv": self.name_sv}.get(lang, self.name_en)

    def street(self, lang: str) -> str:
        return self.street_sv if lang == "sv" else self.street_fi

    def city(self, lang: str) -> str:
        return self.city_sv if lang == "sv" else self.city_fi
